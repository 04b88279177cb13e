"""Scores for every pair, in blocks of participant rows, and each participant's best
candidates. No Python loop over pairs: a block is one numpy expression per criterion.

Scores run from 0 to 100: each *prefer* criterion earns ``weight / Σ weights × 100 ×
fraction``; *must* criteria, the score floor and the hard rules (``Pool.excluded``)
decide eligibility. Costs for the solvers are integer tenths of a point.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from django.utils import translation

from matching.engine.criteria import MUST, OFF, PREFER, REGISTRY, Criterion
from matching.engine.pool import Pool
from matching.engine.words import render

#: Pairs scored per block: bounds memory (a few float32 matrices of this size).
BLOCK_PAIRS = 2_000_000
#: Candidates kept per participant for the assignment (see bench/README.md).
TOP_K = 100


@dataclass(frozen=True)
class Settings:
    """A criteria version, resolved against the registry."""

    rules: dict[str, str]
    weights: dict[str, float]
    floor: float = 0.0
    coverage_first: bool = False

    @classmethod
    def resolve(
        cls, criteria: dict | None, *, floor: float = 0.0, coverage_first: bool = False
    ) -> "Settings":
        rules, weights = {}, {}
        for name, criterion in REGISTRY.items():
            given = (criteria or {}).get(name) or {}
            rule = given.get("rule", criterion.default_rule)
            rules[name] = rule if rule in criterion.rules else criterion.default_rule
            weights[name] = float(given.get("weight", criterion.default_weight))
        return cls(rules=rules, weights=weights, floor=float(floor), coverage_first=coverage_first)

    def with_rule(self, name: str, rule: str) -> "Settings":
        return Settings({**self.rules, name: rule}, self.weights, self.floor, self.coverage_first)

    @property
    def prefer(self) -> list[tuple[Criterion, float]]:
        """Weighted criteria with their share of 100 points."""
        chosen = [
            (REGISTRY[n], w) for n, w in self.weights.items() if self.rules[n] == PREFER and w > 0
        ]
        total = sum(w for _c, w in chosen)
        return [(c, 100.0 * w / total) for c, w in chosen]

    @property
    def must(self) -> list[Criterion]:
        return [REGISTRY[n] for n, r in self.rules.items() if r == MUST]

    @property
    def active(self) -> list[Criterion]:
        return [REGISTRY[n] for n, r in self.rules.items() if r != OFF]


@dataclass
class Block:
    """One block of rows: scores, eligibility and, on request, each rule's mask."""

    rows: np.ndarray
    score: np.ndarray  # (n, B) float32, 0–100
    eligible: np.ndarray  # (n, B) bool
    must: dict[str, np.ndarray] = field(default_factory=dict)  # passes the must-rule
    hard: dict[str, np.ndarray] = field(default_factory=dict)  # ruled out by a hard rule
    floor_ok: np.ndarray | None = None


def score_pairs(pool: Pool, settings: Settings, p, b) -> np.ndarray:
    """Scores of broadcastable index arrays (a block against all buddies, or pairs)."""
    shape = np.broadcast_shapes(np.shape(p), np.shape(b))
    prefer = settings.prefer
    if not prefer:
        return np.full(shape, 100, dtype=np.float32)
    total = np.zeros(shape, dtype=np.float32)
    for criterion, points in prefer:
        total += np.float32(points) * criterion.fraction(pool, p, b)
    return total


