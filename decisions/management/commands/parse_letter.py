"""Parse letter files without touching the database; print what was read."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from decisions.parsing import ParseError, content_hash, parse_document
from decisions.serializers import letter_json


class Command(BaseCommand):
    help = "Parse IMR letters (PDF or text) and print them; --json prints the schema's JSON form."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--json", action="store_true", help="print a JSON array, one object per file")

    def handle(self, *args, **options):
        results = []
        for name in options["files"]:
            path = Path(name)
            try:
                data = path.read_bytes()
                _, letter = parse_document(data)
                results.append(letter_json(letter, path.name, content_hash(data)))
            except (OSError, ParseError) as error:
                reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
                results.append({"source_file": path.name, "error": reason})
        if options["json"]:
            self.stdout.write(json.dumps(results, indent=2, ensure_ascii=False))
        else:
            for result in results:
                self._describe(result)
        if any("error" in result for result in results):
            sys.exit(1)

    def _describe(self, result):
        if "error" in result:
            self.stdout.write(f"{result['source_file']}: FAILED: {result['error']}")
            return
        self.stdout.write(
            f"{result['source_file']}: {result['format']} letter, {len(result['items'])} items, "
            f"case {result['case_number'] or '-'}"
        )
        for number, item in enumerate(result["items"], start=1):
            pages = "; ".join(f"{c['source']} {c['pages']}" for c in item["citations"])
            self.stdout.write(
                f"  {number}. {item['request']} -> {item['outcome']} ({item['necessity']}) {pages}"
            )
        for warning in result["warnings"]:
            self.stdout.write(f"  warning: {warning}")
