"""Compare the search index with the database (counts and item ids); --repair mends any difference."""

import sys

from django.core.management.base import BaseCommand

from decisions import indexing

SHOWN = 20


class Command(BaseCommand):
    help = "Compare the search index with the database by item ids; --repair mends any difference."

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="rewrite the letters that differ")

    def handle(self, *args, **options):
        comparison = indexing.compare()
        self._show(comparison)
        if comparison.in_step:
            return
        if not options["repair"]:
            sys.exit(1)
        rewritten = indexing.repair(comparison)
        self.stdout.write(f"Rewrote the search documents of {rewritten} letters.")
        comparison = indexing.compare()
        self._show(comparison)
        if not comparison.in_step:
            sys.exit(1)

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
