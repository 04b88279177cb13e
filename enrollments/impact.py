"""Impact figures (seed 001 "Integration Points"): selectors computed in the database,
grouped per volunteer, company or program over an optional date range; every coefficient
in ``settings.IMPACT``. How hours, quality, outcomes and SROI are attributed, and what it
costs: docs/architecture.md, "Impact figures".
"""

import statistics
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Lower, Trim, TruncMonth
from django.utils import timezone

from buddy.models import (
    AccessRole,
    CheckIn,
    Company,
    Enrollment,
    EnrollmentStatus,
    EventAttendance,
    Feedback,
    InformalEvent,
    Match,
    MatchStatus,
    MilestoneAchievement,
    Person,
    Program,
    ProgramType,
    Role,
    SkillSession,
)
from buddy.selectors import program_by_type, program_in_scope
from core.db import Seam
from core.errors import DomainError
from enrollments.health_figures import BandCounts, HealthFigures, health_figures_for

MOOD_SCORE = {"difficult": 1, "struggling": 2, "okay": 3, "good": 4, "great": 5}
PER = ("volunteer", "company", "program")


def conf() -> dict:
    return settings.IMPACT


class _PercentileCont(Func):
    """PostgreSQL's exact median (``PERCENTILE_CONT(0.5) WITHIN GROUP``) as an aggregate."""

    contains_aggregate = True
    template = "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


class GenericFigures:
    """The ORM: the values read and the median taken in Python (SQLite has no percentile
    function); nothing to switch off."""

    @contextmanager
    def without_jit(self):
        yield

    def median(self, queryset, expression, output_field):
        values = list(
            queryset.annotate(_v=expression).exclude(_v__isnull=True).values_list("_v", flat=True)
        )
        return statistics.median(values) if values else None


class PostgresFigures:
    """``PERCENTILE_CONT`` in the database; JIT off while the grouped queries run."""

    @contextmanager
    def without_jit(self):
        """PostgreSQL JIT-compiles these grouped queries (high estimated cost) and spends
        longer compiling than running them; switched off for the duration, then restored."""
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            previous = cursor.fetchone()[0]
            cursor.execute("SET jit = off")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('jit', %s, false)", [previous])

    def median(self, queryset, expression, output_field):
        return queryset.aggregate(m=_PercentileCont(expression, output_field=output_field))["m"]


#: How the impact figures run their grouped queries and take medians.
figures_sql: Seam[GenericFigures | PostgresFigures] = Seam(
    "enrollments.impact", generic=GenericFigures(), postgresql=PostgresFigures()
)


@dataclass
class Hours:
    skill_session: float = 0.0
    informal_event: float = 0.0
    formal_event: float = 0.0
    hours: float = 0.0
    weighted_hours: float = 0.0


@dataclass
class Quality:
    feedback_count: int = 0
    mean_rating: float | None = None
    communication: float | None = None
    helpfulness: float | None = None
    engagement: float | None = None
    learner_rating: float | None = None


@dataclass
class Outcomes:
    milestones: int = 0
    integration_milestones: int = 0
    mood_trend: float | None = None


@dataclass
class Sroi:
    investment: float = 0.0
    integration_points: float = 0.0
    language_points: float = 0.0
    job_readiness_points: float = 0.0
    social_value: float = 0.0
    ratio: float | None = None


@dataclass
class Impact:
    key: int
    hours: Hours = field(default_factory=Hours)
    quality: Quality = field(default_factory=Quality)
    outcomes: Outcomes = field(default_factory=Outcomes)
    sroi: Sroi = field(default_factory=Sroi)


def _range(date_field: str, start: datetime | None, end: datetime | None) -> Q:
    q = Q()
    if start is not None:
        q &= Q(**{f"{date_field}__gte": start})
    if end is not None:
        q &= Q(**{f"{date_field}__lt": end})
    return q


