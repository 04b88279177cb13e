"""Benchmark: match recommendations (scoring, assignment, storing proposals).

Generates programs with the demo's distributions (``enrollments/demo/content.py``: participants'
first languages and their second ones, buddies' German plus extra languages;
``buddy/factories.py`` INTERESTS and CITIES), buddies with capacity 2, and prints:

- top 5 for one participant in a 5,000 × 5,000 program (median over 25 participants),
  end to end (``recommend_for_participant``: database reads included) and the numpy part;
- the full run (``run_execute``: reading from PostgreSQL, scoring, assignment,
  why-not-matched, storing the proposals in bulk) at 2,000², 5,000² and 10,000 × 5,000;
- the process's peak memory (max RSS);
- references measured in the same run: the exact optimum (dense scipy
  ``linear_sum_assignment`` over capacity-expanded columns) at 2,000² and the run's
  share of it; a naive baseline (a Python loop over pairs + greedy assignment) at
  1,000² with the ratio of times and greedy's share of the optimum.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/buddy_match \
       .venv/bin/python bench/matching/run.py [--sizes 2000x2000,5000x5000,10000x5000]
The database named by DATABASE_URL gets the suffix ``_matching`` and is re-created.
"""

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.dbsetup import fresh_database  # noqa: E402 - after the path

CAPACITY = 2
TARGETS = {"top5_ms": 50, "run_10000x5000_s": 3.0, "share_of_optimum": 0.999, "peak_mb": 1024}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- People with the demo's distributions -------------------------------------------------


def generate_people(n_participants: int, n_buddies: int, seed: int):
    """(participants, buddies) as dicts: languages, interests, location, waiting days."""
    from buddy.factories import CITIES, INTERESTS
    from enrollments.demo.common import weighted
    from enrollments.demo.content import BUDDY_EXTRA_LANGUAGES, PARTICIPANT_ORIGINS

    rng = random.Random(seed)
    participants, buddies = [], []
    for _ in range(n_participants):
        language = weighted(rng, [(lang, w) for lang, w, _locale in PARTICIPANT_ORIGINS])
        languages = [language]
        if language == "uk" and rng.random() < 0.6:
            languages.append("ru")
        languages += [lang for lang in ("en", "de") if rng.random() < 0.4]
        participants.append(
            {
                "languages": languages,
                "interests": rng.sample(INTERESTS, rng.randint(1, 4)),
                "location": rng.choice(CITIES),
                "waiting_days": rng.randint(0, 400),
            }
        )
    for _ in range(n_buddies):
        extra = rng.sample(BUDDY_EXTRA_LANGUAGES, rng.choice([0, 1, 1, 2]))
        buddies.append(
            {
                "languages": list(dict.fromkeys(["de", *extra])),
                "interests": rng.sample(INTERESTS, rng.randint(2, 5)),
                "location": rng.choice(CITIES),
            }
        )
    return participants, buddies


def person_rows(participants, buddies):
    from matching.engine.pool import PersonRow

    return (
        [PersonRow(id=i + 1, **p) for i, p in enumerate(participants)],
        [PersonRow(id=100_000 + i, capacity=CAPACITY, **b) for i, b in enumerate(buddies)],
    )


def load_program(participants, buddies, now: datetime) -> None:
    """Replace the buddy program's people with these (COPY), enrolled and waiting."""
    from django.db import connection, transaction

    from buddy.models import Program

    program_id = Program.objects.get(program_type="buddy").pk
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "TRUNCATE matching_proposal, matching_recommendationrun, buddy_matchtransition, "
            "buddy_match, enrollments_enrollment, buddy_externalid, buddy_person CASCADE"
        )
        raw = connection.connection
        columns = "id, role, first_name, last_name, email, email_hash, joined_at, languages, "
        columns += "interests, location, capacity, created_at, updated_at"
        with raw.cursor() as c, c.copy(f"COPY buddy_person ({columns}) FROM STDIN") as cp:
            for i, p in enumerate(participants):
                joined = now - timedelta(days=p["waiting_days"])
                cp.write_row(
                    (i + 1, "participant", "", "", "", "", joined, json.dumps(p["languages"]),
                     json.dumps(p["interests"]), p["location"], 1, now, now)
                )  # fmt: skip
            for i, b in enumerate(buddies):
                cp.write_row(
                    (100_000 + i, "buddy", "", "", "", "", now - timedelta(days=30),
                     json.dumps(b["languages"]), json.dumps(b["interests"]), b["location"],
                     CAPACITY, now, now)
                )  # fmt: skip
        columns = "person_id, program_id, status, enrolled_at, created_at, updated_at"
        with raw.cursor() as c, c.copy(f"COPY enrollments_enrollment ({columns}) FROM STDIN") as cp:
            for i, p in enumerate(participants):
                enrolled = now - timedelta(days=p["waiting_days"])
                cp.write_row((i + 1, program_id, "active", enrolled, now, now))
            for i in range(len(buddies)):
                cp.write_row(
                    (100_000 + i, program_id, "active", now - timedelta(days=30), now, now)
                )
    with connection.cursor() as cur:
        cur.execute("ANALYZE buddy_person; ANALYZE enrollments_enrollment; ANALYZE buddy_match")


