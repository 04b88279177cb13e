"""Webhooks against the reference peer: our receiver and the Fastify + pg peer in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buddy_bench \
        .venv/bin/python bench/peers/run.py

Runs bench/webhooks/run.py (ours: gunicorn, Django, our database) and
bench/peers/webhook-fastify/bench_peer.py (the peer: Node cluster, its own database) in
rounds of alternating order (round 1 ours then peer, round 2 peer then ours, …), each a
fresh process with the same environment, so the same load generator (the peer driver
imports run.py's), event mix, N and concurrency. Each writes its figures to a JSON file;
this prints them side by side with the ratio ours ÷ peer, then pgbench's single-row
INSERT rate once as the machine's reference.

Options (environment): everything run.py reads (BENCH_EVENTS, BENCH_CONCURRENCY,
BENCH_WORKERS, BENCH_THREADS, BENCH_BROKER, BENCH_SEED_PAIRS) applies to both sides where
it means something; BENCH_ROUNDS (default 2); PEER_DATABASE_URL (default: our database's
name + "_fastify" on the same server; created when missing, its tables re-created every
round); PEER_WORKERS (Node cluster workers, default 2); PEER_NODE / PEER_NPM (binaries).
Exit status 1 when a round failed or lost or duplicated anything.
"""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
OURS = ROOT / "bench" / "webhooks" / "run.py"
PEER = ROOT / "bench" / "peers" / "webhook-fastify" / "bench_peer.py"
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/buddy_bench")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))


def peer_database_url() -> str:
    if url := os.environ.get("PEER_DATABASE_URL"):
        return url
    url = urlparse(DATABASE_URL)
    return url._replace(path=f"/{url.path.lstrip('/')}_fastify").geturl()


def run_side(side: str, round_no: int, tmp: str) -> dict | None:
    """One side's benchmark as its own process; its figures (None when it crashed)."""
    out = Path(tmp) / f"{side}-{round_no}.json"
    env = {**os.environ, "BENCH_JSON": str(out), "BENCH_PGBENCH": "0"}
    env["DATABASE_URL"] = DATABASE_URL if side == "ours" else peer_database_url()
    print(f"\n── round {round_no}/{ROUNDS}: {side} " + "─" * 50, flush=True)
    script = OURS if side == "ours" else PEER
    code = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, check=False).returncode  # noqa: S603
    if not out.exists():
        print(f"{side}: no figures (exit status {code})")
        return None
    return json.loads(out.read_text())


def ratio(ours: float, peer: float) -> str:
    return f"{ours / peer:.2f}" if peer else "–"


ROWS = [  # label, figure, format
    ("events/s", "events_per_s", "{:.0f}"),
    ("latency p50 ms", "p50_ms", "{:.1f}"),
    ("latency p99 ms", "p99_ms", "{:.1f}"),
    ("server CPU ms per event", "server_cpu_ms", "{:.2f}"),
    ("PostgreSQL CPU ms per event", "db_cpu_ms", "{:.2f}"),
    ("CPU ms per event, both", "cpu_ms", "{:.2f}"),
    ("commits per event", "commits_per_event", "{:.2f}"),
]


def table(rounds: list[tuple[int, dict | None, dict | None]]) -> list[str]:
    head = ["figure"]
    for n, _, _ in rounds:
        head += [f"ours r{n}", f"peer r{n}", f"ours ÷ peer r{n}"]
    lines = [head]
    for label, key, fmt in ROWS:
        line = [label]
        for _, ours, peer in rounds:
            o = ours and (
                ours["server_cpu_ms"] + ours["db_cpu_ms"] if key == "cpu_ms" else ours[key]
            )
            p = peer and (
                peer["server_cpu_ms"] + peer["db_cpu_ms"] if key == "cpu_ms" else peer[key]
            )
            line += [
                fmt.format(o) if ours else "failed",
                fmt.format(p) if peer else "failed",
                ratio(o, p) if ours and peer else "–",
            ]
        lines.append(line)
    line = ["lost / duplicated"]
    for _, ours, peer in rounds:
        line += [f"{f['lost']} / {f['duplicated']}" if f else "failed" for f in (ours, peer)] + [""]
    lines.append(line)
    line = ["requests (codes)"]
    for _, ours, peer in rounds:
        line += [
            f"{f['requests']}: " + " ".join(f"{c}×{k}" for c, k in sorted(f["codes"].items()))
            if f
            else "failed"
            for f in (ours, peer)
        ] + [""]
    lines.append(line)
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in lines
    ]


def main() -> None:
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(1, ROUNDS + 1):
            order = ("ours", "peer") if n % 2 else ("peer", "ours")
            figures = {side: run_side(side, n, tmp) for side in order}
            rounds.append((n, figures["ours"], figures["peer"]))
    first = next((f for _, o, p in rounds for f in (o, p) if f), None)
    print("\n══ webhooks: ours against the reference peer (Fastify + pg), same run " + "═" * 20)
    if first:
        ours_server = rounds[0][1]["server"] if rounds[0][1] else "?"
        peer_server = rounds[0][2]["server"] if rounds[0][2] else "?"
        loads = ", ".join(f"{f['load_average']:.1f}" for _, o, p in rounds for f in (o, p) if f)
        print(
            f"{first['requests']} requests per side and round at concurrency "
            f"{os.environ.get('BENCH_CONCURRENCY', '8')}; ours: {ours_server}; "
            f"peer: {peer_server}; "
            f"order: r1 ours→peer, r2 peer→ours, …; load average (1 min) after each side: {loads}"
        )
    print("\n".join(table(rounds)))
    spec = importlib.util.spec_from_file_location("webhook_bench", OURS)
    wb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wb)
    if pg := wb.pgbench_inserts():
        print(
            f"pgbench single-row inserts at c={wb.CONCURRENCY} (reference, our database): "
            f"{pg:.0f} tps"
        )
    ok = all(f and f["lost"] == 0 and f["duplicated"] == 0 for _, o, p in rounds for f in (o, p))
    print("RESULT:", "OK (both sides: nothing lost or duplicated)" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
