"""Writing the planned matches: the reported ones in bulk with their audit rows, the few
coordinator proposals through the lifecycle service like any coordinator's."""

import uuid

from buddy.factories import MatchFactory
from buddy.models import DataSource, Match, MatchStatus, MatchTransition, Person, User
from buddy.services.matches import match_propose, match_transition
from core.errors import RuleViolation

from .common import Demo, existing
from .plan import PlannedMatch

S = MatchStatus


def reported_matches(demo: Demo, plans: list[PlannedMatch], participants, buddies):
    """``(every reported match by its Buddy System id, the ids created by this run)``."""
    planned = [m for m in plans if m.key is not None]
    stored = existing(Match, "external_id", [m.key for m in planned])
    new, audit = [], []
    for m in planned:
        if m.key in stored:
            continue
        participant, buddy = participants[m.participant], buddies[m.buddy]
        match = MatchFactory.build(
            external_id=m.key,
            program=demo.program,
            participant=participant,
            buddy=buddy,
            status=m.status,
            source=m.source,
            matched_at=m.matched_at,
            ended_at=m.ended_at,
            end_reason=m.end_reason,
            duration_days=(m.ended_at - m.matched_at).days if m.ended_at else None,
            matching_criteria=criteria(participant, buddy),
        )
        new.append(match)
        audit += _transitions(match, m)
    Match.objects.bulk_create(new)
    MatchTransition.objects.bulk_create(audit)
    demo.created("Match", len(new))
    demo.created("MatchTransition", len(audit))
    matches: dict[uuid.UUID, Match] = Match.objects.select_related("participant", "buddy").in_bulk(
        [m.key for m in planned], field_name="external_id"
    )
    return matches, {m.external_id for m in new}


def _transitions(match: Match, m: PlannedMatch) -> list[MatchTransition]:
    """The audit trail of a reported match: started, then inactive and/or ended."""
    reason = "created" if m.source == DataSource.WEBHOOK else "imported"
    steps = [("", S.ACTIVE, m.matched_at, m.source, reason)]
    if m.inactive_at:
        steps.append((S.ACTIVE, S.INACTIVE, m.inactive_at, DataSource.IMPORT, ""))
    if m.ended_at:
        steps.append((S.ACTIVE, S.ENDED, m.ended_at, m.source, m.end_reason))
    return [
        MatchTransition(match=match, from_status=f, to_status=t, at=at, via=via, reason=r)
        for f, t, at, via, r in steps
    ]


def criteria(participant: Person, buddy: Person) -> dict:
    """What the pair shares: the place, the first common language, common interests."""
    shared = [lang for lang in participant.languages if lang in buddy.languages]
    common = [i for i in participant.interests if i in buddy.interests]
    result: dict = {"location": participant.location}
    if shared:
        result["language"] = shared[0]
    if common:
        result["interests"] = common
    return result


def coordinator_proposals(demo: Demo, plans, participants, buddies, coordinator: User) -> None:
    """A few matches made here, through the lifecycle service like any coordinator's."""
    for m in plans:
        if m.key is not None:
            continue
        participant, buddy = participants[m.participant], buddies[m.buddy]
        # A participant's coordinator match is seeded once (a bigger second run may
        # pick another buddy for them; the one-match rule would refuse a second).
        if Match.objects.filter(
            program=demo.program, participant=participant, source=DataSource.COORDINATOR
        ).exists():
            continue
        try:
            match = match_propose(
                program=demo.program,
                participant=participant,
                buddy=buddy,
                via=DataSource.COORDINATOR,
                by=coordinator,
                criteria=criteria(participant, buddy),
            )
        except RuleViolation:
            continue  # the buddy's places are taken: the participant stays waiting
        demo.created("Match", 1)
        demo.created("MatchTransition", 1)
        if m.status != S.PROPOSED:
            match_transition(
                match=match,
                to_status=m.status,
                via=DataSource.COORDINATOR,
                by=coordinator,
                reason="demo",
                note="Demo data.",
            )
            demo.created("MatchTransition", 1)
