"""Benchmark: set-based recompute of enrollments + journey flags, and impact figures.

Generates PEOPLE people (60 % participants, 40 % buddies in 200 companies) with a
year of activity into a fresh PostgreSQL database (COPY, not factories), then times:

- reference: ``SELECT count(*)`` over every activity table (sequential scans);
- the program-wide recompute of the buddy program: the first run (every enrollment
  changes and every flags row is inserted; its commit, the deferred foreign-key checks,
  on a line of its own), the second (steady state: incremental, nothing changed since),
  the same forced full, one set-based chunk of 5,000 people (``enrollments_recompute``),
  and a run a day later (incremental: the people whose state turns with time, every
  match's health), with the people in its scope;
- the impact figures for all companies, and the program figures.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/buddy_bench \
       .venv/bin/python bench/recompute/run.py [--people 100000] [--reuse]
The database named by DATABASE_URL gets the suffix ``_recompute`` and is re-created
(``--reuse``: kept, its derived rows reset, the enrollments and outbox rewritten compact by
``VACUUM FULL``, ``now`` the generation's), then ``VACUUM (FREEZE, ANALYZE)`` and
``CHECKPOINT``. Each line prints the Python and PostgreSQL backend CPU beside the wall time
and how long each waited for a CPU (``/proc/<pid>/schedstat``); the first run is also shown
without that wait. The relay of the first run's events (a worker's job after the commit,
eager under the test settings) is timed on its own line.
"""

import argparse
import json
import os
import random
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


from bench.dbsetup import (  # noqa: E402 - after the path
    WAITS,
    django_on,
    fresh_database,
    reference,
    timed,
    vacuum_and_checkpoint,
    with_suffix,
)


