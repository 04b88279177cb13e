"""Webhook receiver benchmark: signed events of mixed types against gunicorn on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buddy_bench \
        .venv/bin/python bench/webhooks/run.py

Sets up the database (migrate, people and matches the events name), starts gunicorn with the
production settings, sends N signed events of mixed types (5 % of them a second time under a
new delivery id) at concurrency C from an asyncio keep-alive load generator, then reports
events/s and latency percentiles, verifies by counting rows that nothing was lost or
duplicated, and measures PostgreSQL's own single-row insert rate with pgbench at the same
concurrency for comparison.

Options (environment): BENCH_EVENTS (N, default 6000), BENCH_CONCURRENCY (C, default 8),
BENCH_WORKERS (gunicorn worker processes, default = 2 × cores), BENCH_THREADS (threads per
worker, default 2; 1 = sync workers), BENCH_BROKER (Celery broker for the recompute-drain
requests; default redis://127.0.0.1:6379/3, "" = run them in-process), BENCH_SEED_PAIRS,
BENCH_JSON (also write the figures to this file, for bench/peers/run.py), BENCH_PGBENCH
(default 1; 0 = skip the pgbench reference).
After the run it drains the enrollment recompute queue the
events filled, as the worker would, and reports the time.

The load generator is a raw asyncio HTTP/1.1 keep-alive client (no HTTP library: it must
not take the CPU the server needs); its own CPU time is reported. So are the CPU seconds
the gunicorn workers and their PostgreSQL backends spent per event (from /proc) and the
commits per event (pg_stat_database), which say what bounds the throughput.
"""

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/buddy_bench")
EVENTS = int(os.environ.get("BENCH_EVENTS", "6000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
# Two processes per core, two threads each: a thread waiting on PostgreSQL leaves the
# process's GIL to the other; more threads per process queue up behind the GIL.
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 2))))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
#: "gunicorn" (what ``make serve`` runs), "granian" (Rust HTTP server, WSGI interface:
#: BENCH_WORKERS processes × BENCH_THREADS blocking threads) or "uwsgi" (C server, pyuwsgi's
#: wheel; HTTP/1.1 keep-alive socket, BENCH_WORKERS processes × BENCH_THREADS threads), to
#: compare them. Neither granian nor uwsgi is a dependency: put it on PYTHONPATH.
SERVER = os.environ.get("BENCH_SERVER", "gunicorn")
BROKER = os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/3")
SECRET = "whsec_bench_secret"  # noqa: S105 - the benchmark's own throwaway secret
PAIRS = int(os.environ.get("BENCH_SEED_PAIRS", "300"))
DUPLICATE_SHARE = 0.05

ENV = {
    **os.environ,
    "DATABASE_URL": DATABASE_URL,
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    # production refuses short keys (config/settings/production.py); throwaway, bench only
    "DJANGO_SECRET_KEY": "bench-only-" + "k3y-Zq8vWm2Rt7Lp4Hx9Nc6Bd1Fg5Js0Ya" * 2,
    "BUDDY_WEBHOOK_SECRET": SECRET,
    "DJANGO_CONN_MAX_AGE": "3600",  # persistent: no reconnects during the run
    "DJANGO_LOG_LEVEL": "INFO",  # as in production: one JSON line per delivery
    "CELERY_BROKER_URL": BROKER,
}


