"""Every state change of the matching app: criteria versions, runs, proposals.

A run scores every waiting participant against every buddy with a free place
(``matching.engine``), solves the program-wide assignment, explains who stayed
unmatched and stores the proposals as a draft. Accepting a proposal creates a
``proposed`` match through ``buddy.services.matches`` (which re-checks the capacity
and one-match rules under row locks in the same transaction).
"""

import json
import logging
import time
from dataclasses import dataclass, field

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from buddy.models import DataSource, Match, Person, Program, Role
from buddy.services.matches import match_propose
from core.db import Seam, column, table
from core.errors import DomainError, FieldError, RuleViolation, ValidationFailed
from matching import selectors
from matching.engine.assignment import assign_program
from matching.engine.criteria import REGISTRY, default_settings
from matching.engine.explain import why_not_matched
from matching.engine.pool import Pool
from matching.engine.scoring import (
    TOP_K,
    Settings,
    explain_pairs,
    top_for_participant,
)
from matching.models import (
    MatchingCriteria,
    Proposal,
    ProposalStatus,
    RecommendationRun,
    RunStatus,
)

logger = logging.getLogger(__name__)


# --- Criteria versions ----------------------------------------------------------------------


def criteria_validate(criteria: dict) -> dict:
    """Every criterion of the registry with a rule it allows and a weight in 0–100."""
    if not isinstance(criteria, dict):
        raise ValidationFailed([FieldError("criteria", gettext_noop("must be an object"))])
    errors, clean = [], {}
    for name in criteria:
        if name not in REGISTRY:
            errors.append(FieldError(f"criteria.{name}", gettext_noop("unknown criterion")))
    for name, criterion in REGISTRY.items():
        given = criteria.get(name, {})
        if not isinstance(given, dict):
            errors.append(FieldError(f"criteria.{name}", gettext_noop("must be an object")))
            continue
        rule = given.get("rule", criterion.default_rule)
        weight = given.get("weight", criterion.default_weight)
        if rule not in criterion.rules:
            errors.append(
                FieldError(f"criteria.{name}.rule", f"must be one of {', '.join(criterion.rules)}")
            )
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not 0 <= weight <= 100
        ):
            errors.append(
                FieldError(
                    f"criteria.{name}.weight", gettext_noop("must be a number from 0 to 100")
                )
            )
        clean[name] = {"rule": rule, "weight": weight}
    if errors:
        raise ValidationFailed(errors)
    return clean


def criteria_current(*, program: Program) -> MatchingCriteria:
    """The program's latest criteria version (version 1, the registry's defaults, if none)."""
    current = MatchingCriteria.objects.filter(program=program).order_by("-version").first()
    if current is not None:
        return current
    return criteria_save(program=program, criteria=default_settings())


@transaction.atomic
def criteria_save(
    *,
    program: Program,
    criteria: dict,
    score_floor: float = 0,
    coverage_first: bool = False,
    never_repair_any: bool = False,
    by=None,
) -> MatchingCriteria:
    """Store new settings as the program's next version (versions are never edited)."""
    clean = criteria_validate(criteria)
    if not 0 <= float(score_floor) <= 100:
        raise ValidationFailed([FieldError("score_floor", gettext_noop("must be from 0 to 100"))])
    Program.objects.select_for_update().get(pk=program.pk)  # one version number at a time
    last = MatchingCriteria.objects.filter(program=program).order_by("-version").first()
    version = MatchingCriteria(
        program=program,
        version=(last.version + 1) if last else 1,
        criteria=clean,
        score_floor=float(score_floor),
        coverage_first=coverage_first,
        never_repair_any=never_repair_any,
        created_by=by,
    )
    version.full_clean()
    version.save()
    return version


def _settings(criteria: MatchingCriteria, *, coverage_first: bool | None = None) -> Settings:
    return Settings.resolve(
        criteria.criteria,
        floor=criteria.score_floor,
        coverage_first=criteria.coverage_first if coverage_first is None else coverage_first,
    )


# --- Top 5 for one participant --------------------------------------------------------------


