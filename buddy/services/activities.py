"""Recording activities reported by the Buddy System (webhook or import).

For each entity: ``<entity>_values`` maps a validated record to model columns
(shared with the bulk import) and ``<entity>_record`` upserts one row by the
contract's key. Strong references that name nothing known raise
``UnknownReference``; weak ones are kept and listed as unknown.

Each ``_record`` is one unit of work: its own transaction, or part of the caller's
without a savepoint of its own (``savepoint=False``: a failure undoes the caller's
transaction, or the caller's savepoint, as a whole; the webhook processing rolls its
transaction back and records the failure in another).
"""

from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet

from buddy.models import (
    CheckIn,
    DataSource,
    EventAttendance,
    Feedback,
    InformalEvent,
    Match,
    MilestoneAchievement,
    Person,
    SkillSession,
)
from buddy.schemas import (
    AttendanceRecord,
    CheckInRecord,
    FeedbackRecord,
    InformalEventRecord,
    MilestoneRecord,
    SkillSessionRecord,
)
from buddy.services.common import (
    Upserted,
    people_changed,
    person_refs,
    require_match,
    require_person,
    upsert,
)
from buddy.services.enrollments import recompute_soon
from core.queries import among


def _people_of(match: Match | None, *people) -> None:
    """Recompute the match's two people (in its program) and these people (in every
    program they are in) once the change commits."""
    if match is not None:
        people_changed([match.participant_id, match.buddy_id], match.program_id)
    if people:
        recompute_soon(person_ids=[p.pk for p in people])


def unknown_people(ids) -> list[str]:
    """Weak references to users that name nobody known (kept, flagged)."""
    known = person_refs(ids)
    return [str(i) for i in ids if str(i) not in known]


# --- Informal events --------------------------------------------------------------------------


def informal_event_values(record: InformalEventRecord, *, unknown_attendees: list[str]) -> dict:
    return {
        "event_type": record.event_type,
        "event_date": record.event_date,
        "description": record.description or "",
        "location": record.location or "",
        "duration_minutes": record.duration_minutes,
        "attendee_ids": [str(a) for a in record.attendees],
        "unknown_attendee_ids": unknown_attendees,
    }


@transaction.atomic(savepoint=False)
def informal_event_record(
    *, record: InformalEventRecord, via: str = DataSource.WEBHOOK
) -> Upserted:
    match = require_match(record.match_id, path="matchId")
    values = informal_event_values(record, unknown_attendees=unknown_people(record.attendees))
    values["match"] = match
    result = upsert(
        InformalEvent, {"external_id": record.event_id}, values, create_extra={"source": via}
    )
    _people_of(match)
    return result


# --- Formal event attendance ------------------------------------------------------------------


def attendance_values(record: AttendanceRecord) -> dict:
    return {
        "event_title": record.event_title,
        "event_type": record.event_type,
        "event_format": record.event_format,
        "attended_at": record.attended_at,
        "location": record.location or "",
        "duration_minutes": record.duration_minutes,
        "attendee_count": record.attendee_count,
        "organizer": record.organizer or "",
        "categories": list(record.categories),
        "sdg_goals": list(record.sdg_goals),
    }


@transaction.atomic(savepoint=False)
def attendance_record(*, record: AttendanceRecord, via: str = DataSource.WEBHOOK) -> Upserted:
    person = require_person(record.user_id, path="userId")
    match = require_match(record.match_id, path="matchId") if record.match_id else None
    values = attendance_values(record)
    values["match"] = match
    result = upsert(
        EventAttendance,
        {"event_external_id": record.event_id, "person": person},
        values,
        create_extra={"source": via},
    )
    _people_of(match, person)
    return result


# --- Skill sessions ---------------------------------------------------------------------------


def skill_session_values(record: SkillSessionRecord) -> dict:
    feedback = record.feedback
    return {
        "skill_id": record.skill_id,
        "skill_name": record.skill_name,
        "skill_category": record.skill_category or "",
        "completed_at": record.completed_at,
        "scheduled_at": record.scheduled_at,
        "duration_minutes": record.duration_minutes,
        "format": record.format or "",
        "proficiency_level": record.proficiency_level or "",
        "teacher_rating": feedback.teacher_rating if feedback else None,
        "learner_rating": feedback.learner_rating if feedback else None,
        "teacher_comment": (feedback.teacher_comment or "") if feedback else "",
        "learner_comment": (feedback.learner_comment or "") if feedback else "",
        "learner_progress": (feedback.learner_progress or "") if feedback else "",
        "sdg_goals": list(record.sdg_goals),
        "valuation_points": record.valuation_points,
    }


@transaction.atomic(savepoint=False)
def skill_session_record(*, record: SkillSessionRecord, via: str = DataSource.WEBHOOK) -> Upserted:
    teacher = require_person(record.teacher_id, path="teacherId")
    learner = require_person(record.learner_id, path="learnerId")
    match = require_match(record.match_id, path="matchId") if record.match_id else None
    values = skill_session_values(record)
    values.update(teacher=teacher, learner=learner, match=match)
    result = upsert(
        SkillSession, {"external_id": record.session_id}, values, create_extra={"source": via}
    )
    _people_of(match, teacher, learner)
    return result


