"""Set-based recompute of enrollments and journey flags: a few SQL statements per program.

The rules are those of ``enrollments.journey`` (the readable per-person path),
written as aggregations and window functions over the activity tables, in steps
whose intermediate results are temporary tables (``ANALYZE``d on PostgreSQL, so
the planner knows their size and picks hash joins and hash aggregates for a whole
program, index lookups for a few thousand people):

1. ``rc_enr``  the enrollments to recompute (the program's, or those of ``person_ids``);
2. ``rc_pm``   each enrollment's matches in the program (any status but declined);
   ``rc_m``    the distinct matches;
3. ``rc_mf``   per match: each activity table aggregated once (``GROUP BY match_id``)
   and the last contact; ``rc_mood`` its two newest moods;
4. ``rc_own``  per enrollment: the person's own attendances, sessions and milestones;
5. ``rc_new``  per enrollment: the new status, completed_at, reason and every flag;
6. ``INSERT … SELECT`` a history row for each status that changes;
   ``UPDATE … FROM`` the enrollments whose status or completed_at changed;
   ``INSERT … ON CONFLICT DO UPDATE`` only the journey flags that changed.

Plain SQL that runs on PostgreSQL and SQLite (≥ 3.33 for ``UPDATE … FROM``);
thresholds come from settings as parameters (``now - n days`` computed once).
"""

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import connection

from buddy.models import (
    CheckIn,
    EventAttendance,
    Feedback,
    InformalEvent,
    Match,
    MilestoneAchievement,
    SkillSession,
)
from enrollments import journey
from enrollments.models import Enrollment, EnrollmentStatusChange, JourneyFlags

#: Temporary tables, in creation order (dropped at the end, and before in case a
#: previous run in this session failed half-way).
TEMP_TABLES = ("rc_enr", "rc_pm", "rc_m", "rc_mf", "rc_mood", "rc_own", "rc_new")

