"""django-filter sets of the webhooks app, shared by the API and the review screens."""

import django_filters

from buddy.filtersets import ChoicesFilter, date_range
from webhooks.models import DeliveryStatus, EventStatus, WebhookDelivery, WebhookEvent


class WebhookEventFilterSet(django_filters.FilterSet):
    event_type = django_filters.CharFilter()
    status = ChoicesFilter(choices=EventStatus.choices)
    match_id = django_filters.UUIDFilter()
    locals().update(date_range("received_at"))

    class Meta:
        model = WebhookEvent
        fields = ["event_type", "status", "match_id"]


class WebhookDeliveryFilterSet(django_filters.FilterSet):
    status = ChoicesFilter(choices=DeliveryStatus.choices)
    event = django_filters.UUIDFilter(field_name="event__event_id")
    locals().update(date_range("received_at"))

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event"]
