"""What a program-wide recompute has to read when it ran before (PostgreSQL): the people
whose facts changed since the last run or whose state turns with time, so that a run when
little changed reads little (``enrollments.services.enrollments_recompute_program``).

A program run leaves a mark (``ProgramRecomputeMark``): the ``now`` it computed for, the
oldest transaction still running when it started, the settings it applied; the mark row's
own ``xmin`` is the run's transaction. The next run recomputes, with the rules of the
set-based SQL for some people (nothing restated here), the enrollments of:

- the people of rows written since the mark, whoever wrote them (services, imports, the
  webhook receiver's own statements): activity rows, the program's matches, its
  enrollments (not the run's own writes); a row's ``xmin`` is the transaction that wrote
  it, and any row the last run could not see was written by the oldest transaction running
  then or a later one;
- the enrollments whose ``due_at`` has come (``journey.derive``: when a flag or the status
  next turns with time alone), or without flags;
- the people queued for a recompute (``PendingRecompute``): a deleted row leaves no
  ``xmin``, so whatever deletes activity queues its people (the admin's deletions go
  through ``buddy.services.activities.activities_delete``, of people through
  ``buddy.services.people.people_delete``);

and match health of those people, or of every active match when time moved (each score
names days since a contact, which change every day). Everything else is a full run: no
mark, a ``now`` before the mark's, other settings, a mark more than 2^30 transactions old,
more than a quarter of the program's people in scope, any database but PostgreSQL.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from buddy.models import (
    CheckIn,
    Enrollment,
    EventAttendance,
    Feedback,
    InformalEvent,
    Match,
    MilestoneAchievement,
    PendingRecompute,
    SkillSession,
)
from core.db import table
from enrollments import health, journey
from enrollments.models import JourneyFlags, ProgramRecomputeMark
from enrollments.recompute_sql import recompute_dialect

#: Transactions a mark stays usable for (``age`` compares 32-bit ids within 2^31).
MARK_MAX_AGE = 2**30
#: Above this share of the program's enrollments a full run reads less.
INCREMENTAL_MAX_SHARE = 0.25

# The oldest transaction that may write to this database unseen by a run starting now: the
# oldest with an id among this database's sessions and prepared transactions (their
# subtransactions come later), else the next id. Other databases' transactions do not
# count (a long one elsewhere would make every run read everything since it); sessions
# whose ids this role may not read make it the snapshot's horizon (every database's).
_SNAPSHOT = """
WITH s AS (
    SELECT CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text) AS bigint) AS xmin,
        CAST(CAST(pg_snapshot_xmax(pg_current_snapshot()) AS text) AS bigint) AS xmax
),
running AS (
    SELECT CAST(CAST(backend_xid AS text) AS bigint) AS xid,
        query = '<insufficient privilege>' AS hidden
    FROM pg_stat_activity WHERE datname = current_database()
    UNION ALL
    SELECT CAST(CAST(transaction AS text) AS bigint), false FROM pg_prepared_xacts
    WHERE database = current_database()
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM running WHERE hidden) THEN s.xmin
    ELSE LEAST(s.xmax, (
        -- 32-bit ids in the epoch of xmax (64-bit)
        SELECT MIN(s.xmax - mod(s.xmax, 4294967296) + r.xid
            - CASE WHEN r.xid > mod(s.xmax, 4294967296) THEN 4294967296 ELSE 0 END)
        FROM running r WHERE r.xid IS NOT NULL)) END
FROM s
"""

_MARK = """
SELECT k.now, k.xid_mark, k.settings_digest,
    CAST(CAST(pg_snapshot_xmax(pg_current_snapshot()) AS text) AS bigint) - k.xid_mark
