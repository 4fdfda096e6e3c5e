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


CASE_HEADER = ["Case Number: CM18-0006118 Date Assigned: 01/05/2018", "Decision Date: 02/11/2018", ""]


@pytest.mark.django_db
def test_a_letter_imported_as_its_pdf_then_as_its_text_is_stored_once(client):
    from tests.letters import pdf_bytes

    text = standard_letter(
        [item(["Norco 10/325mg #60: Upheld"], ESI_GUIDELINE, NOT_NECESSARY)], header=CASE_HEADER
    )
    pdf = importing.import_candidates([importing.Candidate("CM18-0006118.pdf", pdf_bytes(text))])
    again = importing.import_candidates([importing.Candidate("CM18-0006118.txt", text.encode())])
    (result,) = again.results
    assert pdf.count(importing.IMPORTED) == 1 and result.status == importing.DUPLICATE
    assert (
        result.message
        == "the same letter (case CM18-0006118, the same 1 item) already present as CM18-0006118.pdf"
    )
    assert _api(client, case="CM18-0006118")["count"] == 1
    # both in one upload: the second is the copy, said so
    both = importing.import_candidates(
        [
            importing.Candidate("b.txt", text.replace("Norco", "Percocet").encode()),
            importing.Candidate(
                "b.pdf", pdf_bytes(text.replace("Norco", "Percocet").replace("CM18-0006118", "CM18-0006119"))
            ),
        ]
    )
    assert [r.status for r in both.results] == [importing.IMPORTED, importing.IMPORTED]  # other cases


@pytest.mark.django_db
def test_copies_stored_before_are_found_after_a_reparse_and_removed_keeping_the_first(
    admin_client, django_capture_on_commit_callbacks
):
    from decisions.models import Determination
    from tests.letters import pdf_bytes

    text = standard_letter(
        [item(["Norco 10/325mg #60: Upheld"], ESI_GUIDELINE, NOT_NECESSARY)], header=CASE_HEADER
    )
    importing.import_candidates([importing.Candidate("first.pdf", pdf_bytes(text))])
    Determination.objects.update(letter_key="")  # as the importer before this one stored it
    importing.import_candidates([importing.Candidate("second.txt", text.encode())])
    assert _api(admin_client, case="CM18-0006118")["count"] == 2
    importing.reparse(Determination.objects.all())
    page = admin_client.get("/admin/decisions/determination/health/").content.decode()
    assert "1 letter</strong> is a copy of one stored earlier" in page
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/decisions/determination/health/remove-copies/")
    assert list(Determination.objects.values_list("source_name", flat=True)) == ["first.pdf"]
    assert _api(admin_client, case="CM18-0006118")["count"] == 1
    assert (
        "No letter is stored twice."
        in admin_client.get("/admin/decisions/determination/health/").content.decode()
    )


@pytest.mark.django_db
def test_a_field_prefix_keeps_what_an_abbreviation_or_brand_stands_for(client):
    opioid = "Decision based on MTUS Chronic Pain Treatment Guidelines Opioids Page(s): 78."
    screened = "A urine drug screen was inconsistent with the prescribed Norco. The request is not necessary."
    spelled = "Hydrocodone/acetaminophen gave no functional gains. The request is not medically necessary."
    letters = [
        importing.Candidate(
            "uds.txt", standard_letter([item(["Oxycodone 10mg #60: Upheld"], opioid, screened)]).encode()
        ),
        importing.Candidate(
            "generic.txt",
            standard_letter([item(["Hydrocodone 10/325 #90: Upheld"], opioid, spelled)]).encode(),
        ),
    ]
    importing.import_candidates(letters)
    assert _api(client, q="rationale:UDS")["count"] == _api(client, q="UDS")["count"] == 1
    assert _api(client, q="rationale:Norco")["count"] == 2  # the brand, and its generic spelled out
    page = client.get("/", {"q": "rationale:UDS"}).content.decode()
    assert "rationale:UDS — also searching “urine drug screen”" in page and "in the rationale." in page


