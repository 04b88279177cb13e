"""The activity of each match created in this run: informal events, monthly check-ins,
skill sessions and feedback; and the program's formal events with their attendance.

A match that ends early (not completed, not at the program's end) has worse moods and
ratings.
"""

import random
from collections import defaultdict
from datetime import datetime, timedelta

from buddy.factories import (
    CheckInFactory,
    EventAttendanceFactory,
    FeedbackFactory,
    InformalEventFactory,
    SkillSessionFactory,
)
from buddy.models import (
    CheckIn,
    DataSource,
    EndReason,
    Feedback,
    InformalEvent,
    Match,
    Person,
    Role,
    SkillSession,
)

from .common import Demo, between, demo_uuid, weighted
from .content import CHECKIN_NOTES, EVENT_NOTES, EVENT_TYPES, FORMAL_EVENTS, MOODS, SKILLS
from .plan import PlannedMatch


def activities(demo: Demo, plans: list[PlannedMatch], matches: dict, new_keys: set) -> dict:
    """A year of activity for each match created in this run (a match already stored
    keeps the activity it has), by model name."""
    rows: dict[str, list] = defaultdict(list)
    for plan in plans:
        if plan.key not in new_keys:
            continue
        match = matches[plan.key]
        span = _Span(demo, plan)
        rows[InformalEvent.__name__] += _informal_events(span, match)
        rows[CheckIn.__name__] += _checkins(span, match)
        rows[SkillSession.__name__] += _skill_sessions(span, match)
        rows[Feedback.__name__] += _feedback(span, match)
    return rows


class _Span:
    """One planned match's time together and its random stream (shared, in this order, by
    events, check-ins, skill sessions and feedback)."""

    def __init__(self, demo: Demo, plan: PlannedMatch):
        self.demo, self.plan = demo, plan
        self.rng: random.Random = demo.rng("activity", plan.key)
        self.start: datetime = plan.matched_at
        self.end: datetime = plan.ended_at or plan.inactive_at or demo.now
        self.days = max((self.end - self.start).days, 1)
        self.early_end = plan.end_reason not in (
            "",
            EndReason.COMPLETED,
            EndReason.PROGRAM_ENDED,
        )


def _informal_events(span: _Span, match: Match) -> list[InformalEvent]:
    """Roughly one a month (at most twelve), both of them attending."""
    rng, plan = span.rng, span.plan
    attendees = [
        str(demo_uuid("person", Role.PARTICIPANT, plan.participant)),
        str(demo_uuid("person", Role.BUDDY, plan.buddy)),
    ]
    count = min(12, int(span.days / 30 * rng.uniform(0.4, 1.6)) + rng.randint(0, 1))
    return [
        InformalEventFactory.build(
            external_id=demo_uuid("event", plan.key, k),
            match=match,
            event_type=weighted(rng, EVENT_TYPES),
            event_date=between(rng, span.start, span.end),
            description=rng.choice(EVENT_NOTES),
            location=match.participant.location,
            duration_minutes=rng.choice([60, 90, 120, 180]),
            attendee_ids=list(attendees),
            source=plan.source,
        )
        for k in range(count)
    ]


def _checkins(span: _Span, match: Match) -> list[CheckIn]:
    """One every thirty days (at most twelve); after the first, an early end's moods sink."""
    rng, plan = span.rng, span.plan
    dates = [span.start + timedelta(days=30 * (k + 1)) for k in range(span.days // 30)]
    rows = []
    for k, at in enumerate(dates[:12]):
        mood = weighted(rng, MOODS[2:] if span.early_end and k >= 1 else MOODS)
        rows.append(
            CheckInFactory.build(
                external_id=demo_uuid("checkin", plan.key, k),
                match=match,
                checkin_date=at,
                mood=mood,
                notes=rng.choice(CHECKIN_NOTES),
                question_responses={"contact_frequency": rng.choice(["weekly", "monthly"])},
                source=plan.source,
            )
        )
    return rows


def _skill_sessions(span: _Span, match: Match) -> list[SkillSession]:
    """The buddy teaches the participant, about every 45 days (at most four)."""
    rng, plan = span.rng, span.plan
    rows = []
    for k in range(min(4, span.days // 45)):
        skill_id, name, category = rng.choice(SKILLS)
        rows.append(
            SkillSessionFactory.build(
                external_id=demo_uuid("skill", plan.key, k),
                match=match,
                teacher=match.buddy,
                learner=match.participant,
                skill_id=skill_id,
                skill_name=name,
                skill_category=category,
                completed_at=between(rng, span.start, span.end),
                duration_minutes=rng.choice([45, 60, 90]),
                format=rng.choice(["online", "in-person"]),
                proficiency_level=rng.choice(["beginner", "intermediate"]),
                teacher_rating=round(rng.uniform(0.6, 1.0), 2),
                learner_rating=round(rng.uniform(0.5, 1.0), 2) if rng.random() < 0.5 else None,
                learner_progress=rng.choice(["some-progress", "good-progress"]),
                sdg_goals=[4, 8] if category != "language" else [4, 10],
                valuation_points=rng.choice([10, 20, 30]),
                source=plan.source,
            )
        )
    return rows


def _feedback(span: _Span, match: Match) -> list[Feedback]:
    """Both sides at the end; the participant after 60 days of a longer open match (often)."""
    rng, plan, now = span.rng, span.plan, span.demo.now
    moments = []
    if plan.ended_at:
        moments = [("participant", plan.ended_at), ("buddy", plan.ended_at)]
    elif (now - plan.matched_at).days > 60 and rng.random() < 0.7:
        moments = [("participant", plan.matched_at + timedelta(days=60))]
    low, high = (0.1, 0.6) if span.early_end else (0.6, 1.0)
    return [
        FeedbackFactory.build(
            external_id=demo_uuid("feedback", plan.key, role),
            match=match,
            from_role=role,
            rating=round(rng.uniform(low, high), 2),
            submitted_at=min(at, now),
            communication=round(rng.uniform(low, high), 2),
            helpfulness=round(rng.uniform(low, high), 2) if rng.random() < 0.6 else None,
            engagement=round(rng.uniform(low, high), 2) if rng.random() < 0.6 else None,
            feedback_text="",
            source=plan.source,
        )
        for role, at in moments
    ]


def attendances(demo: Demo, people: list[Person], active_match: dict[int, Match]) -> list:
    """Twelve monthly formal events, each attended by 5–15% of the people who had joined."""
    rng = demo.rng("formal-events", len(people))
    rows = []
    for n in range(12):
        title, event_type, event_format = FORMAL_EVENTS[n % len(FORMAL_EVENTS)]
        at = demo.now - timedelta(days=15 + 30 * n, hours=rng.randint(0, 6))
        eligible = [p for p in people if p.joined_at < at]
        for person in rng.sample(eligible, int(len(eligible) * rng.uniform(0.05, 0.15))):
            rows.append(
                EventAttendanceFactory.build(
                    event_external_id=demo_uuid("formal-event", n),
                    person=person,
                    match=active_match.get(person.pk),
                    event_title=title,
                    event_type=event_type,
                    event_format=event_format,
                    attended_at=at,
                    duration_minutes=120,
                    attendee_count=rng.randint(15, 60),
                    sdg_goals=[10, 11],
                    source=DataSource.WEBHOOK,
                )
            )
    return rows
