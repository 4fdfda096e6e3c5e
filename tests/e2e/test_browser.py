"""What a person does in the browser: search, narrow, open, follow a citation, upload, make mistakes."""

import re
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.e2e.conftest import no_horizontal_overflow, shot
from tests.letters import SEED_FILES

pytestmark = pytest.mark.e2e


def _count(page):
    return int(page.locator(".results-head .count strong").inner_text().replace(",", ""))


def test_search_narrow_open_and_land_on_the_item(site, laptop):
    page = laptop
    page.goto(site)
    page.fill("#id_q", "opioid")
    page.press("#id_q", "Enter")
    expect(page.locator(".hit").first).to_be_visible()
    everything = _count(page)
    page.locator("#facet-outcome a", has_text="Upheld").click()
    page.locator("#facet-source a", has_text="MTUS Chronic Pain").click()
    narrowed = _count(page)
    assert 0 < narrowed < everything
    assert "outcome=upheld" in page.url and "source=chronic_pain" in page.url
    expect(page.locator(".hit .badge-overturned")).to_have_count(0)
    expect(page.locator(".hit mark").first).to_be_visible()
    shot(page, "search-results-laptop")

    first = page.locator(".hit h3 a").first
    request = first.inner_text()
    first.click()
    anchor = re.search(r"#(item-\d+)$", page.url).group(1)
    item = page.locator(f"#{anchor}")
    expect(item).to_be_in_viewport()
    expect(item.locator("h2")).to_contain_text(request)
    expect(page.locator("mark", has_text=re.compile("opioid", re.I)).first).to_be_visible()
    shot(page, "letter-at-item")


def test_follow_a_cited_page_to_every_item_citing_it(site, laptop):
    page = laptop
    page.goto(f"{site}/?q=baclofen")
    page.locator(".hit .pages a", has_text="63–64").click()
    expect(page.locator(".results-head .count")).to_contain_text("3 decision items")
    requests = page.locator(".hit h3 a").all_inner_texts()
    assert sorted(requests) == ["Baclofen 10mg #90", "Robaxin", "Zanaflex 4 MG #90"]
    assert page.input_value("#id_cited_page") == "63-64"
    shot(page, "cited-page-63-64")


def test_admin_uploads_a_zip_and_follows_its_job(site, laptop, tmp_path, run_worker):
    get_user_model().objects.create_superuser("admin", "admin@example.org", "a-long-test-password")
    archive = tmp_path / "letters.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("new-letter.txt", SEED_FILES[0].read_text().replace("Baclofen", "Lioresal"))
        bundle.writestr("same-as-before.txt", SEED_FILES[1].read_bytes())
        bundle.writestr("broken.pdf", b"%PDF-1.4 this is not really a PDF")
    page = laptop
    page.goto(f"{site}/admin/login/?next=/admin/decisions/determination/upload/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "a-long-test-password")
    page.click("input[type=submit]")
    page.set_input_files("#id_files", str(archive))
    page.click("input[value='Upload and import']")
    expect(page.locator(".job-state")).to_contain_text("Queued")
    expect(page.locator("#job-progress")).to_be_visible()
    shot(page, "admin-job-queued")
    run_worker()
    # No JavaScript: the page reloads itself and shows the finished job.
    expect(page.locator(".job-state")).to_contain_text("Done", timeout=10_000)
    rows = page.locator("#job-files tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Failed")  # failures first
    expect(rows.nth(0)).to_contain_text("PDF could not be read")
    expect(page.locator("#job-files")).to_contain_text("Already present")
    expect(page.locator("#job-numbers")).to_contain_text("Imported")
    shot(page, "admin-job-done")


@pytest.mark.parametrize(
    "query, message",
    [
        ('?q="urine drug', "quotation mark is not closed"),
        ("?cited_page=5000", "Guideline pages run from 1 to 1500"),
        ("?decided_after=2016-01-01&decided_before=2015-01-01", "start date is after the end date"),
    ],
)
def test_mistakes_get_friendly_messages(site, laptop, query, message):
    page = laptop
    page.goto(f"{site}/{query}")
    expect(page.locator(".errors[role=alert]")).to_contain_text(message)
    if "urine" in query:
        shot(page, "malformed-query-message")


def test_phone_width_pages_do_not_overflow(site, phone):
    page = phone
    page.goto(f"{site}/?q=opioid")
    expect(page.locator(".hit").first).to_be_visible()
    assert no_horizontal_overflow(page)
    shot(page, "search-results-phone")
    page.locator(".hit h3 a").first.click()
    assert no_horizontal_overflow(page)
    shot(page, "letter-phone")
    page.goto(f"{site}/cited/")
    assert no_horizontal_overflow(page)


def test_search_works_without_javascript(site, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site)
    page.fill("#id_q", "baclofen")
    page.press("#id_q", "Enter")
    expect(page.locator(".results-head .count")).to_contain_text("1 decision item")
    context.close()


def test_csv_download_link_keeps_the_search(site, laptop):
    page = laptop
    page.goto(f"{site}/?q=opioid&outcome=upheld")
    link = page.locator("a.export")
    assert link.get_attribute("href") == "/export.csv?q=opioid&outcome=upheld"
    with page.expect_download() as download_info:
        link.click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("item_id,determination_id") and "upheld" in text


def test_overturn_rates_from_a_search_to_its_insights_on_laptop_and_phone(site, laptop, phone):
    page = laptop
    page.goto(f"{site}/?drug_class=muscle+relaxant")
    expect(page.locator(".rate")).to_contain_text("overturned")
    page.locator(".rate a").click()
    expect(page.locator("h1")).to_have_text("Overturn rates for this search")
    expect(page.locator(".overall")).to_contain_text("0 of 3 overturned — too few decisions to give a rate")
    expect(page.locator("figure.chart")).to_have_count(7)  # the breakdowns, the reason given among them
    shot(page, "insights-laptop")
    phone.goto(page.url)
    expect(phone.locator("svg.rate-bar").first).to_be_visible()
    assert no_horizontal_overflow(phone)
    shot(phone, "insights-phone")


def test_an_adjuster_logs_in_saves_a_search_and_turns_on_its_alert(site, laptop):
    get_user_model().objects.create_user("adjuster", "adjuster@example.org", "a-long-test-password")
    page = laptop
    page.goto(f"{site}/?q=baclofen")
    page.click("text=Log in to save this search")
    page.fill("#id_username", "adjuster")
    page.fill("#id_password", "a-long-test-password")
    shot(page, "login")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site}/?q=baclofen")
    page.fill("#id_save_name", "Baclofen decisions")
    page.click("text=Save this search")
    row = page.locator(".saved-searches tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Baclofen decisions")
    row.locator("select").select_option("daily")
    row.locator("text=Save").first.click()
    expect(page.locator(".messages")).to_contain_text("daily digest")
    shot(page, "saved-searches")
    row.get_by_role("link", name="Baclofen decisions").click()
    expect(page).to_have_url(f"{site}/?q=baclofen")
    page.click("button:has-text('Log out')")
    expect(page.locator("header")).to_contain_text("Log in")
