"""The work a background worker does (`manage.py run_worker`): jobs, and the periodic upkeep."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus, task
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from decisions import indexing, jobs, search
from decisions.models import Job

__all__ = [
    "TaskResultStatus",
    "database_worker",
    "enqueue_periodic",
    "run_job",
    "upkeep",
    "verify_index",
    "copy_shared_index",
]


@task()
def run_job(job_id):
    return jobs.run(job_id)


@task()
def verify_index():
    """Read every byte of the index against its checksums: what a look at each file's size and
    time cannot see (a bit flipped on the disk, a file written over and its time set back)."""
    health = search.backend().inspect(thorough=True)
    if not health.sound:
        jobs.start_index_work(
            Job.Kind.REPAIR, f"Found by the daily check: {health.problems[0]}"[:255], thorough=True
        )
    return health.problems


def upkeep():
    """What the worker does every few seconds beside its tasks: a damaged index mended, index
    changes nobody applied (a process died between its commit and applying them), jobs whose
    worker died, leftovers, and the periodic tasks (alert digests, the index's daily check)."""
    jobs.heal_index()
    applied = indexing.apply_pending(older_than=indexing.CATCH_UP_AFTER)
    resumed = jobs.recover()
    indexing.forget_applied()
    jobs.forget_orphan_uploads()
    enqueue_periodic()
    return applied, resumed


def copy_shared_index():
    """Beside the upkeep, on every server of a site that shares its index: copy what others wrote."""
    search.backend().catch_up()


def enqueue_periodic(now=None):
    """Enqueue each task of IMR_PERIODIC_TASKS whose last one was enqueued longer ago than its
    period, unless one is still waiting (several workers may do this at once: the tasks are safe
    to run twice)."""
    now = now or timezone.now()
    for path, seconds in settings.IMR_PERIODIC_TASKS.items():
        latest = (
            DBTaskResult.objects.filter(task_path=path)
            .order_by("-enqueued_at")
            .values("status", "enqueued_at")
            .first()
        )
        if latest and (
            latest["status"] == TaskResultStatus.READY
            or now - latest["enqueued_at"] < timedelta(seconds=seconds)
        ):
            continue
        import_string(path).enqueue()


def database_worker(worker_id, batch=False):
    """django-tasks-db's worker on the default queue; `batch` returns once nothing is queued."""
    return Worker(
        queue_names=["default"],
        interval=0 if batch else 1,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id[:64],
        excluded_queue_names=[],
    )
