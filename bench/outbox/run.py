"""Outbox benchmark: 10,000 match changes → every event delivered to a local receiver.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buddy_bench .venv/bin/python bench/outbox/run.py

Uses its own database (``<name>_outbox``, recreated each run). Creates BENCH_MATCHES active
matches (setup, not timed), starts a Standard Webhooks receiver on 127.0.0.1 (the tests'
receiver: every request verified with the ``standardwebhooks`` package, counted by
``webhook-id``) and one subscriber, then the writer processes make BENCH_CHANGES match
changes (pause / re-activate, one transaction each, through ``match_transition``, as the
API would; BENCH_WRITERS processes, default 2, each on its own matches) while BENCH_RELAYS
relay processes run ``relay_run`` in a loop (what the worker does when woken on commit and
beat every few seconds). The receiver is down for
BENCH_DOWN seconds once 30 % of the changes are written: those deliveries fail and are
retried on a compressed schedule (1, 2, 3, 5 … s instead of 5 s, 5 min …; printed).

Then the relays' own rate: BENCH_BACKLOG (10,000) events committed at once, the relays
started, timed until the receiver has all of them (lost / duplicated checked again).

Reports: time from the first change until every event was delivered, time from the last
commit until then, deliveries/s, attempts that failed, and zero lost or duplicated
(every event id received exactly once with a valid signature). Reference, same run: the
receiver's own rate for plain POSTs from 8 threads (what the relay could reach at most).
Each change also publishes ``enrollment.status_changed`` events only when a status changes
(none here: the people stay active), so events = changes.
"""

import multiprocessing
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.dbsetup import fresh_database, with_suffix  # noqa: E402 - after the path

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/buddy_bench")
DATABASE_URL = with_suffix(BASE_URL, "_outbox")
MATCHES = int(os.environ.get("BENCH_MATCHES", "2000"))
CHANGES = int(os.environ.get("BENCH_CHANGES", "10000"))
RELAYS = int(os.environ.get("BENCH_RELAYS", "2"))
WRITERS = int(os.environ.get("BENCH_WRITERS", "2"))
DOWN = float(os.environ.get("BENCH_DOWN", "5"))
BACKLOG = int(os.environ.get("BENCH_BACKLOG", "10000"))
SCHEDULE = [1, 2, 3, 5, 5, 5, 5, 5, 5]

os.environ.update(
    DATABASE_URL=DATABASE_URL,
    DJANGO_SETTINGS_MODULE="config.settings.local",
    DJANGO_DEBUG="false",
    DJANGO_LOG_LEVEL="WARNING",
    CELERY_BROKER_URL="memory://",  # wake-ups go nowhere: the relay processes poll
    OUTBOUND_WEBHOOK_ALLOWED_NETWORKS="127.0.0.1/32",
    DJANGO_CONN_MAX_AGE="3600",
)


def setup_django():
    import django

    django.setup()
    from django.conf import settings

    settings.OUTBOUND_WEBHOOKS = {**settings.OUTBOUND_WEBHOOKS, "RETRY_SCHEDULE_SECONDS": SCHEDULE}
    settings.LOGGING_CONFIG = None


def seed() -> list[int]:
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from buddy.models import (
        DataSource,
        Enrollment,
        Match,
        MatchStatus,
        Person,
        Program,
        ProgramType,
        Role,
    )

    program = Program.objects.get(program_type=ProgramType.BUDDY)
    now = timezone.now()
    people = Person.objects.bulk_create(
        Person(
            role=Role.PARTICIPANT if i % 2 == 0 else Role.BUDDY,
            first_name="P",
            last_name=str(i),
            email=f"p{i}@bench.invalid",
            joined_at=now,
            capacity=1,
        )
        for i in range(MATCHES * 2)
    )
    matches = Match.objects.bulk_create(
        Match(
            program=program,
            participant=people[2 * i],
            buddy=people[2 * i + 1],
            status=MatchStatus.ACTIVE,
            matched_at=now,
            source=DataSource.WEBHOOK,
        )
        for i in range(MATCHES)
    )
    # Everybody enrolled already: a change publishes its match event only (events = changes).
    Enrollment.objects.bulk_create(
        Enrollment(person=p, program=program, enrolled_at=now, status="active") for p in people
    )
    return [m.pk for m in matches]