def _enrolled(program: Program, person_ref: str):
    return Exists(Enrollment.objects.filter(program=program, person_id=OuterRef(person_ref)))


def _grouped(queryset, per: str, program: Program, **aggregates) -> dict[int, dict]:
    """``{key: {aggregate: value}}`` grouped in the database by the ``per`` key."""
    if per == "program":
        return {program.pk: queryset.aggregate(**aggregates)}
    key = f"{per}_key"
    rows = queryset.exclude(**{f"{key}__isnull": True}).values(key).annotate(**aggregates)
    return {row.pop(key): row for row in rows.order_by()}


# --- Rows of each kind, with their volunteer and company ------------------------------------


def _sessions(program, start, end):
    teacher_is_buddy = Q(teacher__role=Role.BUDDY)
    learner_is_buddy = Q(learner__role=Role.BUDDY)
    return (
        SkillSession.objects.filter(_range("completed_at", start, end))
        .annotate(
            volunteer_key=Case(
                When(teacher_is_buddy, then=F("teacher_id")),
                When(learner_is_buddy, then=F("learner_id")),
            ),
            company_key=Case(
                When(teacher_is_buddy, then=F("teacher__company_id")),
                When(learner_is_buddy, then=F("learner__company_id")),
            ),
        )
        .filter(volunteer_key__isnull=False)
        .annotate(volunteer_enrolled=_enrolled(program, "volunteer_key"))
        .filter(Q(match__program=program) | Q(match__isnull=True, volunteer_enrolled=True))
    )


def _informal_events(program, start, end):
    return InformalEvent.objects.filter(
        _range("event_date", start, end), match__program=program
    ).annotate(volunteer_key=F("match__buddy_id"), company_key=F("match__buddy__company_id"))


def _attendances(program, start, end):
    return (
        EventAttendance.objects.filter(_range("attended_at", start, end), person__role=Role.BUDDY)
        .annotate(
            volunteer_key=F("person_id"),
            company_key=F("person__company_id"),
            volunteer_enrolled=_enrolled(program, "person_id"),
            organizer_norm=Lower(Trim("organizer")),
            company_norm=Lower(Trim("person__company__name")),
        )
        .filter(Q(match__program=program) | Q(match__isnull=True, volunteer_enrolled=True))
    )


def _minutes_sum(minutes, weight=None):
    expr = Cast(minutes, FloatField()) / 60.0
    if weight is not None:
        expr = expr * weight
    return Coalesce(Sum(expr, output_field=FloatField()), Value(0.0))


def _session_aggregates(w: dict) -> dict:
    """Every figure taken from skill sessions, computed in one grouped query."""
    minutes = Coalesce("duration_minutes", 0)
    return {
        "h": _minutes_sum(minutes),
        "wh": _minutes_sum(minutes, Value(w["skill_session"])),
        "language": Count("id", filter=Q(skill_category__iexact="language")),
        "professional": Count("id", filter=Q(skill_category__iexact="professional")),
        # Sessions the volunteer taught (AVG skips sessions without a rating).
        "learner_rating": Avg("learner_rating", filter=Q(teacher__role=Role.BUDDY)),
    }


def _session_figures(program, per, start, end) -> dict[int, dict]:
    return _grouped(
        _sessions(program, start, end), per, program, **_session_aggregates(conf()["HOUR_WEIGHTS"])
    )


