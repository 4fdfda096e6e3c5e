"""Rebuild the search index from the database, beside the live one, then swap it in."""

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from decisions import search
from decisions.models import DecisionItem, Determination


class Command(BaseCommand):
    help = "Rebuild the search index from scratch from the database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-outdated",
            action="store_true",
            help="only when the index lacks fields this version writes, or holds another number of items "
            "than the database (an index from before an upgrade, or one that missed writes)",
        )

    def handle(self, *args, **options):
        backend = search.backend()
        total = DecisionItem.objects.count()
        if options["if_outdated"] and not backend.outdated() and len(backend.indexed_ids()) == total:
            self.stdout.write("The search index is up to date.")
            return
        ids = list(Determination.objects.order_by("pk").values_list("pk", flat=True))
        with tqdm(total=total, desc="Indexing", unit=" items", disable=None, file=sys.stderr) as bar:
            count = backend.rebuild(ids, progress=bar.update)
        self.stdout.write(f"Indexed {count} items from {len(ids)} letters.")