def writer(match_ids: list[int], changes: int, written, go) -> None:
    """``changes`` status changes of these matches, one transaction each; ``written``
    counts them (all writers)."""
    setup_django()
    go.wait()
    from buddy.models import Match, MatchStatus
    from buddy.services.matches import match_transition

    S = MatchStatus
    for i in range(changes):
        match = Match(pk=match_ids[i % len(match_ids)])
        to = S.INACTIVE if (i // len(match_ids)) % 2 == 0 else S.ACTIVE
        match_transition(match=match, to_status=to, via="coordinator")
        with written.get_lock():
            written.value += 1


def relay(stop) -> None:
    setup_django()
    from django.db import connection

    from webhooks.relay import relay_run

    while not stop.is_set():
        result = relay_run()
        if not result.sent and not result.published:
            time.sleep(0.05)
    connection.close()


def reference_rate(receiver) -> float:
    """Plain POSTs to the receiver from 8 threads, a new connection each (the receiver
    closes after every answer, as it does for the relay): what delivery could reach."""
    import httpx

    n, threads = 2000, 8
    body = b'{"type":"reference"}'
    done = [0] * threads

    def post(k: int) -> None:
        with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0)) as client:
            for _ in range(n // threads):
                try:
                    client.post(receiver.url, content=body)
                    done[k] += 1
                except httpx.HTTPError:
                    pass

    started = time.monotonic()
    workers = [threading.Thread(target=post, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(done) / (time.monotonic() - started)


def main() -> None:
    fresh_database(BASE_URL, "_outbox")
    setup_django()
    from django.db import connection

    from tests.webhooks.receiver import Receiver
    from webhooks import outbound

    match_ids = seed()
    connection.close()
    # Processes first: a fork after the receiver started would inherit its listening
    # socket and keep the port open while the receiver is "down".
    ctx = multiprocessing.get_context("fork")
    written, stop, go = ctx.Value("i", 0), ctx.Event(), ctx.Event()
    relays = [ctx.Process(target=relay, args=(stop,)) for _ in range(RELAYS)]
    # Each writer changes its own matches (no lock waits between writers).
    writers = [
        ctx.Process(target=writer, args=(match_ids[k::WRITERS], CHANGES // WRITERS, written, go))
        for k in range(WRITERS)
    ]
    for p in [*relays, *writers]:
        p.start()

    receiver = Receiver().start()
    port = receiver.server.server_address[1]
    reference = reference_rate(receiver)
    receiver.requests.clear()
    _, receiver.secret = outbound.endpoint_create(url=receiver.url, description="bench")
    connection.close()
    started = time.monotonic()
    go.set()

    while written.value < CHANGES * 0.3:
        time.sleep(0.05)
    receiver.stop()  # the receiver goes down …
    down_at = time.monotonic()
    time.sleep(DOWN)
    # … and comes back on the same port, keeping its counts.
    receiver = Receiver(
        secret=receiver.secret, requests=receiver.requests, lock=receiver.lock
    ).start(port=port)
    up_at = time.monotonic()
    for p in writers:
        p.join()
    last_commit = time.monotonic()
    deadline = last_commit + 600
    while len(receiver.by_id()) < CHANGES and time.monotonic() < deadline:
        time.sleep(0.05)
    done = time.monotonic()
    stop.set()
    for p in relays:
        p.join()
    receiver.stop()

    from django.db.models import Count, Q

    from core.models import OutboxEvent
    from webhooks.models import OutboundAttempt

    counts = receiver.by_id()
    events = set(map(str, OutboxEvent.objects.values_list("id", flat=True)))
    lost = len(events - set(counts))
    duplicated = sum(1 for n in counts.values() if n > 1)
    attempts = OutboundAttempt.objects.aggregate(
        n=Count("id"), failed=Count("id", filter=~Q(error=""))
    )
    total = done - started
    print(f"changes written: {CHANGES} ({WRITERS} writer processes, {RELAYS} relay processes)")
    print(f"receiver down {up_at - down_at:.1f} s after {int(CHANGES * 0.3)} changes")
    print(f"retry schedule for the run (s): {SCHEDULE}")
    writing = last_commit - started
    print(f"writes took: {writing:.1f} s ({CHANGES / writing:.0f} changes/s)")
    print(f"all delivered: {total:.1f} s after the first change,", end=" ")
    print(f"{done - last_commit:.1f} s after the last commit")
    print(f"deliveries/s: {len(counts) / total:.0f}")
    print(f"attempts: {attempts['n']} ({attempts['failed']} failed while the receiver was down)")
    print(f"events {len(events)}, received {len(counts)}, lost {lost}, duplicated {duplicated}")
    print(f"reference: receiver alone, plain POSTs from 8 threads: {reference:.0f} requests/s")
    backlog_ok = backlog_phase(ctx, receiver.secret, port)
    if lost or duplicated or len(events) != CHANGES or not backlog_ok:
        sys.exit(1)


def backlog_phase(ctx, secret: str, port: int) -> bool:
    """The relays' own rate: BENCH_BACKLOG events committed at once (bulk, not timed), then
    the relays started and timed until the receiver has every one, exactly once."""
    from django.db import connection, transaction

    from core import outbox
    from core.models import OutboxEvent
    from tests.webhooks.receiver import Receiver

    data = OutboxEvent.objects.order_by("occurred_at").first().data
    for start in range(0, BACKLOG, 1000):
        with transaction.atomic():
            outbox.publish_many(
                outbox.Event(outbox.MATCH_PAUSED, data, data["programId"])
                for _ in range(min(1000, BACKLOG - start))
            )
    ids = set(map(str, OutboxEvent.objects.unpublished().values_list("id", flat=True)))
    connection.close()
    receiver = Receiver(secret=secret).start(port=port)
    stop = ctx.Event()
    relays = [ctx.Process(target=relay, args=(stop,)) for _ in range(RELAYS)]
    started = time.monotonic()
    for p in relays:
        p.start()
    deadline = started + 600
    while len(receiver.by_id().keys() & ids) < len(ids) and time.monotonic() < deadline:
        time.sleep(0.02)
    took = time.monotonic() - started
    stop.set()
    for p in relays:
        p.join()
    receiver.stop()
    counts = receiver.by_id()
    lost = len(ids - counts.keys())
    duplicated = sum(1 for n in counts.values() if n > 1)
    print(
        f"backlog: {len(ids)} committed events, {RELAYS} relays started: all delivered in", end=" "
    )
    print(
        f"{took:.1f} s = {len(ids) / took:.0f} deliveries/s; lost {lost}, duplicated {duplicated}"
    )
    return not lost and not duplicated


if __name__ == "__main__":
    main()