def recommend_for_participant(
    *, program: Program, participant: Person, n: int = 5, exclude_buddy_ids=()
) -> dict:
    """The participant's best ``n`` buddies with scores, parts and reasons, or, when there
    are none, why not. ``exclude_buddy_ids``: buddies left out (a rematch leaves out the
    previous buddy)."""
    if participant.role != Role.PARTICIPANT:
        raise RuleViolation(
            "matching.not_a_participant", gettext_noop("This person is not a participant.")
        )
    criteria = criteria_current(program=program)
    settings = _settings(criteria)
    loaded = selectors.pool_for_program(
        program=program, criteria=criteria, participant_ids=[participant.pk]
    )
    pool = loaded.pool
    index = pool.participant_index(participant.pk)
    if index < 0:
        raise RuleViolation(
            "matching.participant_not_waiting",
            gettext_noop(
                "This participant is not actively enrolled in the program or already has a "
                "proposed, accepted or active match there."
            ),
            "participant",
        )
    excluded = {int(i) for i in exclude_buddy_ids}
    candidates = top_for_participant(pool, settings, index, n=n + len(excluded))
    for candidate in candidates:
        candidate["buddy_id"] = int(pool.buddy_ids[candidate.pop("buddy_index")])
        candidate.pop("participant_index")
    candidates = [c for c in candidates if c["buddy_id"] not in excluded][:n]
    result = {
        "participant_id": participant.pk,
        "criteria_version": criteria.version,
        "candidates": candidates,
    }
    if not candidates:
        result["why_not"] = why_not_matched(pool, settings, np.array([index]))[0]
    return result


# --- Program-wide runs ----------------------------------------------------------------------


@dataclass
class RunResult:
    """A computed run, before (or without) storing it."""

    pool: Pool
    settings: Settings
    proposals: list[dict] = field(default_factory=list)  # participant_id, buddy_id, score, …
    locked: list[Proposal] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)  # participant_id + the explanation
    eligible_pairs: int = 0
    timings: dict[str, int] = field(default_factory=dict)

    @property
    def total_score(self) -> float:
        return round(sum(p["score"] for p in self.proposals) + sum(p.score for p in self.locked), 1)


def _ms(since: float) -> int:
    return round((time.perf_counter() - since) * 1000)


def run_compute(
    *,
    program: Program,
    criteria: MatchingCriteria,
    coverage_first: bool | None = None,
    top_k: int = TOP_K,
    progress=None,
) -> RunResult:
    """Score, assign and explain; stores nothing (``--dry-run`` uses it as it is)."""
    report = progress or (lambda percent: None)
    t = time.perf_counter()
    settings = _settings(criteria, coverage_first=coverage_first)
    loaded = selectors.pool_for_program(program=program, criteria=criteria)
    pool = loaded.pool
    timings = {"load_ms": _ms(t)}
    report(10)
    t = time.perf_counter()
    assigned, eligible_pairs, phases = assign_program(
        pool, settings, k=top_k, progress=lambda share: report(10 + int(50 * share))
    )
    timings |= phases
    report(75)
    t = time.perf_counter()
    rows = np.flatnonzero(assigned >= 0)
    explained = explain_pairs(pool, settings, rows, assigned[rows])
    proposals = [
        {
            "participant_id": int(pool.participant_ids[e["participant_index"]]),
            "buddy_id": int(pool.buddy_ids[e["buddy_index"]]),
            "score": e["score"],
            "parts": e["parts"],
            "reasons": e["reasons"],
            "reason_codes": e["reason_codes"],
        }
        for e in explained
    ]
    left = np.flatnonzero(assigned < 0)
    unmatched = [
        {"participant_id": int(pool.participant_ids[i]), **why}
        for i, why in zip(left, why_not_matched(pool, settings, left), strict=True)
    ]
    timings["explain_ms"] = _ms(t)
    report(85)
    return RunResult(
        pool=pool,
        settings=settings,
        proposals=proposals,
        locked=loaded.locked,
        unmatched=unmatched,
        eligible_pairs=eligible_pairs,
        timings=timings,
    )


def run_create(
    *, program: Program, by=None, coverage_first: bool | None = None
) -> RecommendationRun:
    """A queued run with the program's current criteria version."""
    criteria = criteria_current(program=program)
    return RecommendationRun.objects.create(
        program=program,
        criteria=criteria,
        started_by=by,
        coverage_first=criteria.coverage_first if coverage_first is None else coverage_first,
    )


