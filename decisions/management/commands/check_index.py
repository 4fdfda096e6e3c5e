"""Check the search index: every file against what was written (every byte against its checksum,
unless --quick), then its item ids against the database; --repair mends whatever differs."""

import sys

from django.core.management.base import BaseCommand

from decisions import indexing, jobs, search
from decisions.models import Job

SHOWN = 20


class Command(BaseCommand):
    help = (
        "Check the search index's files (every byte against its checksum unless --quick) and compare its "
        "item ids with the database; --repair mends any damage or difference."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair", action="store_true", help="mend damaged files and rewrite differing letters"
        )
        parser.add_argument(
            "--quick", action="store_true", help="look at each file's size and time only, not every byte"
        )

    def handle(self, *args, **options):
        thorough = not options["quick"]
        health, comparison = self._check(thorough)
        if health.sound and comparison is not None and comparison.in_step:
            return
        if not options["repair"]:
            sys.exit(1)
        self._repair(thorough)
        health, comparison = self._check(thorough)
        if not (health.sound and comparison is not None and comparison.in_step):
            sys.exit(1)

    def _check(self, thorough):
        health = search.backend().inspect(thorough=thorough)
        if health.sound:
            self.stdout.write(
                "Index files: sound." + ("" if thorough else " (sizes and times only: --quick)")
            )
        else:
            self.stdout.write(f"Index files: {len(health.problems)} problem(s).")
            for problem in health.problems:
                self.stdout.write(f"  - {problem}")
            if health.notice:
                self.stdout.write(f"  Searches now: {health.notice}")
        try:
            comparison = indexing.compare()
        except search.IndexUnavailable as unavailable:
            self.stdout.write(f"Item ids not compared: {unavailable}.")
            return health, None
        self._show(comparison)
        return health, comparison

    def _repair(self, thorough):
        mending = indexing.mend(thorough=thorough)
        for action in mending.actions:
            self.stdout.write(f"Mended: {action}.")
        if mending.rebuild:
            self.stdout.write(f"Rebuilding the index from the database, because {mending.rebuild}.")
            job = jobs.start(Job.Kind.REBUILD, "Command line: check_index --repair", queue=False)
            if jobs.run(job.pk) != Job.State.DONE:
                job.refresh_from_db()
                self.stderr.write(f"The rebuild stopped: {job.error}")
                sys.exit(1)
            return
        self.stdout.write(f"Rewrote the search documents of {mending.letters} letters.")

    def _show(self, comparison):
        self.stdout.write(f"Items in the database: {comparison.database}")
        self.stdout.write(f"Items in the search index: {comparison.indexed}")
        for label, ids in (
            ("Missing from the index", comparison.missing),
            ("Not in the database", comparison.extra),
        ):
            listed = ", ".join(map(str, ids[:SHOWN])) + (", ..." if len(ids) > SHOWN else "")
            self.stdout.write(f"{label}: {len(ids)}" + (f" ({listed})" if ids else ""))
        self.stdout.write(f"Letters with changes not yet applied: {comparison.pending}")
        self.stdout.write("In step." if comparison.in_step else "The index differs from the database.")
