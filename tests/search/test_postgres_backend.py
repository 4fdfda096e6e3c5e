"""The contract suite on the PostgreSQL backend (CI's PostgreSQL run), and what only it has."""

import pytest
from django.db import connection

from decisions import search
from tests.search.contract import BackendContract
from tests.search.corpus import import_corpus

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


class TestPostgresContractRankingCandidatesOnly(BackendContract):
    """Every search past the number of matches where relevance ranks only the candidates naming the
    words in their request or treatment (at most 3 here), the rest newest first."""

    @pytest.fixture
    def backend(self, postgres, monkeypatch):
        from decisions.search.backends.postgres import backend

        monkeypatch.setattr(backend, "RANK_ALL_UP_TO", 0)
        monkeypatch.setattr(backend, "CANDIDATES", 3)
        return postgres


def _slow_facets(monkeypatch):
    """The facet statement runs past the budget, as a broad search's did on 100,000 letters."""
    from decisions.search.backends.postgres.backend import PostgresBackend

    counts = PostgresBackend._counts

    def slow(self, query, compiler):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1)")
        return counts(self, query, compiler)

    monkeypatch.setattr(PostgresBackend, "_counts", slow)


def test_a_search_whose_facets_run_past_the_budget_gets_the_sentence(postgres, client, settings, monkeypatch):
    import_corpus()
    settings.SEARCH_TIME_BUDGET_SECONDS = 0.05
    _slow_facets(monkeypatch)
    response = client.get("/", {"q": "therapy"})
    assert response.status_code == 200
    assert "took longer than 0.05 seconds and was stopped" in response.content.decode()
    monkeypatch.undo()
    settings.SEARCH_TIME_BUDGET_SECONDS = 5
    assert postgres.search(search.query("therapy")).total == 3  # the connection is fine afterwards
