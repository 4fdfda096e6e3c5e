"""The contract suite on the PostgreSQL backend (CI's PostgreSQL run), and what only it has."""

import pytest
from django.db import connection

from decisions import search
from decisions.models import DecisionItem, Determination
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


def _counted_from_every_row():
    from decisions.search.backends.postgres.models import TALLIED_COLUMNS

    counted = {}
    with connection.cursor() as cursor:
        for name in TALLIED_COLUMNS:
            cursor.execute(
                f"SELECT value, count(*), count(*) FILTER (WHERE 'overturned' = ANY(outcome)) "
                f"FROM search_postgres_itemdocument, unnest({name}) value GROUP BY value"
            )
            counted[name] = {value: (count, overturned) for value, count, overturned in cursor.fetchall()}
    return counted


def _facets_of_everything(backend):
    from decisions.search.backends.postgres.models import TALLIED_COLUMNS, ItemDocument

    results = backend.search(search.SearchQuery(facets=tuple((name, None) for name in TALLIED_COLUMNS)))
    assert results.total == ItemDocument.objects.count()
    return {
        name: {f.value: (f.count, f.overturned) for f in counts} for name, counts in results.facets.items()
    }


def test_facets_of_a_search_without_words_or_filters_stay_equal_to_counting_every_row(postgres):
    import_corpus()
    assert _facets_of_everything(postgres) == _counted_from_every_row()
    letters = list(Determination.objects.values_list("pk", flat=True))
    item = DecisionItem.objects.filter(determination_id=letters[0]).first()
    DecisionItem.objects.filter(pk=item.pk).update(
        outcome="overturned" if item.outcome != "overturned" else "upheld"
    )
    postgres.index([letters[0]])  # re-indexed with a changed outcome
    postgres.remove([letters[1]])
    postgres.remove_items(
        DecisionItem.objects.filter(determination_id=letters[2]).values_list("pk", flat=True)
    )
    assert _facets_of_everything(postgres) == _counted_from_every_row()
    postgres.rebuild(letters)
    assert _facets_of_everything(postgres) == _counted_from_every_row()