def run_start(
    *, program: Program, by=None, coverage_first: bool | None = None
) -> RecommendationRun:
    """Queue a run; a worker executes it (at once, in-process, without a broker)."""
    from matching.tasks import recommendation_run_execute

    with transaction.atomic():
        run = run_create(program=program, by=by, coverage_first=coverage_first)
        transaction.on_commit(lambda: recommendation_run_execute.delay(run_id=run.pk))
    return run


def _progress(run_id: int, percent: int) -> None:
    RecommendationRun.objects.filter(pk=run_id).update(progress=min(100, max(0, percent)))


def run_execute(*, run_id: int, top_k: int = TOP_K) -> RunResult | None:
    """Compute a queued run and store its proposals (idempotent: a run that is no longer
    queued is left as it is)."""
    claimed = RecommendationRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), progress=0
    )
    if not claimed:
        return None
    run = RecommendationRun.objects.select_related("program", "criteria").get(pk=run_id)
    started = time.perf_counter()
    try:
        result = run_compute(
            program=run.program,
            criteria=run.criteria,
            coverage_first=run.coverage_first,
            top_k=top_k,
            progress=lambda percent: _progress(run_id, percent),
        )
        t = time.perf_counter()
        _run_store(run, result)
        result.timings["store_ms"] = _ms(t)
    except Exception as exc:
        RecommendationRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            error_code=getattr(exc, "code", type(exc).__name__)[:60],
        )
        logger.exception("matching.run_failed", extra={"run_id": run_id})
        raise
    result.timings["total_ms"] = _ms(started)
    RecommendationRun.objects.filter(pk=run_id).update(timings=result.timings)
    logger.info(
        "matching.run_done",
        extra={
            "run_id": run_id,
            "program_id": run.program_id,
            "proposals": len(result.proposals) + len(result.locked),
            "unmatched": len(result.unmatched),
            "duration_ms": result.timings["total_ms"],
        },
    )
    return result


PROPOSAL_COLUMNS = (
    "run_id", "program_id", "participant_id", "buddy_id", "score", "parts", "reasons",
    "reason_codes", "status", "locked", "dismissal_reason", "created_at", "updated_at",
)  # fmt: skip


class GenericProposalWriter:
    def insert(self, rows: list[Proposal]) -> None:
        Proposal.objects.bulk_create(rows, batch_size=500)


class PostgresProposalWriter:
    """COPY: a run stores thousands of rows; COPY is several times faster than a multi-row
    INSERT."""

    def insert(self, rows: list[Proposal]) -> None:
        now = timezone.now()
        columns = ", ".join(column(Proposal, name) for name in PROPOSAL_COLUMNS)
        sql = f"COPY {table(Proposal)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for p in rows:
                copy.write_row(
                    (p.run_id, p.program_id, p.participant_id, p.buddy_id, p.score,
                     json.dumps(p.parts), json.dumps(p.reasons), json.dumps(p.reason_codes),
                     p.status, p.locked,
                     p.dismissal_reason, now, now)
                )  # fmt: skip


#: How a run's proposals are stored in bulk.
proposal_writer: Seam[GenericProposalWriter | PostgresProposalWriter] = Seam(
    "matching.proposals", generic=GenericProposalWriter(), postgresql=PostgresProposalWriter()
)


def _insert_proposals(rows: list[Proposal]) -> None:
    """Bulk insert (``proposal_writer``)."""
    proposal_writer.impl.insert(rows)


@transaction.atomic
def _run_store(run: RecommendationRun, result: RunResult) -> None:
    """The proposals (bulk) and the run's figures, in one transaction."""
    rows = [
        Proposal(
            run=run,
            program_id=run.program_id,
            participant_id=p.participant_id,
            buddy_id=p.buddy_id,
            score=p.score,
            parts=p.parts,
            reasons=p.reasons,
            reason_codes=p.reason_codes,
            locked=True,
        )
        for p in result.locked
    ]
    rows += [
        Proposal(
            run=run,
            program_id=run.program_id,
            participant_id=p["participant_id"],
            buddy_id=p["buddy_id"],
            score=p["score"],
            parts=p["parts"],
            reasons=p["reasons"],
            reason_codes=p["reason_codes"],
        )
        for p in result.proposals
    ]
    _insert_proposals(rows)
    n_p, n_b = result.pool.shape
    RecommendationRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE,
        progress=100,
        finished_at=timezone.now(),
        timings=result.timings,
        participants_waiting=n_p + len(result.locked),
        buddies_available=n_b,
        eligible_pairs=result.eligible_pairs,
        proposals_count=len(rows),
        unmatched_count=len(result.unmatched),
        total_score=result.total_score,
        unmatched=result.unmatched,
    )


