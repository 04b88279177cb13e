"""Imports, webhooks and impact in a real browser: upload the contract's sample export and read
its report, replay a dead-lettered webhook, read the impact page; axe-core on every page, and
the pages fit a 1,280-pixel window."""

import pytest
from playwright.sync_api import expect

from buddy.models import ImportRun, ImportStatus
from tests.browser.conftest import check_accessibility, log_in
from tests.contract import SAMPLE_JSON
from tests.factories import (
    InformalEventFactory,
    WebhookDeliveryFactory,
    WebhookEventFactory,
    buddy_program,
    coordinator_of,
)
from tests.ui.conftest import enrolled_match
from webhooks.models import EventStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(live_server, settings, tmp_path):
    settings.BUDDY_IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    program = buddy_program()
    coordinator_of(program, username="coco")
    return {"program": program}


def test_a_coordinator_uploads_the_sample_export_and_reads_its_report(page, world):
    log_in(page, "coco")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Imports")
    check_accessibility(page)
    page.get_by_label("Export file").set_input_files(str(SAMPLE_JSON))
    page.get_by_role("button", name="Import into").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("sample.json")
    # the run finishes (in-process worker), the progress poll reloads into the report
    expect(page.get_by_role("table", name="Rows per entity")).to_be_visible(timeout=15000)
    row = page.get_by_role("row", name="users")
    expect(row).to_contain_text("6")
    check_accessibility(page)
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.SUCCEEDED and run.counts["users"]["created"] == 6
    page.get_by_role("link", name="All imports").click()
    expect(page.get_by_role("link", name=f"#{run.pk}")).to_be_visible()


def test_a_coordinator_replays_a_dead_lettered_webhook(page, world):
    match = enrolled_match(world["program"])
    event = WebhookEventFactory(match_id=match.external_id, status=EventStatus.FAILED,
                                last_error="reference.unknown: Unknown match.")  # fmt: skip
    WebhookDeliveryFactory(event=event, dead=True, last_error="reference.unknown: Unknown match.")
    log_in(page, "coco")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Webhooks").click()
    page.get_by_label("Status").select_option("dead")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("1 dead-lettered", exact=True)).to_be_visible()
    check_accessibility(page)
    button = page.get_by_role("button", name=f"Replay event {event.event_id}")
    box, width = button.bounding_box(), page.viewport_size["width"]
    assert box and box["x"] + box["width"] <= width, (box, width)  # not cut off at 1,280 px
    button.click()
    expect(page.get_by_role("status")).to_contain_text(f"Event {event.event_id}")
    check_accessibility(page)
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED


def test_the_impact_page_draws_its_charts(page, world):
    InformalEventFactory(match=enrolled_match(world["program"]), duration_minutes=90)
    log_in(page, "coco")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Impact").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Impact")
    page.get_by_label("Per", exact=True).select_option("company")
    page.get_by_role("button", name="Show").click()
    for chart in ("hours", "sroi"):
        expect(page.locator(f'canvas[data-chart="{chart}"]')).to_have_attribute(
            "data-rendered", "true"
        )
    expect(page.get_by_role("link", name="Download as CSV")).to_be_visible()
    check_accessibility(page)


@pytest.mark.parametrize("width", [1280, 768])
def test_imports_webhooks_and_impact_fit_a_laptop_and_a_tablet(page, world, width):
    event = WebhookEventFactory(status=EventStatus.FAILED, last_error="x" * 300)
    WebhookDeliveryFactory(event=event, dead=True, last_error="y" * 300)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "coco")
    for url in ("/imports/", "/webhooks/review/", "/webhooks/review/?status=dead", "/impact/"):
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (url, width, overflow)
        check_accessibility(page)
    if width == 1280:  # the review table itself fits: Replay is never scrolled out of view
        page.goto("/webhooks/review/?status=dead")
        wrap = page.evaluate(
            "(() => { const w = document.querySelector('.review-table').parentElement;"
            " return w.scrollWidth - w.clientWidth; })()"
        )
        assert wrap <= 0, wrap
