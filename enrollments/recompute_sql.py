"""Set-based recompute of enrollments and journey flags: a few SQL statements per program,
applying the rules of ``enrollments.journey`` (the readable per-person path) to a whole
program or some of its people. Its steps, how concurrent runs are kept apart and the
planner settings: docs/architecture.md, "The set-based recompute".
"""

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from buddy.models import (
    CheckIn,
    Enrollment,
    EnrollmentStatusChange,
    EventAttendance,
    ExternalId,
    Feedback,
    InformalEvent,
    Match,
    MilestoneAchievement,
    SkillSession,
)
from core import events, outbox
from core.db import Seam, is_postgresql
from core.models import OutboxEvent
from enrollments import journey
from enrollments.models import JourneyFlags

#: Temporary tables, in creation order (dropped at the end, and before in case a
#: previous run in this session failed half-way).
TEMP_TABLES = ("rc_locked", "rc_people", "rc_scope", "rc_match_facts", "rc_new")
POSTGRES_ONLY = {"rc_locked"}  # rc_new: the portable path only
#: The columns of a temporary table whose statistics the plans use (its row count comes
#: with any ANALYZE): the join keys. The others are read, never filtered or joined on.
ANALYZED_COLUMNS = {"rc_match_facts": ("match_id", "participant_id", "buddy_id")}

_IN_PROGRAM = "m.program_id = %(program)s AND m.status <> 'declined'"
# PostgreSQL: the enrollments in scope, locked before anything is read; only they are
# recomputed (one created since by a concurrent writer is left to its own recompute).
_LOCK = """
SELECT e.id FROM {enrollment} e WHERE {lock_scope} ORDER BY e.id FOR NO KEY UPDATE
"""
# A subset: the people enrolled among the ids, and their matches in the program.
_SCOPE_PEOPLE = """
SELECT person_id FROM {enrollment} WHERE program_id = %(program)s AND person_id IN ({id_list})
"""
_SCOPE_MATCHES = """
SELECT m.id AS match_id FROM {match} m JOIN rc_people p ON p.person_id = m.participant_id
WHERE {in_program}
UNION
SELECT m.id FROM {match} m JOIN rc_people p ON p.person_id = m.buddy_id
WHERE {in_program}
"""

# Per match of the scope: the match itself, each activity table aggregated once
# (GROUP BY match_id: hash aggregates over a whole program) and its last contact. The
# counts as integers: a person's sums of them (``_NEW``'s ``agg``) are then sums of
# integers in a 64-bit state, not of bigints in a 128-bit one allocated per person
# (PostgreSQL: the program's hash aggregate 60 → 48 MB for 76,829 people).
_MATCH_FACTS = """
SELECT m.id AS match_id, m.participant_id, m.buddy_id, m.status, m.matched_at, m.ended_at,
    m.end_reason,
    CAST(COALESCE(ev.n, 0) AS integer) AS events, CAST(COALESCE(ci.n, 0) AS integer) AS checkins,
    ci.last AS last_checkin, fb.last AS last_feedback,
    {last_contact} AS last_contact{health_columns}
FROM {match} m
LEFT JOIN (
    SELECT t.match_id, COUNT(*) AS n, MAX(t.event_date) AS last{recent_event} FROM {informalevent} t
    WHERE {t_in_scope} GROUP BY t.match_id
) ev ON ev.match_id = m.id
LEFT JOIN (
    SELECT t.match_id, COUNT(*) AS n, MAX(t.checkin_date) AS last{recent_checkin}
    FROM {checkin} t
    WHERE {t_in_scope} GROUP BY t.match_id
) ci ON ci.match_id = m.id
LEFT JOIN (
    SELECT t.match_id, MAX(t.submitted_at) AS last FROM {feedback} t
    WHERE {t_in_scope} GROUP BY t.match_id
) fb ON fb.match_id = m.id
LEFT JOIN (
    SELECT t.match_id, MAX(t.completed_at) AS last{recent_session} FROM {skillsession} t
    WHERE {t_in_scope} GROUP BY t.match_id
) ss ON ss.match_id = m.id
LEFT JOIN (
    SELECT t.match_id, MAX(t.attended_at) AS last{recent_attendance} FROM {attendance} t
    WHERE {t_in_scope} GROUP BY t.match_id
) at ON at.match_id = m.id
WHERE {match_scope}
"""

