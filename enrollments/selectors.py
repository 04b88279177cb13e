"""Reads of the enrollments app used by views, the API and tasks.

(``program_by_type``, ``program_in_scope`` and ``enrollments_waiting`` are reads of
programs and enrollments: ``buddy.selectors``.)"""

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    Value,
)
from django.db.models.functions import Floor, Least, TruncMonth
from django.utils import timezone

from buddy.models import (
    Feedback,
    Match,
    MatchStatus,
    Program,
)
from buddy.models import Mood as MoodChoices
from buddy.selectors import enrollments_waiting
from enrollments.health_figures import BandCounts, health_figures
from enrollments.health_reasons import reasons_data
from enrollments.models import HealthBand, MatchHealth

# --- The dashboard (set-based: a fixed number of queries whatever the program's size) --------


@dataclass
class Waiting:
    count: int
    longest_days: int | None
    median_days: float | None


def waiting_figures(*, program: Program, now: datetime | None = None) -> Waiting:
    """How many participants wait for a match, the longest and the median wait (2 queries)."""
    from enrollments.impact import _median

    now = now or timezone.now()
    waiting = enrollments_waiting(program=program)
    row = waiting.aggregate(count=Count("pk"), since=Min("waiting_since"))
    median = _median(
        waiting,
        ExpressionWrapper(Value(now) - F("waiting_since"), output_field=DurationField()),
        DurationField(),
    )
    return Waiting(
        count=row["count"],
        longest_days=None if row["since"] is None else (now - row["since"]).days,
        median_days=None if median is None else _duration_days(median),
    )


def _duration_days(value) -> float:
    return value.total_seconds() / 86400 if hasattr(value, "total_seconds") else float(value)


def match_figures(*, program: Program) -> dict:
    """Active matches and the average rating of the program's feedback (2 queries)."""
    active = Match.objects.active().filter(program=program).count()
    rating = Feedback.objects.filter(match__program=program).aggregate(
        average=Avg("rating"), count=Count("pk")
    )
    return {"active": active, "rating_average": rating["average"], "ratings": rating["count"]}


