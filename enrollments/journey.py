"""The enrollment rules and journey flags of one person in one program, readably:
``person_facts`` reads, ``derive`` decides. The per-person path and the specification of
the set-based ``enrollments.recompute_sql`` (identical results,
``tests/enrollments/test_recompute_equivalence.py``). What counts as a match and as
activity: docs/architecture.md, "One person's rules, readably".
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Q

from buddy.models import (
    CheckIn,
    EndReason,
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

OPEN = (MatchStatus.PROPOSED, MatchStatus.ACCEPTED, MatchStatus.ACTIVE, MatchStatus.INACTIVE)

# History reasons (stable, no personal data).
REASON_LEFT = "left the program"
REASON_COMPLETED = "last match ended completed"
REASON_ENDED_EARLY = "last match ended early"
REASON_INACTIVE = "no activity for 6 months"
REASON_ACTIVE = "has an open match or no match yet"

FLAG_FIELDS = (
    "matches_count",
    "events_count",
    "checkins_count",
    "skill_sessions_count",
    "milestones_count",
    "match_active",
    "joined_at",
    "last_activity_at",
    "checkin_due",
    "feedback_pending",
    "no_contact_14",
    "no_contact_30",
    "struggling",
)
#: What the recompute stores per enrollment: the flags and ``due_at``, the next instant the
#: status or a flag changes with time alone (the incremental program run's cue).
STORED_FIELDS = (*FLAG_FIELDS, "due_at")


def conf() -> dict:
    return settings.ENROLLMENTS


@dataclass
class MatchFacts:
    id: int
    status: str
    matched_at: datetime | None
    ended_at: datetime | None
    end_reason: str
    events: int = 0
    checkins: int = 0
    last_checkin_at: datetime | None = None
    last_feedback_at: datetime | None = None
    last_contact_at: datetime | None = None  # start or any activity on the match


@dataclass
class PersonFacts:
    enrolled_at: datetime
    left_at: datetime | None
    matches: list[MatchFacts] = field(default_factory=list)
    attendances: int = 0
    last_attendance_at: datetime | None = None
    skill_sessions: int = 0
    last_skill_session_at: datetime | None = None
    milestones: int = 0
    last_milestone_at: datetime | None = None
    last_moods: list[str] = field(default_factory=list)  # newest first, at most two


@dataclass
class Derived:
    status: str
    completed_at: datetime | None
    reason: str
    flags: dict


def _latest(*values):
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _by_match(queryset, date_field: str, ids) -> dict[int, dict]:
    rows = (
        queryset.filter(match_id__in=ids)
        .values("match_id")
        .annotate(n=Count("id"), last=Max(date_field))
        .order_by()
    )
    return {row["match_id"]: row for row in rows}


def person_facts(enrollment: Enrollment) -> PersonFacts:
    """Everything the rules need about one enrollment (about ten grouped queries)."""
    person_id, program_id = enrollment.person_id, enrollment.program_id
    matches = list(
        Match.objects.filter(program_id=program_id)
        .filter(Q(participant_id=person_id) | Q(buddy_id=person_id))
        .exclude(status=MatchStatus.DECLINED)
        .values("id", "status", "matched_at", "ended_at", "end_reason")
        .order_by("id")
    )
    ids = [m["id"] for m in matches]
    events = _by_match(InformalEvent.objects, "event_date", ids)
    checkins = _by_match(CheckIn.objects, "checkin_date", ids)
    feedback = _by_match(Feedback.objects, "submitted_at", ids)
    sessions_on = _by_match(SkillSession.objects, "completed_at", ids)
    attendances_on = _by_match(EventAttendance.objects, "attended_at", ids)
    facts = PersonFacts(enrolled_at=enrollment.enrolled_at, left_at=enrollment.left_at)
    for m in matches:
        i = m["id"]
        facts.matches.append(
            MatchFacts(
                id=i,
                status=m["status"],
                matched_at=m["matched_at"],
                ended_at=m["ended_at"],
                end_reason=m["end_reason"],
                events=events.get(i, {}).get("n", 0),
                checkins=checkins.get(i, {}).get("n", 0),
                last_checkin_at=checkins.get(i, {}).get("last"),
                last_feedback_at=feedback.get(i, {}).get("last"),
                last_contact_at=_latest(
                    m["matched_at"],
                    *(
                        rows.get(i, {}).get("last")
                        for rows in (events, checkins, feedback, sessions_on, attendances_on)
                    ),
                ),
            )
        )
    in_program = Q(match__isnull=True) | Q(match__program_id=program_id)
    own = (
        (
            "attendances",
            EventAttendance.objects.filter(in_program, person_id=person_id),
            "attended_at",
        ),
        (
            "skill_sessions",
            SkillSession.objects.filter(in_program).filter(
                Q(teacher_id=person_id) | Q(learner_id=person_id)
            ),
            "completed_at",
        ),
        ("milestones", MilestoneAchievement.objects.filter(person_id=person_id), "reached_at"),
    )
    for name, queryset, date_field in own:
        row = queryset.aggregate(n=Count("id"), last=Max(date_field))
        setattr(facts, name, row["n"])
        setattr(facts, f"last_{name.rstrip('s')}_at", row["last"])
    facts.last_moods = list(
        CheckIn.objects.filter(match_id__in=ids)
        .exclude(mood="")
        .order_by("-checkin_date", "-id")
        .values_list("mood", flat=True)[:2]
    )
    return facts


def derive(facts: PersonFacts, *, now: datetime) -> Derived:
    """The enrollment status and journey flags that follow from the facts at ``now``."""
    c = conf()
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    matches = facts.matches
    active = [m for m in matches if m.status == MatchStatus.ACTIVE]

    last_activity_at = _latest(
        *(m.last_contact_at for m in matches),
        *(m.ended_at for m in matches),
        facts.last_attendance_at,
        facts.last_skill_session_at,
        facts.last_milestone_at,
    )
    last_seen = _latest(last_activity_at, facts.enrolled_at)
    came_back = facts.left_at is not None and any(
        m.matched_at is not None and m.matched_at > facts.left_at for m in matches
    )
    if facts.left_at is not None and not came_back:
        status, completed_at, reason = EnrollmentStatus.DROPPED, facts.left_at, REASON_LEFT
    elif matches and not any(m.status in OPEN for m in matches):
        # "Last" is the latest ended_at; an end without a date sorts first, then by id.
        last = max(matches, key=lambda m: (m.ended_at is not None, m.ended_at or now, m.id))
        if last.end_reason == EndReason.COMPLETED:
            status, reason = EnrollmentStatus.COMPLETED, REASON_COMPLETED
        else:
            status, reason = EnrollmentStatus.DROPPED, REASON_ENDED_EARLY
        completed_at = last.ended_at
    elif last_seen < days(c["INACTIVE_AFTER_DAYS"]):
        status, completed_at, reason = EnrollmentStatus.DROPPED, last_seen, REASON_INACTIVE
    else:
        status, completed_at, reason = EnrollmentStatus.ACTIVE, None, REASON_ACTIVE

    def older(value, n) -> bool:
        return value is not None and value < days(n)

    no_contact_14, no_contact_30 = c["NO_CONTACT_DAYS"][:2]
    struggling_moods = set(c["STRUGGLING_MOODS"])
    # Each comparison above of a fact with ``now`` minus n days turns at fact + n days:
    # ``due_at`` is the first of those still ahead (``None``: nothing changes with time).
    ahead = []

    def turns(value, n) -> None:
        if value is not None and not older(value, n):
            ahead.append(value + timedelta(days=n))

    if status == EnrollmentStatus.ACTIVE:  # dropped once last seen is this old
        turns(last_seen, c["INACTIVE_AFTER_DAYS"])
    for m in active:
        turns(m.last_checkin_at or m.matched_at, c["CHECKIN_DUE_DAYS"])
        if m.last_feedback_at is not None:
            turns(m.last_feedback_at, c["FEEDBACK_EVERY_DAYS"])
        else:
            turns(m.matched_at, c["FEEDBACK_FIRST_DAYS"])
        turns(m.last_contact_at, no_contact_14)
        turns(m.last_contact_at, no_contact_30)
    flags = {
        "matches_count": len(matches),
        "events_count": sum(m.events for m in matches) + facts.attendances,
        "checkins_count": sum(m.checkins for m in matches),
        "skill_sessions_count": facts.skill_sessions,
        "milestones_count": facts.milestones,
        "match_active": bool(active),
        "joined_at": facts.enrolled_at,
        "last_activity_at": last_activity_at,
        "checkin_due": any(
            older(m.last_checkin_at or m.matched_at, c["CHECKIN_DUE_DAYS"]) for m in active
        ),
        "feedback_pending": any(
            older(m.last_feedback_at, c["FEEDBACK_EVERY_DAYS"])
            or (m.last_feedback_at is None and older(m.matched_at, c["FEEDBACK_FIRST_DAYS"]))
            for m in active
        ),
        "no_contact_14": any(older(m.last_contact_at, no_contact_14) for m in active),
        "no_contact_30": any(older(m.last_contact_at, no_contact_30) for m in active),
        "struggling": len(facts.last_moods) == 2
        and all(mood in struggling_moods for mood in facts.last_moods),
        "due_at": min(ahead, default=None),
    }
    return Derived(status, completed_at, reason, flags)
