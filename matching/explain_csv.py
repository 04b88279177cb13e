"""The audit export of a run: every eligible pair with its score and parts, as CSV."""

import csv

import numpy as np

from matching.engine.pool import Pool
from matching.engine.scoring import Settings, pair_parts, row_blocks, score_block

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (numbers stay numbers).
    (Another branch adds a shared helper for this; the lead unifies them.)"""
    if isinstance(value, int | float | np.integer | np.floating):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_explain_csv(
    handle, *, pool: Pool, settings: Settings, public_ids: dict[int, str], assigned: dict
) -> int:
    """Write one row per eligible pair (``assigned``: participant id → proposed buddy id);
    returns the number of pairs written. Scored block by block, so memory stays bounded."""
    names = [c.name for c, _points in settings.prefer]
    writer = csv.writer(handle)
    writer.writerow(["participant", "buddy", "score", *names, "proposed"])
    written = 0
    n_p, n_b = pool.shape
    for rows in row_blocks(n_p, n_b):
        block = score_block(pool, settings, rows)
        r, b = np.nonzero(block.eligible)
        p = block.rows[r]
        parts = pair_parts(pool, settings, p, b)
        scores = block.score[r, b]
        p_ids, b_ids = pool.participant_ids[p], pool.buddy_ids[b]
        for i in range(len(p)):
            pid, bid = int(p_ids[i]), int(b_ids[i])
            writer.writerow(
                [
                    csv_safe(public_ids.get(pid, pid)),
                    csv_safe(public_ids.get(bid, bid)),
                    f"{scores[i]:.1f}",
                    *(f"{parts[name][i]:.1f}" for name in names),
                    1 if assigned.get(pid) == bid else 0,
                ]
            )
        written += len(p)
    return written