def _dated_letter(name, requests_outcomes, decided):
    header = [f"Case Number: CM{decided[-2:]}-{abs(hash(name)) % 10**7:07d} Decision Date: {decided}", ""]
    items = [
        item(
            [f"{request}: {outcome}"], ESI_GUIDELINE, NECESSARY if outcome == "Overturned" else NOT_NECESSARY
        )
        for request, outcome in requests_outcomes
    ]
    return importing.Candidate(name, standard_letter(items, header=header).encode())


@pytest.mark.django_db
def test_insights_compare_two_treatments_year_by_year_with_their_intervals(client):
    letters = []
    plan = {  # (treatment request, year): (items, overturned)
        ("Lumbar ESI L4-5", "2015"): (12, 1),
        ("Lumbar ESI L4-5", "2016"): (12, 3),
        ("Physical therapy 12 sessions", "2015"): (12, 6),
        ("Physical therapy 12 sessions", "2016"): (10, 5),
        ("Norco 10/325 #60", "2016"): (30, 3),  # neither of the two compared
    }
    for (request, year), (count, overturned) in plan.items():
        for n in range(count):
            outcome = "Overturned" if n < overturned else "Upheld"
            letters.append(
                _dated_letter(
                    f"{request[:6]}-{year}-{n}.txt", [(f"{request} #{n}", outcome)], f"06/01/{year}"
                )
            )
    assert importing.import_candidates(letters).count(importing.IMPORTED) == len(letters)
    params = {"treatment": ["epidural steroid injection", "physical therapy"]}
    page = client.get("/insights/", params).content.decode()
    assert "The search: Treatment: epidural steroid injection · Treatment: physical therapy." in page
    body = client.get("/api/stats", params).json()
    by_treatment = [row["label"] for row in body["breakdowns"]["treatment"]["rows"]]
    assert sorted(by_treatment) == [
        "epidural steroid injection",
        "physical therapy",
    ]  # not the archive's top 15
    esi, pt = body["comparison"]["compared"]
    assert (esi["label"], esi["decisions"], esi["overturned"]) == ("epidural steroid injection", 24, 4)
    assert (pt["label"], pt["decisions"], pt["overturned"]) == ("physical therapy", 22, 11)
    assert {year: (r["decisions"], r["overturned"]) for year, r in esi["by_year"].items()} == {
        "2015": (12, 1),
        "2016": (12, 3),
    }
    assert {year: (r["decisions"], r["overturned"]) for year, r in pt["by_year"].items()} == {
        "2015": (12, 6),
        "2016": (10, 5),
    }
    assert esi["ci_low"] < esi["rate"] < esi["ci_high"]
    assert body["comparison"]["difference"].startswith(
        "physical therapy is overturned more often than epidural"
    )
    assert "16.7% (95% CI" in page and "50.0% (95% CI" in page  # each one's rate, with its interval


@pytest.mark.django_db
def test_a_submitted_form_leaves_only_what_was_filled_in_the_address(client, seeded):
    """Found: every submit put 11 empty parameters in the URL."""
    form = {
        "q": "pain",
        "cited_page": "",
        "page_source": "",
        "chapter": "",
        "treatment": "",
        "decided_after": "",
        "decided_before": "",
        "injured_after": "",
        "injured_before": "",
        "case": "",
        "sort": "relevance",
    }
    response = client.get("/", form)
    assert response.status_code == 302 and response["Location"] == "/?q=pain&sort=relevance"
    assert client.get("/", {"q": "", "section": ""})["Location"] == "/"
    assert client.get("/", {"q": "pain"}).status_code == 200


@pytest.mark.django_db
def test_pages_hold_25_items_unless_asked_and_the_api_honours_per_page(client, db):
    from benchmarks import corpus

    importing.import_candidates(importing.Candidate(n, t.encode()) for n, t in corpus.letters(30, seed=9))
    assert len(_api(client)["results"]) == 25 and _api(client)["per_page"] == 25  # as the DWC's search shows
    assert len(_api(client, per_page="50")["results"]) == 50 and _api(client, per_page="50")["per_page"] == 50
    assert "showing 1–10" in client.get("/", {"per_page": "10"}).content.decode()
    refused = client.get("/api/items", {"per_page": "7"})
    assert refused.status_code == 400 and "Items per page" in refused.json()["error"]
