"""The background worker: runs queued jobs (imports, re-parses, index rebuilds) and, beside them,
the periodic upkeep that keeps the search index in step."""

import logging
import signal
import sys
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from decisions import jobs, tasks

logger = logging.getLogger(__name__)


def _upkeep_forever(every, stop):
    while not stop.wait(every):
        try:
            close_old_connections()
            tasks.upkeep()
        except Exception:  # a locked database or index now is no reason to stop keeping up
            logger.exception("worker upkeep failed; trying again in %s s", every)
        finally:
            connection.close()


class Command(BaseCommand):
    help = "Run queued background jobs and keep the search index in step (start one or more)."

    def add_arguments(self, parser):
        parser.add_argument("--upkeep-seconds", type=float, default=3.0, help="how often to catch up (s)")

    def handle(self, *args, **options):
        name = jobs.worker_name()
        tasks.upkeep()  # resume what a killed worker left before taking new work
        stop = threading.Event()
        threading.Thread(
            target=_upkeep_forever, args=(options["upkeep_seconds"], stop), daemon=True, name="upkeep"
        ).start()
        worker = tasks.database_worker(name)

        def shut_down(signum, frame):
            """First signal: the running job goes back to the queue at the end of its current
            step and the worker exits; a second one exits at once (the job resumes later)."""
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            worker.running = False
            jobs.interrupt()
            if not worker.running_task:
                sys.exit(0)

        signal.signal(signal.SIGTERM, shut_down)
        signal.signal(signal.SIGINT, shut_down)
        self.stdout.write(f"Worker {name} waiting for jobs.")
        try:
            worker.run()
        finally:
            stop.set()