def ensure_database() -> None:
    import psycopg

    url = urlparse(DATABASE_URL)
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django():
    os.environ.update({k: v for k, v in ENV.items() if k != "CELERY_BROKER_URL"})
    os.environ["CELERY_BROKER_URL"] = ""  # setup runs its tasks in-process
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def reset_and_seed() -> list[dict]:
    """Clear earlier runs and create the people and matches the events name."""
    from django.db import connection

    from buddy.models import Program
    from buddy.schemas import MatchCreatedRecord, UserRecord
    from buddy.services.matches import match_record_created
    from buddy.services.people import person_record

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE webhooks_webhookevent, webhooks_webhookdelivery, webhooks_eventreference,"
            " webhooks_webhookconflict, buddy_person, buddy_externalid, buddy_match,"
            " buddy_matchtransition, buddy_informalevent, buddy_eventattendance,"
            " buddy_skillsession, buddy_checkin, buddy_feedback, buddy_milestoneachievement,"
            " enrollments_enrollment, enrollments_enrollmentstatuschange CASCADE"
        )
    program = Program.objects.get(program_type="buddy")
    start = datetime.now(UTC) - timedelta(days=60)
    pairs = []
    for i in range(PAIRS):
        ids = {k: str(uuid.uuid4()) for k in ("participant", "buddy", "match")}
        for role in ("participant", "buddy"):
            person_record(
                record=UserRecord(
                    id=ids[role], email=f"{ids[role]}@bench.example", first_name="B",
                    last_name="N", role=role, joined_at=start - timedelta(days=5),
                ),
                program=program,
            )  # fmt: skip
        if i < PAIRS // 2:  # the other half is matched by the benchmark's match.created
            match_record_created(
                record=MatchCreatedRecord(
                    match_id=ids["match"], participant_id=ids["participant"],
                    buddy_id=ids["buddy"], matched_at=start,
                ),
                program=program,
            )  # fmt: skip
        pairs.append(ids)
    return pairs


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def make_events(pairs: list[dict], n: int, rng: random.Random) -> list[dict]:
    """Mixed types; match.created for the unmatched half first, then activities."""
    at = datetime.now(UTC) - timedelta(days=30)
    events = []

    def event(event_type: str, data: dict) -> dict:
        return {
            "id": str(uuid.uuid4()), "version": "v1", "timestamp": iso(at),
            "type": event_type, "data": data,
        }  # fmt: skip

    for ids in pairs[PAIRS // 2 :]:
        events.append(event("buddy.match.created", {
            "matchId": ids["match"], "participantId": ids["participant"],
            "buddyId": ids["buddy"], "matchedAt": iso(at - timedelta(days=1)),
        }))  # fmt: skip
    kinds = [
        "buddy.checkin.completed", "buddy.feedback.submitted", "buddy.event.logged",
        "buddy.event.attended", "buddy.skill_share.completed", "buddy.milestone.reached",
    ]  # fmt: skip
    while len(events) < n:
        ids = pairs[rng.randrange(PAIRS // 2)]  # matches that exist from the start
        kind = rng.choice(kinds)
        uid = str(uuid.uuid4())
        data = {
            "buddy.checkin.completed": {
                "checkinId": uid, "matchId": ids["match"], "checkinDate": iso(at), "mood": "good",
                "notes": "Doing fine.",
            },
            "buddy.feedback.submitted": {
                "feedbackId": uid, "matchId": ids["match"], "fromRole": "participant",
                "rating": 0.8, "submittedAt": iso(at), "categories": {"communication": 0.9},
            },
            "buddy.event.logged": {
                "eventId": uid, "matchId": ids["match"], "eventType": "hangout",
                "eventDate": iso(at), "durationMinutes": 90,
                "attendees": [ids["participant"], ids["buddy"]],
            },
            "buddy.event.attended": {
                "eventId": uid, "userId": ids["participant"], "matchId": ids["match"],
                "eventTitle": "Cooking night", "eventType": "cultural",
                "eventFormat": "in-person", "attendedAt": iso(at), "sdgGoals": [10, 11],
            },
            "buddy.skill_share.completed": {
                "sessionId": uid, "skillId": 12, "skillName": "CV Writing",
                "teacherId": ids["buddy"], "learnerId": ids["participant"],
                "matchId": ids["match"], "completedAt": iso(at),
                "feedback": {"learnerRating": 0.9},
            },
            "buddy.milestone.reached": {
                "milestoneId": rng.randrange(1, 10**9), "userId": ids["participant"],
                "milestoneTitle": "First Match", "milestoneCategory": "buddy-connection",
                "reachedAt": iso(at), "points": 50,
            },
        }[kind]  # fmt: skip
        events.append(event(kind, data))
    return events


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_argv(port: int) -> list[str]:
    if SERVER == "granian":
        return [
            sys.executable, "-m", "granian", "--interface", "wsgi",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS),
            "--blocking-threads", str(THREADS), "--backlog", "2048", "--no-ws",
            "--log-level", "warning", "config.wsgi:application",
        ]  # fmt: skip
    if SERVER == "uwsgi":
        threads = ["--threads", str(THREADS), "--enable-threads"] if THREADS > 1 else []
        return [
            sys.executable, "-c", "import sys, pyuwsgi; sys.argv[0] = 'uwsgi'; pyuwsgi.run()",
            "--http11-socket", f"127.0.0.1:{port}", "--module", "config.wsgi:application",
            "--master", "--lazy-apps", "--processes", str(WORKERS), *threads, "--listen", "1024",
            "--disable-logging", "--die-on-term", "--need-app",
        ]  # fmt: skip
    # gthread: keep-alive connections and a few requests in flight per process while
    # others wait on PostgreSQL; sync workers (BENCH_THREADS=1) close every connection.
    kind = ["-k", "gthread", "--threads", str(THREADS)] if THREADS > 1 else ["-k", "sync"]
    return [
        str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "-w", str(WORKERS),
        *kind, "-b", f"127.0.0.1:{port}", "--backlog", "2048", "--keep-alive", "30",
        "--log-level", "warning",
    ]  # fmt: skip


def start_gunicorn(port: int, metrics_dir: str, log) -> subprocess.Popen:
    """The web server (gunicorn, or BENCH_SERVER) on ``port``; the app's log lines (JSON,
    one per delivery) go to ``log``."""
    env = {**ENV, "PROMETHEUS_MULTIPROC_DIR": metrics_dir}
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own venv
        server_argv(port), cwd=ROOT, env=env, start_new_session=True, stderr=log
    )
    for _ in range(600):  # up to 2 min: a loaded machine starts 4 Django processes slowly
        if proc.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    log.seek(0)
    raise SystemExit(f"{SERVER} did not start:\n{log.read()[-2000:]}")


def cpu_seconds(pids) -> dict[int, float]:
    """User + system CPU seconds of each of these processes so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return seconds


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two snapshots; a process that appeared in between counts whole."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def server_pids(server: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [server.pid, *map(int, children)]


def stop_leftovers(pids: list[int], seconds: float = 10.0) -> None:
    """End the server's workers that outlived its SIGTERM (granian's did)."""
    deadline = time.monotonic() + seconds
    while (alive := [p for p in pids if Path(f"/proc/{p}").exists()]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def backend_pids() -> list[int]:
    """PostgreSQL backends connected to the benchmark database (the workers' connections)."""
    import psycopg

    name = urlparse(DATABASE_URL).path.lstrip("/")
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchall()
    return [pid for (pid,) in rows]


def commits() -> int:
    import psycopg

    name = urlparse(DATABASE_URL).path.lstrip("/")
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [name]
        ).fetchone()[0]


