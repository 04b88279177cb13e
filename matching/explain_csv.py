"""The audit export of a run: every eligible pair with its score and parts, as CSV."""

import numpy as np

from buddy.csv_output import csv_writer
from matching.engine.pool import Pool
from matching.engine.scoring import Settings, pair_parts, row_blocks, score_block


def write_explain_csv(
    handle, *, pool: Pool, settings: Settings, public_ids: dict[int, str], assigned: dict
) -> int:
    """Write one row per eligible pair (``assigned``: participant id → proposed buddy id);
    returns the number of pairs written. Scored block by block, so memory stays bounded."""
    names = [c.name for c, _points in settings.prefer]
    writer = csv_writer(handle)  # the app's one CSV writer: formulas neutralised
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
                    public_ids.get(pid, pid),
                    public_ids.get(bid, bid),
                    f"{scores[i]:.1f}",
                    *(f"{parts[name][i]:.1f}" for name in names),
                    1 if assigned.get(pid) == bid else 0,
                ]
            )
        written += len(p)
    return written
