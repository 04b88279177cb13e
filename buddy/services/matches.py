"""The match lifecycle: the only writer of ``Match.status``.

Every move is checked against ``MATCH_TRANSITIONS`` and written to
``MatchTransition``. Matches made here (coordinator, recommendation) obey the
one-match and capacity rules (``match_rules_check``: the participant has no other
proposed, accepted or active match in the program; the buddy's proposed + accepted +
active matches stay below ``capacity``), checked under row locks when proposed and
again when activated; matches reported by the Buddy System are recorded as they
come, and a second concurrent active match is flagged.

Proposed → accepted (by a coordinator for both people, or by each side:
``match_accept``) → active → inactive ↔ active → ended (a reason from the
contract's list, an optional note); a proposal may be declined, with a reason.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Case, Count, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_noop

from buddy.models import DataSource, Match, MatchStatus, MatchTransition, Person, Program
from buddy.models.choices import EndReason
from buddy.models.matches import APP_SOURCES, BINDING_STATUSES, END_NOTE_MAX_LENGTH
from buddy.rules import (
    match_dates_check,
    match_people_check,
    match_roles_check,
    match_transition_check,
)
from buddy.schemas import MatchCreatedRecord, MatchEndedRecord, MatchRecord, validate_fields
from buddy.services.arrivals import references_arrived
from buddy.services.common import (
    Outcome,
    Upserted,
    people_changed,
    person_buddy_system_ids,
    require_match,
    require_person,
)
from buddy.services.enrollments import enrollment_ensure
from core import events, outbox
from core.errors import FieldError, IllegalTransition, RuleViolation, ValidationFailed

S = MatchStatus

#: The event each status a match moves to publishes (``paused``: active → inactive).
EVENT_FOR_STATUS = {
    S.PROPOSED: outbox.MATCH_PROPOSED,
    S.ACCEPTED: outbox.MATCH_ACCEPTED,
    S.ACTIVE: outbox.MATCH_ACTIVATED,
    S.INACTIVE: outbox.MATCH_PAUSED,
    S.ENDED: outbox.MATCH_ENDED,
    S.DECLINED: outbox.MATCH_DECLINED,
}


def _audit(
    match: Match,
    from_status: str,
    *,
    via: str,
    by=None,
    reason: str = "",
    note: str = "",
    at=None,
    people: dict[int, str | None] | None = None,
):
    """Record the move in ``MatchTransition`` and publish its event, in the caller's
    transaction: every status change of a match is one history row and one event.
    ``people``: the Buddy System ids of the two people when the caller knows them."""
    at = at or timezone.now()
    MatchTransition.objects.create(
        match=match,
        from_status=from_status,
        to_status=match.status,
        at=at,
        via=via,
        actor=by,
        reason=reason[:200],
        note=note[:END_NOTE_MAX_LENGTH],
    )
    if people is None:
        people = person_buddy_system_ids([match.participant_id, match.buddy_id])
    outbox.publish(
        type=EVENT_FOR_STATUS[match.status],
        data=events.match_data(match=match, from_status=from_status, at=at, via=via, people=people),
        program_id=match.program_id,
    )


def matches_refresh_concurrent(*, program_id: int, participant_ids) -> set[int]:
    """Flag every active match of a participant who has more than one active match in the
    program (the Buddy System may report that; we record it and show it), and clear the flag
    everywhere else. Order-independent; writes only rows whose flag changes. Two queries.
    Returns the participants that have several active matches."""
    ids = list(participant_ids)
    if not ids:
        return set()
    scope = Match.objects.filter(program_id=program_id, participant_id__in=ids)
    doubled = set(
        scope.filter(status=S.ACTIVE)
        .values("participant_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("participant_id", flat=True)
    )
    flagged = Q(status=S.ACTIVE, participant_id__in=doubled)
    scope.filter(
        (flagged & Q(concurrent_active=False)) | (~flagged & Q(concurrent_active=True))
    ).update(concurrent_active=Case(When(flagged, then=Value(True)), default=Value(False)))
    return doubled


def _people_changed(match: Match) -> None:
    """After any change of a match: its concurrency flag, then the people's recompute."""
    doubled = matches_refresh_concurrent(
        program_id=match.program_id, participant_ids=[match.participant_id]
    )
    match.concurrent_active = match.status == S.ACTIVE and match.participant_id in doubled
    people_changed([match.participant_id, match.buddy_id], match.program_id)