# --- Proposals ------------------------------------------------------------------------------


#: The refusal of a decided proposal (English: the API's; the pages translate it).
DECIDED = {
    ProposalStatus.ACCEPTED: gettext_noop("This proposal is already accepted."),
    ProposalStatus.DISMISSED: gettext_noop("This proposal is already dismissed."),
}


def _open_proposal(proposal_id: int) -> Proposal:
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("run")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None:
        raise DomainError(
            gettext_noop("No such proposal."), code="matching.unknown_proposal", http_status=404
        )
    if proposal.status != ProposalStatus.PROPOSED:
        raise RuleViolation("matching.proposal_decided", DECIDED[proposal.status])
    return proposal


@transaction.atomic
def proposal_accept(*, proposal: Proposal, by=None) -> Match:
    """Accept a proposal: a ``proposed`` match through the match service, which re-checks
    the buddy's capacity and the participant's one match under row locks."""
    proposal = _open_proposal(proposal.pk)
    match = match_propose(
        program=proposal.program,
        participant=proposal.participant,
        buddy=proposal.buddy,
        via=DataSource.RECOMMENDATION,
        by=by,
        criteria={
            "proposal": proposal.pk,
            "run": proposal.run_id,
            "criteria_version": proposal.run.criteria.version,
            "score": proposal.score,
            "parts": proposal.parts,
        },
    )
    proposal.status, proposal.match = ProposalStatus.ACCEPTED, match
    proposal.decided_at, proposal.decided_by = timezone.now(), by
    proposal.save(update_fields=["status", "match", "decided_at", "decided_by", "updated_at"])
    logger.info(
        "matching.proposal_accepted",
        extra={"proposal_id": proposal.pk, "match_id": match.pk, "run_id": proposal.run_id},
    )
    return match


def proposals_accept_all(*, run: RecommendationRun, by=None) -> dict:
    """Accept every open proposal of a run, best score first, each in its own transaction;
    the ones a rule refuses now (someone accepted a competing pair meanwhile) are listed."""
    accepted, refused = 0, []
    ids = Proposal.objects.filter(run=run, status=ProposalStatus.PROPOSED).order_by("-score", "id")
    for proposal in ids:
        try:
            proposal_accept(proposal=proposal, by=by)
            accepted += 1
        except DomainError as exc:
            refused.append({"proposal_id": proposal.pk, "code": exc.code})
    return {"accepted": accepted, "refused": refused}


@transaction.atomic
def proposal_dismiss(*, proposal: Proposal, reason: str, by=None) -> Proposal:
    """Dismiss a proposal with a reason; the pair is never proposed again in the program."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed([FieldError("reason", gettext_noop("a dismissal needs a reason"))])
    proposal = _open_proposal(proposal.pk)
    proposal.status, proposal.dismissal_reason = ProposalStatus.DISMISSED, reason[:200]
    proposal.decided_at, proposal.decided_by = timezone.now(), by
    proposal.save(
        update_fields=["status", "dismissal_reason", "decided_at", "decided_by", "updated_at"]
    )
    return proposal


@transaction.atomic
def proposal_lock(*, proposal: Proposal, locked: bool = True, by=None) -> Proposal:
    """Lock (or unlock) an open proposal: the program's next runs keep it as it is."""
    proposal = _open_proposal(proposal.pk)
    proposal.locked = locked
    proposal.save(update_fields=["locked", "updated_at"])
    return proposal


# --- The coordinator UI's suggestions and criteria preview ----------------------------------


@transaction.atomic
def suggestion_accept(*, program: Program, participant: Person, buddy_id: int, by=None) -> Match:
    """Accept one of a participant's top 5 (the person page): a ``proposed`` match through the
    match service, recording the score and parts it had. A buddy who is no longer among the
    participant's top 5 (someone took the place, the criteria changed) is refused."""
    top = recommend_for_participant(program=program, participant=participant)
    chosen = next((c for c in top["candidates"] if c["buddy_id"] == int(buddy_id)), None)
    if chosen is None:
        raise RuleViolation(
            "matching.not_suggested",
            gettext_noop("This buddy is no longer among the participant's suggestions."),
            "buddy",
        )
    buddy = Person.objects.get(pk=chosen["buddy_id"])
    match = match_propose(
        program=program,
        participant=participant,
        buddy=buddy,
        via=DataSource.RECOMMENDATION,
        by=by,
        criteria={
            "criteria_version": top["criteria_version"],
            "score": chosen["score"],
            "parts": chosen["parts"],
        },
    )
    logger.info(
        "matching.suggestion_accepted",
        extra={"match_id": match.pk, "program_id": program.pk, "participant_id": participant.pk},
    )
    return match


