"""Events that arrive before the user or match they name wait for it and are processed
automatically once it arrives, by webhook or by import."""

from datetime import UTC, datetime

from buddy.models import CheckIn, Feedback, InformalEvent, Match, MatchStatus, SkillSession
from buddy.schemas import UserRecord
from buddy.services.people import person_record
from tests.factories import BuddyFactory, ParticipantFactory, buddy_program
from tests.webhooks.conftest import BUDDY_ID, MATCH_ID, PARTICIPANT_ID, example
from webhooks.models import DeliveryStatus, EventReference, EventStatus, WebhookEvent


def _user(external_id: str, role: str) -> UserRecord:
    return UserRecord(
        id=external_id,
        email=f"{external_id[:8]}@example.org",
        first_name="A",
        last_name="B",
        role=role,
        joined_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


def test_feedback_before_its_match_waits_then_is_processed(pair, send):
    response = send(example("buddy.feedback.submitted"), delivery_id="d-fb")
    assert response.status_code == 500
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.WAITING
    reference = EventReference.objects.get(event=event)
    assert (reference.kind, reference.external_id, reference.blocking) == ("match", MATCH_ID, True)

    assert send(example("buddy.match.created")).status_code == 200

    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED
    assert Feedback.objects.get().match.external_id.hex == MATCH_ID.replace("-", "")
    assert not EventReference.objects.filter(event=event).exists()
    # the sender's retry of the failed delivery is now answered 202
    assert event.deliveries.get().status == DeliveryStatus.PROCESSED
    assert send(example("buddy.feedback.submitted"), delivery_id="d-fb").status_code == 202


def test_match_ended_before_match_created_ends_the_match(pair, send):
    assert send(example("buddy.match.ended")).status_code == 500
    assert send(example("buddy.checkin.completed")).status_code == 500
    assert send(example("buddy.match.created")).status_code == 200
    match = Match.objects.get()
    assert match.status == MatchStatus.ENDED and match.duration_days == 184
    assert CheckIn.objects.filter(match=match).count() == 1
    assert not WebhookEvent.objects.exclude(status=EventStatus.PROCESSED).exists()


def test_events_wait_for_users_that_arrive_by_import(db, send, django_capture_on_commit_callbacks):
    program = buddy_program()
    assert send(example("buddy.match.created")).status_code == 500
    assert send(example("buddy.skill_share.completed")).status_code == 500
    with django_capture_on_commit_callbacks(execute=True):
        person_record(record=_user(PARTICIPANT_ID, "participant"), program=program)
    assert not Match.objects.exists()  # still waits for the buddy
    assert EventReference.objects.filter(external_id=BUDDY_ID, blocking=True).exists()
    with django_capture_on_commit_callbacks(execute=True):
        person_record(record=_user(BUDDY_ID, "buddy"), program=program)
    # the buddy's arrival released match.created, whose match released the skill session
    assert Match.objects.get().external_id is not None
    assert SkillSession.objects.count() == 1
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {EventStatus.PROCESSED}


def test_weak_references_are_flagged_then_resolved_when_the_user_arrives(db, send):
    from tests.factories import MatchFactory

    MatchFactory(external_id=MATCH_ID, participant__external_id=PARTICIPANT_ID)
    assert send(example("buddy.event.logged")).status_code == 200  # unknown attendee kept
    event = InformalEvent.objects.get()
    assert event.unknown_attendee_ids == [BUDDY_ID]
    assert EventReference.objects.filter(external_id=BUDDY_ID, blocking=False).exists()

    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        BuddyFactory(external_id=BUDDY_ID)
        from buddy.services.arrivals import references_arrived

        references_arrived(person_ids=[BUDDY_ID])
    event.refresh_from_db()
    assert event.unknown_attendee_ids == []
    assert not EventReference.objects.exists()


def test_people_created_without_a_signal_are_picked_up_by_replay(db, send):
    assert send(example("buddy.match.created")).status_code == 500
    ParticipantFactory(external_id=PARTICIPANT_ID)
    BuddyFactory(external_id=BUDDY_ID)
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.WAITING  # factories request no re-run
    from webhooks.services import event_replay

    assert event_replay(event=event).outcome.value == "processed"