def volunteer_hours(
    *, program: Program, per: str, start=None, end=None, sessions: dict | None = None
) -> dict[int, Hours]:
    """Hours per kind, total and weighted, grouped ``per`` volunteer, company or program.

    ``sessions`` is the result of ``_session_figures`` when the caller already has it."""
    c = conf()
    w = c["HOUR_WEIGHTS"]
    organised = Q(organizer_norm=F("company_norm")) & ~Q(organizer_norm="")
    formal_weight = Case(
        When(organised, then=Value(w["formal_event_organised"])),
        default=Value(w["formal_event"]),
        output_field=FloatField(),
    )
    kinds = {
        "informal_event": (
            _informal_events(program, start, end),
            Coalesce("duration_minutes", c["INFORMAL_EVENT_DEFAULT_MINUTES"]),
            Value(w["informal_event"]),
        ),
        "formal_event": (
            _attendances(program, start, end),
            Coalesce("duration_minutes", 0),
            formal_weight,
        ),
    }
    grouped_by_kind = {
        "skill_session": sessions
        if sessions is not None
        else _session_figures(program, per, start, end)
    }
    for kind, (queryset, minutes, weight) in kinds.items():
        grouped_by_kind[kind] = _grouped(
            queryset,
            per,
            program,
            h=_minutes_sum(minutes),
            wh=_minutes_sum(minutes, weight),
        )
    result: dict[int, Hours] = {}
    for kind in ("skill_session", "informal_event", "formal_event"):
        for key, row in grouped_by_kind[kind].items():
            hours = result.setdefault(key, Hours())
            setattr(hours, kind, row["h"])
            hours.hours += row["h"]
            hours.weighted_hours += row["wh"]
    return result


def quality_scores(
    *, program: Program, per: str, start=None, end=None, sessions: dict | None = None
) -> dict[int, Quality]:
    feedback = Feedback.objects.filter(
        _range("submitted_at", start, end),
        match__program=program,
        from_role=Role.PARTICIPANT,
    ).annotate(volunteer_key=F("match__buddy_id"), company_key=F("match__buddy__company_id"))
    result: dict[int, Quality] = {}
    for key, row in _grouped(
        feedback,
        per,
        program,
        feedback_count=Count("id"),
        mean_rating=Avg("rating"),
        communication=Avg("communication"),
        helpfulness=Avg("helpfulness"),
        engagement=Avg("engagement"),
    ).items():
        if row["feedback_count"]:
            result[key] = Quality(**row)
    if sessions is None:
        sessions = _session_figures(program, per, start, end)
    for key, row in sessions.items():
        if row["learner_rating"] is not None:
            result.setdefault(key, Quality()).learner_rating = row["learner_rating"]
    return result


def outcome_signals(*, program: Program, per: str, start=None, end=None) -> dict[int, Outcomes]:
    c = conf()
    integration = Q(milestone_category__in=c["INTEGRATION_MILESTONE_CATEGORIES"])
    milestones = MilestoneAchievement.objects.filter(
        _range("reached_at", start, end), person__role=Role.PARTICIPANT
    )
    if per == "program":
        milestones = milestones.filter(person__enrollments__program=program)
    else:
        milestones = milestones.filter(person__matches_as_participant__program=program).annotate(
            volunteer_key=F("person__matches_as_participant__buddy_id"),
            company_key=F("person__matches_as_participant__buddy__company_id"),
        )
    result: dict[int, Outcomes] = {}
    for key, row in _grouped(
        milestones,
        per,
        program,
        milestones=Count("id", distinct=True),
        integration_milestones=Count("id", filter=integration, distinct=True),
    ).items():
        if row["milestones"]:
            result[key] = Outcomes(**row)

    for key, trend in _mood_trends(program, per, start, end).items():
        result.setdefault(key, Outcomes()).mood_trend = trend
    return result