#: How many waiting participants (the longest waiting) a criteria preview scores.
PREVIEW_SAMPLE = 10


def _top_ids(pool: Pool, settings: Settings, index: int, n: int) -> list[dict]:
    return [
        {"buddy_id": int(pool.buddy_ids[c["buddy_index"]]), "score": c["score"]}
        for c in top_for_participant(pool, settings, index, n=n)
    ]


def criteria_preview(
    *,
    program: Program,
    criteria: dict,
    score_floor: float = 0,
    coverage_first: bool = False,
    never_repair_any: bool = False,
    sample: int = PREVIEW_SAMPLE,
    n: int = 5,
) -> dict:
    """How new settings would move the top suggestions, before they are saved: for the
    ``sample`` longest-waiting participants, the top ``n`` under the current version and
    under the new settings (validated like ``criteria_save``; nothing is stored)."""
    clean = criteria_validate(criteria)
    if not 0 <= float(score_floor) <= 100:
        raise ValidationFailed([FieldError("score_floor", gettext_noop("must be from 0 to 100"))])
    current = selectors.criteria_latest(program=program)  # a preview writes nothing
    proposed = MatchingCriteria(
        program=program,
        criteria=clean,
        score_floor=float(score_floor),
        coverage_first=coverage_first,
        never_repair_any=never_repair_any,
    )
    waiting = selectors.waiting_participants(program=program)
    chosen = [row.id for row in sorted(waiting, key=lambda r: (-r.waiting_days, r.id))[:sample]]
    before_pool = selectors.pool_for_program(
        program=program, criteria=current, participant_ids=chosen
    ).pool
    after_pool = before_pool
    if proposed.never_repair_any != current.never_repair_any:
        after_pool = selectors.pool_for_program(
            program=program, criteria=proposed, participant_ids=chosen
        ).pool
    before_settings, after_settings = _settings(current), _settings(proposed)
    rows = []
    for participant_id in chosen:
        i = before_pool.participant_index(participant_id)
        j = after_pool.participant_index(participant_id)
        before = _top_ids(before_pool, before_settings, i, n) if i >= 0 else []
        after = _top_ids(after_pool, after_settings, j, n) if j >= 0 else []
        rank_before = {c["buddy_id"]: r for r, c in enumerate(before, 1)}
        for rank, candidate in enumerate(after, 1):
            was = rank_before.get(candidate["buddy_id"])
            candidate["rank"], candidate["was_rank"] = rank, was
            if was is None:
                candidate["moved"] = "new"
            else:
                candidate["moved"] = "up" if was > rank else "down" if was < rank else "same"
        kept = {c["buddy_id"] for c in after}
        rows.append(
            {
                "participant_id": participant_id,
                "before": before,
                "after": after,
                "dropped": [c for c in before if c["buddy_id"] not in kept],
                "changed": [c["buddy_id"] for c in before] != [c["buddy_id"] for c in after],
            }
        )
    return {
        "current_version": current.version,
        "participants": rows,
        "changed": sum(1 for r in rows if r["changed"]),
    }


def proposals_accept_selected(*, run: RecommendationRun, proposal_ids, by=None) -> dict:
    """Accept the chosen open proposals of a run, best score first, each in its own
    transaction (like ``proposals_accept_all``); the ones a rule refuses are listed."""
    accepted, refused = 0, []
    chosen = Proposal.objects.filter(
        run=run, status=ProposalStatus.PROPOSED, pk__in=[int(i) for i in proposal_ids]
    ).order_by("-score", "id")
    for proposal in chosen:
        try:
            proposal_accept(proposal=proposal, by=by)
            accepted += 1
        except DomainError as exc:
            refused.append({"proposal_id": proposal.pk, "code": exc.code})
    return {"accepted": accepted, "refused": refused}