def buddy_loads(*, program_id: int, buddy_ids=None) -> dict[int, int]:
    """Each buddy's load in a program: their proposed, accepted and active matches (one
    grouped query). The one definition of a buddy's load: the match service and the
    recommendations (``matching.selectors``) both count places with it."""
    rows = Match.objects.filter(program_id=program_id, status__in=BINDING_STATUSES)
    if buddy_ids is not None:
        rows = rows.filter(buddy_id__in=list(buddy_ids))
    return dict(rows.values("buddy_id").annotate(n=Count("id")).values_list("buddy_id", "n"))


def match_rules_check(
    *, program_id: int, participant_id: int, buddy_id: int, exclude_match_id=None
) -> None:
    """The rules of a match made in this app, under row locks on both people (taken in id
    order, so two writers never deadlock): the participant has no other proposed, accepted
    or active match in the program, and the buddy's load stays below their capacity. Must
    run inside the transaction that writes the match."""
    people = {
        p.pk: p
        for p in Person.objects.select_for_update()
        .filter(pk__in=[participant_id, buddy_id])
        .order_by("pk")
    }
    others = Match.objects.filter(program_id=program_id, status__in=BINDING_STATUSES)
    if exclude_match_id is not None:
        others = others.exclude(pk=exclude_match_id)
    if others.filter(participant_id=participant_id).exists():
        raise RuleViolation(
            "match.participant_already_matched",
            gettext_noop(
                "This participant already has a proposed, accepted or active match in this program."
            ),
            "participant",
        )
    if others.filter(buddy_id=buddy_id).count() >= people[buddy_id].capacity:
        raise RuleViolation(
            "match.buddy_at_capacity",
            gettext_noop("This buddy has no capacity for another match."),
            "buddy",
        )


def _check_app_rules(match: Match) -> None:
    match_rules_check(
        program_id=match.program_id,
        participant_id=match.participant_id,
        buddy_id=match.buddy_id,
        exclude_match_id=match.pk,
    )


@transaction.atomic
def match_propose(
    *,
    program: Program,
    participant: Person,
    buddy: Person,
    via: str = DataSource.COORDINATOR,
    by=None,
    criteria: dict | None = None,
) -> Match:
    """A match made in this app, waiting for acceptance. The criteria follow the rules of
    the Buddy System's (``MatchCreatedRecord.matching_criteria``)."""
    if via not in APP_SOURCES:
        raise ValueError("match_propose is for matches made in this app")
    criteria = validate_fields(MatchCreatedRecord, {"matching_criteria": criteria or {}})[
        "matching_criteria"
    ].stored()
    match_people_check(participant.pk, buddy.pk)
    match_roles_check(participant, buddy)
    if Match.objects.open().filter(program=program, participant=participant, buddy=buddy).exists():
        raise RuleViolation(
            "match.duplicate", gettext_noop("These two people already have an open match.")
        )
    match_rules_check(program_id=program.pk, participant_id=participant.pk, buddy_id=buddy.pk)
    match = Match.objects.create(
        program=program,
        participant=participant,
        buddy=buddy,
        status=S.PROPOSED,
        source=via,
        matching_criteria=criteria,
    )
    _audit(match, "", via=via, by=by, reason="proposed")
    return match


