"""The pages as a browser gets them: search, letter, cited pages; bad input never gives a 500."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisions.models import DecisionItem, Determination

pytestmark = pytest.mark.django_db


def _count(response):
    match = re.search(r"<strong>([\d,]+)</strong> decision item", response.content.decode())
    return int(match.group(1).replace(",", "")) if match else None


def test_search_page_lists_hits_with_badges_citations_and_highlights(client, seeded):
    response = client.get("/", {"q": "baclofen"})
    html = response.content.decode()
    assert response.status_code == 200 and _count(response) == 1
    assert 'class="badge badge-upheld"' in html
    assert "MTUS Chronic Pain" in html and 'href="/?page_source=chronic_pain&amp;cited_page=63-64"' in html
    assert 'href="/cited/chronic_pain/124/"' in html
    assert '<mark class="match' in html and "Baclofen" in html
    item = DecisionItem.objects.get(request="Baclofen 10mg #90")
    assert f'href="/letters/{item.determination_id}/?q=baclofen&amp;back=q%3Dbaclofen#item-2"' in html


def test_facets_are_links_that_toggle_a_filter(client, seeded):
    html = client.get("/", {"q": "opioid"}).content.decode()
    assert 'href="?q=opioid&amp;outcome=overturned"' in html
    narrowed = client.get("/", {"q": "opioid", "outcome": "overturned"})
    assert 'aria-current="true"' in narrowed.content.decode()
    assert _count(narrowed) < _count(client.get("/", {"q": "opioid"}))


def test_filters_form_keeps_chosen_facets_when_applying_typed_filters(client, seeded):
    html = client.get("/", {"outcome": "upheld", "source": "acoem"}).content.decode()
    assert '<input type="hidden" name="outcome" value="upheld">' in html
    assert '<input type="hidden" name="source" value="acoem">' in html


def test_typed_treatment_brand_name_filters_by_generic(client, seeded):
    assert _count(client.get("/", {"treatment": "Neurontin"})) == 3


def test_paging_links(client, seeded):
    first = client.get("/", {"per_page": "10"}).content.decode()
    assert "Page 1 of 2" in first and 'rel="next" href="?per_page=10&amp;page=2"' in first
    last = client.get("/", {"page": 2, "per_page": "10"}).content.decode()
    assert "Page 2 of 2" in last and "showing 11–20" in last
    assert "showing 1–20" in client.get("/").content.decode()  # 25 a page unless asked


@pytest.mark.parametrize(
    "params, message",
    [
        ({"q": '"urine drug'}, "quotation mark is not closed"),
        ({"cited_page": "abc"}, "is not a page or a page range"),
        ({"cited_page": "0"}, "outside that"),
        ({"cited_page": "70-20"}, "ends before it starts"),
        ({"cited_page": "1-1000"}, "at most 400 pages"),
        ({"chapter": "99"}, "not a chapter number"),
        ({"chapter": "²"}, "not a chapter number"),  # a digit to str.isdigit, not to int()
        ({"chapter": "5³"}, "not a chapter number"),
        ({"decided_after": "2015-02-30"}, "Enter a valid date"),
        ({"decided_after": "2016-01-01", "decided_before": "2015-01-01"}, "start date is after the end date"),
        ({"outcome": "maybe"}, "Select a valid choice"),
        ({"source": "wikipedia"}, "Select a valid choice"),
        ({"treatment": "unobtainium"}, "No treatment called"),
        (
            {"treatment": "gabapenten"},
            "No treatment called “gabapenten” is known; pick one from the list or search it as text. "
            "Did you mean gabapentin?",
        ),
        ({"drug_class": "magic"}, "is not a drug class"),
        ({"case": "12345"}, "does not look like CM15-0012345"),
    ],
)
def test_bad_input_gets_a_friendly_message(client, seeded, params, message):
    response = client.get("/", params)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html and message in html.replace("&#x27;", "'").replace("&quot;", '"')


@pytest.mark.parametrize(
    "page, notice",
    [
        ("999", "page 999 is past the end, so this is the last page"),
        ("two", "“two” is not a page number; showing the first page"),
    ],
)
def test_a_page_past_the_end_shows_the_last_page_and_says_so(client, seeded, page, notice):
    html = client.get("/", {"page": page}).content.decode().replace("&#x27;", "'")
    assert 'role="status"' in html and notice in html
    assert html.count('<article class="hit">') == 20  # the seeds' 20 items fill page 1, the last


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "q",
                "outcome",
                "treatment",
                "drug_class",
                "category",
                "source",
                "cited_page",
                "page_source",
                "chapter",
                "necessity",
                "specialty",
                "state",
                "decided_after",
                "decided_before",
                "injured_after",
                "received_after",
                "received_before",
                "undated",
                "diagnosis",
                "more",
                "case",
                "sort",
                "page",
            ]
        ),
        st.text(max_size=30),
        max_size=6,
    )
)
def test_no_parameter_combination_gives_a_server_error(client, seeded, params):
    for url in ("/", "/api/items", "/export.csv", "/insights/", "/feed/"):
        response = client.get(url, params, follow=True)  # the page drops empty parameters by a redirect
        assert response.status_code in (200, 400), (url, params)


def test_letter_page_has_item_anchors_and_marks_query_terms(client, seeded):
    letter = Determination.objects.get(source_name__startswith="003")
    response = client.get(f"/letters/{letter.pk}/", {"q": "constipation"})
    html = response.content.decode()
    assert response.status_code == 200
    assert all(f'id="item-{n}"' in html for n in range(1, 15))
    assert '<mark class="match' in html and "constipation</mark>" in html
    for state in ("Texas", "Ohio", "California"):  # each a link to the items of reviewers licensed there
        assert (
            f'<a href="/?state={state}" title="Every item decided by a reviewer licensed in {state}">' in html
        )
    assert "outcome is overturned but the rationale concludes not medically necessary" in html


def test_letter_page_404_and_bad_query(client, seeded):
    assert client.get("/letters/999999/").status_code == 404
    letter = Determination.objects.first()
    assert client.get(f"/letters/{letter.pk}/", {"q": '"broken'}).status_code == 200


def test_most_cited_pages_and_sections_of_each_guideline(client, seeded):
    html = client.get("/cited/").content.decode()
    assert 'href="/cited/chronic_pain/63/">p. 63</a>' in html  # its page in the explorer
    assert 'href="/?page_source=chronic_pain&amp;cited_page=63" title="Every item citing p. 63">3</a>' in html
    assert '<a href="?guideline=acoem_15&amp;sort=count">ACOEM Stress-Related Conditions' in html
    stress = client.get("/cited/", {"guideline": "acoem_15"}).content.decode()
    assert "What IMR reviewers cite: ACOEM Stress-Related Conditions" in stress and "cited_page=402" in stress
    assert "No item cites a section of ACOEM Stress-Related Conditions yet." in stress  # seeds cite pages
    for params in ({"source": "nonsense"}, {"guideline": "nonsense"}, {"sort": "nonsense"}):
        assert client.get("/cited/", params).status_code == 200


def test_stylesheet_is_linked_and_served_by_whitenoise(client, db):
    html = client.get("/").content.decode()
    assert '<link rel="stylesheet" href="/static/css/site.css">' in html
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert ".badge-upheld" in b"".join(response.streaming_content).decode()


def test_a_case_number_in_the_search_box_opens_its_letter(client, db):
    from decisions import importing
    from tests.letters import item, standard_letter

    header = ["Case Number: CM15-0012345 Date Assigned: 01/05/2015", "Decision Date: 02/11/2015", ""]
    text = standard_letter(
        [
            item(
                ["Norco: Upheld"],
                "Decision based on MTUS Chronic Pain Treatment Guidelines Page(s): 80.",
                "No.",
            )
        ],
        header=header,
    )
    importing.import_candidates([importing.Candidate("case.txt", text.encode())])
    letter = Determination.objects.get(case_number="CM15-0012345")
    response = client.get("/", {"q": f"  {letter.case_number.lower()} "})
    assert response.status_code == 302 and response["Location"] == letter.get_absolute_url()
    assert client.get("/", {"q": "CM99-9999999"}).status_code == 200  # no such letter: an ordinary search


def test_back_to_search_keeps_the_whole_search(client, seeded):
    html = client.get(
        "/", {"q": "spasm", "outcome": "upheld", "drug_class": "muscle relaxant"}
    ).content.decode()
    link = re.search(r'href="(/letters/\d+/\?[^"#]+)#item-\d+"', html).group(1).replace("&amp;", "&")
    letter = client.get(link).content.decode()
    back = re.search(r'<p class="back"><a href="([^"]+)"', letter).group(1).replace("&amp;", "&")
    assert back.startswith("/?") and all(
        part in back for part in ("q=spasm", "outcome=upheld", "drug_class=muscle")
    )


def test_the_letter_links_its_original_file_with_the_right_type(client, seeded, admin_client):
    letter = Determination.objects.first()
    html = client.get(letter.get_absolute_url()).content.decode()
    assert f"/letters/{letter.pk}/original" in html
    original = client.get(f"/letters/{letter.pk}/original")
    assert original.status_code == 200 and original["Content-Type"] == "text/plain"
    assert b"".join(original.streaming_content) == letter.original_file.open("rb").read()
    admin = admin_client.get(f"/admin/decisions/determination/{letter.pk}/change/").content.decode()
    assert f'href="/letters/{letter.pk}/original"' in admin
    assert client.get("/letters/424242/original").status_code == 404


def test_a_pdf_original_is_served_as_pdf(client, db):
    from decisions import importing
    from tests.letters import SEED_FILES, pdf_bytes

    importing.import_candidates([importing.Candidate("letter.pdf", pdf_bytes(SEED_FILES[0].read_text()))])
    letter = Determination.objects.get()
    assert client.get(f"/letters/{letter.pk}/original")["Content-Type"] == "application/pdf"


def test_the_filters_in_force_are_listed_above_the_results_each_removable(client, seeded):
    from urllib.parse import parse_qs

    params = {
        "q": "spasm",
        "outcome": ["upheld", "overturned"],
        "cited_page": "63-64",
        "page_source": "chronic_pain",
        "decided_after": "2010-01-01",
        "page": "1",
    }
    html = client.get("/", params).content.decode().replace("&amp;", "&")
    bar = html[html.index('class="active-filters"') :]
    bar = bar[: bar.index("</ul>")]
    links = {
        label.strip(): parse_qs(href) for href, label in re.findall(r'<a href="\?([^"]*)"[^>]*>([^<]+)<', bar)
    }
    assert set(links) == {
        "Words: spasm",
        "Outcome: Upheld",
        "Outcome: Overturned",
        "Cited page: MTUS Chronic Pain p. 63-64",
        "Decided from: 2010-01-01",
    }
    assert links["Outcome: Upheld"]["outcome"] == ["overturned"] and links["Outcome: Upheld"]["q"] == [
        "spasm"
    ]
    assert "cited_page" not in links["Cited page: MTUS Chronic Pain p. 63-64"]
    assert "page_source" not in links["Cited page: MTUS Chronic Pain p. 63-64"]
    assert "q" not in links["Words: spasm"] and "page" not in links["Words: spasm"]
    assert 'class="active-filters"' not in client.get("/").content.decode()


def test_a_page_of_hits_is_loaded_in_the_same_few_queries_however_many_hits_it_has(seeded):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from decisions.results import load_items

    every_id = list(DecisionItem.objects.order_by("-pk").values_list("pk", flat=True))
    counts = {}
    for size in (1, len(every_id)):
        with CaptureQueriesContext(connection) as queries:
            items = load_items(every_id[:size])
            shown = [
                (
                    item.determination.specialty_names,
                    [(c.page_runs, c.sections) for c in item.citations.all()],
                )
                for item in items
            ]
        counts[size] = len(queries)
        assert [item.pk for item in items] == every_id[:size] and len(shown) == size
    assert counts[1] == counts[len(every_id)] == 5
    cited = [c for item in load_items(every_id) for c in item.citations.all() if c.pages]
    assert cited and all(c.pages == sorted(p.page for p in c.cited_pages.all()) for c in cited)


def test_text_from_a_letter_is_escaped_in_hits_chips_and_citations(client, seeded):
    from decisions.models import GuidelineCitation

    hostile = '<img src=x onerror="alert(1)">'
    item = DecisionItem.objects.get(request="Baclofen 10mg #90")
    DecisionItem.objects.filter(pk=item.pk).update(request=f"Baclofen {hostile}", drug_class=hostile)
    GuidelineCitation.objects.filter(item=item).update(topic=hostile)
    for response in (client.get("/", {"q": "baclofen"}), client.get(f"/letters/{item.determination_id}/")):
        html = response.content.decode()
        assert response.status_code == 200 and "<img" not in html
        assert html.count("&lt;img src=x onerror=") >= 3  # request or heading, drug class chip, topic
