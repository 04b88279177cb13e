"""Journey flags: counters and the status flags coordinators act on."""

from datetime import timedelta

from buddy.services.enrollments import enrollment_ensure
from enrollments.models import JourneyFlags
from enrollments.services import enrollments_recompute
from tests.factories import (
    CheckInFactory,
    EventAttendanceFactory,
    FeedbackFactory,
    InformalEventFactory,
    MatchFactory,
    MilestoneAchievementFactory,
    SkillSessionFactory,
)


def flags_of(match, program, now, *, person=None) -> JourneyFlags:
    person = person or match.participant
    enrollment = enrollment_ensure(
        person=person, program=program, enrolled_at=now - timedelta(days=100), via="test"
    )
    enrollments_recompute(program=program, person_ids=[person.pk], now=now)
    return JourneyFlags.objects.get(enrollment=enrollment)


def test_counters_count_each_kind_of_activity(program, now):
    match = MatchFactory(matched_at=now - timedelta(days=20))
    InformalEventFactory(match=match, event_date=now - timedelta(days=2))
    EventAttendanceFactory(person=match.participant, attended_at=now - timedelta(days=1))
    CheckInFactory(match=match, checkin_date=now - timedelta(days=3))
    CheckInFactory(match=match, checkin_date=now - timedelta(days=4))
    SkillSessionFactory(match=match, completed_at=now - timedelta(days=5))
    MilestoneAchievementFactory(person=match.participant, reached_at=now - timedelta(hours=5))
    flags = flags_of(match, program, now)
    assert (
        flags.matches_count,
        flags.events_count,
        flags.checkins_count,
        flags.skill_sessions_count,
        flags.milestones_count,
    ) == (1, 2, 2, 1, 1)
    assert flags.match_active is True
    assert flags.last_activity_at == now - timedelta(hours=5)
    assert flags.joined_at == now - timedelta(days=100)


def test_checkin_due_after_seven_days_without_a_check_in(program, now):
    match = MatchFactory(matched_at=now - timedelta(days=30))
    CheckInFactory(match=match, checkin_date=now - timedelta(days=8))
    assert flags_of(match, program, now).checkin_due is True
    CheckInFactory(match=match, checkin_date=now - timedelta(days=6))
    assert flags_of(match, program, now).checkin_due is False


def test_a_new_match_without_check_in_is_due_after_seven_days(program, now):
    assert (
        flags_of(MatchFactory(matched_at=now - timedelta(days=6)), program, now).checkin_due
        is False
    )
    assert (
        flags_of(MatchFactory(matched_at=now - timedelta(days=8)), program, now).checkin_due is True
    )


def test_feedback_pending_30_days_after_matching_then_every_60(program, now):
    fresh = MatchFactory(matched_at=now - timedelta(days=29))
    assert flags_of(fresh, program, now).feedback_pending is False
    month = MatchFactory(matched_at=now - timedelta(days=31))
    assert flags_of(month, program, now).feedback_pending is True
    FeedbackFactory(match=month, submitted_at=now - timedelta(days=59))
    assert flags_of(month, program, now).feedback_pending is False
    old = MatchFactory(matched_at=now - timedelta(days=200))
    FeedbackFactory(match=old, submitted_at=now - timedelta(days=61))
    assert flags_of(old, program, now).feedback_pending is True


def test_no_contact_flags_after_14_and_30_days_of_silence(program, now):
    match = MatchFactory(matched_at=now - timedelta(days=100))
    InformalEventFactory(match=match, event_date=now - timedelta(days=20))
    flags = flags_of(match, program, now)
    assert (flags.no_contact_14, flags.no_contact_30) == (True, False)
    silent = MatchFactory(matched_at=now - timedelta(days=100))
    SkillSessionFactory(match=silent, completed_at=now - timedelta(days=31))
    flags = flags_of(silent, program, now)
    assert (flags.no_contact_14, flags.no_contact_30) == (True, True)
    talking = MatchFactory(matched_at=now - timedelta(days=100))
    FeedbackFactory(match=talking, submitted_at=now - timedelta(days=1))
    flags = flags_of(talking, program, now)
    assert (flags.no_contact_14, flags.no_contact_30) == (False, False)


def test_ended_matches_raise_no_status_flags(program, now):
    match = MatchFactory(matched_at=now - timedelta(days=300), ended=True)
    flags = flags_of(match, program, now)
    assert not any(
        [flags.match_active, flags.checkin_due, flags.feedback_pending, flags.no_contact_14]
    )


def test_struggling_when_the_last_two_moods_are_struggling_or_difficult(program, now):
    match = MatchFactory(matched_at=now - timedelta(days=60))
    CheckInFactory(match=match, checkin_date=now - timedelta(days=9), mood="great")
    CheckInFactory(match=match, checkin_date=now - timedelta(days=5), mood="struggling")
    CheckInFactory(match=match, checkin_date=now - timedelta(days=4), mood="")
    assert flags_of(match, program, now).struggling is False
    CheckInFactory(match=match, checkin_date=now - timedelta(days=2), mood="difficult")
    assert flags_of(match, program, now).struggling is True
    CheckInFactory(match=match, checkin_date=now - timedelta(days=1), mood="okay")
    assert flags_of(match, program, now).struggling is False


def test_thresholds_are_settings(program, now, settings):
    settings.ENROLLMENTS = {**settings.ENROLLMENTS, "CHECKIN_DUE_DAYS": 2}
    match = MatchFactory(matched_at=now - timedelta(days=30))
    CheckInFactory(match=match, checkin_date=now - timedelta(days=3))
    assert flags_of(match, program, now).checkin_due is True


def test_buddies_get_flags_for_their_matches_too(program, now):
    match = MatchFactory(matched_at=now - timedelta(days=40))
    flags = flags_of(match, program, now, person=match.buddy)
    assert (flags.matches_count, flags.match_active, flags.feedback_pending) == (1, True, True)
