from rest_framework import serializers

from webhooks.models import (
    OutboundAttempt,
    OutboundDelivery,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


class WebhookEventSerializer(serializers.ModelSerializer):
    """An event without its payload (the payload holds personal data; admin shows it)."""

    class Meta:
        model = WebhookEvent
        fields = [
            "id",
            "event_id",
            "event_type",
            "user_id",
            "match_id",
            "timestamp",
            "correlation_id",
            "status",
            "attempts",
            "last_error",
            "received_at",
            "processed_at",
        ]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One inbound delivery id of the Buddy System and its fate (retries, duplicates)."""

    event_id = serializers.UUIDField(source="event.event_id", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "delivery_id",
            "event",
            "event_id",
            "status",
            "retry_count",
            "duplicate_count",
            "last_error",
            "received_at",
            "last_attempt_at",
            "processed_at",
            "dead_lettered_at",
        ]
        read_only_fields = fields


class ReplayResultSerializer(serializers.Serializer):
    event_id = serializers.UUIDField()
    outcome = serializers.CharField()
    error = serializers.CharField(allow_blank=True)


# --- Subscribers of the events this app publishes ------------------------------------------


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """A subscriber; its secrets are never shown (``secret`` appears once, on creation and
    rotation)."""

    event_types = serializers.ListField(child=serializers.CharField(), required=False)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "active",
            "failing_since",
            "disabled_reason",
            "disabled_at",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "active",
            "failing_since",
            "disabled_reason",
            "disabled_at",
            "created_at",
        ]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text="whsec_… shown this once; store it now.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new whsec_… secret, shown this once.")


class OutboundAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutboundAttempt
        fields = ["at", "status_code", "duration_ms", "error"]


class OutboundDeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event.type", read_only=True)
    attempt_log = OutboundAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = OutboundDelivery
        fields = [
            "id",
            "event",
            "event_type",
            "endpoint",
            "status",
            "attempts",
            "due_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "succeeded_at",
            "attempt_log",
        ]
