"""Learn from outcomes: which criteria predicted how the program's ended matches went.

A read (a selector): for every ended match of the program, whether each criterion was
met by the pair (its fraction ≥ 0.5, computed with the same vectorised criterion
functions as the recommendations) and how the match went: *good* (ended ``completed``,
mean rating ≥ 0.7 where rated, at most a quarter of its check-ins struggling or
difficult) or *ended early* (any other reason, within 90 days). ``program_ended``
endings say nothing about the pair and are left out. Per criterion: the counts, the
good and early rates with and without it, the effect (difference of the good rates,
in points) and a suggested weight. Suggestions are shown, never applied: a coordinator
saves a new criteria version to use them.
"""

import numpy as np
from django.db.models import Avg, Count, Q

from buddy.models import CheckIn, EndReason, Feedback, Match, Mood, Program
from matching.engine.criteria import REGISTRY
from matching.engine.pool import PersonRow, build_pool
from matching.engine.scoring import Settings

GOOD_RATING = 0.7
STRUGGLING_SHARE = 0.25
EARLY_DAYS = 90
#: Fewer matches than this on either side of a criterion: no suggestion.
MIN_GROUP = 10
MET = 0.5


def _rate(flags: np.ndarray) -> float | None:
    return round(float(flags.mean()), 3) if len(flags) else None


def outcome_evidence(*, program: Program, criteria: dict | None = None) -> dict:
    """The evidence and the suggested weights (see the module docstring). Four queries."""
    settings = Settings.resolve(criteria)
    matches = list(
        Match.objects.filter(program=program, status="ended")
        .exclude(end_reason=EndReason.PROGRAM_ENDED)
        .order_by("id")
        .values_list(
            "id", "participant_id", "buddy_id", "end_reason", "duration_days",
            "participant__languages", "participant__interests", "participant__location",
            "buddy__languages", "buddy__interests", "buddy__location",
        )
    )  # fmt: skip
    scope = Q(match__program=program, match__status="ended")
    ratings = dict(
        Feedback.objects.filter(scope).values("match_id").annotate(r=Avg("rating"))
        .values_list("match_id", "r")
    )  # fmt: skip
    checkins = {
        m: (n, s)
        for m, n, s in CheckIn.objects.filter(scope)
        .values("match_id")
        .annotate(
            n=Count("id"), s=Count("id", filter=Q(mood__in=[Mood.STRUGGLING, Mood.DIFFICULT]))
        )
        .values_list("match_id", "n", "s")
    }
    result = {"matches": len(matches), "good": 0, "ended_early": 0, "criteria": []}
    result["not_measurable"] = [c.name for c in REGISTRY.values() if not c.from_history]
    if not matches:
        return result
    participants = {m[1]: PersonRow(m[1], m[5] or (), m[6] or (), m[7] or "") for m in matches}
    buddies = {m[2]: PersonRow(m[2], m[8] or (), m[9] or (), m[10] or "") for m in matches}
    pool = build_pool(list(participants.values()), list(buddies.values()))
    p_index = {int(pid): i for i, pid in enumerate(pool.participant_ids)}
    b_index = {int(bid): i for i, bid in enumerate(pool.buddy_ids)}
    p = np.array([p_index[m[1]] for m in matches])
    b = np.array([b_index[m[2]] for m in matches])

    def good(m) -> bool:
        rating = ratings.get(m[0])
        n, struggling = checkins.get(m[0], (0, 0))
        return (
            m[3] == EndReason.COMPLETED
            and (rating is None or rating >= GOOD_RATING)
            and (n == 0 or struggling / n <= STRUGGLING_SHARE)
        )

    is_good = np.array([good(m) for m in matches])
    early = np.array([m[3] != EndReason.COMPLETED and (m[4] or 0) < EARLY_DAYS for m in matches])
    result["good"], result["ended_early"] = int(is_good.sum()), int(early.sum())
    for criterion in REGISTRY.values():
        if not criterion.from_history:
            continue
        met = criterion.fraction(pool, p, b) >= MET
        n_met, n_not = int(met.sum()), int((~met).sum())
        good_met, good_not = _rate(is_good[met]), _rate(is_good[~met])
        enough = min(n_met, n_not) >= MIN_GROUP
        effect = round(good_met - good_not, 3) if enough else None
        weight = settings.weights[criterion.name]
        suggested = round(min(100.0, max(0.0, weight * (1 + 2 * effect)))) if enough else None
        result["criteria"].append(
            {
                "criterion": criterion.name,
                "label": str(criterion.label),
                "rule": settings.rules[criterion.name],
                "weight": weight,
                "met": n_met,
                "not_met": n_not,
                "good_rate_met": good_met,
                "good_rate_not_met": good_not,
                "early_rate_met": _rate(early[met]),
                "early_rate_not_met": _rate(early[~met]),
                "effect": effect,
                "suggested_weight": suggested,
                "evidence": "enough" if enough else f"too few (under {MIN_GROUP} on a side)",
            }
        )
    return result
