"""The database itself refuses rows that break the model's invariants."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from buddy.models import DataSource, MatchStatus
from tests.factories import (
    BuddyFactory,
    EventAttendanceFactory,
    FeedbackFactory,
    MatchFactory,
    MilestoneAchievementFactory,
    ParticipantFactory,
    PersonFactory,
    SkillSessionFactory,
)

pytestmark = pytest.mark.django_db


def refused(factory, **kwargs) -> bool:
    try:
        with transaction.atomic():
            factory(**kwargs)
    except IntegrityError:
        return True
    return False


def test_feedback_rating_above_one_is_refused():
    assert refused(FeedbackFactory, rating=1.01)


def test_feedback_rating_below_zero_is_refused():
    assert refused(FeedbackFactory, rating=-0.1)


def test_feedback_category_rating_outside_bounds_is_refused():
    assert refused(FeedbackFactory, engagement=1.5)


def test_feedback_rating_bounds_are_inclusive():
    FeedbackFactory(rating=0.0)
    FeedbackFactory(rating=1.0)


def test_skill_session_learner_rating_outside_bounds_is_refused():
    assert refused(SkillSessionFactory, learner_rating=2)


def test_unknown_mood_is_refused():
    from tests.factories import CheckInFactory

    assert refused(CheckInFactory, mood="meh")


def test_unknown_match_status_is_refused():
    assert refused(MatchFactory, status="paused")


def test_match_ending_before_it_started_is_refused():
    match = MatchFactory.build()
    assert refused(
        MatchFactory,
        participant=ParticipantFactory(),
        buddy=BuddyFactory(),
        status=MatchStatus.ENDED,
        matched_at=match.matched_at,
        ended_at=match.matched_at - timedelta(days=1),
    )


def test_match_pairing_a_person_with_themselves_is_refused():
    person = PersonFactory()
    assert refused(MatchFactory, participant=person, buddy=person)


def test_match_external_ids_are_unique():
    match = MatchFactory()
    assert refused(MatchFactory, external_id=match.external_id)


def test_second_active_app_match_for_a_participant_is_refused():
    participant = ParticipantFactory()
    MatchFactory(participant=participant, source=DataSource.COORDINATOR)
    assert refused(MatchFactory, participant=participant, source=DataSource.RECOMMENDATION)


def test_second_active_match_reported_by_the_buddy_system_is_recorded():
    participant = ParticipantFactory()
    MatchFactory(participant=participant, source=DataSource.WEBHOOK)
    assert not refused(MatchFactory, participant=participant, source=DataSource.IMPORT)


def test_attendance_is_unique_per_event_and_person():
    attendance = EventAttendanceFactory()
    assert refused(
        EventAttendanceFactory,
        event_external_id=attendance.event_external_id,
        person=attendance.person,
    )


def test_milestone_is_unique_per_milestone_person_and_time():
    milestone = MilestoneAchievementFactory()
    assert refused(
        MilestoneAchievementFactory,
        milestone_id=milestone.milestone_id,
        person=milestone.person,
        reached_at=milestone.reached_at,
    )


def test_two_people_cannot_share_an_email():
    PersonFactory(email="same@example.org")
    assert refused(PersonFactory, email=" SAME@example.org ")


def test_buddy_capacity_must_be_positive():
    assert refused(BuddyFactory, capacity=0)


@pytest.mark.postgres
@pytest.mark.parametrize("goals", [[0], [18], [4, 99], [1.5], ["4"]])
def test_sdg_goals_outside_1_to_17_are_refused(goals):
    assert refused(EventAttendanceFactory, sdg_goals=goals)


@pytest.mark.postgres
def test_sdg_goals_within_1_to_17_are_accepted():
    EventAttendanceFactory(sdg_goals=[1, 17])
    SkillSessionFactory(sdg_goals=[4, 8])


def test_sdg_goals_must_be_a_list():
    assert refused(EventAttendanceFactory, sdg_goals={"goal": 4})