@transaction.atomic
def match_transition(
    *,
    match: Match,
    to_status: str,
    via: str,
    by=None,
    reason: str = "",
    note: str = "",
    at: datetime | None = None,
) -> Match:
    """Move a match to another status, if the lifecycle allows it. Ending goes through
    ``match_end`` (it needs the end fields). ``reason``: what moved it, a code (the action);
    ``note``: what the coordinator wrote (personal data); a decline needs one."""
    match = Match.objects.select_for_update().get(pk=match.pk)
    if to_status == S.ENDED:
        raise ValueError("use match_end to end a match")
    match_transition_check(match.status, to_status)
    if to_status == S.DECLINED and not note.strip():
        raise ValidationFailed([FieldError("note", "a declined match needs a note saying why")])
    from_status, match.status = match.status, to_status
    at = at or timezone.now()
    if to_status == S.ACCEPTED:  # a coordinator accepts on behalf of whoever has not yet
        match.participant_accepted_at = match.participant_accepted_at or at
        match.buddy_accepted_at = match.buddy_accepted_at or at
    if to_status == S.ACTIVE:
        if match.source in APP_SOURCES:
            _check_app_rules(match)
        if match.matched_at is None:
            match.matched_at = at
        for person in (match.participant, match.buddy):
            enrollment_ensure(person=person, program=match.program, enrolled_at=at, via=via)
    match.save(
        update_fields=[
            "status",
            "matched_at",
            "participant_accepted_at",
            "buddy_accepted_at",
            "updated_at",
        ]
    )
    _audit(match, from_status, via=via, by=by, reason=reason, note=note, at=at)
    _people_changed(match)
    return match


ACCEPTING_SIDES = ("participant", "buddy")


@transaction.atomic
def match_accept(
    *, match: Match, via: str = DataSource.COORDINATOR, by=None, side: str | None = None
) -> Match:
    """Accept a proposed match: a coordinator on behalf of both people (``side=None``), or
    one side at a time; once both sides have accepted, the match is ``accepted``. Each
    side's acceptance is audited (a transition from ``proposed`` to ``proposed``)."""
    if side is None:
        return match_transition(
            match=match, to_status=S.ACCEPTED, via=via, by=by, reason="accepted"
        )
    if side not in ACCEPTING_SIDES:
        raise ValidationFailed([FieldError("side", "must be participant or buddy")])
    match = Match.objects.select_for_update().get(pk=match.pk)
    if match.status != S.PROPOSED:
        raise IllegalTransition(match.status, S.ACCEPTED)
    now = timezone.now()
    setattr(match, f"{side}_accepted_at", getattr(match, f"{side}_accepted_at") or now)
    match.save(update_fields=[f"{side}_accepted_at", "updated_at"])
    if match.participant_accepted_at and match.buddy_accepted_at:
        return match_transition(
            match=match, to_status=S.ACCEPTED, via=via, by=by, reason=f"{side} accepted"
        )
    _audit(match, match.status, via=via, by=by, reason=f"{side} accepted", at=now)
    return match


@transaction.atomic
def match_end(
    *,
    match: Match,
    ended_at: datetime,
    end_reason: str,
    via: str,
    by=None,
    duration_days: int | None = None,
    sessions_completed: int | None = None,
    events_attended: int | None = None,
    note: str = "",
) -> Match:
    """End a match with a reason from the contract's list (and an optional note); the
    duration is computed from the dates when not given."""
    if end_reason not in EndReason.values:
        raise ValidationFailed([FieldError("endReason", "must be one of the contract's reasons")])
    match = Match.objects.select_for_update().get(pk=match.pk)
    match_transition_check(match.status, S.ENDED)
    match_dates_check(match.matched_at, ended_at, path="endedAt")
    from_status = match.status
    match.status, match.ended_at, match.end_reason = S.ENDED, ended_at, end_reason
    if note:
        match.end_note = note
    if duration_days is None and match.matched_at is not None:
        duration_days = (ended_at - match.matched_at).days
    match.duration_days = duration_days
    if sessions_completed is not None:
        match.sessions_completed = sessions_completed
    if events_attended is not None:
        match.events_attended = events_attended
    match.save()
    _audit(match, from_status, via=via, by=by, reason=end_reason, at=ended_at)
    _people_changed(match)
    return match


