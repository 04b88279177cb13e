"""Reads of the outbox: the pull feed."""

from django.db.models import QuerySet

from core.models import OutboxEvent


def events_feed(
    *,
    after: int = 0,
    limit: int = 100,
    types: list[str] | None = None,
    program_ids: frozenset[int] | None = None,
) -> QuerySet:
    """Published events after the cursor, in feed order (the order they became visible,
    ``core.outbox``): a consumer that resumes after the last sequence it saw never misses
    an event and never sees one twice. ``program_ids``: only these programs' events (None:
    every event, also those of no program)."""
    queryset = OutboxEvent.objects.published().filter(sequence__gt=after).order_by("sequence")
    if program_ids is not None:
        queryset = queryset.filter(program_id__in=program_ids)
    if types:
        queryset = queryset.filter(type__in=types)
    return queryset[: max(1, limit)]
