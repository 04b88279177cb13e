"""Enrollment lifecycle rules of seed 002, each with its history row."""

from datetime import timedelta

import pytest

from buddy.models import EnrollmentStatusChange, MatchStatus
from buddy.services.enrollments import enrollment_ensure
from core.errors import ValidationFailed
from enrollments.services import enrollment_record_left, enrollments_recompute
from tests.factories import CheckInFactory, MatchFactory, ParticipantFactory


def enrolled(person, program, now, days=100):
    return enrollment_ensure(
        person=person, program=program, enrolled_at=now - timedelta(days=days), via="test"
    )


def recompute(enrollment, now):
    enrollments_recompute(program=enrollment.program, person_ids=[enrollment.person_id], now=now)
    enrollment.refresh_from_db()
    return enrollment


def history(enrollment):
    return list(
        EnrollmentStatusChange.objects.filter(enrollment=enrollment)
        .order_by("id")
        .values_list("from_status", "to_status", "reason")
    )


def test_joining_creates_an_active_enrollment_with_its_first_history_row(program, now):
    enrollment = enrolled(ParticipantFactory(), program, now)
    assert enrollment.status == "active"
    assert history(enrollment) == [("", "active", "joined (test)")]


def test_joining_twice_keeps_one_enrollment(program, now):
    person = ParticipantFactory()
    assert enrolled(person, program, now).pk == enrolled(person, program, now).pk


def test_completed_when_all_matches_ended_and_the_last_ended_completed(program, now):
    match = MatchFactory(matched_at=now - timedelta(days=90), ended=True)
    MatchFactory(
        participant=match.participant,
        matched_at=now - timedelta(days=200),
        status=MatchStatus.ENDED,
        ended_at=now - timedelta(days=150),
        end_reason="participant_request",
    )
    enrollment = recompute(enrolled(match.participant, program, now, days=300), now)
    assert enrollment.status == "completed"
    assert enrollment.completed_at == match.ended_at
    assert history(enrollment)[-1] == ("active", "completed", "last match ended completed")


def test_dropped_when_all_matches_ended_and_the_last_did_not_complete(program, now):
    first = MatchFactory(matched_at=now - timedelta(days=200), ended=True)
    MatchFactory(
        participant=first.participant,
        matched_at=now - timedelta(days=60),
        status=MatchStatus.ENDED,
        ended_at=now - timedelta(days=10),
        end_reason="participant_request",
    )
    enrollment = recompute(enrolled(first.participant, program, now, days=300), now)
    assert enrollment.status == "dropped"
    assert history(enrollment)[-1] == ("active", "dropped", "last match ended early")


def test_an_open_match_keeps_the_enrollment_active(program, now):
    ended = MatchFactory(matched_at=now - timedelta(days=90), ended=True)
    MatchFactory(participant=ended.participant, matched_at=now - timedelta(days=5))
    enrollment = recompute(enrolled(ended.participant, program, now), now)
    assert enrollment.status == "active"
    assert enrollment.completed_at is None


def test_a_declined_proposal_does_not_keep_the_enrollment_open(program, now):
    ended = MatchFactory(matched_at=now - timedelta(days=90), ended=True)
    MatchFactory(participant=ended.participant, matched_at=None, status=MatchStatus.DECLINED)
    assert recompute(enrolled(ended.participant, program, now), now).status == "completed"


def test_a_new_match_reactivates_a_completed_enrollment(program, now):
    ended = MatchFactory(matched_at=now - timedelta(days=90), ended=True)
    enrollment = recompute(enrolled(ended.participant, program, now), now)
    assert enrollment.status == "completed"
    MatchFactory(participant=ended.participant, matched_at=now - timedelta(days=1))
    enrollment = recompute(enrollment, now)
    assert enrollment.status == "active"
    assert enrollment.completed_at is None
    assert [row[:2] for row in history(enrollment)] == [
        ("", "active"),
        ("active", "completed"),
        ("completed", "active"),
    ]


