"""The contract suite on the PostgreSQL backend (CI's PostgreSQL run), and what only it has."""

import pytest
from django.db import connection

from decisions import search
from tests.search.contract import BackendContract

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgres(settings, db):
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL backend needs DATABASE_URL on PostgreSQL (CI's second run)")
    settings.SEARCH_BACKEND = "postgres"
    return search.backend()


class TestPostgresContract(BackendContract):
    @pytest.fixture
    def backend(self, postgres):
        return postgres
