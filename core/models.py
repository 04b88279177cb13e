"""The transactional outbox: one row per event this app publishes.

A row is written by ``core.outbox.publish`` in the same transaction as the change it
describes, so an event exists if and only if its change committed. The relay
(``webhooks.relay``) publishes rows after the commit: it gives each one its place in the
pull feed (``sequence``) and fans it out to the subscribers.
"""

import uuid

from django.db import models
from django.db.models import Q


class OutboxEventQuerySet(models.QuerySet):
    def unpublished(self):
        return self.filter(published_at__isnull=True)

    def published(self):
        return self.filter(sequence__isnull=False)


class OutboxEvent(models.Model):
    """An event this app publishes (``match.activated``, ``enrollment.status_changed`` …).

    ``id`` is the envelope id (and the ``webhook-id`` of every delivery, the same on each
    retry). ``data`` is camelCase and names people and matches by id only, never personal
    data. ``sequence`` is the event's position in the pull feed, given at publication by
    one relay at a time, so positions follow the order in which events became visible
    (commit order), never the order of a transaction's start (see ``core.outbox``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=60)
    occurred_at = models.DateTimeField()
    data = models.JSONField()
    correlation_id = models.CharField(max_length=100, blank=True)
    program_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="The program the event belongs to (scoping)."
    )
    sequence = models.BigIntegerField(null=True, blank=True, help_text="Position in the pull feed.")
    published_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxEventQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        verbose_name = "outbox event"
        indexes = [
            models.Index(
                fields=["occurred_at"],
                condition=Q(published_at__isnull=True),
                name="core_outbox_unpublished",
            ),
            # Both over published events only: an event is written without its place in the
            # feed (the relay gives it one), so a full index took an entry for its NULL on
            # every insert, 36,658 of them in a program's first recompute (bench/README.md).
            # The feed's reads (``sequence > n``, ``max(sequence)``) imply NOT NULL.
            models.Index(
                fields=["program_id", "sequence"],
                condition=Q(sequence__isnull=False),
                name="core_outbox_program_feed",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["sequence"],
                condition=Q(sequence__isnull=False),
                name="core_outbox_sequence_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"

    def envelope(self) -> dict:
        """The versioned envelope every consumer receives (webhook body, feed item)."""
        return {
            "id": str(self.id),
            "type": self.type,
            "version": 1,
            "timestamp": self.occurred_at.isoformat().replace("+00:00", "Z"),
            "correlationId": self.correlation_id or None,
            "data": self.data,
        }
