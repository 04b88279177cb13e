"""A coordinator's day in a real browser: log in, read the dashboard's charts, open a
participant, end a match with a reason, switch to German; axe-core on every page."""

import pytest
from playwright.sync_api import expect

from buddy.models import Match, MatchStatus
from tests.browser.conftest import check_accessibility, log_in
from tests.factories import (
    CheckInFactory,
    EnrollmentFactory,
    FeedbackFactory,
    ParticipantFactory,
    buddy_program,
    coordinator_of,
)
from tests.ui.conftest import enrolled_match

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(live_server):
    program = buddy_program()
    match = enrolled_match(program)
    CheckInFactory(match=match, mood="good")
    FeedbackFactory(match=match, rating=0.9)
    EnrollmentFactory(person=ParticipantFactory(), program=program)
    coordinator_of(program, username="coco")
    return {"program": program, "match": match}


def test_logging_in_shows_the_dashboard_with_its_charts(page, world):
    log_in(page, "coco")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    for chart in ("months", "moods", "ratings", "hours"):
        expect(page.locator(f'canvas[data-chart="{chart}"]')).to_have_attribute(
            "data-rendered", "true"
        )
    check_accessibility(page)
    page.get_by_role("link", name="Needs attention").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Needs attention")
    check_accessibility(page)


def test_a_coordinator_opens_a_participant(page, world):
    log_in(page, "coco")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    check_accessibility(page)
    participant = world["match"].participant
    page.get_by_role("link", name=f"Participant #{participant.pk}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Participant #{participant.pk}")
    expect(page.get_by_text(participant.email)).to_be_visible()
    check_accessibility(page)


def test_a_coordinator_ends_a_match_with_a_reason(page, world):
    match = world["match"]
    log_in(page, "coco")
    page.goto(f"/matches/{match.pk}/")
    check_accessibility(page)
    page.get_by_role("button", name="End").click()
    check_accessibility(page)
    page.get_by_role("button", name="End").click()  # without a reason: refused in place
    expect(page.locator("#end_reason_error")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Reason").select_option("mutual_agreement")
    page.get_by_label("Yes, do this").check()
    page.get_by_role("button", name="End").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ended")
    check_accessibility(page)
    match.refresh_from_db()
    assert (match.status, match.end_reason) == (MatchStatus.ENDED, "mutual_agreement")
    assert Match.objects.get(pk=match.pk).transitions.filter(to_status="ended").exists()


def test_a_refused_snooze_shows_its_message_next_to_the_field_keeping_the_note(page, world):
    """htmx 2 swaps no 4xx answer by default: the 422 with the form again is swapped in."""
    from datetime import timedelta

    from django.utils import timezone

    log_in(page, "coco")
    page.goto("/attention/")
    row = page.locator("table.attention tbody tr").first
    row.locator("details.snooze summary").click()
    far = (timezone.localdate() + timedelta(days=400)).isoformat()
    row.get_by_label("Snooze until").fill(far)
    row.get_by_label("Note (what you did)").fill("Called them twice")
    row.get_by_role("button", name="Snooze").click()
    error = page.locator("#until-1-error")
    expect(error).to_contain_text("365 days")
    expect(page.locator("#note-1")).to_have_value("Called them twice")
    expect(page.locator("#until-1")).to_have_value(far)
    expect(page.locator("#until-1")).to_have_attribute("aria-describedby", "until-1-error")
    check_accessibility(page)
    page.locator("#until-1").fill((timezone.localdate() + timedelta(days=3)).isoformat())
    page.locator("#snooze-form-1").get_by_role("button", name="Snooze").click()
    expect(page.get_by_role("status")).to_contain_text("Snoozed until")


def test_a_coordinator_switches_to_german(page, world):
    log_in(page, "coco")
    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_role("link", name="Braucht Aufmerksamkeit")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    check_accessibility(page)


@pytest.mark.parametrize("width", [1280, 768])
def test_the_main_screens_fit_a_laptop_and_a_tablet(page, world, width):
    """No page is wider than the window (tables scroll inside their own box)."""
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "coco")
    for url in ("/", "/attention/", "/people/", "/matches/", f"/matches/{world['match'].pk}/"):
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (url, width, overflow)
    check_accessibility(page)