#: What match health reads of ``rc_match_facts`` when the recompute keeps it for it
#: (``contact_since``): the last contact without feedback, and the contacts since then.
_HEALTH_COLUMNS = """,
    {health_last_contact} AS health_last_contact,
    COALESCE(ev.recent, 0) + COALESCE(ci.recent, 0) + COALESCE(ss.recent, 0)
        + COALESCE(at.recent, 0) AS health_contacts_recent"""

# Per enrollment of the scope: the new status, completed_at, reason and every flag,
# kept only where the enrollment or its flags change.
_NEW = """
WITH
person_matches AS (
    SELECT participant_id AS person_id, match_id, status, matched_at, ended_at, end_reason,
        events, checkins, last_checkin, last_feedback, last_contact
    FROM rc_match_facts
    UNION ALL
    SELECT buddy_id, match_id, status, matched_at, ended_at, end_reason,
        events, checkins, last_checkin, last_feedback, last_contact
    FROM rc_match_facts
),
agg AS (
    SELECT person_id,
        COUNT(*) AS matches_count,
        SUM(events) AS events,
        SUM(checkins) AS checkins,
        SUM(CASE WHEN status IN ('proposed', 'accepted', 'active', 'inactive')
            THEN 1 ELSE 0 END) AS open_n,
        MAX(CASE WHEN status = 'active' THEN 1 ELSE 0 END) AS match_active,
        MAX(CASE WHEN status = 'active' AND COALESCE(last_checkin, matched_at) < %(checkin_due)s
            THEN 1 ELSE 0 END) AS checkin_due,
        MAX(CASE WHEN status = 'active' AND (last_feedback < %(feedback_every)s
                 OR (last_feedback IS NULL AND matched_at < %(feedback_first)s))
            THEN 1 ELSE 0 END) AS feedback_pending,
        MAX(CASE WHEN status = 'active' AND last_contact < %(no_contact_a)s
            THEN 1 ELSE 0 END) AS no_contact_a,
        MAX(CASE WHEN status = 'active' AND last_contact < %(no_contact_b)s
            THEN 1 ELSE 0 END) AS no_contact_b,
        MAX(last_contact) AS last_contact,
        MAX(ended_at) AS last_ended,
        MAX(matched_at) AS last_matched,
        -- (``due_at``: the oldest fact of each comparison above still short of its period)
        MIN(CASE WHEN status = 'active' AND COALESCE(last_checkin, matched_at) >= %(checkin_due)s
            THEN COALESCE(last_checkin, matched_at) END) AS turn_checkin,
        MIN(CASE WHEN status = 'active' AND last_feedback >= %(feedback_every)s
            THEN last_feedback END) AS turn_feedback,
        MIN(CASE WHEN status = 'active' AND last_feedback IS NULL
                 AND matched_at >= %(feedback_first)s
            THEN matched_at END) AS turn_first_feedback,
        MIN(CASE WHEN status = 'active' AND last_contact >= %(no_contact_a)s
            THEN last_contact END) AS turn_contact_a,
        MIN(CASE WHEN status = 'active' AND last_contact >= %(no_contact_b)s
            THEN last_contact END) AS turn_contact_b
    FROM person_matches GROUP BY person_id
),
last_ended_match AS (
    SELECT person_id, end_reason, ended_at FROM (
        SELECT person_id, end_reason, ended_at,
            ROW_NUMBER() OVER (
                PARTITION BY person_id
                ORDER BY CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END DESC,
                         ended_at DESC, match_id DESC
            ) AS rn
        FROM person_matches
    ) x WHERE rn = 1
),
recent_moods AS (
    SELECT person_id, COUNT(*) AS n,
        SUM(CASE WHEN mood IN ({struggling}) THEN 1 ELSE 0 END) AS bad
    FROM (
        SELECT p.person_id, c.mood,
            ROW_NUMBER() OVER (
                PARTITION BY p.person_id ORDER BY c.checkin_date DESC, c.id DESC
            ) AS rn
        FROM person_matches p JOIN ({match_newest_moods}) c ON c.match_id = p.match_id
    ) x WHERE rn <= 2 GROUP BY person_id
),
att AS (
    SELECT a.person_id, COUNT(*) AS n, MAX(a.attended_at) AS last
    FROM {attendance} a LEFT JOIN {match} m ON m.id = a.match_id
    WHERE {a_in_scope}
      AND (a.match_id IS NULL OR m.program_id = %(program)s)
    GROUP BY a.person_id
),
ss AS (
    SELECT person_id, COUNT(*) AS n, MAX(completed_at) AS last FROM (
        SELECT s.teacher_id AS person_id, s.completed_at
        FROM {skillsession} s LEFT JOIN {match} m ON m.id = s.match_id
        WHERE {teacher_in_scope}
          AND (s.match_id IS NULL OR m.program_id = %(program)s)
        UNION ALL
        SELECT s.learner_id, s.completed_at
        FROM {skillsession} s LEFT JOIN {match} m ON m.id = s.match_id
        WHERE {learner_in_scope}
          AND s.teacher_id <> s.learner_id
          AND (s.match_id IS NULL OR m.program_id = %(program)s)
    ) x GROUP BY person_id
),
ms AS (
    SELECT x.person_id, COUNT(*) AS n, MAX(x.reached_at) AS last FROM {milestone} x
    WHERE {x_in_scope} GROUP BY x.person_id
),
facts AS (
    SELECT e.id AS enrollment_id, e.status AS old_status, e.completed_at AS old_completed_at,
        e.enrolled_at, e.left_at,
        {last_activity} AS last_activity,
        COALESCE(agg.matches_count, 0) AS matches_count, agg.open_n,
        COALESCE(agg.events, 0) + COALESCE(att.n, 0) AS events_count,
        COALESCE(agg.checkins, 0) AS checkins_count,
        COALESCE(ss.n, 0) AS skill_sessions_count,
        COALESCE(ms.n, 0) AS milestones_count,
        COALESCE(agg.match_active, 0) AS match_active,
        COALESCE(agg.checkin_due, 0) AS checkin_due,
        COALESCE(agg.feedback_pending, 0) AS feedback_pending,
        COALESCE(agg.no_contact_a, 0) AS no_contact_a,
        COALESCE(agg.no_contact_b, 0) AS no_contact_b,
        CASE WHEN e.left_at IS NOT NULL AND agg.last_matched > e.left_at THEN 1 ELSE 0 END
            AS came_back,
        last_ended_match.end_reason AS last_end_reason,
        last_ended_match.ended_at AS last_ended_at,
        CASE WHEN COALESCE(recent_moods.n, 0) = 2 AND recent_moods.bad = 2 THEN 1 ELSE 0 END
            AS struggling,
        agg.turn_checkin, agg.turn_feedback, agg.turn_first_feedback, agg.turn_contact_a,
        agg.turn_contact_b
    FROM {enrollment} e
    LEFT JOIN agg ON agg.person_id = e.person_id
    LEFT JOIN last_ended_match ON last_ended_match.person_id = e.person_id
    LEFT JOIN recent_moods ON recent_moods.person_id = e.person_id
    LEFT JOIN att ON att.person_id = e.person_id
    LEFT JOIN ss ON ss.person_id = e.person_id
    LEFT JOIN ms ON ms.person_id = e.person_id
    WHERE {enrollment_scope}
),
seen AS (
    SELECT facts.*,
        CASE WHEN last_activity > enrolled_at THEN last_activity ELSE enrolled_at END
            AS last_seen
    FROM facts
),
ruled AS (
    SELECT seen.*,
        CASE WHEN left_at IS NOT NULL AND came_back = 0 THEN 1
             WHEN matches_count > 0 AND open_n = 0 THEN 2
             WHEN last_seen < %(inactive)s THEN 3
             ELSE 4 END AS rule
    FROM seen
),
new AS (
    SELECT enrollment_id, old_status, old_completed_at,
        CASE rule WHEN 1 THEN 'dropped'
                  WHEN 2 THEN (CASE WHEN last_end_reason = 'completed' THEN 'completed'
                                    ELSE 'dropped' END)
                  WHEN 3 THEN 'dropped' ELSE 'active' END AS status,
        CASE rule WHEN 1 THEN left_at WHEN 2 THEN last_ended_at WHEN 3 THEN last_seen
                  ELSE NULL END AS completed_at,
        CASE rule WHEN 1 THEN %(r_left)s
                  WHEN 2 THEN (CASE WHEN last_end_reason = 'completed' THEN %(r_completed)s
                                    ELSE %(r_early)s END)
                  WHEN 3 THEN %(r_inactive)s ELSE %(r_active)s END AS reason,
        matches_count, events_count, checkins_count, skill_sessions_count, milestones_count,
        (match_active = 1) AS match_active,
        enrolled_at AS joined_at,
        last_activity AS last_activity_at,
        (checkin_due = 1) AS checkin_due,
        (feedback_pending = 1) AS feedback_pending,
        (no_contact_a = 1) AS no_contact_14,
        (no_contact_b = 1) AS no_contact_30,
        (struggling = 1) AS struggling,
        {due_at} AS due_at
    FROM ruled
)
SELECT r.*,
    CASE WHEN f.enrollment_id IS NULL THEN 0 ELSE 1 END AS has_flags,
    CASE WHEN f.enrollment_id IS NULL OR {flags_changed} THEN 1 ELSE 0 END AS flags_changed
FROM new r LEFT JOIN {flags} f ON f.enrollment_id = r.enrollment_id
WHERE r.old_status <> r.status OR {completed_at_changed}
   OR f.enrollment_id IS NULL OR {flags_changed}
"""

