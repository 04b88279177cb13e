"""Benchmark: match health recompute beside the journey-flag recompute, the score's
separation of outcomes (AUC), and the free-text analyser's throughput.

1. Recompute: the data of ``bench/recompute`` (PEOPLE people, a year of activity, COPY
   into a fresh PostgreSQL database), then the program's set-based journey recompute
   (``recompute_set_based``) and the set-based health recompute (``health.recompute``)
   timed separately, first run and steady state; reference: ``SELECT count(*)`` over the
   activity tables, in the same run. Target: both together under 6 s at 100,000 people.
2. AUC on database rows: ENDED ended matches written to the database (``ended_matches``),
   half ``completed`` and half ended early, each with a history of check-ins, informal
   events and feedback from its start to its end (and after the instant scored). Their
   course differs: an early ending declines (contact thins, moods and ratings fall) from a
   random point 2 to 12 weeks before its end, so some declines start after the instant
   scored and the classes overlap; completed matches stay around their own level. Each
   match is scored *as of* four weeks before its end with the product's own computation
   (``enrollments.health.health_as_of``: only the activity up to then counts). AUC
   (Mann-Whitney) = P(score of a completed match > score of an early one), beside 0.5.
3. Analyser: texts/s of ``LexiconAnalyser`` (language detection included) over the demo's
   texts (``enrollments.demo.content``), repeated.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/buddy_bench \
       .venv/bin/python bench/health/run.py [--people 100000] [--ended 1000]
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


from bench import dbsetup  # noqa: E402 - after the path
from bench.dbsetup import (  # noqa: E402
    django_on,
    fresh_database,
    reference,
    vacuum_and_checkpoint,
    with_suffix,
)

#: The width of a step's label (longer labels than bench/recompute's).
WIDTH = 52


def timed(label, fn, results):
    return dbsetup.timed(label, fn, results, width=WIDTH)


def auc(positives: list[float], negatives: list[float]) -> float:
    """Mann-Whitney: the share of (positive, negative) pairs ranked right (ties half)."""
    wins = 0.0
    for p in positives:
        for n in negatives:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(positives) * len(negatives))


#: How long before its end an ended match is scored.
SCORED_BEFORE_END = timedelta(weeks=4)
MOODS = ["great", "good", "okay", "struggling", "difficult"]


def ended_matches(program, n: int, now: datetime, seed: int = 21) -> list:
    """``n`` ended matches of ``program`` in the database, half completed, half ended early,
    with their check-ins, informal events and feedback (see the module's docstring, 2)."""
    import uuid

    from buddy.models import CheckIn, Feedback, InformalEvent, Match, MatchStatus, Person

    rng = random.Random(seed)
    participants = list(
        Person.objects.filter(role="participant").values_list("pk", flat=True)[: 5 * n]
    )
    buddies = list(Person.objects.filter(role="buddy").values_list("pk", flat=True)[: 5 * n])
    early_reasons = ["participant_request", "buddy_request", "inactivity", "mutual_agreement"]
    matches = []
    for k in range(n):
        early = k % 2 == 1
        ended_at = now - timedelta(days=rng.randint(7, 300))
        weeks = rng.randint(16, 40)
        matches.append(
            Match(
                program=program,
                participant_id=rng.choice(participants),
                buddy_id=rng.choice(buddies),
                status=MatchStatus.ENDED,
                source="import",
                matched_at=ended_at - timedelta(weeks=weeks),
                ended_at=ended_at,
                end_reason=rng.choice(early_reasons) if early else "completed",
            )
        )
    Match.objects.bulk_create(matches, batch_size=2000)
    checkins, events, feedback = [], [], []
    for k, match in enumerate(matches):
        early = k % 2 == 1
        contact = rng.uniform(0.35, 0.9)  # this match's weekly chance of a check-in
        base = rng.uniform(0.3, 2.0)  # its usual mood (0 great … 4 difficult)
        rating = rng.uniform(0.5, 0.95)
        decline_from = match.ended_at - timedelta(weeks=rng.uniform(2, 12)) if early else None
        drift = rng.uniform(0.4, 1.0) if early else 0.0
        day = match.matched_at + timedelta(days=rng.uniform(1, 7))
        week = 0
        while day < match.ended_at:
            declining = decline_from is not None and day >= decline_from
            d = drift if declining else rng.uniform(-0.1, 0.15)
            if rng.random() < contact * (1 - 0.8 * d):
                mood = MOODS[max(0, min(4, round(base + 2.5 * d + rng.gauss(0, 0.8))))]
                checkins.append(
                    CheckIn(
                        external_id=uuid.uuid4(),
                        source="import",
                        match=match,
                        checkin_date=day,
                        mood=mood,
                    )
                )
            if rng.random() < 0.3 * contact * (1 - d):
                events.append(
                    InformalEvent(
                        external_id=uuid.uuid4(),
                        source="import",
                        match=match,
                        event_type="hangout",
                        event_date=day + timedelta(days=2),
                        duration_minutes=90,
                    )
                )
            if week % 6 == 5:
                for role in ("participant", "buddy"):
                    value = max(0.0, min(1.0, rng.gauss(rating - 0.45 * d, 0.12)))
                    feedback.append(
                        Feedback(
                            external_id=uuid.uuid4(),
                            source="import",
                            match=match,
                            from_role=role,
                            rating=round(value, 2),
                            submitted_at=day + timedelta(days=1),
                            communication=round(max(0.0, min(1.0, value + rng.gauss(0, 0.1))), 2),
                        )
                    )
            day += timedelta(days=rng.uniform(5, 9))
            week += 1
    CheckIn.objects.bulk_create(checkins, batch_size=5000)
    InformalEvent.objects.bulk_create(events, batch_size=5000)
    Feedback.objects.bulk_create(feedback, batch_size=5000)
    return matches


def outcome_auc(program, matches) -> tuple[float, int, int]:
    """AUC of the score as of ``SCORED_BEFORE_END`` before the end, completed vs early."""
    from enrollments.health import conf, health_as_of

    c = conf(program)
    completed, early = [], []
    for match in matches:
        score = health_as_of(match, at=match.ended_at - SCORED_BEFORE_END, c=c).score
        (completed if match.end_reason == "completed" else early).append(score)
    return auc(completed, early), len(completed), len(early)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--ended", type=int, default=1_000)
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
    if args.reuse and args.database:
        target = url.rsplit("/", 1)[0] + "/" + args.database
    elif args.reuse:
        target = with_suffix(url, "_health_recompute")
    else:
        target = fresh_database(url, "_health_recompute")
    django_on(target)
    import run as recompute_bench  # bench/recompute/run.py: the generation
    from django.db import transaction

    from buddy.models import Program
    from enrollments import health
    from enrollments.demo import content as demo
    from enrollments.recompute_sql import planner_session, recompute_set_based
    from enrollments.text_analysis import LexiconAnalyser

    now = datetime.now(UTC)
    results: dict = {}
    if args.reuse:  # back to the state after generation: no flags, no health yet
        now = recompute_bench.reset_generated()  # and the generation's clock
    else:
        with transaction.atomic():
            timed("generate (COPY)", lambda: recompute_bench.generate(args.people, now), results)
            recompute_bench.remember_now(now)
    vacuum_and_checkpoint(results)
    reference(results, width=WIDTH)
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

    # The ended matches live in a transaction rolled back afterwards (a --reuse run starts
    # from the same data).
    with transaction.atomic():
        ended = timed(
            f"generate {args.ended} ended matches with activity",
            lambda: ended_matches(program, args.ended, now),
            results,
        )
        value, n_completed, n_early = timed(
            "score each as of 4 weeks before its end",
            lambda: outcome_auc(program, ended),
            results,
        )
        transaction.set_rollback(True)
    print(
        f"{'AUC four weeks before the end (completed vs early)':<52} {value:>8.3f}"
        f"   ({n_completed} completed, {n_early} ended early; database rows)"
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
