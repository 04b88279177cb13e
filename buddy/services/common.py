"""Helpers shared by the buddy services: upsert outcomes, reference lookup, after-commit hooks."""

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, models, transaction

from buddy.models import ExternalId, Match, Person
from buddy.rules import reference_check
from core.db import Seam, column, in_model_order, table
from core.queries import among, array_literal, insert_or_nothing


class Outcome(StrEnum):
    """What writing one record did to its row (``Upserted``); the import report counts them."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class Upserted:
    obj: Any
    outcome: Outcome
    notes: list[str] = field(default_factory=list)


def provider() -> str:
    return settings.BUDDY_PROVIDER


def person_refs(ids: Iterable) -> dict[str, tuple[int, str]]:
    """Buddy System user ids → (person id, role), in one query; unknown ids are absent.
    The bulk form of ``require_person`` (no model instances)."""
    keys = {str(i) for i in ids if i is not None}
    if not keys:
        return {}
    return references.impl.person_refs(keys)


def match_refs(ids: Iterable[UUID]) -> dict[UUID, tuple[int, int, int]]:
    """Buddy System match ids (UUIDs) → (match id, participant id, buddy id), in one query.
    The bulk form of ``require_match``."""
    keys = {i for i in ids if i is not None}
    if not keys:
        return {}
    return references.impl.match_refs(keys)


# Hot-path reads. Every webhook event resolves a match or a person or two; an ORM query
# costs ~0.8 ms of CPU to build on the 2-core reference machine, more than PostgreSQL
# spends running it, so these are written once (column lists from the models) and their
# rows become instances through ``Model.from_db`` with the columns the services use.
# Other fields are deferred: reading one costs a query (the webhook tests pin the
# statement count of every event type, so such a read would show).
PERSON_REF_FIELDS = ("id", "role", "joined_at")
# In the models' field order (``in_model_order``): ``Model.from_db`` assigns a raw row's values
# in that order whatever the order of the names.
PERSON_REF_FIELDS = in_model_order(Person, PERSON_REF_FIELDS)
MATCH_REF_FIELDS = in_model_order(Match, (
    "id", "external_id", "program_id", "participant_id", "buddy_id", "status", "source",
    "matched_at", "ended_at", "concurrent_active",
))  # fmt: skip


def _people_by_external_id_sql(person_fields: tuple[str, ...], keys: str) -> str:
    """``external_id, <person columns>`` of the people whose external id (of a provider, the
    first parameter) is in an array (the second, written ``keys``: ``%s`` or a cast)."""
    x = functools.partial(column, ExternalId)
    p = functools.partial(column, Person)
    columns = ", ".join(f"p.{p(f)}" for f in person_fields)
    return (
        f"SELECT x.{x('external_id')}, {columns} FROM {table(ExternalId)} x"  # noqa: S608 - model metadata
        f" JOIN {table(Person)} p ON p.{p('id')} = x.{x('person')}"
        f" WHERE x.{x('provider')} = %s AND x.{x('external_id')} = ANY({keys})"
    )


@functools.cache
def _people_sql() -> str:
    return _people_by_external_id_sql(PERSON_REF_FIELDS, "%s")


@functools.cache
def _person_refs_sql() -> str:
    return _people_by_external_id_sql(("id", "role"), "%s::text[]")


@functools.cache
def _match_refs_sql() -> str:
    m = functools.partial(column, Match)
    return (
        f"SELECT {m('external_id')}, {m('id')}, {m('participant')}, {m('buddy')} "  # noqa: S608 - model metadata
        f"FROM {table(Match)} WHERE {m('external_id')} = ANY(%s::uuid[])"
    )


@functools.cache
def _match_sql() -> str:
    columns = ", ".join(column(Match, f) for f in MATCH_REF_FIELDS)
    return f"SELECT {columns} FROM {table(Match)} WHERE {column(Match, 'external_id')} = %s"  # noqa: S608 - model metadata


class GenericReferences:
    """Reference look-ups through the ORM (any database)."""

    def person_refs(self, keys: set[str]) -> dict[str, tuple[int, str]]:
        rows = ExternalId.objects.filter(external_id__in=list(keys), provider=provider())
        return {
            ext: (pid, role)
            for ext, pid, role in rows.values_list("external_id", "person_id", "person__role")
        }

    def match_refs(self, keys: set[UUID]) -> dict[UUID, tuple[int, int, int]]:
        rows = Match.objects.filter(external_id__in=list(keys)).values_list(
            "external_id", "pk", "participant_id", "buddy_id"
        )
        return {ext: (pk, p, b) for ext, pk, p, b in rows}

    def people(self, keys: list[str]) -> dict[str, Person]:
        rows = ExternalId.objects.filter(external_id__in=keys, provider=provider())
        rows = rows.select_related("person").only(
            "external_id", *(f"person__{f}" for f in PERSON_REF_FIELDS)
        )
        return {row.external_id: row.person for row in rows}

    def match(self, external_id: UUID) -> Match | None:
        return Match.objects.filter(external_id=external_id).only(*MATCH_REF_FIELDS).first()


class PostgresReferences:
    """The hot-path statements (above), their rows made instances with ``Model.from_db``
    (PostgreSQL's raw values need none of the ORM's converters); ``= ANY(array)``."""

    def person_refs(self, keys: set[str]) -> dict[str, tuple[int, str]]:
        # Only the three columns, the keys as one array literal: an import's batch asks for
        # thousands (the people statement's list parameter and its dates cost 5x as much).
        with transaction.get_connection().cursor() as cursor:
            cursor.execute(_person_refs_sql(), [provider(), array_literal(keys)])
            return {ext: (pid, role) for ext, pid, role in cursor.fetchall()}

    def match_refs(self, keys: set[UUID]) -> dict[UUID, tuple[int, int, int]]:
        with transaction.get_connection().cursor() as cursor:
            cursor.execute(_match_refs_sql(), [array_literal(keys)])
            return {ext: (pk, p, b) for ext, pk, p, b in cursor.fetchall()}

    def people(self, keys: list[str]) -> dict[str, Person]:
        conn = transaction.get_connection()
        with conn.cursor() as cursor:
            cursor.execute(_people_sql(), [provider(), keys])
            rows = cursor.fetchall()
        return {
            external_id: Person.from_db(conn.alias, PERSON_REF_FIELDS, values)
            for external_id, *values in rows
        }

    def match(self, external_id: UUID) -> Match | None:
        conn = transaction.get_connection()
        with conn.cursor() as cursor:
            cursor.execute(_match_sql(), [external_id])
            row = cursor.fetchone()
        return Match.from_db(conn.alias, MATCH_REF_FIELDS, row) if row else None


#: People and matches by their Buddy System ids.
references: Seam[GenericReferences | PostgresReferences] = Seam(
    "buddy.references", generic=GenericReferences(), postgresql=PostgresReferences()
)


def people_by_external_id(ids: Iterable[UUID | str]) -> dict[str, Person]:
    """Buddy System user ids → people (``PERSON_REF_FIELDS`` loaded), in one query;
    unknown ids are absent."""
    keys = sorted({str(i) for i in ids})
    if not keys:
        return {}
    return references.impl.people(keys)


def require_person(external_id: UUID, *, path: str) -> Person:
    person = people_by_external_id([external_id]).get(str(external_id))
    return reference_check(person, "user", external_id, path=path)


def require_match(external_id: UUID, *, path: str, lock: bool = False) -> Match:
    """The match with this Buddy System id; ``lock``: the whole row, locked for update,
    else ``MATCH_REF_FIELDS`` loaded (for recording activities against it)."""
    if lock:
        match = Match.objects.select_for_update().filter(external_id=external_id).first()
    else:
        match = references.impl.match(external_id)
    return reference_check(match, "match", external_id, path=path)


def upsert(
    model: type[models.Model], key: dict[str, Any], values: dict[str, Any], *, create_extra=None
) -> Upserted:
    """Insert or update one row by its natural key; report what happened.

    Insert first (``insert_or_nothing``: one statement, no savepoint); when the key
    exists, or a concurrent writer inserted it first, lock and update that row.
    """
    obj = model(**key, **values, **(create_extra or {}))
    if insert_or_nothing(obj):
        return Upserted(obj, Outcome.CREATED)
    existing = model.objects.select_for_update().filter(**key).first()
    if existing is None:  # the conflict was on another unique constraint
        raise IntegrityError(f"{model._meta.label}: a unique constraint refused the row")
    changed = [name for name, value in values.items() if getattr(existing, name) != value]
    if not changed:
        return Upserted(existing, Outcome.UNCHANGED)
    for name in changed:
        setattr(existing, name, values[name])
    existing.save(update_fields=[*changed, "updated_at"])
    return Upserted(existing, Outcome.UPDATED)


def people_changed(person_ids: Iterable[int], program_id: int) -> None:
    """Recompute enrollments and journey flags of these people once the change commits
    (queued in the caller's transaction: ``enrollments.services.recompute_soon``)."""
    from buddy.services.enrollments import recompute_soon

    recompute_soon(person_ids=person_ids, program_id=program_id)


def person_buddy_system_ids(person_ids: Iterable[int]) -> dict[int, str]:
    """Person id → the Buddy System user id (the smallest, if a merge left several), in one
    query; people the Buddy System does not know are absent. For event payloads."""
    ids = {int(i) for i in person_ids if i is not None}
    if not ids:
        return {}
    found: dict[int, str] = {}
    rows = ExternalId.objects.filter(among("person_id", ids), provider=provider()).values_list(
        "person_id", "external_id"
    )
    for person_id, external_id in rows:
        if person_id not in found or external_id < found[person_id]:
            found[person_id] = external_id
    return found