# The two newest moods of each match of ``rc_match_facts`` (match_id, checkin_date, id,
# mood): portable, the last two in ascending order, so that the covering index (match,
# checkin_date, id) INCLUDE (mood) is read in order without a sort.
_MATCH_NEWEST_MOODS = """
SELECT match_id, checkin_date, id, mood FROM (
    SELECT t.match_id, t.checkin_date, t.id, t.mood,
        ROW_NUMBER() OVER (PARTITION BY t.match_id ORDER BY t.checkin_date, t.id) AS rn,
        COUNT(*) OVER (PARTITION BY t.match_id) AS n
    FROM {checkin} t
    WHERE t.match_id IN (SELECT match_id FROM rc_match_facts) AND t.mood <> ''
) y WHERE rn >= n - 1
"""
# PostgreSQL: two rows read backwards from that index per match (LATERAL … LIMIT 2)
# instead of two window passes over every check-in of the program.
_PG_MATCH_NEWEST_MOODS = """
SELECT f.match_id, c.checkin_date, c.id, c.mood FROM rc_match_facts f
CROSS JOIN LATERAL (
    SELECT t.checkin_date, t.id, t.mood FROM {checkin} t
    WHERE t.match_id = f.match_id AND t.mood <> ''
    ORDER BY t.checkin_date DESC, t.id DESC LIMIT 2
) c
"""

