"""The work a background worker does (`manage.py run_worker`): jobs, and the periodic upkeep."""

from django_tasks import TaskResultStatus, task

from decisions import indexing, jobs

__all__ = ["TaskResultStatus", "run_job", "upkeep"]


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
