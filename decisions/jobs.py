"""Background jobs: start one, run it in a worker, report progress, cancel it, resume it after a crash.

A job's progress is committed with its work, batch by batch, so a worker killed at any point leaves
a job that another worker (or the same one, restarted) resumes where the last batch ended. The
worker that holds a job is named host:pid:token; `recover` hands the job to a new task when that
process is gone (same host) or has not reported for IMR_JOB_STALE_SECONDS (any host).
"""

import errno
import logging
import os
import secrets
import shutil
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from decisions import importing, indexing, search
from decisions.models import DecisionItem, Determination, Job, JobFile

logger = logging.getLogger(__name__)

REPARSE_BATCH = 100
ANALYZE_AFTER_LETTERS = 1000  # an import storing this many letters brings PostgreSQL's statistics up to date
HEARTBEAT_SECONDS = 30
ORPHAN_UPLOAD_AGE = timedelta(hours=1)


class Cancelled(Exception):
    """An admin asked the job to stop."""


class Lost(Exception):
    """Another worker took the job over (this one was thought dead); stop without touching it."""


class Interrupted(Exception):
    """This worker is shutting down; the job goes back to the queue for the next one."""


_shutting_down = threading.Event()


def interrupt():
    """Ask the job running in this process to stop at the end of its current step and go back to
    the queue (the worker's SIGTERM / Ctrl-C)."""
    _shutting_down.set()


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


# Starting jobs


def _enqueue(job):
    """Give the job a task for the worker; in the caller's transaction, so both or neither exist."""
    from decisions.tasks import run_job

    job.task_id = str(run_job.enqueue(job.pk).id)
    Job.objects.filter(pk=job.pk).update(task_id=job.task_id)


def start(kind, description, user=None, sources=(), upload_dir="", files_total=0, queue=True, sample=False):
    """Create a job (and its task, unless the caller runs it itself)."""
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            description=description[:255],
            created_by=user,
            sources=[str(source) for source in sources],
            upload_dir=str(upload_dir),
            files_total=files_total,
            sample=sample,
        )
        if queue:
            _enqueue(job)
    return job


INDEX_WORK = (Job.Kind.REBUILD, Job.Kind.REPAIR)


def index_work_under_way():
    """The rebuild or mend of the search index queued or running, if there is one."""
    return (
        Job.objects.filter(kind__in=INDEX_WORK, state__in=[Job.State.QUEUED, Job.State.RUNNING])
        .order_by("created_at")
        .first()
    )


INDEX_WORK_LOCK = 0x494D52_10B5  # the PostgreSQL advisory lock of starting index work


