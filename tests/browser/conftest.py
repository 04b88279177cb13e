"""Browser tests: Playwright for Python driving Debian's Chromium (``/usr/bin/chromium``,
headless, no sandbox; Playwright's own browser download does not work here) against
pytest-django's live server. axe-core (``assets/axe.min.js``, from npm) checks every page a
test visits; a failing test leaves a screenshot in ``test-results/browser/``.
"""

import contextlib
import os
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls (making
# rows, reading them back) are plain synchronous code all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "assets" / "axe.min.js"
OUTPUT = Path(os.environ.get("BUDDY_TEST_OUTPUT", "test-results")) / "browser"
BLOCKING = {"serious", "critical"}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"needs Chromium at {CHROMIUM} (apt-get install -y chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(message + " but BUDDY_REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()
        # Playwright's sync API gave the tests a context of their own (a greenlet's), and
        # with it their own database connection: closed here, while that context is still
        # the current one, or it outlives the test database's teardown.
        from django.db import connections

        connections.close_all()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        page = item.funcargs.get("page")
        if page is not None:
            OUTPUT.mkdir(parents=True, exist_ok=True)
            # a failed screenshot must not hide the test's own failure
            with contextlib.suppress(Exception):
                page.screenshot(path=str(OUTPUT / f"{item.name}.png"), full_page=True)
    return report


@pytest.fixture
def page(browser, live_server, settings):
    # http://localhost: the live server is not behind TLS.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def check_accessibility(page) -> None:
    """axe-core over the page: no serious or critical violation, no JavaScript error."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    blocking = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]
    assert not blocking, (page.url, blocking)
    assert not page.errors, (page.url, page.errors)


def log_in(page, username: str, password: str = "coordinator-pass") -> None:  # noqa: S107
    page.goto("/accounts/login/")
    check_accessibility(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
