"""Import letters from files, folders and ZIPs; safe to run again on the same input."""

import os
import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from decisions import importing


class Command(BaseCommand):
    help = "Import IMR determination letters (PDF, text, or ZIPs of them) from files and folders."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files, folders (searched recursively) or ZIP archives")
        parser.add_argument(
            "--quiet-failures", action="store_true", help="count failures without listing them"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=min(os.cpu_count() or 1, 4),
            help="processes that parse letters while this one stores them (default: CPU cores)",
        )

    def handle(self, *args, **options):
        paths = options["paths"]
        bar = tqdm(desc="Importing", unit=" files", disable=None, file=sys.stderr)
        report = importing.import_candidates(
            importing.candidates_from_paths(paths),
            on_result=lambda result: bar.update(1),
            workers=max(1, options["workers"]),
        )
        bar.close()
        self.stdout.write(f"Imported: {report.count(importing.IMPORTED)}")
        self.stdout.write(f"Already present (same content): {report.count(importing.DUPLICATE)}")
        self.stdout.write(f"Failed: {len(report.failures)}")
        if not options["quiet_failures"]:
            for failure in report.failures:
                self.stdout.write(f"  FAILED {failure.name}: {failure.message}")
        if report.failures:
            sys.exit(1)
