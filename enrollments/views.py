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
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from buddy.access import access_for, role_required
from buddy.selectors import program_in_scope
from buddy.views.common import current_program, program_errors
from core.errors import DomainError
from enrollments.attention import PRIORITY, AttentionQueue, item_fingerprint
from enrollments.health_reasons import reason_text
from enrollments.services import REMINDABLE, attention_remind, attention_snooze

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
    "concern.overdue": ngettext_lazy(
        "%(n)d case with an overdue response", "%(n)d cases with an overdue response", "n"
    ),
    "webhooks.subscriber_disabled": ngettext_lazy(
        "%(n)d webhook subscriber disabled", "%(n)d webhook subscribers disabled", "n"
    ),
    "match.at_risk": ngettext_lazy("%(n)d match at risk", "%(n)d matches at risk", "n"),
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
    "concern.overdue": _("Overdue case"),
    "webhooks.subscriber_disabled": _("Disabled webhook subscriber"),
    "match.at_risk": _("Match at risk"),
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


def _percent(value) -> str:
    return f"{value:.0%}"


#: Each kind's title and reason in words, from the item's ``params`` (the item's own
#: English texts, which the API and the snooze fingerprints use, stay as they are).
ITEM_WORDS = {
    "participant.waiting": (
        _("Participant #%(person)s waiting %(days)s days for a match"),
        _("Active in the program with no open match."),
    ),
    "participant.concurrent_matches": (
        _("Participant #%(person)s: %(active)s active matches at once"),
        _(
            "The Buddy System reported more than one active match in this program; the app "
            "allows one. End the extra match(es) or correct the data."
        ),
    ),
    "match.no_contact_60": (
        _("Match #%(match)s: no contact for %(days)s days"),
        _("No activity of any kind logged for more than %(bucket)s days."),
    ),
    "match.no_contact_30": (
        _("Match #%(match)s: no contact for %(days)s days"),
        _("No activity of any kind logged for more than %(bucket)s days."),
    ),
    "match.no_contact_14": (
        _("Match #%(match)s: no contact for %(days)s days"),
        _("No activity of any kind logged for more than %(bucket)s days."),
    ),
    "match.checkin_due": (
        _("Match #%(match)s: check-in due (%(days)s days since the last)"),
        _("No check-in for more than %(due)s days."),
    ),
    "match.struggling": (
        _("Match #%(match)s: the last two moods were %(older)s and %(newer)s"),
        _("The last two check-ins report struggling or difficult."),
    ),
    "match.at_risk": (
        _("Match #%(match)s: health %(score)s (at risk)"),
        _("At risk: %(reason)s."),
    ),
    "match.no_feedback": (
        _("Match #%(match)s: active %(days)s days without feedback"),
        _("Active for more than %(limit)s days with no feedback at all."),
    ),
    "match.zero_duration": (
        _("Match #%(match)s: ended the moment it started"),
        _("Zero-duration match (ended_at equals matched_at): check the data."),
    ),
    "feedback.low_rating": (
        _("Match #%(match)s: rated %(rating)s by the %(role)s"),
        _("A rating below %(low)s in the last %(recent)s days."),
    ),
    "program.match_rate_below_target": (
        _("%(program)s: %(rate)s of participants matched (target %(target)s)"),
        _("%(matched)s of %(total)s active participants have an active match."),
    ),
    "program.negative_feedback": (
        _("%(program)s: %(share)s of ratings are below %(low)s"),
        _("%(negative)s of %(total)s ratings are low (threshold %(threshold)s)."),
    ),
}

#: Codes inside titles, in words.
ROLE_WORDS = {"participant": _("participant"), "buddy": _("buddy")}
MOOD_WORDS = {
    "great": _("great"),
    "good": _("good"),
    "okay": _("okay"),
    "struggling": _("struggling"),
    "difficult": _("difficult"),
}


def item_words(item) -> tuple[str, str]:
    """An item's title and reason in the active language (the item's own texts for kinds
    without a translation, e.g. those of the apps above)."""
    title, reason = ITEM_WORDS.get(item.kind, (None, None))
    if title is None or not item.params:
        return item.title, item.reason
    params = dict(item.params)
    for name in ("rate", "target", "share", "threshold"):
        if name in params:
            params[name] = _percent(params[name])
    if "rating" in params:
        params["rating"] = f"{params['rating']:.2f}"
    if "role" in params:
        params["role"] = ROLE_WORDS.get(params["role"], params["role"])
    if "reason" in params:  # a health reason's code (enrollments.health_reasons)
        params["reason"] = reason_text(params["reason"])
    if item.kind == "match.struggling":
        moods = {k: MOOD_WORDS.get(params[k], params[k]) for k in ("newer", "older")}
        params = {**params, **moods}
        if item.params["newer"] == item.params["older"]:
            title = _("Match #%(match)s: the last two moods were both %(newer)s")
    try:
        return str(title) % params, item.reason if reason is None else str(reason) % params
    except KeyError:  # an item kept before its kind had these parameters
        return item.title, item.reason


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
    """Where each item is acted on in this UI (from the ids the item names: no query)."""
    urls = {}
    for item in items:
        key = (item.kind, item.subject_id)
        person, match = item.params.get("person"), item.params.get("match")
        if item.subject_type == "match":
            urls[key] = reverse("buddy:match", args=[item.subject_id])
        elif item.subject_type == "enrollment" and person:
            urls[key] = reverse("buddy:person", args=[person])
        elif item.subject_type == "person":
            urls[key] = reverse("buddy:person", args=[item.subject_id])
        elif item.subject_type == "feedback" and match:
            urls[key] = reverse("buddy:match", args=[match])
        elif item.subject_type == "program":
            urls[key] = reverse("enrollments:dashboard") + f"?program={program.program_type}"
        else:
            urls[key] = item.action_url
    return urls


