"""The worker sends due digests every few minutes (IMR_PERIODIC_TASKS names this task)."""

from django_tasks import task

from alerts import digests


@task()
def send_alerts():
    return len(digests.send_due())
