"""Event store and delivery records of inbound webhooks.

``WebhookEvent`` is one Buddy System event (unique by its event id) with its full
payload as received; ``WebhookDelivery`` is one delivery id the sender used for it
(retries reuse the delivery id); ``EventReference`` lists the users and matches an
event still waits for (a strong reference that blocked processing) or named without
them being known (weak references, flagged by the services); ``WebhookConflict``
records an event id that arrived again with a different payload.
"""

from django.db import models
from django.db.models import Q

from buddy.models.base import choices_check


class EventStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    WAITING = "waiting", "Waiting for a user or match"
    FAILED = "failed", "Failed"


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    DUPLICATE = "duplicate", "Duplicate (event already processed)"
    FAILED = "failed", "Failed"
    DEAD_LETTERED = "dead_lettered", "Dead-lettered"


class WebhookEventQuerySet(models.QuerySet):
    def failed(self):
        """Failed or waiting (``WebhookEvent.unresolved``, a partial index)."""
        return self.filter(self._failed())

    def dead_lettered(self):
        """Events with a dead-lettered delivery (whatever their own status now)."""
        return self.filter(self._dead_lettered())

    def needs_review(self):
        """What a coordinator has to look at: failed or waiting, or dead-lettered."""
        return self.filter(self._failed() | self._dead_lettered())

    @staticmethod
    def _failed():
        return Q(unresolved=True)

    @staticmethod
    def _dead_lettered():
        return models.Exists(
            WebhookDelivery.objects.dead_lettered().filter(event=models.OuterRef("pk"))
        )


#: What an event's review needs (failed or waiting): the one statement of it, a column
#: PostgreSQL computes from ``status`` (``WebhookEvent.unresolved``).
UNRESOLVED = Q(status__in=[EventStatus.FAILED, EventStatus.WAITING])


class WebhookEvent(models.Model):
    """One Buddy System event, stored as received before it is processed.

    The payload is the parsed JSON body (it holds personal data: shown in admin only).
    """

    event_id = models.UUIDField(unique=True, help_text="The envelope's id.")
    event_type = models.CharField(max_length=60)
    version = models.CharField(max_length=10, default="v1")
    user_id = models.CharField(
        max_length=64, blank=True, help_text="The primary Buddy System user id."
    )
    match_id = models.UUIDField(null=True, blank=True, db_index=True)
    timestamp = models.DateTimeField(help_text="When the event happened (envelope timestamp).")
    correlation_id = models.UUIDField(null=True, blank=True, db_index=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=20, choices=EventStatus.choices, default=EventStatus.RECEIVED
    )
    attempts = models.PositiveIntegerField(
        default=0, help_text="Processing attempts (deliveries, automatic re-runs, replays)."
    )
    last_error = models.CharField(max_length=300, blank=True)
    drift_warnings = models.PositiveSmallIntegerField(
        default=0, help_text="Enum values stored as 'other' (enum drift)."
    )
    new_value_warnings = models.PositiveSmallIntegerField(
        default=0, help_text="Open values seen for the first time (new informal event types)."
    )
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    #: Failed or waiting, computed by the database from ``status``: indexed instead of
    #: ``status`` (below), it stays False from received to processed.
    unresolved = models.GeneratedField(
        expression=UNRESOLVED, output_field=models.BooleanField(), db_persist=True
    )

    objects = WebhookEventQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "webhook event"
        constraints = [
            choices_check("status", EventStatus.choices),
            models.CheckConstraint(
                condition=~Q(status=EventStatus.PROCESSED) | Q(processed_at__isnull=False),
                name="webhooks_event_processed_has_time",
                violation_error_message="A processed event needs its processing time.",
            ),
        ]
        # No index holds a column the update to processed changes (status, processed_at,
        # last_error, attempts, updated_at), so that update is a HOT update: no index
        # written, the new row version on the same page (fillfactor 80, migration 0004).
        # So only the indexes a query needs: the lists newest first (received_at), the
        # review's failed and waiting events (a partial index on ``unresolved``, which is
        # False from received to processed), the ids a person's export and the admin look
        # up (user_id as a plain index: db_index on a CharField adds a second, LIKE-only
        # one on PostgreSQL); none on the 8-valued event_type (issue 23).
        indexes = [
            models.Index(fields=["received_at", "id"], name="webhooks_event_received"),
            models.Index(
                fields=["received_at", "id"],
                condition=Q(unresolved=True),
                name="webhooks_event_unresolved",
            ),
            models.Index(fields=["user_id"], name="webhooks_event_user"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class WebhookDeliveryQuerySet(models.QuerySet):
    def dead_lettered(self):
        """Dead-lettered (``WebhookDelivery.dead_lettered``, a partial index)."""
        return self.filter(dead_lettered=True)


class WebhookDelivery(models.Model):
    """One delivery id of the sender; its retries reuse it and count here."""

    # unique by a constraint, not unique=True: that adds a LIKE-only second index on
    # PostgreSQL, written for every delivery and used by no query (issue 23)
    delivery_id = models.CharField(max_length=200)
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    retry_count = models.PositiveIntegerField(default=0, help_text="Failed attempts.")
    duplicate_count = models.PositiveIntegerField(
        default=0, help_text="Attempts answered 202 because the event was already processed."
    )
    last_error = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    dead_lettered_at = models.DateTimeField(null=True, blank=True)
    #: Computed by the database from ``status`` and indexed instead of it (see the event's
    #: indexes): False from received to processed, so that update is a HOT update.
    dead_lettered = models.GeneratedField(
        expression=Q(status=DeliveryStatus.DEAD_LETTERED),
        output_field=models.BooleanField(),
        db_persist=True,
    )

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        constraints = [
            choices_check("status", DeliveryStatus.choices),
            models.UniqueConstraint(fields=["delivery_id"], name="webhooks_delivery_id_unique"),
        ]
        indexes = [
            models.Index(
                fields=["received_at", "id"],
                condition=Q(dead_lettered=True),
                name="webhooks_delivery_dead",
            ),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.delivery_id} ({self.status})"


class EventReference(models.Model):
    """A user or match an event named that was not known when it was processed.

    ``blocking``: processing failed for lack of it (the event waits); otherwise a
    weak reference the services kept and flagged. Either way, the event is re-run
    when that user or match arrives.
    """

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="references")
    kind = models.CharField(max_length=10, help_text="user, match or any (weak).")
    external_id = models.CharField(max_length=64, db_index=True)
    blocking = models.BooleanField(default=True)

    class Meta:
        ordering = ["event", "id"]
        verbose_name = "awaited reference"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "external_id"],
                name="webhooks_reference_once_per_event",
                violation_error_message="This reference is already recorded for the event.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id}"


class WebhookConflict(models.Model):
    """An event id that arrived again with a different payload; for a coordinator to review.

    The stored event is never changed by it.
    """

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="conflicts")
    delivery_id = models.CharField(max_length=200)
    payload = models.JSONField(help_text="The differing payload as received.")
    received_at = models.DateTimeField(auto_now_add=True)
    reviewed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "webhook conflict"

    def __str__(self) -> str:
        return f"Conflict on {self.event.event_id}"


# Subscribers and outbound deliveries (the events this app publishes).
from webhooks.outbound_models import (  # noqa: E402
    DisabledReason,
    OutboundAttempt,
    OutboundDelivery,
    OutboundStatus,
    WebhookEndpoint,
)

__all__ = [
    "DeliveryStatus",
    "DisabledReason",
    "EventReference",
    "EventStatus",
    "OutboundAttempt",
    "OutboundDelivery",
    "OutboundStatus",
    "WebhookConflict",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