def _mood_trends(program: Program, per: str, start, end) -> dict[int, float]:
    """Mean over matches of (last mood score - first mood score) in the range, for matches
    with two or more moods: one pass over the check-ins (a row number and a count per
    match) instead of four correlated sub-queries per match."""
    checkins = (
        CheckIn.objects.filter(_range("checkin_date", start, end), match__program=program)
        .exclude(mood="")
        .values("match_id", "mood", "checkin_date", "id")
        .order_by()
    )
    inner_sql, params = checkins.query.sql_with_params()
    key = {
        "volunteer": "m.buddy_id",
        "company": "p.company_id",
        "program": "m.program_id",  # a column, not a literal: GROUP BY 1 would be positional
    }[per]
    scores = " ".join(f"WHEN %s THEN {score}" for score in MOOD_SCORE.values())
    score_params = list(MOOD_SCORE)
    # Table names from the models, the check-ins from the ORM's own SQL: nothing from input.
    sql = f"""
        SELECT {key} AS k, AVG(f.trend) AS trend FROM (
            SELECT c.match_id,
                MAX(CASE WHEN c.rn = c.n THEN CASE c.mood {scores} END END)
                - MAX(CASE WHEN c.rn = 1 THEN CASE c.mood {scores} END END) AS trend
            FROM (
                SELECT x.match_id, x.mood,
                    ROW_NUMBER() OVER (
                        PARTITION BY x.match_id ORDER BY x.checkin_date, x.id
                    ) AS rn,
                    COUNT(*) OVER (PARTITION BY x.match_id) AS n
                FROM ({inner_sql}) x
            ) c
            WHERE c.n >= 2 AND (c.rn = 1 OR c.rn = c.n)
            GROUP BY c.match_id
        ) f
        JOIN {Match._meta.db_table} m ON m.id = f.match_id
        LEFT JOIN {Person._meta.db_table} p ON p.id = m.buddy_id
        WHERE {key} IS NOT NULL
        GROUP BY {key}
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*score_params, *score_params, *params])
        return {row[0]: float(row[1]) for row in cursor.fetchall() if row[1] is not None}


def sroi(
    *,
    program: Program,
    per: str,
    start=None,
    end=None,
    hours: dict[int, Hours] | None = None,
    outcomes: dict[int, Outcomes] | None = None,
    sessions: dict[int, dict] | None = None,
) -> dict[int, Sroi]:
    """SROI from hours, outcomes and session counts (computed here unless passed in)."""
    c = conf()
    if sessions is None:
        sessions = _session_figures(program, per, start, end)
    if hours is None:
        hours = volunteer_hours(program=program, per=per, start=start, end=end, sessions=sessions)
    if outcomes is None:
        outcomes = outcome_signals(program=program, per=per, start=start, end=end)
    result: dict[int, Sroi] = {}
    for key in {*hours, *outcomes, *sessions}:
        s = Sroi(
            investment=hours.get(key, Hours()).hours * c["VOLUNTEER_HOUR_VALUE"],
            integration_points=outcomes.get(key, Outcomes()).integration_milestones
            * c["INTEGRATION_POINTS_PER_MILESTONE"],
            language_points=(sessions.get(key) or {}).get("language", 0)
            * c["LANGUAGE_POINTS_PER_SESSION"],
            job_readiness_points=(sessions.get(key) or {}).get("professional", 0)
            * c["JOB_READINESS_POINTS_PER_SESSION"],
        )
        points = s.integration_points + s.language_points + s.job_readiness_points
        s.social_value = points * c["VALUE_PER_POINT"]
        s.ratio = s.social_value / s.investment if s.investment else None
        result[key] = s
    return result


def impact(*, program: Program, per: str, start=None, end=None) -> dict[int, Impact]:
    """Hours, quality, outcomes and SROI together, grouped ``per`` volunteer/company/program."""
    if per not in PER:
        raise ValueError(f"per must be one of {PER}")
    with figures_sql.impl.without_jit():
        return _impact(program=program, per=per, start=start, end=end)


def _impact(*, program: Program, per: str, start, end) -> dict[int, Impact]:
    # Each table is read once: the skill-session figures feed hours, quality and SROI;
    # hours and outcomes feed SROI.
    span = {"program": program, "per": per, "start": start, "end": end}
    sessions = _session_figures(program, per, start, end)
    hours = volunteer_hours(**span, sessions=sessions)
    quality = quality_scores(**span, sessions=sessions)
    outcomes = outcome_signals(**span)
    returns = sroi(**span, hours=hours, outcomes=outcomes, sessions=sessions)
    return {
        key: Impact(
            key=key,
            hours=hours.get(key, Hours()),
            quality=quality.get(key, Quality()),
            outcomes=outcomes.get(key, Outcomes()),
            sroi=returns.get(key, Sroi()),
        )
        for key in sorted({*hours, *quality, *outcomes, *returns})
    }


def impact_by_company(*, program: Program, start=None, end=None) -> list[tuple[Company, Impact]]:
    """Every company with volunteers active in the range, with its impact."""
    figures = impact(program=program, per="company", start=start, end=end)
    companies = Company.objects.in_bulk(list(figures))
    return [(companies[key], figures[key]) for key in figures if key in companies]


def hours_by_company(*, program: Program, start=None, end=None) -> list[tuple[Company, Hours]]:
    """The volunteer hours of every company with hours in the range (the dashboard's chart):
    the hours alone, without the quality, outcome and SROI passes ``impact_by_company``
    makes (at 100,000 matches the outcome signals alone take seconds)."""
    with figures_sql.impl.without_jit():
        span = {"program": program, "per": "company", "start": start, "end": end}
        sessions = _session_figures(program, "company", start, end)
        hours = volunteer_hours(**span, sessions=sessions)
    companies = Company.objects.in_bulk(list(hours))
    return [(companies[key], hours[key]) for key in sorted(hours) if key in companies]


# --- Program figures -------------------------------------------------------------------------


def _median(queryset, expression, output_field):
    """The median of ``expression`` over the queryset (NULLs left out; None when empty)."""
    return figures_sql.impl.median(queryset, expression, output_field)


def _days(value) -> float | None:
    if value is None:
        return None
    return value.total_seconds() / 86400 if hasattr(value, "total_seconds") else float(value)


@dataclass
class ProgramFigures:
    enrolled: int
    active: int
    completed: int
    dropped: int
    completion_rate: float | None
    match_rate: float | None
    median_days_to_match: float | None
    median_match_duration_days: float | None
    mood_distribution: list[dict]
    sdg_goals: list[int]


def _sdg_goals(program: Program, start, end) -> list[int]:
    """The SDG goals of the formal events attended and skill sessions in the range.

    Only the distinct ``sdg_goals`` arrays are read (a handful: they repeat across rows)
    and expanded here, instead of expanding every row's array in the database."""
    tables = (
        (EventAttendance, "attended_at"),
        (SkillSession, "completed_at"),
    )
    goals: set[int] = set()
    for model, date_field in tables:
        queryset = model.objects.filter(_range(date_field, start, end)).filter(
            Q(match__program=program) | Q(match__isnull=True)
        )
        if model is EventAttendance:
            queryset = queryset.filter(person__enrollments__program=program)
        for values in queryset.order_by().values_list("sdg_goals", flat=True).distinct():
            goals.update(int(goal) for goal in values or ())
    return sorted(goals)


def sdg_goals_per(*, program: Program, per: str, start=None, end=None) -> dict[int, list[int]]:
    """The SDG goals of the activities in the range, grouped ``per`` volunteer, company or
    program, attributed as the hours are (formal events to the attending buddy, skill sessions
    to the buddy who taught, else learned). ``per="program"`` is ``_sdg_goals``'s set.

    Only the distinct (key, goals) pairs are read and expanded here."""
    if per not in PER:
        raise ValueError(f"per must be one of {PER}")
    if per == "program":
        return {program.pk: _sdg_goals(program, start, end)}
    key = f"{per}_key"
    goals: dict[int, set[int]] = {}
    for queryset in (_attendances(program, start, end), _sessions(program, start, end)):
        rows = queryset.exclude(**{f"{key}__isnull": True}).order_by().values_list(key, "sdg_goals")
        for owner, values in rows.distinct():
            goals.setdefault(owner, set()).update(int(goal) for goal in values or ())
    return {owner: sorted(found) for owner, found in goals.items() if found}


def program_figures(*, program: Program, start=None, end=None) -> ProgramFigures:
    """Enrollment states and rates (current), medians over matches started in the range,
    moods per month and SDG goals touched in the range."""
    with figures_sql.impl.without_jit():
        return _program_figures(program=program, start=start, end=end)


def _program_figures(*, program: Program, start, end) -> ProgramFigures:
    enrollments = Enrollment.objects.filter(program=program)
    counts = enrollments.aggregate(
        enrolled=Count("id"),
        active=Count("id", filter=Q(status=EnrollmentStatus.ACTIVE)),
        completed=Count("id", filter=Q(status=EnrollmentStatus.COMPLETED)),
        dropped=Count("id", filter=Q(status=EnrollmentStatus.DROPPED)),
    )
    active_match = Match.objects.active().filter(program=program, participant=OuterRef("person_id"))
    rate = (
        enrollments.filter(status=EnrollmentStatus.ACTIVE, person__role=Role.PARTICIPANT)
        .annotate(has_match=Exists(active_match))
        .aggregate(total=Count("id"), matched=Count("id", filter=Q(has_match=True)))
    )
    # First match per participant: one grouped join (hash aggregate), not a correlated
    # sub-query per enrollment.
    in_program = Q(person__matches_as_participant__program=program)
    to_match = (
        enrollments.filter(person__role=Role.PARTICIPANT)
        .annotate(
            first_matched_at=Min("person__matches_as_participant__matched_at", filter=in_program)
        )
        .filter(first_matched_at__isnull=False, **_range_kwargs("first_matched_at", start, end))
    )
    days_to_match = _median(
        to_match,
        ExpressionWrapper(F("first_matched_at") - F("enrolled_at"), output_field=DurationField()),
        DurationField(),
    )
    ended = Match.objects.filter(
        _range("matched_at", start, end),
        program=program,
        status=MatchStatus.ENDED,
        duration_days__isnull=False,
    )
    duration = _median(ended, F("duration_days"), FloatField())
    moods = (
        CheckIn.objects.filter(_range("checkin_date", start, end), match__program=program)
        .exclude(mood="")
        .annotate(month=TruncMonth("checkin_date"))
        .values("month", "mood")
        .annotate(count=Count("id"))
        .order_by("month", "mood")
    )
    return ProgramFigures(
        enrolled=counts["enrolled"],
        active=counts["active"],
        completed=counts["completed"],
        dropped=counts["dropped"],
        completion_rate=counts["completed"] / counts["enrolled"] if counts["enrolled"] else None,
        match_rate=rate["matched"] / rate["total"] if rate["total"] else None,
        median_days_to_match=_days(days_to_match),
        median_match_duration_days=None if duration is None else float(duration),
        mood_distribution=[
            {"month": row["month"].date(), "mood": row["mood"], "count": row["count"]}
            for row in moods
        ],
        sdg_goals=_sdg_goals(program, start, end),
    )


def _range_kwargs(name: str, start, end) -> dict:
    kwargs = {}
    if start is not None:
        kwargs[f"{name}__gte"] = start
    if end is not None:
        kwargs[f"{name}__lt"] = end
    return kwargs


# --- What a login may read -------------------------------------------------------------------


@dataclass
class ImpactReport:
    """The impact figures a login asked for, already scoped: ``rows`` in key order, the SDG
    goals per key, ``names`` (company names; volunteers and programs go by id/name) and
    ``health``: the match health band counts of the range (``enrollments.health_figures``,
    the same scope)."""

    program: Program
    per: str
    rows: list[Impact]
    sdg_goals: dict[int, list[int]]
    names: dict[int, str]
    health: HealthFigures | None = None

    def health_weeks(self) -> list[dict]:
        """The band counts of each week of the range, oldest first."""
        return [{"week": week, **counts.as_dict()} for week, counts in self.health.weeks]

    def health_of(self, key: int) -> dict:
        """The match-weeks per band of ``key`` over the range (zeros when none)."""
        return self.health.over_range.get(key, BandCounts()).as_dict()


class CompanyFiguresOnly(DomainError):
    def __init__(self):
        super().__init__(
            message="Company users see their company's figures only.",
            code="impact.company_only",
            http_status=403,
        )


def _recompute_stamp(program: Program):
    """When the program's kept attention items last changed (every recompute of its people
    refreshes them, nightly all); None for a program never refreshed. One statement."""
    from enrollments.models import AttentionQueueState

    return (
        AttentionQueueState.objects.filter(program=program)
        .values_list("changed_at", flat=True)
        .first()
    )


def _cached_per_recompute(program: Program, name: str, compute, *, changed_at):
    """``compute()`` cached like the dashboard's figures (``selectors.dashboard_figures``):
    under the program, ``name``, the day and ``changed_at`` (``_recompute_stamp``). A
    program never refreshed is computed at each read. Seconds at 100,000 matches on a miss,
    one cache read on a hit."""
    from django.core.cache import cache

    from enrollments.selectors import FIGURES_TTL

    if changed_at is None:
        return compute()
    key = f"enrollments:{name}:{program.pk}:{changed_at.isoformat()}:{timezone.localdate()}"
    cached = cache.get(key)
    if cached is None:
        cached = compute()
        cache.set(key, cached, FIGURES_TTL)
    return cached


def _span(start, end) -> str:
    return ":".join(v.isoformat() if v else "" for v in (start, end))


def _figures_cached(*, program: Program, per: str, start, end, changed_at) -> tuple[dict, dict]:
    """The program's impact figures and SDG goals ``per`` key for the range, computed once
    per recompute (``_cached_per_recompute``)."""
    return _cached_per_recompute(
        program,
        f"impact:{per}:{_span(start, end)}",
        lambda: (
            impact(program=program, per=per, start=start, end=end),
            sdg_goals_per(program=program, per=per, start=start, end=end),
        ),
        changed_at=changed_at,
    )


def impact_for(
    *, access, program_type: str | None = None, per: str | None = None, start=None, end=None
) -> ImpactReport:
    """The impact figures ``access`` may read (the API and the impact page): program roles
    those of a program in their scope, per program (default), company or volunteer; a company
    user their own company's row only (``per=company``, the default for them), of any
    program. A program out of scope is a 404, an unknown one a validation error."""
    if access.role == AccessRole.COMPANY:
        per = per or "company"
        if per != "company":
            raise CompanyFiguresOnly()
        program = program_by_type(program_type or ProgramType.BUDDY)
    else:
        per = per or "program"
        program = program_in_scope(program_type, access)
    changed_at = _recompute_stamp(program)
    figures, goals = _figures_cached(
        program=program, per=per, start=start, end=end, changed_at=changed_at
    )
    if access.role == AccessRole.COMPANY:
        figures = {k: v for k, v in figures.items() if k == access.company_id}
        goals = {k: v for k, v in goals.items() if k == access.company_id}
    names: dict[int, str] = {}
    if per == "company":
        names = dict(Company.objects.filter(pk__in=list(figures)).values_list("pk", "name"))
    elif per == "program":
        names = {program.pk: program.name}
    # A company user's are their company's only (the filter is in the statements): cached
    # apart under the company.
    scope = access.company_id if access.role == AccessRole.COMPANY else "all"
    health = _cached_per_recompute(
        program,
        f"impact-health:{per}:{_span(start, end)}:{scope}",
        lambda: health_figures_for(access=access, program=program, per=per, start=start, end=end),
        changed_at=changed_at,
    )
    return ImpactReport(
        program=program,
        per=per,
        rows=list(figures.values()),
        sdg_goals=goals,
        names=names,
        health=health,
    )
