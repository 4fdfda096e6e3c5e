"""An estimate from precedent: a described request's overturn rate among its closest precedents; the
page and its API twin, and a clear message for anything that cannot be estimated."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisions import importing
from decisions.estimate import MIN_PRECEDENTS, Request, estimate, wider
from decisions.models import DecisionItem
from decisions.search.fields import section_term
from tests.letters import item, standard_letter

pytestmark = pytest.mark.django_db
ESI_SECTION = "Epidural steroid injections (ESIs)"
BLOCK_SECTION = "CRPS, sympathetic and epidural blocks"
ESI = "epidural steroid injection"


def _guideline(section):
    return f"Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): {section}."


def _letters(specs):
    """Import one letter per (name, request, outcome, section, rationale, summary)."""
    candidates = []
    for number, (name, request, outcome, section, rationale, summary) in enumerate(specs):
        lines = [item([f"{request}: {outcome}"], _guideline(section), rationale)]
        text = standard_letter(lines, summary=[f"{summary} Seen {number} times."])  # no two alike
        candidates += importing.candidates_from_upload(f"{name}.txt", text.encode())
    assert importing.import_candidates(candidates).count(importing.IMPORTED) == len(specs)


@pytest.fixture
def archive(db):
    """Twelve ESI letters citing the ESI section (four overturned, the radiculopathy ones with
    imaging), three citing the blocks section (all overturned) and two of another treatment."""
    specs = []
    for number in range(12):
        overturned = number < 4
        facts = (
            "Radiculopathy corroborated by imaging and examination."
            if overturned
            else "No objective radiculopathy was documented."
        )
        specs.append(
            (
                f"esi{number}",
                f"Lumbar epidural steroid injection L{number % 5 + 1}",
                "Overturned" if overturned else "Upheld",
                ESI_SECTION,
                facts + (" Medically necessary." if overturned else " Not medically necessary."),
                "Low back pain radiating to the leg. Diagnoses: lumbar radiculopathy."
                if overturned
                else "Low back pain. Diagnoses: lumbar strain.",
            )
        )
    for number in range(3):
        specs.append(
            (
                f"block{number}",
                "Epidural steroid injection for CRPS",
                "Overturned",
                BLOCK_SECTION,
                "Sympathetic signs are documented. Medically necessary.",
                "Burning pain of the foot. Diagnoses: complex regional pain syndrome.",
            )
        )
    for number in range(2):
        specs.append(
            (
                f"tpi{number}",
                "Trigger point injections x4",
                "Upheld",
                "Trigger point injections",
                "No circumscribed trigger points. Not medically necessary.",
                "Neck pain. Diagnoses: myofascial pain.",
            )
        )
    _letters(specs)


def test_the_rate_is_the_overturned_share_of_the_precedents_shown(archive):
    found = estimate(Request(ESI))
    assert len(found.precedents) == 15  # every ESI item, none of the trigger point injections
    assert {each.item.treatment for each in found.precedents} == {ESI}
    overturned = sum(1 for each in found.precedents if each.item.outcome == "overturned")
    assert (found.rate.overturned, found.rate.decisions) == (overturned, 15) == (7, 15)
    assert found.thin == ""
    assert all(f"same treatment: {ESI}" in each.reasons for each in found.precedents)


def test_a_cited_section_narrows_the_precedents_to_those_citing_it(archive):
    found = estimate(Request(ESI, section=section_term("chronic_pain", ESI_SECTION)))
    assert len(found.precedents) == 12 and (found.rate.overturned, found.rate.decisions) == (4, 12)
    assert all(f"also cites MTUS Chronic Pain: {ESI_SECTION}" in each.reasons for each in found.precedents), (
        found.precedents[0].reasons
    )
    assert found.scope_text == f"{ESI} citing MTUS Chronic Pain: {ESI_SECTION}"


def test_too_few_precedents_is_too_thin_to_estimate_and_says_why(archive):
    found = estimate(Request(ESI, section=section_term("chronic_pain", BLOCK_SECTION)))
    assert found.rate.decisions == 3 < MIN_PRECEDENTS
    assert found.thin == (
        f"Only 3 decisions on {ESI} citing MTUS Chronic Pain: {BLOCK_SECTION}: too few to estimate from "
        f"(an estimate needs at least {MIN_PRECEDENTS})."
    )
    nothing = estimate(Request("gabapentin"))
    assert nothing.thin == "No decision on gabapentin in the archive yet: nothing to estimate from."


def test_the_facts_bring_the_precedents_that_share_them_first(archive):
    found = estimate(
        Request(ESI, diagnosis="lumbar radiculopathy", facts="Radiculopathy corroborated by imaging."),
        k=10,
    )
    assert [each.item.outcome for each in found.precedents[:4]] == ["overturned"] * 4
    closest = found.precedents[0].reasons
    assert "same diagnosis: lumbar radiculopathy" in closest
    assert any(reason.startswith("its letter also states: ") and "imaging" in reason for reason in closest)
    assert len(found.precedents) == 10 and found.rate.decisions == 10
    assert [k for k, _ in found.wider_k] == [25]  # 50 would count the same 15
    assert found.at(25).decisions == 15


def test_the_letter_held_out_is_never_its_own_precedent(archive):
    held_out = DecisionItem.objects.get(determination__source_name="esi0.txt")
    found = estimate(Request(ESI), letter=held_out.determination_id)
    assert len(found.precedents) == 14
    assert held_out.pk not in {each.item.pk for each in found.precedents}


def test_wider_requests_give_their_rates_nearest_first(archive):
    rows = wider(Request(ESI, section=section_term("chronic_pain", ESI_SECTION)))
    assert [row.label for row in rows] == [
        f"every decision on {ESI}",
        "every decision on injections",
        "every decision",
    ]
    assert [(row.rate.overturned, row.rate.decisions) for row in rows] == [(7, 15), (7, 17), (7, 17)]
    assert rows[0].estimate == f"treatment={ESI.replace(' ', '+')}" and rows[0].search.startswith(
        "treatment="
    )


SECTION = section_term("chronic_pain", ESI_SECTION)


def test_the_page_shows_the_rate_its_interval_and_the_precedents(client, archive):
    page = client.get(
        "/estimate/", {"treatment": "Epidural steroid injection", "section": SECTION}
    ).content.decode()
    assert "33.3% overturned</strong> among the 12 closest precedents: 4 overturned, 8 upheld" in page
    assert "Judging by these 12 precedents, between 13.8% and 60.9% of requests like this one" in page
    assert page.count('<article class="hit">') == 12
    assert "also cites MTUS Chronic Pain: Epidural steroid injections (ESIs)" in page
    for precedent in DecisionItem.objects.filter(determination__source_name__startswith="esi"):
        assert f'<a href="{precedent.get_absolute_url()}">{precedent.title}</a>' in page
    # what widening gives: the treatment without the section, with a link to estimate that
    assert f"Every decision on {ESI}: 7 of 15 overturned" in page
    assert "Estimate without the section" in page
    assert '<option value="chronic_pain:epiduralsteroidinjectionsesis" selected>' in page
    assert '<option value="25" selected>the 25 closest precedents</option>' in page  # the K it used


def test_the_page_is_linked_from_every_page_and_works_as_a_plain_form(client, archive):
    page = client.get("/").content.decode()
    assert '<a href="/estimate/">Estimate</a>' in page
    empty = client.get("/estimate/").content.decode()
    for label in ("Treatment", "Guideline section the review would cite", "Diagnosis", "Facts of the case"):
        assert f">{label}</label>" in empty
    assert '<form method="get" action="/estimate/"' in empty and 'list="treatment-names"' in empty
    assert "Likely outcome" not in empty and "Please check" not in empty


def test_too_thin_is_said_plainly(client, archive):
    page = client.get(
        "/estimate/",
        {"treatment": ESI, "section": section_term("chronic_pain", "CRPS, sympathetic and epidural blocks")},
    ).content.decode()
    assert "<strong>Too thin to estimate.</strong> Only 3 decisions on" in page
    assert "overturned</strong> among" not in page


@pytest.mark.parametrize(
    "params, message",
    [
        ({"treatment": "moonbeams"}, "is not a treatment the vocabulary knows"),
        (
            {"treatment": "gabapentine"},
            "“gabapentine” is not a treatment the vocabulary knows (did you mean gabapentin?)",
        ),
        ({"treatment": ""}, "Name the treatment requested"),
        ({"treatment": ESI, "facts": "x" * 2001}, "at most 2000 characters"),
        ({"treatment": ESI, "diagnosis": "d" * 201}, "at most 200 characters"),
        ({"treatment": ESI, "section": "chronic_pain:nosuchsection"}, "Select a valid choice"),
        ({"treatment": ESI, "k": "7"}, "Select a valid choice"),
        ({"treatment": "\x00\x01"}, "Null characters are not allowed"),
    ],
)
def test_bad_input_gets_a_message_never_a_500(client, archive, params, message):
    response = client.get("/estimate/", params)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please check the request:" in page and message in page
    api = client.get("/api/estimate", params)
    assert api.status_code == 400 and message in api.json()["error"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(["treatment", "section", "diagnosis", "facts", "k"]),
        st.one_of(
            st.text(max_size=40),
            st.sampled_from([ESI, "Norco", "gabapentin", SECTION, "chronic_pain:", "10", "50", "0", "-1"]),
        ),
        max_size=5,
    )
)
def test_no_request_gives_a_server_error(client, seeded, params):
    for url in ("/estimate/", "/api/estimate"):
        assert client.get(url, params).status_code in (200, 400), (url, params)


def test_bytes_that_are_not_text_get_a_message(client, archive):
    response = client.get("/estimate/?treatment=%FF%FE&facts=%00%C3")
    assert response.status_code == 200 and "Please check the request:" in response.content.decode()
    assert client.get("/api/estimate?treatment=%FF%FE").status_code == 400


def test_the_api_twin(client, archive):
    body = client.get("/api/estimate", {"treatment": ESI, "section": SECTION, "k": "10"}).json()
    assert body["request"]["treatment"] == ESI and body["k"] == 10
    assert body["estimate"]["decisions"] == 10 and body["too_thin"] is None
    assert "Judging by these 10 precedents" in body["estimate"]["in_words"]
    assert len(body["precedents"]) == 10 and all(each["why_similar"] for each in body["precedents"])
    assert [each.get("closest") for each in body["closer_or_wider"][:2]] == [25, None]  # 12 in all
    assert body["closer_or_wider"][1]["label"] == f"every decision on {ESI}"
    thin = client.get("/api/estimate", {"treatment": "gabapentin"}).json()
    assert thin["estimate"] is None and thin["too_thin"].startswith("No decision on gabapentin")


def test_an_items_similar_page_offers_an_estimate_of_a_request_like_it(client, archive):
    source = DecisionItem.objects.get(determination__source_name="esi0.txt")
    page = client.get(f"/items/{source.pk}/similar/").content.decode()
    link = (
        '<a class="estimate-link" href="/estimate/?treatment=epidural+steroid+injection'
        '&amp;section=chronic_pain%3Aepiduralsteroidinjectionsesis&amp;diagnosis=lumbar+radiculopathy">'
    )
    assert link in page, page[page.find("estimate-link") - 200 : page.find("estimate-link") + 300]
    followed = client.get(
        "/estimate/", {"treatment": ESI, "section": SECTION, "diagnosis": "lumbar radiculopathy"}
    ).content.decode()
    assert "among the 12 closest precedents" in followed


def test_brier_score_and_reliability_table_on_known_numbers():
    from decisions.stats import brier, reliability

    pairs = [(0.1, 0), (0.1, 1), (0.8, 1), (0.5, 0), (1.0, 1)]
    assert brier(pairs) == pytest.approx((0.01 + 0.81 + 0.04 + 0.25 + 0) / 5)
    # always predicting the base rate p scores p(1 - p)
    assert brier([(0.25, 1)] + [(0.25, 0)] * 3) == pytest.approx(0.25 * 0.75)
    low, middle, top = reliability(pairs, (0.0, 0.5, 0.9, 1.0))
    assert (low.count, low.predicted, low.observed.overturned, low.observed.decisions) == (2, 0.1, 1, 2)
    assert (middle.count, middle.predicted, middle.observed.share) == (
        2,
        pytest.approx(0.65),
        0.5,
    )  # 0.5 starts it
    assert (top.count, top.predicted, top.observed.decisions) == (1, 1.0, 1)  # the last takes 1.0
