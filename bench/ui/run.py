"""Benchmark: server time of the coordinator UI's main pages on a program with ~100,000
matches (target: under 300 ms each; their query counts are constant, asserted in tests/ui).

Generates the data with bench/recompute's COPY generator (PEOPLE people, 60 % participants:
about one match per participant, a year of activity) into a fresh PostgreSQL database, keeps
the programs' attention items as the nightly recompute does, then renders each page
in-process through Django's test client as a superuser (session and middleware included, no
network), RUNS times after one warm-up, and prints the median and the queries of each page
beside the reference: the login page (a template, no data).

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/buddy_bench \
       .venv/bin/python bench/ui/run.py [--people 166667] [--runs 5] [--reuse]
The database named by DATABASE_URL gets the suffix ``_ui_api`` and is re-created
(``--reuse``: kept when it holds matches). bench/api imports ``seed`` for the same data;
bench/recompute keeps its own ``_recompute`` (its ``--reuse`` resets and times 100,000 people).
"""

import argparse
import importlib.util
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1].parent
sys.path.insert(0, str(ROOT))


#: The database of bench/ui's and bench/api's data (DATABASE_URL's name + this): not
#: bench/recompute's ``_recompute``, whose ``--reuse`` would then run on these 166,667 people.
SUFFIX = "_ui_api"


def _recompute_bench():
    spec = importlib.util.spec_from_file_location(
        "bench_recompute", ROOT / "bench/recompute/run.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed(url: str, *, people: int, reuse: bool) -> str:
    """The shared data set (bench/ui and bench/api): ``url``'s database name + ``_ui_api``,
    generated afresh (COPY, then VACUUM ANALYZE) unless ``reuse`` and it already holds the
    program's matches. Sets DATABASE_URL, sets Django up (DJANGO_SETTINGS_MODULE as the
    caller chose, else the test settings) and migrates; returns the database's URL."""
    generator = _recompute_bench()
    target = url.rstrip("/") + SUFFIX
    if not (reuse and _has_matches(target)):
        target = generator.fresh_database(url, SUFFIX)
        reuse = False
    os.environ["DATABASE_URL"] = target
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    if not reuse:
        now = datetime.now(UTC)
        started = time.perf_counter()
        with transaction.atomic():
            counts = generator.generate(people, now)
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
            cur.execute("CHECKPOINT")
        print(f"generated in {time.perf_counter() - started:.1f} s: {counts}", flush=True)
    _keep_attention_items()
    return target


def _keep_attention_items() -> None:
    """What the nightly recompute does: each program's attention items kept whole (those
    of a reused database are kept already)."""
    from django.db import connection

    from buddy.models import Program
    from enrollments.attention import attention_refresh
    from enrollments.models import AttentionQueueState

    for program in Program.objects.order_by("pk"):
        if AttentionQueueState.objects.filter(program=program).exists():
            continue
        started = time.perf_counter()
        kept = attention_refresh(program=program)
        print(
            f"{program.program_type}: attention items kept in "
            f"{time.perf_counter() - started:.1f} s: {kept}",
            flush=True,
        )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE enrollments_attentionentry")


def _has_matches(url: str) -> bool:
    """Whether the database exists and holds matches (a finished earlier generation)."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            return bool(conn.execute("SELECT EXISTS (SELECT FROM buddy_match)").fetchone()[0])
    except psycopg.Error:
        return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=166_667)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the data of the last run")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/buddy_bench")
    if not url.startswith("postgres"):
        sys.exit("bench/ui needs DATABASE_URL=postgres://…")
    seed(url, people=args.people, reuse=args.reuse)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from buddy.models import Match, User

    print(f"matches in the program: {Match.objects.filter(program__program_type='buddy').count()}")

    admin = User.objects.filter(username="bench").first() or User.objects.create_superuser(
        "bench",
        password="bench-only",  # noqa: S106
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    busy_match = Match.objects.filter(status="active").order_by("-id").first()
    pages = {
        "reference: login page": "/accounts/login/",
        "dashboard": "/?program=buddy",
        "needs attention": "/attention/",
        "participants": "/people/?role=participant",
        "buddies": "/people/?role=buddy",
        "person": f"/people/{busy_match.participant_id}/",
        "matches": "/matches/",
        "match": f"/matches/{busy_match.pk}/",
    }
    print(f"\n{'page':<24} {'median ms':>10} {'max ms':>8} {'queries':>8}")
    for label, path in pages.items():
        response = client.get(path)  # warm-up
        assert response.status_code == 200, (path, response.status_code)
        times = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
        print(
            f"{label:<24} {statistics.median(times):>10.0f} {max(times):>8.0f} {len(queries):>8}",
            flush=True,
        )


if __name__ == "__main__":
    main()
