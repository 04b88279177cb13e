"""The Django bench's load generator, pointed at the Fastify peer.

Imports the project's bench/webhooks/run.py (PEER_BENCH_MODULE, default ../../webhooks/run.py
next to this file) as a module and reuses, unchanged, its
make_events, send_all/_post (the asyncio keep-alive client, same signing code),
cpu_seconds/cpu_spent, backend_pids, commits, percentile and pgbench_inserts; main() below
follows run.main() step by step with the Django-specific parts (migrate, seed through the
services, gunicorn, recompute drain) replaced by the peer's (schema.sql, plain INSERTs,
node cluster). Run with the app's venv python; DATABASE_URL must name the peer's own
database (created when missing; schema.sql drops and re-creates its tables on every run).
`npm ci` runs first when node_modules is missing or older than package-lock.json (PEER_NODE,
PEER_NPM: the binaries; default from PATH, then /usr/bin). BENCH_JSON / BENCH_PGBENCH as in
run.py. bench/peers/run.py runs this and run.py in alternating rounds and prints the ratio.
"""

import asyncio
import importlib.util
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

NODE_DIR = Path(__file__).resolve().parent
BENCH = Path(
    os.environ.get("PEER_BENCH_MODULE", NODE_DIR.parents[1] / "webhooks" / "run.py")
).resolve()
spec = importlib.util.spec_from_file_location("webhook_bench", BENCH)
wb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wb)

import psycopg  # noqa: E402  (the app venv's)

WORKERS = int(os.environ.get("PEER_WORKERS", "2"))
RECOMPUTE = os.environ.get("PEER_RECOMPUTE", "0") == "1"


def binary(name: str) -> str:
    found = os.environ.get(f"PEER_{name.upper()}") or shutil.which(name) or f"/usr/bin/{name}"
    if not Path(found).exists():
        raise SystemExit(
            f"{name} not found (Node 20 is needed for the peer; set PEER_{name.upper()})"
        )
    return found


def npm_ci() -> None:
    """Install the peer's locked dependencies when node_modules is missing or stale."""
    stamp = NODE_DIR / "node_modules" / ".package-lock.json"
    lock = NODE_DIR / "package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    print("peer: npm ci …", flush=True)
    subprocess.run(  # noqa: S603 - fixed argv
        [binary("npm"), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=NODE_DIR,
        check=True,
    )


def ensure_database() -> None:
    wb.ensure_database()  # creates peer_bench when missing (same code as the bench)
    with psycopg.connect(wb.DATABASE_URL, autocommit=True) as conn:
        conn.execute((NODE_DIR / "schema.sql").read_text())


def reset_and_seed() -> list[dict]:
    """300 people pairs, the first 150 matched (as run.reset_and_seed does)."""
    start = datetime.now(UTC) - timedelta(days=60)
    pairs = []
    with psycopg.connect(wb.DATABASE_URL) as conn:
        for i in range(wb.PAIRS):
            ids = {k: str(uuid.uuid4()) for k in ("participant", "buddy", "match")}
            pk = {}
            for role in ("participant", "buddy"):
                pk[role] = conn.execute(
                    "INSERT INTO people (external_id, role, created_at)"
                    " VALUES (%s, %s, %s) RETURNING id",
                    [ids[role], role, start - timedelta(days=5)],
                ).fetchone()[0]
            if i < wb.PAIRS // 2:
                conn.execute(
                    "INSERT INTO matches (external_id, participant_id, buddy_id, status,"
                    " matched_at, source, created_at, updated_at)"
                    " VALUES (%s, %s, %s, 'active', %s, 'import', now(), now())",
                    [ids["match"], pk["participant"], pk["buddy"], start],
                )
            pairs.append(ids)
        conn.commit()
    return pairs


def start_node(port: int, log_path: str, log) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": wb.DATABASE_URL,
        "BUDDY_WEBHOOK_SECRET": wb.SECRET,
        "PEER_PORT": str(port),
        "PEER_WORKERS": str(WORKERS),
        "PEER_LOG": log_path,
        "PEER_RECOMPUTE": "1" if RECOMPUTE else "0",
        "NODE_ENV": "production",
    }
    proc = subprocess.Popen(  # noqa: S603
        [binary("node"), str(NODE_DIR / "server.js")],
        cwd=NODE_DIR,
        env=env,
        start_new_session=True,
        stderr=log,
        stdout=log,
    )
    for _ in range(150):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    time.sleep(0.5)  # both workers listening
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("node peer did not start")


TABLES = {
    "buddy.checkin.completed": "checkins",
    "buddy.feedback.submitted": "feedback",
    "buddy.event.logged": "informal_events",
    "buddy.event.attended": "attendances",
    "buddy.skill_share.completed": "skill_sessions",
    "buddy.milestone.reached": "milestones",
    "buddy.match.created": "matches",
}


