"""Import letters from files, folders and ZIPs as a job; safe to run again on the same input."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand
from django.urls import reverse
from tqdm import tqdm

from decisions import jobs
from decisions.models import Job


class Command(BaseCommand):
    help = (
        "Import IMR determination letters (PDF, text, or ZIPs of them) from files and folders. "
        "Starts an import job for the background worker and returns; --wait runs it here."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files, folders (searched recursively) or ZIP archives")
        parser.add_argument("--wait", action="store_true", help="run the import here and report when done")
        parser.add_argument(
            "--quiet-failures", action="store_true", help="count failures without listing them"
        )
        parser.add_argument(
            "--sample",
            action="store_true",
            help="the letters are generated sample letters: mark them so wherever they are shown",
        )

    def handle(self, *args, **options):
        paths = [Path(raw).resolve() for raw in options["paths"]]
        description = "Command line: " + " ".join(str(path) for path in paths)
        job = jobs.start_import(paths, description, queue=not options["wait"], sample=options["sample"])
        if not options["wait"]:
            self.stdout.write(
                f"Import job #{job.pk} queued ({job.files_total} files); the worker runs it. "
                f"Follow it at {reverse('admin:decisions_job_change', args=[job.pk])}"
            )
            return
        with tqdm(
            total=job.files_total, desc="Importing", unit=" files", disable=None, file=sys.stderr
        ) as bar:
            jobs.run(job.pk, on_progress=lambda running: bar.update(running.files_done - bar.n))
        job.refresh_from_db()
        self.stdout.write(f"Imported: {job.imported}")
        self.stdout.write(f"Already present (same content): {job.duplicates}")
        self.stdout.write(f"Failed: {job.failed}")
        if not options["quiet_failures"]:
            for failure in job.files.filter(status="failed"):
                self.stdout.write(f"  FAILED {failure.name}: {failure.detail}")
        if job.state != Job.State.DONE:
            self.stdout.write(f"The job stopped ({job.get_state_display()}): {job.error}")
        if job.failed or job.state != Job.State.DONE:
            sys.exit(1)
