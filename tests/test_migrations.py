"""An archive stored before the real-letter fields migrates forward: nothing is lost, each letter's
case outcome is filled from its items, and the letters wait for a re-parse to fill the rest."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("decisions", "0004_letter_layouts")]
AFTER = [("decisions", "0005_real_letters")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_letters_stored_before_migrate_forward_with_their_case_outcomes():
    old = _migrate(BEFORE)
    Determination, DecisionItem = (
        old.get_model("decisions", "Determination"),
        old.get_model("decisions", "DecisionItem"),
    )
    outcomes = {
        "upheld.txt": ["upheld", "upheld"],
        "overturned.txt": ["overturned"],
        "mixed.txt": ["upheld", "overturned"],
    }
    for name, items in outcomes.items():
        letter = Determination.objects.create(
            source_name=name, content_sha256=name.ljust(64, "0"), text="", parsed_at="2024-01-01T00:00Z"
        )
        for position, outcome in enumerate(items, start=1):
            DecisionItem.objects.create(
                determination=letter,
                position=position,
                request=f"item {position}",
                outcome=outcome,
                treatment_category="other",
                necessity="unstated",
            )
    new = _migrate(AFTER)
    Determination = new.get_model("decisions", "Determination")
    assert dict(Determination.objects.values_list("source_name", "case_outcome")) == {
        "upheld.txt": "upheld",
        "overturned.txt": "overturned",
        "mixed.txt": "partial_overturn",
    }
    assert set(Determination.objects.values_list("parser_version", flat=True)) == {0}  # to be re-parsed
    assert new.get_model("decisions", "DecisionItem").objects.count() == 5
    _migrate(_latest())


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
