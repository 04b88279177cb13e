"""Coordinator screens of the webhooks app: review and replay stored events, review conflicts.

Thin over ``webhooks.selectors`` (what is listed) and ``webhooks.services`` (replay,
conflicts). Pages show ids, types, statuses and the short failure reasons only: the
payloads hold names and free text and stay in the admin.
"""

import uuid
from collections import Counter
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from buddy.access import access_for, role_required
from webhooks import selectors, services
from webhooks.models import WebhookConflict, WebhookEvent
from webhooks.services import ProcessingOutcome
from webhooks.validation import EVENT_TYPES

PAGE_SIZE = 50
BULK_REPLAY_LIMIT = 500

#: The deliveries' statuses in words (the stats).
DELIVERY_LABELS = {
    "received": gettext_lazy("Received"),
    "processed": gettext_lazy("Processed"),
    "duplicate": gettext_lazy("Duplicate (event already processed)"),
    "failed": gettext_lazy("Failed"),
    "dead_lettered": gettext_lazy("Dead-lettered"),
}

#: Replay outcomes in words.
OUTCOME_LABELS = {
    ProcessingOutcome.PROCESSED: gettext_lazy("processed"),
    ProcessingOutcome.DUPLICATE: gettext_lazy("duplicate"),
    ProcessingOutcome.WAITING: gettext_lazy("waiting"),
    ProcessingOutcome.FAILED: gettext_lazy("failed"),
    ProcessingOutcome.SKIPPED: gettext_lazy("skipped"),
}

_LEVELS = {
    ProcessingOutcome.PROCESSED: messages.SUCCESS,
    ProcessingOutcome.WAITING: messages.WARNING,
}


class ReviewFilterForm(forms.Form):
    """The list's filters, from the query string (GET) or the bulk form (POST)."""

    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=list(selectors.REVIEW_STATUSES.items()),
        required=False,
    )
    type = forms.ChoiceField(
        label=gettext_lazy("Type"),
        choices=[("", gettext_lazy("All types")), *((t, t) for t in EVENT_TYPES)],
        required=False,
    )

    def filters(self) -> dict:
        """Keyword arguments of the review selectors (call after ``is_valid()``)."""
        return {
            "status": self.cleaned_data["status"] or "attention",
            "event_type": self.cleaned_data["type"] or None,
        }

    def query(self, **extra) -> str:
        """The filters (and ``extra``) as a query string, leaving out defaults."""
        values = {"status": self.cleaned_data["status"], "type": self.cleaned_data["type"]}
        values.update(extra)
        return urlencode({k: v for k, v in values.items() if v and v != "attention"})


def _review_url(data) -> str:
    """Back to the list with the same filters (and page), for post/redirect/get."""
    form = ReviewFilterForm(data)
    url = reverse("webhooks:review")
    if not form.is_valid():
        return url
    page = data.get("page", "")
    query = form.query(page=page if page.isdigit() and page != "1" else "")
    return f"{url}?{query}" if query else url


def _outcome(outcome) -> str:
    return str(OUTCOME_LABELS.get(outcome, getattr(outcome, "value", outcome)))


@role_required(read="programs", change="change")
@require_GET
def review(request):
    form = ReviewFilterForm(request.GET)
    access = access_for(request.user)
    stats = selectors.webhook_review_stats(access=access)
    context = {
        "form": form,
        "summary": selectors.webhook_review_summary(access=access),
        "stats": stats,
        "delivery_stats": [
            (DELIVERY_LABELS.get(code, code), n)
            for code, n in stats["deliveries_by_status"].items()
        ],
    }
    if not form.is_valid():
        return render(request, "webhooks/review.html", context, status=400)
    events = selectors.events_for_review(access=access, **form.filters())
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(page=page, events=page.object_list, bulk_limit=BULK_REPLAY_LIMIT)
    return render(request, "webhooks/review.html", context)


@role_required(read="programs", change="change")
@require_POST
def review_replay(request, event_id):
    events = selectors.scope_webhook_events(WebhookEvent.objects.all(), access_for(request.user))
    event = get_object_or_404(events.only("id", "event_id"), event_id=event_id)
    result = services.event_replay(event=event)
    values = {
        "id": result.event.event_id,
        "type": result.event.event_type,
        "outcome": _outcome(result.outcome),
    }
    text = _("Event %(id)s (%(type)s) replayed: %(outcome)s") % values
    text += f" — {result.error}" if result.error else "."
    messages.add_message(request, _LEVELS.get(result.outcome, messages.ERROR), text)
    return redirect(_review_url(request.POST))


@role_required(read="programs", change="change")
@require_POST
def review_replay_bulk(request):
    form = ReviewFilterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing replayed: unknown filter."))
        return redirect("webhooks:review")
    selected = request.POST.getlist("event")  # "Replay selected": these ids of the selection
    try:
        ids = [uuid.UUID(value) for value in selected] if selected else None
    except ValueError:
        messages.error(request, _("Nothing replayed: unknown event id."))
        return redirect(_review_url(request.POST))
    events = selectors.events_for_review_replay(
        access=access_for(request.user), **form.filters(), ids=ids, limit=BULK_REPLAY_LIMIT
    )
    outcomes = Counter(services.event_replay(event=event).outcome for event in events)
    if not events:
        messages.info(request, _("Nothing to replay for these filters."))
    else:
        counts = ", ".join(f"{n} {_outcome(outcome)}" for outcome, n in sorted(outcomes.items()))
        capped = (
            _(" (the oldest %(n)s)") % {"n": BULK_REPLAY_LIMIT}
            if len(events) == BULK_REPLAY_LIMIT
            else ""
        )
        level = (
            messages.SUCCESS if set(outcomes) == {ProcessingOutcome.PROCESSED} else messages.WARNING
        )
        text = _("Replayed %(n)s events%(capped)s: %(counts)s.")
        messages.add_message(
            request, level, text % {"n": len(events), "capped": capped, "counts": counts}
        )
    return redirect(_review_url(request.POST))


@role_required(read="programs", change="change")
@require_GET
def review_conflicts(request):
    conflicts = selectors.conflicts_unreviewed(access=access_for(request.user))
    page = Paginator(conflicts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/review_conflicts.html",
        {"page": page, "conflicts": page.object_list},
    )


@role_required(read="programs", change="change")
@require_POST
def review_conflict_mark(request, pk):
    conflicts = selectors.scope_webhook_events(
        WebhookConflict.objects.all(), access_for(request.user), via="event__"
    )
    conflict = get_object_or_404(conflicts.only("id"), pk=pk)
    marked = services.conflicts_mark_reviewed(
        conflicts=WebhookConflict.objects.filter(pk=conflict.pk)
    )
    if marked:
        messages.success(request, _("Conflict %(id)s marked reviewed.") % {"id": conflict.pk})
    else:
        messages.info(request, _("Conflict %(id)s was already reviewed.") % {"id": conflict.pk})
    return redirect("webhooks:review-conflicts")
