"""The real letters of ../shared/real imported as an archive: every letter dated, no warning on the
parse-health page, and the counts a search gives checked against truth.json rather than against
the parser's own reading."""

import re

import pytest

from decisions import importing
from decisions.models import Determination
from tests import real_letters

pytestmark = pytest.mark.skipif(not real_letters.TRUTH_FILE.is_file(), reason="../shared/real is not here")


@pytest.fixture
def real_archive(db):
    report = importing.import_candidates(
        importing.candidates_from_paths(sorted(real_letters.REAL.glob("letters/*.txt")))
    )
    assert report.count(importing.IMPORTED) == 150, report.summary()
    return real_letters.truth()


def _items(truth, keep):
    return [item for entry in truth.values() for item in entry["truth"]["items"] if keep(item)]


def _count(client, **params):
    body = client.get("/api/items", params).json()
    assert "error" not in body, body
    return body["count"], body["overturned"]["overturned"] if body["overturned"] else 0


def test_a_section_finds_what_truth_json_says_cites_it(client, real_archive):
    cites = re.compile(
        r"Chronic Pain Medical Treatment \d{4}(?: Guidelines)?, Section\(s\):[^.]*Physical medicine"
    )
    expected = _items(real_archive, lambda item: cites.search(item["maximus_guideline"] or ""))
    overturned = sum(item["outcome"] == "overturned" for item in expected)
    assert _count(client, section="chronic_pain:Physical medicine treatment") == (len(expected), overturned)
    low_back = re.compile(r"Low Back Complaints 2004, Section\(s\):[^.]*Special Studies")
    expected = _items(real_archive, lambda item: low_back.search(item["maximus_guideline"] or ""))
    assert _count(client, section="acoem_12:Special Studies")[0] == len(expected) > 0


def test_what_the_claims_administrator_cited_is_found_apart_from_the_reviewer(client, real_archive):
    claims = re.compile(r"Section\(s\):\s*Opioids, criteria for use")
    expected = _items(real_archive, lambda item: claims.search(item["claims_administrator_guideline"] or ""))
    assert _count(client, ur_section="chronic_pain:Opioids, criteria for use")[0] == len(expected) == 1
    assert _count(client, section="chronic_pain:Opioids, criteria for use")[0] == 0


def test_partial_authorizations_and_case_outcomes_as_truth_json_has_them(client, real_archive):
    partial = _items(real_archive, lambda item: item.get("partial_authorization"))
    assert _count(client, authorized="partly")[0] == len(partial) == 39
    mixed = [
        name
        for name, entry in real_archive.items()
        if {item["outcome"] for item in entry["truth"]["items"]} == {"upheld", "overturned"}
    ]
    mixed_items = sum(len(real_archive[name]["truth"]["items"]) for name in mixed)
    assert _count(client, case_outcome="partial_overturn")[0] == mixed_items


def test_every_real_letter_is_dated_and_parse_health_has_nothing_to_warn_of(admin_client, real_archive):
    page = admin_client.get("/admin/decisions/determination/health/").content.decode()
    assert "No letter has a warning." in page
    assert not Determination.objects.filter(decision_date=None).exists()
    assert _count(admin_client, decided_after="2016-12-01", decided_before="2016-12-31")[0] == sum(
        len(entry["truth"]["items"])
        for entry in real_archive.values()
        if entry["truth"]["dates"]["decision"].startswith("2016-12")
    )