#: The tables the receiver updates per event (its HOT-update share is reported).
HOT_TABLES = ("webhooks_webhookevent", "webhooks_webhookdelivery")


def updates() -> dict[str, tuple[int, int]]:
    """(updates, HOT updates) so far of each of ``HOT_TABLES`` (pg_stat_user_tables)."""
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = conn.execute(
            "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"
            " WHERE relname = ANY(%s)",
            [list(HOT_TABLES)],
        ).fetchall()
    return {name: (upd, hot) for name, upd, hot in rows}


def hot_share(before: dict, after: dict) -> dict[str, str]:
    """Per table: "HOT updates / updates" between two ``updates()`` snapshots."""
    out = {}
    for name in HOT_TABLES:
        upd = after.get(name, (0, 0))[0] - before.get(name, (0, 0))[0]
        hot = after.get(name, (0, 0))[1] - before.get(name, (0, 0))[1]
        out[name.removeprefix("webhooks_webhook")] = f"{hot} / {upd}"
    return out


async def _post(conn, port: int, body: bytes, delivery_id: str):
    """One POST on a keep-alive connection (reopened when the server closes it)."""
    from webhooks.signature import signature_header

    head = (
        f"POST /webhooks/buddy-events HTTP/1.1\r\nHost: localhost\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"X-Buddy-Signature: {signature_header(SECRET, body)}\r\n"
        f"X-Delivery-Id: {delivery_id}\r\n\r\n"
    ).encode()
    if conn[0] is None:
        conn[:] = await asyncio.open_connection("127.0.0.1", port)
    reader, writer = conn
    writer.write(head + body)
    status_line = await reader.readline()
    if not status_line:  # closed between requests: reconnect once
        conn[:] = await asyncio.open_connection("127.0.0.1", port)
        return await _post(conn, port, body, delivery_id)
    length, close = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            close = True
    await reader.readexactly(length)
    if close:
        writer.close()
        conn[:] = [None, None]
    return int(status_line.split()[1])


async def send_all(port: int, deliveries: list[tuple[bytes, str]]) -> tuple[list, dict, float]:
    latencies: list[float] = []
    codes: dict[int, int] = {}
    queue: asyncio.Queue = asyncio.Queue()
    for item in deliveries:
        queue.put_nowait(item)

    async def worker():
        conn = [None, None]
        while not queue.empty():
            body, delivery_id = queue.get_nowait()
            for attempt in range(3):  # a sender retries a failed delivery
                started = time.perf_counter()
                code = await _post(conn, port, body, delivery_id)
                latencies.append(time.perf_counter() - started)
                codes[code] = codes.get(code, 0) + 1
                if code < 500 or attempt == 2:
                    break
        if conn[1] is not None:
            conn[1].close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return latencies, codes, time.perf_counter() - started


