"""The background worker: runs queued jobs (imports, re-parses, index rebuilds) and, beside them,
the periodic upkeep that keeps the search index equal to the database."""

import logging
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
        self.stdout.write(f"Worker {name} waiting for jobs.")
        try:
            tasks.database_worker(name).run()
        finally:
            stop.set()
