"""The program-wide assignment: maximum total score under the buddies' free places.

``assign_min_cost_flow`` is what runs use: OR-Tools ``SimpleMinCostFlow`` over each
participant's top candidates, with capacity on the buddy → sink arcs (no slot
duplication) and a penalised "unassigned" arc per participant that keeps it
feasible. ``assign_exact`` is the dense reference (scipy ``linear_sum_assignment``
over capacity-expanded columns), for tests and the benchmark on small programs.

Both minimise the same integer costs (tenths of a point): a pair costs
``1000 - score``, leaving a participant unassigned costs ``1000`` (or, coverage
first, more than any difference in total score could make up).
"""

import time

import numpy as np

from core.errors import DomainError
from matching.engine.pool import Pool
from matching.engine.scoring import TOP_K, Candidates, Settings, top_candidates

#: Rounds of candidates for the participants left over (see ``assign_program``).
EXTRA_ROUNDS = 2

FULL = 1000  # a score of 100 in tenths


def unassigned_cost(n_participants: int, *, coverage_first: bool) -> int:
    if not coverage_first:
        return FULL
    # One more match is worth more than every score together could add.
    return FULL + FULL * max(n_participants, 1) + 1


def assign_min_cost_flow(
    candidates: Candidates, free: np.ndarray, *, coverage_first: bool = False
) -> np.ndarray:
    """Buddy index per participant (-1: unassigned)."""
    n_p = candidates.buddy.shape[0]
    n_b = len(free)
    if n_p == 0:
        return np.empty(0, dtype=np.int64)
    sink = n_p + n_b
    rows, cols = np.nonzero(candidates.valid)
    tails = np.concatenate([rows, np.arange(n_p), n_p + np.arange(n_b)]).astype(np.int32)
    heads = np.concatenate(
        [n_p + candidates.buddy[rows, cols], np.full(n_p, sink), np.full(n_b, sink)]
    ).astype(np.int32)
    capacities = np.concatenate([np.ones(len(rows) + n_p), free]).astype(np.int64)
    costs = np.concatenate(
        [
            FULL - candidates.tenths[rows, cols],
            np.full(n_p, unassigned_cost(n_p, coverage_first=coverage_first)),
            np.zeros(n_b),
        ]
    ).astype(np.int64)
    # Imported here, not at module level: every process imports this app at start-up, and
    # OR-Tools and scipy add ~130 MB to each one (the web and the import included) that
    # never runs an assignment.
    from ortools.graph.python import min_cost_flow

    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_p] = 1
    supplies[sink] = -n_p
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise DomainError("The assignment could not be solved.", code="matching.solver_failed")
    flows = solver.flows(arcs[: len(rows)])
    chosen = flows > 0
    assigned = np.full(n_p, -1, dtype=np.int64)
    assigned[rows[chosen]] = candidates.buddy[rows[chosen], cols[chosen]]
    return assigned


def assign_exact(
    score: np.ndarray, eligible: np.ndarray, free: np.ndarray, *, coverage_first: bool = False
) -> np.ndarray:
    """The exact optimum over the dense matrix (every pair, no pruning)."""
    n_p, n_b = score.shape
    if n_p == 0:
        return np.empty(0, dtype=np.int64)
    tenths = np.rint(score * 10).astype(np.int64)
    unassigned = unassigned_cost(n_p, coverage_first=coverage_first)
    forbidden = unassigned + 1  # never better than the participant's own "unassigned" column
    slots = np.repeat(np.arange(n_b), free)
    cost = np.where(eligible, FULL - tenths, forbidden)[:, slots]
    dummy = np.full((n_p, n_p), forbidden, dtype=np.int64)
    np.fill_diagonal(dummy, unassigned)
    from scipy.optimize import linear_sum_assignment  # see assign_min_cost_flow

    rows, cols = linear_sum_assignment(np.hstack([cost, dummy]))
    assigned = np.full(n_p, -1, dtype=np.int64)
    real = cols < len(slots)
    assigned[rows[real]] = slots[cols[real]]
    return assigned


def total_tenths(score: np.ndarray, assigned: np.ndarray) -> int:
    """Total score of an assignment in tenths, from a dense (P, B) score matrix."""
    chosen = assigned >= 0
    rows = np.flatnonzero(chosen)
    return int(np.rint(score[rows, assigned[chosen]] * 10).astype(np.int64).sum())


def assign_program(
    pool: Pool, settings: Settings, *, k: int = TOP_K, progress=None
) -> tuple[np.ndarray, int, dict[str, int]]:
    """The run's assignment: min-cost flow over each participant's top ``k`` candidates,
    then, for the participants left over, rounds over the buddies that still have free
    places (their own top ``k`` among those). Where one group of buddies is in demand (most
    participants' best candidates are the few Ukrainian-speaking buddies), the first round
    leaves many without an arc to any buddy with a free place; the next rounds give them
    one. Returns the buddy per participant (-1: none), the eligible pairs counted and the
    milliseconds spent scoring and assigning."""
    started = time.perf_counter()
    candidates = top_candidates(pool, settings, k=k, progress=progress)
    scored = time.perf_counter()
    assigned = assign_min_cost_flow(candidates, pool.b_free, coverage_first=settings.coverage_first)
    # Leftover rounds: only where participants were left while some buddy has a free place.
    for _round in range(EXTRA_ROUNDS):
        used = np.bincount(assigned[assigned >= 0], minlength=len(pool.b_free))
        residual = pool.b_free - used
        left = np.flatnonzero(assigned < 0)
        if not len(left) or not (residual > 0).any():
            break
        extra = top_candidates(pool, settings, k=k, rows=left, allowed=residual > 0)
        if not extra.valid.any():
            break
        # Only the leftover problem (the others keep their buddies): re-solving everything
        # with the added arcs measured the same total at twice the time.
        more = assign_min_cost_flow(
            extra, np.maximum(residual, 0), coverage_first=settings.coverage_first
        )
        if not (more >= 0).any():
            break
        assigned[left] = more
    timings = {
        "scoring_ms": round((scored - started) * 1000),
        "assignment_ms": round((time.perf_counter() - scored) * 1000),  # with the leftover rounds
    }
    return assigned, candidates.eligible_pairs, timings
