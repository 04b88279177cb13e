"""Reads of the matching app: the pool of a recommendation, people by reference,
proposals, and the evidence of ended matches (``outcome_evidence``).

Every read is a fixed number of queries, whatever the number of people.
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from buddy.models import (
    EndReason,
    Enrollment,
    EnrollmentStatus,
    ExternalId,
    Match,
    Person,
    Program,
    Role,
)
from buddy.models.matches import BINDING_STATUSES
from buddy.services.matches import buddy_loads
from core.errors import FieldError, ValidationFailed
from core.registry import Registry
from matching.engine.pool import PersonRow, Pool, build_pool
from matching.models import MatchingCriteria, Proposal, ProposalStatus, RecommendationRun, RunStatus

SECONDS_PER_DAY = 86_400

#: (participant, buddy) pairs the apps above rule out for good (the cases resolved as a
#: violation: ``concerns``), registered in their ``AppConfig.ready()``:
#: ``source(participant_ids=)`` returns a set of pairs (``participant_ids`` None: all).
EXCLUDED_PAIRS: Registry = Registry("pairs never proposed")


def _json_lists(texts: list[str]) -> list:
    """Decode many small JSON arrays at once: one ``json.loads`` of their concatenation is
    several times faster than one per row (the top 5 reads every buddy)."""
    return json.loads("[" + ",".join(t or "null" for t in texts) + "]")


def _as_text(field: str) -> Cast:
    return Cast(field, output_field=TextField())


def waiting_participants(*, program: Program, participant_ids=None) -> list[PersonRow]:
    """Participants actively enrolled in the program with no proposed, accepted or active
    match there; waiting since they enrolled or since their last match there ended."""
    last_end = (
        Match.objects.filter(
            program=program, participant=OuterRef("person_id"), ended_at__isnull=False
        )
        .order_by("-ended_at")
        .values("ended_at")[:1]
    )
    rows = (
        Enrollment.objects.filter(
            program=program, status=EnrollmentStatus.ACTIVE, person__role=Role.PARTICIPANT
        )
        .exclude(
            person_id__in=Match.objects.filter(program=program, status__in=BINDING_STATUSES).values(
                "participant_id"
            )
        )
        .annotate(last_end=Subquery(last_end))
        .order_by("person_id")
    )
    if participant_ids is not None:
        rows = rows.filter(person_id__in=list(participant_ids))
    rows = list(
        rows.annotate(
            languages_text=_as_text("person__languages"),
            interests_text=_as_text("person__interests"),
        ).values_list(
            "person_id", "languages_text", "interests_text", "person__location", "enrolled_at",
            "last_end",
        )
    )  # fmt: skip
    languages = _json_lists([r[1] for r in rows])
    interests = _json_lists([r[2] for r in rows])
    now = timezone.now()
    return [
        PersonRow(
            pid,
            languages[i] or (),
            interests[i] or (),
            location or "",
            max(0.0, (now - max(enrolled, last or enrolled)).total_seconds() / SECONDS_PER_DAY),
        )
        for i, (pid, _l, _i, location, enrolled, last) in enumerate(rows)
    ]


def enrolled_buddies(
    *, program: Program, reserved: dict[int, int] | None = None
) -> list[PersonRow]:
    """Buddies actively enrolled in the program, each with their load (``buddy_loads``, plus
    the places ``reserved`` by locked proposals)."""
    loads = buddy_loads(program_id=program.pk)
    reserved = reserved or {}
    rows = list(
        Enrollment.objects.filter(
            program=program, status=EnrollmentStatus.ACTIVE, person__role=Role.BUDDY
        )
        .order_by("person_id")
        .annotate(
            languages_text=_as_text("person__languages"),
            interests_text=_as_text("person__interests"),
        )
        .values_list(
            "person_id", "languages_text", "interests_text", "person__location",
            "person__capacity",
        )
    )  # fmt: skip
    languages = _json_lists([r[1] for r in rows])
    interests = _json_lists([r[2] for r in rows])
    return [
        PersonRow(
            pid,
            languages[i] or (),
            interests[i] or (),
            location or "",
            0.0,
            capacity,
            loads.get(pid, 0) + reserved.get(pid, 0),
        )
        for i, (pid, _l, _i, location, capacity) in enumerate(rows)
    ]


def excluded_pairs(
    *, program: Program, never_repair_any: bool, participant_ids=None
) -> dict[str, list[tuple[int, int]]]:
    """The pairs the hard rules rule out: an earlier match that ended in a violation or
    whose concern was resolved as a violation (in any program), any earlier match in this
    program (per setting), dismissed suggestions; and what the apps above register in
    ``EXCLUDED_PAIRS`` (the concerns resolved as a violation)."""
    scope = Q() if participant_ids is None else Q(participant_id__in=list(participant_ids))
    pairs = {
        "violation": sorted(
            set(
                Match.objects.filter(scope, end_reason=EndReason.VIOLATION).values_list(
                    "participant_id", "buddy_id"
                )
            )
            | {
                pair
                for source in EXCLUDED_PAIRS
                for pair in source(participant_ids=participant_ids)
            }
        ),
        "dismissed": list(
            Proposal.objects.filter(scope, program=program, status=ProposalStatus.DISMISSED)
            .values_list("participant_id", "buddy_id")
            .distinct()
        ),
    }
    if never_repair_any:
        pairs["earlier_pair"] = list(
            Match.objects.filter(scope, program=program)
            .values_list("participant_id", "buddy_id")
            .distinct()
        )
    return pairs


def locked_proposals(*, program: Program) -> list[Proposal]:
    """Locked, still open proposals of the program's latest finished run: kept as they are."""
    latest = (
        RecommendationRun.objects.filter(program=program, status=RunStatus.DONE)
        .order_by("-created_at", "-id")
        .values("id")[:1]
    )
    return list(
        Proposal.objects.filter(
            run_id__in=Subquery(latest), locked=True, status=ProposalStatus.PROPOSED
        ).order_by("id")
    )