_HISTORY = """
INSERT INTO {history} (enrollment_id, from_status, to_status, at, reason)
SELECT enrollment_id, old_status, status, %(now)s, reason FROM {new}
WHERE old_status <> status
"""

# PostgreSQL: the ``enrollment.status_changed`` event of each history row, the payload of
# ``core.events.enrollment_data`` built in SQL (the equivalence test compares both paths).
_OUTBOX = """
INSERT INTO {outbox} (id, type, occurred_at, data, correlation_id, program_id)
SELECT gen_random_uuid(), CAST(%(event_type)s AS TEXT), %(now)s, jsonb_build_object(
        'enrollmentId', r.enrollment_id,
        'programId', e.program_id,
        'person', jsonb_build_object('id', e.person_id, 'buddySystemId', (
            SELECT MIN(x.external_id) FROM {externalid} x
            WHERE x.person_id = e.person_id AND x.provider = %(provider)s)),
        'fromStatus', NULLIF(r.old_status, ''),
        'status', r.status,
        'changedAt', CAST(%(now_iso)s AS TEXT)),
    CAST(%(correlation_id)s AS TEXT), e.program_id
FROM {new} r JOIN {enrollment} e ON e.id = r.enrollment_id
WHERE r.old_status <> r.status
"""

# The portable path: what those events say, read to publish them (``core.outbox``).
_STATUS_CHANGES = """
SELECT r.enrollment_id, e.program_id, e.person_id, (
        SELECT MIN(x.external_id) FROM {externalid} x
        WHERE x.person_id = e.person_id AND x.provider = %(provider)s),
    r.old_status, r.status
FROM {new} r JOIN {enrollment} e ON e.id = r.enrollment_id
WHERE r.old_status <> r.status
ORDER BY r.enrollment_id
"""

_UPDATE = """
UPDATE {enrollment} SET status = r.status, completed_at = r.completed_at, updated_at = %(now)s
FROM {new} r
WHERE {enrollment}.id = r.enrollment_id
  AND (r.old_status <> r.status OR {completed_at_changed})
"""

# The flags: inserted where the enrollment has none (a plain INSERT: ``ON CONFLICT``'s
# speculative insertion costs a third more on a program's 100,000 first rows), updated where
# they changed. (The enrollments in scope are locked, or the whole program: nobody else
# inserts them meanwhile.)
_FLAGS_NEW = """
INSERT INTO {flags} (enrollment_id, {columns}, changed_at)
SELECT enrollment_id, {columns}, %(now)s FROM {new} WHERE has_flags = 0
"""
_FLAGS_CHANGED = """
UPDATE {flags} SET {assignments}, changed_at = %(now)s
FROM {new} r
WHERE {flags}.enrollment_id = r.enrollment_id AND r.has_flags = 1 AND r.flags_changed = 1
"""

