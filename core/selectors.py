"""Reads of the outbox: the pull feed."""

from django.db.models import QuerySet

from core.models import OutboxEvent

FEED_MAX = 500


def events_feed(*, after: int = 0, limit: int = 100, types: list[str] | None = None) -> QuerySet:
    """Published events after the cursor, in feed order (the order they became visible,
    ``core.outbox``): a consumer that resumes after the last sequence it saw never misses
    an event and never sees one twice."""
    queryset = OutboxEvent.objects.published().filter(sequence__gt=after).order_by("sequence")
    if types:
        queryset = queryset.filter(type__in=types)
    return queryset[: max(1, min(limit, FEED_MAX))]
