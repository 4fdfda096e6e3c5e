"""Rebuild the search index from the database, beside the live one, then swap it in."""

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from decisions import jobs, search
from decisions.models import DecisionItem, Job


class Command(BaseCommand):
    help = "Rebuild the search index from scratch from the database (a rebuild job, run here)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-outdated",
            action="store_true",
            help="only when the index lacks fields this version writes, or holds another number of items "
            "than the database (an index from before an upgrade, or one that missed writes)",
        )

    def handle(self, *args, **options):
        backend = search.backend()
        backend.catch_up()  # a new server of a site that shares its index copies it, not rebuilds it
        total = DecisionItem.objects.count()
        if options["if_outdated"] and not backend.outdated() and self._indexed(backend) == total:
            self.stdout.write("The search index is up to date.")
            return
        under_way = jobs.index_work_under_way()
        if under_way is not None:
            self.stdout.write(f"{under_way} is under way; this rebuild starts when it has finished.")
        job = jobs.start(Job.Kind.REBUILD, "Command line: rebuild_index", queue=False)
        with tqdm(total=total, desc="Indexing", unit=" items", disable=None, file=sys.stderr) as bar:
            state = jobs.run(job.pk, on_progress=lambda running: bar.update(running.files_done - bar.n))
        job.refresh_from_db()
        if state != Job.State.DONE:
            self.stderr.write(f"The rebuild stopped ({job.get_state_display()}): {job.error}")
            sys.exit(1)
        self.stdout.write(f"Indexed {job.summary['items indexed']} items.")

    @staticmethod
    def _indexed(backend):
        """Items the index holds, or None when it cannot be read (then it is rebuilt)."""
        try:
            return len(backend.indexed_ids())
        except search.IndexUnavailable:
            return None