def score_block(pool: Pool, settings: Settings, rows: np.ndarray, *, detail=False) -> Block:
    rows = np.asarray(rows, dtype=np.int64)
    p, b = rows[:, None], np.arange(len(pool.buddy_ids))[None, :]
    score = score_pairs(pool, settings, p, b)
    floor_ok = score >= np.float32(settings.floor - 1e-4)
    eligible = floor_ok.copy()
    block = Block(rows=rows, score=score, eligible=eligible)
    for criterion in settings.must:
        passes = criterion.must_mask(pool, p, b)
        eligible &= passes
        if detail:
            block.must[criterion.name] = passes
    position = np.full(len(pool.participant_ids), -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    for rule, (pi, bi) in pool.excluded.items():
        r = position[pi]
        keep = r >= 0
        eligible[r[keep], bi[keep]] = False
        if detail:
            mask = np.zeros(score.shape, dtype=bool)
            mask[r[keep], bi[keep]] = True
            block.hard[rule] = mask
    if detail:
        block.floor_ok = floor_ok
    return block


def row_blocks(n_rows: int, n_cols: int):
    """Contiguous row ranges of about ``BLOCK_PAIRS`` pairs each."""
    step = max(1, BLOCK_PAIRS // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield np.arange(start, min(start + step, n_rows))


@dataclass
class Candidates:
    """Each participant's best eligible buddies, best first (``valid`` marks real ones)."""

    buddy: np.ndarray  # (P, K) int32 buddy index
    score: np.ndarray  # (P, K) float32
    valid: np.ndarray  # (P, K) bool
    eligible_pairs: int = 0

    @property
    def tenths(self) -> np.ndarray:
        return np.rint(self.score * 10).astype(np.int64)


#: Below the scores' resolution (tenths), so it only orders equal scores.
TIE_BREAK = np.float32(0.04)
#: Threads scoring blocks at once (numpy releases the GIL in the heavy loops).
THREADS = min(2, os.cpu_count() or 1)


def _tie_break(rows: np.ndarray, n_b: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-row and per-column offsets whose sum (mod 1) × ``TIE_BREAK`` orders equal-scoring
    buddies differently for each participant, so that participants do not all pick the
    same few of many equal buddies."""
    col = np.random.default_rng(0).random(n_b, dtype=np.float32)
    row = np.random.default_rng(int(rows[0]) + 1).random(len(rows), dtype=np.float32)
    return row, col


def _tie(row, col):
    mix = row + col
    mix -= mix >= 1
    return mix * TIE_BREAK


def top_candidates(
    pool: Pool,
    settings: Settings,
    *,
    k: int = TOP_K,
    rows: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
    progress=None,
) -> Candidates:
    """The best ``k`` eligible buddies of each participant in ``rows`` (default: all), among
    the ``allowed`` buddies (a bool mask; default: all). Row ``i`` of the result is
    ``rows[i]``. Blocks are scored by ``THREADS`` threads."""
    n_b = pool.shape[1]
    rows = np.arange(pool.shape[0]) if rows is None else np.asarray(rows, dtype=np.int64)
    n_p = len(rows)
    k = max(0, min(k, n_b))
    buddy = np.zeros((n_p, k), dtype=np.int32)
    score = np.zeros((n_p, k), dtype=np.float32)
    valid = np.zeros((n_p, k), dtype=bool)
    if k == 0 or n_p == 0:
        return Candidates(buddy, score, valid)
    blocks = list(row_blocks(n_p, n_b))

    def one(at: np.ndarray) -> int:
        block = score_block(pool, settings, rows[at])
        if allowed is not None:
            block.eligible &= allowed[None, :]
        n_eligible = int(np.count_nonzero(block.eligible))
        row_tie, col_tie = _tie_break(rows[at], n_b)
        keyed = block.score
        keyed += _tie(row_tie[:, None], col_tie[None, :])
        if n_eligible < keyed.size:
            keyed[~block.eligible] = -1
        if k < n_b:
            part = np.argpartition(-keyed, k - 1, axis=1)[:, :k]
        else:
            part = np.broadcast_to(np.arange(n_b), (len(at), n_b))
        values = np.take_along_axis(keyed, part, axis=1)
        order = np.argsort(-values, axis=1, kind="stable")
        chosen = np.take_along_axis(part, order, axis=1)
        values = np.take_along_axis(values, order, axis=1)
        buddy[at] = chosen
        valid[at] = values >= 0
        score[at] = values - _tie(row_tie[:, None], col_tie[chosen])
        return n_eligible

    eligible_pairs = one(blocks[0])  # fills the pool's lookup tables before the threads
    with ThreadPoolExecutor(THREADS) as workers:
        for i, n_eligible in enumerate(workers.map(one, blocks[1:]), 2):
            eligible_pairs += n_eligible
            if progress is not None:  # from this thread only (it may write to the database)
                progress(i / len(blocks))
    score[~valid] = 0
    np.clip(score, 0, 100, out=score)
    return Candidates(buddy, score, valid, eligible_pairs)


def pair_parts(
    pool: Pool, settings: Settings, p: np.ndarray, b: np.ndarray
) -> dict[str, np.ndarray]:
    """Points per prefer-criterion for a list of pairs (index arrays of one shape)."""
    shape = np.broadcast_shapes(np.shape(p), np.shape(b))
    return {
        c.name: np.broadcast_to(np.float32(points) * c.fraction(pool, p, b), shape)
        for c, points in settings.prefer
    }


def pair_reasons(pool: Pool, settings: Settings, p: int, b: int) -> list[dict]:
    """The reasons of one pair as messages (``words``; called per proposal, never per pair
    scored)."""
    reasons: list[dict] = []
    for criterion in settings.active:
        reasons += criterion.reasons(pool, p, b)
    return reasons


def explain_pairs(pool: Pool, settings: Settings, p: np.ndarray, b: np.ndarray) -> list[dict]:
    """Score, parts and reasons of chosen pairs (proposals, a top 5): ``reason_codes`` the
    reasons as messages (shown in the reader's language), ``reasons`` in English words."""
    p, b = np.asarray(p, dtype=np.int64), np.asarray(b, dtype=np.int64)
    score = score_pairs(pool, settings, p, b)
    parts = pair_parts(pool, settings, p, b)
    out = []
    with translation.override("en"):
        for i in range(len(p)):
            said = pair_reasons(pool, settings, int(p[i]), int(b[i]))
            out.append(
                {
                    "participant_index": int(p[i]),
                    "buddy_index": int(b[i]),
                    "score": round(float(score[i]), 1),
                    "parts": {name: round(float(v[i]), 1) for name, v in parts.items()},
                    "reasons": [render(m) for m in said],
                    "reason_codes": said,
                }
            )
    return out


def top_for_participant(pool: Pool, settings: Settings, index: int, *, n: int = 5) -> list[dict]:
    block = score_block(pool, settings, np.array([index]))
    masked = np.where(block.eligible[0], block.score[0], np.float32(-1))
    n = min(n, len(masked))
    if n == 0:
        return []
    best = np.argpartition(-masked, n - 1)[:n] if n < len(masked) else np.arange(len(masked))
    best = best[np.argsort(-masked[best], kind="stable")]
    best = best[masked[best] >= 0]
    return explain_pairs(pool, settings, np.full(len(best), index), best)
