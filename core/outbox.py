"""Publish an event: one outbox row in the caller's transaction, the relay woken on commit;
feed sequence numbers given at publication, one publisher at a time, so a reader never
skips an event. Why: docs/architecture.md, "Publishing an event".
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from core.broker import task_send
from core.db import Seam, column, table
from core.models import OutboxEvent

#: Every event type this app publishes (documented in docs/events.md and the OpenAPI schema).
MATCH_PROPOSED = "match.proposed"
MATCH_ACCEPTED = "match.accepted"
MATCH_ACTIVATED = "match.activated"
MATCH_PAUSED = "match.paused"
MATCH_ENDED = "match.ended"
MATCH_DECLINED = "match.declined"
ENROLLMENT_STATUS_CHANGED = "enrollment.status_changed"
#: A person's personal data was erased here (``privacy.services.person_erase``): erase yours.
PERSON_ERASED = "person.erased"
CONCERN_OPENED = "concern.opened"
CONCERN_RESOLVED = "concern.resolved"
EVENT_TYPES = (
    MATCH_PROPOSED,
    MATCH_ACCEPTED,
    MATCH_ACTIVATED,
    MATCH_PAUSED,
    MATCH_ENDED,
    MATCH_DECLINED,
    ENROLLMENT_STATUS_CHANGED,
    PERSON_ERASED,
    CONCERN_OPENED,
    CONCERN_RESOLVED,
)

#: First key of the publisher's advisory lock: "outb".
_LOCK_CLASS = 0x6F757462


class Event(NamedTuple):
    type: str
    data: dict
    program_id: int | None
    correlation_id: str | None = None


class GenericPublisherLock:
    """Nothing to take: SQLite serialises writers (one transaction writes at a time); the
    numbers stored by the ORM."""

    def take(self) -> None:
        return

    def insert(self, events: list[OutboxEvent]) -> None:
        """Write new events (the ORM's ``bulk_create``)."""
        OutboxEvent.objects.bulk_create(events)

    def number(self, events: list[OutboxEvent]) -> None:
        """Store the events' ``sequence`` and ``published_at`` (the ORM's ``bulk_update``)."""
        OutboxEvent.objects.bulk_update(events, ["sequence", "published_at"])


#: From how many events at once ``PostgresPublisherLock.insert`` COPYs them (an import's
#: batch; the statement counts of the tests, which do not see a COPY, stay those of the
#: INSERT below that).
COPY_FROM_EVENTS = 1000


class PostgresPublisherLock(GenericPublisherLock):
    """A transaction-scoped advisory lock: one publisher at a time, released at commit; the
    numbers stored in one statement."""

    def take(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [_LOCK_CLASS])

    def insert(self, events: list[OutboxEvent]) -> None:
        """COPY from ``COPY_FROM_EVENTS`` events on (``bulk_create`` prepares every field
        of every row in Python: 0.6 s of CPU for each thousand events a large import
        publishes); fewer, as one INSERT (the webhook path's one or two: one round trip
        either way, and the INSERT is the statement the query counts see). The events are
        then saved rows, as ``bulk_create`` leaves them."""
        if len(events) < COPY_FROM_EVENTS:
            super().insert(events)
            return
        from psycopg.types.json import Jsonb  # this implementation runs only on PostgreSQL

        fields = ("id", "type", "occurred_at", "data", "correlation_id", "program_id")
        names = ", ".join(column(OutboxEvent, f) for f in fields)
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table(OutboxEvent)} ({names}) FROM STDIN") as copy,
        ):
            for e in events:
                copy.write_row(
                    (e.id, e.type, e.occurred_at, Jsonb(e.data), e.correlation_id, e.program_id)
                )
        for e in events:
            e._state.adding, e._state.db = False, connection.alias

    def number(self, events: list[OutboxEvent]) -> None:
        """One ``UPDATE … FROM UNNEST`` (``bulk_update`` builds a CASE per row and field:
        0.7 s of CPU for each thousand events a large import publishes)."""
        names = {f: column(OutboxEvent, f) for f in ("id", "sequence", "published_at")}
        # Only the model's quoted table and column names go into the text.
        sql = (
            f"UPDATE {table(OutboxEvent)} t SET {names['sequence']} = v.s, "  # noqa: S608
            f"{names['published_at']} = v.p "
            "FROM UNNEST(%s::uuid[], %s::bigint[], %s::timestamptz[]) AS v(i, s, p) "
            f"WHERE t.{names['id']} = v.i"
        )
        # Array literals built here in one pass (psycopg adapts a list element by element).
        params = [
            "{" + ",".join(str(e.pk) for e in events) + "}",
            "{" + ",".join(str(e.sequence) for e in events) + "}",
            "{" + ",".join(f'"{e.published_at.isoformat()}"' for e in events) + "}",
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


#: The lock ``events_publish_pending`` holds while it numbers events.
publisher_lock: Seam[GenericPublisherLock | PostgresPublisherLock] = Seam(
    "core.outbox_publisher", generic=GenericPublisherLock(), postgresql=PostgresPublisherLock()
)


#: The correlationId of the events published in the current context (``correlation``).
_correlation: ContextVar[str | None] = ContextVar("outbox_correlation", default=None)


@contextmanager
def correlation(correlation_id) -> Iterator[None]:
    """Events published inside this block without an explicit ``correlation_id`` carry this
    one: what caused them (an inbound Buddy System event's correlationId, set by the webhook
    processing; an import run). None or "": none (also inside an outer block)."""
    token = _correlation.set(str(correlation_id)[:100] if correlation_id else None)
    try:
        yield
    finally:
        _correlation.reset(token)


def current_correlation() -> str | None:
    """The correlationId ``correlation`` set for this context, or None."""
    return _correlation.get()


def publish(
    *, type: str, data: dict, program_id: int | None, correlation_id: str | None = None
) -> OutboxEvent:
    """Write the event in the caller's transaction (one INSERT, no savepoint) and have the
    relay run once it commits. Nothing is published if the transaction rolls back.
    ``correlation_id``: by default the one of the current ``correlation`` block."""
    return publish_many([Event(type, data, program_id, correlation_id)])[0]


def publish_many(events: Iterable[Event], *, at: datetime | None = None) -> list[OutboxEvent]:
    """The bulk form of ``publish``: one INSERT for all the events."""
    at = at or timezone.now()
    current = _correlation.get()
    rows = []
    for event in events:
        if event.type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event.type}")
        rows.append(
            OutboxEvent(
                type=event.type,
                occurred_at=at,
                data=event.data,
                program_id=event.program_id,
                correlation_id=(event.correlation_id or current or "")[:100],
            )
        )
    if not rows:
        return []
    publisher_lock.impl.insert(rows)
    wake_relay_on_commit()
    return rows


def wake_relay_on_commit() -> None:
    """Run the relay after this transaction commits (once per transaction)."""
    conn = transaction.get_connection()
    if conn.in_atomic_block and any(entry[1] is _wake_relay for entry in conn.run_on_commit):
        return
    transaction.on_commit(_wake_relay, robust=True)


#: The relay belongs to the integration app (webhooks, above this one): asked by its name.
RELAY_TASK = "webhooks.tasks.relay_events"


def _wake_relay() -> None:
    task_send(RELAY_TASK, recovery="relay-events")


def events_publish_pending(*, batch: int = 1000) -> list[OutboxEvent]:
    """Number the committed, unpublished events (oldest first) with the next feed positions
    and mark them published; return them. Run inside the caller's transaction, which must
    commit before the feed shows them (see the module docstring for why one at a time)."""
    publisher_lock.impl.take()
    events = list(OutboxEvent.objects.unpublished().order_by("occurred_at", "id")[:batch])
    if not events:
        return []
    last = OutboxEvent.objects.aggregate(last=Max("sequence"))["last"] or 0
    now = timezone.now()
    for offset, event in enumerate(events, start=1):
        event.sequence, event.published_at = last + offset, now
    publisher_lock.impl.number(events)
    return events