@dataclass
class PoolInput:
    pool: Pool
    locked: list[Proposal]


def pool_for_program(
    *, program: Program, criteria: MatchingCriteria, participant_ids=None
) -> PoolInput:
    """The waiting participants and the buddies with free places, as engine arrays. A
    participant held by a locked proposal is left out, and their buddy's place reserved."""
    waiting = waiting_participants(program=program, participant_ids=participant_ids)
    waiting_ids = {row.id for row in waiting}
    locked = [
        proposal
        for proposal in (locked_proposals(program=program) if participant_ids is None else [])
        if proposal.participant_id in waiting_ids  # still waiting: the lock still holds
    ]
    reserved: dict[int, int] = {}
    for proposal in locked:
        reserved[proposal.buddy_id] = reserved.get(proposal.buddy_id, 0) + 1
    held = {p.participant_id for p in locked}
    participants = [row for row in waiting if row.id not in held]
    buddies = enrolled_buddies(program=program, reserved=reserved)
    excluded = excluded_pairs(
        program=program,
        never_repair_any=criteria.never_repair_any,
        participant_ids=participant_ids,
    )
    return PoolInput(pool=build_pool(participants, buddies, excluded=excluded), locked=locked)


def person_by_reference(reference: str, *, role: str | None = None) -> Person:
    """A person by our id or by their Buddy System id; a validation error otherwise."""
    reference = str(reference).strip()
    person = None
    if reference.isdigit():
        person = Person.objects.filter(pk=int(reference)).first()
    if person is None:
        link = (
            ExternalId.objects.filter(provider=settings.BUDDY_PROVIDER, external_id=reference)
            .select_related("person")
            .first()
        )
        person = link.person if link else None
    if person is None or (role is not None and person.role != role):
        raise ValidationFailed([FieldError("participant", "no participant with this id")])
    return person


def public_ids(person_ids) -> dict[int, str]:
    """Each person's Buddy System id where they have one, else our id (as text)."""
    ids = list(person_ids)
    found = dict(
        ExternalId.objects.filter(provider=settings.BUDDY_PROVIDER, person_id__in=ids).values_list(
            "person_id", "external_id"
        )
    )
    return {pid: found.get(pid, str(pid)) for pid in ids}


def latest_run(*, program: Program) -> RecommendationRun | None:
    """The program's newest recommendation run (any status), with its criteria version."""
    return (
        RecommendationRun.objects.filter(program=program)
        .select_related("criteria")
        .order_by("-created_at", "-id")
        .first()
    )


def run_proposals(*, run: RecommendationRun):
    """A run's proposals with both people, open ones first, best score first."""
    from django.db.models import Case, IntegerField, Value, When

    return (
        Proposal.objects.filter(run=run)
        .select_related("participant", "buddy")
        .annotate(
            open_first=Case(
                When(status=ProposalStatus.PROPOSED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("open_first", "-score", "id")
    )


def criteria_latest(*, program: Program) -> MatchingCriteria:
    """The program's latest criteria version; without one, the registry's defaults as an
    unsaved version 0 (a read writes nothing: ``services.criteria_current`` stores it)."""
    from matching.engine.criteria import default_settings

    latest = MatchingCriteria.objects.filter(program=program).order_by("-version").first()
    return latest or MatchingCriteria(program=program, version=0, criteria=default_settings())
