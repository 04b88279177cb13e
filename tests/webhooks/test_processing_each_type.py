"""Each of the 8 event types, delivered in contract order, writes its domain row through
the buddy services and answers 200."""

import pytest

from buddy.models import (
    CheckIn,
    Enrollment,
    EnrollmentStatus,
    EventAttendance,
    Feedback,
    InformalEvent,
    Match,
    MatchStatus,
    MilestoneAchievement,
    SkillSession,
)
from tests.webhooks.conftest import EXAMPLE_FILES, MATCH_ID, example
from webhooks.models import DeliveryStatus, EventStatus, WebhookEvent


def test_every_event_type_is_processed_into_its_table(pair, send):
    participant, buddy = pair
    for event_type in EXAMPLE_FILES:
        response = send(example(event_type), delivery_id=f"d-{event_type}")
        assert response.status_code == 200, (event_type, response.json())
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "status": "success",
            "message": "Event processed.",
            "deliveryId": f"d-{event_type}",
        }

    match = Match.objects.get(external_id=MATCH_ID)
    assert (match.participant, match.buddy) == (participant, buddy)
    assert match.status == MatchStatus.ENDED
    assert match.end_reason == "completed" and match.duration_days == 184
    assert match.matching_criteria["interests"] == ["cooking", "chess"]
    assert InformalEvent.objects.get(match=match).duration_minutes == 120
    assert EventAttendance.objects.get(person=participant).sdg_goals == [10, 11]
    session = SkillSession.objects.get()
    assert (session.teacher, session.learner, session.learner_progress) == (
        buddy,
        participant,
        "good-progress",
    )
    assert CheckIn.objects.get(match=match).mood == "good"
    assert Feedback.objects.get(match=match).rating == pytest.approx(0.85)
    assert MilestoneAchievement.objects.get(person=participant).points == 50

    assert WebhookEvent.objects.filter(status=EventStatus.PROCESSED).count() == 8
    for event in WebhookEvent.objects.all():
        assert event.deliveries.get().status == DeliveryStatus.PROCESSED
        assert event.processed_at is not None
    # match.ended triggered the enrollment recompute: the last match ended "completed"
    enrollment = Enrollment.objects.get(person=participant)
    assert enrollment.status == EnrollmentStatus.COMPLETED


def test_match_ended_without_duration_computes_it(pair, send):
    send(example("buddy.match.created"))
    data = example("buddy.match.ended")
    del data["data"]["durationDays"]
    assert send(data).status_code == 200
    match = Match.objects.get(external_id=MATCH_ID)
    assert match.duration_days == (match.ended_at - match.matched_at).days == 184


def test_match_created_enrolls_both_people(db, send):
    from tests.factories import BuddyFactory, ParticipantFactory
    from tests.webhooks.conftest import BUDDY_ID, PARTICIPANT_ID

    participant = ParticipantFactory(external_id=PARTICIPANT_ID)
    buddy = BuddyFactory(external_id=BUDDY_ID)
    assert not Enrollment.objects.exists()
    assert send(example("buddy.match.created")).status_code == 200
    # (their status is the enrollments app's business: the example dates are months old)
    assert set(Enrollment.objects.values_list("person_id", flat=True)) == {
        participant.pk,
        buddy.pk,
    }
