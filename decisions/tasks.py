"""The work a background worker does (`manage.py run_worker`): jobs, and the periodic upkeep."""

from django_tasks import TaskResultStatus, task
from django_tasks_db.management.commands.db_worker import Worker

from decisions import indexing, jobs

__all__ = ["TaskResultStatus", "database_worker", "run_job", "upkeep"]


@task()
def run_job(job_id):
    return jobs.run(job_id)


def upkeep():
    """What the worker does every few seconds beside its tasks: index changes nobody applied
    (a process died between its commit and applying them), jobs whose worker died, leftovers."""
    applied = indexing.apply_pending(older_than=indexing.CATCH_UP_AFTER)
    resumed = jobs.recover()
    indexing.forget_applied()
    jobs.forget_orphan_uploads()
    return applied, resumed


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
