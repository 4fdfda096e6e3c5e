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
            "--if-outdated", action="store_true", help="only when the index lacks fields this version writes"
        )

    def handle(self, *args, **options):
        if options["if_outdated"] and not search.backend().outdated():
            self.stdout.write("The search index is up to date.")
            return
        ids = list(Determination.objects.order_by("pk").values_list("pk", flat=True))
        total = DecisionItem.objects.count()
        with tqdm(total=total, desc="Indexing", unit=" items", disable=None, file=sys.stderr) as bar:
            count = search.backend().rebuild(ids, progress=bar.update)
        self.stdout.write(f"Indexed {count} items from {len(ids)} letters.")
