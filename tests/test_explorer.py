"""The explorer: one page per cited guideline section or page, reached from every citation."""

import re

import pytest

from decisions.models import DecisionItem, Determination, GuidelineSection
from tests import real_letters

pytestmark = pytest.mark.django_db


def _rows(html, heading):
    """(label, decisions) of the table under a heading of the explorer page."""
    part = html.split(f">{heading}</h2>", 1)[1].split("</section>", 1)[0]
    return re.findall(r'<th scope="row">(?:<a href="[^"]*">)?([^<]+)(?:</a>)?</th>\s*<td>([\d,]+)</td>', part)


def test_a_cited_page_shows_its_decisions_over_time_treatments_and_what_is_cited_beside_it(client, seeded):
    citing = DecisionItem.objects.filter(
        citations__party="reviewer", citations__source="chronic_pain", citations__cited_pages__page=63
    ).distinct()
    overturned = citing.filter(outcome="overturned").count()
    html = client.get("/cited/chronic_pain/63/").content.decode()
    assert "<h1>MTUS Chronic Pain p. 63</h1>" in html
    assert f"{citing.count()} decisions cite this page: {overturned} of {citing.count()} overturned" in html
    assert 'href="/?page_source=chronic_pain&amp;cited_page=63">Every decision citing it</a>' in html
    years = {
        str(item.determination.decision_date.year) if item.determination.decision_date else "Undated"
        for item in citing
    }
    assert {label for label, _ in _rows(html, "Upheld and overturned over time")} == years
    treatments = dict(_rows(html, "Treatments it decides"))
    assert sum(int(count) for count in treatments.values()) == citing.count()
    reasons = {key for item in citing for key in item.reasons}
    assert len(_rows(html, "The reasons reviewers give")) == min(len(reasons), 8) > 0
    for item in citing:  # the most recent, each linking to its letter
        assert f'href="{item.get_absolute_url()}"' in html
    alongside = re.findall(r'<a href="(/cited/[^"]+)">', html.split("Cited alongside it", 1)[1])
    assert alongside and "/cited/chronic_pain/63/" not in alongside
    for address in alongside:
        assert client.get(address).status_code == 200


def test_what_is_not_a_cited_section_or_page_is_not_found(client, seeded):
    assert client.get("/cited/astrology/63/").status_code == 404
    assert client.get("/cited/acoem/9999/").status_code == 404  # no decision cites it
    assert client.get("/cited/astrology/section/opioids/").status_code == 404
    assert client.get("/cited/chronic_pain/section/nosuchsection/").status_code == 404
    known = client.get("/cited/chronic_pain/section/opioidscriteriaforuse/")  # in the vocabulary
    assert known.status_code == 200
    assert "No decision in the archive cites this section yet." in known.content.decode()


def test_every_citation_on_hits_and_letters_links_to_its_explorer_page(client, seeded):
    letter = Determination.objects.get(items__citations__cited_pages__page=124)
    for html in (client.get("/").content.decode(), client.get(letter.get_absolute_url()).content.decode()):
        assert 'href="/cited/chronic_pain/124/"' in html  # one page
        assert 'href="/?page_source=chronic_pain&amp;cited_page=63-64"' in html  # a run of pages: the search


@pytest.mark.skipif(not real_letters.TRUTH_FILE.is_file(), reason="../shared/real is not here")
def test_a_section_of_the_real_letters_counts_what_truth_json_says_cites_it(client, db):
    from decisions import importing

    importing.import_candidates(
        importing.candidates_from_paths(sorted(real_letters.REAL.glob("letters/*.txt")))
    )
    truth = real_letters.truth()
    cites = re.compile(
        r"Chronic Pain Medical Treatment \d{4}(?: Guidelines)?, Section\(s\):[^.]*Physical medicine"
    )
    expected = [
        item
        for entry in truth.values()
        for item in entry["truth"]["items"]
        if cites.search(item["maximus_guideline"] or "")
    ]
    section = GuidelineSection.objects.get(guideline="chronic_pain", name="Physical medicine treatment")
    html = client.get(section.get_absolute_url()).content.decode()
    assert f"{len(expected)} decisions cite this section" in html
    dates = re.findall(r'<time datetime="([\d-]+)">', html.split("The most recent decisions", 1)[1])
    assert len(dates) == 5 and dates == sorted(dates, reverse=True)
    for address in re.findall(r'<a href="(/cited/[^"]+)">', html.split("Cited alongside it", 1)[1]):
        assert client.get(address).status_code == 200
    listing = client.get("/cited/", {"guideline": "chronic_pain"}).content.decode()
    assert f'href="{section.get_absolute_url()}">Physical medicine treatment</a>' in listing


def test_a_section_written_as_punctuation_alone_is_no_section_and_never_breaks_a_page(client, seeded):
    """As found in review: "—" folded to an empty key, was stored, and its link raised on the page."""
    from decisions.vocabulary import guidelines

    assert guidelines.split_sections("chronic_pain", "Opioids, —, *, Muscle relaxants (for pain)") == [
        "Opioids",
        "Muscle relaxants (for pain)",
    ]
    stored = GuidelineSection.objects.create(guideline="chronic_pain", key="", name="—")  # an older parse
    assert stored.get_absolute_url() == "/?section=chronic_pain%3A"


def test_an_explorer_search_over_its_time_budget_says_so(client, seeded, settings):
    settings.SEARCH_TIME_BUDGET_SECONDS = 0
    response = client.get("/cited/chronic_pain/63/")
    assert response.status_code == 503 and "took longer than 0 seconds" in response.content.decode()
    assert "<h1>MTUS Chronic Pain p. 63</h1>" in response.content.decode()
