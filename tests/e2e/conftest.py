"""Headless Chromium (Debian's, /usr/bin/chromium) driven by Playwright against a live server."""

import os
from pathlib import Path

import pytest

from decisions import importing
from tests.letters import REPO, SEEDS

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", REPO / "var" / "screenshots"))
# The same flags the machine's own browser check uses: headless, no sandbox as root, no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    """Skip the browser tests (only those: this hook sees the whole session's items) without Chromium."""
    if not CHROMIUM.exists():
        skip = pytest.mark.skip(
            reason="Chromium is not installed (apt-get install chromium; .ci/install-packages)"
        )
        for item in items:
            if Path(str(item.fspath)).parent == Path(__file__).parent:
                item.add_marker(skip)


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module. Playwright's sync API keeps an event loop in this thread while
    it runs, so the tests' own (synchronous) ORM calls are allowed for exactly that long."""
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2
    )
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