def generate(people: int, now: datetime, seed: int = 1) -> dict[str, int]:
    """COPY a year of activity; returns row counts."""
    from django.db import connection

    from buddy.models import Program

    rng = random.Random(seed)
    program_id = Program.objects.get(program_type="buddy").pk
    n_participants = int(people * 0.6)
    n_companies = 200
    year = 365 * 86400
    ago = lambda seconds: now - timedelta(seconds=seconds)  # noqa: E731
    counts: dict[str, int] = {}
    raw = connection.connection  # psycopg 3

    def copy(table: str, columns: list[str], rows) -> None:
        n = 0
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
                n += 1
        counts[table] = n

    stamp = [now, now]
    copy(
        "buddy_company",
        ["id", "name", "created_at", "updated_at"],
        ((i, f"Company {i}", *stamp) for i in range(1, n_companies + 1)),
    )
    joined = {}

    def people_rows():
        for pid in range(1, people + 1):
            role = "participant" if pid <= n_participants else "buddy"
            joined[pid] = ago(rng.uniform(0, 1.5 * year))
            company = rng.randint(1, n_companies) if role == "buddy" else None
            yield (pid, role, "", "", "", "", joined[pid], "[]", "[]", "", company, 3, *stamp)

    copy(
        "buddy_person",
        [
            "id",
            "role",
            "first_name",
            "last_name",
            "email",
            "email_hash",
            "joined_at",
            "languages",
            "interests",
            "location",
            "company_id",
            "capacity",
            "created_at",
            "updated_at",
        ],
        people_rows(),
    )
    copy(
        "enrollments_enrollment",
        ["id", "person_id", "program_id", "status", "enrolled_at", "created_at", "updated_at"],
        ((pid, pid, program_id, "active", joined[pid], *stamp) for pid in range(1, people + 1)),
    )
    matches = []  # (id, participant, buddy, status, matched_at, ended_at)
    statuses = (
        ["active"] * 40 + ["ended"] * 45 + ["inactive"] * 5 + ["proposed"] * 5 + ["declined"] * 5
    )
    mid = 0
    for participant in range(1, n_participants + 1):
        for _ in range(rng.choice([0, 1, 1, 1, 2])):
            mid += 1
            status = rng.choice(statuses)
            start = ago(rng.uniform(0, year))
            matched = None if status in ("proposed", "declined") else start
            ended = None
            if status == "ended":
                ended = min(now, start + timedelta(days=rng.uniform(0, 200)))
            buddy = rng.randint(n_participants + 1, people)
            matches.append((mid, participant, buddy, status, matched, ended))
    reasons = ["completed"] * 6 + ["participant_request", "buddy_request", "inactivity", "other"]
    copy(
        "buddy_match",
        [
            "id",
            "external_id",
            "program_id",
            "participant_id",
            "buddy_id",
            "status",
            "matched_at",
            "ended_at",
            "end_reason",
            "duration_days",
            "matching_criteria",
            "source",
            "concurrent_active",
            "end_note",
            "created_at",
            "updated_at",
        ],
        (
            (
                i,
                uuid.UUID(int=i),
                program_id,
                p,
                b,
                s,
                m,
                e,
                rng.choice(reasons) if s == "ended" else "",
                (e - m).days if e else None,
                "{}",
                "import",
                False,
                "",
                *stamp,
            )
            for i, p, b, s, m, e in matches
        ),
    )
    started = [row for row in matches if row[4] is not None]

    def during(row):
        _, _, _, _, matched, ended = row
        end = ended or now
        return matched + (end - matched) * rng.random()

    def per_match(n_max):
        for row in started:
            for _ in range(rng.randint(0, n_max)):
                yield row, during(row)

    seq = iter(range(1, 10**9))
    copy(
        "buddy_informalevent",
        [
            "external_id",
            "match_id",
            "event_type",
            "event_date",
            "description",
            "location",
            "duration_minutes",
            "attendee_ids",
            "unknown_attendee_ids",
            "source",
            "created_at",
            "updated_at",
        ],
        (
            (
                uuid.UUID(int=next(seq)),
                row[0],
                "hangout",
                at,
                "",
                "",
                rng.choice([None, 60, 90, 120]),
                "[]",
                "[]",
                "import",
                *stamp,
            )
            for row, at in per_match(8)
        ),
    )
    moods = ["great", "good", "okay", "struggling", "difficult", ""]
    copy(
        "buddy_checkin",
        [
            "external_id",
            "match_id",
            "checkin_date",
            "mood",
            "notes",
            "question_responses",
            "source",
            "created_at",
            "updated_at",
        ],
        (
            (uuid.UUID(int=next(seq)), row[0], at, rng.choice(moods), "", "{}", "import", *stamp)
            for row, at in per_match(12)
        ),
    )
    copy(
        "buddy_feedback",
        [
            "external_id",
            "match_id",
            "from_role",
            "rating",
            "feedback_text",
            "submitted_at",
            "communication",
            "helpfulness",
            "engagement",
            "source",
            "created_at",
            "updated_at",
        ],
        (
            (
                uuid.UUID(int=next(seq)),
                row[0],
                rng.choice(["participant", "buddy"]),
                round(rng.random(), 2),
                "",
                at,
                round(rng.random(), 2),
                None,
                None,
                "import",
                *stamp,
            )
            for row, at in per_match(4)
        ),
    )
    categories = ["language", "professional", "tech", ""]
    copy(
        "buddy_skillsession",
        [
            "external_id",
            "skill_id",
            "skill_name",
            "skill_category",
            "teacher_id",
            "learner_id",
            "match_id",
            "completed_at",
            "duration_minutes",
            "format",
            "proficiency_level",
            "teacher_rating",
            "learner_rating",
            "teacher_comment",
            "learner_comment",
            "learner_progress",
            "sdg_goals",
            "source",
            "created_at",
            "updated_at",
        ],
        (
            (
                uuid.UUID(int=next(seq)),
                1,
                "Skill",
                rng.choice(categories),
                row[2],
                row[1],
                row[0],
                at,
                rng.choice([30, 60, 90]),
                "",
                "",
                None,
                round(rng.random(), 2),
                "",
                "",
                "",
                "[4, 8]",
                "import",
                *stamp,
            )
            for row, at in per_match(4)
        ),
    )

    def attendance_rows():
        for pid in range(1, people + 1):
            for _ in range(rng.choice([0, 0, 1, 2])):
                company = rng.randint(1, n_companies)
                yield (
                    uuid.UUID(int=next(seq)),
                    pid,
                    None,
                    "Event",
                    "social",
                    "in-person",
                    ago(rng.uniform(0, year)),
                    "",
                    rng.choice([None, 60, 120]),
                    None,
                    f"Company {company}",
                    "[]",
                    "[10, 11]",
                    "import",
                    *stamp,
                )

    copy(
        "buddy_eventattendance",
        [
            "event_external_id",
            "person_id",
            "match_id",
            "event_title",
            "event_type",
            "event_format",
            "attended_at",
            "location",
            "duration_minutes",
            "attendee_count",
            "organizer",
            "categories",
            "sdg_goals",
            "source",
            "created_at",
            "updated_at",
        ],
        attendance_rows(),
    )
    milestone_categories = ["community", "cultural", "language", "onboarding", "other"]
    copy(
        "buddy_milestoneachievement",
        [
            "milestone_id",
            "person_id",
            "milestone_title",
            "milestone_category",
            "reached_at",
            "points",
            "badge_icon",
            "target_role",
            "progress",
            "metadata",
            "unknown_related_ids",
            "source",
            "created_at",
            "updated_at",
        ],
        (
            (
                next(seq),
                pid,
                "Milestone",
                rng.choice(milestone_categories),
                ago(rng.uniform(0, year)),
                10,
                "",
                "",
                "{}",
                "{}",
                "[]",
                "import",
                *stamp,
            )
            for pid in range(1, n_participants + 1)
            for _ in range(rng.choice([0, 1, 2, 3]))
        ),
    )
    with connection.cursor() as cur:
        for table in ("buddy_company", "buddy_person", "enrollments_enrollment", "buddy_match"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (our tables)
                f"(SELECT MAX(id) FROM {table}))"
            )
    return counts


