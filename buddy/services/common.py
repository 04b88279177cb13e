"""Helpers shared by the buddy services: upsert outcomes, reference lookup, after-commit hooks."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, models, transaction

from buddy.errors import RuleViolation, UnknownReference
from buddy.models import ExternalId, Match, Person
from buddy.signals import references_arrived


class Outcome(StrEnum):
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


def people_by_external_id(ids: Iterable[UUID | str]) -> dict[str, Person]:
    """Buddy System user ids → people, in one query; unknown ids are absent."""
    keys = {str(i) for i in ids}
    if not keys:
        return {}
    rows = ExternalId.objects.filter(provider=provider(), external_id__in=keys).select_related(
        "person"
    )
    return {row.external_id: row.person for row in rows}


def require_person(external_id: UUID, *, path: str, role: str | None = None) -> Person:
    person = people_by_external_id([external_id]).get(str(external_id))
    if person is None:
        raise UnknownReference("user", str(external_id), path=path)
    if role is not None and person.role != role:
        raise RuleViolation("user.wrong_role", f"The user is not a {role}.", path=path)
    return person


def require_match(external_id: UUID, *, path: str, lock: bool = False) -> Match:
    queryset = Match.objects.select_for_update() if lock else Match.objects
    match = queryset.filter(external_id=external_id).first()
    if match is None:
        raise UnknownReference("match", str(external_id), path=path)
    return match


def upsert(
    model: type[models.Model], key: dict[str, Any], values: dict[str, Any], *, create_extra=None
) -> Upserted:
    """Insert or update one row by its natural key; report what happened.

    Safe against a concurrent insert of the same key: the loser re-reads the
    winner's row (inside a savepoint) and updates it.
    """
    existing = model.objects.select_for_update().filter(**key).first()
    if existing is None:
        try:
            with transaction.atomic():
                obj = model.objects.create(**key, **values, **(create_extra or {}))
            return Upserted(obj, Outcome.CREATED)
        except IntegrityError:
            existing = model.objects.select_for_update().filter(**key).first()
            if existing is None:
                raise
    changed = [name for name, value in values.items() if getattr(existing, name) != value]
    if not changed:
        return Upserted(existing, Outcome.UNCHANGED)
    for name in changed:
        setattr(existing, name, values[name])
    existing.save(update_fields=[*changed, "updated_at"])
    return Upserted(existing, Outcome.UPDATED)


def after_commit_people_changed(person_ids: Iterable[int], program_id: int) -> None:
    """Recompute enrollments and journey flags of these people once the change commits."""
    ids = sorted({int(i) for i in person_ids})
    if not ids:
        return
    from enrollments.tasks import recompute_people

    transaction.on_commit(lambda: recompute_people.delay(person_ids=ids, program_id=program_id))


def after_commit_references_arrived(*, person_ids=(), match_ids=()) -> None:
    people, matches = [str(i) for i in person_ids], [str(i) for i in match_ids]
    if people or matches:
        transaction.on_commit(
            lambda: references_arrived.send(
                sender=Person if people else Match, person_ids=people, match_ids=matches
            )
        )
