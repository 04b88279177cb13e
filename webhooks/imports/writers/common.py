"""What every writer shares: a validated row (``Item``), the batch's context, and the
reference rule applied to a record's ids (``buddy.rules.reference_check``)."""

from dataclasses import dataclass

from buddy.models import DataSource, Program
from buddy.rules import reference_check
from buddy.schemas import Schema
from webhooks.imports.readers import Ref


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


def known_user(people: dict, record: Schema, field: str) -> tuple[int, str]:
    """The person (id, role) a record's user id names, from ``person_refs``; else
    ``reference.unknown`` at that field."""
    value = getattr(record, field)
    return reference_check(people.get(str(value)), "user", value, path=field)


def known_match(
    matches: dict, record: Schema, field: str = "match_id", *, optional: bool = False
) -> tuple[int, int, int] | None:
    """The match (id, participant id, buddy id) a record's match id names, from
    ``match_refs``; else ``reference.unknown``. ``optional``: no id names no match."""
    value = getattr(record, field)
    if optional and not value:
        return None
    return reference_check(matches.get(value), "match", value, path=field)
