"""Generate sample letters and import them, marked as generated: the first look of scripts/serve."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from benchmarks import corpus
from decisions import jobs
from decisions.models import Determination


class Command(BaseCommand):
    help = (
        "Generate sample letters (benchmarks/corpus.py: the DWC's layout, realistic treatments, guidelines "
        "and outcomes, none of them real) and import them, each marked as a generated sample wherever it is "
        "shown. Does nothing when the archive holds sample letters already."
    )

    def add_arguments(self, parser):
        parser.add_argument("--letters", type=int, default=3000, help="how many to generate (default 3000)")
        parser.add_argument("--seed", type=int, default=2026, help="the same seed makes the same letters")

    def handle(self, *args, **options):
        present = Determination.objects.filter(sample=True).count()
        if present:
            self.stdout.write(f"The archive holds {present} generated sample letters already.")
            return
        folder = settings.VAR_DIR / "sample_archive"
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in corpus.letters(options["letters"], seed=options["seed"]):
            (folder / name).write_text(text, encoding="utf-8")
        job = jobs.start_import(
            [folder], "Generated sample letters (not real decisions)", queue=False, sample=True
        )
        jobs.run(job.pk)
        job.refresh_from_db()
        self.stdout.write(f"Generated and imported {job.imported} sample letters ({job.failed} failed).")
        if job.failed:
            sys.exit(1)