# --- The naive baseline: a Python loop over pairs, then greedy ------------------------------


def naive_scores(participants, buddies, settings):
    """The same score as the engine, one pair at a time in Python."""
    from matching.engine.criteria import SECOND_LANGUAGE_SHARE, WAITING_FULL_DAYS

    points = {c.name: w for c, w in settings.prefer}
    out = []
    for pi, p in enumerate(participants):
        p_langs, p_int = set(p["languages"]), set(p["interests"])
        primary = p["languages"][0] if p["languages"] else None
        for bi, b in enumerate(buddies):
            b_langs, b_int = set(b["languages"]), set(b["interests"])
            lang = (
                1.0 if primary in b_langs else (SECOND_LANGUAGE_SHARE if p_langs & b_langs else 0)
            )
            union = len(p_int | b_int)
            score = (
                points.get("language", 0) * lang
                + points.get("interests", 0) * (len(p_int & b_int) / union if union else 0)
                + points.get("location", 0) * (p["location"] == b["location"])
                + points.get("waiting", 0)
                * min(p["waiting_days"], WAITING_FULL_DAYS)
                / WAITING_FULL_DAYS
                + points.get("free_capacity", 0) * 1.0
            )
            out.append((score, pi, bi))
    return out


def greedy(scored, n_participants, n_buddies):
    free = [CAPACITY] * n_buddies
    assigned = [-1] * n_participants
    for _score, pi, bi in sorted(scored, reverse=True):
        if assigned[pi] < 0 and free[bi] > 0:
            assigned[pi], free[bi] = bi, free[bi] - 1
    return assigned


# --- Measurements ---------------------------------------------------------------------------


def line(label: str, value: str, note: str = "") -> None:
    print(f"{label:<58} {value:>14}  {note}", flush=True)


def in_memory(participants, buddies, settings, *, k: int):
    import numpy as np

    from matching.engine.assignment import assign_program
    from matching.engine.pool import build_pool

    p_rows, b_rows = person_rows(participants, buddies)
    t = time.perf_counter()
    pool = build_pool(p_rows, b_rows)
    assigned, _pairs, _ms = assign_program(pool, settings, k=k)
    seconds = time.perf_counter() - t
    return pool, np.asarray(assigned), seconds