# PostgreSQL: the new rows and the three writes in one statement (data-modifying CTEs):
# the new rows stay in memory instead of a temporary table written to local buffers.
_PG_WRITES = """
WITH new_rows AS MATERIALIZED ({new_select}),
history AS ({history} RETURNING 1),
published AS ({outbox_insert} RETURNING 1),
moved AS ({update} RETURNING 1),
flagged AS ({flags_insert} RETURNING 1),
reflagged AS ({flags_update} RETURNING 1)
SELECT (SELECT COUNT(*) FROM history)
"""


def _named_to_positional(sql: str, params: dict) -> tuple[str, list]:
    """``%(name)s`` → ``%s`` with a parameter list (the SQLite backend takes positional only)."""
    values: list = []

    def take(match: re.Match) -> str:
        values.append(params[match.group(1)])
        return "%s"

    return re.sub(r"%\((\w+)\)s", take, sql), values


def _tables() -> dict[str, str]:
    return {
        "enrollment": Enrollment._meta.db_table,
        "history": EnrollmentStatusChange._meta.db_table,
        "flags": JourneyFlags._meta.db_table,
        "match": Match._meta.db_table,
        "informalevent": InformalEvent._meta.db_table,
        "checkin": CheckIn._meta.db_table,
        "feedback": Feedback._meta.db_table,
        "skillsession": SkillSession._meta.db_table,
        "attendance": EventAttendance._meta.db_table,
        "milestone": MilestoneAchievement._meta.db_table,
        "outbox": OutboxEvent._meta.db_table,
        "externalid": ExternalId._meta.db_table,
    }


#: First key of the programs' advisory locks (the second is the program id): "enro".
_LOCK_CLASS = 0x656E726F


class PortableRecompute:
    """Plain SQL that SQLite (>= 3.33) and PostgreSQL both run: the new rows go to the
    temporary table ``rc_new``, each write is one statement, the events are published
    through ``core.outbox`` (no portable UUID or JSON function). No locks: SQLite
    serialises writers."""

    locks_rows = False
    match_newest_moods = _MATCH_NEWEST_MOODS
    #: Whether a program run can recompute only what changed (``enrollments.recompute_scope``).
    incremental = False

    def program_lock(self, program_id: int, *, exclusive: bool) -> None:
        return

    def greatest(self, *expressions: str) -> str:
        """The largest non-NULL value, NULL when all are NULL (what ``GREATEST`` does)."""
        first, *rest = expressions
        values = "".join([f"SELECT {first} AS v", *(f" UNION ALL SELECT {e}" for e in rest)])
        return f"(SELECT MAX(v) FROM ({values}) AS candidates)"  # noqa: S608 - our columns

    def least(self, *expressions: str) -> str:
        """The smallest non-NULL value, NULL when all are NULL (what ``LEAST`` does)."""
        first, *rest = expressions
        values = "".join([f"SELECT {first} AS v", *(f" UNION ALL SELECT {e}" for e in rest)])
        return f"(SELECT MIN(v) FROM ({values}) AS candidates)"  # noqa: S608 - our columns

    def plus_days(self, expression: str, days: int) -> str:
        """The instant ``days`` after ``expression`` (SQLite keeps instants as text: Django's
        own duration arithmetic, in microseconds)."""
        if is_postgresql():  # (the portable SQL runs on PostgreSQL in the equivalence tests)
            return f"({expression} + INTERVAL '{int(days)} days')"
        micro = str(int(days) * 86_400_000_000)
        return connection.ops.combine_duration_expression("+", [expression, micro])

    def distinct(self, left: str, right: str) -> str:
        """``left IS DISTINCT FROM right`` (NULLs compare equal)."""
        return f"COALESCE({left} <> {right}, ({left} IS NULL) <> ({right} IS NULL))"

    @contextmanager
    def session(self, cursor):
        yield

    def analyze(self, cursor, table: str, columns: Sequence[str] = ()) -> None:
        return

    def drop_temp_tables(self, cursor, keep=()) -> None:
        for table in reversed(TEMP_TABLES):  # SQLite drops one table per statement
            if table not in POSTGRES_ONLY and table not in keep:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")

    def write(self, cursor, run, fmt: dict, now: datetime) -> int:
        """The new rows (``_NEW``) into ``rc_new``, then the history, the events, the
        enrollments and the flags; the number of status changes."""
        fmt["new"] = "rc_new"
        run(cursor, f"CREATE TEMPORARY TABLE rc_new AS {_NEW}")
        changed = run(cursor, _HISTORY)
        run(cursor, _STATUS_CHANGES)
        published = []
        for enrollment, program, person, buddy_system_id, old, new in cursor.fetchall():
            data = events.enrollment_data(
                enrollment_id=enrollment,
                program_id=program,
                person_id=person,
                person_buddy_system_id=buddy_system_id,
                from_status=old,
                to_status=new,
                at=now,
            )
            published.append(outbox.Event(outbox.ENROLLMENT_STATUS_CHANGED, data, program))
        outbox.publish_many(published, at=now)
        run(cursor, _UPDATE)
        run(cursor, _FLAGS_NEW)
        run(cursor, _FLAGS_CHANGED)
        return changed


