"""The match page's health section (registered in ``buddy.views.panels.MATCH_PANELS``): the
band with its reasons and the weekly score history, a line chart with a table of the same
numbers as its text alternative. Reasons carry numbers and roles only (``enrollments.health``),
so every role that reads the match sees them."""

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from enrollments.health_figures import BANDS
from enrollments.models import HealthBand, MatchHealthWeek
from enrollments.selectors import match_health

#: Weeks of history shown (half a year).
HISTORY_WEEKS = 26

BAND_LABELS = {
    HealthBand.HEALTHY: _("Healthy"),
    HealthBand.WATCH: _("Watch"),
    HealthBand.AT_RISK: _("At risk"),
}


def match_health_panel(request, match, access) -> str:
    health = match_health(match_id=match.pk)
    weeks = list(
        MatchHealthWeek.objects.filter(match_id=match.pk)
        .order_by("-week")
        .values("week", "score", "band")[:HISTORY_WEEKS]
    )[::-1]
    for row in weeks:
        row["band_label"] = _band_label(row["band"])
    chart = {
        "health": {
            "type": "line",
            "labels": [row["week"].isoformat() for row in weeks],
            "datasets": [{"label": _("Health score (0–100)"), "data": [r["score"] for r in weeks]}],
        }
    }
    return render_to_string(
        "enrollments/_match_health.html",
        {
            "health": health,
            "band_label": _band_label(health.band) if health else "",
            "weeks": weeks,
            "chart": chart,
        },
        request=request,
    )


def _band_label(band: str) -> str:
    return str(BAND_LABELS.get(band, band))


def health_chart_rows(figures, *, companies: str = "current_per") -> dict:
    """The program-level health figures (``enrollments.health_figures``) as the dashboard's
    and impact page's charts and their tables: the band counts per week (stacked bars) and
    per company (``companies``: ``current_per`` now, ``over_range`` the range's
    match-weeks)."""
    bands = [{"band": band, "label": _band_label(band)} for band in BANDS]
    weeks = [{"week": week, "counts": counts} for week, counts in figures.weeks]
    per = getattr(figures, companies)
    by_company = sorted(
        (
            {"name": figures.names.get(key) or str(_("No company")), "counts": counts}
            for key, counts in per.items()
        ),
        key=lambda row: (-row["counts"].total, row["name"]),
    )

    def datasets(rows):
        return [
            {"label": b["label"], "data": [getattr(r["counts"], b["band"]) for r in rows]}
            for b in bands
        ]

    return {
        "current": figures.current,
        "bands": bands,
        "weeks": weeks,
        "companies": by_company,
        "weeks_chart": {
            "labels": [row["week"].isoformat() for row in weeks],
            "stacked": True,
            "datasets": datasets(weeks),
        },
        "companies_chart": {
            "labels": [row["name"] for row in by_company],
            "stacked": True,
            "datasets": datasets(by_company),
        },
    }