#: What may change on a match outside its lifecycle and its identity (the admin's form).
DETAIL_FIELDS = ("sessions_completed", "events_attended", "matching_criteria")


@transaction.atomic
def match_details_update(*, match: Match, values: dict) -> Match:
    """Change a match's activity counts or matching criteria (its people, program and
    status have their own services), under the export's rules for these columns
    (``MatchRecord``); its people are recomputed once it commits. Writes only these
    columns: a concurrent status change is never undone."""
    if not set(values) <= set(DETAIL_FIELDS):
        raise ValueError(f"not a detail of a match: {sorted(set(values) - set(DETAIL_FIELDS))}")
    if not values:
        return match
    values = validate_fields(MatchRecord, values)
    if "matching_criteria" in values:
        criteria = values["matching_criteria"]
        values["matching_criteria"] = criteria.stored() if criteria is not None else {}
    for name, value in values.items():
        setattr(match, name, value)
    match.save(update_fields=[*values, "updated_at"])
    _people_changed(match)
    return match


# --- Matches reported by the Buddy System ---------------------------------------------------


@transaction.atomic(savepoint=False)
def match_record_created(
    *, record: MatchCreatedRecord, program: Program, via: str = DataSource.WEBHOOK
) -> Upserted:
    """``buddy.match.created``: record the match as active; never reopen an ended one."""
    participant = require_person(record.participant_id, path="participantId")
    buddy = require_person(record.buddy_id, path="buddyId")
    match_roles_check(participant, buddy, paths=("participantId", "buddyId"))
    criteria = record.matching_criteria.stored() if record.matching_criteria else {}
    match = Match.objects.select_for_update().filter(external_id=record.match_id).first()
    if match is None:
        match = Match(
            external_id=record.match_id,
            program=program,
            participant=participant,
            buddy=buddy,
            status=S.ACTIVE,
            matched_at=record.matched_at,
            matching_criteria=criteria,
            source=via,
        )
        match.save()
        people = {participant.pk: str(record.participant_id), buddy.pk: str(record.buddy_id)}
        _audit(match, "", via=via, reason="created", at=record.matched_at, people=people)
        outcome = Outcome.CREATED
        references_arrived(match_ids=[record.match_id])
    elif match.status == S.ENDED:
        # Stale: the match ended already. Nothing it says may roll the end back.
        outcome = Outcome.UNCHANGED
    else:
        values = {
            "participant": participant,
            "buddy": buddy,
            "matched_at": record.matched_at,
            "matching_criteria": criteria,
        }
        changed = [k for k, v in values.items() if getattr(match, k) != v]
        for name in changed:
            setattr(match, name, values[name])
        if changed:
            match.save()
        outcome = Outcome.UPDATED if changed else Outcome.UNCHANGED
    for person, buddy_system_id in ((participant, record.participant_id), (buddy, record.buddy_id)):
        enrollment_ensure(
            person=person,
            program=program,
            enrolled_at=record.matched_at,
            via=via,
            buddy_system_id=str(buddy_system_id),
        )
    _people_changed(match)
    return Upserted(match, outcome)


@transaction.atomic(savepoint=False)
def match_record_ended(*, record: MatchEndedRecord, via: str = DataSource.WEBHOOK) -> Upserted:
    """``buddy.match.ended``: set the end fields; a match already ended keeps its first end."""
    match = require_match(record.match_id, path="matchId", lock=True)
    if match.status == S.ENDED and match.ended_at is not None:
        return Upserted(match, Outcome.UNCHANGED)
    if match.status == S.ENDED:  # ended by an export that carried no end date
        match.ended_at, match.end_reason = record.ended_at, record.end_reason
        match.duration_days = record.duration_days
        match.save()
        _people_changed(match)
        return Upserted(match, Outcome.UPDATED)
    match = match_end(
        match=match,
        ended_at=record.ended_at,
        end_reason=record.end_reason,
        via=via,
        duration_days=record.duration_days,
        sessions_completed=record.sessions_completed,
        events_attended=record.events_attended,
    )
    return Upserted(match, Outcome.UPDATED)