_STEPS = (
    (
        "rc_enr",
        """
SELECT id AS enrollment_id, person_id, enrolled_at, left_at, status, completed_at
FROM {enrollment} WHERE program_id = %(program)s {person_filter}
""",
    ),
    (
        "rc_pm",
        """
SELECT e.enrollment_id, m.id AS match_id, m.status, m.matched_at, m.ended_at, m.end_reason
FROM rc_enr e JOIN {match} m ON m.participant_id = e.person_id
WHERE m.program_id = %(program)s AND m.status <> 'declined'
UNION ALL
SELECT e.enrollment_id, m.id, m.status, m.matched_at, m.ended_at, m.end_reason
FROM rc_enr e JOIN {match} m ON m.buddy_id = e.person_id
WHERE m.program_id = %(program)s AND m.status <> 'declined'
""",
    ),
    ("rc_m", "SELECT DISTINCT match_id, matched_at FROM rc_pm"),
    (
        "rc_mf",
        """
SELECT m.match_id,
    COALESCE(ev.n, 0) AS events, COALESCE(ci.n, 0) AS checkins,
    ci.last AS last_checkin, fb.last AS last_feedback,
    {last_contact} AS last_contact
FROM rc_m m
LEFT JOIN (
    SELECT t.match_id, COUNT(*) AS n, MAX(t.event_date) AS last FROM {informalevent} t
    WHERE t.match_id IN (SELECT match_id FROM rc_m) GROUP BY t.match_id
) ev ON ev.match_id = m.match_id
LEFT JOIN (
    SELECT t.match_id, COUNT(*) AS n, MAX(t.checkin_date) AS last FROM {checkin} t
    WHERE t.match_id IN (SELECT match_id FROM rc_m) GROUP BY t.match_id
) ci ON ci.match_id = m.match_id
LEFT JOIN (
    SELECT t.match_id, MAX(t.submitted_at) AS last FROM {feedback} t
    WHERE t.match_id IN (SELECT match_id FROM rc_m) GROUP BY t.match_id
) fb ON fb.match_id = m.match_id
LEFT JOIN (
    SELECT t.match_id, MAX(t.completed_at) AS last FROM {skillsession} t
    WHERE t.match_id IN (SELECT match_id FROM rc_m) GROUP BY t.match_id
) ss ON ss.match_id = m.match_id
LEFT JOIN (
    SELECT t.match_id, MAX(t.attended_at) AS last FROM {attendance} t
    WHERE t.match_id IN (SELECT match_id FROM rc_m) GROUP BY t.match_id
) at ON at.match_id = m.match_id
""",
    ),
    (
        "rc_mood",
        """
SELECT match_id, checkin_date, id, mood FROM (
    SELECT c.match_id, c.checkin_date, c.id, c.mood,
        ROW_NUMBER() OVER (
            PARTITION BY c.match_id ORDER BY c.checkin_date DESC, c.id DESC
        ) AS rn
    FROM {checkin} c
    WHERE c.match_id IN (SELECT match_id FROM rc_m) AND c.mood <> ''
) x WHERE rn <= 2
""",
    ),
    (
        "rc_own",
        """
SELECT e.enrollment_id,
    COALESCE(att.n, 0) AS att_n, att.last AS att_last,
    COALESCE(ss.n, 0) AS ss_n, ss.last AS ss_last,
    COALESCE(ms.n, 0) AS ms_n, ms.last AS ms_last
FROM rc_enr e
LEFT JOIN (
    SELECT a.person_id, COUNT(*) AS n, MAX(a.attended_at) AS last
    FROM {attendance} a LEFT JOIN {match} m ON m.id = a.match_id
    WHERE a.person_id IN (SELECT person_id FROM rc_enr)
      AND (a.match_id IS NULL OR m.program_id = %(program)s)
    GROUP BY a.person_id
) att ON att.person_id = e.person_id
LEFT JOIN (
    SELECT person_id, COUNT(*) AS n, MAX(completed_at) AS last FROM (
        SELECT s.teacher_id AS person_id, s.completed_at
        FROM {skillsession} s LEFT JOIN {match} m ON m.id = s.match_id
        WHERE s.teacher_id IN (SELECT person_id FROM rc_enr)
          AND (s.match_id IS NULL OR m.program_id = %(program)s)
        UNION ALL
        SELECT s.learner_id, s.completed_at
        FROM {skillsession} s LEFT JOIN {match} m ON m.id = s.match_id
        WHERE s.learner_id IN (SELECT person_id FROM rc_enr)
          AND s.teacher_id <> s.learner_id
          AND (s.match_id IS NULL OR m.program_id = %(program)s)
    ) x GROUP BY person_id
) ss ON ss.person_id = e.person_id
LEFT JOIN (
    SELECT x.person_id, COUNT(*) AS n, MAX(x.reached_at) AS last FROM {milestone} x
    WHERE x.person_id IN (SELECT person_id FROM rc_enr) GROUP BY x.person_id
) ms ON ms.person_id = e.person_id
""",
    ),
    (
        "rc_new",
        """
WITH
agg AS (
    SELECT pm.enrollment_id,
        COUNT(*) AS matches_count,
        SUM(mf.events) AS events,
        SUM(mf.checkins) AS checkins,
        SUM(CASE WHEN pm.status IN ('proposed', 'accepted', 'active', 'inactive')
            THEN 1 ELSE 0 END) AS open_n,
        MAX(CASE WHEN pm.status = 'active' THEN 1 ELSE 0 END) AS match_active,
        MAX(CASE WHEN pm.status = 'active'
                 AND COALESCE(mf.last_checkin, pm.matched_at) < %(checkin_due)s
            THEN 1 ELSE 0 END) AS checkin_due,
        MAX(CASE WHEN pm.status = 'active' AND (mf.last_feedback < %(feedback_every)s
                 OR (mf.last_feedback IS NULL AND pm.matched_at < %(feedback_first)s))
            THEN 1 ELSE 0 END) AS feedback_pending,
        MAX(CASE WHEN pm.status = 'active' AND mf.last_contact < %(no_contact_a)s
            THEN 1 ELSE 0 END) AS no_contact_a,
        MAX(CASE WHEN pm.status = 'active' AND mf.last_contact < %(no_contact_b)s
            THEN 1 ELSE 0 END) AS no_contact_b,
        MAX(mf.last_contact) AS last_contact,
        MAX(pm.ended_at) AS last_ended
    FROM rc_pm pm JOIN rc_mf mf ON mf.match_id = pm.match_id
    GROUP BY pm.enrollment_id
),
le AS (
    SELECT enrollment_id, end_reason, ended_at FROM (
        SELECT enrollment_id, end_reason, ended_at,
            ROW_NUMBER() OVER (
                PARTITION BY enrollment_id
                ORDER BY CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END DESC,
                         ended_at DESC, match_id DESC
            ) AS rn
        FROM rc_pm
    ) x WHERE rn = 1
),
md AS (
    SELECT enrollment_id, COUNT(*) AS n,
        SUM(CASE WHEN mood IN ({struggling}) THEN 1 ELSE 0 END) AS bad
    FROM (
        SELECT pm.enrollment_id, c.mood,
            ROW_NUMBER() OVER (
                PARTITION BY pm.enrollment_id ORDER BY c.checkin_date DESC, c.id DESC
            ) AS rn
        FROM rc_pm pm JOIN rc_mood c ON c.match_id = pm.match_id
    ) x WHERE rn <= 2 GROUP BY enrollment_id
),
back AS (
    SELECT DISTINCT pm.enrollment_id FROM rc_pm pm JOIN rc_enr e
        ON e.enrollment_id = pm.enrollment_id
    WHERE e.left_at IS NOT NULL AND pm.matched_at > e.left_at
),
facts AS (
    SELECT e.enrollment_id, e.enrolled_at, e.left_at, e.last_activity,
        CASE WHEN e.last_activity > e.enrolled_at THEN e.last_activity
             ELSE e.enrolled_at END AS last_seen,
        e.matches_count, e.open_n, e.events, e.checkins, e.att_n, e.ss_n, e.ms_n,
        e.match_active, e.checkin_due, e.feedback_pending, e.no_contact_a, e.no_contact_b,
        e.back_id, le.end_reason AS last_end_reason, le.ended_at AS last_ended_at,
        md.n AS mood_n, md.bad AS mood_bad
    FROM (
        SELECT e.enrollment_id, e.enrolled_at, e.left_at,
            {last_activity} AS last_activity,
            COALESCE(agg.matches_count, 0) AS matches_count, agg.open_n,
            COALESCE(agg.events, 0) AS events, COALESCE(agg.checkins, 0) AS checkins,
            o.att_n, o.ss_n, o.ms_n,
            COALESCE(agg.match_active, 0) AS match_active,
            COALESCE(agg.checkin_due, 0) AS checkin_due,
            COALESCE(agg.feedback_pending, 0) AS feedback_pending,
            COALESCE(agg.no_contact_a, 0) AS no_contact_a,
            COALESCE(agg.no_contact_b, 0) AS no_contact_b,
            b.enrollment_id AS back_id
        FROM rc_enr e
        JOIN rc_own o ON o.enrollment_id = e.enrollment_id
        LEFT JOIN agg ON agg.enrollment_id = e.enrollment_id
        LEFT JOIN back b ON b.enrollment_id = e.enrollment_id
    ) e
    LEFT JOIN le ON le.enrollment_id = e.enrollment_id
    LEFT JOIN md ON md.enrollment_id = e.enrollment_id
),
ruled AS (
    SELECT facts.*,
        CASE WHEN left_at IS NOT NULL AND back_id IS NULL THEN 1
             WHEN matches_count > 0 AND open_n = 0 THEN 2
             WHEN last_seen < %(inactive)s THEN 3
             ELSE 4 END AS rule
    FROM facts
)
SELECT enrollment_id,
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
    matches_count, events + att_n AS events_count, checkins AS checkins_count,
    ss_n AS skill_sessions_count, ms_n AS milestones_count,
    (match_active = 1) AS match_active,
    enrolled_at AS joined_at,
    last_activity AS last_activity_at,
    (checkin_due = 1) AS checkin_due,
    (feedback_pending = 1) AS feedback_pending,
    (no_contact_a = 1) AS no_contact_14,
    (no_contact_b = 1) AS no_contact_30,
    (COALESCE(mood_n, 0) = 2 AND mood_bad = 2) AS struggling
FROM ruled
""",
    ),
)

