"""Match health: a 0–100 score per active match, its parts and the reasons as codes with
their numbers and roles (rendered in words by ``enrollments.health_reasons``). Two ways to
read the facts (per match, set-based), one way to judge them (``derive``); both paths give
identical results. The parts and their weights:
docs/architecture.md, "Match health".
"""

import gc
import json
import threading
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Window
from django.db.models.functions import RowNumber

from buddy.models import (
    CheckIn,
    EventAttendance,
    Feedback,
    InformalEvent,
    Match,
    MatchStatus,
    MilestoneAchievement,
    Program,
    SkillSession,
)
from core.db import Seam, column, table
from enrollments.models import HealthBand

CATEGORIES = ("communication", "helpfulness", "engagement")
ROLES = ("participant", "buddy")
#: Contact tables and their date field (all linked to the match).
CONTACT_TABLES = (
    (InformalEvent, "event_date"),
    (CheckIn, "checkin_date"),
    (SkillSession, "completed_at"),
    (EventAttendance, "attended_at"),
)


def conf(program: Program | None = None) -> dict:
    """The program's health settings: the defaults with the program's overrides."""
    merged = {**settings.MATCH_HEALTH}
    overrides = (program.health_settings if program is not None else None) or {}
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


@dataclass
class HealthFacts:
    id: int
    matched_at: datetime
    last_contact_at: datetime | None = None
    contacts_recent: int = 0
    moods: list[str] = field(default_factory=list)  # newest first
    # role → newest first: (rating, communication, helpfulness, engagement)
    feedback: dict[str, list[tuple]] = field(default_factory=dict)
    last_feedback_at: datetime | None = None
    milestones: int = 0


@dataclass
class Health:
    score: int
    band: str
    parts: dict[str, float]
    reasons: list[dict]  # codes and parameters, worst first; reasons[0] is the band's reason
    top_reason: dict


def _mood_depth(c: dict) -> int:
    return 2 * c["MOOD_RECENT"]


# ---------------------------------------------------------------- per-match path


def match_facts_one(match: Match, *, now: datetime, c: dict, as_of: bool = False) -> HealthFacts:
    """The facts of one active match (readable; seven small queries). ``as_of``: only the
    activity up to ``now`` counts (a past instant: the facts the match had then; any match,
    ended ones too)."""
    window_start = now - timedelta(days=c["REGULARITY_WINDOW_DAYS"])
    facts = HealthFacts(id=match.pk, matched_at=match.matched_at)
    last = [match.matched_at]

    def until(date_field: str) -> dict:
        return {f"{date_field}__lte": now} if as_of else {}

    for model, date_field in CONTACT_TABLES:
        row = model.objects.filter(match_id=match.pk, **until(date_field)).aggregate(
            last=Max(date_field),
            recent=Count("id", filter=Q(**{f"{date_field}__gte": window_start})),
        )
        last.append(row["last"])
        facts.contacts_recent += row["recent"]
    facts.last_contact_at = max(v for v in last if v is not None)
    facts.moods = list(
        CheckIn.objects.filter(match_id=match.pk, **until("checkin_date"))
        .exclude(mood="")
        .order_by("-checkin_date", "-id")
        .values_list("mood", flat=True)[: _mood_depth(c)]
    )
    # Every feedback of the match, newest first (a few dozen at most): two per side.
    for role, submitted_at, *values in (
        Feedback.objects.filter(match_id=match.pk, **until("submitted_at"))
        .order_by("-submitted_at", "-id")
        .values_list("from_role", "submitted_at", "rating", *CATEGORIES)
    ):
        facts.last_feedback_at = facts.last_feedback_at or submitted_at
        if role in ROLES and len(facts.feedback.setdefault(role, [])) < 2:
            facts.feedback[role].append(tuple(values))
    facts.milestones = MilestoneAchievement.objects.filter(
        person_id=match.participant_id, reached_at__gte=match.matched_at, **until("reached_at")
    ).count()
    return facts


def health_as_of(match: Match, *, at: datetime, c: dict | None = None) -> Health:
    """The health ``match`` had at ``at`` (a past instant), judged from the activity up to
    then only, with the product's own judgement (``derive``): what the benchmark validates
    on ended matches (bench/health, "AUC")."""
    c = c or conf(match.program)
    return derive(match_facts_one(match, now=at, c=c, as_of=True), c=c, now=at)


# ---------------------------------------------------------------- set-based path