def pgbench_inserts() -> float | None:
    """PostgreSQL's single-row INSERT rate (autocommit) at the same concurrency."""
    binary = shutil.which("pgbench") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None
    )
    if not binary:
        print("pgbench not found (apt-get install postgresql-contrib): no reference figure")
        return None
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_single_insert "
            "(id bigserial PRIMARY KEY, event_id uuid UNIQUE, payload jsonb)"
        )
        conn.execute("TRUNCATE bench_single_insert")
    url = urlparse(DATABASE_URL)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(
            "INSERT INTO bench_single_insert (event_id, payload) "
            'VALUES (gen_random_uuid(), \'{"type": "bench"}\');\n'
        )
    cmd = [
        str(binary), "-n", "-c", str(CONCURRENCY), "-j", "2", "-T", "10", "-f", script.name,
        "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432),
        "-U", url.username or "postgres", url.path.lstrip("/"),
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout  # noqa: S603 - fixed argv
    os.unlink(script.name)
    for line in out.splitlines():
        if line.startswith("tps ="):
            return float(line.split()[2])
    print("pgbench output not understood:\n" + out)
    return None


def verify(events: list[dict]) -> dict:
    from django.db.models import Count

    from buddy.models import (
        CheckIn,
        EventAttendance,
        Feedback,
        InformalEvent,
        Match,
        MilestoneAchievement,
        SkillSession,
    )
    from webhooks.models import EventStatus, WebhookEvent

    expected: dict[str, int] = {}
    for e in events:
        expected[e["type"]] = expected.get(e["type"], 0) + 1
    stored = dict(WebhookEvent.objects.values_list("event_type").annotate(n=Count("id")))
    processed = WebhookEvent.objects.filter(status=EventStatus.PROCESSED).count()
    rows = {
        "buddy.checkin.completed": CheckIn.objects.count(),
        "buddy.feedback.submitted": Feedback.objects.count(),
        "buddy.event.logged": InformalEvent.objects.count(),
        "buddy.event.attended": EventAttendance.objects.count(),
        "buddy.skill_share.completed": SkillSession.objects.count(),
        "buddy.milestone.reached": MilestoneAchievement.objects.count(),
        "buddy.match.created": Match.objects.count() - PAIRS // 2,
    }
    lost = sum(max(0, expected[t] - rows.get(t, 0)) for t in expected)
    duplicated = sum(max(0, rows.get(t, 0) - expected[t]) for t in expected)
    return {
        "events_stored": sum(stored.values()),
        "events_processed": processed,
        "expected": len(events),
        "lost": lost + (len(events) - processed),
        "duplicated": duplicated + max(0, sum(stored.values()) - len(events)),
    }


def drain_recompute_queue() -> tuple[int, float]:
    """What the worker does after the run: drain the enrollment recompute queue."""
    from buddy.models import PendingRecompute
    from enrollments.services import enrollments_recompute_pending

    queued = PendingRecompute.objects.count()
    started = time.perf_counter()
    while enrollments_recompute_pending():
        pass
    return queued, time.perf_counter() - started


def write_figures(*, server, n, elapsed, codes, ms, cpu_server, cpu_db, cpu_client,
                  commits_per_event, log_lines, result, hot) -> None:  # fmt: skip
    """The figures as JSON to BENCH_JSON (when set): bench/peers/run.py prints them side by side."""
    path = os.environ.get("BENCH_JSON")
    if not path:
        return
    figures = {
        "server": server, "requests": n, "seconds": elapsed,
        "codes": {str(k): v for k, v in codes.items()}, "events_per_s": n / elapsed,
        "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99), "max_ms": max(ms),
        "server_cpu_ms": cpu_server / n * 1e3, "db_cpu_ms": cpu_db / n * 1e3,
        "client_cpu_ms": cpu_client / n * 1e3, "commits_per_event": commits_per_event,
        "log_lines": log_lines, "lost": result["lost"], "duplicated": result["duplicated"],
        "load_average": os.getloadavg()[0], "hot_updates": hot,
    }  # fmt: skip
    Path(path).write_text(json.dumps(figures))


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 10) - 1] if len(values) > 1 else values[0]


