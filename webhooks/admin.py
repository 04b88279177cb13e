"""Admin for the event store: events, deliveries (dead letters first), conflicts.

Everything is read-only: events change only through processing and replay.
"""

import json

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from webhooks import services
from webhooks.imports import admin as imports  # noqa: F401  (registers the import runs)
from webhooks.models import (
    DeliveryStatus,
    EventReference,
    WebhookConflict,
    WebhookDelivery,
    WebhookEvent,
)


def _pretty(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


def _replay(modeladmin, request, events) -> None:
    counts: dict[str, int] = {}
    for event in events:
        outcome = services.event_replay(event=event).outcome.value
        counts[outcome] = counts.get(outcome, 0) + 1
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    level = messages.SUCCESS if set(counts) <= {"processed"} else messages.WARNING
    modeladmin.message_user(request, f"Replayed: {summary or 'nothing'}.", level)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ["delivery_id", "status", "retry_count", "duplicate_count", "last_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class ReferenceInline(admin.TabularInline):
    model = EventReference
    fields = ["kind", "external_id", "blocking"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = [
        "event_id",
        "event_type",
        "status",
        "timestamp",
        "attempts",
        "last_error",
        "received_at",
        "processed_at",
    ]
    list_filter = ["status", "event_type", "received_at"]
    search_fields = ["=event_id", "=correlation_id", "=user_id", "=match_id"]
    date_hierarchy = "received_at"
    fields = [
        "event_id",
        "event_type",
        "version",
        "status",
        "timestamp",
        "correlation_id",
        "user_id",
        "match_id",
        "attempts",
        "last_error",
        "drift_warnings",
        "new_value_warnings",
        "received_at",
        "processed_at",
        "payload_pretty",
    ]
    readonly_fields = fields
    inlines = [DeliveryInline, ReferenceInline]
    actions = ["replay"]

    @admin.display(description="payload")
    def payload_pretty(self, obj):
        return _pretty(obj.payload)

    @admin.action(description="Replay the selected events from their stored payload")
    def replay(self, request, queryset):
        _replay(self, request, queryset.order_by("timestamp", "id"))

    def has_replay_permission(self, request):
        return request.user.is_staff


class DeadLetteredFilter(admin.SimpleListFilter):
    title = "needs review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("dead", "Dead-lettered"), ("failing", "Failed or dead-lettered")]

    def queryset(self, request, queryset):
        if self.value() == "dead":
            return queryset.filter(status=DeliveryStatus.DEAD_LETTERED)
        if self.value() == "failing":
            return queryset.filter(status__in=[DeliveryStatus.FAILED, DeliveryStatus.DEAD_LETTERED])
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "delivery_id",
        "event_link",
        "event_type",
        "status",
        "retry_count",
        "duplicate_count",
        "last_error",
        "received_at",
        "dead_lettered_at",
    ]
    list_filter = [DeadLetteredFilter, "status", "event__event_type"]
    search_fields = ["=delivery_id", "=event__event_id"]
    list_select_related = ["event"]
    readonly_fields = [
        "delivery_id",
        "event",
        "status",
        "retry_count",
        "duplicate_count",
        "last_error",
        "received_at",
        "last_attempt_at",
        "processed_at",
        "dead_lettered_at",
    ]
    actions = ["replay"]

    @admin.display(description="event", ordering="event__event_id")
    def event_link(self, obj):
        url = reverse("admin:webhooks_webhookevent_change", args=[obj.event_id])
        return format_html('<a href="{}">{}</a>', url, obj.event.event_id)

    @admin.display(description="type", ordering="event__event_type")
    def event_type(self, obj):
        return obj.event.event_type

    @admin.action(description="Replay the events of the selected deliveries")
    def replay(self, request, queryset):
        events = WebhookEvent.objects.filter(deliveries__in=queryset).distinct()
        _replay(self, request, events.order_by("timestamp", "id"))

    def has_replay_permission(self, request):
        return request.user.is_staff


@admin.register(WebhookConflict)
class WebhookConflictAdmin(ReadOnlyAdmin):
    list_display = ["event", "delivery_id", "received_at", "reviewed"]
    list_filter = ["reviewed", "event__event_type"]
    search_fields = ["=delivery_id", "=event__event_id"]
    list_select_related = ["event"]
    fields = ["event", "delivery_id", "received_at", "reviewed", "stored_payload", "payload_pretty"]
    readonly_fields = fields
    actions = ["mark_reviewed"]

    @admin.action(description="Mark the selected conflicts as reviewed")
    def mark_reviewed(self, request, queryset):
        n = services.conflicts_mark_reviewed(conflicts=queryset)
        self.message_user(request, f"{n} conflicts marked reviewed.", messages.SUCCESS)

    def has_mark_reviewed_permission(self, request):
        return request.user.is_staff

    @admin.display(description="payload received")
    def payload_pretty(self, obj):
        return _pretty(obj.payload)

    @admin.display(description="payload stored")
    def stored_payload(self, obj):
        return _pretty(obj.event.payload)


from webhooks import admin_outbound  # noqa: E402, F401 - subscribers and outbound deliveries
