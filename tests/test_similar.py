"""Similar decisions: from an item to the items of other letters most like it, with reasons."""

import pytest

from decisions import importing
from decisions.models import DecisionItem
from tests.letters import item, standard_letter

pytestmark = pytest.mark.django_db
GUIDELINE = (
    "Decision based on MTUS Chronic Pain Treatment Guidelines Epidural steroid injections Page(s): 46."
)
RADICULOPATHY = "Radiculopathy is not corroborated by imaging or electrodiagnostic testing. "
REPEAT_BLOCK = "A repeat block needs fifty percent relief for six to eight weeks after the first. "

# (letter, request, outcome, rationale, summary)
LETTERS = [
    (
        "source",
        "Cervical epidural steroid injection C5-6",
        "Upheld",
        RADICULOPATHY + "Not medically necessary.",
        "Neck pain radiating to the arm. Diagnoses: cervical radiculopathy, cervical strain.",
    ),
    (
        "close",
        "Cervical epidural steroid injection C6-7",
        "Upheld",
        RADICULOPATHY + "Therefore not medically necessary.",
        "Neck pain radiating to the left arm. Diagnoses: cervical radiculopathy.",
    ),
    (
        "repeat",
        "Lumbar epidural steroid injection L4-5",
        "Upheld",
        REPEAT_BLOCK + "Not medically necessary.",
        "Low back pain after lifting.",
    ),
    (
        "overturned",
        "Epidural steroid injection L5-S1",
        "Overturned",
        "Radiculopathy is corroborated by imaging and examination. The request is medically necessary.",
        "Leg pain with numbness.",
    ),
    (
        "other class",
        "Trigger point injections x4",
        "Upheld",
        RADICULOPATHY + "Not medically necessary.",
        "Neck pain radiating to the arm.",
    ),
]


@pytest.fixture
def letters(db):
    candidates = []
    for name, request, outcome, rationale, summary in LETTERS:
        items = [item([f"{request}: {outcome}"], GUIDELINE, rationale)]
        if name == "source":  # a second level in the same letter is never offered as like the first
            items.append(item(["Cervical epidural steroid injection C4-5: Upheld"], GUIDELINE, rationale))
        text = standard_letter(items, summary=[summary])
        candidates += importing.candidates_from_upload(f"{name}.txt", text.encode())
    assert importing.import_candidates(candidates).count(importing.IMPORTED) == len(LETTERS)
    return {
        name: DecisionItem.objects.get(determination__source_name=f"{name}.txt", request=request)
        for name, request, *_ in LETTERS
    }


def test_similar_items_share_the_treatment_and_come_closest_first(client, letters):
    source = letters["source"]
    body = client.get(f"/api/items/{source.pk}/similar").json()
    requests = [found["request"] for found in body["results"]]
    assert requests[0] == "Cervical epidural steroid injection C6-7"
    assert "Epidural steroid injection L5-S1" in requests  # shares words, not the outcome
    assert "Lumbar epidural steroid injection L4-5" not in requests  # same treatment, nothing in common
    assert "Trigger point injections x4" not in requests  # another treatment, no drug class to widen to
    assert "Cervical epidural steroid injection C4-5" not in requests  # the same letter
    assert all(found["treatment"]["name"] == "epidural steroid injection" for found in body["results"])
    closest = body["results"][0]
    assert "same treatment: epidural steroid injection" in closest["why_similar"]
    assert "also upheld" in closest["why_similar"] and "also cites p. 46" in closest["why_similar"]
    assert "same diagnosis: cervical radiculopathy" in closest["why_similar"]
    assert "same body part: cervical" in closest["why_similar"]
    assert any(
        reason.startswith("both rationales state: ") and "radiculopathy" in reason
        for reason in closest["why_similar"]
    )
    overturned = next(found for found in body["results"] if found["outcome"] == "overturned")
    assert "overturned (this one: upheld)" in overturned["why_similar"]
    assert body["item"]["id"] == source.pk


def test_similar_decisions_page_is_linked_from_each_item_of_a_letter(client, letters):
    source = letters["source"]
    letter_page = client.get(source.determination.get_absolute_url()).content.decode()
    assert (
        f'<a class="similar-link" href="/items/{source.pk}/similar/">Similar decisions →</a>' in letter_page
    )
    page = client.get(f"/items/{source.pk}/similar/").content.decode()
    assert "Decisions like this one" in page and "Cervical epidural steroid injection C6-7" in page
    assert "same treatment: epidural steroid injection" in page
    # the closest of each outcome, overturned first
    assert (
        page.index("Overturned</span> precedents")
        < page.index("L5-S1")
        < page.index("Upheld</span> precedents")
    )
    assert page.index("Upheld</span> precedents") < page.index("C6-7")


