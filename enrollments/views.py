"""Coordinator pages of the enrollments app: the needs-attention queue (thin over
``enrollments.attention`` and the snooze service)."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from buddy.access import access_for, role_required
from buddy.models import Enrollment, Feedback
from buddy.selectors import program_in_scope
from buddy.views.common import current_program, program_errors
from core.errors import DomainError
from enrollments.attention import PRIORITY, AttentionQueue, item_fingerprint
from enrollments.services import attention_snooze

PAGE_SIZE = 25

#: Each kind of item in words: (one, many) — the summary never shows a raw code.
KIND_WORDS = {
    "webhooks.dead_lettered": ngettext_lazy(
        "%(n)d alert about dead-lettered webhooks", "%(n)d alerts about dead-lettered webhooks", "n"
    ),
    "program.negative_feedback": ngettext_lazy(
        "%(n)d alert about negative feedback", "%(n)d alerts about negative feedback", "n"
    ),
    "match.struggling": ngettext_lazy("%(n)d match struggling", "%(n)d matches struggling", "n"),
    "match.no_contact_60": ngettext_lazy(
        "%(n)d match without contact for 60 days", "%(n)d matches without contact for 60 days", "n"
    ),
    "feedback.low_rating": ngettext_lazy("%(n)d low rating", "%(n)d low ratings", "n"),
    "match.no_contact_30": ngettext_lazy(
        "%(n)d match without contact for 30 days", "%(n)d matches without contact for 30 days", "n"
    ),
    "program.match_rate_below_target": ngettext_lazy(
        "%(n)d alert: match rate below target", "%(n)d alerts: match rate below target", "n"
    ),
    "participant.concurrent_matches": ngettext_lazy(
        "%(n)d participant with several active matches",
        "%(n)d participants with several active matches",
        "n",
    ),
    "match.zero_duration": ngettext_lazy(
        "%(n)d match that ended the moment it started",
        "%(n)d matches that ended the moment they started",
        "n",
    ),
    "participant.waiting": ngettext_lazy(
        "%(n)d participant waiting for a match", "%(n)d participants waiting for a match", "n"
    ),
    "match.no_feedback": ngettext_lazy(
        "%(n)d match without feedback", "%(n)d matches without feedback", "n"
    ),
    "match.no_contact_14": ngettext_lazy(
        "%(n)d match without contact for 14 days", "%(n)d matches without contact for 14 days", "n"
    ),
    "match.checkin_due": ngettext_lazy(
        "%(n)d match due a check-in", "%(n)d matches due a check-in", "n"
    ),
}

#: The filter's names of the kinds (singular headings).
KIND_LABELS = {
    "webhooks.dead_lettered": _("Dead-lettered webhooks"),
    "program.negative_feedback": _("Negative feedback share"),
    "match.struggling": _("Struggling match"),
    "match.no_contact_60": _("No contact for 60 days"),
    "feedback.low_rating": _("Low rating"),
    "match.no_contact_30": _("No contact for 30 days"),
    "program.match_rate_below_target": _("Match rate below target"),
    "participant.concurrent_matches": _("Several active matches"),
    "match.zero_duration": _("Zero-duration match"),
    "participant.waiting": _("Waiting for a match"),
    "match.no_feedback": _("No feedback"),
    "match.no_contact_14": _("No contact for 14 days"),
    "match.checkin_due": _("Check-in due"),
}

#: Why an item has no day count (the "Days" cell says so instead of staying empty).
NO_DAYS = {
    "webhooks.dead_lettered": _("a count of deliveries, not one dated item"),
    "program.negative_feedback": _("a share over the whole program"),
    "program.match_rate_below_target": _("a rate over the whole program"),
    "match.struggling": _("about the last two moods, not a time"),
    "match.zero_duration": _("a data error, not a time"),
}

AGES = [("", _("Any age")), ("7", _("7 days or more")), ("14", _("14 days or more")),
        ("30", _("30 days or more")), ("60", _("60 days or more"))]  # fmt: skip


def summary_in_words(summary: dict[str, int]) -> list[str]:
    return [KIND_WORDS[kind] % {"n": count} for kind, count in summary.items()]


class AttentionFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *KIND_LABELS.items()]
    )
    age = forms.ChoiceField(label=_("Age"), required=False, choices=AGES)


class SnoozeForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k) for k in PRIORITY], widget=forms.HiddenInput)
    subject_type = forms.CharField(max_length=30, widget=forms.HiddenInput)
    subject_id = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    fingerprint = forms.CharField(max_length=64, widget=forms.HiddenInput)
    until = forms.DateField(label=_("Snooze until"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


def _act_urls(items, program) -> dict:
    """Where each item is acted on in this UI (one query per kind of subject, at most two)."""
    enrollment_ids = [i.subject_id for i in items if i.subject_type == "enrollment"]
    feedback_ids = [i.subject_id for i in items if i.subject_type == "feedback"]
    people = dict(Enrollment.objects.filter(pk__in=enrollment_ids).values_list("pk", "person_id"))
    matches = dict(Feedback.objects.filter(pk__in=feedback_ids).values_list("pk", "match_id"))
    urls = {}
    for item in items:
        key = (item.kind, item.subject_id)
        if item.subject_type == "match":
            urls[key] = reverse("buddy:match", args=[item.subject_id])
        elif item.subject_type == "enrollment" and item.subject_id in people:
            urls[key] = reverse("buddy:person", args=[people[item.subject_id]])
        elif item.subject_type == "person":
            urls[key] = reverse("buddy:person", args=[item.subject_id])
        elif item.subject_type == "feedback" and item.subject_id in matches:
            urls[key] = reverse("buddy:match", args=[matches[item.subject_id]])
        elif item.subject_type == "program":
            urls[key] = reverse("enrollments:dashboard") + f"?program={program.program_type}"
        else:
            urls[key] = item.action_url
    return urls


@role_required(read="programs")
@program_errors
def attention(request):
    program = current_program(request)
    filters = AttentionFilterForm(request.GET)
    status = 200
    if filters.is_valid():
        age = filters.cleaned_data["age"]
        queue = AttentionQueue(
            program=program,
            kind=filters.cleaned_data["kind"] or None,
            min_days=int(age) if age else None,
        )
        items = queue
    else:
        queue = AttentionQueue(program=program)
        items, status = [], 400
    summary = queue.summary()
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    urls = _act_urls(page.object_list, program)
    today = timezone.localdate()
    rows = [
        {
            "item": item,
            "label": KIND_LABELS[item.kind],
            "no_days": NO_DAYS.get(item.kind, _("no date known")),
            "open_url": urls[(item.kind, item.subject_id)],
            "fingerprint": item_fingerprint(item),
            "subject_id": item.subject_id or 0,
        }
        for item in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "enrollments/attention.html",
        {
            "program": program,
            "rows": rows,
            "page": page,
            "query": query.urlencode(),
            "filters": filters,
            "summary": summary_in_words(summary),
            "total": sum(summary.values()),
            "snoozed": queue.snoozed_count(),
            "snooze_default": today + timedelta(days=7),
            "snooze_min": today + timedelta(days=1),
        },
        status=status,
    )


@role_required(read="change", change="change")
def attention_snooze_view(request):
    """Snooze one item (POST from its row): htmx replaces the row, a plain form redirects."""
    form = SnoozeForm(request.POST)
    try:
        program = program_in_scope(request.POST.get("program"), access_for(request.user))
    except DomainError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain")
    if not form.is_valid():
        return _snooze_refused(request, form.errors.get_json_data())
    try:
        attention_snooze(program=program, by=request.user, **form.cleaned_data)
    except DomainError as error:
        return _snooze_refused(request, {e.path: [{"message": e.message}] for e in error.errors})
    if request.htmx:
        return render(
            request, "enrollments/_snoozed_row.html", {"until": form.cleaned_data["until"]}
        )
    messages.success(request, _("Snoozed until %(until)s.") % {"until": form.cleaned_data["until"]})
    return redirect(reverse("enrollments:attention") + f"?program={program.program_type}")


def _snooze_refused(request, errors: dict):
    text = "; ".join(
        f"{field}: {e['message']}" for field, messages_ in errors.items() for e in messages_
    )
    if request.htmx:
        return render(request, "enrollments/_snooze_error.html", {"text": text}, status=400)
    return HttpResponse(text, status=400, content_type="text/plain")
