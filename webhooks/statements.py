"""The event store's fixed statements (store, lock, mark processed), behind one seam.

``generic``: the ORM (any database). ``postgresql``: each written out once, with table and
column names from the models: on the request path the ORM spends more CPU building these
statements than PostgreSQL spends running them (bench/README.md, webhooks). Both take the
same arguments and leave the same rows; ``webhooks.services`` decides what they mean.
"""

import functools
import json
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from core.db import Seam, column, in_model_order, table
from webhooks.models import DeliveryStatus, EventStatus, WebhookDelivery, WebhookEvent

D = DeliveryStatus

#: What processing reads of the event it locks (the payload only to re-parse it).
LOCK_FIELDS = in_model_order(
    WebhookEvent, ("id", "event_id", "event_type", "status", "attempts", "correlation_id")
)
#: The event's columns the store writes, in the statement's order.
_EVENT_COLUMNS = (
    "event_id", "event_type", "version", "user_id", "match_id", "timestamp", "correlation_id",
    "payload", "status", "attempts", "last_error", "drift_warnings", "new_value_warnings",
    "received_at", "updated_at",
)  # fmt: skip
_DELIVERY_COLUMNS = (
    "delivery_id", "event", "status", "retry_count", "duplicate_count", "last_error",
    "received_at",
)  # fmt: skip


@dataclass(frozen=True)
class FirstPass:
    """What the store's first statement(s) found: the delivery id already succeeded
    (``repeat``), or the event's row (``event_pk``; None: the caller decides), whether this
    call created it, whether the stored payload is the same, the new delivery's row."""

    repeat: bool
    event_pk: int | None = None
    created: bool = False
    same_payload: bool = True
    delivery_pk: int | None = None


def mark_repeat(delivery_id: str) -> bool:
    """Count a delivery of an already successful delivery id; True when there was one.
    One fixed statement on every database (it runs for every request)."""
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(_mark_repeat_sql(), [delivery_id, D.PROCESSED.value, D.DUPLICATE.value])
        return cursor.rowcount > 0


@functools.cache
def _mark_repeat_sql() -> str:
    d = _names(WebhookDelivery, ("duplicate_count", "delivery_id", "status"))
    return (
        f"UPDATE {table(WebhookDelivery)}"  # noqa: S608 - model metadata
        f" SET {d['duplicate_count']} = {d['duplicate_count']} + 1"
        f" WHERE {d['delivery_id']} = %s AND {d['status']} IN (%s, %s)"
    )


class GenericEventStatements:
    def store(self, event: WebhookEvent, delivery_id: str, now: datetime) -> FirstPass | None:
        """Only the repeat check: the caller's general path inserts the rows."""
        return FirstPass(repeat=True) if mark_repeat(delivery_id) else None

    def lock(self, event_pk: int) -> WebhookEvent:
        """The event (``LOCK_FIELDS``, not the payload), locked until the transaction ends."""
        return WebhookEvent.objects.select_for_update().only(*LOCK_FIELDS).get(pk=event_pk)

    def mark_processed(self, event: WebhookEvent, delivery_pk: int, now: datetime) -> None:
        """The event (its status, processed_at, last_error and attempts as set) and the
        delivery that processed it marked processed; the delivery's error cleared."""
        event.save(update_fields=["status", "processed_at", "last_error", "attempts", "updated_at"])
        WebhookDelivery.objects.filter(pk=delivery_pk).update(
            status=D.PROCESSED, processed_at=now, last_attempt_at=now, last_error=""
        )


class PostgresEventStatements:
    def store(self, event: WebhookEvent, delivery_id: str, now: datetime) -> FirstPass | None:
        """The repeat check, the event, the delivery in one statement (``_store_sql``)."""
        params = {
            "event_id": event.event_id,
            "event_type": event.event_type,
            "version": event.version,
            "user_id": event.user_id,
            "match_id": event.match_id,
            "timestamp": event.timestamp,
            "correlation_id": event.correlation_id,
            "payload": json.dumps(event.payload),
            "received": EventStatus.RECEIVED.value,
            "processed": D.PROCESSED.value,
            "duplicate": D.DUPLICATE.value,
            "drift": event.drift_warnings,
            "new_values": event.new_value_warnings,
            "delivery_id": delivery_id,
            "now": now,
        }
        with transaction.get_connection().cursor() as cursor:
            cursor.execute(_store_sql(), params)
            repeat, event_pk, created, same_payload, delivery_pk = cursor.fetchone()
        if repeat:
            return FirstPass(repeat=True)
        if event_pk is None:
            return None
        return FirstPass(False, event_pk, created, same_payload, delivery_pk)

    def lock(self, event_pk: int) -> WebhookEvent:
        conn = transaction.get_connection()
        with conn.cursor() as cursor:
            cursor.execute(_lock_sql(), [event_pk])
            row = cursor.fetchone()
        if row is None:
            raise WebhookEvent.DoesNotExist(f"No stored event {event_pk}.")
        return WebhookEvent.from_db(conn.alias, LOCK_FIELDS, row)

    def mark_processed(self, event: WebhookEvent, delivery_pk: int, now: datetime) -> None:
        """Both rows in one round trip (``_mark_processed_sql``)."""
        params = {
            "processed": EventStatus.PROCESSED.value,  # the same value in both tables
            "now": now,
            "attempts": event.attempts,
            "event": event.pk,
            "delivery": delivery_pk,
        }
        with transaction.get_connection().cursor() as cursor:
            cursor.execute(_mark_processed_sql(), params)
        event.updated_at = now


