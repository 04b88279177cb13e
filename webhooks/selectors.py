"""Reads of the webhooks app: stats, the dead-letter queue, replay selections."""

from datetime import datetime

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from webhooks.models import DeliveryStatus, EventStatus, WebhookDelivery, WebhookEvent
from webhooks.validation import EVENT_TYPES

D = DeliveryStatus


def deliveries_dead_lettered() -> QuerySet[WebhookDelivery]:
    """Deliveries that failed their last allowed attempt and wait for manual review."""
    return (
        WebhookDelivery.objects.dead_lettered()
        .select_related("event")
        .order_by("-dead_lettered_at", "-id")
    )


def webhook_stats() -> dict:
    """The ``GET /webhooks/stats`` body (``WEBHOOKS.md``, Stats), in three queries."""
    deliveries = WebhookDelivery.objects.aggregate(
        processed=Count("id", filter=Q(status=D.PROCESSED)),
        failed=Count("id", filter=Q(status=D.FAILED)),
        dead_lettered=Count("id", filter=Q(status=D.DEAD_LETTERED)),
        duplicates=Sum("duplicate_count"),
    )
    by_type = dict.fromkeys(EVENT_TYPES, 0)
    for row in WebhookEvent.objects.values("event_type").annotate(n=Count("id")):
        by_type[row["event_type"]] = row["n"]
    warnings = WebhookEvent.objects.aggregate(
        drift=Sum("drift_warnings"),
        new_values=Sum("new_value_warnings"),
        waiting=Count("id", filter=Q(status=EventStatus.WAITING)),
    )
    return {
        "service": "buddy-connector",
        "supportedEventTypes": list(EVENT_TYPES),
        "deliveries": {
            "processed": deliveries["processed"],
            "failed": deliveries["failed"],
            "deadLettered": deliveries["dead_lettered"],
            "duplicates": deliveries["duplicates"] or 0,
        },
        "eventsByType": by_type,
        "eventsWaiting": warnings["waiting"],
        "warnings": {
            "enumDrift": warnings["drift"] or 0,
            "newEventTypes": warnings["new_values"] or 0,
        },
        "timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
    }


def events_for_replay(
    *,
    failed: bool = False,
    dead: bool = False,
    ids: list[str] | None = None,
    event_type: str | None = None,
    since: datetime | None = None,
) -> QuerySet[WebhookEvent]:
    """The events a replay selects; the filters add up (AND). Oldest first."""
    events = WebhookEvent.objects.all()
    if failed:
        events = events.failed()
    if dead:
        events = events.filter(deliveries__status=D.DEAD_LETTERED)
    if ids:
        events = events.filter(event_id__in=ids)
    if event_type:
        events = events.filter(event_type=event_type)
    if since:
        events = events.filter(received_at__gte=since)
    return events.distinct().order_by("timestamp", "id")