def verify(events: list[dict]) -> dict:
    """run.verify's counts, on the peer's tables."""
    expected: dict[str, int] = {}
    for e in events:
        expected[e["type"]] = expected.get(e["type"], 0) + 1
    with psycopg.connect(wb.DATABASE_URL, autocommit=True) as conn:
        stored = dict(
            conn.execute("SELECT event_type, count(*) FROM webhook_events GROUP BY 1").fetchall()
        )
        processed = conn.execute(
            "SELECT count(*) FROM webhook_events WHERE status = 'processed'"
        ).fetchone()[0]
        rows = {
            t: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
            for t, table in TABLES.items()
        }
        deliveries = dict(
            conn.execute("SELECT status, count(*) FROM webhook_deliveries GROUP BY 1").fetchall()
        )
        queued = conn.execute("SELECT count(*) FROM pending_recompute").fetchone()[0]
    rows["buddy.match.created"] -= wb.PAIRS // 2
    lost = sum(max(0, expected[t] - rows.get(t, 0)) for t in expected)
    duplicated = sum(max(0, rows.get(t, 0) - expected[t]) for t in expected)
    return {
        "events_stored": sum(stored.values()),
        "events_processed": processed,
        "expected": len(events),
        "lost": lost + (len(events) - processed),
        "duplicated": duplicated + max(0, sum(stored.values()) - len(events)),
        "deliveries": deliveries,
        "recompute_rows": queued,
    }


def write_figures(**figures) -> None:
    """The figures as JSON to BENCH_JSON (when set), the same keys as run.write_figures."""
    if path := os.environ.get("BENCH_JSON"):
        Path(path).write_text(json.dumps(figures))


def main() -> None:
    npm_ci()
    ensure_database()
    print(f"peer setup: {wb.PAIRS} pairs, {wb.PAIRS // 2} matches …", flush=True)
    pairs = reset_and_seed()
    # from here on: run.main() verbatim (event mix, duplicates, order)
    rng = random.Random(42)
    events = wb.make_events(pairs, wb.EVENTS, rng)
    deliveries = [(json.dumps(e).encode(), str(uuid.uuid4())) for e in events]
    head, tail = deliveries[: wb.PAIRS // 2], deliveries[wb.PAIRS // 2 :]
    rng.shuffle(tail)
    repeats = [
        (body, str(uuid.uuid4()))
        for body, _ in rng.sample(tail, int(len(tail) * wb.DUPLICATE_SHARE))
    ]
    tail += repeats
    rng.shuffle(tail)

    port = wb.free_port()
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "node.err", "w+") as err:
        log_path = str(Path(tmp) / "peer.log")
        server = start_node(port, log_path, err)
        try:
            asyncio.run(wb.send_all(port, head))
            pids = wb.server_pids(server)
            server_before, db_before = wb.cpu_seconds(pids), wb.cpu_seconds(wb.backend_pids())
            commits_before, cpu_client = wb.commits(), time.process_time()
            latencies, codes, elapsed = asyncio.run(wb.send_all(port, tail))
            cpu_client = time.process_time() - cpu_client
            cpu_server = wb.cpu_spent(server_before, wb.cpu_seconds(pids))
            cpu_db = wb.cpu_spent(db_before, wb.cpu_seconds(wb.backend_pids()))
            commits_per_event = (wb.commits() - commits_before) / len(tail)
            n_backends = len(wb.backend_pids())
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        time.sleep(0.3)
        with open(log_path) as f:
            log_lines = sum(1 for line in f if '"webhook.delivery"' in line)
        err.seek(0)
        stderr_text = err.read().strip()

    result = verify(events)
    rate = len(tail) / elapsed
    pg = wb.pgbench_inserts() if os.environ.get("BENCH_PGBENCH", "1") != "0" else None
    ms = [v * 1000 for v in latencies]
    print()
    load = os.getloadavg()
    n = len(tail)
    write_figures(
        server=f"node {WORKERS} workers", requests=n, seconds=elapsed,
        codes={str(k): v for k, v in codes.items()}, events_per_s=rate,
        p50_ms=wb.percentile(ms, 50), p95_ms=wb.percentile(ms, 95), p99_ms=wb.percentile(ms, 99),
        max_ms=max(ms), server_cpu_ms=cpu_server / n * 1e3, db_cpu_ms=cpu_db / n * 1e3,
        client_cpu_ms=cpu_client / n * 1e3, commits_per_event=commits_per_event,
        log_lines=log_lines, lost=result["lost"], duplicated=result["duplicated"],
        load_average=load[0],
    )  # fmt: skip
    print(
        f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f}; "
        f"node cluster workers: {WORKERS} (Fastify + pg, {n_backends} backends); concurrency: "
        f"{wb.CONCURRENCY}; recompute-queue insert: {'on' if RECOMPUTE else 'off'}"
    )
    print(f"requests: {len(tail)} ({len(repeats)} duplicates) in {elapsed:.1f} s; codes: {codes}")
    print(f"throughput: {rate:.0f} events/s")
    print(
        f"latency ms: p50 {wb.percentile(ms, 50):.1f}  p95 {wb.percentile(ms, 95):.1f}  "
        f"p99 {wb.percentile(ms, 99):.1f}  max {max(ms):.1f}"
    )
    print(
        f"CPU ms per event: node {cpu_server / n * 1e3:.2f}, PostgreSQL backends "
        f"{cpu_db / n * 1e3:.2f}, load generator {cpu_client / n * 1e3:.2f}; "
        f"commits per event {commits_per_event:.2f}; CPU-bound ceiling ≈ "
        f"{(os.cpu_count() or 2) / ((cpu_server + cpu_db) / n):.0f} events/s"
    )
    print(f"log: {log_lines} JSON delivery lines for {len(head) + len(tail)} requests")
    if stderr_text:
        print("node stderr:", stderr_text[:2000])
    print(f"verification: {result}")
    if pg:
        print(
            f"pgbench single-row inserts at c={wb.CONCURRENCY}: {pg:.0f} tps; "
            f"webhook events/s ÷ insert tps = {rate / pg:.3f}"
        )
    ok = result["lost"] == 0 and result["duplicated"] == 0
    print("RESULT:", "OK (nothing lost or duplicated)" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
