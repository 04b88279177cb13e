"""Matches: the list (status, age, last contact), a match's page (timeline, transitions,
check-ins, feedback) and its workflow actions, confirmed, through ``buddy.services.matches``."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from buddy.models import Match, MatchStatus, MatchTransition
from buddy.services.matches import match_transition
from core.pii import MASK
from enrollments.models import MatchHealth
from enrollments.services import enrollments_recompute_program
from tests.factories import CheckInFactory, FeedbackFactory, InformalEventFactory
from tests.ui.conftest import busy, enrolled_match

pytestmark = pytest.mark.django_db


def act(client, match, **data):
    return client.post(reverse("buddy:match-action", args=[match.pk]), data)


def test_the_list_shows_status_and_last_contact(logged_in, program):
    match = enrolled_match(program)
    event = InformalEventFactory(match=match, event_date=timezone.now() - timedelta(days=2))
    response = logged_in.get(reverse("buddy:matches"))
    row = next(m for m in response.context["page"] if m.pk == match.pk)
    assert row.last_contact == event.event_date
    assert "Active" in response.content.decode()


def test_the_list_filters_by_status(logged_in, program):
    active = enrolled_match(program)
    enrolled_match(program, ended=True)
    ids = {m.pk for m in logged_in.get("/matches/?status=active").context["page"]}
    assert ids == {active.pk}


def test_the_list_costs_the_same_queries_whatever_the_data_size(logged_in, program):
    busy(program, 1)
    enrollments_recompute_program(program=program)  # every active match has its health row
    logged_in.get("/matches/")
    with CaptureQueriesContext(connection) as small:
        logged_in.get("/matches/")
    busy(program, 6)
    enrollments_recompute_program(program=program)
    with CaptureQueriesContext(connection) as large:
        response = logged_in.get("/matches/")
    assert len(large) == len(small)
    assert all(m.health.score is not None for m in response.context["page"])


def test_the_list_shows_health_band_score_and_reason(logged_in, program):
    match = enrolled_match(program, matched_at=timezone.now() - timedelta(days=90))
    enrollments_recompute_program(program=program)
    health = MatchHealth.objects.get(match=match)
    html = logged_in.get(reverse("buddy:matches")).content.decode()
    reason = health.band_reason_text or health.reason_texts[0]
    label = {"healthy": "Healthy", "watch": "Watch", "at_risk": "At risk"}[health.band]
    assert f'class="health-{health.band}" title="{reason}">{label} · {health.score}' in html
    assert f'<span class="health-reason">{reason}</span>' in html


def test_a_match_without_health_shows_a_dash(logged_in, program):
    enrolled_match(program, ended=True)
    response = logged_in.get(reverse("buddy:matches"))
    assert not MatchHealth.objects.exists() and "health-reason" not in response.content.decode()


def test_a_match_page_shows_timeline_transitions_checkins_and_feedback(logged_in, program):
    match = enrolled_match(program)
    CheckInFactory(match=match, mood="okay", notes="Notes only coordinators read")
    FeedbackFactory(match=match, rating=0.8, communication=0.9)
    MatchTransition.objects.create(
        match=match, to_status="active", at=timezone.now(), via="webhook"
    )
    html = logged_in.get(reverse("buddy:match", args=[match.pk])).content.decode()
    assert "Check-in" in html and "Notes only coordinators read" in html
    assert "0.80" in html and "0.90" in html
    assert "→ active" in html
    assert 'data-chart="mood"' in html and 'role="img"' in html


def test_a_viewer_reads_a_match_masked_and_gets_no_actions(client, viewer, program):
    match = enrolled_match(program)
    CheckInFactory(match=match, notes="Secret notes 4411")
    client.force_login(viewer)
    html = client.get(reverse("buddy:match", args=[match.pk])).content.decode()
    assert "Secret notes 4411" not in html and MASK in html
    assert reverse("buddy:match-action", args=[match.pk]) not in html
    assert (
        client.get(reverse("buddy:match-action", args=[match.pk]) + "?action=end").status_code
        == 403
    )


def test_a_viewer_reads_the_note_of_a_move_masked_and_its_reason_plainly(client, viewer, program):
    match = enrolled_match(program)
    match_transition(
        match=match, to_status="inactive", via="coordinator", reason="pause", note="Note 5512"
    )
    client.force_login(viewer)
    html = client.get(reverse("buddy:match", args=[match.pk])).content.decode()
    assert "Note 5512" not in html and "· pause · " + MASK in html


def test_ending_asks_for_confirmation_first(logged_in, program):
    match = enrolled_match(program)
    response = logged_in.get(reverse("buddy:match-action", args=[match.pk]) + "?action=end")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="end_reason"' in html and 'name="confirm"' in html
    match.refresh_from_db()
    assert match.status == MatchStatus.ACTIVE


def test_a_coordinator_ends_a_match_with_a_reason(logged_in, coordinator, program):
    match = enrolled_match(program)
    today = timezone.localdate().isoformat()
    response = act(
        logged_in, match, action="end", end_reason="mutual_agreement", ended_on=today, confirm="on"
    )
    assert response.status_code == 302
    match.refresh_from_db()
    assert (match.status, match.end_reason) == (MatchStatus.ENDED, "mutual_agreement")
    last = match.transitions.order_by("at", "id").last()
    assert (last.to_status, last.actor, last.via) == ("ended", coordinator, "coordinator")


def test_a_coordinator_ends_a_match_with_a_note(logged_in, program):
    match = enrolled_match(program)
    today = timezone.localdate().isoformat()
    act(
        logged_in,
        match,
        action="end",
        end_reason="completed",
        ended_on=today,
        note="Both moved on",
        confirm="on",
    )
    match.refresh_from_db()
    assert match.end_note == "Both moved on"


def test_ending_without_a_reason_says_so_next_to_the_field_and_keeps_the_input(logged_in, program):
    match = enrolled_match(program)
    response = act(logged_in, match, action="end", ended_on="2001-01-01", confirm="on")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="end_reason_error"' in html and "Choose why the match ends." in html
    assert 'value="2001-01-01"' in html  # what was typed stays
    assert Match.objects.get(pk=match.pk).status == MatchStatus.ACTIVE


def test_an_action_without_confirmation_changes_nothing(logged_in, program):
    match = enrolled_match(program)
    assert act(logged_in, match, action="pause").status_code == 400
    assert Match.objects.get(pk=match.pk).status == MatchStatus.ACTIVE


def test_pause_and_resume_move_an_active_match_to_inactive_and_back(logged_in, program):
    match = enrolled_match(program)
    assert act(logged_in, match, action="pause", confirm="on").status_code == 302
    assert Match.objects.get(pk=match.pk).status == MatchStatus.INACTIVE
    assert act(logged_in, match, action="resume", confirm="on").status_code == 302
    assert Match.objects.get(pk=match.pk).status == MatchStatus.ACTIVE


def test_accept_activate_and_decline_a_proposed_match(logged_in, program):
    proposed = enrolled_match(program, status="proposed", source="coordinator", matched_at=None)
    assert act(logged_in, proposed, action="accept", confirm="on").status_code == 302
    assert act(logged_in, proposed, action="activate", confirm="on").status_code == 302
    assert Match.objects.get(pk=proposed.pk).status == MatchStatus.ACTIVE
    other = enrolled_match(program, status="proposed", source="coordinator", matched_at=None)
    assert act(logged_in, other, action="decline", note="Too far", confirm="on").status_code == 302
    assert Match.objects.get(pk=other.pk).status == MatchStatus.DECLINED


def test_declining_without_a_note_asks_for_one_next_to_the_field(logged_in, program):
    proposed = enrolled_match(program, status="proposed", source="coordinator", matched_at=None)
    response = act(logged_in, proposed, action="decline", confirm="on")
    assert response.status_code == 400
    assert 'id="note_error"' in response.content.decode()
    assert Match.objects.get(pk=proposed.pk).status == MatchStatus.PROPOSED


def test_a_note_written_with_a_move_is_kept_apart_from_its_reason(logged_in, program):
    match = enrolled_match(program)
    act(logged_in, match, action="pause", note="Holiday until May", confirm="on")
    last = match.transitions.order_by("at", "id").last()
    assert (last.reason, last.note) == ("pause", "Holiday until May")


def test_an_action_the_lifecycle_refuses_is_a_400_with_a_message(logged_in, program):
    match = enrolled_match(program, ended=True)
    response = act(logged_in, match, action="resume", confirm="on")
    assert response.status_code == 400
    assert "cannot do this" in response.content.decode()


def test_a_rule_of_the_service_comes_back_as_a_form_error(logged_in, program):
    """The service (one open app match per participant) refuses; the page says why."""
    first = enrolled_match(program, source="coordinator")
    second = enrolled_match(
        program,
        participant=first.participant,
        status="accepted",
        source="coordinator",
        matched_at=None,
    )
    response = act(logged_in, second, action="activate", confirm="on")
    assert response.status_code == 400
    assert "already has a proposed, accepted or active match" in response.content.decode()


def test_a_match_out_of_scope_is_a_404(logged_in):
    from buddy.models import Program

    other = enrolled_match(Program.objects.get(program_type="mentorship"))
    assert logged_in.get(reverse("buddy:match", args=[other.pk])).status_code == 404
    assert act(logged_in, other, action="pause", confirm="on").status_code == 404


def test_a_match_page_costs_the_same_queries_whatever_its_activity(logged_in, program):
    match = enrolled_match(program)
    url = reverse("buddy:match", args=[match.pk])
    CheckInFactory(match=match)
    logged_in.get(url)
    with CaptureQueriesContext(connection) as small:
        logged_in.get(url)
    for _ in range(5):
        CheckInFactory(match=match)
        FeedbackFactory(match=match)
        InformalEventFactory(match=match)
    with CaptureQueriesContext(connection) as large:
        logged_in.get(url)
    assert len(large) == len(small)