FROM {mark} k WHERE k.program_id = %(program)s
"""

# Rows written since the mark: ``age(xmin)`` at most the mark's (frozen rows are oldest).
_SINCE = "age(t.xmin) <= (SELECT age FROM since)"
_CHANGED = """
WITH since AS MATERIALIZED (
    SELECT age(CAST(CAST(%(xid32)s AS text) AS xid)) AS age,
        (SELECT k.xmin FROM {mark} k WHERE k.program_id = %(program)s) AS run
),
touched AS (
    SELECT t.match_id FROM {informalevent} t WHERE {since}
    UNION ALL SELECT t.match_id FROM {checkin} t WHERE {since}
    UNION ALL SELECT t.match_id FROM {feedback} t WHERE {since}
    UNION ALL SELECT t.match_id FROM {skillsession} t WHERE t.match_id IS NOT NULL AND {since}
    UNION ALL SELECT t.match_id FROM {attendance} t WHERE t.match_id IS NOT NULL AND {since}
    UNION ALL SELECT t.id FROM {match} t WHERE t.program_id = %(program)s AND {since}
),
people AS (
    SELECT m.participant_id AS person_id FROM {match} m
    WHERE m.id IN (SELECT match_id FROM touched)
    UNION ALL SELECT m.buddy_id FROM {match} m WHERE m.id IN (SELECT match_id FROM touched)
    UNION ALL SELECT t.person_id FROM {attendance} t WHERE {since}
    UNION ALL SELECT t.teacher_id FROM {skillsession} t WHERE {since}
    UNION ALL SELECT t.learner_id FROM {skillsession} t WHERE {since}
    UNION ALL SELECT t.person_id FROM {milestone} t WHERE {since}
    UNION ALL SELECT q.person_id FROM {pending} q WHERE q.program_id = %(program)s
)
SELECT t.person_id FROM {enrollment} t
LEFT JOIN {flags} f ON f.enrollment_id = t.id
WHERE t.program_id = %(program)s AND (
    f.enrollment_id IS NULL OR f.due_at <= %(now)s
    OR ({since} AND t.xmin <> (SELECT run FROM since))
    OR t.person_id IN (SELECT person_id FROM people))
ORDER BY t.person_id
"""

_SAVE = """
INSERT INTO {mark} (program_id, now, xid_mark, settings_digest)
VALUES (%(program)s, %(now)s, %(xid)s, %(digest)s)
ON CONFLICT (program_id) DO UPDATE SET now = excluded.now, xid_mark = excluded.xid_mark,
    settings_digest = excluded.settings_digest
"""


@dataclass
class Scope:
    """``person_ids`` None: the whole program; ``health_all``: every active match's health
    (time moved since the mark)."""

    person_ids: list[int] | None
    health_all: bool = True


FULL = Scope(person_ids=None)


def _names() -> dict[str, str]:
    return {
        "mark": table(ProgramRecomputeMark),
        "informalevent": table(InformalEvent),
        "checkin": table(CheckIn),
        "feedback": table(Feedback),
        "skillsession": table(SkillSession),
        "attendance": table(EventAttendance),
        "milestone": table(MilestoneAchievement),
        "match": table(Match),
        "enrollment": table(Enrollment),
        "flags": table(JourneyFlags),
        "pending": table(PendingRecompute),
    }


def available() -> bool:
    return recompute_dialect.impl.incremental


def settings_digest(program) -> str:
    """The settings the rules apply to the program (a run under others is a full one)."""
    applied = {"journey": journey.conf(), "health": health.conf(program)}
    text = json.dumps(applied, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def snapshot_mark() -> int | None:
    """The oldest transaction running now (before anything is read), for ``save_mark``."""
    if not available():
        return None
    with connection.cursor() as cursor:
        cursor.execute(_SNAPSHOT)
        return cursor.fetchone()[0]


def scope_since_mark(*, program, now: datetime, digest: str) -> Scope:
    """The people to recompute since the program's mark (``FULL`` when that is not known)."""
    if not available():
        return FULL
    names = _names()
    params = {"program": program.pk}
    with connection.cursor() as cursor:
        cursor.execute(_MARK.format(**names), params)
        row = cursor.fetchone()
        if row is None:
            return FULL
        mark_now, xid_mark, mark_digest, mark_age = row
        if mark_digest != digest or now < mark_now or mark_age > MARK_MAX_AGE:
            return FULL
        params.update(xid32=xid_mark % 2**32, now=now)
        cursor.execute(_CHANGED.format(**names, since=_SINCE), params)
        rows = cursor.fetchall()
        if rows:
            cursor.execute(
                f"SELECT COUNT(*) FROM {names['enrollment']} WHERE program_id = %s",  # noqa: S608
                [program.pk],
            )
            if len(rows) > INCREMENTAL_MAX_SHARE * cursor.fetchone()[0]:
                return FULL
    return Scope(person_ids=[person_id for (person_id,) in rows], health_all=now != mark_now)


def save_mark(*, program, now: datetime, xid_mark: int | None, digest: str) -> None:
    """Leave the run's mark (in the run's transaction: its writes are the mark row's)."""
    if xid_mark is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _SAVE.format(**_names()),
            {"program": program.pk, "now": now, "xid": xid_mark, "digest": digest},
        )