def active_matches(*, program_id: int, person_ids=None):
    """The active matches in scope: the program's, or those of these people in it."""
    qs = Match.objects.filter(
        program_id=program_id, status=MatchStatus.ACTIVE, matched_at__isnull=False
    )
    if person_ids is not None:
        qs = qs.filter(Q(participant_id__in=person_ids) | Q(buddy_id__in=person_ids))
    return qs


def _newest(queryset, *, partition, order, limit: int):
    """Rows of ``queryset`` ranked newest first per partition, the first ``limit`` kept
    (one windowed query)."""
    return queryset.annotate(
        rn=Window(RowNumber(), partition_by=[F(p) for p in partition], order_by=order)
    ).filter(rn__lte=limit)


def match_facts_set(*, program_id: int, now: datetime, c: dict, person_ids=None) -> dict:
    """The facts of every active match in scope in a fixed number of queries."""
    scope = active_matches(program_id=program_id, person_ids=person_ids)
    facts = {
        row["id"]: HealthFacts(id=row["id"], matched_at=row["matched_at"])
        for row in scope.values("id", "matched_at").order_by()
    }
    if not facts:
        return facts
    in_scope = scope.values("id")
    window_start = now - timedelta(days=c["REGULARITY_WINDOW_DAYS"])
    last_seen: dict[int, datetime] = {i: f.matched_at for i, f in facts.items()}
    for model, date_field in CONTACT_TABLES:
        rows = (
            model.objects.filter(match_id__in=in_scope)
            .values("match_id")
            .annotate(
                last=Max(date_field),
                recent=Count("id", filter=Q(**{f"{date_field}__gte": window_start})),
            )
            .order_by()
        )
        for row in rows:
            i = row["match_id"]
            if row["last"] is not None and row["last"] > last_seen[i]:
                last_seen[i] = row["last"]
            facts[i].contacts_recent += row["recent"]
    for i, at in last_seen.items():
        facts[i].last_contact_at = at
    moods = _newest(
        CheckIn.objects.filter(match_id__in=in_scope).exclude(mood=""),
        partition=["match_id"],
        order=[F("checkin_date").desc(), F("id").desc()],
        limit=_mood_depth(c),
    ).values_list("match_id", "mood", "rn")
    for match_id, mood, _rn in sorted(moods, key=lambda r: (r[0], r[2])):
        facts[match_id].moods.append(mood)
    feedback = _newest(
        Feedback.objects.filter(match_id__in=in_scope),
        partition=["match_id", "from_role"],
        order=[F("submitted_at").desc(), F("id").desc()],
        limit=2,
    ).values_list("match_id", "from_role", "rn", "rating", *CATEGORIES)
    grouped: dict[tuple, list] = defaultdict(list)
    for match_id, role, _rn, *values in sorted(feedback, key=lambda r: (r[0], r[1], r[2])):
        grouped[(match_id, role)].append(tuple(values))
    for (match_id, role), rows in grouped.items():
        if role in ROLES:
            facts[match_id].feedback[role] = rows
    for row in (
        Feedback.objects.filter(match_id__in=in_scope)
        .values("match_id")
        .annotate(last=Max("submitted_at"))
        .order_by()
    ):
        facts[row["match_id"]].last_feedback_at = row["last"]
    for row in (
        scope.filter(participant__milestones__reached_at__gte=F("matched_at"))
        .values("id")
        .annotate(n=Count("participant__milestones"))
        .order_by()
    ):
        facts[row["id"]].milestones = row["n"]
    return facts


# ---------------------------------------------------------------- judgement


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def _decay(days: float, good: float, bad: float) -> float:
    """1 up to ``good`` days, 0 from ``bad`` days, linear between."""
    if days <= good:
        return 1.0
    return _clamp(1 - (days - good) / max(bad - good, 1))


def _mean(values) -> float:
    return sum(values) / len(values)


def _closest_mood(value: float, c: dict) -> str:
    return min(c["MOOD_VALUES"].items(), key=lambda kv: (abs(kv[1] - value), -kv[1]))[0]


