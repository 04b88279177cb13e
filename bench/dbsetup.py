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


def backend_pid() -> int:
    """The process id of this connection's PostgreSQL backend."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


def backend_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend so far (when the server runs on
    this machine and its /proc is readable): on a shared machine the CPU times are the
    figure, wall times swing with the other load."""
    try:
        fields = Path(f"/proc/{backend_pid()}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def cpu_wait(pid: int | str) -> float | None:
    """Seconds the task ``pid`` (``"self"``: this process's main thread) has spent so far
    runnable but waiting for a CPU (``/proc/<pid>/schedstat``, its second field: the
    run-queue wait in nanoseconds); ``None`` where it cannot be read. On the shared
    machine this is how much of a step's wall time was other processes' turn."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


#: Per label of ``timed``: the seconds its step waited for a CPU, (Python's main thread,
#: the backend); ``None`` where not readable.
WAITS: dict[str, tuple[float | None, float | None]] = {}


def _delta(after, before):
    return None if after is None or before is None else after - before


def _figure(value: float | None) -> str:
    return "    ?" if value is None else f"{value:5.2f}"


def timed(label: str, fn, results: dict, *, width: int = 48):
    """Run ``fn``, print its wall time beside the Python and backend CPU and how long each
    waited for a CPU (run-queue wait), keep the wall time in ``results[label]`` and the
    waits in ``WAITS[label]``; ``fn``'s value."""
    pid = backend_pid()
    db_before, cpu_before = backend_cpu(), time.process_time()
    py_wait_before, db_wait_before = cpu_wait("self"), cpu_wait(pid)
    started = time.perf_counter()
    value = fn()
    results[label] = round(time.perf_counter() - started, 3)
    py_wait, db_wait = (
        _delta(cpu_wait("self"), py_wait_before),
        _delta(cpu_wait(pid), db_wait_before),
    )
    cpu = time.process_time() - cpu_before
    db = _delta(backend_cpu(), db_before)
    WAITS[label] = (py_wait, db_wait)
    line = f"{label:<{width}} {results[label]:>8.3f} s"
    print(
        f"{line}   (CPU: Python {cpu:5.2f} s, PostgreSQL {_figure(db)} s;"
        f" waited for a CPU: Python {_figure(py_wait)} s, PostgreSQL {_figure(db_wait)} s)",
        flush=True,
    )
    return value


def vacuum_and_checkpoint(results: dict) -> None:
    """``VACUUM (FREEZE, ANALYZE)``, then ``CHECKPOINT``: every page of the load frozen and
    all-visible now (so that the first measured step does not pay the hint-bit and
    visibility writes of reading fresh rows), and the dirty pages flushed now, so that
    the checkpoint they trigger does not run (and compete for the disk) in a measured
    step."""
    from django.db import connection

    with connection.cursor() as cur:
        timed("VACUUM (FREEZE, ANALYZE)", lambda: cur.execute("VACUUM (FREEZE, ANALYZE)"), results)
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
