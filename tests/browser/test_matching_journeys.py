"""Matching in a real browser (issue 19): open a waiting participant and accept one of their
suggested buddies; run a program-wide matching, watch it finish and accept its proposals in
bulk and one by one; axe-core on every page visited."""

import pytest
from playwright.sync_api import expect

from buddy.models import Match, MatchStatus
from matching.models import Proposal, ProposalStatus
from tests.browser.conftest import check_accessibility, log_in
from tests.factories import (
    BuddyFactory,
    EnrollmentFactory,
    ParticipantFactory,
    buddy_program,
    coordinator_of,
)

pytestmark = pytest.mark.django_db(transaction=True)


def enrolled(program, factory, **fields):
    person = factory(**fields)
    EnrollmentFactory(person=person, program=program)
    return person


@pytest.fixture
def world(live_server):
    program = buddy_program()
    participants = [
        enrolled(program, ParticipantFactory, languages=["ar"], location="Berlin") for _ in range(3)
    ]
    buddies = [
        enrolled(program, BuddyFactory, languages=["ar"], location="Berlin", capacity=1)
        for _ in range(3)
    ]
    coordinator_of(program, username="coco")
    return {"program": program, "participants": participants, "buddies": buddies}


def test_a_coordinator_opens_a_participant_and_accepts_a_suggestion(page, world):
    participant = world["participants"][0]
    log_in(page, "coco")
    page.goto(f"/people/{participant.pk}/")
    suggestions = page.locator("section.suggestions")
    expect(suggestions.locator("meter").first).to_be_visible()  # htmx loaded the top 5
    expect(suggestions.locator(".score-value").first).to_contain_text("/ 100")
    check_accessibility(page)
    suggestions.get_by_role("button", name="Accept", exact=True).first.click()
    check_accessibility(page)
    suggestions.get_by_role("button", name="Yes, propose").first.click()
    expect(page.get_by_role("status")).to_contain_text("is proposed to both people")
    check_accessibility(page)
    match = Match.objects.get(participant=participant)
    assert match.status == MatchStatus.PROPOSED
    assert match.buddy_id in {b.pk for b in world["buddies"]}


def test_a_coordinator_runs_matching_and_accepts_the_proposals(page, world):
    log_in(page, "coco")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Matching board").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Matching board")
    check_accessibility(page)
    page.get_by_role("button", name="Run matching for the program").click()
    expect(page.locator("#run-progress progress")).to_have_attribute("value", "100")
    rows = page.locator("#proposals-heading ~ div table tbody tr")
    expect(rows).to_have_count(3)
    check_accessibility(page)
    proposals = list(Proposal.objects.order_by("-score", "id"))
    first, second, third = proposals
    page.get_by_label(f"Select proposal #{first.pk}").check()
    page.get_by_label(f"Select proposal #{second.pk}").check()
    page.get_by_role("button", name="Accept selected").click()  # not confirmed: refused
    expect(page.locator("#bulk-confirm-error")).to_be_visible()
    expect(page.get_by_label(f"Select proposal #{first.pk}")).to_be_checked()  # kept
    check_accessibility(page)
    page.get_by_label("Yes, propose these matches").check()
    page.get_by_role("button", name="Accept selected").click()
    expect(page.get_by_role("status").first).to_contain_text("Accepted 2 proposals")
    check_accessibility(page)
    row = page.locator(f"#proposal-{third.pk}")
    row.get_by_role("button", name="Accept", exact=True).click()
    row.get_by_role("button", name=f"Yes, accept proposal #{third.pk}").click()
    expect(page.get_by_role("status").first).to_contain_text("is proposed to both people")
    check_accessibility(page)
    statuses = set(Proposal.objects.values_list("status", flat=True))
    assert statuses == {ProposalStatus.ACCEPTED}
    assert Match.objects.filter(status=MatchStatus.PROPOSED).count() == 3


def test_the_matching_pages_fit_a_laptop(page, world):
    log_in(page, "coco")
    for url in ("/matching/", "/matching/criteria/"):
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (url, overflow)
        check_accessibility(page)
    page.get_by_role("button", name="Preview the change").click()
    heading = page.get_by_role("heading", name="Preview: how the top suggestions move")
    expect(heading).to_be_visible()
    check_accessibility(page)
