"""What an adjuster sees when finding precedent: facts that are links, similar decisions, what the
search box understood, all of a facet's values, undated items, and the filters on a phone."""

import re

import pytest
from playwright.sync_api import expect

from decisions.search.fields import FILTER_FIELDS, FilterField
from tests.e2e.conftest import no_horizontal_overflow, shot
from tests.search.corpus import import_corpus

pytestmark = pytest.mark.e2e


@pytest.fixture
def corpus_site(site):
    """The sample letters and the search contract's corpus (dated, undated, with diagnoses)."""
    import_corpus()
    return site


def _count(page):
    return int(page.locator(".results-head .count strong").inner_text().replace(",", ""))


def test_on_a_phone_the_filters_open_from_the_top(corpus_site, phone):
    page = phone
    page.goto(f"{corpus_site}/?q=therapy&outcome=upheld")
    summary = page.locator(".filters-panel > summary")
    expect(summary).to_have_text("Filters · 2 in force")
    first_hit = page.locator(".hit").first
    expect(first_hit).to_be_visible()
    assert summary.bounding_box()["y"] < first_hit.bounding_box()["y"] < 900  # results on the first screen
    expect(page.locator("#facet-outcome")).to_be_hidden()
    shot(page, "phone-filters-closed")
    summary.click()
    expect(page.locator("#facet-outcome")).to_be_visible()
    assert no_horizontal_overflow(page)
    shot(page, "phone-filters-open")
    page.locator("#facet-outcome a", has_text="Upheld").click()  # switch the outcome off again
    assert "outcome=upheld" not in page.url
    expect(page.locator(".filters-panel > summary")).to_have_text("Filters · 1 in force")


def test_on_a_laptop_the_filters_stay_beside_the_results(corpus_site, laptop):
    page = laptop
    page.goto(f"{corpus_site}/?q=therapy")
    expect(page.locator(".filters-panel > summary")).to_be_hidden()
    expect(page.locator("#facet-outcome")).to_be_visible()
    hit = page.locator(".hit").first.bounding_box()
    filters = page.locator(".filters").bounding_box()
    assert filters["x"] + filters["width"] <= hit["x"] and abs(filters["y"] - hit["y"]) < 300


def test_facts_are_links_and_an_item_leads_to_decisions_like_it(corpus_site, laptop):
    page = laptop
    page.goto(f"{corpus_site}/?q=epidural")
    page.locator(".hit .chip", has_text="epidural steroid injection").first.click()
    assert (
        "treatment=epidural+steroid+injection" in page.url
        or "treatment=epidural%20steroid%20injection" in page.url
    )
    expect(page.locator(".active-filters")).to_contain_text("Treatment: epidural steroid injection")
    page.locator(".hit h3 a").first.click()
    anchor = re.search(r"#(item-\d+)$", page.url).group(1)
    page.locator(f"#{anchor} .similar-link").click()
    expect(page.locator("h1")).to_have_text("Decisions like this one")
    expect(page.locator(".hit").first).to_be_visible()
    expect(page.locator(".hit .reasons").first).to_contain_text("same treatment: epidural steroid injection")
    shot(page, "similar-decisions")
    page.goto(f"{corpus_site}/?q=spasm")
    page.locator(".hit h3 a").first.click()
    page.locator(".diagnoses a", has_text="myofascial pain").click()
    expect(page.locator(".active-filters")).to_contain_text("Diagnosis: myofascial pain")
    assert _count(page) == 2
    shot(page, "diagnosis-link")


def test_an_item_leads_to_an_estimate_of_a_request_like_it(corpus_site, laptop, phone):
    page = laptop
    page.goto(f"{corpus_site}/?q=epidural&treatment=epidural+steroid+injection")
    page.locator(".hit h3 a").first.click()
    anchor = re.search(r"#(item-\d+)$", page.url).group(1)
    page.locator(f"#{anchor} .similar-link").click()
    page.locator(".estimate-link").click()
    expect(page.locator("h1")).to_have_text("Estimate from precedent")
    expect(page.locator("#id_treatment")).to_have_value("epidural steroid injection")
    expect(page.locator(".estimate-result h2")).to_contain_text("Likely outcome: epidural steroid injection")
    expect(page.locator(".estimate-rate, .too-thin")).to_be_visible()
    shot(page, "estimate")
    phone.goto(page.url)
    expect(phone.locator(".estimate-result")).to_be_visible()
    assert no_horizontal_overflow(phone)
    shot(phone, "estimate-phone")


def test_the_search_box_says_what_it_understood_and_corrects_spelling(corpus_site, laptop):
    page = laptop
    page.goto(corpus_site)
    page.fill("#id_q", "ESI")
    page.press("#id_q", "Enter")
    expect(page.locator(".hints")).to_contain_text("ESI — also searching “epidural steroid injection”")
    assert _count(page) >= 1
    shot(page, "abbreviation-hint")
    page.fill("#id_q", "gabapenten")
    page.press("#id_q", "Enter")
    expect(page.locator(".empty")).to_be_visible()
    page.locator(".hints a", has_text="gabapentin").click()
    expect(page.locator(".hit").first).to_be_visible()
    assert page.input_value("#id_q") == "gabapentin"
    shot(page, "did-you-mean-followed")


def test_a_date_filter_offers_the_undated_items_it_leaves_out(corpus_site, laptop):
    page = laptop
    page.goto(f"{corpus_site}/?decided_after=2016-01-01")
    before = _count(page)
    hint = page.locator(".hints li", has_text="left out by the decision date filter")
    expect(hint).to_be_visible()
    shot(page, "undated-left-out")
    hint.locator("a", has_text="Include them").click()
    assert _count(page) > before
    expect(page.locator(".active-filters")).to_contain_text("Undated items included: decision date")
    page.locator(".filters button[type=submit]", has_text="Apply filters").click()  # the form keeps it
    expect(page.locator(".active-filters")).to_contain_text("Undated items included: decision date")


def test_a_facet_shows_all_its_values(corpus_site, laptop, monkeypatch):
    monkeypatch.setitem(
        FILTER_FIELDS, "treatment", FilterField("treatment", "keyword", "Treatment", facet_limit=3)
    )
    page = laptop
    page.goto(corpus_site)
    facet = page.locator("#facet-treatment")
    expect(facet.locator(".facet-value")).to_have_count(3)
    facet.locator("a.facet-more", has_text="Show all treatment values").click()
    assert re.search(r"more=treatment", page.url)
    expect(page.locator("#facet-treatment .facet-value")).not_to_have_count(3)
    shot(page, "facet-show-all")
    page.locator("#facet-treatment a.facet-more", has_text="Show fewer").click()
    expect(page.locator("#facet-treatment .facet-value")).to_have_count(3)
