"""What adjusters hit on a generated archive, each the way it was found: counts that must equal the
letters' own truth, a letter imported twice, a field prefix that dropped an expansion."""

import pytest

from decisions import importing
from tests.letters import item, standard_letter

NOT_NECESSARY = "There is no documented functional improvement. The request is not medically necessary."
NECESSARY = "Functional gains are documented. The request is medically necessary."
ESI_GUIDELINE = (
    "Decision based on MTUS Chronic Pain Treatment Guidelines Epidural steroid injections Page(s): 46."
)


def _letter(name, requests, outcome="Upheld", header=()):
    rationale = NECESSARY if outcome == "Overturned" else NOT_NECESSARY
    items = [item([f"{request}: {outcome}"], ESI_GUIDELINE, rationale) for request in requests]
    return importing.Candidate(name, standard_letter(items, header=header).encode())


def _api(client, **params):
    body = client.get("/api/items", params).json()
    assert "error" not in body, body
    return body


@pytest.mark.django_db
def test_every_way_a_reviewer_writes_an_epidural_injection_counts_as_one(client):
    written = [
        "Lumbar epidural steroid injection L4-5",
        "CESI C5-6",
        "Right L5-S1 TFESI",
        "Bilateral LESI L4-5",
    ]
    letters = [_letter(f"esi-{n}.txt", [request]) for n, request in enumerate(written)]
    letters.append(_letter("esi-overturned.txt", ["Left C6-7 CESI"], outcome="Overturned"))
    assert importing.import_candidates(letters).count(importing.IMPORTED) == 5
    facets = {f["value"]: f for f in _api(client)["facets"]["treatment"]}
    assert (
        facets["epidural steroid injection"]["count"],
        facets["epidural steroid injection"]["overturned"],
    ) == (5, 1)
    assert _api(client, treatment="epidural steroid injection")["count"] == 5


@pytest.mark.django_db
def test_parse_health_gives_the_share_of_items_with_no_treatment(admin_client):
    letters = [
        _letter("known.txt", ["CESI C5-6", "Norco 10/325 #60", "Gabapentin 300mg"]),
        _letter("odd.txt", ["Zorbulator therapy"]),
    ]
    importing.import_candidates(letters)
    page = admin_client.get("/admin/decisions/determination/health/").content.decode()
    assert "(25% of items)" in page and "Zorbulator therapy" in page
