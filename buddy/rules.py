"""The rules every entry point applies, each written once with one stable code.

Webhook validation and processing, the importer, the API and UI services and the admin
call these functions; a refusal is a ``DomainError`` with the same code and message
wherever it is raised (the import report lists it per row). Messages carry no personal
data. ``tests/rules/`` asserts each code at every entry point.
"""

from datetime import datetime
from typing import TypeVar

from buddy.models import Person, Role
from buddy.models.matches import MATCH_TRANSITIONS
from core.errors import (
    FieldError,
    IllegalTransition,
    RuleViolation,
    UnknownReference,
    ValidationFailed,
)

T = TypeVar("T")

SAME_PERSON = "match.same_person"
ROLE_MISMATCH = "match.role_mismatch"
ENDS_BEFORE_START = "match.ends_before_start"
ILLEGAL_TRANSITION = "match.illegal_transition"
REFERENCE_UNKNOWN = "reference.unknown"

ROLE_MISMATCH_MESSAGE = (
    "The participant must have the participant role and the buddy the buddy role."
)
ENDS_BEFORE_START_MESSAGE = "A match cannot end before it started."
SAME_PERSON_MESSAGE = "A match pairs two different people."


def _role(side: Person | str) -> str:
    return side.role if isinstance(side, Person) else side


def match_roles_check(
    participant: Person | str | None,
    buddy: Person | str | None,
    *,
    paths: tuple[str, str] = ("participant", "buddy"),
) -> None:
    """The participant has the participant role, the buddy the buddy role. Each side is a
    person or a role; ``None`` (not known) is the reference rule's business, not this one's.
    ``paths``: the field of each side in the caller's input."""
    wrong = [
        path
        for side, role, path in (
            (participant, Role.PARTICIPANT, paths[0]),
            (buddy, Role.BUDDY, paths[1]),
        )
        if side is not None and _role(side) != role
    ]
    if wrong:
        refused = RuleViolation(ROLE_MISMATCH, ROLE_MISMATCH_MESSAGE)
        refused.errors = [FieldError(path, ROLE_MISMATCH_MESSAGE) for path in wrong]
        raise refused


def match_people_check(participant, buddy, *, path: str = "buddy") -> None:
    """A match pairs two different people (two people's ids, or two Buddy System ids)."""
    if participant == buddy:
        raise RuleViolation(SAME_PERSON, SAME_PERSON_MESSAGE, path)


def match_dates_check(
    started: datetime | None, ended: datetime | None, *, path: str = "ended_at"
) -> None:
    """A match cannot end before it started (either date unknown: nothing to compare)."""
    if started is not None and ended is not None and ended < started:
        raise ValidationFailed(
            [FieldError(path, ENDS_BEFORE_START_MESSAGE)],
            message=ENDS_BEFORE_START_MESSAGE,
            code=ENDS_BEFORE_START,
        )


def match_transition_check(from_status: str, to_status: str) -> None:
    """A match's status only moves along ``MATCH_TRANSITIONS``."""
    if to_status not in MATCH_TRANSITIONS[from_status]:
        raise IllegalTransition(from_status, to_status)


def reference_check(found: T | None, kind: str, external_id, *, path: str = "") -> T:
    """What a Buddy System id resolved to, or ``UnknownReference`` (``reference.unknown``)
    when it names nothing we know: ``found`` is the caller's look-up of ``external_id``."""
    if found is None:
        raise UnknownReference(kind, str(external_id), path=path)
    return found
