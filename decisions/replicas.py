"""Reads from PostgreSQL streaming replicas (DATABASE_REPLICA_URLS), writes to the primary.

A request reads from a replica when it cannot have written anything it then expects to see: a
GET or HEAD without a session cookie (visitors searching, the API, feeds). Everything else reads
the primary: forms and uploads, anyone signed in (the admin, job pages, saved searches: their
own writes show at once, whatever a replica's lag), and every command and the worker, which run
outside requests. Writes and migrations always go to the primary.
"""

import contextvars
import random

from django.conf import settings

_replica = contextvars.ContextVar("replica", default=None)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return _replica.get()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, first, second, **hints):
        return True  # one database, whichever copy a row was read from

    def allow_migrate(self, db, app_label, **hints):
        return False if db in settings.DATABASE_REPLICAS else None


def reads_from_replica(request):
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and bool(settings.DATABASE_REPLICAS)
    )


class ReplicaReadMiddleware:
    """One replica, drawn at random, for all of a request's reads when it may read from one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not reads_from_replica(request):
            return self.get_response(request)
        token = _replica.set(random.choice(list(settings.DATABASE_REPLICAS)))
        try:
            return self.get_response(request)
        finally:
            _replica.reset(token)