def test_a_drug_widens_to_its_class_when_its_treatment_has_too_few(client, db):
    opioid = "Decision based on MTUS Chronic Pain Treatment Guidelines Opioids Page(s): 78."
    reason = "No functional improvement and no urine drug screen are documented. Not medically necessary."
    candidates = []
    for number, request in enumerate(["Norco 10/325mg #120", "Percocet 10/325mg #90", "Baclofen 10mg #60"]):
        text = standard_letter([item([f"{request}: Upheld"], opioid, reason)])
        candidates += importing.candidates_from_upload(f"drug{number}.txt", text.encode())
    importing.import_candidates(candidates)
    norco = DecisionItem.objects.get(request="Norco 10/325mg #120")
    body = client.get(f"/api/items/{norco.pk}/similar").json()
    assert "results" in body, body
    results = body["results"]
    assert [found["request"] for found in results] == ["Percocet 10/325mg #90"]
    assert "same drug class: opioid" in results[0]["why_similar"]


@pytest.mark.parametrize("url, status", [("/api/items/999999/similar", 404), ("/items/999999/similar/", 404)])
def test_unknown_items(client, db, url, status):
    assert client.get(url).status_code == status


@pytest.mark.parametrize("limit", ["0", "51", "x", "-1", "²", "1⁰"])
def test_similar_limit_is_checked(client, letters, limit):
    response = client.get(f"/api/items/{letters['source'].pk}/similar", {"limit": limit})
    assert (
        response.status_code == 400
        and "limit must be a whole number from 1 to 50" in response.json()["error"]
    )


def test_an_item_with_nothing_distinctive_to_go_on_has_no_similar_items(client, db):
    text = standard_letter([item(["Norco 10/325mg #120: Upheld"], GUIDELINE, "Not medically necessary.")])
    importing.import_candidates(importing.candidates_from_upload("bare.txt", text.encode()))
    bare = DecisionItem.objects.get()
    assert client.get(f"/api/items/{bare.pk}/similar").json()["results"] == []
    page = client.get(f"/items/{bare.pk}/similar/").content.decode()
    assert "No upheld item of another letter is like this one yet." in page
    assert "No overturned item of another letter is like this one yet." in page


def test_the_closest_precedents_of_each_outcome_with_more_on_request_and_no_boilerplate(client, db):
    """Found with an overturned Norco item whose ten similar decisions were all upheld, their shared
    words boilerplate ("line, regarding")."""
    opioid = "Decision based on MTUS Chronic Pain Treatment Guidelines Opioids Page(s): 78."
    boilerplate = "Regarding the request on the first line, the guideline is clear. "
    upheld = boilerplate + "No urine drug screen and no functional improvement. Not medically necessary."
    overturned = boilerplate + "Pain scores fell and function improved on Norco. Medically necessary."
    candidates = []
    for number in range(12):
        outcome, rationale = ("Overturned", overturned) if number < 3 else ("Upheld", upheld)
        text = standard_letter([item([f"Norco 10/325mg #{60 + number}: {outcome}"], opioid, rationale)])
        candidates += importing.candidates_from_upload(f"norco{number}.txt", text.encode())
    importing.import_candidates(candidates)
    source = DecisionItem.objects.get(request="Norco 10/325mg #60")  # overturned
    body = client.get(f"/api/items/{source.pk}/similar", {"outcome": "overturned"}).json()
    assert [found["outcome"] for found in body["results"]] == ["overturned", "overturned"]
    assert all(
        "regarding" not in reason and "line" not in reason
        for f in body["results"]
        for reason in f["why_similar"]
    )
    assert any(
        "both rationales state: " in reason and "function" in reason
        for reason in body["results"][0]["why_similar"]
    )
    page = client.get(f"/items/{source.pk}/similar/").content.decode()
    upheld_list = page[page.index("Upheld</span> precedents") :]
    assert upheld_list.count('<article class="hit">') == 5 and "Show more upheld precedents" in upheld_list
    more = client.get(f"/items/{source.pk}/similar/", {"upheld": "15"}).content.decode()
    assert (
        more[more.index("Upheld</span> precedents") :].count('<article class="hit">') == 9
    )  # every one there is
    assert client.get(f"/api/items/{source.pk}/similar", {"outcome": "maybe"}).status_code == 400