def main() -> None:
    ensure_database()
    setup_django()
    print(f"setup: {PAIRS} pairs, {PAIRS // 2} matches …", flush=True)
    pairs = reset_and_seed()
    rng = random.Random(42)
    events = make_events(pairs, EVENTS, rng)
    deliveries = [(json.dumps(e).encode(), str(uuid.uuid4())) for e in events]
    head, tail = deliveries[: PAIRS // 2], deliveries[PAIRS // 2 :]
    rng.shuffle(tail)
    repeats = [
        (body, str(uuid.uuid4())) for body, _ in rng.sample(tail, int(len(tail) * DUPLICATE_SHARE))
    ]
    tail += repeats
    rng.shuffle(tail)

    port = free_port()
    with (
        tempfile.TemporaryDirectory() as metrics_dir,
        open(Path(metrics_dir) / "app.log", "w+") as log,
    ):
        server = start_gunicorn(port, metrics_dir, log)
        try:
            # match.created first (the activities name those matches only as weak refs)
            asyncio.run(send_all(port, head))
            pids = server_pids(server)
            server_before, db_before = cpu_seconds(pids), cpu_seconds(backend_pids())
            commits_before, cpu_client = commits(), time.process_time()
            updates_before = updates()
            latencies, codes, elapsed = asyncio.run(send_all(port, tail))
            cpu_client = time.process_time() - cpu_client
            cpu_server = cpu_spent(server_before, cpu_seconds(pids))
            cpu_db = cpu_spent(db_before, cpu_seconds(backend_pids()))
            commits_per_event = (commits() - commits_before) / len(tail)
            time.sleep(0.6)  # pg_stat counters are flushed up to 0.5 s late
            hot = hot_share(updates_before, updates())
        finally:
            workers = server_pids(server)[1:]
            # uwsgi's master takes SIGTERM as "reload gracefully"; SIGINT ends it at once
            os.killpg(server.pid, signal.SIGINT if SERVER == "uwsgi" else signal.SIGTERM)
            server.wait(timeout=30)
            stop_leftovers(workers)
        log.seek(0)
        log_lines = sum(1 for line in log if '"webhook.delivery"' in line)
    if BROKER:
        from config.celery_app import app

        app.conf.broker_url = BROKER
        with app.connection_for_write() as conn:
            purged = app.control.purge(connection=conn)
        print(f"purged {purged} enqueued drain requests (a worker runs them in production)")
    drained, drain_seconds = drain_recompute_queue()

    result = verify(events)
    rate = len(tail) / elapsed
    pg = pgbench_inserts() if os.environ.get("BENCH_PGBENCH", "1") != "0" else None
    ms = [v * 1000 for v in latencies]
    print()
    load = os.getloadavg()
    write_figures(
        server=f"{SERVER} {WORKERS} × {THREADS}", n=len(tail), elapsed=elapsed, codes=codes,
        ms=ms, cpu_server=cpu_server, cpu_db=cpu_db, cpu_client=cpu_client,
        commits_per_event=commits_per_event, log_lines=log_lines, result=result, hot=hot,
    )  # fmt: skip
    kind = f"gthread × {THREADS} threads" if THREADS > 1 else "sync"
    if SERVER == "granian":
        kind = f"granian WSGI × {THREADS} blocking threads"
    elif SERVER == "uwsgi":
        kind = f"uwsgi × {THREADS} threads"
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f}; "
          f"gunicorn workers: {WORKERS} ({kind}); concurrency: {CONCURRENCY}; "
          f"broker: {BROKER or 'none (tasks in-process)'}")  # fmt: skip
    print(f"requests: {len(tail)} ({len(repeats)} duplicates) in {elapsed:.1f} s; codes: {codes}")
    print(f"throughput: {rate:.0f} events/s")
    print(f"latency ms: p50 {percentile(ms, 50):.1f}  p95 {percentile(ms, 95):.1f}  "
          f"p99 {percentile(ms, 99):.1f}  max {max(ms):.1f}")  # fmt: skip
    n = len(tail)
    print(f"CPU ms per event: gunicorn {cpu_server / n * 1e3:.1f}, PostgreSQL backends "
          f"{cpu_db / n * 1e3:.1f}, load generator {cpu_client / n * 1e3:.1f}; "
          f"commits per event {commits_per_event:.2f}; CPU-bound ceiling ≈ "
          f"{(os.cpu_count() or 2) / ((cpu_server + cpu_db) / n):.0f} events/s")  # fmt: skip
    print(f"HOT updates / updates during the run: {hot}")
    print(f"recompute queue: {drained} rows (the events' people) drained in {drain_seconds:.2f} s "
          f"= {drain_seconds / n * 1e3:.2f} ms per event on the worker")  # fmt: skip
    print(f"log: {log_lines} JSON delivery lines for {len(head) + len(tail)} requests")
    print(f"verification: {result}")
    if pg:
        print(f"pgbench single-row inserts at c={CONCURRENCY}: {pg:.0f} tps; "
              f"webhook events/s ÷ insert tps = {rate / pg:.3f}")  # fmt: skip
    ok = result["lost"] == 0 and result["duplicated"] == 0
    print("RESULT:", "OK (nothing lost or duplicated)" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