def _one_at_a_time():
    """Inside the caller's transaction: anyone else starting index work waits until it ends, so
    two workers finding damage at once never both start a mend. PostgreSQL: an advisory lock for
    the transaction; SQLite: its one write lock, taken by a write that changes nothing."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [INDEX_WORK_LOCK])
    else:
        Job.objects.filter(pk=0).update(state=F("state"))


def start_index_work(kind, description, user=None, **summary):
    """(job, started): a new rebuild or mend of the index, or the one already under way (a second
    would only wait for it and do the same again)."""
    with transaction.atomic():
        _one_at_a_time()
        under_way = index_work_under_way()
        if under_way is not None:
            return under_way, False
        job = start(kind, description, user)
        if summary:
            Job.objects.filter(pk=job.pk).update(summary={f"_{key}": value for key, value in summary.items()})
        return job, True


def heal_index():
    """Start a mend when the index searches read is damaged and no rebuild or mend is under way
    (the worker's upkeep); the job, or None."""
    health = search.backend().health()
    if health.sound:
        return None
    job, started = start_index_work(Job.Kind.REPAIR, f"Found by the worker: {health.problems[0]}"[:255])
    return job if started else None


def start_import(paths, description, user=None, upload_dir="", queue=True, sample=False):
    return start(
        Job.Kind.IMPORT,
        description,
        user,
        sources=paths,
        upload_dir=upload_dir,
        files_total=importing.count_files(paths),
        queue=queue,
        sample=sample,
    )


def save_uploads(uploads):
    """Write uploaded files to a folder of their own (streamed, never whole in memory); returns it.
    On any failure (a full disk) nothing is left behind and the error is raised."""
    root = Path(settings.IMR_UPLOAD_DIR)
    folder = root / f"upload-{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
    try:
        folder.mkdir(parents=True)
        for upload in uploads:
            name = Path(Path(upload.name).name or "upload")
            target, copy = folder / name, 1
            while target.exists():  # two uploads of one name: keep both
                copy += 1
                target = folder / f"{name.stem} ({copy}){name.suffix}"
            with target.open("xb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def cancel(job):
    """A queued job stops at once; a running one at the end of its current batch."""
    with transaction.atomic():
        Job.objects.filter(pk=job.pk, state=Job.State.QUEUED).update(
            state=Job.State.CANCELLED, finished_at=timezone.now()
        )
        Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(cancel_requested=True)


def retry(job):
    """Run a failed or cancelled job again from where it stopped."""
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, state__in=[Job.State.FAILED, Job.State.CANCELLED]).update(
            state=Job.State.QUEUED, cancel_requested=False, error="", finished_at=None
        )
        if updated:
            _enqueue(job)
    return bool(updated)


# Running jobs


class _Run:
    """One worker's hold on one job: progress and heartbeats written only while it still holds it."""

    def __init__(self, job, worker, on_progress):
        self.job, self.worker, self.on_progress = job, worker, on_progress
        self.clock = time.monotonic()

    def held(self):
        return Job.objects.filter(pk=self.job.pk, worker=self.worker, state=Job.State.RUNNING)

    def report(self, files=(), summary=None, **counts):
        """Commit a step's results, counters and summary together; then stop if asked to."""
        now = time.monotonic()
        elapsed, self.clock = now - self.clock, now
        with transaction.atomic():
            if not self.held().select_for_update().exists():
                raise Lost
            start = self.job.files_done
            JobFile.objects.bulk_create(
                JobFile(job=self.job, position=start + offset, **fields)
                for offset, fields in enumerate(files)
            )
            self.held().update(
                files_done=F("files_done") + counts.pop("done", len(files)),
                seconds_working=F("seconds_working") + elapsed,
                heartbeat_at=timezone.now(),
                **{name: F(name) + value for name, value in counts.items()},
                **({"summary": {**self.job.summary, **summary}} if summary else {}),
            )
        self.job.refresh_from_db()
        if self.on_progress:
            self.on_progress(self.job)
        if self.job.cancel_requested:
            raise Cancelled
        if _shutting_down.is_set():
            raise Interrupted

    def beat_while(self, running):
        """Keep the heartbeat fresh while a long step runs (a batch of slow PDFs), so workers on
        other machines do not take the job over."""
        try:
            while not running.wait(HEARTBEAT_SECONDS):
                self.held().update(heartbeat_at=timezone.now())
        finally:
            connection.close()


def claim(job_id, worker):
    """Take a queued job; None if it is not queued (done, cancelled, or held by another worker)."""
    now = timezone.now()
    taken = Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, worker=worker, heartbeat_at=now
    )
    if not taken:
        return None
    Job.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=now)
    return Job.objects.get(pk=job_id)


def run(job_id, on_progress=None):
    """Run a job to its end in this process (what the worker's task does); on_progress(job) is
    called after each committed step."""
    worker = worker_name()
    job = claim(job_id, worker)
    if job is None:
        return None
    step = _Run(job, worker, on_progress)
    state, error = Job.State.DONE, ""
    finished = threading.Event()
    threading.Thread(target=step.beat_while, args=(finished,), daemon=True).start()
    try:
        RUNNERS[job.kind](step)
    except Cancelled:
        state = Job.State.CANCELLED
    except Lost:
        logger.warning("job %s was taken over by another worker; this one stops", job_id)
        return None
    except Interrupted:
        with transaction.atomic():
            if step.held().update(state=Job.State.QUEUED, worker=""):
                _enqueue(job)
        return Job.State.QUEUED
    except Exception as failure:
        logger.exception("job %s failed", job_id)
        state, error = Job.State.FAILED, _reason(failure)
    finally:
        finished.set()
    step.held().update(state=state, error=error, finished_at=timezone.now(), worker="")
    return state


