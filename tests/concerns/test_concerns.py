"""Cases: the workflow through one service, its audit trail, events, outcomes and who sees
what."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from buddy.models import Match, MatchStatus
from concerns.models import Concern, Status
from concerns.services import (
    concern_acknowledge,
    concern_meeting_add,
    concern_open,
    concern_resolve,
    concerns_suggest,
)
from core.errors import DomainError
from core.models import OutboxEvent
from enrollments.attention import attention_queue
from matching.selectors import excluded_pairs
from tests.factories import CheckInFactory, FeedbackFactory, MatchFactory, coordinator_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def match(program):
    return MatchFactory(program=program)


def test_opening_a_case_sets_its_response_target_and_publishes_ids_only(program, match):
    concern = concern_open(
        program=program, match=match, category="boundaries", severity="high",
        description="Sent messages at night.",
    )  # fmt: skip
    assert concern.respond_by - concern.opened_at == timedelta(hours=48)
    assert set(concern.involved.values_list("pk", flat=True)) == {
        match.participant_id,
        match.buddy_id,
    }
    event = OutboxEvent.objects.get(type="concern.opened")
    assert event.data["concernId"] == concern.pk and event.data["category"] == "boundaries"
    assert "Sent messages" not in str(event.data)


def test_a_safeguarding_case_must_be_answered_within_24_hours_whatever_its_severity(program, match):
    concern = concern_open(program=program, match=match, category="safeguarding", severity="low")
    assert concern.respond_by - concern.opened_at == timedelta(hours=24)


def test_every_step_is_audited_in_order(program, match):
    concern = concern_open(program=program, match=match, category="communication", severity="low")
    concern_acknowledge(concern=concern)
    concern_meeting_add(
        concern=concern, held_at=timezone.now(), notes="Talked.", agreed_actions="Weekly call."
    )
    concern_resolve(concern=concern, outcome="continues")
    steps = list(concern.steps.values_list("action", "from_status", "to_status"))
    assert steps == [
        ("opened", "", "open"),
        ("acknowledged", "open", "acknowledged"),
        ("meeting", "acknowledged", "in_mediation"),
        ("resolved", "in_mediation", "resolved"),
    ]
    assert OutboxEvent.objects.get(type="concern.resolved").data["outcome"] == "continues"


def test_a_meeting_needs_an_acknowledged_case(program, match):
    concern = concern_open(program=program, match=match, category="communication", severity="low")
    with pytest.raises(DomainError) as error:
        concern_meeting_add(concern=concern, held_at=timezone.now())
    assert error.value.code == "concern.illegal_transition"


def test_resolving_with_match_ended_ends_the_match_with_the_reason(program, match):
    concern = concern_open(program=program, match=match, category="reliability", severity="medium")
    concern_resolve(concern=concern, outcome="match_ended", end_reason="inactivity")
    match.refresh_from_db()
    assert (match.status, match.end_reason) == (MatchStatus.ENDED, "inactivity")


def test_match_ended_needs_a_reason(program, match):
    concern = concern_open(program=program, match=match, category="reliability", severity="medium")
    with pytest.raises(DomainError) as error:
        concern_resolve(concern=concern, outcome="match_ended")
    assert error.value.errors[0].path == "end_reason"
    assert Match.objects.get(pk=match.pk).status == match.status  # nothing half-written


def test_a_violation_outcome_blocks_re_pairing_the_two(program, match):
    concern = concern_open(program=program, match=match, category="discrimination", severity="high")
    concern_resolve(concern=concern, outcome="escalated", violation=True)
    pairs = excluded_pairs(program=program, never_repair_any=False)
    assert (match.participant_id, match.buddy_id) in pairs["violation"]


def test_two_difficult_check_ins_in_a_row_suggest_one_case(program, match):
    now = timezone.now()
    CheckInFactory(match=match, checkin_date=now - timedelta(days=3), mood="difficult")
    CheckInFactory(match=match, checkin_date=now - timedelta(days=1), mood="difficult")
    assert concerns_suggest(program=program, now=now) == 1
    assert concerns_suggest(program=program, now=now) == 0  # one case per trigger
    assert Concern.objects.get().source == "automatic"


def test_a_rating_below_0_2_suggests_a_case(program, match):
    now = timezone.now()
    FeedbackFactory(match=match, rating=0.1, submitted_at=now - timedelta(days=2))
    FeedbackFactory(match=match, rating=0.6, submitted_at=now - timedelta(days=1))
    assert concerns_suggest(program=program, now=now) == 1


def test_overdue_cases_top_the_attention_queue(program, match):
    concern_open(
        program=program, match=match, category="communication", severity="critical",
        now=timezone.now() - timedelta(days=2),
    )  # fmt: skip
    items = attention_queue(program=program)
    assert items[0].kind == "concern.overdue"


def test_a_restricted_case_shows_only_that_it_exists_without_the_permission(client, program, match):
    concern = concern_open(
        program=program, match=match, category="safeguarding", severity="high",
        description="Private details.",
    )  # fmt: skip
    plain = coordinator_of(program, username="plain")
    client.force_login(plain)
    body = client.get(f"/api/concerns/{concern.pk}/").json()
    assert body["restricted"] is True
    assert "description" not in body and "category" not in body and "match" not in body
    assert client.post(f"/api/concerns/{concern.pk}/acknowledge/").status_code == 403

    trusted = coordinator_of(program, username="trusted")
    trusted.user_permissions.add(Permission.objects.get(codename="safeguarding"))
    client.force_login(trusted)
    body = client.get(f"/api/concerns/{concern.pk}/").json()
    assert body["description"] == "Private details."
    assert client.post(f"/api/concerns/{concern.pk}/acknowledge/").status_code == 200


def test_the_case_list_filters_by_status_and_refuses_unknown_values(client, program, match):
    open_case = concern_open(program=program, match=match, category="other", severity="low")
    done = concern_open(program=program, match=match, category="other", severity="low")
    concern_resolve(concern=done, outcome="continues")
    client.force_login(coordinator_of(program))
    ids = [row["id"] for row in client.get("/api/concerns/?status=open").json()["results"]]
    assert ids == [open_case.pk]
    assert client.get("/api/concerns/?status=lost").status_code == 400
    assert Concern.objects.get(pk=done.pk).status == Status.RESOLVED