def derive(facts: HealthFacts, *, c: dict, now: datetime) -> Health:
    """Score, band, parts and reasons of one match at ``now`` (pure)."""
    neutral = c["NEUTRAL"]
    parts: dict[str, float] = {}
    # Each part's reason as a code with its numbers and roles (``enrollments.health_reasons``
    # renders them in the reader's language).
    words: dict[str, dict] = {}

    days = (now - facts.last_contact_at).days
    parts["contact_recency"] = _decay(days, c["CONTACT_GOOD_DAYS"], c["CONTACT_BAD_DAYS"])
    words["contact_recency"] = {"code": "no_contact", "days": days}
    parts["contact_regularity"] = _clamp(facts.contacts_recent / c["REGULARITY_EXPECTED"])
    words["contact_regularity"] = {
        "code": "contacts_recent",
        "n": facts.contacts_recent,
        "window": c["REGULARITY_WINDOW_DAYS"],
    }

    values = [c["MOOD_VALUES"][m] for m in facts.moods if m in c["MOOD_VALUES"]]
    k = c["MOOD_RECENT"]
    recent, earlier = values[:k], values[k:]
    if recent:
        level = _mean(recent)
        parts["mood_level"] = round(level, 4)
        words["mood_level"] = {
            "code": "mood_level",
            "mood": _closest_mood(level, c),
            "n": len(recent),
        }
    else:
        parts["mood_level"] = neutral
        words["mood_level"] = {"code": "no_mood"}
    if recent and earlier:
        before = _mean(earlier)
        parts["mood_trend"] = round(_clamp(0.5 + (level - before)), 4)
        moods = {"before": _closest_mood(before, c), "after": _closest_mood(level, c)}
        words["mood_trend"] = (
            {"code": "mood_fell", **moods, "n": len(recent)}
            if level < before
            else {"code": "mood_change", **moods}
        )
    else:
        parts["mood_trend"] = neutral
        words["mood_trend"] = {"code": "few_checkins"}

    latest = {role: rows[0] for role, rows in facts.feedback.items()}
    if latest:
        worst_role = min(latest, key=lambda r: (latest[r][0], r))
        parts["ratings"] = round(_mean([row[0] for row in latest.values()]), 4)
        words["ratings"] = {
            "code": "rated",
            "role": worst_role,
            "value": round(latest[worst_role][0], 4),
        }
    else:
        parts["ratings"] = neutral
        words["ratings"] = {"code": "no_rating"}
    trends = {
        role: rows[0][0] - rows[1][0] for role, rows in facts.feedback.items() if len(rows) > 1
    }
    if trends:
        role = min(trends, key=lambda r: (trends[r], r))
        parts["rating_trend"] = round(_clamp(0.5 + _mean(list(trends.values()))), 4)
        words["rating_trend"] = (
            {"code": "rating_fell", "role": role, "by": round(-trends[role], 4)}
            if trends[role] < 0
            else {"code": "rating_changed", "role": role, "change": round(trends[role], 4)}
        )
    else:
        parts["rating_trend"] = neutral
        words["rating_trend"] = {"code": "few_ratings"}

    categories = [
        (row[1 + n], role, name)
        for role, row in latest.items()
        for n, name in enumerate(CATEGORIES)
        if row[1 + n] is not None
    ]
    if categories:
        value, role, name = min(categories)
        parts["categories"] = round(value, 4)
        words["categories"] = {
            "code": "category_rated",
            "role": role,
            "category": name,
            "value": round(value, 4),
        }
    else:
        parts["categories"] = neutral
        words["categories"] = {"code": "no_category_ratings"}

    parts["milestones"] = _clamp(facts.milestones / c["MILESTONES_TARGET"])
    words["milestones"] = {"code": "milestones", "n": facts.milestones}

    if facts.last_feedback_at is not None:
        fb_days = (now - facts.last_feedback_at).days
        words["feedback_recency"] = {"code": "no_feedback_for", "days": fb_days}
    else:
        fb_days = (now - facts.matched_at).days
        words["feedback_recency"] = {"code": "no_feedback_in", "days": fb_days}
    parts["feedback_recency"] = _decay(fb_days, c["FEEDBACK_GOOD_DAYS"], c["FEEDBACK_BAD_DAYS"])

    weights = c["WEIGHTS"]
    total = sum(weights.get(p, 0) for p in parts) or 1
    score = round(100 * sum(weights.get(p, 0) * v for p, v in parts.items()) / total)
    score = max(0, min(100, score))
    if score >= c["BANDS"]["healthy"]:
        band = HealthBand.HEALTHY
    elif score >= c["BANDS"]["watch"]:
        band = HealthBand.WATCH
    else:
        band = HealthBand.AT_RISK
    # Reasons: the parts that cost the most score first (weight × shortfall).
    shortfall = sorted(
        (p for p in parts if weights.get(p, 0) and parts[p] < 1),
        key=lambda p: (-(weights[p] * (1 - parts[p])), p),
    )
    reasons = [words[p] for p in shortfall if parts[p] < neutral or p == shortfall[0]]
    top = reasons[0] if reasons else {"code": "all_healthy"}
    parts = {p: round(v, 4) for p, v in parts.items()}
    return Health(score=score, band=str(band), parts=parts, reasons=reasons, top_reason=top)


# ---------------------------------------------------------------- PostgreSQL facts

