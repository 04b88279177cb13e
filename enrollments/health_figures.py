"""Program-level match health figures (issue 21): how many matches are in each band, now and
week by week, per program, company (the buddy's company) or volunteer (the buddy).

One selector for the dashboard, the impact page, its CSV and ``GET /api/impact/``. Read from
the kept rows (``MatchHealth`` now, ``MatchHealthWeek`` over time; ``enrollments.health``
writes them), in three grouped queries whatever the number of matches. Over a date range a
match counts once per week it was scored in (its weekly score's band), so a share is a share
of match-weeks. Counts and ids only: no personal data.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Sum
from django.utils import timezone

from buddy.models import AccessRole, Program
from enrollments.models import HealthBand, MatchHealth, MatchHealthWeek

BANDS = (HealthBand.HEALTHY, HealthBand.WATCH, HealthBand.AT_RISK)
#: Weeks of history when no range is given (half a year).
HISTORY_WEEKS = 26
#: What a key is per grouping, from a health row's ``match``.
_KEYS = {
    "program": "program_id",
    "company": "match__buddy__company_id",
    "volunteer": "match__buddy_id",
}


@dataclass
class BandCounts:
    healthy: int = 0
    watch: int = 0
    at_risk: int = 0
    score_sum: int = 0

    @property
    def total(self) -> int:
        return self.healthy + self.watch + self.at_risk

    def share(self, band: str) -> float | None:
        return getattr(self, band) / self.total if self.total else None

    @property
    def at_risk_share(self) -> float | None:
        return self.share(HealthBand.AT_RISK)

    @property
    def mean_score(self) -> float | None:
        return self.score_sum / self.total if self.total else None

    def add(self, band: str, n: int, score_sum: int = 0) -> None:
        if band in BANDS:
            setattr(self, band, getattr(self, band) + n)
            self.score_sum += score_sum or 0

    def as_dict(self) -> dict:
        share = self.at_risk_share
        return {
            "healthy": self.healthy,
            "watch": self.watch,
            "at_risk": self.at_risk,
            "total": self.total,
            "at_risk_share": None if share is None else round(share, 4),
        }


@dataclass
class HealthFigures:
    """``current``: the matches scored now; ``current_per``: the same per key; ``weeks``: the
    band counts of each week of the range, oldest first; ``per``: the match-weeks of the
    range per key; ``names``: company names (per company; ``None`` is "no company")."""

    per: str
    current: BandCounts = field(default_factory=BandCounts)
    current_per: dict = field(default_factory=dict)
    weeks: list[tuple[date, BandCounts]] = field(default_factory=list)
    over_range: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)


def _week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def health_figures(
    *,
    program: Program,
    per: str = "company",
    start: datetime | None = None,
    end: datetime | None = None,
    company_id: int | None = None,
    today: date | None = None,
    weeks: int = HISTORY_WEEKS,
) -> HealthFigures:
    """The band counts of ``program``'s matches (only those whose buddy works for
    ``company_id`` when given), grouped ``per`` program, company or volunteer, now and over
    ``[start, end)`` (default: the last ``weeks`` weeks up to ``today``'s). Three queries."""
    key = _KEYS[per]
    figures = HealthFigures(per=per)
    now_rows = MatchHealth.objects.filter(program=program)
    week_rows = MatchHealthWeek.objects.filter(program=program)
    if company_id is not None:
        now_rows = now_rows.filter(match__buddy__company_id=company_id)
        week_rows = week_rows.filter(match__buddy__company_id=company_id)
    if start is None and end is None:
        today = today or timezone.localdate()
        start_week = _week_of(today) - timedelta(weeks=weeks - 1)
        week_rows = week_rows.filter(week__gte=start_week)
    else:
        if start is not None:  # the week the range starts in counts
            week_rows = week_rows.filter(week__gte=_week_of(timezone.localdate(start)))
        if end is not None:
            week_rows = week_rows.filter(week__lt=timezone.localdate(end))
    names = {"name": F("match__buddy__company__name")} if per == "company" else {}

    counted = {"n": Count("pk"), "s": Sum("score")}
    for row in now_rows.values("band", k=F(key), **names).annotate(**counted).order_by():
        figures.current.add(row["band"], row["n"], row["s"])
        figures.current_per.setdefault(row["k"], BandCounts()).add(row["band"], row["n"], row["s"])
        if per == "company":
            figures.names[row["k"]] = row["name"]
    per_week: dict[date, BandCounts] = {}
    for row in week_rows.values("week", "band").annotate(**counted).order_by():
        per_week.setdefault(row["week"], BandCounts()).add(row["band"], row["n"], row["s"])
    figures.weeks = sorted(per_week.items())
    for row in week_rows.values("band", k=F(key), **names).annotate(**counted).order_by():
        figures.over_range.setdefault(row["k"], BandCounts()).add(row["band"], row["n"], row["s"])
        if per == "company":
            figures.names[row["k"]] = row["name"]
    return figures


def health_figures_for(*, access, program: Program, per: str = "company", start=None, end=None):
    """``health_figures`` as ``access`` may read them: a company user their own company's
    matches only (the caller has checked the program is in scope for program roles)."""
    company_id = None
    if access.role == AccessRole.COMPANY:
        company_id = access.company_id if access.company_id is not None else -1
    return health_figures(program=program, per=per, start=start, end=end, company_id=company_id)