_STATUS_RANK = {S.ACTIVE: 1, S.INACTIVE: 1, S.ENDED: 2}


#: The columns of a stored match that ``export_match_values`` reads (and may set): with the
#: match's ids, what the bulk import loads of the matches an export names (whole rows cost
#: twice the CPU: timestamps, the personal end note).
EXPORT_MATCH_FIELDS = (
    "status", "matched_at", "ended_at", "end_reason", "duration_days", "sessions_completed",
    "events_attended", "matching_criteria",
)  # fmt: skip


def export_match_values(match: Match | None, record: MatchRecord) -> dict:
    """The columns an export row sets on a match, under the reconciliation rules.

    Status only moves forward (active ↔ inactive → ended); an ended match is
    never reopened and end fields already set (by a webhook) are kept. Other
    fields take the export's values, except that a match never starts after it
    ended: an export ``matched_at`` later than the ``ended_at`` kept leaves the
    stored start as it is. Shared by the single-row and bulk import.
    """
    values = {
        "matched_at": record.matched_at,
        "matching_criteria": record.matching_criteria.stored() if record.matching_criteria else {},
        "status": record.status,
        "ended_at": record.ended_at,
        "end_reason": record.end_reason or "",
        "duration_days": record.duration_days,
        "sessions_completed": record.sessions_completed,
        "events_attended": record.events_attended,
    }
    if values["status"] == S.ENDED and values["duration_days"] is None and record.ended_at:
        values["duration_days"] = (record.ended_at - record.matched_at).days
    if match is None:
        return values
    if match.status == S.ENDED:
        values["status"] = S.ENDED
        for name in ("ended_at", "end_reason", "duration_days"):
            if getattr(match, name) not in (None, ""):
                values[name] = getattr(match, name)
        ended_at = values["ended_at"]
        if ended_at is not None and values["matched_at"] > ended_at:
            values["matched_at"] = match.matched_at or ended_at
    elif _STATUS_RANK.get(match.status, 0) > _STATUS_RANK[record.status]:
        values["status"] = match.status
    for name in ("sessions_completed", "events_attended"):
        if values[name] is None:
            values[name] = getattr(match, name)
    return values


@transaction.atomic
def match_record_export(
    *, record: MatchRecord, program: Program, via: str = DataSource.IMPORT
) -> Upserted:
    """A ``matches.csv`` row: create or reconcile the match."""
    participant = require_person(record.participant_id, path="participant_id")
    buddy = require_person(record.buddy_id, path="buddy_id")
    match_roles_check(participant, buddy, paths=("participant_id", "buddy_id"))
    match_dates_check(record.matched_at, record.ended_at, path="ended_at")
    match = Match.objects.select_for_update().filter(external_id=record.match_id).first()
    values = export_match_values(match, record)
    values.update(participant=participant, buddy=buddy)
    if match is None:
        match = Match(external_id=record.match_id, program=program, source=via, **values)
        match.save()
        _audit(match, "", via=via, reason="imported", at=record.matched_at)
        references_arrived(match_ids=[record.match_id])
        outcome = Outcome.CREATED
    else:
        from_status = match.status
        changed = [k for k, v in values.items() if getattr(match, k) != v]
        if "status" in changed:
            match_transition_check(from_status, values["status"])
        for name in changed:
            setattr(match, name, values[name])
        if changed:
            match.save()
        if "status" in changed:
            _audit(match, from_status, via=via, reason="export status")
        outcome = Outcome.UPDATED if changed else Outcome.UNCHANGED
    for person in (participant, buddy):
        enrollment_ensure(person=person, program=program, enrolled_at=record.matched_at, via=via)
    _people_changed(match)
    return Upserted(match, outcome)