# Every fact of every active match in scope in one statement: each table is aggregated
# once per match (hash aggregates; the newest moods and feedback as ordered arrays).
_PG_FACTS = """
WITH scope AS (
    SELECT m.id, m.matched_at, m.participant_id FROM {match} m
    WHERE m.program_id = %(program)s AND m.status = 'active' AND m.matched_at IS NOT NULL
      {people}
),
contact AS ({contact}),
moods AS (
    -- The newest moods of each match read backwards from the covering index (match,
    -- checkin_date, id) INCLUDE (mood), a few rows per match, instead of sorting every
    -- check-in of the scope.
    SELECT s.id AS match_id, ARRAY(
        SELECT t.{mood} FROM {checkin} t WHERE t.match_id = s.id AND t.{mood} <> ''
        ORDER BY t.{checkin_date} DESC, t.id DESC LIMIT %(depth)s
    ) AS moods
    FROM scope s
),
feedback AS (
    SELECT t.match_id, MAX(t.{submitted_at}) AS last,
        (array_agg(ARRAY[t.{rating}, t.{communication}, t.{helpfulness}, t.{engagement}]
            ORDER BY t.{submitted_at} DESC, t.id DESC)
            FILTER (WHERE t.{from_role} = 'participant'))[1:2] AS participant,
        (array_agg(ARRAY[t.{rating}, t.{communication}, t.{helpfulness}, t.{engagement}]
            ORDER BY t.{submitted_at} DESC, t.id DESC)
            FILTER (WHERE t.{from_role} = 'buddy'))[1:2] AS buddy
    FROM {feedback} t
    WHERE t.match_id IN (SELECT id FROM scope)
    GROUP BY t.match_id
),
milestones AS (
    SELECT s.id AS match_id, COUNT(*) AS n
    FROM scope s JOIN {milestone} x
      ON x.{person_id} = s.participant_id AND x.{reached_at} >= s.matched_at
    GROUP BY s.id
)
-- Instants as whole microseconds since the epoch (exact; see ``PostgresHealth.facts``).
SELECT s.id, {matched_us}, {contact_us}, COALESCE(contact.recent, 0), moods.moods,
    feedback.participant, feedback.buddy, {feedback_us}, COALESCE(milestones.n, 0)
FROM scope s
LEFT JOIN contact ON contact.match_id = s.id
LEFT JOIN moods ON moods.match_id = s.id
LEFT JOIN feedback ON feedback.match_id = s.id
LEFT JOIN milestones ON milestones.match_id = s.id
"""

# The last contact and the contacts since the window's start of each match: from the
# recompute's ``rc_match_facts`` when it was kept for health, else aggregated here.
_PG_CONTACT_KEPT = """
    SELECT match_id, health_last_contact AS last, health_contacts_recent AS recent
    FROM rc_match_facts
"""
_PG_CONTACT = """
    SELECT match_id, MAX(d) AS last, SUM(CASE WHEN d >= %(window)s THEN 1 ELSE 0 END) AS recent
    FROM (
        SELECT t.match_id, t.{event_date} AS d FROM {informalevent} t
        WHERE t.match_id IN (SELECT id FROM scope)
        UNION ALL
        SELECT t.match_id, t.{checkin_date} FROM {checkin} t
        WHERE t.match_id IN (SELECT id FROM scope)
        UNION ALL
        SELECT t.match_id, t.{completed_at} FROM {skillsession} t
        WHERE t.match_id IN (SELECT id FROM scope)
        UNION ALL
        SELECT t.match_id, t.{attended_at} FROM {attendance} t
        WHERE t.match_id IN (SELECT id FROM scope)
    ) x GROUP BY match_id
"""


# The health of the matches no longer active in scope is removed (their history stays),
# the current band of those in scope is read (who enters "at risk"), and whether any of
# them has a current row (of any program: the key is the match) or a row this week, in one
# statement (all read the snapshot before the removal).
_PG_REMOVE = """
WITH removed AS (
    DELETE FROM {health} h WHERE h.program_id = %(program)s
      AND h.match_id <> ALL(%(ids)s::bigint[]) {people}
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM removed), (
    SELECT jsonb_object_agg(h.match_id, h.band) FROM {health} h
    WHERE h.program_id = %(program)s AND h.match_id = ANY(%(ids)s::bigint[])), EXISTS (
    SELECT 1 FROM {health} h WHERE h.match_id = ANY(%(ids)s::bigint[])
    UNION ALL
    SELECT 1 FROM {week} w WHERE w.week = %(week)s AND w.match_id = ANY(%(ids)s::bigint[]))
"""