class PostgresRecompute:
    """The program's advisory lock, the enrollments in scope locked first (``_LOCK``), the
    temporary tables analysed, and the new rows and all the writes in one statement
    (``_PG_WRITES``); JIT off and ``work_mem`` raised for the transaction, then restored."""

    locks_rows = True
    match_newest_moods = _PG_MATCH_NEWEST_MOODS
    incremental = True

    def program_lock(self, program_id: int, *, exclusive: bool) -> None:
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {function}(%s, %s)", [_LOCK_CLASS, int(program_id)])

    def greatest(self, *expressions: str) -> str:
        return f"GREATEST({', '.join(expressions)})"

    def least(self, *expressions: str) -> str:
        return f"LEAST({', '.join(expressions)})"

    def plus_days(self, expression: str, days: int) -> str:
        return f"({expression} + INTERVAL '{int(days)} days')"

    def distinct(self, left: str, right: str) -> str:
        return f"{left} IS DISTINCT FROM {right}"

    @contextmanager
    def session(self, cursor):
        # JIT compilation costs seconds on these large estimated costs and saves
        # nothing; hash aggregates of a whole program want more than the default
        # 4 MB. Both for this transaction only, restored at the end. Inside an outer
        # ``planner_session`` (the recompute and match health together) nothing to do.
        if _in_planner_session.get():
            yield
            return
        cursor.execute("SELECT current_setting('jit'), current_setting('work_mem')")
        previous_jit, previous_work_mem = cursor.fetchone()
        cursor.execute(
            "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)"
        )
        yield  # not restored after an error: the transaction is aborted and rolls them back
        cursor.execute(
            "SELECT set_config('jit', %s, true), set_config('work_mem', %s, true)",
            [previous_jit, previous_work_mem],
        )

    def analyze(self, cursor, table: str, columns: Sequence[str] = ()) -> None:
        # A temporary table is never auto-analysed: without statistics the
        # planner would assume a few hundred rows and pick nested loops. ``columns``:
        # only those the plans join on (each column's statistics cost a sort).
        cursor.execute(f"ANALYZE {table}" + (f" ({', '.join(columns)})" if columns else ""))

    def drop_temp_tables(self, cursor, keep=()) -> None:
        tables = [table for table in TEMP_TABLES if table not in keep]
        cursor.execute(f"DROP TABLE IF EXISTS {', '.join(tables)}")

    def write(self, cursor, run, fmt: dict, now: datetime) -> int:
        """The new rows and the four writes in one statement; the number of status changes."""
        fmt["new"] = "new_rows"
        pieces = {
            "new_select": _NEW,
            "history": _HISTORY,
            "outbox_insert": _OUTBOX,
            "update": _UPDATE,
            "flags_insert": _FLAGS_NEW,
            "flags_update": _FLAGS_CHANGED,
        }
        run(cursor, _PG_WRITES, pieces=pieces)
        return cursor.fetchone()[0]


#: The set-based recompute's dialect: portable SQL, or PostgreSQL's locks and one statement.
recompute_dialect: Seam[PortableRecompute | PostgresRecompute] = Seam(
    "enrollments.recompute", generic=PortableRecompute(), postgresql=PostgresRecompute()
)


#: Set while ``planner_session`` holds the settings (nested sessions leave them alone).
_in_planner_session: ContextVar[bool] = ContextVar("in_planner_session", default=False)