_HISTORY = """
INSERT INTO {history} (enrollment_id, from_status, to_status, at, reason)
SELECT r.enrollment_id, e.status, r.status, %(now)s, r.reason
FROM rc_new r JOIN rc_enr e ON e.enrollment_id = r.enrollment_id
WHERE e.status <> r.status
"""

_UPDATE = """
UPDATE {enrollment} SET status = r.status, completed_at = r.completed_at, updated_at = %(now)s
FROM rc_new r JOIN rc_enr e ON e.enrollment_id = r.enrollment_id
WHERE {enrollment}.id = r.enrollment_id
  AND (e.status <> r.status OR e.completed_at {distinct} r.completed_at)
"""

_FLAGS = """
INSERT INTO {flags} (enrollment_id, {columns}, changed_at)
SELECT r.enrollment_id, {r_columns}, %(now)s
FROM rc_new r LEFT JOIN {flags} f ON f.enrollment_id = r.enrollment_id
WHERE f.enrollment_id IS NULL OR {changed}
ON CONFLICT (enrollment_id) DO UPDATE SET {assignments}, changed_at = excluded.changed_at
"""


def _named_to_positional(sql: str, params: dict) -> tuple[str, list]:
    """``%(name)s`` → ``%s`` with a parameter list (the SQLite backend takes positional only)."""
    values: list = []

    def take(match: re.Match) -> str:
        values.append(params[match.group(1)])
        return "%s"

    return re.sub(r"%\((\w+)\)s", take, sql), values