event_statements: Seam[GenericEventStatements | PostgresEventStatements] = Seam(
    "webhooks.event_store",
    generic=GenericEventStatements(),
    postgresql=PostgresEventStatements(),
)


def _names(model, fields) -> dict[str, str]:
    return {name: column(model, name) for name in fields}


# Unless the delivery id already succeeded (then only its duplicate count changes): the
# event (unless its id is stored), the delivery (unless its id is stored or the payload
# differs) and what the caller needs to know, in one round trip and one commit. A SELECT in
# the statement cannot see an event another transaction committed while this one waited on
# its key: then no event comes back and the caller takes the general path.
@functools.cache
def _store_sql() -> str:
    e = _names(WebhookEvent, ("id", *_EVENT_COLUMNS))
    d = _names(WebhookDelivery, ("id", *_DELIVERY_COLUMNS))
    event_columns = ", ".join(e[name] for name in _EVENT_COLUMNS)
    delivery_columns = ", ".join(d[name] for name in _DELIVERY_COLUMNS)
    return f"""
WITH repeat AS (
    UPDATE {table(WebhookDelivery)} SET {d["duplicate_count"]} = {d["duplicate_count"]} + 1
    WHERE {d["delivery_id"]} = %(delivery_id)s AND {d["status"]} IN (%(processed)s, %(duplicate)s)
    RETURNING {d["id"]}
), new_event AS (
    INSERT INTO {table(WebhookEvent)} ({event_columns})
    SELECT
        %(event_id)s, %(event_type)s, %(version)s, %(user_id)s, %(match_id)s, %(timestamp)s,
        %(correlation_id)s, %(payload)s::jsonb, %(received)s, 0, '', %(drift)s,
        %(new_values)s, %(now)s, %(now)s
    WHERE NOT EXISTS (SELECT FROM repeat)
    ON CONFLICT ({e["event_id"]}) DO NOTHING
    RETURNING {e["id"]} AS id
), event AS (
    SELECT id, TRUE AS created, TRUE AS same_payload FROM new_event
    UNION ALL
    SELECT {e["id"]}, FALSE, {e["payload"]} = %(payload)s::jsonb FROM {table(WebhookEvent)}
    WHERE {e["event_id"]} = %(event_id)s
      AND NOT EXISTS (SELECT FROM new_event) AND NOT EXISTS (SELECT FROM repeat)
), new_delivery AS (
    INSERT INTO {table(WebhookDelivery)} ({delivery_columns})
    SELECT %(delivery_id)s, id, %(received)s, 0, 0, '', %(now)s FROM event WHERE same_payload
    ON CONFLICT ({d["delivery_id"]}) DO NOTHING
    RETURNING {d["id"]} AS id
)
SELECT EXISTS (SELECT FROM repeat), event.id, event.created, event.same_payload,
    (SELECT id FROM new_delivery)
FROM (VALUES (1)) AS one LEFT JOIN event ON TRUE
"""  # noqa: S608 - model metadata


@functools.cache
def _lock_sql() -> str:
    e = _names(WebhookEvent, LOCK_FIELDS)
    return (
        f"SELECT {', '.join(e[name] for name in LOCK_FIELDS)} FROM {table(WebhookEvent)}"  # noqa: S608 - model metadata
        f" WHERE {e['id']} = %s FOR UPDATE"
    )


@functools.cache
def _mark_processed_sql() -> str:
    e = _names(WebhookEvent, ("id", "status", "processed_at", "last_error", "attempts"))
    e["updated_at"] = column(WebhookEvent, "updated_at")
    d = _names(WebhookDelivery, ("id", "status", "processed_at", "last_attempt_at", "last_error"))
    return f"""
WITH event AS (
    UPDATE {table(WebhookEvent)}
    SET {e["status"]} = %(processed)s, {e["processed_at"]} = %(now)s, {e["last_error"]} = '',
        {e["attempts"]} = %(attempts)s, {e["updated_at"]} = %(now)s
    WHERE {e["id"]} = %(event)s
)
UPDATE {table(WebhookDelivery)}
SET {d["status"]} = %(processed)s, {d["processed_at"]} = %(now)s,
    {d["last_attempt_at"]} = %(now)s, {d["last_error"]} = ''
WHERE {d["id"]} = %(delivery)s
"""  # noqa: S608 - model metadata
