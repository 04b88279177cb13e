"""One processor per event type: a thin call of the buddy service that owns the rule.

Each takes the validated ``data`` record and returns the service's ``Upserted``.
Webhook events belong to the buddy program.
"""

import copy
from collections.abc import Callable

from buddy.models import DataSource, Program, ProgramType
from buddy.schemas import Schema
from buddy.services import activities, matches
from buddy.services.common import Upserted

WEBHOOK = DataSource.WEBHOOK


_program_cache: dict[str, Program] = {}


def buddy_program() -> Program:
    """The buddy program, read once per process (a copy per call: callers may set fields).

    Programs come from a data migration and are not edited on the request path; any
    save or delete of a program clears the cache (``apps.py`` connects the signals).
    """
    program = _program_cache.get(ProgramType.BUDDY)
    if program is None:
        program = Program.objects.get(program_type=ProgramType.BUDDY)
        _program_cache[ProgramType.BUDDY] = program
    return copy.copy(program)


def forget_programs(**kwargs) -> None:
    _program_cache.clear()


def _match_created(record) -> Upserted:
    return matches.match_record_created(record=record, program=buddy_program(), via=WEBHOOK)


def _match_ended(record) -> Upserted:
    return matches.match_record_ended(record=record, via=WEBHOOK)


def _event_logged(record) -> Upserted:
    return activities.informal_event_record(record=record, via=WEBHOOK)


def _event_attended(record) -> Upserted:
    return activities.attendance_record(record=record, via=WEBHOOK)


def _skill_share_completed(record) -> Upserted:
    return activities.skill_session_record(record=record, via=WEBHOOK)


def _checkin_completed(record) -> Upserted:
    return activities.checkin_record(record=record, via=WEBHOOK)


def _feedback_submitted(record) -> Upserted:
    return activities.feedback_record(record=record, via=WEBHOOK)


def _milestone_reached(record) -> Upserted:
    return activities.milestone_record(record=record, via=WEBHOOK)


PROCESSORS: dict[str, Callable[[Schema], Upserted]] = {
    "buddy.match.created": _match_created,
    "buddy.match.ended": _match_ended,
    "buddy.event.logged": _event_logged,
    "buddy.event.attended": _event_attended,
    "buddy.skill_share.completed": _skill_share_completed,
    "buddy.checkin.completed": _checkin_completed,
    "buddy.feedback.submitted": _feedback_submitted,
    "buddy.milestone.reached": _milestone_reached,
}


def weak_unknown_ids(result: Upserted) -> list[str]:
    """Weak references the service kept but could not resolve (re-run when they arrive)."""
    obj = result.obj
    return [
        *(getattr(obj, "unknown_attendee_ids", None) or []),
        *(getattr(obj, "unknown_related_ids", None) or []),
    ]
