"""django-filter sets of the webhooks app, shared by the API and the review screens."""

import django_filters

from buddy.filtersets import ChoicesFilter, Ordering, ScopedFilterSet, SearchFilter, date_range
from buddy.models import ImportRun, ImportStatus
from webhooks.models import (
    DeliveryStatus,
    EventStatus,
    OutboundDelivery,
    OutboundStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


class WebhookEventFilterSet(ScopedFilterSet):
    """Cursor-paginated: ``ordering`` by never-null columns only."""

    event_type = django_filters.CharFilter()
    status = ChoicesFilter(choices=EventStatus.choices)
    match_id = django_filters.UUIDFilter()
    locals().update(date_range("received_at"))
    search = SearchFilter(fields=["event_type", "user_id"])
    ordering = Ordering(fields=["id", "received_at", "timestamp", "updated_at"])

    class Meta:
        model = WebhookEvent
        fields = ["event_type", "status", "match_id"]


class WebhookDeliveryFilterSet(ScopedFilterSet):
    """Cursor-paginated: ``ordering`` by never-null columns only."""

    status = ChoicesFilter(choices=DeliveryStatus.choices)
    event = django_filters.UUIDFilter(field_name="event__event_id")
    locals().update(date_range("received_at"))
    search = SearchFilter(fields=["delivery_id", "event__event_type"])
    ordering = Ordering(fields=["id", "received_at"])

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event"]


class OutboundDeliveryFilterSet(ScopedFilterSet):
    """Cursor-paginated: ``ordering`` by never-null columns only."""

    endpoint = django_filters.NumberFilter(field_name="endpoint_id")
    status = ChoicesFilter(choices=OutboundStatus.choices)
    search = SearchFilter(fields=["event__type"])
    ordering = Ordering(fields=["id", "created_at", "due_at"])

    class Meta:
        model = OutboundDelivery
        fields = ["endpoint", "status"]


class WebhookEndpointFilterSet(ScopedFilterSet):
    search = SearchFilter(fields=["url", "description"])
    ordering = Ordering(fields=["id", "created_at", "url"])

    class Meta:
        model = WebhookEndpoint
        fields = ["active"]


class ImportRunFilterSet(ScopedFilterSet):
    status = django_filters.ChoiceFilter(choices=ImportStatus.choices)
    search = SearchFilter(fields=["file_name", "error_code"])
    ordering = Ordering(fields=["id", "created_at", "finished_at", "duration_seconds"])

    class Meta:
        model = ImportRun
        fields = ["status", "dry_run"]
