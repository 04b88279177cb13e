"""Fixtures of the enrollments tests: a fixed clock and a varied generated program."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from buddy.models import Enrollment, EnrollmentStatus, MatchStatus, Program, ProgramType, Role
from tests.factories import (
    BuddyFactory,
    CheckInFactory,
    EnrollmentFactory,
    EventAttendanceFactory,
    FeedbackFactory,
    InformalEventFactory,
    MatchFactory,
    MilestoneAchievementFactory,
    ParticipantFactory,
    SkillSessionFactory,
)

END_REASONS = ["completed", "completed", "participant_request", "inactivity"]
MOODS = ["great", "good", "okay", "struggling", "difficult", ""]


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def days_ago(now, days: float):
    return now - timedelta(days=days)


def build_varied_program(program: Program, now, *, seed: int = 7, people: int = 40) -> None:
    """People in every situation the rules distinguish, with activity of every age."""
    rng = random.Random(seed)
    # A second generator for the feedback's side and categories (match health), so the
    # sequence of the first (and what the journey tests rely on) is unchanged.
    side = random.Random(seed + 1000)
    other_program = Program.objects.get(program_type=ProgramType.MENTORSHIP)
    participants = [
        ParticipantFactory(joined_at=days_ago(now, rng.choice([5, 40, 150, 200, 400])))
        for _ in range(people)
    ]
    buddies = [
        BuddyFactory(joined_at=days_ago(now, rng.choice([10, 100, 300])))
        for _ in range(people // 2)
    ]
    for person in participants + buddies:
        EnrollmentFactory(
            person=person,
            program=program,
            enrolled_at=person.joined_at,
            status=rng.choice(EnrollmentStatus.values),  # stale states to correct
        )
    for participant in participants:
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            status = rng.choice(
                [MatchStatus.ACTIVE] * 3
                + [MatchStatus.ENDED] * 3
                + [MatchStatus.PROPOSED, MatchStatus.DECLINED, MatchStatus.INACTIVE]
            )
            started = rng.choice([3, 10, 20, 45, 100, 250, 380])
            matched_at = None if status == MatchStatus.PROPOSED else days_ago(now, started)
            ended_at = None
            if status == MatchStatus.ENDED:
                ended_at = None if rng.random() < 0.1 else days_ago(now, rng.uniform(0, started))
            match = MatchFactory(
                program=program,
                participant=participant,
                buddy=rng.choice(buddies),
                status=status,
                matched_at=matched_at,
                ended_at=ended_at,
                end_reason=rng.choice(END_REASONS) if status == MatchStatus.ENDED else "",
            )
            if matched_at is None:
                continue
            for _ in range(rng.choice([0, 1, 2, 4])):
                at = days_ago(now, rng.uniform(0, started))
                kind = rng.choice(["event", "checkin", "checkin", "feedback", "skill", "attend"])
                if kind == "event":
                    InformalEventFactory(match=match, event_date=at)
                elif kind == "checkin":
                    CheckInFactory(match=match, checkin_date=at, mood=rng.choice(MOODS))
                elif kind == "feedback":
                    FeedbackFactory(
                        match=match,
                        submitted_at=at,
                        rating=rng.random(),
                        from_role=side.choice(["participant", "buddy"]),
                        communication=side.choice([None, side.random()]),
                        engagement=side.choice([None, side.random()]),
                    )
                elif kind == "skill":
                    SkillSessionFactory(match=match, completed_at=at)
                else:
                    EventAttendanceFactory(person=match.buddy, match=match, attended_at=at)
    # Always at least one person who completed.
    completed = ParticipantFactory(joined_at=days_ago(now, 200))
    EnrollmentFactory(person=completed, program=program, enrolled_at=completed.joined_at)
    done = MatchFactory(program=program, participant=completed, buddy=buddies[0], ended=True)
    for day, mood in ((40, "struggling"), (35, "difficult")):  # and one who struggled
        CheckInFactory(match=done, checkin_date=days_ago(now, day), mood=mood)
    # One match that is going well (match health: the "healthy" band).
    thriving = ParticipantFactory(joined_at=days_ago(now, 120))
    EnrollmentFactory(person=thriving, program=program, enrolled_at=thriving.joined_at)
    well = MatchFactory(
        program=program,
        participant=thriving,
        buddy=buddies[-1],
        status=MatchStatus.ACTIVE,
        matched_at=days_ago(now, 100),
    )
    for week in range(8):
        CheckInFactory(match=well, checkin_date=days_ago(now, 2 + 7 * week), mood="great")
    for role, day in (("participant", 10), ("buddy", 12), ("participant", 50), ("buddy", 55)):
        FeedbackFactory(
            match=well, from_role=role, submitted_at=days_ago(now, day), rating=0.9,
            communication=0.9, helpfulness=0.9, engagement=0.9,
        )  # fmt: skip
    for day in (20, 40, 60):
        MilestoneAchievementFactory(person=thriving, reached_at=days_ago(now, day))
    # Person-level activity: no match, or a match of another program (which must not count).
    for person in rng.sample(participants, people // 4):
        MilestoneAchievementFactory(
            person=person, reached_at=days_ago(now, rng.choice([2, 90, 300]))
        )
        EventAttendanceFactory(person=person, attended_at=days_ago(now, rng.choice([1, 200])))
    for person in rng.sample(participants, people // 8):
        foreign = MatchFactory(
            program=other_program, participant=person, matched_at=days_ago(now, 1)
        )
        SkillSessionFactory(match=foreign, completed_at=days_ago(now, 1))
        CheckInFactory(match=foreign, checkin_date=days_ago(now, 1), mood="difficult")
    # Coordinators recorded that some people left; some came back with a newer match.
    enrollments = list(Enrollment.objects.filter(program=program, person__role=Role.PARTICIPANT))
    for enrollment in rng.sample(enrollments, people // 5):
        Enrollment.objects.filter(pk=enrollment.pk).update(
            left_at=max(enrollment.enrolled_at, days_ago(now, rng.choice([2, 30, 120])))
        )