# --- Check-ins --------------------------------------------------------------------------------


def checkin_values(record: CheckInRecord) -> dict:
    return {
        "checkin_date": record.checkin_date,
        "mood": record.mood or "",
        "notes": record.notes or "",
        "question_responses": record.question_responses or {},
    }


@transaction.atomic(savepoint=False)
def checkin_record(*, record: CheckInRecord, via: str = DataSource.WEBHOOK) -> Upserted:
    match = require_match(record.match_id, path="matchId")
    values = checkin_values(record)
    values["match"] = match
    result = upsert(
        CheckIn, {"external_id": record.checkin_id}, values, create_extra={"source": via}
    )
    _people_of(match)
    return result


# --- Feedback ---------------------------------------------------------------------------------


def feedback_values(record: FeedbackRecord) -> dict:
    categories = record.categories
    return {
        "from_role": record.from_role,
        "rating": record.rating,
        "feedback_text": record.feedback_text or "",
        "submitted_at": record.submitted_at,
        "communication": categories.communication if categories else None,
        "helpfulness": categories.helpfulness if categories else None,
        "engagement": categories.engagement if categories else None,
    }


@transaction.atomic(savepoint=False)
def feedback_record(*, record: FeedbackRecord, via: str = DataSource.WEBHOOK) -> Upserted:
    match = require_match(record.match_id, path="matchId")
    values = feedback_values(record)
    values["match"] = match
    result = upsert(
        Feedback, {"external_id": record.feedback_id}, values, create_extra={"source": via}
    )
    _people_of(match)
    return result


# --- Milestones -------------------------------------------------------------------------------


def related_ids(record: MilestoneRecord) -> set[str]:
    """The ids a milestone's ``metadata.related_entities`` name (weak references)."""
    entities = (record.metadata.related_entities or []) if record.metadata else []
    return {e.id for e in entities}


def known_related_ids(ids: Iterable[str]) -> set[str]:
    """Which of these related ids name a known user, match or activity (one query per
    kind, whatever the number of ids): the bulk form of ``unknown_related_ids``."""
    ids = set(ids)
    if not ids:
        return set()
    known = set(person_refs(ids))
    uuids = []
    for value in ids:
        try:
            uuids.append(UUID(value))
        except ValueError:
            continue
    for model in (Match, InformalEvent, SkillSession, CheckIn, Feedback):
        uuids = [u for u in uuids if str(u) not in known]
        if not uuids:  # every id is resolved: the remaining kinds need no query
            break
        rows = model.objects.filter(among("external_id", uuids))
        known.update(str(v) for v in rows.values_list("external_id", flat=True))
    return known


def unknown_related_ids(record: MilestoneRecord) -> list[str]:
    """Related entities (weak references) that name no known match, user or activity."""
    ids = related_ids(record)
    return sorted(ids - known_related_ids(ids))


def milestone_values(record: MilestoneRecord, *, unknown_related: list[str]) -> dict:
    return {
        "milestone_title": record.milestone_title,
        "milestone_category": record.milestone_category,
        "points": record.points,
        "badge_icon": record.badge_icon or "",
        "target_role": record.target_role or "",
        "progress": record.progress.stored() if record.progress else {},
        "metadata": record.metadata.stored() if record.metadata else {},
        "unknown_related_ids": unknown_related,
    }


@transaction.atomic(savepoint=False)
def milestone_record(*, record: MilestoneRecord, via: str = DataSource.WEBHOOK) -> Upserted:
    person = require_person(record.user_id, path="userId")
    values = milestone_values(record, unknown_related=unknown_related_ids(record))
    result = upsert(
        MilestoneAchievement,
        {"milestone_id": record.milestone_id, "person": person, "reached_at": record.reached_at},
        values,
        create_extra={"source": via},
    )
    _people_of(None, person)
    return result


# --- Deleting (a data fix in the admin) -------------------------------------------------------


@transaction.atomic
def activities_delete(*, rows: QuerySet) -> int:
    """Delete these activity rows of one kind; the people they named are recomputed once
    the deletion commits, as when a row is recorded (``_people_of``): the match's two people
    in its program, the people a row names in every program they are in. A deleted row leaves
    nothing for an incremental program run to find (``enrollments.recompute_scope``), so the
    queue is how the run learns of it. Returns the number of rows deleted."""
    fields = rows.model._meta.concrete_fields
    person_columns = [f.attname for f in fields if f.is_relation and f.related_model is Person]
    match_columns = ["match__program_id", "match__participant_id", "match__buddy_id"]
    names_match = any(f.is_relation and f.related_model is Match for f in fields)
    by_program: dict[int, set[int]] = {}
    people: set[int] = set()
    for row in rows.values_list(*(match_columns if names_match else []), *person_columns):
        if names_match:
            program_id, *pair = row[:3]
            row = row[3:]
            if program_id is not None:
                by_program.setdefault(program_id, set()).update(pair)
        people.update(pk for pk in row if pk is not None)
    deleted = rows.delete()[1].get(rows.model._meta.label, 0)
    for program_id, pair in by_program.items():
        people_changed(pair, program_id)
    recompute_soon(person_ids=people)
    return deleted