# The new health of every match in scope, written where it changed (``band_reason`` and
# ``band_since`` kept while the band holds), this week's history row where its score
# changed; the number of rows written. (No join with the old rows here: on a table analysed
# while empty the planner would rescan them once per new row.) ``{health_conflict}`` and
# ``{week_conflict}``: the ``ON CONFLICT`` clauses below, or nothing where no match in scope
# has a current row or a row this week (``_PG_WRITE_FIRST``: a program's first run inserts
# every row; the speculative insertion of ``ON CONFLICT`` would cost more).
_PG_WRITE_ROWS = """
WITH new AS (
    SELECT CAST(r->>0 AS bigint) AS match_id, CAST(r->>1 AS integer) AS score,
        r->>2 AS band, r->3 AS parts, r->4 AS reasons, r->5 AS top_reason
    FROM jsonb_array_elements(CAST(%(rows)s AS jsonb)) AS r
),
written AS (
    INSERT INTO {health} AS h (match_id, program_id, score, band, parts, reasons,
        band_reason, band_since, computed_at)
    SELECT match_id, %(program)s, score, band, parts, reasons, top_reason, %(now)s, %(now)s
    FROM new
    {health_conflict}
    RETURNING 1
),
weekly AS (
    INSERT INTO {week} AS w (match_id, program_id, week, score, band)
    SELECT match_id, %(program)s, %(week)s, score, band FROM new
    {week_conflict}
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM written), (SELECT COUNT(*) FROM weekly)
"""
_PG_HEALTH_CONFLICT = """ON CONFLICT (match_id) DO UPDATE SET
        score = excluded.score, band = excluded.band, parts = excluded.parts,
        reasons = excluded.reasons,
        band_reason = CASE WHEN h.band = excluded.band THEN h.band_reason
                           ELSE excluded.band_reason END,
        band_since = CASE WHEN h.band = excluded.band THEN h.band_since
                          ELSE excluded.band_since END,
        computed_at = excluded.computed_at
    WHERE h.score <> excluded.score OR h.band <> excluded.band
       OR h.parts <> excluded.parts OR h.reasons <> excluded.reasons"""
_PG_WEEK_CONFLICT = """ON CONFLICT (match_id, week) DO UPDATE SET
        score = excluded.score, band = excluded.band
    WHERE w.score <> excluded.score"""
_PG_WRITE = _PG_WRITE_ROWS.replace("{health_conflict}", _PG_HEALTH_CONFLICT).replace(
    "{week_conflict}", _PG_WEEK_CONFLICT
)
_PG_WRITE_FIRST = _PG_WRITE_ROWS.replace("{health_conflict}", "").replace("{week_conflict}", "")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _microseconds(expression: str) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {expression}) * 1000000 AS bigint)"


def _sql_names() -> dict[str, str]:
    from enrollments.models import MatchHealth, MatchHealthWeek

    names = {
        "match": table(Match),
        "informalevent": table(InformalEvent),
        "checkin": table(CheckIn),
        "skillsession": table(SkillSession),
        "attendance": table(EventAttendance),
        "feedback": table(Feedback),
        "milestone": table(MilestoneAchievement),
        "health": table(MatchHealth),
        "week": table(MatchHealthWeek),
        "event_date": column(InformalEvent, "event_date"),
        "checkin_date": column(CheckIn, "checkin_date"),
        "mood": column(CheckIn, "mood"),
        "completed_at": column(SkillSession, "completed_at"),
        "attended_at": column(EventAttendance, "attended_at"),
        "submitted_at": column(Feedback, "submitted_at"),
        "from_role": column(Feedback, "from_role"),
        "rating": column(Feedback, "rating"),
        "person_id": column(MilestoneAchievement, "person"),
        "reached_at": column(MilestoneAchievement, "reached_at"),
    }
    names.update({name: column(Feedback, name) for name in CATEGORIES})
    return names


def _people_condition(alias: str, person_ids) -> str:
    """``AND`` the match's participant or buddy among the ids (integers only: nothing from
    input reaches the SQL as text)."""
    if person_ids is None:
        return ""
    ids = ", ".join(str(int(i)) for i in sorted(set(person_ids))) or "NULL"
    return f"AND ({alias}.participant_id IN ({ids}) OR {alias}.buddy_id IN ({ids}))"


