"""The matches writer: create or reconcile matches, audit and publish their moves."""

from datetime import datetime
from uuid import UUID

from django.utils import timezone

from buddy.models import (
    Match,
    MatchTransition,
)
from buddy.rules import (
    match_dates_check,
    match_roles_check,
    match_transition_check,
)
from buddy.services.arrivals import references_arrived
from buddy.services.common import Outcome, person_refs
from buddy.services.enrollments import enrollments_ensure
from buddy.services.matches import (
    EVENT_FOR_STATUS,
    EXPORT_MATCH_FIELDS,
    export_match_values,
    matches_refresh_concurrent,
)
from core import outbox
from core.errors import DomainError
from core.events import match_data
from core.queries import among
from webhooks.imports.report import BatchResult, Rejection
from webhooks.imports.writers.batch import batch_writes
from webhooks.imports.writers.common import Context, Item, known_user

#: What ``core.events.match_data`` reads of a match (only these are loaded: a first import
#: reads thousands, and ``in_bulk`` of whole rows cost 2.5x as much CPU).
MATCH_EVENT_FIELDS = (
    "id", "external_id", "program_id", "participant_id", "buddy_id", "status", "end_reason",
)  # fmt: skip


def _publish_match_moves(moves, people: dict[str, tuple[int, str]], *, via: str) -> None:
    """The events of the batch's match moves (``match.*``, as ``buddy.services.matches``
    publishes them), in one INSERT after one read of the matches (new ones have no id in
    memory when COPY wrote them; only ``MATCH_EVENT_FIELDS``)."""
    if not moves:
        return
    wanted = {m[0] for m in moves}
    matches = {
        m.external_id: m
        for m in Match.objects.filter(among("external_id", wanted)).only(*MATCH_EVENT_FIELDS)
    }
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
    wanted = among("external_id", {it.record.match_id for it in items})
    existing = {
        m.external_id: m
        for m in Match.objects.filter(wanted).only(
            "id", "external_id", "participant_id", "buddy_id", *EXPORT_MATCH_FIELDS
        )
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
            participant = known_user(people, record, "participant_id")
            buddy = known_user(people, record, "buddy_id")
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
        batch_writes.impl.create_matches(to_create, transitions, via=ctx.via)
    batch_writes.impl.update_rows(
        Match, {pk: {f: getattr(m, f) for f in fields} for pk, m in to_update.items()}, fields
    )
    if transitions:
        MatchTransition.objects.bulk_create(transitions)
    _publish_match_moves(moves, people, via=ctx.via)
    matches_refresh_concurrent(program_id=ctx.program.pk, participant_ids=participants)
    enrollments_ensure(program=ctx.program, joined=joined, via=ctx.via)
    references_arrived(match_ids=result.arrived_matches)
    return result
