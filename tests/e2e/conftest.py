"""Headless Chromium (Debian's, /usr/bin/chromium) driven by Playwright against a live server."""
import os
from pathlib import Path

import pytest

from decisions import importing
from tests.letters import REPO, SEEDS

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", REPO / "var" / "screenshots"))
# The same flags the machine's own browser check uses: headless, no sandbox as root, no calls home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(autouse=True)
def allow_orm_beside_playwright(monkeypatch):
    """Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still sync."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if not CHROMIUM.exists():
        skip = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium; .ci/install-browser)")
        for item in items:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


@pytest.fixture
def site(live_server, transactional_db):
    """The live server with the sample letters imported."""
    report = importing.import_candidates(importing.candidates_from_paths([SEEDS]))
    assert report.count(importing.IMPORTED) == 3
    return live_server.url


def shot(page, name):
    """The whole page, and what the first screen shows."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-first-screen.png"))


def no_horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