def _reason(failure):
    """Why a job failed, for the admin who reads it."""
    if isinstance(failure, OSError) and failure.errno == errno.ENOSPC:
        where = Path(failure.filename).parent if failure.filename else Path(settings.SEARCH_INDEX_DIR)
        return (
            f"The disk is full ({where}). Nothing stored was lost: letters already imported wait to be "
            f"added to search, and the pages say how many. Free some space, then run the job again: "
            f"it goes on from where it stopped, and the worker adds the waiting letters by itself."
        )
    return f"{type(failure).__name__}: {failure}"


def _file_rows(results):
    """JobFile fields for import or re-parse results."""
    return [
        {
            "name": r.name[:500],
            "status": r.status,
            "detail": r.message,
            "determination_id": r.determination_id,
        }
        for r in results
    ]


def _run_import(step):
    job = step.job
    candidates = importing.candidates_from_paths(job.sources, base=job.upload_dir or None)
    for _ in range(job.files_done):  # what earlier runs of this job committed
        next(candidates, None)
    step.report()  # a cancel asked for while it waited in the queue
    for results in importing.import_batches(
        candidates, job_id=job.pk, workers=settings.IMR_IMPORT_PROCESSES, sample=job.sample
    ):
        counts = {status: sum(r.status == status for r in results) for status in JobFile.Status.values}
        step.report(
            _file_rows(results),
            imported=counts[JobFile.Status.IMPORTED],
            duplicates=counts[JobFile.Status.DUPLICATE],
            failed=counts[JobFile.Status.FAILED],
        )
    indexing.apply_pending()
    Job.objects.filter(pk=job.pk).update(files_total=F("files_done"))
    job.refresh_from_db(fields=["imported"])
    if job.imported >= ANALYZE_AFTER_LETTERS:
        _analyse_letters()


def _analyse_letters():
    """PostgreSQL plans from the tables' statistics; after a bulk import they describe an archive a
    fraction of its size until autovacuum next analyses them (or never, where it is off), and a
    plan from them scans every letter: the search page's count of sample letters took 76 ms at
    100,000 letters (an index lookup of 0.1 ms once analysed)."""
    if connection.vendor != "postgresql":
        return
    tables = [model._meta.db_table for model in apps.get_app_config("decisions").get_models()]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(table) for table in tables)}")


def _run_reparse(step):
    """Every letter parsed again, REPARSE_BATCH at a time in id order; the summary adds up what
    changed (the parser upgrade's effect on the archive)."""
    job = step.job
    if not job.files_total:
        Job.objects.filter(pk=job.pk).update(files_total=Determination.objects.count())
    last = job.summary.get("_last_id", 0)
    while letters := list(Determination.objects.filter(pk__gt=last).order_by("pk")[:REPARSE_BATCH]):
        report = importing.reparse(letters)
        last = letters[-1].pk
        failed = len(report.failures)
        step.report(
            _file_rows(report.results),
            summary={"_last_id": last, **_added_up(step.job.summary, report.results)},
            imported=len(report.results) - failed,
            failed=failed,
        )


def _added_up(summary, results):
    """The re-parse totals so far, with these results counted in."""
    changes = [result.change for result in results if result.change]
    counts = {
        "letters changed": sum(change.changed for change in changes),
        "items added": sum(max(change.items_after - change.items_before, 0) for change in changes),
        "items removed": sum(max(change.items_before - change.items_after, 0) for change in changes),
        "outcomes changed": sum(change.outcomes_changed for change in changes),
        "treatments changed": sum(change.treatments_changed for change in changes),
        "layouts changed": sum(change.format_changed for change in changes),
        "dates filled": sum(change.dates_filled for change in changes),
        "dates changed": sum(change.dates_changed for change in changes),
        "items citing differently": sum(change.citations_changed for change in changes),
        "partial authorizations found": sum(change.partial_found for change in changes),
        "items giving other reasons": sum(change.reasons_changed for change in changes),
        "letters that failed": sum(result.status == JobFile.Status.FAILED for result in results),
    }
    return {name: summary.get(name, 0) + count for name, count in counts.items()}


