"""Subscribers of the events this app publishes, and the deliveries to them.

``WebhookEndpoint`` is a subscriber (URL, event types, secrets); ``OutboundDelivery`` is
one published event (``core.OutboxEvent``) owed to one endpoint, with the time it is due
and its attempt count; ``OutboundAttempt`` records each attempt (status, duration, error,
never the response body). Imported by ``webhooks.models``.
"""

from urllib.parse import urlsplit

from django.db import models
from django.db.models import Q

from buddy.models.base import choices_check


class DisabledReason(models.TextChoices):
    GONE = "gone", "The endpoint answered 410 Gone"
    FAILING = "failing", "Every delivery failed for 5 days"
    MANUAL = "manual", "Disabled by a coordinator"


class WebhookEndpointQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def disabled_automatically(self):
        return self.filter(
            active=False, disabled_reason__in=[DisabledReason.GONE, DisabledReason.FAILING]
        )


class WebhookEndpoint(models.Model):
    """A subscriber: deliveries of the chosen event types (all when empty) go to its URL,
    signed with each of its secrets (several during a rotation, newest first)."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(
        default=list, blank=True, help_text="Event types delivered; empty: every type."
    )
    active = models.BooleanField(default=True)
    secrets = models.JSONField(
        default=list, help_text="whsec_<base64> secrets, newest first; never shown again."
    )
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="First failure since the last success."
    )
    disabled_reason = models.CharField(max_length=20, choices=DisabledReason.choices, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = "webhook subscriber"
        constraints = [choices_check("disabled_reason", DisabledReason.choices, blank=True)]

    def __str__(self) -> str:
        return f"Subscriber #{self.pk}"

    @property
    def host(self) -> str:
        """The URL's host (lists show it rather than a path that may hold a token)."""
        try:
            return urlsplit(self.url).hostname or ""
        except ValueError:
            return ""

    @property
    def rotating(self) -> bool:
        """A rotation is under way: deliveries are signed with the old secret too."""
        return len(self.secrets) > 1

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class OutboundStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (every attempt)"


class OutboundDeliveryQuerySet(models.QuerySet):
    def due(self, now):
        return self.filter(status=OutboundStatus.PENDING, due_at__lte=now, endpoint__active=True)

    def failed(self):
        return self.filter(status=OutboundStatus.FAILED)


class OutboundDelivery(models.Model):
    """One event owed to one endpoint. The relay claims it when ``due_at`` has passed,
    sends it and either marks it ``succeeded`` or moves ``due_at`` to the next retry."""

    event = models.ForeignKey(
        "core.OutboxEvent", on_delete=models.CASCADE, related_name="deliveries"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        max_length=20, choices=OutboundStatus.choices, default=OutboundStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OutboundDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outbound delivery"
        verbose_name_plural = "outbound deliveries"
        constraints = [
            choices_check("status", OutboundStatus.choices),
            models.UniqueConstraint(
                fields=["event", "endpoint"],
                name="webhooks_outbound_once",
                violation_error_message="This event is already owed to this subscriber.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(status="pending"),
                name="webhooks_outbound_due",
            ),
            models.Index(fields=["endpoint", "status"], name="webhooks_outbound_endpoint"),
        ]

    def __str__(self) -> str:
        return f"Outbound delivery #{self.pk} ({self.status})"


class OutboundAttempt(models.Model):
    """One attempt of a delivery: when, the HTTP status (none on a timeout or connection
    error), how long it took, and the error (never the response body)."""

    delivery = models.ForeignKey(
        OutboundDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["delivery_id", "at", "id"]
        verbose_name = "outbound attempt"
        indexes = [models.Index(fields=["delivery", "at"], name="webhooks_attempt_delivery")]

    def __str__(self) -> str:
        return f"Attempt {self.status_code or self.error or '-'}"
