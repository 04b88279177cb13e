"""The activity writers: events, attendance, skill sessions, check-ins, feedback,
milestones (each row rejected when a strong reference is unknown)."""

from collections.abc import Callable

from django.db.models import QuerySet

from buddy.models import (
    CheckIn,
    EventAttendance,
    Feedback,
    InformalEvent,
    MilestoneAchievement,
    SkillSession,
)
from buddy.services.activities import (
    attendance_values,
    checkin_values,
    feedback_values,
    informal_event_values,
    known_related_ids,
    milestone_values,
    related_ids,
    skill_session_values,
)
from buddy.services.common import match_refs, person_refs
from core.errors import DomainError
from core.queries import among
from webhooks.imports.report import BatchResult
from webhooks.imports.writers.batch import batch_writes
from webhooks.imports.writers.common import Context, Item, known_match, known_user


def _by_external_id(model, items: list[Item], attr: str) -> QuerySet:
    return model.objects.filter(among("external_id", {getattr(it.record, attr) for it in items}))


def _match_people(result: BatchResult, match: tuple[int, int, int] | None) -> int | None:
    if match is None:
        return None
    result.person_ids.update(match[1:])
    return match[0]


def write_events(items: list[Item], ctx: Context) -> BatchResult:
    result = BatchResult()
    matches = match_refs(it.record.match_id for it in items)
    known = person_refs(a for it in items for a in it.record.attendees)
    rows = []
    for item in items:
        record = item.record
        try:
            match = known_match(matches, record)
        except DomainError as exc:
            result.reject_item(item, exc)
            continue
        unknown = [str(a) for a in record.attendees if str(a) not in known]
        if unknown:
            result.warnings.append(
                item.ref.says(f"{len(unknown)} unknown user id(s) kept and flagged", "attendees")
            )
        values = informal_event_values(record, unknown_attendees=unknown)
        values["match_id"] = _match_people(result, match)
        rows.append((item, {"external_id": record.event_id}, values))
    batch_writes.impl.upsert(
        InformalEvent, rows, _by_external_id(InformalEvent, items, "event_id"), result, via=ctx.via
    )
    return result


def write_attendance(items: list[Item], ctx: Context) -> BatchResult:
    result = BatchResult()
    people = person_refs(it.record.user_id for it in items)
    matches = match_refs(it.record.match_id for it in items)
    rows = []
    for item in items:
        record = item.record
        try:
            person = known_user(people, record, "user_id")
            match = known_match(matches, record, optional=True)
        except DomainError as exc:
            result.reject_item(item, exc)
            continue
        values = attendance_values(record)
        values["match_id"] = _match_people(result, match)
        result.person_ids.add(person[0])
        rows.append((item, {"event_external_id": record.event_id, "person_id": person[0]}, values))
    existing = EventAttendance.objects.filter(
        among("event_external_id", {k["event_external_id"] for _i, k, _v in rows}),
        among("person_id", {k["person_id"] for _i, k, _v in rows}),
    )
    batch_writes.impl.upsert(EventAttendance, rows, existing, result, via=ctx.via)
    return result


def write_skill_sessions(items: list[Item], ctx: Context) -> BatchResult:
    result = BatchResult()
    people = person_refs(i for it in items for i in (it.record.teacher_id, it.record.learner_id))
    matches = match_refs(it.record.match_id for it in items)
    rows = []
    for item in items:
        record = item.record
        try:
            teacher = known_user(people, record, "teacher_id")
            learner = known_user(people, record, "learner_id")
            match = known_match(matches, record, optional=True)
        except DomainError as exc:
            result.reject_item(item, exc)
            continue
        values = skill_session_values(record)
        values.update(
            teacher_id=teacher[0], learner_id=learner[0], match_id=_match_people(result, match)
        )
        result.person_ids.update((teacher[0], learner[0]))
        rows.append((item, {"external_id": record.session_id}, values))
    batch_writes.impl.upsert(
        SkillSession,
        rows,
        _by_external_id(SkillSession, items, "session_id"),
        result,
        via=ctx.via,
    )
    return result


def _write_match_activity(
    model, key_attr: str, values_of: Callable, items: list[Item], ctx: Context
) -> BatchResult:
    result = BatchResult()
    matches = match_refs(it.record.match_id for it in items)
    rows = []
    for item in items:
        record = item.record
        try:
            match = known_match(matches, record)
        except DomainError as exc:
            result.reject_item(item, exc)
            continue
        values = values_of(record)
        values["match_id"] = _match_people(result, match)
        rows.append((item, {"external_id": getattr(record, key_attr)}, values))
    batch_writes.impl.upsert(
        model, rows, _by_external_id(model, items, key_attr), result, via=ctx.via
    )
    return result


def write_checkins(items: list[Item], ctx: Context) -> BatchResult:
    return _write_match_activity(CheckIn, "checkin_id", checkin_values, items, ctx)


def write_feedback(items: list[Item], ctx: Context) -> BatchResult:
    return _write_match_activity(Feedback, "feedback_id", feedback_values, items, ctx)


def write_milestones(items: list[Item], ctx: Context) -> BatchResult:
    result = BatchResult()
    people = person_refs(it.record.user_id for it in items)
    known = known_related_ids({i for it in items for i in related_ids(it.record)})
    rows = []
    for item in items:
        record = item.record
        try:
            person = known_user(people, record, "user_id")
        except DomainError as exc:
            result.reject_item(item, exc)
            continue
        unknown = sorted(related_ids(record) - known)
        if unknown:
            result.warnings.append(
                item.ref.says(
                    f"{len(unknown)} unknown related id(s) kept and flagged",
                    "metadata.related_entities",
                )
            )
        values = milestone_values(record, unknown_related=unknown)
        result.person_ids.add(person[0])
        key = {
            "milestone_id": record.milestone_id,
            "person_id": person[0],
            "reached_at": record.reached_at,
        }
        rows.append((item, key, values))
    existing = MilestoneAchievement.objects.filter(
        among("milestone_id", {k["milestone_id"] for _i, k, _v in rows}),
        among("person_id", {k["person_id"] for _i, k, _v in rows}),
    )
    batch_writes.impl.upsert(MilestoneAchievement, rows, existing, result, via=ctx.via)
    return result
