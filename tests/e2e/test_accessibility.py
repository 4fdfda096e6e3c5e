"""What adjusters hit on the page, in Chromium on a laptop and a phone: axe finds no serious
violation on any page, the keyboard reaches the first result in a few Tabs, the filters that
narrow a search come before the facets, results start on a phone's first screen, and sorting
needs no Go button."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from decisions.models import DecisionItem, Job
from tests.e2e.conftest import no_horizontal_overflow, shot
from tests.search.corpus import import_corpus

pytestmark = pytest.mark.e2e
SERIOUS = {"serious", "critical"}
MAX_TABS = 5
PUBLIC = [
    "/",
    "/?q=pain",
    "/?q=pain&outcome=upheld&sort=newest",
    "/?q=%22unclosed",
    "/insights/",
    "/estimate/",
    "/estimate/?treatment=physical+therapy&facts=lumbar+pain",
    "/estimate/?treatment=moonbeams",
    "/cited/",
    "/cited/chronic_pain/63/",
    "/api/",
    "/account/login/",
    "/account/password_reset/",
]
ADMIN = [
    "/admin/",
    "/admin/decisions/determination/upload/",
    "/admin/decisions/determination/health/",
    "/admin/decisions/job/",
    "/admin/decisions/determination/",
    "/alerts/",
]


@pytest.fixture
def corpus_site(site):
    import_corpus()
    return site


def _serious(page):
    found = Axe().run(page).response["violations"]
    return [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"][:3]])
        for v in found
        if v["impact"] in SERIOUS
    ]


def _log_in(page, site):
    get_user_model().objects.create_superuser("admin", "admin@example.org", "a-long-test-password")
    page.goto(f"{site}/admin/login/?next=/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "a-long-test-password")
    page.locator("input[type=submit]").click()


def test_no_page_has_a_serious_accessibility_violation(corpus_site, laptop, run_worker):
    page = laptop
    item = DecisionItem.objects.order_by("pk").first()
    pages = PUBLIC + [item.determination.get_absolute_url(), f"/items/{item.pk}/similar/"]
    found = {}
    for path in pages:
        page.goto(corpus_site + path)
        found[path] = _serious(page)
    _log_in(page, corpus_site)
    page.goto(f"{corpus_site}/admin/decisions/job/")
    page.locator("input[value^='Re-parse every letter']").first.click()  # a job page with its files
    run_worker()
    job = Job.objects.get()
    for path in [*ADMIN, f"/admin/decisions/job/{job.pk}/change/"]:
        page.goto(corpus_site + path)
        found[path] = _serious(page)
    assert {path: violations for path, violations in found.items() if violations} == {}


def test_the_keyboard_reaches_the_first_result_in_a_few_tabs(corpus_site, laptop):
    """Found: 92 Tabs to the first result, and no way round the filters."""
    page = laptop
    page.goto(f"{corpus_site}/?q=therapy")
    first = page.locator(".hit h3 a").first
    tabs = 0
    while not first.evaluate("link => link === document.activeElement"):
        tabs += 1
        assert tabs <= MAX_TABS, f"the first result was not reached in {MAX_TABS} Tabs"
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('skip-link')"):
            page.keyboard.press("Enter")  # the skip link, the first thing Tab reaches
    assert tabs == 2
    assert page.locator("h1").count() == 1


def test_the_filters_that_narrow_come_before_the_facets(corpus_site, laptop):
    """Found: the cited page and section, treatment, dates and case sat 5,300 px down a laptop."""
    page = laptop
    page.goto(f"{corpus_site}/?q=therapy")
    for field in ("#id_section", "#id_cited_page", "#id_treatment_typed"):
        assert page.locator(field).bounding_box()["y"] < 900, field  # on the first screen
    assert page.locator("#id_case").bounding_box()["y"] < page.locator("#facet-outcome").bounding_box()["y"]


def test_on_a_phone_the_results_start_on_the_first_screen(corpus_site, phone):
    page = phone
    page.goto(f"{corpus_site}/?q=therapy&outcome=upheld")
    assert page.locator(".hit").first.bounding_box()["y"] < 844 - 100
    assert no_horizontal_overflow(page)
    shot(page, "phone-results-first-screen")


def test_sorting_needs_no_go_button(corpus_site, laptop):
    page = laptop
    page.goto(f"{corpus_site}/?outcome=upheld")
    expect(page.locator(".sort .go")).to_be_hidden()  # there for a browser without JavaScript
    page.select_option("#id_sort", "newest")
    expect(page).to_have_url(f"{corpus_site}/?outcome=upheld&sort=newest&per_page=25")
    page.select_option("#id_per_page", "10")
    expect(page.locator(".hit")).to_have_count(10)
    assert "cited_page=" not in page.url and "decided_after=" not in page.url  # no empty fields