class GenericHealth:
    """The ORM: the facts in grouped and windowed queries (``match_facts_set``), the
    current rows compared in Python and written with ``bulk_create`` (any database)."""

    reads_match_facts = False

    def fact_rows(
        self, *, program_id: int, now: datetime, c: dict, person_ids=None, kept=False
    ) -> dict:
        """What the facts are made of, read by the caller's connection (here the facts)."""
        return match_facts_set(program_id=program_id, now=now, c=c, person_ids=person_ids)

    def facts_of(self, rows: dict) -> dict:
        return rows

    def fact_rows_beside(self, **kwargs) -> None:
        """No reader beside the caller's connection: the facts are read on it."""
        return None

    def encode(self, results: dict):
        return None

    def write(
        self, *, program: Program, results: dict, now: datetime, person_ids=None, encoded=None
    ):
        return _write_orm(program=program, results=results, now=now, person_ids=person_ids)


class PostgresHealth:
    """PostgreSQL: every fact in one statement (``_PG_FACTS``); the removal, then the
    current rows and this week's history compared and written in one statement
    (``_PG_WRITE``: the rows as one JSON document, ``ON CONFLICT … WHERE`` changed).
    The contact facts come from the recompute's ``rc_match_facts`` when it kept them
    (``kept``: a program-wide run, ``enrollments_recompute_program``)."""

    reads_match_facts = True

    def fact_rows(
        self, *, program_id: int, now: datetime, c: dict, person_ids=None, kept=False
    ) -> list:
        """The rows of the facts statement (``facts_of`` makes them facts)."""
        names = _sql_names()
        contact = _PG_CONTACT_KEPT if kept and person_ids is None else _PG_CONTACT.format(**names)
        sql = _PG_FACTS.format(
            **names,
            contact=contact,
            people=_people_condition("m", person_ids),
            matched_us=_microseconds("s.matched_at"),
            contact_us=_microseconds("GREATEST(s.matched_at, contact.last)"),
            feedback_us=_microseconds("feedback.last"),
        )
        params = {
            "program": program_id,
            "window": window_start(c, now),
            "depth": _mood_depth(c),
        }
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def fact_rows_beside(
        self, *, program_id: int, now: datetime, c: dict, person_ids=None
    ) -> "Callable[[], list] | None":
        """A function reading ``fact_rows`` on a connection of its own (that of the thread
        calling it) while the caller's runs its own statements: what the caller would read
        in a statement of its own then, as long as its transaction wrote nothing yet (its
        own rows are visible to it alone) and reads committed rows per statement (each of
        its statements sees the rows committed when it starts, as this one does).
        ``None`` otherwise."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_current_xact_id_if_assigned() IS NULL"
                " AND current_setting('transaction_isolation') = 'read committed'"
            )
            if not cursor.fetchone()[0]:
                return None

        def read() -> list:
            from enrollments.recompute_sql import planner_session

            try:
                with transaction.atomic(), planner_session():
                    return self.fact_rows(
                        program_id=program_id, now=now, c=c, person_ids=person_ids
                    )
            finally:
                connection.close()  # (the thread's own connection)

        return read

    def facts_of(self, rows: list) -> dict:
        # Instants as whole microseconds since the epoch (exact), turned into datetimes by
        # one addition each: the driver's time-zone aware parser costs 20 µs a value.
        facts = {}
        for (
            i,
            matched_at,
            last_contact,
            recent,
            moods,
            participant,
            buddy,
            last_feedback,
            milestones,
        ) in rows:
            feedback = {}
            for role, feedback_rows in (("participant", participant), ("buddy", buddy)):
                if feedback_rows:
                    feedback[role] = [tuple(row) for row in feedback_rows]
            facts[i] = HealthFacts(
                id=i,
                matched_at=_EPOCH + timedelta(microseconds=matched_at),
                last_contact_at=_EPOCH + timedelta(microseconds=last_contact),
                contacts_recent=recent,
                moods=moods or [],
                feedback=feedback,
                last_feedback_at=None
                if last_feedback is None
                else _EPOCH + timedelta(microseconds=last_feedback),
                milestones=milestones,
            )
        return facts

    def encode(self, results: dict) -> str:
        """The rows of ``_PG_WRITE`` as one JSON document, in id order (one C-encoded dump
        costs less than an array per column)."""
        return json.dumps(
            [
                [i, h.score, h.band, h.parts, h.reasons, h.top_reason]
                for i, h in sorted(results.items())
            ]
        )

    def write(
        self, *, program: Program, results: dict, now: datetime, person_ids=None, encoded=None
    ):
        names = _sql_names()
        ids = sorted(results)
        rows = [results[i] for i in ids]
        params = {"program": program.pk, "ids": ids, "week": week_of(now)}
        with connection.cursor() as cursor:
            cursor.execute(
                _PG_REMOVE.format(**names, people=_people_removed(names, person_ids)), params
            )
            removed, old_bands, rows_kept = cursor.fetchone()
            # (Django has the driver hand JSON over as text)
            old_bands = json.loads(old_bands) if isinstance(old_bands, str) else old_bands or {}
            if not ids:
                return {"scored": 0, "written": 0, "entered_at_risk": 0, "removed": removed}
            if encoded is None:
                encoded = self.encode(results)
            params.update(now=now, rows=encoded)
            # A whole program's run (the exclusive program lock: nobody else writes its
            # health meanwhile) whose matches have no current row and none this week: every
            # row is new, inserted without ``ON CONFLICT`` (its first run).
            first = person_ids is None and not rows_kept
            cursor.execute((_PG_WRITE_FIRST if first else _PG_WRITE).format(**names), params)
            written, _weeks = cursor.fetchone()
        entered = sum(
            h.band == HealthBand.AT_RISK and old_bands.get(str(i)) != h.band
            for i, h in zip(ids, rows, strict=True)
        )
        return {
            "scored": len(ids),
            "written": written,
            "entered_at_risk": entered,
            "removed": removed,
        }


def _people_removed(names: dict, person_ids) -> str:
    if person_ids is None:
        return ""
    condition = _people_condition("m", person_ids)[4:]
    return f"AND h.match_id IN (SELECT m.id FROM {names['match']} m WHERE {condition})"  # noqa: S608 - ids


#: How the set-based health recompute reads its facts and writes its rows.
health_sql: Seam[GenericHealth | PostgresHealth] = Seam(
    "enrollments.health", generic=GenericHealth(), postgresql=PostgresHealth()
)


# ---------------------------------------------------------------- writes


def week_of(now: datetime):
    day = now.date()
    return day - timedelta(days=day.weekday())


def window_start(c: dict, now: datetime) -> datetime:
    """Where the contacts that count for regularity start."""
    return now - timedelta(days=c["REGULARITY_WINDOW_DAYS"])


def reads_match_facts() -> bool:
    """Whether the set-based health reads the contact facts the journey recompute can keep
    for it (``recompute_set_based(contact_since=...)``)."""
    return health_sql.impl.reads_match_facts


def recompute(
    *,
    program: Program,
    now: datetime,
    person_ids=None,
    per_match: bool = False,
    match_facts_kept: bool = False,
) -> dict[str, int]:
    """Recompute the health of the active matches in scope and write what changed: the
    current row (band reason kept while the band holds), this week's history row, and the
    removal of rows of matches no longer active. The caller holds the transaction.

    ``per_match``: read the facts match by match (the few-people path) instead of
    set-based. ``match_facts_kept``: the program's ``rc_match_facts`` of this transaction
    holds the contact facts (``window_start(conf(program), now)``). Returns counts:
    ``scored``, ``written``, ``entered_at_risk``, ``removed``.
    """
    return start(
        program=program,
        now=now,
        person_ids=person_ids,
        per_match=per_match,
        match_facts_kept=match_facts_kept,
    ).finish()


#: From this many matches the judgement runs on a thread (``start``); below it inline.
JUDGE_ON_A_THREAD_FROM = 2000


def start(
    *,
    program: Program,
    now: datetime,
    person_ids=None,
    per_match: bool = False,
    match_facts_kept: bool = False,
    beside: bool = False,
) -> "PendingHealth":
    """``recompute`` in two halves: the facts are read now, on the caller's connection,
    and judged (``derive``, the rows encoded) on a thread of their own while the caller
    runs its next statements; ``finish()`` waits for the judgement and writes. The program
    run reads health's facts before the journey's writes, whose statement keeps the
    database busy for seconds while Python would wait: Python's share of health (derive,
    the JSON) then takes no time of its own (psycopg releases the GIL while it waits).
    The thread touches no database and nothing shared: ``derive`` is pure.

    ``beside`` (a program run, before it writes): the thread reads the facts too, on a
    connection of its own (``start_beside``), while the caller's connection runs the
    journey's statements; where that cannot be they are read here."""
    if beside and not per_match and not match_facts_kept:
        pending = start_beside(program=program, now=now, person_ids=person_ids)
        if pending is not None:
            return pending
    c = conf(program)
    impl = health_sql.impl
    with _collector_paused():
        if per_match:
            matches = active_matches(program_id=program.pk, person_ids=person_ids).order_by("pk")
            rows = {m.pk: match_facts_one(m, now=now, c=c) for m in matches}
            facts_of = dict
        else:
            rows = impl.fact_rows(
                program_id=program.pk, now=now, c=c, person_ids=person_ids, kept=match_facts_kept
            )
            facts_of = impl.facts_of

    def judge() -> tuple[dict, object]:
        with _collector_paused():
            results = {i: derive(f, c=c, now=now) for i, f in facts_of(rows).items()}
            return results, impl.encode(results)

    return PendingHealth(
        judge,
        lambda results, encoded: impl.write(
            program=program, results=results, now=now, person_ids=person_ids, encoded=encoded
        ),
        on_a_thread=len(rows) >= JUDGE_ON_A_THREAD_FROM,
    )


