"""Benchmark: match health recompute beside the journey-flag recompute, the score's
separation of outcomes (AUC), and the free-text analyser's throughput.

1. Recompute: the data of ``bench/recompute`` (PEOPLE people, a year of activity, COPY
   into a fresh PostgreSQL database), then the program's set-based journey recompute
   (``recompute_set_based``) and the set-based health recompute (``health.recompute``)
   timed separately, first run and steady state; reference: ``SELECT count(*)`` over the
   activity tables, in the same run. Target: both together under 6 s at 100,000 people.
2. AUC: ENDED generated matches, half ``completed`` and half ended early, each with the
   facts a match has four weeks before its end. The planted signal: early endings drift
   (contact gaps grow, moods and ratings fall) with noise so that the classes overlap;
   completed matches stay around their level. AUC = P(score of a completed match > score
   of an early one), computed with ``enrollments.health.derive`` on those facts.
3. Analyser: texts/s of ``LexiconAnalyser`` (language detection included) over the demo's
   texts (``enrollments.demo.content``), repeated.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/buddy_bench \
       .venv/bin/python bench/health/run.py [--people 100000]
       [--reuse [--database <db>_recompute]]   (bench/recompute's data, generated once)
"""

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "recompute"))


ACTIVITY_TABLES = (
    "buddy_match",
    "buddy_informalevent",
    "buddy_checkin",
    "buddy_feedback",
    "buddy_skillsession",
    "buddy_eventattendance",
)


def backend_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend so far (when the server runs on
    this machine and its /proc is readable), so that a noisy machine's figures can be read
    as CPU time as well as wall time."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def timed(label, fn, results):
    db_before, cpu_before = backend_cpu(), time.process_time()
    started = time.perf_counter()
    value = fn()
    results[label] = round(time.perf_counter() - started, 3)
    cpu = time.process_time() - cpu_before
    db_after = backend_cpu()
    db = f"{db_after - db_before:6.2f}" if db_before is not None else "     ?"
    print(
        f"{label:<52} {results[label]:>8.3f} s   (CPU: Python {cpu:5.2f} s, PostgreSQL {db} s)",
        flush=True,
    )
    return value


def auc(positives: list[float], negatives: list[float]) -> float:
    """Mann-Whitney: the share of (positive, negative) pairs ranked right (ties half)."""
    wins = 0.0
    for p in positives:
        for n in negatives:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(positives) * len(negatives))


def planted_facts(rng: random.Random, *, early: bool, now: datetime):
    from enrollments.health import HealthFacts

    drift = rng.uniform(0.3, 1.0) if early else rng.uniform(-0.2, 0.3)  # overlap on purpose
    moods = ["great", "good", "okay", "struggling", "difficult"]

    def mood(level):  # 0 best … 4 worst, with noise
        return moods[max(0, min(4, round(level + rng.gauss(0, 0.9))))]

    base = rng.uniform(0.5, 2.0)
    facts = HealthFacts(id=0, matched_at=now - timedelta(days=rng.randint(60, 200)))
    facts.last_contact_at = now - timedelta(days=max(0, rng.gauss(5 + 20 * drift, 6)))
    facts.contacts_recent = max(0, round(rng.gauss(8 - 6 * drift, 2)))
    facts.moods = [mood(base + 2 * drift) for _ in range(3)] + [mood(base) for _ in range(3)]
    rating = max(0.0, min(1.0, rng.gauss(0.8 - 0.4 * drift, 0.15)))
    earlier = max(0.0, min(1.0, rng.gauss(0.8, 0.15)))
    facts.feedback = {"participant": [(rating, rating, None, None), (earlier, None, None, None)]}
    facts.last_feedback_at = now - timedelta(days=max(0, rng.gauss(20 + 30 * drift, 15)))
    facts.milestones = max(0, round(rng.gauss(2 - drift, 1)))
    return facts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--ended", type=int, default=2_000)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database of a previous run (no generation; the first run is then "
        "steady state unless its health rows are deleted first, which this does)",
    )
    parser.add_argument(
        "--database",
        help="with --reuse: the database to reuse by name (e.g. bench/recompute's "
        "<db>_recompute) instead of <db>_health_recompute",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/buddy_bench")
    if not url.startswith("postgres"):
        sys.exit("bench/health needs DATABASE_URL=postgres://…")
    import run as recompute_bench  # bench/recompute/run.py

    if args.reuse and args.database:
        os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + args.database
    elif args.reuse:
        os.environ["DATABASE_URL"] = url + "_health_recompute"
    else:
        os.environ["DATABASE_URL"] = recompute_bench.fresh_database(url + "_health")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from buddy.models import Program
    from enrollments import health
    from enrollments.demo import content as demo
    from enrollments.recompute_sql import planner_session, recompute_set_based
    from enrollments.text_analysis import LexiconAnalyser

    call_command("migrate", verbosity=0)
    now = datetime.now(UTC)
    results: dict = {}
    if args.reuse:  # back to the state after generation: no flags, no health yet
        now = recompute_bench.reset_generated()  # and the generation's clock
    else:
        with transaction.atomic():
            timed("generate (COPY)", lambda: recompute_bench.generate(args.people, now), results)
            recompute_bench.remember_now(now)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
        cur.execute("CHECKPOINT")

    def count_all():
        with connection.cursor() as cur:
            for table in ACTIVITY_TABLES:
                cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our tables)

    count_all()
    timed("reference: SELECT count(*) over activity tables", count_all, results)
    program = Program.objects.get(program_type="buddy")
    for run in ("first run", "steady state"):
        # The planner settings of the program-wide run (enrollments_recompute_program),
        # once for both steps: JIT off, work_mem raised.
        with transaction.atomic(), planner_session():
            journey_s = timed(
                f"journey flags (set-based), {run}",
                lambda: recompute_set_based(program_id=program.pk, now=now),
                results,
            )
            del journey_s
            scored = timed(
                f"match health (set-based), {run}",
                lambda: health.recompute(program=program, now=now),
                results,
            )
        total = (
            results[f"journey flags (set-based), {run}"]
            + results[f"match health (set-based), {run}"]
        )
        print(f"{'  together (target < 6 s)':<52} {total:>8.3f} s   {scored}", flush=True)

    # What the nightly run does: both in one transaction, the contact facts aggregated once
    # (rc_match_facts kept for health on PostgreSQL).
    from enrollments.services import enrollments_recompute_program

    timed(
        "both via enrollments_recompute_program, steady",
        lambda: enrollments_recompute_program(program=program, now=now),
        results,
    )

    rng = random.Random(21)
    c = health.conf(program)
    completed = [health.derive(planted_facts(rng, early=False, now=now), c=c, now=now).score
                 for _ in range(args.ended // 2)]  # fmt: skip
    early = [health.derive(planted_facts(rng, early=True, now=now), c=c, now=now).score
             for _ in range(args.ended // 2)]  # fmt: skip
    print(
        f"{'AUC four weeks before the end (completed vs early)':<52} {auc(completed, early):>8.3f}"
    )
    print(f"{'  reference: AUC of a random score':<52} {0.5:>8.3f}")

    texts = [t for t in demo.CHECKIN_NOTES + demo.EVENT_NOTES if t] * 50
    analyser = LexiconAnalyser()
    started = time.perf_counter()
    for text in texts:
        analyser.analyse(text)
    elapsed = time.perf_counter() - started
    print(
        f"{'analyser (lexicon + langdetect), demo texts':<52} {len(texts) / elapsed:>8.0f} texts/s"
    )


if __name__ == "__main__":
    main()