@role_required(read="programs")
@program_errors
@require_GET
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
            "label": KIND_LABELS.get(item.kind, item.kind),
            "words": item_words(item),
            "no_days": NO_DAYS.get(item.kind, _("no date known")),
            "open_url": urls[(item.kind, item.subject_id)],
            "fingerprint": item_fingerprint(item),
            "subject_id": item.subject_id or 0,
            "remindable": item.kind in REMINDABLE,
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


def _field_errors(error: DomainError) -> dict:
    """A service's field errors as the form's, in the reader's language (the services mark
    their messages with ``gettext_noop``)."""
    return {e.path: [{"message": gettext(e.message)}] for e in error.errors}


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
        return _snooze_refused(
            request, {e.path: [{"message": gettext(e.message)}] for e in error.errors}
        )
    if request.htmx:
        return render(
            request, "enrollments/_snoozed_row.html", {"until": form.cleaned_data["until"]}
        )
    messages.success(request, _("Snoozed until %(until)s.") % {"until": form.cleaned_data["until"]})
    return redirect(reverse("enrollments:attention") + f"?program={program.program_type}")


def _snooze_refused(request, errors: dict):
    """A refused snooze. htmx: the row's form again with 422 (htmx-config.js swaps 422 in
    place of the form: HX-Retarget), its errors next to the fields and what was typed kept;
    a plain form: the reasons as text (400)."""
    messages_ = {field: [e["message"] for e in errors_] for field, errors_ in errors.items()}
    row = request.POST.get("row", "")
    if request.htmx and row.isdigit():
        data = request.POST
        context = {
            "n": row,
            **{name: data.get(name, "") for name in ("kind", "subject_type", "subject_id")},
            "program_type": data.get("program", ""),
            "fingerprint": data.get("fingerprint", ""),
            "until": data.get("until", ""),
            "note": data.get("note", ""),
            "until_errors": messages_.pop("until", []),
            "note_errors": messages_.pop("note", []),
            "other_errors": [f"{f}: {m}" for f, ms in messages_.items() for m in ms],
            "snooze_min": timezone.localdate() + timedelta(days=1),
        }
        response = render(request, "enrollments/_snooze_form.html", context, status=422)
        response["HX-Retarget"] = f"#snooze-form-{row}"
        response["HX-Reswap"] = "outerHTML"
        return response
    text = "; ".join(f"{field}: {m}" for field, ms in messages_.items() for m in ms)
    if request.htmx:
        return render(request, "enrollments/_snooze_error.html", {"text": text}, status=422)
    return HttpResponse(text, status=400, content_type="text/plain")


class RemindForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k) for k in sorted(REMINDABLE)])
    subject_type = forms.CharField(max_length=30)
    subject_id = forms.IntegerField(min_value=1)


@role_required(read="change", change="change")
def attention_remind_view(request):
    """Send an item's reminder (POST from its row): htmx replaces the button with what
    happened, a plain form redirects back to the queue."""
    form = RemindForm(request.POST)
    try:
        program = program_in_scope(request.POST.get("program"), access_for(request.user))
    except DomainError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain")
    if not form.is_valid():
        return _remind_refused(request, form.errors.get_json_data())
    try:
        _reminder, sent = attention_remind(program=program, by=request.user, **form.cleaned_data)
    except DomainError as error:
        return _remind_refused(
            request, {e.path: [{"message": gettext(e.message)}] for e in error.errors}
        )
    text = _("Reminder sent.") if sent else _("Already reminded today.")
    if request.htmx:
        return render(request, "enrollments/_reminded.html", {"text": text})
    messages.success(request, text)
    return redirect(reverse("enrollments:attention") + f"?program={program.program_type}")


def _remind_refused(request, errors: dict):
    text = "; ".join(
        f"{field}: {e['message']}" for field, messages_ in errors.items() for e in messages_
    )
    if request.htmx:
        # 422: swapped in place of the button (static/js/htmx-config.js)
        return render(request, "enrollments/_remind_error.html", {"text": text}, status=422)
    return HttpResponse(text, status=400, content_type="text/plain")
