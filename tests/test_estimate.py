"""An estimate from precedent: a described request's overturn rate among its closest precedents."""

import pytest

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
    assert nothing.thin == "No decision of another letter on gabapentin yet: nothing to estimate from."


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
    assert [k for k, _ in found.wider_k] == [25, 50]
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
