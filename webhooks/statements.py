"""The event store's fixed statements (store, lock, mark processed), behind one seam.

``generic``: the ORM (any database). ``postgresql``: each written out once, with table and
column names from the models: on the request path the ORM spends more CPU building these
statements than PostgreSQL spends running them (bench/README.md, webhooks). Both take the
same arguments and leave the same rows; ``webhooks.services`` decides what they mean.
"""

import copy
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

    def lock_and_mark(self, event_pk: int, delivery_pk: int, now: datetime) -> WebhookEvent:
        """The event locked as ``lock`` returns it (its status and attempts as they were),
        and unless it was processed already, it and the delivery marked processed as
        ``mark_processed`` does, with one attempt more, in the same transaction: the
        caller's processing then commits or rolls back with the mark (one round trip less
        than locking and marking apart)."""
        event = self.lock(event_pk)
        if event.status != EventStatus.PROCESSED:
            marked = copy.copy(event)
            marked.attempts += 1
            set_processed(marked, now)
            self.mark_processed(marked, delivery_pk, now)
        return event


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

    def lock_and_mark(self, event_pk: int, delivery_pk: int, now: datetime) -> WebhookEvent:
        """The lock and both marks in one round trip (``_lock_and_mark_sql``)."""
        params = {"processed": EventStatus.PROCESSED.value, "now": now, "event": event_pk}
        params["delivery"] = delivery_pk
        conn = transaction.get_connection()
        with conn.cursor() as cursor:
            cursor.execute(_lock_and_mark_sql(), params)
            row = cursor.fetchone()
        if row is None:
            raise WebhookEvent.DoesNotExist(f"No stored event {event_pk}.")
        return WebhookEvent.from_db(conn.alias, LOCK_FIELDS, row)


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


def set_processed(event: WebhookEvent, now: datetime) -> None:
    """What processing an event successfully sets on it (``_processed_sets``: the same in
    SQL); its attempts are counted by the caller."""
    event.status, event.processed_at, event.last_error = EventStatus.PROCESSED, now, ""


def _processed_sets(attempts: str) -> tuple[str, str]:
    """The SET lists marking an event (attempts from the SQL expression ``attempts``) and
    its delivery processed: ``set_processed`` and ``GenericEventStatements.mark_processed``
    in SQL."""
    e = _names(WebhookEvent, ("status", "processed_at", "last_error", "attempts", "updated_at"))
    d = _names(WebhookDelivery, ("status", "processed_at", "last_attempt_at", "last_error"))
    event_sets = (
        f"{e['status']} = %(processed)s, {e['processed_at']} = %(now)s, {e['last_error']} = '',"
        f" {e['attempts']} = {attempts}, {e['updated_at']} = %(now)s"
    )
    delivery_sets = (
        f"{d['status']} = %(processed)s, {d['processed_at']} = %(now)s,"
        f" {d['last_attempt_at']} = %(now)s, {d['last_error']} = ''"
    )
    return event_sets, delivery_sets


@functools.cache
def _mark_processed_sql() -> str:
    event_sets, delivery_sets = _processed_sets("%(attempts)s")
    e_id, d_id = column(WebhookEvent, "id"), column(WebhookDelivery, "id")
    return f"""
WITH event AS (
    UPDATE {table(WebhookEvent)} SET {event_sets} WHERE {e_id} = %(event)s
)
UPDATE {table(WebhookDelivery)} SET {delivery_sets} WHERE {d_id} = %(delivery)s
"""  # noqa: S608 - model metadata


# The event locked (FOR UPDATE: a concurrent processing of it is waited for, and the row
# read as that one committed it) and returned as it was; unless it was processed, it and
# the delivery marked processed in the same statement. The UPDATE's own scan may find the
# version before a concurrent commit: PostgreSQL then re-checks it against the newest
# version (READ COMMITTED), whose status the join to ``locked`` has already seen.
@functools.cache
def _lock_and_mark_sql() -> str:
    e = _names(WebhookEvent, LOCK_FIELDS)
    event_sets, delivery_sets = _processed_sets(f"locked.{e['attempts']} + 1")
    locked_columns = ", ".join(f"locked.{e[name]}" for name in LOCK_FIELDS)
    e_id, d_id = column(WebhookEvent, "id"), column(WebhookDelivery, "id")
    return f"""
WITH locked AS (
    SELECT {", ".join(e[name] for name in LOCK_FIELDS)} FROM {table(WebhookEvent)}
    WHERE {e_id} = %(event)s FOR UPDATE
), marked AS (
    UPDATE {table(WebhookEvent)} AS target SET {event_sets} FROM locked
    WHERE target.{e_id} = locked.{e_id} AND locked.{e["status"]} <> %(processed)s
    RETURNING target.{e_id}
), marked_delivery AS (
    UPDATE {table(WebhookDelivery)} SET {delivery_sets}
    WHERE {d_id} = %(delivery)s AND EXISTS (SELECT FROM marked)
)
SELECT {locked_columns} FROM locked
"""  # noqa: S608 - model metadata
