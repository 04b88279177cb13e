"""The dashboard: a program's key figures, its charts and the top of its attention queue."""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from buddy.access import access_for, role_required
from buddy.views.common import current_program, program_errors
from enrollments import selectors
from enrollments.attention import AttentionQueue
from enrollments.views import item_words
from enrollments.views_health import health_chart_rows

#: How many attention items the dashboard shows (the rest are on the attention page).
ATTENTION_TOP = 5


@role_required(read="programs")
@program_errors
@require_GET
def home(request):
    program = current_program(request)
    queue = AttentionQueue(program=program)
    cached = selectors.dashboard_figures(program=program, changed_at=queue.state.changed_at)
    figures, hours = cached["figures"], cached["hours"]
    per_month, ratings = cached["per_month"], cached["ratings"]
    moods, mood_rows = selectors.mood_per_month(figures.mood_distribution)
    health = health_chart_rows(cached["health"])
    chart_data = {
        "months": {
            "labels": [row["month"].strftime("%Y-%m") for row in per_month],
            "datasets": [
                {"label": str(_("Started")), "data": [row["started"] for row in per_month]},
                {"label": str(_("Ended")), "data": [row["ended"] for row in per_month]},
            ],
        },
        "moods": {
            "labels": [row["month"].strftime("%Y-%m") for row in mood_rows],
            "stacked": True,
            "datasets": [
                {"label": mood, "data": [row["counts"][i] for row in mood_rows]}
                for i, mood in enumerate(moods)
            ],
        },
        "ratings": {
            "labels": [row["bucket"] for row in ratings],
            "datasets": [{"label": str(_("Ratings")), "data": [r["count"] for r in ratings]}],
        },
        "hours": {
            "labels": [row["company"] for row in hours],
            "datasets": [{"label": str(_("Hours")), "data": [r["hours"] for r in hours]}],
        },
        "health": health["weeks_chart"],
        "health_companies": health["companies_chart"],
    }
    return render(
        request,
        "enrollments/dashboard.html",
        {
            "chart_data": chart_data,
            "program": program,
            "figures": figures,
            "waiting": cached["waiting"],
            "matches": cached["matches"],
            "per_month": per_month,
            "moods": moods,
            "mood_rows": mood_rows,
            "ratings": ratings,
            "hours": hours,
            "health": health,
            "as_of": cached.get("as_of"),
            "attention": [
                dict(zip(("title", "reason"), item_words(item), strict=True))
                for item in queue[:ATTENTION_TOP]
            ],
            "attention_count": len(queue),
            "programs": selectors.programs_overview_cached(access=access_for(request.user)),
        },
    )
