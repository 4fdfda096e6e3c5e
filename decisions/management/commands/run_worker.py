"""The background worker: runs queued jobs (imports, re-parses, index rebuilds) and, beside them,
the periodic upkeep that keeps the search index in step."""

import logging
import signal
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from decisions import jobs, tasks

logger = logging.getLogger(__name__)


def _forever(work, every, stop):
    while not stop.wait(every):
        try:
            close_old_connections()
            work()
        except Exception:  # a locked database or index now is no reason to stop keeping up
            logger.exception("worker %s failed; trying again in %s s", work.__name__, every)
        finally:
            connection.close()


def _start(work, every, stop):
    threading.Thread(target=_forever, args=(work, every, stop), daemon=True, name=work.__name__).start()


class Command(BaseCommand):
    help = "Run queued background jobs and keep the search index in step (start one or more)."

    def add_arguments(self, parser):
        parser.add_argument("--upkeep-seconds", type=float, default=3.0, help="how often to catch up (s)")

    def handle(self, *args, **options):
        name = jobs.worker_name()
        tasks.upkeep()  # resume what a killed worker left before taking new work
        stop = threading.Event()
        _start(tasks.upkeep, options["upkeep_seconds"], stop)
        if settings.SEARCH_INDEX_SHARED:
            _start(tasks.copy_shared_index, settings.SEARCH_INDEX_COPY_SECONDS, stop)
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
