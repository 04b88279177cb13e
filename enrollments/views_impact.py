"""The impact page: volunteer hours, quality, outcomes, SROI and SDG goals per program, company
or volunteer over a date range, with charts and a CSV download.

Thin over ``enrollments.impact.impact_for`` (the same scoping as ``GET /api/impact/``: program
roles their programs, a company user their own company's figures only) and the API's CSV
renderer (``buddy.csv_output``: cells a spreadsheet would run are neutralised). Aggregates
only: a volunteer is shown by id, never by name.
"""

from dataclasses import asdict
from datetime import datetime, time, timedelta

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from buddy.access import access_for, role_required
from buddy.models import AccessRole, ProgramType
from buddy.views.common import program_errors
from enrollments.api.views import ImpactCsvRenderer
from enrollments.impact import impact_for
from enrollments.views_dashboard import home
from enrollments.views_health import health_chart_rows

PAGE_SIZE = 50
#: The charts show the rows with the most hours (the table has them all).
CHART_ROWS = 20

PER_CHOICES = [
    ("program", gettext_lazy("Program")),
    ("company", gettext_lazy("Company")),
    ("volunteer", gettext_lazy("Volunteer")),
]


class ImpactForm(forms.Form):
    program = forms.ChoiceField(label=gettext_lazy("Program"), required=False)
    per = forms.ChoiceField(label=gettext_lazy("Per"), choices=PER_CHOICES, required=False)
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, data, *, access, programs):
        super().__init__(data)
        self.fields["program"].choices = [(p.program_type, p.name) for p in programs]
        if access.role == AccessRole.COMPANY:
            self.fields["per"].choices = [("company", _("Company"))]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("must be on or after the start"))
        return data

    def span(self) -> dict:
        """The service's arguments: ``[start, end + 1 day)`` in the current time zone."""
        data = self.cleaned_data
        zone = timezone.get_current_timezone()

        def at(day):
            return None if day is None else datetime.combine(day, time.min, tzinfo=zone)

        return {
            "program_type": data.get("program") or None,
            "per": data.get("per") or None,
            "start": at(data.get("start")),
            "end": at(data["end"] + timedelta(days=1)) if data.get("end") else None,
        }


def landing(request):
    """``/``: company users land on their impact page, everyone else on the dashboard."""
    if access_for(request.user).role == AccessRole.COMPANY:
        return redirect("enrollments:impact")
    return home(request)


def _programs(access):
    if access.role == AccessRole.COMPANY:  # their company's figures in any program
        from buddy.models import Program

        return Program.objects.filter(program_type__in=ProgramType.values).order_by("name")
    return access.programs().order_by("name")


def _label(report, key: int) -> str:
    if report.per == "volunteer":
        return _("Volunteer #%(id)s") % {"id": key}
    return report.names.get(key) or f"#{key}"


@role_required(read="any")
@require_GET
@program_errors
def impact_page(request):
    access = access_for(request.user)
    form = ImpactForm(request.GET or None, access=access, programs=_programs(access))
    if request.GET and not form.is_valid():
        context = {"form": form, "report": None}
        return render(request, "enrollments/impact.html", context, status=400)
    span = form.span() if request.GET else {}
    report = impact_for(access=access, **span)
    if request.GET.get("format") == "csv":
        return _csv(report)
    rows = [
        {
            "key": row.key,
            "label": _label(report, row.key),
            "impact": row,
            "sdg_goals": report.sdg_goals.get(row.key, []),
            "health": report.health_of(row.key),
        }
        for row in report.rows
    ]
    health = health_chart_rows(report.health, companies="over_range")
    top = sorted(rows, key=lambda r: -r["impact"].hours.hours)[:CHART_ROWS]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    csv_query = query.copy()
    csv_query["format"] = "csv"
    chart_data = {
        "hours": {
            "labels": [r["label"] for r in top],
            "stacked": True,
            "datasets": [
                {
                    "label": _("Skill sessions"),
                    "data": [r["impact"].hours.skill_session for r in top],
                },
                {
                    "label": _("Informal events"),
                    "data": [r["impact"].hours.informal_event for r in top],
                },
                {
                    "label": _("Formal events"),
                    "data": [r["impact"].hours.formal_event for r in top],
                },
            ],
        },
        "sroi": {
            "labels": [r["label"] for r in top],
            "datasets": [
                {"label": _("Investment"), "data": [r["impact"].sroi.investment for r in top]},
                {"label": _("Social value"), "data": [r["impact"].sroi.social_value for r in top]},
            ],
        },
        "health": health["weeks_chart"],
    }
    context = {
        "form": form,
        "report": report,
        "page": page,
        "rows": page.object_list,
        "top": top,
        "chart_data": chart_data,
        "health": health,
        "query": query.urlencode(),
        "csv_query": csv_query.urlencode(),
        "goals": sorted({g for goals in report.sdg_goals.values() for g in goals}),
        "links_people": access.reads_programs and report.per == "volunteer",
    }
    return render(request, "enrollments/impact.html", context)


def _csv(report) -> HttpResponse:
    rows = [
        {
            "key": row.key,
            "name": _label(report, row.key),
            **asdict(row),
            "sdg_goals": " ".join(map(str, report.sdg_goals.get(row.key, []))),
            "health": report.health_of(row.key),
        }
        for row in report.rows
    ]
    data = {"program": report.program.program_type, "per": report.per, "rows": rows}
    response = HttpResponse(
        ImpactCsvRenderer().render(data), content_type="text/csv; charset=utf-8"
    )
    name = f"impact-{report.program.program_type}-{report.per}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
