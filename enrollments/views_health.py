"""The match page's health section (registered in ``buddy.views.panels.MATCH_PANELS``): the
band with its reasons and the weekly score history, a line chart with a table of the same
numbers as its text alternative. Reasons carry numbers and roles only (``enrollments.health``),
so every role that reads the match sees them."""

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

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