def test_recording_that_the_person_left_drops_the_enrollment(program, now, coordinator):
    match = MatchFactory(matched_at=now - timedelta(days=30))
    enrollment = enrolled(match.participant, program, now)
    left_at = now - timedelta(days=2)
    enrollment = enrollment_record_left(enrollment=enrollment, left_at=left_at, by=coordinator)
    assert (enrollment.status, enrollment.left_at, enrollment.completed_at) == (
        "dropped",
        left_at,
        left_at,
    )
    assert history(enrollment)[-1] == ("active", "dropped", "left the program")
    # Still dropped after any later recompute, while no match starts after leaving.
    CheckInFactory(match=match, checkin_date=now - timedelta(days=1))
    assert recompute(enrollment, now).status == "dropped"


def test_the_history_names_the_coordinator_who_recorded_the_leave(program, now, coordinator):
    enrollment = enrolled(
        MatchFactory(matched_at=now - timedelta(days=30)).participant, program, now
    )
    enrollment_record_left(enrollment=enrollment, left_at=now - timedelta(days=2), by=coordinator)
    joined, left = EnrollmentStatusChange.objects.filter(enrollment=enrollment).order_by("id")
    assert (joined.by, left.by) == (None, coordinator)  # the rules' changes name nobody


def test_a_match_started_after_leaving_reactivates(program, now):
    person = ParticipantFactory()
    enrollment = enrolled(person, program, now)
    enrollment_record_left(enrollment=enrollment, left_at=now - timedelta(days=20))
    MatchFactory(participant=person, matched_at=now - timedelta(days=3))
    assert recompute(enrollment, now).status == "active"


def test_leaving_in_the_future_is_refused(program, now):
    enrollment = enrolled(ParticipantFactory(), program, now)
    with pytest.raises(ValidationFailed) as refused:
        enrollment_record_left(enrollment=enrollment, left_at=now + timedelta(days=3))
    assert refused.value.errors[0].path == "left_at"


def test_six_months_without_activity_drops_the_enrollment(program, now):
    match = MatchFactory(matched_at=now - timedelta(days=400))
    CheckInFactory(match=match, checkin_date=now - timedelta(days=183))
    enrollment = recompute(enrolled(match.participant, program, now, days=500), now)
    assert enrollment.status == "dropped"
    assert enrollment.completed_at == now - timedelta(days=183)
    assert history(enrollment)[-1] == ("active", "dropped", "no activity for 6 months")


def test_recent_activity_keeps_a_long_match_active(program, now):
    match = MatchFactory(matched_at=now - timedelta(days=400))
    CheckInFactory(match=match, checkin_date=now - timedelta(days=170))
    assert recompute(enrolled(match.participant, program, now, days=500), now).status == "active"


def test_a_person_waiting_for_a_match_since_joining_stays_active_for_six_months(program, now):
    assert recompute(enrolled(ParticipantFactory(), program, now, days=150), now).status == "active"
    old = enrolled(ParticipantFactory(), program, now, days=200)
    assert recompute(old, now).status == "dropped"


def test_the_inactivity_threshold_is_a_setting(program, now, settings):
    settings.ENROLLMENTS = {**settings.ENROLLMENTS, "INACTIVE_AFTER_DAYS": 30}
    enrollment = recompute(enrolled(ParticipantFactory(), program, now, days=40), now)
    assert enrollment.status == "dropped"


def test_a_match_service_enqueues_the_recompute_on_commit(
    program, now, django_capture_on_commit_callbacks
):
    from buddy.services.matches import match_end

    match = MatchFactory(matched_at=now - timedelta(days=40))
    enrollment = enrolled(match.participant, program, now)
    with django_capture_on_commit_callbacks(execute=True):
        match_end(match=match, ended_at=now, end_reason="completed", via="coordinator")
    enrollment.refresh_from_db()
    assert enrollment.status == "completed"
    assert enrollment.journey.matches_count == 1


def test_recompute_of_one_person_takes_a_bounded_number_of_queries(
    program, now, django_assert_max_num_queries
):
    match = MatchFactory(matched_at=now - timedelta(days=40))
    CheckInFactory(match=match)
    enrolled(match.participant, program, now)
    # The journey (20) and the health of the person's active match (a dozen).
    with django_assert_max_num_queries(32):
        enrollments_recompute(program=program, person_ids=[match.participant_id], now=now)