def remember_now(now: datetime) -> None:
    """Keep the generation's `now` beside the data, so that a re-run (`--reuse`) computes
    the same time-based flags."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_generated (now timestamptz NOT NULL)")
        cur.execute("DELETE FROM bench_generated")
        cur.execute("INSERT INTO bench_generated (now) VALUES (%s)", [now])


def reset_generated() -> datetime:
    """Back to the state after generation (no flags, no health, no history, every enrollment
    active); returns the generation's `now`."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_generated') IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute("SELECT now FROM bench_generated")
            now = cur.fetchone()[0]
        else:  # generated before the clock was kept
            now = datetime.now(UTC)
        cur.execute("TRUNCATE enrollments_matchhealth, enrollments_matchhealthweek")
        cur.execute("TRUNCATE enrollments_journeyflags, enrollments_programrecomputemark")
        cur.execute("TRUNCATE enrollments_enrollmentstatuschange")
        cur.execute("TRUNCATE enrollments_attentionentry, enrollments_attentionqueuestate")
        cur.execute("UPDATE enrollments_enrollment SET status = 'active', completed_at = NULL")
        cur.execute("DELETE FROM core_outboxevent")
        # Rewritten compact, as after generation: the reset's update left a dead version of
        # every enrollment (the first run's updates would land on other pages than a fresh
        # run's), the previous run's events dead rows in the outbox.
        cur.execute("VACUUM FULL enrollments_enrollment, core_outboxevent")
    return now


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the data of a previous run (no generation): its enrollments, flags, "
        "health and history are reset to the state after generation, and `now` is the "
        "generation's",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/buddy_bench")
    if not url.startswith("postgres"):
        sys.exit("bench/recompute needs DATABASE_URL=postgres://…")
    django_on(with_suffix(url, "_recompute") if args.reuse else fresh_database(url, "_recompute"))
    from django.db import transaction

    from buddy.models import Program
    from enrollments.impact import impact_by_company, program_figures
    from enrollments.services import enrollments_recompute, enrollments_recompute_program

    results: dict = {}
    if args.reuse:
        now = reset_generated()
        counts = {}
    else:
        now = datetime.now(UTC)
        with transaction.atomic():
            counts = timed("generate (COPY)", lambda: generate(args.people, now), results)
            remember_now(now)
    vacuum_and_checkpoint(results)
    reference(results)
    program = Program.objects.get(program_type="buddy")
    # The relay publishes the first run's 36,658 events after the commit: a worker's job
    # (Celery), run inline here because the test settings run tasks eagerly. Timed on its
    # own line, not inside the recompute's.
    from core import outbox
    from webhooks.relay import relay_run

    with mock.patch.object(outbox, "_wake_relay", lambda: None):
        # Its commit on a line of its own (the deferred foreign-key checks of the rows
        # written): the run in a transaction committed after it.
        outer = transaction.atomic()
        outer.__enter__()
        changed = timed(
            "recompute program, first run (all change)",
            lambda: enrollments_recompute_program(program=program, now=now),
            results,
        )
        timed("  its commit", lambda: outer.__exit__(None, None, None), results)
    first = results["recompute program, first run (all change)"] + results["  its commit"]
    print(f"{'  first run with its commit':<48} {first:>8.3f} s", flush=True)
    # The wall time less what the run's critical path waited for a CPU (the main thread and
    # its backend take turns: one waits on the other's socket): what a machine with a CPU
    # free for it would have measured. (Health's reader thread and its connection are off
    # that path and not counted.)
    waits = [
        WAITS[label] for label in ("recompute program, first run (all change)", "  its commit")
    ]
    if all(w is not None for pair in waits for w in pair):
        waited = sum(w for pair in waits for w in pair)
        print(
            f"{'  first run without its wait for a CPU':<48} {first - waited:>8.3f} s"
            f"   (waited {waited:.3f} s)",
            flush=True,
        )
    timed("  relay: publish its events (a worker, after commit)", relay_run, results)
    timed(
        "recompute program, second run (steady state)",
        lambda: enrollments_recompute_program(program=program, now=now),
        results,
    )
    timed(
        "  the same, full (every person read again)",
        lambda: enrollments_recompute_program(program=program, now=now, full=True),
        results,
    )
    subset = list(range(1, args.people + 1, max(1, args.people // 5000)))[:5000]
    timed(
        "recompute 5,000 people (one set-based chunk)",
        lambda: enrollments_recompute(program=program, person_ids=subset, now=now),
        results,
    )
    from enrollments import recompute_scope

    day_later = now + timedelta(days=1)
    scope = timed(
        "  a day later: the people in scope (read alone)",
        lambda: recompute_scope.scope_since_mark(
            program=program, now=day_later, digest=recompute_scope.settings_digest(program)
        ),
        results,
    )
    in_scope = "all" if scope.person_ids is None else len(scope.person_ids)
    print(f"{'    people in scope':<48} {in_scope:>8}", flush=True)
    timed(
        "recompute program, a day later (incremental)",
        lambda: enrollments_recompute_program(program=program, now=day_later),
        results,
    )
    start, end = now - timedelta(days=365), now
    companies = timed(
        "impact figures, all companies (1 year)",
        lambda: impact_by_company(program=program, start=start, end=end),
        results,
    )
    timed(
        "program figures (1 year)",
        lambda: program_figures(program=program, start=start, end=end),
        results,
    )
    print(
        json.dumps(
            {
                "rows": counts,
                "status_changes": changed,
                "companies": len(companies),
                "seconds": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