def _run_rebuild(step):
    """A fresh index from every letter; changes made while it ran are replayed on it, then the two
    are compared and any difference mended."""
    job = step.job
    mark = indexing.last_change_id()
    Job.objects.filter(pk=job.pk).update(files_total=DecisionItem.objects.count(), files_done=0)
    job.files_done = 0  # a resumed rebuild starts again from the beginning
    ids = list(Determination.objects.order_by("pk").values_list("pk", flat=True))
    pending = 0
    last_report = time.monotonic()

    def progress(items):
        nonlocal pending, last_report
        pending += items
        if time.monotonic() - last_report >= 2:
            step.report(done=pending)
            pending, last_report = 0, time.monotonic()

    count = search.backend().rebuild(ids, progress=progress)
    step.report(done=pending)
    indexing.apply(indexing.changed_since(mark))
    comparison = indexing.compare()
    repaired = indexing.repair(comparison) if not comparison.in_step else 0
    step.report(summary={"items indexed": count, "letters mended after comparing": repaired})


def _run_repair(step):
    """Mend the index in place; rebuild it when that cannot be done."""
    job = step.job
    mending = indexing.mend(thorough=bool(job.summary.get("_thorough")))
    summary = {"what was mended": "; ".join(mending.actions) or "nothing was damaged"}
    if mending.rebuild:
        step.report(summary=summary | {"rebuilt, because": mending.rebuild})
        _run_rebuild(step)
        return
    step.report(summary=summary | {"letters written again": mending.letters})


RUNNERS = {
    Job.Kind.IMPORT: _run_import,
    Job.Kind.REPARSE: _run_reparse,
    Job.Kind.REBUILD: _run_rebuild,
    Job.Kind.REPAIR: _run_repair,
}


# Recovery


def _holder_alive(job, now):
    host, _, rest = job.worker.partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname() and pid.isdecimal():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return job.heartbeat_at is not None and now - job.heartbeat_at < timedelta(
        seconds=settings.IMR_JOB_STALE_SECONDS
    )


def _task_waiting(job, now):
    from django_tasks_db.models import DBTaskResult

    from decisions.tasks import TaskResultStatus

    task = DBTaskResult.objects.filter(id=job.task_id).values("status", "started_at").first()
    if task is None:
        return False
    if task["status"] == TaskResultStatus.READY:
        return True
    return (
        task["status"] == TaskResultStatus.RUNNING
        and task["started_at"] is not None
        and now - task["started_at"] < timedelta(seconds=settings.IMR_JOB_STALE_SECONDS)
    )


def recover(now=None):
    """Give a new task to every job whose worker died, or whose task was lost; returns their ids."""
    now = now or timezone.now()
    resumed = []
    for job in Job.objects.filter(state__in=[Job.State.QUEUED, Job.State.RUNNING]):
        if job.state == Job.State.RUNNING and _holder_alive(job, now):
            continue
        if job.state == Job.State.QUEUED and _task_waiting(job, now):
            continue
        with transaction.atomic():
            if Job.objects.filter(pk=job.pk, state=job.state, worker=job.worker).update(
                state=Job.State.QUEUED, worker=""
            ):
                _enqueue(job)
                resumed.append(job.pk)
    return resumed


def forget_orphan_uploads(now=None):
    """Remove upload folders no job refers to (a web worker killed while saving an upload)."""
    root = Path(settings.IMR_UPLOAD_DIR)
    if not root.is_dir():
        return []
    cutoff = (now or timezone.now()) - ORPHAN_UPLOAD_AGE
    known = set(Job.objects.exclude(upload_dir="").values_list("upload_dir", flat=True))
    removed = []
    for folder in root.iterdir():
        modified = datetime.fromtimestamp(folder.stat().st_mtime, tz=UTC)
        if str(folder) not in known and modified < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
