"""The database set-up and timing the PostgreSQL benchmarks share (bench/recompute,
bench/health): a fresh database beside the one named, Django on it with its migrations,
each step timed with its Python and PostgreSQL backend CPU, and the reference line
(``SELECT count(*)`` over the activity tables) measured in the same run."""

import os
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

#: The tables of a year of activity (bench/recompute's generation).
ACTIVITY_TABLES = (
    "buddy_match",
    "buddy_informalevent",
    "buddy_checkin",
    "buddy_feedback",
    "buddy_skillsession",
    "buddy_eventattendance",
    "buddy_milestoneachievement",
)


def fresh_database(url: str, suffix: str) -> str:
    """Drop and create the database named by ``url`` + ``suffix``; its URL."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/") + suffix
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parsed._replace(path=f"/{name}"))


def with_suffix(url: str, suffix: str) -> str:
    """The URL of the database named by ``url`` + ``suffix`` (kept: ``--reuse``)."""
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=parsed.path.rstrip("/") + suffix))


def django_on(url: str) -> None:
    """Django set up on the database at ``url`` (test settings: tasks run inline) and
    migrated."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def backend_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend so far (when the server runs on
    this machine and its /proc is readable): on a shared machine the CPU times are the
    figure, wall times swing with the other load."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def timed(label: str, fn, results: dict, *, width: int = 48):
    """Run ``fn``, print its wall time beside the Python and backend CPU, keep the wall
    time in ``results[label]``; ``fn``'s value."""
    db_before, cpu_before = backend_cpu(), time.process_time()
    started = time.perf_counter()
    value = fn()
    results[label] = round(time.perf_counter() - started, 3)
    cpu = time.process_time() - cpu_before
    db_after = backend_cpu()
    db = f"{db_after - db_before:6.2f}" if db_before is not None else "     ?"
    line = f"{label:<{width}} {results[label]:>8.3f} s"
    print(f"{line}   (CPU: Python {cpu:5.2f} s, PostgreSQL {db} s)", flush=True)
    return value


def vacuum_and_checkpoint(results: dict) -> None:
    """``VACUUM ANALYZE``, then ``CHECKPOINT``: the load's dirty pages flushed now, so that
    the checkpoint they trigger does not run (and compete for the disk) in a measured step."""
    from django.db import connection

    with connection.cursor() as cur:
        timed("VACUUM ANALYZE", lambda: cur.execute("VACUUM ANALYZE"), results)
        timed("CHECKPOINT", lambda: cur.execute("CHECKPOINT"), results)


def reference(results: dict, *, width: int = 48) -> None:
    """The reference of the run: ``SELECT count(*)`` over the activity tables (sequential
    scans), once to warm the cache like the steps measured, then timed."""
    from django.db import connection

    def count_all():
        with connection.cursor() as cur:
            for table in ACTIVITY_TABLES:
                cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our tables)
                cur.fetchone()

    count_all()
    timed("reference: SELECT count(*) over activity tables", count_all, results, width=width)
