"""Batch writers: one per entity, each writes a batch of validated records.

A batch costs a fixed number of queries whatever its size. Strong references are
resolved with one query per kind (``person_refs``, ``match_refs``: ``= ANY(array)``
on PostgreSQL, one parameter for the whole batch). Activities are upserted by
``upsert_batch``: on PostgreSQL the batch is COPYed into a temporary table and the
database compares, inserts and updates (nothing of the stored rows is decoded in
Python); elsewhere (SQLite) existing rows are read as plain values and written with
``bulk_create`` / ``bulk_update``. New matches go in by COPY, changed people and
matches with one ``UPDATE … FROM UNNEST`` (``update_rows``).

The column mappings and the rules are the services' (``person_values`` and the merge
rule ``person_update_values``, ``companies_for``, ``export_match_values``,
``<entity>_values``, ``known_related_ids``, ``enrollments_ensure``); only the
batching lives here.

Match moves and new enrollments publish their events (``core.outbox``) like the services
do, in the batch's transaction: one INSERT for the batch.

A writer runs inside the batch's transaction; it rejects rows whose strong
references are unknown and reports every other row as created / updated /
unchanged.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from uuid import UUID

from django.db import connection
from django.db.models import JSONField, QuerySet
from django.utils import timezone
from psycopg.types.json import Jsonb

from buddy.errors import DomainError
from buddy.models import (
    CheckIn,
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
    SkillSession,
)
from buddy.rules import (
    match_dates_check,
    match_roles_check,
    match_transition_check,
    reference_check,
)
from buddy.schemas import Schema
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
from buddy.services.common import (
    Outcome,
    after_commit_references_arrived,
    among,
    match_refs,
    person_refs,
    provider,
)
from buddy.services.matches import (
    EVENT_FOR_STATUS,
    export_match_values,
    matches_refresh_concurrent,
)
from buddy.services.people import (
    companies_for,
    company_key,
    person_ids_of,
    person_update_values,
    person_values,
)
from core import outbox
from core.events import match_data
from enrollments.models import Program
from enrollments.services import enrollments_ensure
from webhooks.imports.readers import Ref
from webhooks.imports.report import BatchResult, Rejection


@dataclass
class Item:
    """A validated record and where it came from; ``weight`` counts the earlier rows of the
    same key in the export that this (last) row stands for, ``earlier`` is the valid row
    before it with that key: it is written instead when a writer rejects this one."""

    ref: Ref
    record: Schema
    weight: int = 1
    earlier: "Item | None" = None


@dataclass
class Context:
    program: Program
    via: str = DataSource.IMPORT


# --- Lookups and writes (a fixed number of queries per batch) --------------------------------


def update_rows(model, rows: dict[int, dict], fields: Iterable[str]) -> None:
    """Write ``fields`` of these rows (pk → column values) and move their ``updated_at``.

    PostgreSQL: one ``UPDATE … FROM UNNEST(<one array per column>)``, a handful of
    parameters whatever the number of rows (Django's ``bulk_update`` builds a CASE per
    field and row). Elsewhere ``bulk_update`` (SQLite, tests).
    """
    fields = sorted(fields)
    if not rows or not fields:
        return
    now = timezone.now()
    if connection.vendor != "postgresql":
        objs = [
            model(pk=pk, updated_at=now, **{n: row[n] for n in fields}) for pk, row in rows.items()
        ]
        model.objects.bulk_update(objs, [*fields, "updated_at"])
        return
    meta, quote = model._meta, connection.ops.quote_name
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    arrays = [[meta.pk.get_db_prep_value(pk, connection) for pk in rows]]
    arrays += [
        [column.get_db_prep_save(row[column.attname], connection) for row in rows.values()]
        for column in columns[1:]
    ]
    names = [quote(column.column) for column in columns]
    unnest = ", ".join(f"%s::{column.db_type(connection)}[]" for column in columns)
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    table = quote(meta.db_table)
    # Only quoted column and table names and fixed SQL go into the text; values are parameters.
    sql = (
        f"UPDATE {table} SET {assignments}, {quote('updated_at')} = %s "  # noqa: S608
        f"FROM UNNEST({unnest}) AS v({', '.join(names)}) "
        f"WHERE {table}.{names[0]} = v.{names[0]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *arrays])


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
    if connection.vendor == "postgresql":
        upsert_staged(model, rows, result, via=via)
        return
    key_names = list(rows[0][1])
    fields = list(rows[0][2])
    width = len(key_names)
    current_rows = {
        row[1 : 1 + width]: dict(zip(fields, row[1 + width :], strict=True)) | {"pk": row[0]}
        for row in existing.values_list("pk", *key_names, *fields)
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
    update_rows(model, changed, changed_fields)


STAGE = "buddy_import_stage"


def upsert_staged(model, rows: list[tuple[Item, dict, dict]], result: BatchResult, *, via: str):
    """``upsert_batch`` on PostgreSQL: the batch is COPYed into a temporary table and the
    database compares, inserts and updates (five statements, whatever the batch size).

    Nothing of the existing rows travels back but (position, changed?) pairs, so a
    re-import costs no decoding of stored JSON and dates. ``IS NOT DISTINCT FROM`` on
    the model's own column types compares as Python does (jsonb by value, timestamps
    as instants). A key repeated inside the batch: its last values are written; the
    earlier occurrences count as in ``upsert_batch``.
    """
    meta, quote = model._meta, connection.ops.quote_name
    key_names, names = list(rows[0][1]), list(rows[0][2])
    staged: dict[tuple, int] = {}  # key → position in ``final``
    final: list[tuple[tuple, dict]] = []  # (key, values) to stage
    outcomes: list[tuple[Item, int | None, Outcome | None]] = []  # (item, position, fixed)
    for item, key_fields, values in rows:
        key = tuple(key_fields.values())
        position = staged.get(key)
        if position is None:
            staged[key] = len(final)
            final.append((key, values))
            outcomes.append((item, len(final) - 1, None))
        else:
            earlier = final[position][1]
            same = all(earlier[n] == values[n] for n in names)
            final[position] = (key, values)
            outcomes.append((item, None, Outcome.UNCHANGED if same else Outcome.UPDATED))

    keys = [meta.get_field(n) for n in key_names]
    fields = [meta.get_field(n) for n in names]
    stage_columns = [quote(f.column) for f in (*keys, *fields)]
    table = quote(meta.db_table)
    join = " AND ".join(f"t.{c} = s.{c}" for c in stage_columns[: len(keys)])
    field_columns = stage_columns[len(keys) :]
    same = " AND ".join(f"t.{c} IS NOT DISTINCT FROM s.{c}" for c in field_columns) or "TRUE"
    # Only quoted table and column names and fixed SQL go into these texts; values are
    # parameters or COPY data.
    with connection.cursor() as cursor:
        # Joins of the stage with its table probe the key index row by row (a nested loop):
        # a hash join would scan the whole table for every batch, quadratic over an import.
        # Right after a bulk load the table's statistics are stale, so the planner is told.
        stage = quote(f"{STAGE}_{meta.db_table}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} AS "  # noqa: S608
            f"SELECT 0 AS ord, {', '.join(stage_columns)} FROM {table} WITH NO DATA; "
            f"DELETE FROM {stage}; "
            "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
        )
        copy_sql = f"COPY {stage} (ord, {', '.join(stage_columns)}) FROM STDIN"
        pick = itemgetter(*names)
        first = 1 + len(keys)
        json_at = [first + i for i, f in enumerate(fields) if isinstance(f, JSONField)]
        with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
            for ordinal, (key, values) in enumerate(final):
                row = [ordinal, *key, *(pick(values) if len(names) > 1 else (pick(values),))]
                for at in json_at:
                    row[at] = Jsonb(row[at])
                copy.write_row(row)
        cursor.execute(
            f"SELECT s.ord, t.id IS NOT NULL, {same} FROM {stage} s "  # noqa: S608
            f"LEFT JOIN {table} t ON {join}"
        )
        found = {ordinal: (exists, unchanged) for ordinal, exists, unchanged in cursor.fetchall()}
        new = [o for o, (exists, _same) in found.items() if not exists]
        changed = [o for o, (exists, unchanged) in found.items() if exists and not unchanged]
        now = timezone.now()
        if new:
            constant = {"created_at": now, "updated_at": now, "source": via}
            extra = [
                f
                for f in meta.concrete_fields
                if not f.primary_key and f.attname not in key_names and f.attname not in names
            ]
            extra_values = [
                f.get_db_prep_save(constant.get(f.attname, f.get_default()), connection)
                for f in extra
            ]
            columns = ", ".join([*stage_columns, *(quote(f.column) for f in extra)])
            selected = ", ".join(
                [
                    *(f"s.{c}" for c in stage_columns),
                    *(f"%s::{f.db_type(connection)}" for f in extra),
                ]
            )
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {selected} "  # noqa: S608
                f"FROM {stage} s WHERE s.ord = ANY(%s::integer[])",
                [*extra_values, new],
            )
        if changed:
            assignments = ", ".join(f"{c} = s.{c}" for c in field_columns)
            cursor.execute(
                f"UPDATE {table} t SET {assignments}, {quote('updated_at')} = %s "  # noqa: S608
                f"FROM {stage} s WHERE {join} AND s.ord = ANY(%s::integer[])",
                [now, changed],
            )
        cursor.execute("RESET enable_hashjoin; RESET enable_mergejoin")
    for item, position, fixed in outcomes:
        if fixed is None:
            exists, unchanged = found[position]
            fixed = (
                Outcome.CREATED
                if not exists
                else (Outcome.UNCHANGED if unchanged else Outcome.UPDATED)
            )
        result.count(fixed, item.weight)


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


# --- Users ----------------------------------------------------------------------------------

EMAIL_TAKEN = "user.email_taken"
EMAIL_TAKEN_MESSAGE = "another person already has this email address"

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


def write_users(items: list[Item], ctx: Context) -> BatchResult:
    """Identity: the user id first, then the normalised email (two ids with one email are one
    person, merged, both ids kept). What a row changes on a known person is the services'
    merge rule (``person_update_values``), the same as ``person_record``."""
    result = BatchResult()
    me = provider()
    links = dict(
        ExternalId.objects.filter(
            among("external_id", {str(it.record.id) for it in items}), provider=me
        ).values_list("external_id", "person_id")
    )
    companies = companies_for(it.record.company for it in items)
    prepared = [
        (it, person_values(it.record, companies.get(company_key(it.record.company))))
        for it in items
    ]
    hashes = {values["email_hash"] for _it, values in prepared}
    people = {
        p.pk: p
        for p in Person.objects.filter(
            among("pk", set(links.values())) | among("email_hash", hashes)
        )
    }
    by_hash = {p.email_hash: p for p in people.values() if p.email_hash}
    by_link = {ext: people[pid] for ext, pid in links.items() if pid in people}
    ids_of = {id(people[pid]): ids for pid, ids in person_ids_of(people).items()}

    before: dict[int, tuple[Person, dict]] = {}  # id(person) → (person, columns before)
    new_people: list[Person] = []
    new_links: list[ExternalId] = []
    touched: list[tuple[Item, Person, str]] = []  # (item, person, "created" | "merged" | "linked")
    for item, values in prepared:
        external_id = str(item.record.id)
        person = by_link.get(external_id)
        email_owner = by_hash.get(values["email_hash"])
        if person is not None:
            if email_owner is not None and email_owner is not person:
                result.reject_item(
                    item, Rejection(item.ref, EMAIL_TAKEN, EMAIL_TAKEN_MESSAGE, "email")
                )
                continue
            kind = "linked"
        elif email_owner is not None:
            person, kind = email_owner, "merged"
        else:
            person, kind = Person(**values), "created"
            new_people.append(person)
            by_hash[values["email_hash"]] = person
        if kind != "linked":
            link = ExternalId(provider=me, external_id=external_id)
            link.person = person
            new_links.append(link)
            ids_of.setdefault(id(person), []).append((me, external_id))
            by_link[external_id] = person  # a repeat of this id in the batch finds the person
        if kind != "created":
            if person.pk is not None and id(person) not in before:
                before[id(person)] = (person, {f: getattr(person, f) for f in PERSON_FIELDS})
            ids = ids_of.get(id(person), [])
            values = person_update_values(
                values,
                joined_at=person.joined_at,
                ids=len(ids),
                owner=bool(ids) and ids[-1] == (me, external_id),
            )
            if "email_hash" in values and person.email_hash != values["email_hash"]:
                by_hash.pop(person.email_hash, None)
                by_hash[values["email_hash"]] = person
            for name, value in values.items():
                setattr(person, name, value)
        touched.append((item, person, kind))

    if new_people:
        Person.objects.bulk_create(new_people)
    if new_links:
        for link in new_links:
            link.person_id = link.person.pk
        ExternalId.objects.bulk_create(new_links)
    changed_people, fields = {}, set()
    for key, (person, columns) in before.items():
        changed = [f for f in PERSON_FIELDS if getattr(person, f) != columns[f]]
        if changed:
            changed_people[key] = person
            fields.update(changed)
    update_rows(
        Person,
        {p.pk: {f: getattr(p, f) for f in fields} for p in changed_people.values()},
        fields,
    )

    joined: dict[int, datetime] = {}
    for item, person, kind in touched:
        if kind == "created":
            result.count(Outcome.CREATED, item.weight)
            result.arrived_people.append(str(item.record.id))
        elif kind == "merged":
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
    enrollments_ensure(program=ctx.program, joined=joined, via=ctx.via)
    after_commit_references_arrived(person_ids=result.arrived_people)
    return result


# --- Matches --------------------------------------------------------------------------------

S = MatchStatus
MATCH_FIELDS = (
    "participant_id",
    "buddy_id",
    "matched_at",
    "matching_criteria",
    "status",
    "ended_at",
    "end_reason",
    "duration_days",
    "sessions_completed",
    "events_attended",
    "concurrent_active",
)


def _create_matches(matches: list[Match], transitions: list[MatchTransition], *, via: str):
    """Insert new matches and their ``imported`` transitions.

    PostgreSQL: the matches go in by COPY and their transitions with one INSERT … SELECT
    (the transitions need the new ids; ``bulk_create`` builds and binds every value of
    every row in Python). Elsewhere ``bulk_create``; the transitions follow with the rest.
    """
    if connection.vendor != "postgresql":
        Match.objects.bulk_create(matches)
        return
    fields = [f.attname for f in Match._meta.concrete_fields if not f.primary_key]
    insert_rows(Match, [{f: getattr(m, f) for f in fields} for m in matches], via=via)
    created = {id(m) for m in matches}
    transitions[:] = [t for t in transitions if id(t.match) not in created]
    quote = connection.ops.quote_name
    table, matches_table = quote(MatchTransition._meta.db_table), quote(Match._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (match_id, from_status, to_status, at, via, reason) "  # noqa: S608
            f"SELECT m.id, '', m.status, m.matched_at, %s, 'imported' FROM {matches_table} m "
            "WHERE m.external_id = ANY(%s::uuid[])",
            [via, "{" + ",".join(str(m.external_id) for m in matches) + "}"],
        )


def _publish_match_moves(moves, people: dict[str, tuple[int, str]], *, via: str) -> None:
    """The events of the batch's match moves (``match.*``, as ``buddy.services.matches``
    publishes them), in one INSERT after one read of the matches (new ones have no id in
    memory when COPY wrote them)."""
    if not moves:
        return
    matches = Match.objects.in_bulk([m[0] for m in moves], field_name="external_id")
    buddy_system_ids = {pid: ext for ext, (pid, _role) in people.items()}
    events = []
    for external_id, from_status, to_status, at in moves:
        match = matches[external_id]
        data = match_data(
            match=match, from_status=from_status, at=at, via=via, people=buddy_system_ids
        )
        data["status"] = to_status  # a match moved twice in one batch: each move's own
        events.append(outbox.Event(EVENT_FOR_STATUS[to_status], data, match.program_id))
    outbox.publish_many(events)


def write_matches(items: list[Item], ctx: Context) -> BatchResult:
    """Create or reconcile matches (``export_match_values``: status only moves forward, an
    ended match stays ended with the end fields a webhook set)."""
    result = BatchResult()
    people = person_refs(i for it in items for i in (it.record.participant_id, it.record.buddy_id))
    existing = {
        m.external_id: m
        for m in Match.objects.filter(among("external_id", {it.record.match_id for it in items}))
    }
    participants = {
        people[str(it.record.participant_id)][0]
        for it in items
        if str(it.record.participant_id) in people
    }
    to_create, to_update, fields, transitions = [], {}, set(), []
    moves: list[tuple[UUID, str, str, datetime]] = []  # the events: match, from, to, at
    joined: dict[int, datetime] = {}
    seen: dict[UUID, Match] = {}
    now = timezone.now()
    for item in items:
        record = item.record
        try:
            participant = reference_check(
                people.get(str(record.participant_id)),
                "user",
                record.participant_id,
                path="participant_id",
            )
            buddy = reference_check(
                people.get(str(record.buddy_id)), "user", record.buddy_id, path="buddy_id"
            )
            match_roles_check(participant[1], buddy[1], paths=("participant_id", "buddy_id"))
            match_dates_check(record.matched_at, record.ended_at, path="ended_at")
        except DomainError as exc:
            result.reject_item(item, exc)
            continue
        match = seen.get(record.match_id) or existing.get(record.match_id)
        values = export_match_values(match, record)
        values.update(participant_id=participant[0], buddy_id=buddy[0])
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
            moves.append((record.match_id, "", match.status, record.matched_at))
            outcome, changed = Outcome.CREATED, ["status"]
        else:
            from_status = match.status
            changed = [k for k, v in values.items() if getattr(match, k) != v]
            if "status" in changed:
                try:
                    match_transition_check(from_status, values["status"])
                except DomainError as exc:
                    result.reject_item(item, Rejection(item.ref, exc.code, exc.message, "status"))
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
                moves.append((record.match_id, from_status, match.status, now))
            if changed and match.pk is not None:
                to_update[match.pk] = match
                fields.update(changed)
            outcome = Outcome.UPDATED if changed else Outcome.UNCHANGED
        seen[record.match_id] = match
        result.count(outcome, item.weight)
        for pid in (match.participant_id, match.buddy_id):
            result.person_ids.add(pid)
            joined.setdefault(pid, record.matched_at)

    if to_create:
        _create_matches(to_create, transitions, via=ctx.via)
    update_rows(
        Match, {pk: {f: getattr(m, f) for f in fields} for pk, m in to_update.items()}, fields
    )
    if transitions:
        MatchTransition.objects.bulk_create(transitions)
    _publish_match_moves(moves, people, via=ctx.via)
    matches_refresh_concurrent(program_id=ctx.program.pk, participant_ids=participants)
    enrollments_ensure(program=ctx.program, joined=joined, via=ctx.via)
    after_commit_references_arrived(match_ids=result.arrived_matches)
    return result


# --- Activities -----------------------------------------------------------------------------


def _by_external_id(model, items: list[Item], attr: str) -> QuerySet:
    return model.objects.filter(among("external_id", {getattr(it.record, attr) for it in items}))


def _optional_match(matches: dict, match_id: UUID | None) -> tuple[int, int, int] | None:
    """An activity's optional match: none named, or the one named (known, else rejected)."""
    if not match_id:
        return None
    return reference_check(matches.get(match_id), "match", match_id, path="match_id")


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
            match = reference_check(
                matches.get(record.match_id), "match", record.match_id, path="match_id"
            )
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
    upsert_batch(
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
            person = reference_check(
                people.get(str(record.user_id)), "user", record.user_id, path="user_id"
            )
            match = _optional_match(matches, record.match_id)
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
    upsert_batch(EventAttendance, rows, existing, result, via=ctx.via)
    return result


def write_skill_sessions(items: list[Item], ctx: Context) -> BatchResult:
    result = BatchResult()
    people = person_refs(i for it in items for i in (it.record.teacher_id, it.record.learner_id))
    matches = match_refs(it.record.match_id for it in items)
    rows = []
    for item in items:
        record = item.record
        try:
            teacher = reference_check(
                people.get(str(record.teacher_id)), "user", record.teacher_id, path="teacher_id"
            )
            learner = reference_check(
                people.get(str(record.learner_id)), "user", record.learner_id, path="learner_id"
            )
            match = _optional_match(matches, record.match_id)
        except DomainError as exc:
            result.reject_item(item, exc)
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
    matches = match_refs(it.record.match_id for it in items)
    rows = []
    for item in items:
        record = item.record
        try:
            match = reference_check(
                matches.get(record.match_id), "match", record.match_id, path="match_id"
            )
        except DomainError as exc:
            result.reject_item(item, exc)
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


def write_milestones(items: list[Item], ctx: Context) -> BatchResult:
    result = BatchResult()
    people = person_refs(it.record.user_id for it in items)
    known = known_related_ids({i for it in items for i in related_ids(it.record)})
    rows = []
    for item in items:
        record = item.record
        try:
            person = reference_check(
                people.get(str(record.user_id)), "user", record.user_id, path="user_id"
            )
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
