"""Cited sections as a first-class citation: stored once however spelled, searched, filtered and
faceted (the IMR reviewer's and the claims administrator's apart), on hits, letters, insights, the
API and the CSV; partial authorizations and case outcomes as filters; a re-parse fills them in."""

import csv
import io
import json

import pytest

from decisions import importing
from decisions.models import CitedSection, DecisionItem, Determination, GuidelineCitation, GuidelineSection
from tests.test_parsing_real_family import LEFT, LEFT_VALUES, letter_2016

MUSCLE = (
    "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Muscle relaxants (for pain)."
)
MUSCLE_SHOUTED = (
    "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): MUSCLE RELAXANTS (FOR PAIN)."
)
LOW_BACK = "Decision based on MTUS Low Back Complaints 2004, Section(s): Special Studies, Summary."
NECK = "Decision based on MTUS Neck and Upper Back Complaints 2004, Section(s): special studies."
CLAIMS_OPIOIDS = (
    "Decision based on MTUS Chronic Pain Medical Treatment 2009, Section(s): Opioids, criteria for use."
)
PARTIAL = [
    "Baclofen 10mg #90 was the original request. Baclofen 10mg #60 was authorized by the Claims",
    "Administrator. The remaining IMR eligible portion of the original request, Baclofen 10mg #30 is:",
    "Overturned",
]


def _letter(case, items, claims=None):
    """A 2016 letter; items are (heading lines, MAXIMUS guideline); claims the claims guideline."""
    text = letter_2016([*LEFT, "", case, *LEFT_VALUES[1:]], items)
    if claims:
        text = text.replace(
            "Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical", claims
        )
    return importing.Candidate(f"{case}.txt", text.encode())


@pytest.fixture
def archive(db):
    letters = [
        _letter(
            "CM16-0000001",
            [(["Baclofen 10mg #60: Upheld"], MUSCLE), (["MRI of the lumbar spine: Upheld"], LOW_BACK)],
        ),
        _letter(
            "CM16-0000002",
            [(["Tizanidine 4mg #30: Overturned"], MUSCLE_SHOUTED)],
            claims=f"Claims Administrator guideline: {CLAIMS_OPIOIDS}",
        ),
        _letter("CM16-0000003", [(PARTIAL, MUSCLE), (["MRI of the cervical spine: Upheld"], NECK)]),
    ]
    report = importing.import_candidates(letters)
    assert report.count(importing.IMPORTED) == 3, report.results
    return report


def _total(client, **params):
    body = client.get("/api/items", params).json()
    assert "error" not in body, body
    return body["count"]


def test_one_section_is_stored_once_however_letters_spell_it(archive):
    muscle = GuidelineSection.objects.get(guideline="chronic_pain", key="musclerelaxantsforpain")
    assert muscle.name == "Muscle relaxants (for pain)"
    assert CitedSection.objects.filter(section=muscle).count() == 3
    assert set(GuidelineSection.objects.filter(key="specialstudies").values_list("guideline", "name")) == {
        ("acoem_12", "Special Studies"),
        ("acoem_8", "Special Studies"),
    }


@pytest.mark.parametrize(
    "params, total",
    [
        ({"section": "chronic_pain:musclerelaxantsforpain"}, 3),  # the term a facet links
        ({"section": "chronic_pain:Muscle relaxants (for pain)"}, 3),  # as a person writes it
        ({"section": "chronic_pain:muscle RELAXANTS for pain"}, 3),
        ({"section": "acoem_12:Special Studies"}, 1),
        ({"section": "Special Studies"}, 2),  # in any guideline
        ({"section": ["acoem_12:Summary", "acoem_8:Special Studies"]}, 2),  # either
        ({"section": "acoem_12:Special Studies", "outcome": "overturned"}, 0),
        ({"ur_section": "chronic_pain:Opioids, criteria for use"}, 1),
        ({"section": "chronic_pain:Opioids, criteria for use"}, 0),  # the reviewer did not cite it
        ({"q": 'section:"Special Studies"'}, 2),
        ({"q": 'section:"chronic_pain:muscle relaxants (for pain)" AND outcome:overturned'}, 2),
        ({"guideline": "acoem_8"}, 1),
        ({"authorized": "partly"}, 1),
        ({"authorized": "none"}, 4),
        ({"case_outcome": "partial_overturn"}, 2),
        ({"case_outcome": "overturned"}, 1),
        ({"case_outcome": "upheld"}, 2),
    ],
)
def test_sections_partial_authorizations_and_case_outcomes_filter(client, archive, params, total):
    assert _total(client, **params) == total


def test_a_section_names_nothing_gets_a_sentence_not_a_500(client, archive):
    response = client.get("/", {"section": ":"})
    assert response.status_code == 200
    assert "names no section" in response.content.decode()
    assert client.get("/api/items", {"section": " , "}).status_code == 400


def test_the_section_facet_labels_each_section_with_its_guideline(client, archive):
    facets = client.get("/api/items", {"q": "mri OR baclofen OR tizanidine"}).json()["facets"]
    labels = {value["label"]: value["count"] for value in facets["section"]}
    assert labels["MTUS Chronic Pain: Muscle relaxants (for pain)"] == 3
    assert labels["ACOEM Low Back: Special Studies"] == 1
    assert labels["ACOEM Neck and Upper Back: Special Studies"] == 1
    ur_labels = {value["label"] for value in facets["ur_section"]}
    assert "MTUS Chronic Pain: Opioids, criteria for use" in ur_labels


