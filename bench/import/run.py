"""Benchmark of the export import on PostgreSQL.

Generates one year of a medium program (2,400 users, 6,000 matches, 24,000 informal
events, 9,600 attendances, 6,000 skill sessions, 14,400 check-ins, 7,200 feedback,
4,800 milestones; ``--scale 10`` for ten times that), then times a first import and a
re-import with no changes, and reports the peak memory (RSS) of the process. The
reference figure is PostgreSQL's raw COPY of the same number of rows, measured in the
same run. The export is generated in a separate process first, so the peak memory is the
import's own; each import's CPU time (this process, not PostgreSQL's) is printed beside its
wall time, which on a shared machine says more than the wall time.

It creates (drops first) its own database ``<DATABASE_URL name>_import`` and migrates it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buddy_bench .venv/bin/python bench/import/run.py
    ... bench/import/run.py --scale 10 --form json
"""

import argparse
import io
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

TARGETS = {1: (5.0, 3.0), 10: (150.0, None)}  # scale → (first import s, re-import s)
MEMORY_TARGET_MB = 200


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _fresh_database(url: str) -> str:
    import psycopg

    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit("bench/import needs DATABASE_URL=postgres://…")
    name = f"{parsed.path.lstrip('/') or 'buddy_bench'}_import"
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parsed._replace(path=f"/{name}"))


def _in_child(function, *args):
    """``function(*args)`` in a fresh process (its memory is not counted as the import's)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def _migrate() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _generate(target: str, scale: float, form: str) -> int:
    """Write the export (in a child process: its memory is not the import's); its row count."""
    import django

    django.setup()
    from bench.exportgen import ProgramHistory

    history = ProgramHistory(scale=scale, seed=2025)
    history.write(target, form=form)
    return sum(history.metadata()["record_counts"].values())


def _copy_reference(rows: int) -> float:
    """Seconds PostgreSQL takes to COPY ``rows`` rows of a similar width (the reference)."""
    from django.db import connection

    buffer = io.StringIO()
    for i in range(rows):
        buffer.write(
            f"{i:08d}-0000-4000-8000-000000000000\t{i}\t2025-03-01T10:00:00Z\t"
            f'Coffee and a walk\tBerlin\t{{"language": "uk"}}\n'
        )
    data = buffer.getvalue()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_copy (id uuid PRIMARY KEY, n integer, at timestamptz, "
            "description text, location text, criteria jsonb)"
        )
        started = time.perf_counter()
        with cursor.cursor.copy("COPY bench_copy FROM STDIN") as copy:
            copy.write(data)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--form", choices=["folder", "zip", "json"], default="folder")
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/buddy_bench")
    os.environ["DATABASE_URL"] = _fresh_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ.pop("CELERY_BROKER_URL", None)  # tasks (recompute) run in-process

    import django

    django.setup()
    from buddy.models import Program, ProgramType
    from webhooks.imports.pipeline import BATCH_SIZE, import_export

    _in_child(_migrate)
    program = Program.objects.get(program_type=ProgramType.BUDDY)
    batch_size = args.batch_size or BATCH_SIZE

    with tempfile.TemporaryDirectory() as tmp:
        target = (
            Path(tmp) / {"folder": "export", "zip": "export.zip", "json": "export.json"}[args.form]
        )
        started = time.perf_counter()
        rows = _in_child(_generate, str(target), args.scale, args.form)
        generated = time.perf_counter() - started
        size_mb = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file()) / 2**20

        reference = _copy_reference(rows)
        memory_before = _peak_mb()

        started, cpu = time.perf_counter(), time.process_time()
        first = import_export(path=target, program=program, batch_size=batch_size)
        first_s, first_cpu = time.perf_counter() - started, time.process_time() - cpu
        memory_first = _peak_mb()

        started, cpu = time.perf_counter(), time.process_time()
        again = import_export(path=target, program=program, batch_size=batch_size)
        again_s, again_cpu = time.perf_counter() - started, time.process_time() - cpu
        memory_peak = _peak_mb()

    def totals(report, key):
        return sum(c[key] for c in report.entities.values())

    first_target, again_target = TARGETS.get(round(args.scale), (None, None))
    print(f"Import benchmark: scale {args.scale:g}, form {args.form}, batch {batch_size}")
    print(f"  load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"  export: {rows:,} rows, {size_mb:.1f} MiB on disk, generated in {generated:.1f} s")
    print(
        f"  reference: PostgreSQL COPY of {rows:,} rows: {reference:.2f} s "
        f"({rows / reference:,.0f} rows/s)"
    )
    print(
        f"  first import: {first_s:.1f} s ({rows / first_s:,.0f} rows/s, "
        f"{first_s / reference:.0f}x COPY; CPU {first_cpu:.1f} s); "
        f"created {totals(first, 'created'):,}, "
        f"rejected {totals(first, 'rejected'):,}"
        + (f"  [target < {first_target:.0f} s]" if first_target else "")
    )
    print(
        f"  re-import:    {again_s:.1f} s ({rows / again_s:,.0f} rows/s; CPU {again_cpu:.1f} s); "
        f"unchanged {totals(again, 'unchanged'):,}, updated {totals(again, 'updated'):,}, "
        f"created {totals(again, 'created'):,}"
        + (f"  [target < {again_target:.0f} s]" if again_target else "")
    )
    print(
        f"  peak RSS: {memory_peak:.0f} MB (before importing {memory_before:.0f} MB, "
        f"after the first import {memory_first:.0f} MB; the import's own "
        f"+{memory_peak - memory_before:.0f} MB)  [target < {MEMORY_TARGET_MB} MB]"
    )
    if totals(again, "unchanged") != totals(first, "created") + totals(first, "updated") + totals(
        first, "unchanged"
    ):
        sys.exit("re-import did not report every row unchanged")


if __name__ == "__main__":
    main()