def start_beside(*, program: Program, now: datetime, person_ids=None) -> "PendingHealth | None":
    """``start`` with the facts read on the thread too, on a connection of its own
    (``fact_rows_beside``); ``None`` where that cannot be (the caller's transaction wrote
    already, or not PostgreSQL): nothing was read then."""
    c = conf(program)
    impl = health_sql.impl
    read = impl.fact_rows_beside(program_id=program.pk, now=now, c=c, person_ids=person_ids)
    if read is None:
        return None

    def read_and_judge() -> tuple[dict, object]:
        with _collector_paused():
            results = {i: derive(f, c=c, now=now) for i, f in impl.facts_of(read()).items()}
            return results, impl.encode(results)

    return PendingHealth(
        read_and_judge,
        lambda results, encoded: impl.write(
            program=program, results=results, now=now, person_ids=person_ids, encoded=encoded
        ),
        on_a_thread=True,
    )


class PendingHealth:
    """Match health judged (on a thread, or already), written by ``finish()``."""

    def __init__(self, judge, write, *, on_a_thread: bool):
        self._write = write
        self._judged = None
        self._error: BaseException | None = None
        self._thread = None
        if on_a_thread:
            self._thread = threading.Thread(
                target=self._run, args=(judge,), name="health-judge", daemon=True
            )
            self._thread.start()
        else:
            self._judged = judge()

    def _run(self, judge) -> None:
        try:
            self._judged = judge()
        except BaseException as error:  # re-raised by finish() in the caller's thread
            self._error = error

    def finish(self) -> dict[str, int]:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise self._error
        results, encoded = self._judged
        return self._write(results, encoded)


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector paused while a program's facts and results are
    built (a few objects per match, none of them cyclic): its collections, triggered by
    those allocations and walking every object of the process, cost more than the facts
    themselves (0.4 of 0.5 s CPU at 24,000 matches; bench/health)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _write_orm(*, program: Program, results: dict, now: datetime, person_ids=None) -> dict:
    from enrollments.models import MatchHealth, MatchHealthWeek

    stale = MatchHealth.objects.filter(program=program).exclude(match_id__in=list(results))
    if person_ids is not None:
        stale = stale.filter(
            Q(match__participant_id__in=person_ids) | Q(match__buddy_id__in=person_ids)
        )
    removed = stale.delete()[0]

    existing = {row.match_id: row for row in MatchHealth.objects.filter(match_id__in=list(results))}
    week = week_of(now)
    weeks = dict(
        MatchHealthWeek.objects.filter(match_id__in=list(results), week=week).values_list(
            "match_id", "score"
        )
    )
    rows, week_rows, entered = [], [], 0
    for i, h in results.items():
        old = existing.get(i)
        if old is None or old.band != h.band:
            band_reason, band_since = h.top_reason, now
            entered += h.band == HealthBand.AT_RISK
        else:
            band_reason, band_since = old.band_reason, old.band_since
        if old is None or (old.score, old.band, old.parts, old.reasons, old.band_reason) != (
            h.score,
            h.band,
            h.parts,
            h.reasons,
            band_reason,
        ):
            rows.append(
                MatchHealth(
                    match_id=i,
                    program_id=program.pk,
                    score=h.score,
                    band=h.band,
                    parts=h.parts,
                    reasons=h.reasons,
                    band_reason=band_reason,
                    band_since=band_since,
                    computed_at=now,
                )
            )
        if weeks.get(i) != h.score:
            week_rows.append(
                MatchHealthWeek(
                    match_id=i, program_id=program.pk, week=week, score=h.score, band=h.band
                )
            )
    fields = ["score", "band", "parts", "reasons", "band_reason", "band_since", "computed_at"]
    MatchHealth.objects.bulk_create(
        rows, batch_size=2000, update_conflicts=True, unique_fields=["match"], update_fields=fields
    )
    MatchHealthWeek.objects.bulk_create(
        week_rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["match", "week"],
        update_fields=["score", "band"],
    )
    return {
        "scored": len(results),
        "written": len(rows),
        "entered_at_risk": entered,
        "removed": removed,
    }
