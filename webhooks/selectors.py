"""Reads of the webhooks app: stats, the dead-letter queue, replay selections, the review screen."""

from datetime import datetime

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy

from buddy.access import Access
from buddy.models import Enrollment, ExternalId, Match
from buddy.services.common import provider
from webhooks.models import (
    DeliveryStatus,
    EventReference,
    EventStatus,
    OutboundDelivery,
    OutboundStatus,
    WebhookConflict,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from webhooks.validation import EVENT_TYPES

D = DeliveryStatus


# --- Scoping (see ``buddy.selectors``) -------------------------------------------------------


def events_of_programs(program_ids, *, via: str = "") -> Q:
    """A condition on events (``via``: the path to the event from the rows filtered): the
    event names a person enrolled in one of these programs, or a match of one of them.
    An event naming nobody known yet belongs to no program."""
    people = ExternalId.objects.filter(
        provider=provider(),
        external_id=OuterRef(f"{via}user_id"),
        person_id__in=Enrollment.objects.filter(program_id__in=program_ids).values("person_id"),
    )
    matches = Match.objects.filter(
        external_id=OuterRef(f"{via}match_id"), program_id__in=program_ids
    )
    return Q(Exists(people)) | Q(Exists(matches))


def scope_webhook_events(events: QuerySet, access: Access, *, via: str = "") -> QuerySet:
    """Events whose people or match are in the login's programs; events that name no known
    person or match yet: superusers only. ``via``: path to the event (``"event__"``)."""
    if access.is_superuser:
        return events
    if not access.reads_programs:
        return events.none()
    return events.filter(events_of_programs(access.program_ids, via=via))


def deliveries_dead_lettered(*, program_ids=None) -> QuerySet[WebhookDelivery]:
    """Deliveries that failed their last allowed attempt and wait for manual review (of the
    events of these programs, when given)."""
    deliveries = WebhookDelivery.objects.dead_lettered()
    if program_ids is not None:
        deliveries = deliveries.filter(events_of_programs(program_ids, via="event__"))
    return deliveries.select_related("event").order_by("-dead_lettered_at", "-id")


def webhook_stats(*, access: Access) -> dict:
    """The ``GET /webhooks/stats`` body (``WEBHOOKS.md``, Stats), in three queries, of the
    events the login sees (``scope_webhook_events``: a coordinator of A counts nothing of B;
    events naming nobody known yet count for superusers only)."""
    events = scope_webhook_events(WebhookEvent.objects.all(), access)
    deliveries = scope_webhook_events(
        WebhookDelivery.objects.all(), access, via="event__"
    ).aggregate(
        processed=Count("id", filter=Q(status=D.PROCESSED)),
        failed=Count("id", filter=Q(status=D.FAILED)),
        dead_lettered=Count("id", filter=Q(status=D.DEAD_LETTERED)),
        duplicates=Sum("duplicate_count"),
    )
    by_type = dict.fromkeys(EVENT_TYPES, 0)
    for row in events.values("event_type").annotate(n=Count("id")).order_by():
        by_type[row["event_type"]] = row["n"]
    warnings = events.aggregate(
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
        events = events.dead_lettered()
    if ids:
        events = events.filter(event_id__in=ids)
    if event_type:
        events = events.filter(event_type=event_type)
    if since:
        events = events.filter(received_at__gte=since)
    return events.distinct().order_by("timestamp", "id")


# --- Coordinator review screen (``/webhooks/review/``) --------------------------------------

#: The review screen's status filter. The default, "attention", is what a coordinator
#: has to look at: waiting and failed events, and events with a dead-lettered delivery.
REVIEW_STATUSES = {
    "attention": gettext_lazy("Needs attention"),
    "waiting": gettext_lazy("Waiting for a user or match"),
    "failed": gettext_lazy("Failed"),
    "dead": gettext_lazy("Dead-lettered delivery"),
    "processed": gettext_lazy("Processed"),
    "all": gettext_lazy("All"),
}

#: The columns a review list reads: never the payload (it holds free text and names).
_REVIEW_FIELDS = [
    "id",
    "event_id",
    "event_type",
    "status",
    "attempts",
    "last_error",
    "timestamp",
    "received_at",
]


def _events_reviewed(
    *, access: Access, status: str, event_type: str | None
) -> QuerySet[WebhookEvent]:
    events = scope_webhook_events(WebhookEvent.objects.only(*_REVIEW_FIELDS), access)
    if status == "attention":
        events = events.needs_review()
    elif status == "dead":
        events = events.dead_lettered()
    elif status in (EventStatus.WAITING, EventStatus.FAILED):
        events = events.failed().filter(status=status)  # failed(): the partial index
    elif status == EventStatus.PROCESSED:
        events = events.filter(status=status)
    elif status != "all":
        raise ValueError(f"unknown review status {status!r}")
    if event_type:
        events = events.filter(event_type=event_type)
    return events


def events_for_review(
    *, access: Access, status: str = "attention", event_type: str | None = None
) -> QuerySet[WebhookEvent]:
    """The review screen's rows, newest first, without payloads, in a fixed number of
    queries: delivery counts are correlated subqueries (evaluated for the shown page only)
    and the awaited references one prefetch."""
    deliveries = WebhookDelivery.objects.filter(event=OuterRef("pk")).order_by()
    return (
        _events_reviewed(access=access, status=status, event_type=event_type)
        .annotate(
            delivery_count=Coalesce(Subquery(_counted(deliveries), output_field=IntegerField()), 0),
            dead_lettered_count=Coalesce(
                Subquery(
                    _counted(deliveries.filter(status=D.DEAD_LETTERED)),
                    output_field=IntegerField(),
                ),
                0,
            ),
            # the error that dead-lettered its latest dead-lettered delivery
            dead_lettered_error=Subquery(
                deliveries.filter(status=D.DEAD_LETTERED)
                .order_by("-dead_lettered_at", "-id")
                .values("last_error")[:1]
            ),
        )
        .prefetch_related(
            Prefetch(
                "references",
                queryset=EventReference.objects.only("event_id", "kind", "external_id", "blocking"),
            )
        )
        .order_by("-received_at", "-id")
    )


def _counted(queryset: QuerySet) -> QuerySet:
    return queryset.values("event").annotate(n=Count("pk")).values("n")


def events_for_review_replay(
    *,
    access: Access,
    status: str = "attention",
    event_type: str | None = None,
    ids: list | None = None,
    limit: int = 500,
) -> list[WebhookEvent]:
    """What "Replay all shown" (or "Replay selected": ``ids``, event ids within the selection)
    replays: the review selection, oldest first (by the event's own timestamp, like
    ``events_for_replay``, so a match is created before its check-ins), at most ``limit``."""
    events = _events_reviewed(access=access, status=status, event_type=event_type)
    if ids is not None:
        events = events.filter(event_id__in=ids)
    return list(events.only("id", "event_id", "event_type").order_by("timestamp", "id")[:limit])


def webhook_review_summary(*, access: Access) -> dict[str, int]:
    """The counts at the top of the review screen (of the events the login sees), in one
    query (a UNION of three counts)."""

    def counts(queryset: QuerySet, key) -> QuerySet:
        return queryset.annotate(key=key).values_list("key").annotate(n=Count("pk")).order_by()

    events = counts(scope_webhook_events(WebhookEvent.objects.failed(), access), F("status"))
    dead = counts(
        scope_webhook_events(WebhookDelivery.objects.dead_lettered(), access, via="event__"),
        Value("dead_lettered", output_field=CharField()),
    )
    conflicts = counts(
        scope_webhook_events(WebhookConflict.objects.filter(reviewed=False), access, via="event__"),
        Value("conflicts", output_field=CharField()),
    )
    summary = dict.fromkeys(["waiting", "failed", "dead_lettered", "conflicts"], 0)
    summary.update(dict(events.union(dead, conflicts, all=True)))
    return summary


def webhook_review_stats(*, access: Access) -> dict:
    """The review screen's stats of the events the login sees (``webhook_stats`` counts every
    program's): events per type and deliveries per status, in two grouped queries."""
    events = scope_webhook_events(WebhookEvent.objects.all(), access)
    by_type = dict.fromkeys(EVENT_TYPES, 0)
    for event_type, n in events.values_list("event_type").annotate(n=Count("id")).order_by():
        by_type[event_type] = n
    deliveries = scope_webhook_events(WebhookDelivery.objects.all(), access, via="event__")
    by_status = dict.fromkeys(D.values, 0)
    for status, n in deliveries.values_list("status").annotate(n=Count("id")).order_by():
        by_status[status] = n
    return {
        "events_by_type": by_type,
        "deliveries_by_status": by_status,
        "events": sum(by_type.values()),
    }


def conflicts_unreviewed(*, access: Access) -> QuerySet[WebhookConflict]:
    """Conflicts still to review (of the events the login sees), newest first, without
    either payload."""
    return (
        scope_webhook_events(WebhookConflict.objects.filter(reviewed=False), access, via="event__")
        .select_related("event")
        .only("id", "delivery_id", "received_at", "event__event_id", "event__event_type")
        .order_by("-received_at", "-id")
    )


# --- Subscribers of the events this app publishes (not program data: every program's events) --


def subscribers_for_list() -> QuerySet[WebhookEndpoint]:
    """Every subscriber with its last attempted delivery (``last_status``, ``last_code``,
    ``last_error``, ``last_at``) and its deliveries that failed every attempt
    (``failed_count``): one query whatever their number."""
    last = OutboundDelivery.objects.filter(
        endpoint=OuterRef("pk"), last_attempt_at__isnull=False
    ).order_by("-last_attempt_at", "-id")
    failed = (
        OutboundDelivery.objects.filter(endpoint=OuterRef("pk"), status=OutboundStatus.FAILED)
        .order_by()
        .values("endpoint")
        .annotate(n=Count("id"))
        .values("n")
    )
    return WebhookEndpoint.objects.annotate(
        last_status=Subquery(last.values("status")[:1]),
        last_code=Subquery(last.values("last_status_code")[:1]),
        last_error=Subquery(last.values("last_error")[:1]),
        last_at=Subquery(last.values("last_attempt_at")[:1]),
        failed_count=Coalesce(Subquery(failed, output_field=IntegerField()), 0),
    ).order_by("id")


def subscriber_deliveries(
    *, endpoint: WebhookEndpoint, status: str = ""
) -> QuerySet[OutboundDelivery]:
    """A subscriber's deliveries, newest first, with their event's type and every attempt
    (a fixed number of queries per page)."""
    deliveries = OutboundDelivery.objects.filter(endpoint=endpoint)
    if status:
        deliveries = deliveries.filter(status=status)
    return (
        deliveries.select_related("event")
        .only(*DELIVERY_FIELDS)
        .prefetch_related("attempt_log")
        .order_by("-created_at", "-id")
    )


#: What the deliveries page reads of a delivery and its event (not the event's payload).
DELIVERY_FIELDS = (
    "id", "event", "event__id", "event__type", "event__occurred_at", "endpoint", "status",
    "attempts", "due_at", "last_attempt_at", "last_status_code", "last_error",
    "succeeded_at", "created_at",
)  # fmt: skip
