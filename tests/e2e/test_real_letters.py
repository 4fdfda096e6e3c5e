"""The section filter as an adjuster uses it, in Chromium, on the real letters of ../shared/real:
pick a section from the list, see its decisions, their overturn rate and each letter's citation,
and from a citation the section's own page."""

import pytest
from playwright.sync_api import expect

from decisions import importing
from tests import real_letters
from tests.e2e.conftest import shot

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not real_letters.TRUTH_FILE.is_file(), reason="../shared/real is not here"),
]


@pytest.fixture
def real_site(live_server, transactional_db):
    paths = sorted(real_letters.REAL.glob("letters/*.txt"))
    assert (
        importing.import_candidates(importing.candidates_from_paths(paths)).count(importing.IMPORTED) == 150
    )
    return live_server.url


def _pick(page, select, guideline, section):
    """Choose `section` of `guideline` in the form's list and apply the filters."""
    option = page.locator(f'{select} optgroup[label="{guideline}"] option', has_text=section).first
    page.select_option(select, value=option.get_attribute("value"))
    page.get_by_role("button", name="Apply filters").click()


def test_pick_a_section_the_reviewer_cited_and_see_its_decisions(real_site, laptop):
    page = laptop
    page.goto(real_site)
    _pick(page, "#id_section", "MTUS Chronic Pain", "Physical medicine treatment")
    expect(page.locator(".active-filters")).to_contain_text(
        "Cited section: MTUS Chronic Pain: Physical medicine treatment"
    )
    count = int(page.locator(".results-head .count strong").inner_text())
    assert count >= 25
    expect(page.locator(".results-head .rate")).to_contain_text(f"of {count} overturned")
    hits = page.locator(".hit")
    assert hits.count() == min(count, 25)
    for index in range(hits.count()):  # each hit shows the citation that put it here
        expect(hits.nth(index).locator(".citations").first).to_contain_text("Physical medicine treatment")
    shot(page, "real-section-physical-medicine")
    page.locator(".hit h3 a").first.click()
    citation = page.locator("section.item .citations a", has_text="Physical medicine treatment").first
    expect(citation).to_be_visible()
    citation.click()  # the section explored: its decisions over time, treatments, what is cited beside it
    expect(page.locator("h1")).to_have_text("MTUS Chronic Pain: Physical medicine treatment")
    expect(page.locator(".overall")).to_contain_text(f"{count} decisions cite this section")
    expect(page.locator("#heading-treatment")).to_be_visible()
    shot(page, "real-section-explored")
    page.get_by_role("link", name="Every decision citing it").click()
    expect(page.locator(".results-head .count strong")).to_have_text(str(count))


def test_pick_a_section_the_claims_administrator_cited(real_site, laptop):
    page = laptop
    page.goto(real_site)
    _pick(page, "#id_ur_section", "MTUS Chronic Pain", "Opioids, criteria for use")
    expect(page.locator(".results-head .count strong")).to_have_text("1")
    expect(page.locator(".results-head .rate")).to_contain_text("0 of 1 overturned")
    hit = page.locator(".hit").first
    expect(hit).to_contain_text("Ultram ER 100mg #60")
    expect(hit).to_contain_text("The claims administrator relied on:")
    expect(hit.locator(".citations").last).to_contain_text("Opioids, criteria for use")
    shot(page, "real-section-claims-opioids")
