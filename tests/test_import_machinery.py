"""The pieces a large import stands on: rows written without model instances, and work done one
call behind in a process of its own."""

import os

import pytest

from decisions import bulk, importing, processes
from decisions.models import DecisionItem, Determination, IndexChange


@pytest.mark.django_db
def test_rows_return_each_rows_primary_key_across_several_statements():
    letter = Determination.objects.create(
        source_name="a.txt", content_sha256="a" * 64, parsed_at="2024-01-01T00:00Z"
    )
    count = 3 * bulk.MAX_PARAMETERS // len(importing.ITEMS.fields) + 7  # more than one statement carries
    positions = list(range(count, 0, -1))  # not in the order the table will number them
    values = ("request", "", "other", "", "", None, None, "upheld", "", "", "", "", "", "", "", False)
    values += (["criteria_met"], ["The criteria are met."])  # JSON fields, prepared by the field
    pks = importing.ITEMS.insert_returning_pks(
        [(letter.pk, position, f"request {position}", *values[1:]) for position in positions], key=(0, 1)
    )
    stored = dict(DecisionItem.objects.values_list("pk", "position"))
    assert len(stored) == count
    assert [stored[pk] for pk in pks] == positions
    first = DecisionItem.objects.get(pk=pks[0])
    assert first.request == f"request {count}" and first.reasons == ["criteria_met"]
    assert first.reason_sentences == ["The criteria are met."]


@pytest.mark.django_db
def test_rows_insert_nothing_for_no_rows_and_refuse_fields_that_need_converting(django_assert_num_queries):
    rows = bulk.Rows(DecisionItem, ["determination_id", "position"])
    with django_assert_num_queries(0):
        rows.insert([])
        assert rows.insert_returning_pks([], key=(0,)) == []
    with pytest.raises(TypeError, match="created_at"):
        bulk.Rows(IndexChange, ["determination_id", "created_at"])


def _append_pid(path, word):
    if word == "fail":
        raise ValueError("the background call failed")
    with open(path, "a") as out:
        out.write(f"{word} {os.getpid()}\n")


def test_calls_run_in_order_in_one_other_process(tmp_path):
    log = tmp_path / "log"
    with processes.OneBehind(_append_pid, forked=True) as behind:
        for word in ["one", "two", "three"]:
            behind(log, word)
    lines = [line.split() for line in log.read_text().splitlines()]
    assert [word for word, _ in lines] == ["one", "two", "three"]
    assert len({pid for _, pid in lines}) == 1 and lines[0][1] != str(os.getpid())


def test_a_failed_call_is_raised_to_the_caller_by_the_next_call(tmp_path):
    log = tmp_path / "log"
    with (
        pytest.raises(ValueError, match="background call failed"),
        processes.OneBehind(_append_pid, forked=True) as behind,
    ):
        behind(log, "fail")
        behind(log, "never")
    assert not log.exists()


def test_a_failed_last_call_is_raised_when_the_work_ends(tmp_path):
    with (
        pytest.raises(ValueError, match="background call failed"),
        processes.OneBehind(_append_pid, forked=True) as behind,
    ):
        behind(tmp_path / "log", "fail")


def test_without_forking_calls_run_here(tmp_path):
    log = tmp_path / "log"
    with processes.OneBehind(_append_pid, forked=False) as behind:
        behind(log, "here")
    assert log.read_text().split() == ["here", str(os.getpid())]
