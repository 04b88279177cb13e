from rest_framework import serializers

from webhooks.models import WebhookEvent


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


class ReplayResultSerializer(serializers.Serializer):
    event_id = serializers.UUIDField()
    outcome = serializers.CharField()
    error = serializers.CharField(allow_blank=True)
