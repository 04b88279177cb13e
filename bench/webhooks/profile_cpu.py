"""CPU profile of the webhook request path in-process (issue 23: where the time goes).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buddy_bench BENCH_SEED_PAIRS=40 \
        BENCH_EVENTS=600 .venv/bin/python bench/webhooks/profile_cpu.py [out.prof]

The production WSGI application (every middleware, the view, the services, psycopg,
logging to a file, the real broker as under gunicorn) called directly with run.py's
seeding, event mix, signing and duplicates, no HTTP server. It prints the CPU time per
request of a plain pass, then profiles a second pass with cProfile on the thread's CPU
clock (so the machine's load does not count as time; cProfile's overhead inflates
call-heavy code, so read the shares, not the milliseconds) and prints the exclusive CPU
share by layer. Compare the plain figure with run.py's "gunicorn CPU ms per event": the
difference is the HTTP server, its threads and processes. It resets the database like
run.py (use the benchmark's database, never one with data you keep); BENCH_BROKER's
queue is purged at the end.
"""

import collections
import cProfile
import importlib.util
import io
import json
import logging
import os
import pstats
import random
import sys
import time
import uuid
from pathlib import Path

spec = importlib.util.spec_from_file_location("webhook_bench", Path(__file__).with_name("run.py"))
wb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wb)

LAYERS = [  # first match wins: (part of the file name, layer)
    ("psycopg", "psycopg"), ("django/db/models", "Django ORM"),
    ("django/db/backends", "Django DB backend wrapper"), ("django/db/transaction", "Django atomic"),
    ("asgiref", "asgiref (connection handler locals)"), ("django/middleware", "middleware"),
    ("django/contrib", "middleware"), ("whitenoise", "middleware"), ("axes", "middleware"),
    ("django_htmx", "middleware"),
    ("django/", "Django request cycle (handlers, urls, http, signals)"),
    ("logging/", "logging"), ("config/log_format", "logging"), ("json/", "json"),
    ("prometheus_client", "metrics"), ("pydantic", "validation"), ("hmac", "signature"),
    ("celery", "Celery"), ("kombu", "Celery"), ("redis", "Celery"), ("webhooks/", "app: webhooks"),
    ("buddy/", "app: buddy"), ("enrollments/", "app: enrollments"), ("core/", "app: core"),
]  # fmt: skip


def layer(filename: str) -> str:
    if filename == "~":
        return "builtins (C calls)"
    return next((name for part, name in LAYERS if part in filename), "other Python")


def main() -> None:
    wb.ensure_database()
    os.environ.update(wb.ENV)  # as gunicorn gets it: production settings, the real broker
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.core.wsgi import get_wsgi_application

    from config.celery_app import app as celery_app
    from webhooks.signature import signature_header

    pairs = wb.reset_and_seed()
    rng = random.Random(42)
    events = wb.make_events(pairs, wb.EVENTS, rng)
    deliveries = [(json.dumps(e).encode(), str(uuid.uuid4())) for e in events]
    head, tail = deliveries[: wb.PAIRS // 2], deliveries[wb.PAIRS // 2 :]
    rng.shuffle(tail)
    tail += [
        (body, str(uuid.uuid4()))
        for body, _ in rng.sample(tail, int(len(tail) * wb.DUPLICATE_SHARE))
    ]
    rng.shuffle(tail)
    application = get_wsgi_application()
    sink = open(os.devnull, "w")  # noqa: SIM115 - the app's log lines, written as in production
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)
    codes: dict[str, int] = {}

    def post(body: bytes, delivery_id: str) -> None:
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": "/webhooks/buddy-events", "SCRIPT_NAME": "",
            "QUERY_STRING": "", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
            "HTTP_HOST": "localhost", "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
            "HTTP_X_BUDDY_SIGNATURE": signature_header(wb.SECRET, body),
            "HTTP_X_DELIVERY_ID": delivery_id, "wsgi.input": io.BytesIO(body),
        }  # fmt: skip
        status = []
        response = application(environ, lambda s, h, exc_info=None: status.append(s))
        b"".join(response)
        response.close()
        codes[status[0][:3]] = codes.get(status[0][:3], 0) + 1

    for body, delivery_id in [*head, *tail[:50]]:  # warm: lazy imports, prepared statements
        post(body, delivery_id)
    work = tail[50:]
    cpu, wall = time.thread_time(), time.perf_counter()
    for body, delivery_id in work:
        post(body, delivery_id)
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    print(f"plain pass: {len(work)} requests, {cpu / len(work) * 1e3:.2f} ms CPU per request "
          f"in-process (wall {wall / len(work) * 1e3:.2f} ms)")  # fmt: skip

    more = wb.make_events(pairs, len(work) + wb.PAIRS // 2, random.Random(7))
    second = [
        (json.dumps(e).encode(), str(uuid.uuid4()))
        for e in more
        if e["type"] != "buddy.match.created"
    ]
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    for body, delivery_id in second:
        post(body, delivery_id)
    profile.disable()
    with celery_app.connection_for_write() as conn:
        celery_app.control.purge(connection=conn)
    print(f"answers: {codes}")
    stats = pstats.Stats(profile)
    if len(sys.argv) > 1:
        stats.dump_stats(sys.argv[1])
    total = stats.total_tt
    print(f"profiled pass: {len(second)} requests, {total / len(second) * 1e3:.2f} ms CPU per "
          "request under cProfile; exclusive share by layer:")  # fmt: skip
    shares: collections.Counter = collections.Counter()
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
        shares[layer(filename)] += tottime
    for name, seconds in shares.most_common():
        print(f"  {seconds / total * 100:5.1f} %  {name}")
    statements = sum(
        v[1]
        for (f, _, name), v in stats.stats.items()
        if "psycopg/cursor.py" in f and name == "execute"
    )
    print(f"statements (psycopg Cursor.execute) per request: {statements / len(second):.1f}")


if __name__ == "__main__":
    main()
