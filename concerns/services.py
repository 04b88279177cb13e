"""Every change of a case: one function per step, one transaction each, every step audited;
and the automatic suggestions (``concerns_suggest``). How the outcomes feed matches and
matching: docs/architecture.md, "The steps of a case".
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_noop

from buddy.models import CheckIn, DataSource, EndReason, Feedback, Match, MatchStatus, Person
from concerns.models import (
    RESTRICTED,
    Category,
    Concern,
    ConcernMeeting,
    ConcernStep,
    Outcome,
    Severity,
    Source,
    Status,
)
from core import events, outbox
from core.errors import FieldError, Message, RuleViolation, ValidationFailed

logger = logging.getLogger(__name__)

#: Where each step may start.
ALLOWED_FROM = {
    "acknowledge": (Status.OPEN,),
    "meeting": (Status.ACKNOWLEDGED, Status.IN_MEDIATION),
    "resolve": (Status.OPEN, Status.ACKNOWLEDGED, Status.IN_MEDIATION),
}


def conf() -> dict:
    return settings.CONCERNS


def respond_by(*, category: str, severity: str, opened_at: datetime) -> datetime:
    """The response-time target: by severity; safeguarding cases are urgent whatever."""
    c = conf()
    hours = c["RESPOND_WITHIN_HOURS"][severity]
    if category == Category.SAFEGUARDING:
        hours = min(hours, c["SAFEGUARDING_WITHIN_HOURS"])
    return opened_at + timedelta(hours=hours)


def concern_data(concern: Concern, *, at: datetime) -> dict:
    """The payload of ``concern.*`` events: ids and codes, never the description."""
    data = {
        "concernId": concern.pk,
        "programId": concern.program_id,
        "matchId": concern.match_id,
        "personId": concern.person_id,
        "category": concern.category,
        "severity": concern.severity,
        "source": concern.source,
        "status": concern.status,
        "changedAt": events.iso(at),
    }
    if concern.status == Status.RESOLVED:
        data["outcome"] = concern.outcome
        data["endReason"] = concern.end_reason or None
        data["violation"] = concern.violation
    return data


def _step(concern, action, from_status, *, at, by=None, **detail) -> None:
    ConcernStep.objects.create(
        concern=concern,
        action=action,
        from_status=from_status,
        to_status=concern.status,
        at=at,
        by=by,
        detail=detail,
    )
    logger.info(
        "concerns.step",
        extra={
            "concern_id": concern.pk,
            "action": action,
            "from_status": from_status,
            "to_status": concern.status,
            "by_user_id": getattr(by, "pk", None),
        },
    )


def _choice(value, choices, path) -> str:
    if value not in choices.values:
        raise ValidationFailed(
            [
                FieldError(
                    path,
                    Message(
                        gettext_noop("must be one of %(choices)s"),
                        choices=", ".join(choices.values),
                    ),
                )
            ]
        )
    return value


@transaction.atomic
def concern_open(
    *,
    program,
    category: str,
    severity: str,
    source: str = Source.COORDINATOR,
    match: Match | None = None,
    person: Person | None = None,
    description: str = "",
    involved: list[Person] | tuple = (),
    by=None,
    trigger: str = "",
    now: datetime | None = None,
) -> Concern:
    """Open a case about a match or a person of the program (both: a person of the match)."""
    now = now or timezone.now()
    _choice(category, Category, "category")
    _choice(severity, Severity, "severity")
    _choice(source, Source, "source")
    if match is None and person is None:
        raise ValidationFailed(
            [FieldError("match", gettext_noop("a concern is about a match or a person"))]
        )
    if match is not None and match.program_id != program.pk:
        raise ValidationFailed(
            [FieldError("match", gettext_noop("is not a match of this program"))]
        )
    if (
        match is not None
        and person is not None
        and person.pk not in (match.participant_id, match.buddy_id)
    ):
        raise ValidationFailed(
            [FieldError("person", gettext_noop("is not a person of this match"))]
        )
    concern = Concern(
        program=program,
        match=match,
        person=person,
        category=category,
        severity=severity,
        source=source,
        description=description,
        opened_at=now,
        respond_by=respond_by(category=category, severity=severity, opened_at=now),
        raised_by=by,
        trigger=trigger,
    )
    concern.full_clean(exclude=["involved"], validate_constraints=False)
    concern.save()
    people = {p.pk for p in involved}
    if match is not None:
        people |= {match.participant_id, match.buddy_id}
    if person is not None:
        people.add(person.pk)
    concern.involved.set(sorted(people))
    _step(concern, "opened", "", at=now, by=by, source=source)
    outbox.publish(
        type=outbox.CONCERN_OPENED, data=concern_data(concern, at=now), program_id=program.pk
    )
    return concern


def _locked(concern: Concern, action: str) -> Concern:
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    if concern.status not in ALLOWED_FROM[action]:
        raise RuleViolation(
            "concern.illegal_transition",
            Message(
                gettext_noop("A concern that is %(status)s cannot be %(action)sd."),
                status=concern.status,
                action=action,
            )
            if action != "meeting"
            else Message(
                gettext_noop("A meeting needs an acknowledged case (this one is %(status)s)."),
                status=concern.status,
            ),
        )
    return concern


@transaction.atomic
def concern_acknowledge(*, concern: Concern, by=None, now: datetime | None = None) -> Concern:
    """A coordinator takes the case on (this meets the response-time target)."""
    now = now or timezone.now()
    concern = _locked(concern, "acknowledge")
    concern.status, concern.acknowledged_at = Status.ACKNOWLEDGED, now
    concern.save(update_fields=["status", "acknowledged_at", "updated_at"])
    _step(concern, "acknowledged", Status.OPEN, at=now, by=by, overdue=now > concern.respond_by)
    return concern


@transaction.atomic
def concern_meeting_add(
    *,
    concern: Concern,
    held_at: datetime,
    notes: str = "",
    agreed_actions: str = "",
    by=None,
    now: datetime | None = None,
) -> ConcernMeeting:
    """Record a mediation meeting; the case is in mediation from the first one."""
    now = now or timezone.now()
    if held_at > now + timedelta(days=1):
        raise ValidationFailed([FieldError("held_at", gettext_noop("must not be in the future"))])
    concern = _locked(concern, "meeting")
    meeting = ConcernMeeting.objects.create(
        concern=concern, held_at=held_at, notes=notes, agreed_actions=agreed_actions, by=by
    )
    from_status = concern.status
    if concern.status != Status.IN_MEDIATION:
        concern.status = Status.IN_MEDIATION
        concern.save(update_fields=["status", "updated_at"])
    _step(concern, "meeting", from_status, at=now, by=by, meeting_id=meeting.pk)
    return meeting


@transaction.atomic
def concern_resolve(
    *,
    concern: Concern,
    outcome: str,
    end_reason: str = "",
    violation: bool = False,
    note: str = "",
    by=None,
    now: datetime | None = None,
) -> Concern:
    """Resolve the case with an outcome and apply it (see the module docstring)."""
    from buddy.services.matches import match_end

    now = now or timezone.now()
    _choice(outcome, Outcome, "outcome")
    ends = outcome in (Outcome.MATCH_ENDED, Outcome.REMATCH)
    if end_reason and not ends:
        raise ValidationFailed([FieldError("end_reason", gettext_noop("only when the match ends"))])
    if outcome == Outcome.MATCH_ENDED and not end_reason:
        raise ValidationFailed(
            [FieldError("end_reason", gettext_noop("is required when the match ends"))]
        )
    if end_reason:
        _choice(end_reason, EndReason, "end_reason")
    if outcome == Outcome.REMATCH:
        end_reason = end_reason or EndReason.MUTUAL_AGREEMENT
    concern = _locked(concern, "resolve")
    if ends and concern.match_id is None:
        raise ValidationFailed(
            [FieldError("outcome", gettext_noop("this case is not about a match"))]
        )
    if violation and concern.match_id is None:
        raise ValidationFailed(
            [FieldError("violation", gettext_noop("a violation needs a match (a pair)"))]
        )
    if ends:
        match = Match.objects.get(pk=concern.match_id)
        if match.status != MatchStatus.ENDED:
            match_end(
                match=match, ended_at=now, end_reason=end_reason, via=DataSource.COORDINATOR, by=by
            )
    from_status = concern.status
    concern.status, concern.outcome, concern.resolved_at = Status.RESOLVED, outcome, now
    concern.end_reason = end_reason
    concern.violation = violation or end_reason == EndReason.VIOLATION
    concern.resolution_note = note
    concern.save()
    _step(
        concern,
        "resolved",
        from_status,
        at=now,
        by=by,
        outcome=outcome,
        end_reason=end_reason,
        violation=concern.violation,
    )
    outbox.publish(
        type=outbox.CONCERN_RESOLVED,
        data=concern_data(concern, at=now),
        program_id=concern.program_id,
    )
    return concern


def concern_rematch_suggestions(*, concern: Concern, n: int = 5) -> dict:
    """The participant's top ``n`` buddies without the previous buddy of the case's match
    (``matching.services.recommend_for_participant``)."""
    from matching.services import recommend_for_participant

    if concern.match_id is None:
        raise ValidationFailed(
            [FieldError("concern", gettext_noop("this case is not about a match"))]
        )
    match = concern.match
    return recommend_for_participant(
        program=concern.program,
        participant=match.participant,
        n=n,
        exclude_buddy_ids=[match.buddy_id],
    )


# --- Automatic suggestions ------------------------------------------------------------------


def _suggestions(*, match_ids, now: datetime) -> list[tuple[str, Match, str, str]]:
    """(trigger, match, category, severity) of every rule that fires on these matches:
    on active matches, and only on what happened in the last ``SUGGEST_RECENT_DAYS`` (an
    import of old history opens no cases)."""
    c = conf()
    recent = now - timedelta(days=c["SUGGEST_RECENT_DAYS"])
    found = []
    matches = Match.objects.filter(pk__in=match_ids).select_related("program")
    by_id = {m.pk: m for m in matches}
    # Two difficult check-ins in a row: the newest two moods of the match.
    rows = (
        CheckIn.objects.filter(match_id__in=match_ids, checkin_date__gte=recent)
        .exclude(mood="")
        .annotate(
            rn=Window(
                RowNumber(),
                partition_by=[F("match_id")],
                order_by=[F("checkin_date").desc(), F("id").desc()],
            )
        )
        .filter(rn__lte=c["DIFFICULT_IN_A_ROW"])
        .values_list("match_id", "mood")
    )
    moods: dict[int, list[str]] = {}
    for match_id, mood in rows:
        moods.setdefault(match_id, []).append(mood)
    for match_id, values in sorted(moods.items()):
        if len(values) == c["DIFFICULT_IN_A_ROW"] and all(
            v in c["DIFFICULT_MOODS"] for v in values
        ):
            m = by_id[match_id]
            if m.status == MatchStatus.ACTIVE:
                found.append(
                    (f"difficult_checkins:match:{match_id}", m, Category.OTHER, Severity.MEDIUM)
                )
    active = [m.pk for m in by_id.values() if m.status == MatchStatus.ACTIVE]
    for feedback_id, match_id in (
        Feedback.objects.filter(
            match_id__in=active, rating__lt=c["LOW_RATING"], submitted_at__gte=recent
        )
        .order_by("id")
        .values_list("id", "match_id")
    ):
        found.append(
            (f"low_rating:feedback:{feedback_id}", by_id[match_id], Category.OTHER, Severity.MEDIUM)
        )
    for m in sorted(by_id.values(), key=lambda m: m.pk):
        if m.end_reason == EndReason.VIOLATION and m.ended_at and m.ended_at >= recent:
            found.append((f"violation_end:match:{m.pk}", m, Category.BOUNDARIES, Severity.HIGH))
    return found


def concerns_suggest(*, program, person_ids=None, now: datetime | None = None) -> int:
    """Open the cases the automatic rules suggest for the program's matches (or those of
    some people) that were not suggested before; return how many were opened. The caller
    holds the transaction (the recompute's)."""
    now = now or timezone.now()
    scope = Match.objects.filter(program=program)
    if person_ids is not None:
        scope = scope.filter(Q(participant_id__in=person_ids) | Q(buddy_id__in=person_ids))
    match_ids = list(scope.values_list("pk", flat=True))
    if not match_ids:
        return 0
    found = _suggestions(match_ids=match_ids, now=now)
    known = set(
        Concern.objects.filter(trigger__in=[t for t, *_ in found]).values_list("trigger", flat=True)
    )
    opened = 0
    for trigger, match, category, severity in found:
        if trigger in known:
            continue
        concern_open(
            program=program,
            match=match,
            category=category,
            severity=severity,
            source=Source.AUTOMATIC,
            trigger=trigger,
            now=now,
        )
        opened += 1
    return opened


__all__ = [
    "RESTRICTED",
    "concern_acknowledge",
    "concern_meeting_add",
    "concern_open",
    "concern_rematch_suggestions",
    "concern_resolve",
    "concerns_suggest",
]