def exact_reference(pool, settings):
    import numpy as np

    from matching.engine.assignment import assign_exact
    from matching.engine.scoring import score_block

    t = time.perf_counter()
    block = score_block(pool, settings, np.arange(pool.shape[0]))
    assigned = assign_exact(
        block.score, block.eligible, pool.b_free, coverage_first=settings.coverage_first
    )
    return block.score, assigned, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="2000x2000,5000x5000,10000x5000")
    parser.add_argument("--top-k", type=int, default=None, help="Candidates per participant.")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/buddy_bench")
    if not url.startswith("postgres"):
        sys.exit("bench/matching needs DATABASE_URL=postgres://…")
    os.environ["DATABASE_URL"] = fresh_database(url, "_matching")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command

    from buddy.models import Person, Program
    from matching.engine.assignment import total_tenths
    from matching.engine.scoring import TOP_K, Settings
    from matching.models import RecommendationRun
    from matching.services import (
        criteria_current,
        recommend_for_participant,
        run_create,
        run_execute,
    )

    k = args.top_k or TOP_K
    kept_2000 = None
    call_command("migrate", verbosity=0)
    program = Program.objects.get(program_type="buddy")
    criteria = criteria_current(program=program)
    settings = Settings.resolve(criteria.criteria, floor=criteria.score_floor)
    now = datetime.now(UTC)
    results: dict = {"top_k": k, "criteria": criteria.criteria}
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}, top-k {k}")

    # References at 1,000²: the naive Python loop + greedy, against the engine and the optimum.
    participants, buddies = generate_people(1000, 1000, seed=1)
    t = time.perf_counter()
    scored = naive_scores(participants, buddies, settings)
    naive_assigned = greedy(scored, len(participants), len(buddies))
    naive_s = time.perf_counter() - t
    pool, fast_assigned, fast_s = in_memory(participants, buddies, settings, k=k)
    dense, exact_assigned, _ = exact_reference(pool, settings)
    optimum = total_tenths(dense, exact_assigned)
    greedy_total = total_tenths(dense, np.array(naive_assigned))
    line("naive loop + greedy, 1,000² (reference)", f"{naive_s:.2f} s")
    line("engine score + min-cost flow, 1,000² (in memory)", f"{fast_s * 1000:.0f} ms",
         f"{naive_s / fast_s:.0f}× faster")  # fmt: skip
    line("greedy share of the optimum, 1,000²", f"{greedy_total / optimum:.4%}")
    line("min-cost flow share of the optimum, 1,000²",
         f"{total_tenths(dense, fast_assigned) / optimum:.4%}")  # fmt: skip
    results["naive_1000_s"] = round(naive_s, 2)
    results["engine_1000_ms"] = round(fast_s * 1000)
    results["greedy_share_1000"] = greedy_total / optimum

    for size in args.sizes.split(","):
        n_p, n_b = (int(x) for x in size.split("x"))
        participants, buddies = generate_people(n_p, n_b, seed=n_p + n_b)
        load_program(participants, buddies, now)
        if (n_p, n_b) == (5000, 5000):
            ids = list(Person.objects.filter(role="participant").values_list("pk", flat=True)[:25])
            people = list(Person.objects.filter(pk__in=ids))
            times = []
            for person in people:
                t = time.perf_counter()
                recommend_for_participant(program=program, participant=person)
                times.append((time.perf_counter() - t) * 1000)
            from matching.engine.scoring import top_for_participant

            pool, _a, _s = in_memory(participants[:1], buddies, settings, k=k)
            numpy_times = []
            for _ in range(25):
                t = time.perf_counter()
                top_for_participant(pool, settings, 0)
                numpy_times.append((time.perf_counter() - t) * 1000)
            results["top5_ms"] = round(statistics.median(times), 1)
            results["top5_numpy_ms"] = round(statistics.median(numpy_times), 2)
            line("top 5 for one participant, 5,000 × 5,000 (end to end)",
                 f"{results['top5_ms']:.1f} ms", f"target < {TARGETS['top5_ms']} ms; "
                 f"numpy part {results['top5_numpy_ms']:.2f} ms")  # fmt: skip
        run = run_create(program=program)
        t = time.perf_counter()
        result = run_execute(run_id=run.pk, top_k=k)
        seconds = time.perf_counter() - t
        run = RecommendationRun.objects.get(pk=run.pk)
        key = f"run_{n_p}x{n_b}"
        results[key] = {
            "seconds": round(seconds, 2),
            "timings_ms": run.timings,
            "proposals": run.proposals_count,
            "unmatched": run.unmatched_count,
            "eligible_pairs": run.eligible_pairs,
            "peak_mb": round(peak_mb()),
        }
        phases = ", ".join(f"{k_[:-3]} {v}" for k_, v in run.timings.items() if k_ != "total_ms")
        line(f"full run {n_p:,} × {n_b:,} (read, score, assign, store)", f"{seconds:.2f} s",
             f"{run.proposals_count:,} proposals, {run.unmatched_count:,} unmatched; "
             f"ms: {phases}")  # fmt: skip
        results["peak_mb_runs"] = round(peak_mb())
        if (n_p, n_b) == (2000, 2000):
            kept_2000 = result
    # The exact references after the runs, so that the runs' peak memory is their own.
    if kept_2000 is not None:
        result = kept_2000
        dense, exact_assigned, exact_s = exact_reference(result.pool, settings)
        optimum = total_tenths(dense, exact_assigned)
        index = {int(b): i for i, b in enumerate(result.pool.buddy_ids)}
        position = {int(p): i for i, p in enumerate(result.pool.participant_ids)}
        run_assigned = np.full(len(position), -1)
        for proposal in result.proposals:
            run_assigned[position[proposal["participant_id"]]] = index[proposal["buddy_id"]]
        share = total_tenths(dense, run_assigned) / optimum
        results["exact_2000_s"] = round(exact_s, 2)
        results["share_of_optimum_2000"] = share
        line("exact optimum, dense scipy, 2,000² (reference)", f"{exact_s:.2f} s")
        line("the run's share of the exact optimum, 2,000²", f"{share:.5%}",
             f"target ≥ {TARGETS['share_of_optimum']:.1%}")  # fmt: skip
    # Where places = participants and one group of buddies is in demand (the Ukrainian
    # speakers), pruning to the top candidates costs more: measured beside the 2,000² figure.
    participants, buddies = generate_people(4000, 2000, seed=4)
    from matching.engine.assignment import assign_program
    from matching.engine.pool import build_pool

    pool = build_pool(*person_rows(participants, buddies))
    assigned, _pairs, _ms = assign_program(pool, settings, k=k)
    dense, exact_assigned, exact_s = exact_reference(pool, settings)
    share = total_tenths(dense, assigned) / total_tenths(dense, exact_assigned)
    results["share_of_optimum_4000x2000"] = share
    line("the engine's share of the exact optimum, 4,000 × 2,000", f"{share:.5%}",
         f"exact {exact_s:.1f} s; places = participants")  # fmt: skip
    results["peak_mb_with_references"] = round(peak_mb())
    line("peak memory of the runs (max RSS after the 10,000 × 5,000 run)",
         f"{results['peak_mb_runs']} MB", f"target < {TARGETS['peak_mb']} MB; with the exact "
         f"references {results['peak_mb_with_references']} MB")  # fmt: skip
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
