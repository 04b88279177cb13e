"""Why a waiting participant got no proposal, computed from the data.

For each participant left unassigned: how many buddies each rule ruled out, whether
the remaining candidates went to others with higher-scoring pairs, whether every
buddy is at capacity, whether the candidates scored below the floor, and which
relaxation of the settings would add candidates. One block computation over the
unassigned rows (never a loop over pairs).
"""

import numpy as np
from django.utils import translation

from matching.engine.criteria import REGISTRY
from matching.engine.pool import Pool
from matching.engine.scoring import Settings, row_blocks, score_block
from matching.engine.words import explanation_words, message, render


def _explanation(code: str, said: dict, details: list[dict], **rest) -> dict:
    """An explanation: its message and details (shown in the reader's language,
    ``words.explanation_words``) and the same in English words under ``text``."""
    entry = {"code": code, "message": said, "details": details, **rest}
    entry["text"] = explanation_words(entry)
    return entry


def why_not_matched(pool: Pool, settings: Settings, rows: np.ndarray) -> list[dict]:
    """One explanation per row in ``rows`` (participant indices), in that order."""
    rows = np.asarray(rows, dtype=np.int64)
    n_b = len(pool.buddy_ids)
    with translation.override("en"):
        if n_b == 0:
            full = pool.buddies_full
            said = message("all_at_capacity", n=full) if full else message("no_buddy_enrolled")
            return [
                _explanation(
                    "all_at_capacity", said, [], excluded={}, relaxations=[], relaxation_messages=[]
                )
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
        relax.append(({"code": "relax.prefer", "criterion": name}, sole))
        p, b = block.rows[:, None], np.arange(n_b)[None, :]
        others_ok = (failing - (~block.must[name]).astype(np.int8)) == 0
        for relaxation in criterion.relaxations:
            relax.append(
                (
                    {"code": relaxation.code},
                    relaxation.mask(pool, p, b) & others_ok & block.floor_ok,
                )
            )
    relax_counts = [(said, mask.sum(axis=1)) for said, mask in relax]
    excluded_counts = {key: (~m).sum(axis=1) for key, m in masks.items()}
    n_eligible = eligible.sum(axis=1)
    n_below = below_floor.sum(axis=1)
    best_below = np.where(below_floor, block.score, -1).max(axis=1)
    results = []
    for i, p in enumerate(block.rows):
        excluded = {k.split(":", 1)[1]: int(v[i]) for k, v in excluded_counts.items() if v[i]}
        relaxations = [message(**said, n=int(c[i])) for said, c in relax_counts if c[i]]
        if n_below[i]:
            relaxations.append(
                message("relax.floor", floor=f"{float(best_below[i]):.1f}", n=int(n_below[i]))
            )
        relaxations.sort(key=lambda r: -r["params"]["n"])
        words = []
        for key, count in sorted(excluded_counts.items(), key=lambda kv: -int(kv[1][i])):
            count = int(count[i])
            if not count:
                continue
            kind, name = key.split(":", 1)
            if kind == "must":
                words.append(REGISTRY[name].excluded_words(pool, int(p), count))
            else:
                words.append(message(f"hard.{name}", n=count))
        if n_eligible[i]:
            code = "taken"
            n = int(n_eligible[i])
            said = message("taken.one") if n == 1 else message("taken.many", n=n)
        elif n_below[i]:
            code = "below_floor"
            said = message(
                "below_floor",
                n=int(n_below[i]),
                floor=f"{settings.floor:g}",
                best=f"{float(best_below[i]):.1f}",
            )
        else:
            code = "no_candidates"
            said = message("no_candidates")
        if pool.buddies_full:
            words.append(message("buddies_full", n=pool.buddies_full))
        relaxations = relaxations[:3]
        results.append(
            _explanation(
                code,
                said,
                words,
                excluded=excluded,
                relaxations=[{"text": render(r), "adds": r["params"]["n"]} for r in relaxations],
                relaxation_messages=relaxations,
            )
        )
    return results