def test_the_search_page_lists_sections_by_guideline_and_links_each_citation(client, archive):
    page = client.get("/", {"section": "chronic_pain:musclerelaxantsforpain"}).content.decode()
    assert '<optgroup label="ACOEM Low Back">' in page and ">Special Studies (1)</option>" in page
    assert "Cited section: MTUS Chronic Pain: Muscle relaxants (for pain)" in page  # the chip
    assert 'href="/cited/chronic_pain/section/musclerelaxantsforpain/"' in page  # each hit's citation
    assert "partly authorized" in page and "Baclofen 10mg #30" in page  # the remainder is the title
    claims = client.get("/", {"ur_section": "chronic_pain:opioidscriteriaforuse"}).content.decode()
    assert "The claims administrator relied on:" in claims and "Opioids, criteria for use" in claims


def test_the_letter_shows_the_partial_authorization_and_both_parties_citations(client, archive):
    letter = Determination.objects.get(case_number="CM16-0000003")
    page = client.get(letter.get_absolute_url()).content.decode()
    assert "Authorized by the claims administrator" in page and "Baclofen 10mg #60" in page
    assert "Decided by IMR" in page and "Baclofen 10mg #30" in page
    assert "Partial overturn" in page and "Standard" in page
    other = Determination.objects.get(case_number="CM16-0000002")
    page = client.get(other.get_absolute_url()).content.decode()
    assert 'href="/?ur_section=chronic_pain%3Aopioidscriteriaforuse"' in page


def test_the_api_and_the_csv_carry_sections_and_authorizations(client, archive):
    body = client.get("/api/items", {"authorized": "partly"}).json()
    (item,) = body["results"]
    assert item["authorization"] == {
        "original": "Baclofen 10mg #90",
        "authorized": "Baclofen 10mg #60",
        "remaining": "Baclofen 10mg #30",
    }
    assert item["citations"][0]["sections"] == ["Muscle relaxants (for pain)"]
    assert item["case_outcome"] == "partial_overturn"
    letter = client.get(f"/api/determinations/{item['determination_id']}").json()
    assert letter["priority"] == "Standard" and letter["dates"]["assigned"] == "2016-11-09"
    exported = client.get("/export.csv", {"section": "Special Studies"})
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert len(rows) == 2 and all("§ Special Studies" in row["citations"] for row in rows)
    assert {row["partly_authorized"] for row in rows} == {"no"}


def test_insights_count_decisions_per_cited_section(client, archive):
    body = client.get("/api/stats").json()["breakdowns"]
    by_section = {row["label"]: row for row in body["section"]["rows"]}
    muscle = by_section["MTUS Chronic Pain: Muscle relaxants (for pain)"]
    assert (muscle["decisions"], muscle["overturned"]) == (3, 2)
    assert "MTUS Chronic Pain: Opioids, criteria for use" in {
        row["label"] for row in body["ur_section"]["rows"]
    }


def test_a_reparse_fills_what_an_older_parser_left_out_and_says_what_changed(
    admin_client, archive, run_worker
):
    # as the parser before sections and partial authorizations stored these letters
    CitedSection.objects.all().delete()
    GuidelineCitation.objects.update(guideline="")
    DecisionItem.objects.update(original_request="", authorized="", disputed="", treatment="")
    Determination.objects.update(date_assigned=None, decision_date=None, parser_version=0)
    health = admin_client.get("/admin/decisions/determination/health/").content.decode()
    assert "3 letters</strong> were read by an older version of the parser" in health
    assert _total(admin_client, section="Special Studies") == 2  # the index still has them

    importing.reparse(Determination.objects.filter(case_number="CM16-0000001"))  # one letter by hand
    admin_client.post("/admin/decisions/job/start/reparse/")
    run_worker()
    summary = admin_client.get("/admin/decisions/job/").context["cl"].result_list[0].reported_summary
    assert summary["dates filled"] == 4 and summary["items citing differently"] == 3
    assert summary["partial authorizations found"] == 1 and summary["letters changed"] == 2
    assert CitedSection.objects.count() == 7 and Determination.objects.filter(parser_version=0).count() == 0
    assert (
        "Every letter was read by the current parser"
        in admin_client.get("/admin/decisions/determination/health/").content.decode()
    )
    assert _total(admin_client, authorized="partly") == 1


def test_the_letter_json_keeps_the_schema_and_adds_what_the_real_letters_show(archive):
    from django.core.management import call_command

    out = io.StringIO()
    item = DecisionItem.objects.get(disputed="Baclofen 10mg #30")
    call_command("parse_letter", item.determination.original_file.path, "--json", stdout=out)
    (letter,) = json.loads(out.getvalue())
    partial = letter["items"][0]
    assert partial["authorization"]["remaining"] == "Baclofen 10mg #30"
    assert partial["treatment"]["quantity"] == 30
    assert letter["items"][1]["citations"] == [
        {
            "source": "acoem",
            "chapter": "8",
            "topic": None,
            "pages": [],
            "sections": ["Special Studies"],
            "guideline": "acoem_8",
        }
    ]
