"""Batch writers: one per entity, each writes a batch of validated records.

A batch costs a fixed number of queries whatever its size: strong references are
resolved with one query per kind, existing rows are read with one query, new
rows go in with ``bulk_create`` and changed ones with ``bulk_update``. The column
mappings and the reconciliation rules are the services' (``person_values``,
``export_match_values``, ``<entity>_values``); only the batching lives here.

A writer runs inside the batch's transaction; it rejects rows whose strong
references are unknown and reports every other row as created / updated /
unchanged.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db import connection
from django.db.models import JSONField, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from psycopg.types.json import Jsonb

from buddy.imports.readers import Ref
from buddy.imports.report import BatchResult
from buddy.models import (
    CheckIn,
    Company,
    DataSource,
    EventAttendance,
    ExternalId,
    Feedback,
    InformalEvent,
    Match,
    MatchStatus,
    MatchTransition,
    MilestoneAchievement,
    Person,
    Role,
    SkillSession,
)
from buddy.models.matches import MATCH_TRANSITIONS
from buddy.schemas import Schema
from buddy.services.activities import (
    attendance_values,
    checkin_values,
    feedback_values,
    informal_event_values,
    milestone_values,
    skill_session_values,
)
from buddy.services.common import Outcome, after_commit_references_arrived, provider
from buddy.services.matches import export_match_values
from buddy.services.people import person_values
from enrollments.models import Enrollment, EnrollmentStatus, EnrollmentStatusChange, Program


@dataclass
class Item:
    """A validated record and where it came from; ``weight`` counts the earlier rows of the
    same key in the export that this (last) row stands for."""

    ref: Ref
    record: Schema
    weight: int = 1


@dataclass
class Context:
    program: Program
    via: str = DataSource.IMPORT


# --- Lookups (one query each) -----------------------------------------------------------------


def people_by_id(ids: Iterable) -> dict[str, tuple[int, str]]:
    """Buddy System user ids → (person id, role)."""
    keys = {str(i) for i in ids if i is not None}
    if not keys:
        return {}
    rows = ExternalId.objects.filter(provider=provider(), external_id__in=keys).values_list(
        "external_id", "person_id", "person__role"
    )
    return {ext: (pid, role) for ext, pid, role in rows}


def matches_by_id(ids: Iterable) -> dict[str, tuple[int, int, int]]:
    """Buddy System match ids → (match id, participant id, buddy id)."""
    keys = {i for i in ids if i is not None}
    if not keys:
        return {}
    rows = Match.objects.filter(external_id__in=keys).values_list(
        "external_id", "pk", "participant_id", "buddy_id"
    )
    return {str(ext): (pk, p, b) for ext, pk, p, b in rows}


def _unknown(result: BatchResult, item: Item, path: str, kind: str, value) -> None:
    result.reject(item.ref.says(f"unknown {kind} {value}", path), item.weight)


# --- Generic upsert -------------------------------------------------------------------------


def upsert_batch(
    model,
    rows: list[tuple[Item, dict, dict]],
    existing: QuerySet,
    result: BatchResult,
    *,
    via: str,
) -> None:
    """Insert or update ``(item, key fields, values)`` rows; ``existing`` is a queryset that
    holds at least the batch's existing rows.

    Existing rows are read as plain values (no model instances); only columns that differ
    are written and ``updated_at`` moves only for changed rows. A key repeated inside the
    batch updates what the earlier occurrence wrote.
    """
    if not rows:
        return
    key_names = list(rows[0][1])
    fields = list(rows[0][2])
    current_rows = {
        tuple(d[k] for k in key_names): d for d in existing.values("pk", *key_names, *fields)
    }
    new: dict[tuple, dict] = {}
    changed: dict[int, dict] = {}
    changed_fields: set[str] = set()
    for item, key_fields, values in rows:
        key = tuple(key_fields.values())
        current = new.get(key) or current_rows.get(key)
        if current is None:
            new[key] = {**key_fields, **values}
            outcome = Outcome.CREATED
        else:
            diff = [name for name in fields if current[name] != values[name]]
            for name in diff:
                current[name] = values[name]
            if diff and "pk" in current:
                changed[current["pk"]] = current
                changed_fields.update(diff)
            outcome = Outcome.UPDATED if diff else Outcome.UNCHANGED
        result.count(outcome, item.weight)
    if new:
        insert_rows(model, list(new.values()), via=via)
    if changed:
        now = timezone.now()
        names = sorted(changed_fields)
        objs = [
            model(pk=pk, updated_at=now, **{n: d[n] for n in names}) for pk, d in changed.items()
        ]
        model.objects.bulk_update(objs, [*names, "updated_at"])


def insert_rows(model, rows: list[dict], *, via: str) -> None:
    """Insert new activity rows: PostgreSQL's COPY where available, else ``bulk_create``.

    COPY skips the per-row SQL building and parameter quoting of ``bulk_create``, the
    largest cost of a first import. Values are the model's columns, already validated.
    """
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row, source=via) for row in rows])
        return
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    constant = {"created_at": now, "updated_at": now, "source": via}
    defaults = {f.attname: f.get_default() for f in fields}
    json_columns = {f.attname for f in fields if isinstance(f, JSONField)}
    names = [f.attname for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in rows:
            values = []
            for name in names:
                if name in constant:
                    value = constant[name]
                else:
                    value = row.get(name, defaults[name])
                    if name in json_columns:
                        value = Jsonb(value)
                values.append(value)
            copy.write_row(values)


def enroll_batch(ctx: Context, joined: dict[int, datetime]) -> None:
    """Enroll these people (person id → enrolled at) in the program where they are not yet.

    The bulk form of ``enrollments.services.enrollment_ensure``: created active, with the
    same status-change row."""
    if not joined:
        return
    present = set(
        Enrollment.objects.filter(program=ctx.program, person_id__in=joined).values_list(
            "person_id", flat=True
        )
    )
    new = [
        Enrollment(
            person_id=pid, program=ctx.program, enrolled_at=at, status=EnrollmentStatus.ACTIVE
        )
        for pid, at in joined.items()
        if pid not in present
    ]
    if not new:
        return
    Enrollment.objects.bulk_create(new)
    now = timezone.now()
    EnrollmentStatusChange.objects.bulk_create(
        EnrollmentStatusChange(
            enrollment=e,
            from_status="",
            to_status=EnrollmentStatus.ACTIVE,
            at=now,
            reason=f"joined ({ctx.via})",
        )
        for e in new
    )


# --- Users ----------------------------------------------------------------------------------

PERSON_FIELDS = (
    "role",
    "first_name",
    "last_name",
    "email",
    "email_hash",
    "joined_at",
    "languages",
    "interests",
    "location",
    "company_id",
)


def companies_by_name(names: Iterable[str | None]) -> dict[str, Company]:
    """Companies by lower-cased name (case-insensitive, created on first sight), in bulk."""
    wanted = {}
    for name in names:
        name = (name or "").strip()
        if name:
            wanted.setdefault(name.lower(), name)
    if not wanted:
        return {}
    found = {
        c.lname: c for c in Company.objects.annotate(lname=Lower("name")).filter(lname__in=wanted)
    }
    missing = [Company(name=wanted[k]) for k in wanted if k not in found]
    if missing:
        Company.objects.bulk_create(missing, ignore_conflicts=True)
        found = {
            c.lname: c
            for c in Company.objects.annotate(lname=Lower("name")).filter(lname__in=wanted)
        }
    return found


def write_users(items: list[Item], ctx: Context) -> BatchResult:
    """Identity: the user id first, then the normalised email (two ids with one email are one
    person, merged, both ids kept). A merged row keeps the person's role and earliest join
    date and takes the rest (as ``person_record``)."""
    result = BatchResult()
    ids = [str(it.record.id) for it in items]
    links = dict(
        ExternalId.objects.filter(provider=provider(), external_id__in=ids).values_list(
            "external_id", "person_id"
        )
    )
    companies = companies_by_name(it.record.company for it in items)
    prepared = [
        (it, person_values(it.record, companies.get((it.record.company or "").strip().lower())))
        for it in items
    ]
    hashes = {values["email_hash"] for _it, values in prepared}
    people = {
        p.pk: p for p in Person.objects.filter(Q(pk__in=links.values()) | Q(email_hash__in=hashes))
    }
    by_hash = {p.email_hash: p for p in people.values() if p.email_hash}

    snapshots: dict[int, tuple[Person, dict]] = {}  # id(person) → (person, columns before)
    new_people: list[Person] = []
    new_links: list[ExternalId] = []
    touched: list[tuple[Item, Person, str]] = []  # (item, person, "new" | "merged" | "linked")
    for item, values in prepared:
        external_id = str(item.record.id)
        person_id = links.get(external_id)
        person = people.get(person_id) if person_id is not None else None
        email_owner = by_hash.get(values["email_hash"])
        if person is not None:
            if email_owner is not None and email_owner is not person:
                result.reject(
                    item.ref.says("another person already has this email address", "email"),
                    item.weight,
                )
                continue
            kind = "linked"
        elif email_owner is not None:
            person, kind = email_owner, "merged"
            new_links.append(ExternalId(provider=provider(), external_id=external_id))
            new_links[-1].person = person
        else:
            person = Person(**values)
            new_people.append(person)
            new_links.append(ExternalId(provider=provider(), external_id=external_id))
            new_links[-1].person = person
            by_hash[values["email_hash"]] = person
            touched.append((item, person, "new"))
            continue
        first_touch = id(person) not in snapshots and person.pk is not None
        if first_touch:
            snapshots[id(person)] = (person, {f: getattr(person, f) for f in PERSON_FIELDS})
        if kind == "merged" or not first_touch:
            # Another row already described this person: keep its role and earliest join date.
            values.pop("role")
            values["joined_at"] = min(person.joined_at, values["joined_at"])
        if person.email_hash != values["email_hash"]:
            by_hash.pop(person.email_hash, None)
            by_hash[values["email_hash"]] = person
        for name, value in values.items():
            setattr(person, name, value)
        touched.append((item, person, kind))

    if new_people:
        Person.objects.bulk_create(new_people)
    if new_links:
        ExternalId.objects.bulk_create(new_links)
    changed_people, fields = {}, set()
    for person_key, (person, before) in snapshots.items():
        changed = [f for f in PERSON_FIELDS if getattr(person, f) != before[f]]
        if changed:
            changed_people[person_key] = person
            fields.update(changed)
    if changed_people:
        now = timezone.now()
        for person in changed_people.values():
            person.updated_at = now
        Person.objects.bulk_update(list(changed_people.values()), [*sorted(fields), "updated_at"])

    seen_new: set[int] = set()
    joined: dict[int, datetime] = {}
    for item, person, kind in touched:
        if kind == "new" and id(person) not in seen_new:
            seen_new.add(id(person))
            result.count(Outcome.CREATED, item.weight)
            result.arrived_people.append(str(item.record.id))
        elif kind in ("new", "merged"):
            result.count(Outcome.UPDATED, item.weight)
            result.merges.append(
                item.ref.says(f"user {item.record.id} merged into person #{person.pk} (same email)")
            )
            result.arrived_people.append(str(item.record.id))
        else:
            outcome = Outcome.UPDATED if id(person) in changed_people else Outcome.UNCHANGED
            result.count(outcome, item.weight)
        result.person_ids.add(person.pk)
        joined.setdefault(person.pk, person.joined_at)
    enroll_batch(ctx, joined)
    after_commit_references_arrived(person_ids=result.arrived_people)
    return result


# --- Matches --------------------------------------------------------------------------------

S = MatchStatus


def write_matches(items: list[Item], ctx: Context) -> BatchResult:
    """Create or reconcile matches (``export_match_values``: status only moves forward, an
    ended match stays ended with the end fields a webhook set)."""
    result = BatchResult()
    people = people_by_id(i for it in items for i in (it.record.participant_id, it.record.buddy_id))
    existing = {
        m.external_id: m
        for m in Match.objects.filter(external_id__in=[it.record.match_id for it in items])
    }
    participants = {
        people[str(it.record.participant_id)][0]
        for it in items
        if str(it.record.participant_id) in people
    }
    active: dict[int, set] = {}
    for pid, ext, pk in (
        Match.objects.active()
        .filter(program=ctx.program, participant_id__in=participants)
        .values_list("participant_id", "external_id", "pk")
    ):
        active.setdefault(pid, set()).add(ext or pk)

    to_create, to_update, fields, transitions = [], {}, set(), []
    joined: dict[int, datetime] = {}
    seen: dict[UUID, Match] = {}
    now = timezone.now()
    for item in items:
        record = item.record
        participant = people.get(str(record.participant_id))
        buddy = people.get(str(record.buddy_id))
        if participant is None:
            _unknown(result, item, "participant_id", "user", record.participant_id)
            continue
        if buddy is None:
            _unknown(result, item, "buddy_id", "user", record.buddy_id)
            continue
        if participant[1] != Role.PARTICIPANT:
            result.reject(
                item.ref.says("the user is not a participant", "participant_id"), item.weight
            )
            continue
        if buddy[1] != Role.BUDDY:
            result.reject(item.ref.says("the user is not a buddy", "buddy_id"), item.weight)
            continue
        match = seen.get(record.match_id) or existing.get(record.match_id)
        values = export_match_values(match, record)
        values.update(participant_id=participant[0], buddy_id=buddy[0])
        if values["ended_at"] is not None and values["ended_at"] < values["matched_at"]:
            result.reject(
                item.ref.says("the match would end before it started", "matched_at"), item.weight
            )
            continue
        if match is None:
            match = Match(
                external_id=record.match_id, program=ctx.program, source=ctx.via, **values
            )
            to_create.append(match)
            transitions.append(
                MatchTransition(
                    match=match,
                    from_status="",
                    to_status=match.status,
                    at=record.matched_at,
                    via=ctx.via,
                    reason="imported",
                )
            )
            result.arrived_matches.append(str(record.match_id))
            outcome, changed = Outcome.CREATED, ["status"]
        else:
            from_status = match.status
            changed = [k for k, v in values.items() if getattr(match, k) != v]
            if "status" in changed and values["status"] not in MATCH_TRANSITIONS[from_status]:
                result.reject(
                    item.ref.says(
                        f"a match cannot move from {from_status} to {values['status']}", "status"
                    ),
                    item.weight,
                )
                continue
            for name in changed:
                setattr(match, name, values[name])
            if "status" in changed:
                transitions.append(
                    MatchTransition(
                        match=match,
                        from_status=from_status,
                        to_status=match.status,
                        at=now,
                        via=ctx.via,
                        reason="export status",
                    )
                )
            if changed and match.pk is not None:
                to_update[match.pk] = match
                fields.update(changed)
            outcome = Outcome.UPDATED if changed else Outcome.UNCHANGED
        if changed:
            # Flag a second concurrent active match of the participant (as _flag_if_concurrent).
            me = match.external_id
            others = active.setdefault(match.participant_id, set())
            match.concurrent_active = match.status == S.ACTIVE and bool(others - {me})
            if match.pk is not None:
                fields.add("concurrent_active")
            if match.status == S.ACTIVE:
                others.add(me)
            else:
                others.discard(me)
        seen[record.match_id] = match
        result.count(outcome, item.weight)
        for pid in (match.participant_id, match.buddy_id):
            result.person_ids.add(pid)
            joined.setdefault(pid, record.matched_at)

    if to_create:
        Match.objects.bulk_create(to_create)
    if to_update:
        for match in to_update.values():
            match.updated_at = now
        Match.objects.bulk_update(list(to_update.values()), [*sorted(fields), "updated_at"])
    if transitions:
        MatchTransition.objects.bulk_create(transitions)
    enroll_batch(ctx, joined)
    after_commit_references_arrived(match_ids=result.arrived_matches)
    return result


# --- Activities -----------------------------------------------------------------------------


def _by_external_id(model, items: list[Item], attr: str) -> QuerySet:
    return model.objects.filter(external_id__in=[getattr(it.record, attr) for it in items])


def _match_people(result: BatchResult, match: tuple[int, int, int] | None) -> int | None:
    if match is None:
        return None
    result.person_ids.update(match[1:])
    return match[0]


def write_events(items: list[Item], ctx: Context) -> BatchResult:
    result = BatchResult()
    matches = matches_by_id(it.record.match_id for it in items)
    known = people_by_id(a for it in items for a in it.record.attendees)
    rows = []
    for item in items:
        record = item.record
        match = matches.get(str(record.match_id))
        if match is None:
            _unknown(result, item, "match_id", "match", record.match_id)
            continue
        unknown = [str(a) for a in record.attendees if str(a) not in known]
        if unknown:
            result.warnings.append(
                item.ref.says(f"{len(unknown)} unknown user id(s) kept and flagged", "attendees")
            )
        values = informal_event_values(record, unknown_attendees=unknown)
        values["match_id"] = _match_people(result, match)
        rows.append((item, {"external_id": record.event_id}, values))
    upsert_batch(
        InformalEvent, rows, _by_external_id(InformalEvent, items, "event_id"), result, via=ctx.via
    )
    return result


def write_attendance(items: list[Item], ctx: Context) -> BatchResult:
    result = BatchResult()
    people = people_by_id(it.record.user_id for it in items)
    matches = matches_by_id(it.record.match_id for it in items)
    rows = []
    for item in items:
        record = item.record
        person = people.get(str(record.user_id))
        if person is None:
            _unknown(result, item, "user_id", "user", record.user_id)
            continue
        match = matches.get(str(record.match_id)) if record.match_id else None
        if record.match_id and match is None:
            _unknown(result, item, "match_id", "match", record.match_id)
            continue
        values = attendance_values(record)
        values["match_id"] = _match_people(result, match)
        result.person_ids.add(person[0])
        rows.append((item, {"event_external_id": record.event_id, "person_id": person[0]}, values))
    existing = EventAttendance.objects.filter(
        event_external_id__in={k["event_external_id"] for _i, k, _v in rows},
        person_id__in={k["person_id"] for _i, k, _v in rows},
    )
    upsert_batch(EventAttendance, rows, existing, result, via=ctx.via)
    return result


def write_skill_sessions(items: list[Item], ctx: Context) -> BatchResult:
    result = BatchResult()
    people = people_by_id(i for it in items for i in (it.record.teacher_id, it.record.learner_id))
    matches = matches_by_id(it.record.match_id for it in items)
    rows = []
    for item in items:
        record = item.record
        teacher, learner = people.get(str(record.teacher_id)), people.get(str(record.learner_id))
        if teacher is None:
            _unknown(result, item, "teacher_id", "user", record.teacher_id)
            continue
        if learner is None:
            _unknown(result, item, "learner_id", "user", record.learner_id)
            continue
        match = matches.get(str(record.match_id)) if record.match_id else None
        if record.match_id and match is None:
            _unknown(result, item, "match_id", "match", record.match_id)
            continue
        values = skill_session_values(record)
        values.update(
            teacher_id=teacher[0], learner_id=learner[0], match_id=_match_people(result, match)
        )
        result.person_ids.update((teacher[0], learner[0]))
        rows.append((item, {"external_id": record.session_id}, values))
    upsert_batch(
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
    matches = matches_by_id(it.record.match_id for it in items)
    rows = []
    for item in items:
        record = item.record
        match = matches.get(str(record.match_id))
        if match is None:
            _unknown(result, item, "match_id", "match", record.match_id)
            continue
        values = values_of(record)
        values["match_id"] = _match_people(result, match)
        rows.append((item, {"external_id": getattr(record, key_attr)}, values))
    upsert_batch(model, rows, _by_external_id(model, items, key_attr), result, via=ctx.via)
    return result


def write_checkins(items: list[Item], ctx: Context) -> BatchResult:
    return _write_match_activity(CheckIn, "checkin_id", checkin_values, items, ctx)


def write_feedback(items: list[Item], ctx: Context) -> BatchResult:
    return _write_match_activity(Feedback, "feedback_id", feedback_values, items, ctx)


def _related_ids(record) -> set[str]:
    entities = (record.metadata.related_entities or []) if record.metadata else []
    return {e.id for e in entities}


def known_related_ids(ids: set[str]) -> set[str]:
    """The bulk form of ``unknown_related_ids``: which related ids name something known."""
    if not ids:
        return set()
    known = set(people_by_id(ids))
    uuids = []
    for value in ids:
        try:
            uuids.append(UUID(value))
        except ValueError:
            continue
    for model in (Match, InformalEvent, SkillSession, CheckIn, Feedback):
        known.update(
            str(v)
            for v in model.objects.filter(external_id__in=uuids).values_list(
                "external_id", flat=True
            )
        )
    return known


def write_milestones(items: list[Item], ctx: Context) -> BatchResult:
    result = BatchResult()
    people = people_by_id(it.record.user_id for it in items)
    known = known_related_ids({i for it in items for i in _related_ids(it.record)})
    rows = []
    for item in items:
        record = item.record
        person = people.get(str(record.user_id))
        if person is None:
            _unknown(result, item, "user_id", "user", record.user_id)
            continue
        unknown = sorted(_related_ids(record) - known)
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
        milestone_id__in={k["milestone_id"] for _i, k, _v in rows},
        person_id__in={k["person_id"] for _i, k, _v in rows},
    )
    upsert_batch(MilestoneAchievement, rows, existing, result, via=ctx.via)
    return result


WRITERS: dict[str, Callable[[list[Item], Context], BatchResult]] = {
    "users": write_users,
    "matches": write_matches,
    "events": write_events,
    "event_attendance": write_attendance,
    "skill_sessions": write_skill_sessions,
    "checkins": write_checkins,
    "feedback": write_feedback,
    "milestones": write_milestones,
}