def matches_per_month(*, program: Program, months: int = 12, now=None) -> list[dict]:
    """Matches started and ended per calendar month, the last ``months`` months (2 queries)."""
    now = now or timezone.now()
    first = _month_start(now, back=months - 1)
    started = dict(
        Match.objects.filter(program=program, matched_at__gte=first)
        .annotate(month=TruncMonth("matched_at"))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    ended = dict(
        Match.objects.filter(program=program, ended_at__gte=first, status=MatchStatus.ENDED)
        .annotate(month=TruncMonth("ended_at"))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    started = {_as_date(k): v for k, v in started.items()}
    ended = {_as_date(k): v for k, v in ended.items()}
    rows = []
    for back in range(months - 1, -1, -1):
        month = _month_start(now, back=back).date()
        rows.append(
            {"month": month, "started": started.get(month, 0), "ended": ended.get(month, 0)}
        )
    return rows


def _as_date(value):
    return value.date() if isinstance(value, datetime) else value


def _month_start(now: datetime, *, back: int) -> datetime:
    year, month = now.year, now.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return now.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


#: Rating buckets of the distribution chart (ratings are 0–1).
RATING_BUCKETS = ("0–0.2", "0.2–0.4", "0.4–0.6", "0.6–0.8", "0.8–1")


def rating_distribution(*, program: Program) -> list[dict]:
    """How many ratings fall in each fifth of the 0–1 scale (1 query)."""
    counts = dict(
        Feedback.objects.filter(match__program=program)
        .annotate(bucket=Least(Floor(F("rating") * 5), Value(4.0)))
        .order_by()
        .values("bucket")
        .annotate(n=Count("pk"))
        .values_list("bucket", "n")
    )
    return [
        {"bucket": label, "count": counts.get(float(i), 0)}
        for i, label in enumerate(RATING_BUCKETS)
    ]


def mood_per_month(mood_distribution: list[dict]) -> tuple[list[str], list[dict]]:
    """``program_figures``' mood rows pivoted: the moods, and one row per month."""
    moods = list(MoodChoices.values)
    months: dict = {}
    for row in mood_distribution:
        months.setdefault(row["month"], dict.fromkeys(moods, 0))[row["mood"]] = row["count"]
    return moods, [{"month": m, "counts": [c[x] for x in moods]} for m, c in sorted(months.items())]


#: How long the dashboard's figures are kept at most (they are keyed by the day and by the
#: last refresh of the program's attention items, which every recompute does).
FIGURES_TTL = 6 * 3600


def _dashboard_key(program: Program, changed_at: datetime, today) -> str:
    return f"enrollments:dashboard:v3:{program.pk}:{changed_at.isoformat()}:{today}"


def _dashboard_latest_key(program: Program) -> str:
    return f"enrollments:dashboard:v3:latest:{program.pk}"


def dashboard_figures(*, program: Program, changed_at: datetime, compute: bool = False) -> dict:
    """The program's key figures and chart numbers, computed once per recompute: cached
    under the program, the day and the time its kept attention items last changed (every
    recompute of its people refreshes them, nightly all). Set-based queries on a miss
    (seconds at 100,000 matches), none on a hit.

    No page waits for them after the first: on a miss the figures of the program's last
    computation that day are answered (``as_of`` says when they were computed) and a task
    computes the current ones (``enrollments.tasks.dashboard_warm``, once per state);
    ``compute=True`` (that task), a program never computed that day, or tasks that run
    in-process (no worker to ask: ``make run``) compute them here.
    """
    from django.conf import settings

    today = timezone.localdate()
    key = _dashboard_key(program, changed_at, today)
    figures = cache.get(key)
    if figures is not None:
        return figures
    if not compute and not settings.CELERY_TASK_ALWAYS_EAGER:
        latest = cache.get(_dashboard_latest_key(program))
        if latest is not None and latest["day"] == today:
            _request_warm(program, key)
            return latest["figures"]
    figures = _dashboard_compute(program, today)
    cache.set(key, figures, FIGURES_TTL)
    cache.set(_dashboard_latest_key(program), {"day": today, "figures": figures}, FIGURES_TTL)
    return figures


def _dashboard_compute(program: Program, today) -> dict:
    from enrollments.impact import figures_sql, hours_by_company, program_figures

    with figures_sql.impl.without_jit():  # the grouped queries compile longer than run
        return {
            "figures": program_figures(program=program),
            "hours": [
                {"company": company.name, "hours": round(hours.hours, 1)}
                for company, hours in hours_by_company(program=program)
            ],
            "per_month": matches_per_month(program=program),
            "ratings": rating_distribution(program=program),
            "waiting": waiting_figures(program=program),
            "matches": match_figures(program=program),
            "health": health_figures(program=program, per="company", today=today),
            "as_of": timezone.now(),
        }


def _request_warm(program: Program, key: str) -> None:
    """Ask a worker, once per program state (``cache.add`` is the latch), to compute the
    current figures, after the request's transaction."""
    from django.db import transaction

    from core.broker import task_send

    if not cache.add(f"{key}:warming", True, 15 * 60):
        return
    transaction.on_commit(
        lambda: task_send(
            "enrollments.tasks.dashboard_warm",
            recovery="the dashboard's next read asks again",
            kwargs={"program_id": program.pk},
        )
    )


def dashboard_figures_warm(*, program: Program) -> bool:
    """Compute and cache the program's dashboard figures for its current state (the task
    the recompute requests after its commit: ``attention.dashboard_warm_step``), so the
    first coordinator after a recompute does not wait for them. False: nothing to warm
    (the program's attention items were never kept)."""
    from enrollments.models import AttentionQueueState

    state = AttentionQueueState.objects.filter(program=program).first()
    if state is None:
        return False
    dashboard_figures(program=program, changed_at=state.changed_at, compute=True)
    return True


OVERVIEW_FIELDS = ("enrolled", "active_enrollments", "active_matches", "matches_total")


def programs_overview_cached(*, access) -> list:
    """``buddy.selectors.program_overview`` (the programs the login reads, with their
    counts), each program's counts cached like ``dashboard_figures`` (keyed by the time its
    kept attention items last changed); programs never refreshed are counted at each read.
    Two queries at most: the states, the programs not cached."""
    from buddy.selectors import program_overview, scope_programs
    from enrollments.models import AttentionQueueState

    today = timezone.localdate()
    programs = list(scope_programs(Program.objects.all(), access).order_by("program_type"))
    states = dict(
        AttentionQueueState.objects.filter(program__in=programs).values_list(
            "program_id", "changed_at"
        )
    )
    keys = {
        p.pk: f"enrollments:overview:{p.pk}:{states[p.pk].isoformat()}:{today}"
        for p in programs
        if p.pk in states
    }
    cached = cache.get_many(list(keys.values()))
    counts = {pk: cached[key] for pk, key in keys.items() if key in cached}
    missing = [p.pk for p in programs if p.pk not in counts]
    if missing:
        for row in program_overview(access=access).filter(pk__in=missing):
            counts[row.pk] = {name: getattr(row, name) for name in OVERVIEW_FIELDS}
        cache.set_many(
            {keys[pk]: counts[pk] for pk in missing if pk in keys and pk in counts}, FIGURES_TTL
        )
    for p in programs:
        for name, value in counts.get(p.pk, dict.fromkeys(OVERVIEW_FIELDS, 0)).items():
            setattr(p, name, value)
    return programs


# --- Match health (issue 21): program-level figures for the dashboard and impact page ---


def _band_counts(counts: BandCounts) -> dict:
    return {
        "matches": counts.total,
        **{
            f"{band}_share": round(counts.share(band), 4) if counts.total else 0.0
            for band in HealthBand.values
        },
    }


def health_band_shares(*, program: Program, company_id: int | None = None) -> dict:
    """Share of the program's active matches in each band (now); ``company_id``: only
    matches whose buddy works there (``enrollments.health_figures``)."""
    current = health_figures(program=program, company_id=company_id, weeks=1).current
    return {**_band_counts(current), "mean_score": current.mean_score}


def health_by_company(*, program: Program) -> list[dict]:
    """Band shares per company of the buddies (``company_id`` None: buddies without one)."""
    per = health_figures(program=program, per="company", weeks=1).current_per
    return [
        {"company_id": company_id, **_band_counts(counts)}
        for company_id, counts in sorted(per.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]


def health_over_time(*, program: Program, weeks: int = 12, now=None) -> list[dict]:
    """Per week (Monday, oldest first) of the last ``weeks``: matches scored, band shares
    and the mean score, from the weekly history."""
    today = (now or timezone.now()).date()
    figures = health_figures(program=program, per="program", weeks=weeks, today=today)
    return [
        {"week": week, **_band_counts(counts), "mean_score": counts.mean_score}
        for week, counts in figures.weeks
    ]


def match_health(*, match_id: int) -> MatchHealth | None:
    """The current health of one match (None: not active or not computed yet)."""
    return MatchHealth.objects.filter(match_id=match_id).first()


def health_at_risk(*, program: Program) -> list[dict]:
    """The program's matches at risk, lowest score first (ids, numbers; each reason as its
    code, parameters and ``text`` in the active language)."""
    rows = list(
        MatchHealth.objects.filter(program=program, band=HealthBand.AT_RISK)
        .order_by("score", "match_id")
        .values("match_id", "score", "band_reason", "band_since", "reasons", "parts")
    )
    for row in rows:
        (row["band_reason"],) = reasons_data([row["band_reason"]]) if row["band_reason"] else [None]
        row["reasons"] = reasons_data(row["reasons"])
    return rows


# --- Structured feedback analysis (issue 21) ------------------------------------------------


def feedback_analysis(
    *,
    program: Program,
    company_id: int | None = None,
    since=None,
    until=None,
    low: float | None = None,
    disagree: float = 0.5,
) -> dict:
    """Ratings and category ratings of the program's feedback (of one company's buddies,
    within a period): distribution (tenths), mean per month, the negative share with the
    seed's >30 % rule (``settings.ENROLLMENTS``), and the matches whose two sides' latest
    ratings differ by ``disagree`` or more."""
    from django.conf import settings
    from django.db.models.functions import TruncMonth

    from buddy.models import Feedback

    c = settings.ENROLLMENTS
    low = c["LOW_RATING"] if low is None else low
    qs = Feedback.objects.filter(match__program=program)
    if company_id is not None:
        qs = qs.filter(match__buddy__company_id=company_id)
    if since is not None:
        qs = qs.filter(submitted_at__gte=since)
    if until is not None:
        qs = qs.filter(submitted_at__lt=until)
    ratings = list(qs.values_list("rating", flat=True))
    distribution = [0] * 10
    for r in ratings:
        distribution[min(9, max(0, int(r * 10)))] += 1
    negative = sum(1 for r in ratings if r < low)
    share = negative / len(ratings) if ratings else 0.0
    by_month = [
        {"month": row["month"].date().isoformat(), "n": row["n"], **{k: row[k] for k in
         ("rating", "communication", "helpfulness", "engagement")}}
        for row in qs.annotate(month=TruncMonth("submitted_at")).values("month").annotate(
            n=Count("pk"), rating=Avg("rating"), communication=Avg("communication"),
            helpfulness=Avg("helpfulness"), engagement=Avg("engagement"),
        ).order_by("month")
    ]  # fmt: skip
    latest = {}
    for match_id, role, rating in qs.values_list("match_id", "from_role", "rating").order_by(
        "match_id", "from_role", "submitted_at", "pk"
    ):
        latest[(match_id, role)] = rating
    disagreements = sorted(
        (m, latest[(m, "participant")], latest[(m, "buddy")])
        for (m, role) in latest
        if role == "participant"
        and (m, "buddy") in latest
        and abs(latest[(m, "participant")] - latest[(m, "buddy")]) >= disagree
    )
    return {
        "feedback": len(ratings),
        "distribution": distribution,
        "negative": negative,
        "negative_share": round(share, 4),
        "negative_spike": share > c["NEGATIVE_SHARE"],
        "by_month": by_month,
        "disagreements": [
            {"match_id": m, "participant_rating": p, "buddy_rating": b} for m, p, b in disagreements
        ],
    }
