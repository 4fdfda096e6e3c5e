"""Which requests read from a replica (DATABASE_REPLICA_URLS): the live test is
tests/search/test_several_servers.py, with a hot standby of its own."""

import pytest
from django.test import RequestFactory

from decisions.replicas import ReplicaRouter, reads_from_replica


@pytest.mark.parametrize(
    "method, cookies, replica",
    [
        ("get", {}, True),  # a visitor searching
        ("head", {}, True),
        ("post", {}, False),  # a form: it writes
        ("get", {"sessionid": "x"}, False),  # signed in: sees its own writes at once
    ],
)
def test_anonymous_page_reads_go_to_a_replica_and_the_rest_to_the_primary(settings, method, cookies, replica):
    settings.DATABASE_REPLICAS = {"replica1": {}}
    request = getattr(RequestFactory(), method)("/")
    request.COOKIES.update(cookies)
    assert reads_from_replica(request) is replica


def test_without_replicas_everything_reads_the_primary(settings):
    settings.DATABASE_REPLICAS = {}
    assert not reads_from_replica(RequestFactory().get("/"))


def test_replicas_are_never_migrated_or_written(settings):
    settings.DATABASE_REPLICAS = {"replica1": {}}
    assert ReplicaRouter().allow_migrate("replica1", "decisions") is False
    assert ReplicaRouter().allow_migrate("default", "decisions") is None
    assert ReplicaRouter().db_for_write(None) == "default"
