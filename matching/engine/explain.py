"""Why a waiting participant got no proposal, computed from the data.

For each participant left unassigned: how many buddies each rule ruled out, whether
the remaining candidates went to others with higher-scoring pairs, whether every
buddy is at capacity, whether the candidates scored below the floor, and which
relaxation of the settings would add candidates. One block computation over the
unassigned rows (never a loop over pairs).
"""

import numpy as np

from matching.engine.criteria import REGISTRY
from matching.engine.pool import Pool
from matching.engine.scoring import Settings, row_blocks, score_block

HARD_RULE_WORDS = {
    "violation": "{n} excluded: an earlier match with them ended in a violation",
    "earlier_pair": "{n} excluded: they were paired before (never re-pair any earlier pair)",
    "dismissed": "{n} excluded: a coordinator dismissed the suggestion",
}


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def why_not_matched(pool: Pool, settings: Settings, rows: np.ndarray) -> list[dict]:
    """One explanation per row in ``rows`` (participant indices), in that order."""
    rows = np.asarray(rows, dtype=np.int64)
    n_b = len(pool.buddy_ids)
    if n_b == 0:
        full = pool.buddies_full
        text = (
            f"all {_plural(full, 'buddy is', 'buddies are')} at capacity"
            if full
            else "no buddy is actively enrolled in the program"
        )
        return [
            {"code": "all_at_capacity", "text": text, "excluded": {}, "relaxations": []}
            for _ in rows
        ]
    out: list[dict] = []
    for positions in row_blocks(len(rows), n_b):
        block = score_block(pool, settings, rows[positions], detail=True)
        out += _explain_block(pool, settings, block)
    return out


def _explain_block(pool: Pool, settings: Settings, block) -> list[dict]:
    n_b = len(pool.buddy_ids)
    masks = {f"must:{k}": v for k, v in block.must.items()}
    masks |= {f"hard:{k}": ~v for k, v in block.hard.items()}
    rules_ok = np.ones(block.score.shape, dtype=bool)
    for passes in masks.values():
        rules_ok &= passes
    eligible = block.eligible
    below_floor = rules_ok & ~block.floor_ok
    failing = sum((~m).astype(np.int8) for m in masks.values()) if masks else 0
    # Relaxations: pairs that fail one must-rule only (and clear the floor).
    relax: list[tuple[str, np.ndarray]] = []
    for name in block.must:
        criterion = REGISTRY[name]
        sole = ~block.must[name] & (failing == 1) & block.floor_ok
        relax.append((f"turning the {criterion.label} rule into a preference adds {{n}}", sole))
        p, b = block.rows[:, None], np.arange(n_b)[None, :]
        others_ok = (failing - (~block.must[name]).astype(np.int8)) == 0
        for relaxation in criterion.relaxations:
            relax.append(
                (relaxation.text, relaxation.mask(pool, p, b) & others_ok & block.floor_ok)
            )
    relax_counts = [(text, mask.sum(axis=1)) for text, mask in relax]
    excluded_counts = {key: (~m).sum(axis=1) for key, m in masks.items()}
    n_eligible = eligible.sum(axis=1)
    n_below = below_floor.sum(axis=1)
    best_below = np.where(below_floor, block.score, -1).max(axis=1)
    results = []
    for i, p in enumerate(block.rows):
        excluded = {k.split(":", 1)[1]: int(v[i]) for k, v in excluded_counts.items() if v[i]}
        relaxations = [
            {
                "text": text.format(n=_plural(int(c[i]), "candidate", "candidates")),
                "adds": int(c[i]),
            }
            for text, c in relax_counts
            if c[i]
        ]
        if n_below[i]:
            relaxations.append(
                {
                    "text": f"lowering the score floor to {float(best_below[i]):.1f} adds "
                    f"{_plural(int(n_below[i]), 'candidate', 'candidates')}",
                    "adds": int(n_below[i]),
                }
            )
        relaxations.sort(key=lambda r: -r["adds"])
        words = []
        for key, count in sorted(excluded_counts.items(), key=lambda kv: -int(kv[1][i])):
            count = int(count[i])
            if not count:
                continue
            kind, name = key.split(":", 1)
            if kind == "must":
                words.append(REGISTRY[name].excluded_words(pool, int(p), count))
            else:
                words.append(HARD_RULE_WORDS[name].format(n=count))
        if n_eligible[i]:
            code = "taken"
            n = int(n_eligible[i])
            text = (
                "the only suitable buddy was given to a participant with a higher-scoring pair"
                if n == 1
                else f"all {n} suitable buddies were given to participants with higher-scoring "
                "pairs"
            )
        elif n_below[i]:
            code = "below_floor"
            text = (
                f"{_plural(int(n_below[i]), 'candidate scores', 'candidates score')} below the "
                f"floor of {settings.floor:g} (best {float(best_below[i]):.1f})"
            )
        else:
            code = "no_candidates"
            text = "no buddy passes the rules"
        if pool.buddies_full:
            words.append(f"{_plural(pool.buddies_full, 'buddy is', 'buddies are')} at capacity")
        if words:
            text += ": " + "; ".join(words)
        results.append(
            {"code": code, "text": text, "excluded": excluded, "relaxations": relaxations[:3]}
        )
    return results