@contextmanager
def planner_session() -> Iterator[None]:
    """The recompute's planner settings (PostgreSQL: JIT off, ``work_mem`` raised) for
    everything inside, once: the program-wide run wraps the journey recompute *and* match
    health in it, whose facts statement the planner would otherwise JIT-compile (0.8 s of
    compilation on 24,000 matches, for a 0.5 s query; bench/health)."""
    with connection.cursor() as cursor, recompute_dialect.impl.session(cursor):
        token = _in_planner_session.set(True)
        try:
            yield
        finally:
            _in_planner_session.reset(token)


def program_lock(program_id: int, *, exclusive: bool) -> None:
    """Take the program's recompute lock until the transaction ends (PostgreSQL; a no-op
    elsewhere): shared for runs over some people, exclusive for a whole program."""
    recompute_dialect.impl.program_lock(program_id, exclusive=exclusive)


def recompute_set_based(
    *,
    program_id: int,
    now: datetime,
    person_ids: Sequence[int] | None = None,
    contact_since: datetime | None = None,
    before_writes: Callable[[], None] | None = None,
) -> int:
    """Recompute the program's enrollments (or those of ``person_ids``); return status changes.

    ``contact_since``: keep ``rc_match_facts`` for match health, with its contact facts
    (``_HEALTH_COLUMNS``, contacts counted from then); the caller drops it
    (``drop_match_facts``). ``before_writes``: called once the facts are read, before the
    writes (what the caller reads of ``rc_match_facts`` to work on while they run). The
    caller holds the transaction.
    """
    c = journey.conf()
    dt = connection.ops.adapt_datetimefield_value
    ago = lambda days: dt(now - timedelta(days=days))  # noqa: E731
    no_contact_a, no_contact_b = c["NO_CONTACT_DAYS"][:2]
    params = {
        "program": program_id,
        "now": dt(now),
        "checkin_due": ago(c["CHECKIN_DUE_DAYS"]),
        "feedback_every": ago(c["FEEDBACK_EVERY_DAYS"]),
        "feedback_first": ago(c["FEEDBACK_FIRST_DAYS"]),
        "no_contact_a": ago(no_contact_a),
        "no_contact_b": ago(no_contact_b),
        "inactive": ago(c["INACTIVE_AFTER_DAYS"]),
        "r_left": journey.REASON_LEFT,
        "r_completed": journey.REASON_COMPLETED,
        "r_early": journey.REASON_ENDED_EARLY,
        "r_inactive": journey.REASON_INACTIVE,
        "r_active": journey.REASON_ACTIVE,
        "event_type": outbox.ENROLLMENT_STATUS_CHANGED,
        "provider": settings.BUDDY_PROVIDER,
        "now_iso": events.iso(now),
        "correlation_id": outbox.current_correlation() or "",
    }
    scope_steps: list[tuple[str, str]] = []
    if person_ids is None:
        # The whole program: each activity table is aggregated whole (one hash aggregate,
        # no join before it) and the LEFT JOINs keep the program's matches and people.
        # Activity of other programs is aggregated too, which costs less than a hash
        # semi-join of every row with the program's matches.
        match_scope, enrollment_scope = _IN_PROGRAM, "e.program_id = %(program)s"
        matches_in_scope = people_in_scope = None
    else:  # some people: their ids and their matches in two small analysed tables
        ids = sorted({int(i) for i in person_ids})
        if not ids:
            return 0
        scope_steps = [("rc_people", _SCOPE_PEOPLE), ("rc_scope", _SCOPE_MATCHES)]
        match_scope = "m.id IN (SELECT match_id FROM rc_scope)"
        enrollment_scope = (
            "e.program_id = %(program)s AND e.person_id IN (SELECT person_id FROM rc_people)"
        )
        matches_in_scope = "IN (SELECT match_id FROM rc_scope)"
        people_in_scope = "IN (SELECT person_id FROM rc_people)"

    def in_scope(column: str, condition: str | None) -> str:
        return f"{column} {condition}" if condition else "1 = 1"

    moods = ", ".join(f"%(mood{i})s" for i in range(len(c["STRUGGLING_MOODS"])))
    params.update({f"mood{i}": m for i, m in enumerate(c["STRUGGLING_MOODS"])})

    dialect = recompute_dialect.impl
    # Integers only: nothing from input reaches the SQL as text.
    id_list = ", ".join(str(i) for i in ids) if person_ids is not None else ""
    lock_scope = "e.program_id = %(program)s"
    if person_ids is not None:
        lock_scope += f" AND e.person_id IN ({id_list})"
    dialect.program_lock(program_id, exclusive=person_ids is None)
    if dialect.locks_rows and person_ids is not None:
        scope_steps.insert(0, ("rc_locked", _LOCK))
        enrollment_scope += " AND e.id IN (SELECT id FROM rc_locked)"
    flag_columns = list(journey.STORED_FIELDS)
    tables = _tables()
    fmt = {
        **tables,
        "id_list": id_list,
        "lock_scope": lock_scope,
        "in_program": _IN_PROGRAM,
        "match_scope": match_scope,
        "t_in_scope": in_scope("t.match_id", matches_in_scope),
        "a_in_scope": in_scope("a.person_id", people_in_scope),
        "teacher_in_scope": in_scope("s.teacher_id", people_in_scope),
        "learner_in_scope": in_scope("s.learner_id", people_in_scope),
        "x_in_scope": in_scope("x.person_id", people_in_scope),
        "enrollment_scope": enrollment_scope,
        "struggling": moods,
        "match_newest_moods": dialect.match_newest_moods.format(checkin=tables["checkin"]),
        "completed_at_changed": dialect.distinct("r.old_completed_at", "r.completed_at"),
        "last_contact": dialect.greatest(
            "m.matched_at", "ev.last", "ci.last", "fb.last", "ss.last", "at.last"
        ),
        "health_columns": "",
        "last_activity": dialect.greatest(
            "agg.last_contact", "agg.last_ended", "att.last", "ss.last", "ms.last"
        ),
        "due_at": dialect.least(
            dialect.plus_days("turn_checkin", c["CHECKIN_DUE_DAYS"]),
            dialect.plus_days("turn_feedback", c["FEEDBACK_EVERY_DAYS"]),
            dialect.plus_days("turn_first_feedback", c["FEEDBACK_FIRST_DAYS"]),
            dialect.plus_days("turn_contact_a", no_contact_a),
            dialect.plus_days("turn_contact_b", no_contact_b),
            "CASE WHEN rule = 4 THEN "
            + dialect.plus_days("last_seen", c["INACTIVE_AFTER_DAYS"])
            + " END",
        ),
        "columns": ", ".join(flag_columns),
        "assignments": ", ".join(f"{f} = r.{f}" for f in flag_columns),
        "flags_changed": "("
        + " OR ".join(dialect.distinct(f"f.{f}", f"r.{f}") for f in flag_columns)
        + ")",
    }

    for name in ("event", "checkin", "session", "attendance"):
        fmt[f"recent_{name}"] = ""
    if contact_since is not None:
        params["contact_since"] = dt(contact_since)
        dates = {"event": "event_date", "checkin": "checkin_date", "session": "completed_at",
                 "attendance": "attended_at"}  # fmt: skip
        for name, date in dates.items():
            fmt[f"recent_{name}"] = (
                f", SUM(CASE WHEN t.{date} >= %(contact_since)s THEN 1 ELSE 0 END) AS recent"
            )
        health_last_contact = dialect.greatest(
            "m.matched_at", "ev.last", "ci.last", "ss.last", "at.last"
        )
        fmt["health_columns"] = _HEALTH_COLUMNS.format(health_last_contact=health_last_contact)

    def run(cursor, template: str, pieces: dict[str, str] | None = None) -> int:
        """Format the template (and the statements ``pieces`` it embeds), then execute."""
        sql = template
        if pieces:
            sql = sql.format(**{name: piece.format(**fmt) for name, piece in pieces.items()})
        else:
            sql = sql.format(**fmt)
        sql, values = _named_to_positional(sql, params)
        cursor.execute(sql, values)
        return cursor.rowcount

    with connection.cursor() as cursor, dialect.session(cursor):
        dialect.drop_temp_tables(cursor)
        for table, select in [*scope_steps, ("rc_match_facts", _MATCH_FACTS)]:
            run(cursor, f"CREATE TEMPORARY TABLE {table} AS {select}")
            dialect.analyze(cursor, table, ANALYZED_COLUMNS.get(table, ()))
        if before_writes is not None:
            before_writes()
        changed = dialect.write(cursor, run, fmt, now)
        dialect.drop_temp_tables(cursor, keep=("rc_match_facts",) if contact_since else ())
    if changed:
        outbox.wake_relay_on_commit()
    return changed


def drop_match_facts() -> None:
    """Drop ``rc_match_facts`` kept for match health (``contact_since``)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS rc_match_facts")