def _greatest(*expressions: str) -> str:
    """The largest non-NULL value, NULL when all are NULL (PostgreSQL's ``GREATEST``).

    SQLite's scalar ``MAX`` is NULL as soon as one argument is, so each argument is
    coalesced with all the others: a NULL is replaced by a present value, which
    cannot change the maximum."""
    if connection.vendor == "postgresql":
        return f"GREATEST({', '.join(expressions)})"
    rotations = [
        f"COALESCE({', '.join(expressions[i:] + expressions[:i])})"
        for i in range(len(expressions))
    ]
    return f"MAX({', '.join(rotations)})"


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
    }


def _drop_temp_tables(cursor) -> None:
    for table in reversed(TEMP_TABLES):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def recompute_set_based(
    *, program_id: int, now: datetime, person_ids: Sequence[int] | None = None
) -> int:
    """Recompute the program's enrollments (or those of ``person_ids``); return status changes.

    The caller holds the transaction.
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
    }
    person_filter = ""
    if person_ids is not None:
        ids = sorted({int(i) for i in person_ids})
        if not ids:
            return 0
        person_filter = f"AND person_id IN ({', '.join(str(i) for i in ids)})"
    moods = ", ".join(f"%(mood{i})s" for i in range(len(c["STRUGGLING_MOODS"])))
    params.update({f"mood{i}": m for i, m in enumerate(c["STRUGGLING_MOODS"])})

    postgres = connection.vendor == "postgresql"
    distinct = "IS DISTINCT FROM" if postgres else "IS NOT"
    flag_columns = list(journey.FLAG_FIELDS)
    fmt = {
        **_tables(),
        "person_filter": person_filter,
        "struggling": moods,
        "distinct": distinct,
        "last_contact": _greatest(
            "m.matched_at", "ev.last", "ci.last", "fb.last", "ss.last", "at.last"
        ),
        "last_activity": _greatest(
            "agg.last_contact", "agg.last_ended", "o.att_last", "o.ss_last", "o.ms_last"
        ),
        "columns": ", ".join(flag_columns),
        "r_columns": ", ".join(f"r.{f}" for f in flag_columns),
        "assignments": ", ".join(f"{f} = excluded.{f}" for f in flag_columns),
        "changed": " OR ".join(f"f.{f} {distinct} r.{f}" for f in flag_columns),
    }

    def run(cursor, template: str) -> int:
        sql, values = _named_to_positional(template.format(**fmt), params)
        cursor.execute(sql, values)
        return cursor.rowcount

    with connection.cursor() as cursor:
        if postgres:
            # JIT compilation costs seconds on these large estimated costs and saves
            # nothing; hash aggregates of a whole program want more than the default
            # 4 MB. Both for this transaction only, restored at the end.
            cursor.execute("SELECT current_setting('jit'), current_setting('work_mem')")
            previous_jit, previous_work_mem = cursor.fetchone()
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
        _drop_temp_tables(cursor)
        for table, select in _STEPS:
            run(cursor, f"CREATE TEMPORARY TABLE {table} AS {select}")
            if postgres:
                # Temporary tables are never auto-analysed: without statistics the
                # planner assumes a few hundred rows and picks nested loops.
                cursor.execute(f"ANALYZE {table}")
        changed = run(cursor, _HISTORY)
        run(cursor, _UPDATE)
        run(cursor, _FLAGS)
        _drop_temp_tables(cursor)
        if postgres:
            cursor.execute(
                "SELECT set_config('jit', %s, true), set_config('work_mem', %s, true)",
                [previous_jit, previous_work_mem],
            )
    return changed
