"""Webhook receiver benchmark: signed events of mixed types against gunicorn on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buddy_bench \
        .venv/bin/python bench/webhooks/run.py

Sets up the database (migrate, people and matches the events name), starts gunicorn with the
production settings, sends N signed events of mixed types (5 % of them a second time under a
new delivery id) at concurrency C from an asyncio + httpx load generator, then reports
events/s and latency percentiles, verifies by counting rows that nothing was lost or
duplicated, and measures PostgreSQL's own single-row insert rate with pgbench at the same
concurrency for comparison.

Options (environment): BENCH_EVENTS (N, default 6000), BENCH_CONCURRENCY (C, default 16),
BENCH_WORKERS (gunicorn workers, default 2 × cores + 1), BENCH_BROKER (Celery broker for the
tasks the processing enqueues; default redis://127.0.0.1:6379/3, "" = run them in-process).
"""

import asyncio
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
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 2) + 1)))
BROKER = os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/3")
SECRET = "whsec_bench_secret"  # noqa: S105 - the benchmark's own throwaway secret
PAIRS = 300
DUPLICATE_SHARE = 0.05

ENV = {
    **os.environ,
    "DATABASE_URL": DATABASE_URL,
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "bench-only-secret-key",
    "BUDDY_WEBHOOK_SECRET": SECRET,
    "DJANGO_CONN_MAX_AGE": "60",
    "DJANGO_LOG_LEVEL": "WARNING",
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

    from buddy.schemas import MatchCreatedRecord, UserRecord
    from buddy.services.matches import match_record_created
    from buddy.services.people import person_record
    from enrollments.models import Program

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


def start_gunicorn(port: int, metrics_dir: str) -> subprocess.Popen:
    env = {**ENV, "PROMETHEUS_MULTIPROC_DIR": metrics_dir}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own venv
        [gunicorn, "config.wsgi", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
         "--backlog", "2048", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    import httpx

    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


async def send_all(port: int, deliveries: list[tuple[bytes, str]]) -> tuple[list, dict, float]:
    import httpx

    from webhooks.signature import signature_header

    latencies: list[float] = []
    codes: dict[int, int] = {}
    queue: asyncio.Queue = asyncio.Queue()
    for item in deliveries:
        queue.put_nowait(item)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)

    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60
    ) as client:

        async def worker():
            while not queue.empty():
                body, delivery_id = queue.get_nowait()
                headers = {
                    "X-Buddy-Signature": signature_header(SECRET, body),
                    "X-Delivery-Id": delivery_id,
                    "Content-Type": "application/json",
                }
                for attempt in range(3):  # a sender retries a failed delivery
                    started = time.perf_counter()
                    response = await client.post(
                        "/webhooks/buddy-events", content=body, headers=headers
                    )
                    latencies.append(time.perf_counter() - started)
                    codes[response.status_code] = codes.get(response.status_code, 0) + 1
                    if response.status_code < 500 or attempt == 2:
                        break

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return latencies, codes, elapsed


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
    with tempfile.TemporaryDirectory() as metrics_dir:
        server = start_gunicorn(port, metrics_dir)
        try:
            # match.created first (the activities name those matches only as weak refs)
            asyncio.run(send_all(port, head))
            latencies, codes, elapsed = asyncio.run(send_all(port, tail))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    if BROKER:
        from config.celery_app import app

        app.conf.broker_url = BROKER
        with app.connection_for_write() as conn:
            purged = app.control.purge(connection=conn)
        print(f"purged {purged} enqueued tasks (recomputes run on a worker in production)")

    result = verify(events)
    rate = len(tail) / elapsed
    pg = pgbench_inserts()
    ms = [v * 1000 for v in latencies]
    print()
    print(f"machine: {os.cpu_count()} cores; gunicorn sync workers: {WORKERS}; "
          f"concurrency: {CONCURRENCY}; broker: {BROKER or 'none (tasks in-process)'}")  # fmt: skip
    print(f"requests: {len(tail)} ({len(repeats)} duplicates) in {elapsed:.1f} s; codes: {codes}")
    print(f"throughput: {rate:.0f} events/s")
    print(f"latency ms: p50 {percentile(ms, 50):.1f}  p95 {percentile(ms, 95):.1f}  "
          f"p99 {percentile(ms, 99):.1f}  max {max(ms):.1f}")  # fmt: skip
    print(f"verification: {result}")
    if pg:
        print(f"pgbench single-row inserts at c={CONCURRENCY}: {pg:.0f} tps; "
              f"webhook events/s ÷ insert tps = {rate / pg:.3f}")  # fmt: skip
    ok = result["lost"] == 0 and result["duplicated"] == 0
    print("RESULT:", "OK (nothing lost or duplicated)" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
