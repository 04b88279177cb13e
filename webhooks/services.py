"""Every state change of the webhooks app: store, process, park, replay. Storing and
processing are separate transactions; an event's processing holds its row's lock. Why,
and the PostgreSQL fast path: docs/architecture.md, "Storing and processing an inbound
event".
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from buddy.models import ExternalId, Match
from buddy.schemas import Schema
from buddy.services.common import provider
from core import outbox
from core.broker import task_send
from core.errors import DomainError, UnknownReference
from core.queries import insert_or_nothing
from webhooks import metrics, statements
from webhooks.models import (
    DeliveryStatus,
    EventReference,
    EventStatus,
    WebhookConflict,
    WebhookDelivery,
    WebhookEvent,
)
from webhooks.processors import PROCESSORS, weak_unknown_ids
from webhooks.statements import FirstPass, event_statements
from webhooks.validation import ValidEvent, parse_data

logger = logging.getLogger("webhooks")

D = DeliveryStatus


class ProcessingOutcome(StrEnum):
    """What processing one stored webhook event came to (``Processed``)."""

    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    WAITING = "waiting"  # failed: a referenced user or match does not exist yet
    FAILED = "failed"
    SKIPPED = "skipped"  # a re-run found nothing left to do


@dataclass
class Stored:
    event: WebhookEvent | None
    delivery: WebhookDelivery | None
    created: bool
    conflict: bool = False
    repeat: bool = False  # the delivery id already succeeded: nothing stored, 202


@dataclass
class Processed:
    outcome: ProcessingOutcome
    event: WebhookEvent
    error: str = ""
    dead_lettered: bool = False
    seconds: float = 0.0


# --- Receiving ------------------------------------------------------------------------------


def delivery_mark_repeat(*, delivery_id: str) -> bool:
    """True (and counted as a duplicate) when this delivery id already succeeded.

    Runs for every request: one fixed statement, without building an ORM query each time.
    """
    return statements.mark_repeat(delivery_id)


def event_store(*, valid: ValidEvent, delivery_id: str) -> Stored:
    """Commit the raw event (once per event id) and the delivery record before processing,
    unless the delivery id already succeeded (``repeat``: counted, nothing stored).

    One transaction: on PostgreSQL one statement (``event_statements``), elsewhere
    the repeat check, then ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` for the event,
    then for the delivery (a retry finds the existing row instead). The same event id with
    a different payload (compared as parsed JSON) is recorded as a conflict and changes
    nothing else.
    """
    envelope = valid.envelope
    event = WebhookEvent(
        event_id=envelope.id,
        event_type=envelope.type,
        version=envelope.version,
        user_id=valid.user_id,
        match_id=valid.match_id,
        timestamp=envelope.timestamp,
        correlation_id=envelope.correlation_id,
        payload=valid.payload,
        drift_warnings=valid.drift_warnings,
        new_value_warnings=valid.new_value_warnings,
    )
    now = timezone.now()
    first = event_statements.impl.store(event, delivery_id, now)
    stored = _stored_after(first, event, delivery_id, now) if first is not None else None
    if stored is None:
        with transaction.atomic():
            created = insert_or_nothing(event, conflict_field="event_id")
            if not created:
                event = WebhookEvent.objects.get(event_id=envelope.id)
            stored = Stored(event, None, created, conflict=event.payload != valid.payload)
            if stored.conflict:
                _conflict_record(event, delivery_id, valid.payload)
            else:
                stored.delivery = _delivery_for(event, delivery_id)
    if stored.created and valid.drift_warnings:
        metrics.ENUM_DRIFT.inc(valid.drift_warnings)
    return stored


def _stored_after(first: FirstPass, event: WebhookEvent, delivery_id: str, now) -> Stored | None:
    """What the store's first pass settled; None when the general path must decide (the
    event is not stored by it: the generic pass, or an insert concurrent with this one)."""
    if first.repeat:
        return Stored(None, None, created=False, repeat=True)
    if first.event_pk is None:
        return None
    event.pk, event.received_at, event.updated_at = first.event_pk, now, now
    event._state.adding = False
    if not first.same_payload:
        stored = WebhookEvent.objects.get(pk=first.event_pk)
        _conflict_record(stored, delivery_id, event.payload)
        return Stored(stored, None, created=False, conflict=True)
    if first.delivery_pk is None:  # a retry of a stored delivery (or a reused delivery id)
        return Stored(event, _delivery_for(event, delivery_id), first.created)
    delivery = WebhookDelivery(pk=first.delivery_pk, delivery_id=delivery_id, event=event)
    delivery._state.adding = False
    return Stored(event, delivery, first.created)


def _conflict_record(event: WebhookEvent, delivery_id: str, payload: dict) -> None:
    WebhookConflict.objects.create(event=event, delivery_id=delivery_id, payload=payload)
    metrics.CONFLICTS.inc()


def _delivery_for(event: WebhookEvent, delivery_id: str) -> WebhookDelivery | None:
    delivery = WebhookDelivery(delivery_id=delivery_id, event=event)
    if insert_or_nothing(delivery, conflict_field="delivery_id"):
        return delivery
    delivery = WebhookDelivery.objects.get(delivery_id=delivery_id)
    if delivery.event_id != event.pk:
        # The sender reused a delivery id for another event: process the event, but keep
        # the first event's delivery record untouched.
        logger.warning(
            "webhook.delivery_id_reused",
            extra={"delivery_id": delivery_id, "event_id": str(event.event_id)},
        )
        return None
    return delivery


# --- Processing -----------------------------------------------------------------------------


def event_process(
    *, event: WebhookEvent, delivery: WebhookDelivery | None = None, record: Schema | None = None
) -> Processed:
    """Process a stored event for a delivery; a processed event is a duplicate (no change).

    ``record``: the event's ``data`` as the receiver just validated it (from this very
    payload), so it is not parsed a second time; without it the stored payload is parsed.
    """
    return _run(
        event_pk=event.pk,
        delivery_pk=delivery.pk if delivery else None,
        rerun=False,
        record=record,
    )


def event_replay(*, event: WebhookEvent) -> Processed:
    """Re-process any stored event from its stored payload. Idempotent: the processors
    upsert by the contract's keys, so replaying a processed event changes nothing."""
    return _run(event_pk=event.pk, delivery_pk=None, rerun=True)


def events_rerun_for(*, external_ids) -> list[Processed]:
    """Re-run the events that wait for (or flagged) these users or matches, oldest first."""
    ids = sorted({str(i) for i in external_ids})
    if not ids:
        return []
    pks = list(
        WebhookEvent.objects.filter(references__external_id__in=ids)
        .order_by("timestamp", "pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    return [_run(event_pk=pk, delivery_pk=None, rerun=True, only_for=ids) for pk in pks]


def _run(
    *,
    event_pk: int,
    delivery_pk: int | None,
    rerun: bool,
    only_for: list[str] | None = None,
    record: Schema | None = None,
) -> Processed:
    """Process the event in one transaction under its row lock. A failure rolls that
    transaction back whole and is recorded in a second one, under the lock again (no
    savepoint: two round trips less on every success, the common case)."""
    started = time.perf_counter()
    eager = delivery_pk is not None and record is not None and not rerun and only_for is None
    processing = False
    committed: list[bool] = []
    try:
        with transaction.atomic():
            # Runs first among the after-commit hooks: an error raised by a later hook (a
            # task publish) comes out of this block after the commit and must not be
            # taken for a processing failure.
            transaction.on_commit(lambda: committed.append(True))
            # A delivery's first processing marks the event and the delivery processed as it
            # locks the event (one round trip): a failure below rolls the mark back with the
            # rest. Re-runs and replays lock, then mark; the payload is read only when it has
            # to be parsed.
            marked_at = timezone.now() if eager else None
            event = _event_locked(
                event_pk,
                with_payload=record is None,
                mark=(delivery_pk, marked_at) if eager else None,
            )
            if only_for is not None and not _awaits(event, only_for):
                return Processed(ProcessingOutcome.SKIPPED, event)
            if event.status == EventStatus.PROCESSED and not rerun:
                return _duplicate(event, delivery_pk)
            had_references = event.status != EventStatus.RECEIVED
            event.attempts += 1
            processing = True  # from here on, a failure is the event's
            if record is None:
                record = parse_data(event.event_type, event.payload.get("data"))
            # what the processor publishes carries the inbound event's correlationId
            with outbox.correlation(event.correlation_id):
                result = PROCESSORS[event.event_type](record)
            _success(event, delivery_pk, weak_unknown_ids(result), had_references, marked_at)
        delivery, outcome, reason = None, ProcessingOutcome.PROCESSED, ""
    except Exception as exc:  # every failure keeps the event for a retry
        if not processing:
            raise
        if committed:  # processed and durable; only an after-commit hook failed
            logger.warning(
                "webhook.after_commit_failed",
                extra={"event_id": str(event.event_id), "error": failure_reason(exc)},
            )
            delivery, outcome, reason = None, ProcessingOutcome.PROCESSED, ""
        else:
            with transaction.atomic():
                event = _event_locked(event_pk, with_payload=False)
                if event.status == EventStatus.PROCESSED and not rerun:
                    # a concurrent delivery processed it while this one rolled back
                    return _duplicate(event, delivery_pk)
                had_references = event.status != EventStatus.RECEIVED
                event.attempts += 1
                delivery = _locked(delivery_pk)
                outcome, reason = _failure(event, delivery, exc, had_references)
    seconds = time.perf_counter() - started
    metrics.PROCESSING_SECONDS.labels(event.event_type).observe(seconds)
    dead = delivery is not None and delivery.status == D.DEAD_LETTERED
    if outcome is ProcessingOutcome.PROCESSED:
        metrics.PROCESSED.labels(event.event_type).inc()
    else:
        metrics.FAILURES.labels(event.event_type, outcome.value).inc()
        if dead and delivery.retry_count == settings.BUDDY_WEBHOOK_MAX_ATTEMPTS:
            metrics.DEAD_LETTERS.inc()
    return Processed(outcome, event, error=reason, dead_lettered=dead, seconds=seconds)


def _awaits(event: WebhookEvent, external_ids: list[str]) -> bool:
    return event.references.filter(external_id__in=external_ids).exists()


def _duplicate(event: WebhookEvent, delivery_pk: int | None) -> Processed:
    if delivery_pk is not None:
        _delivery_duplicate(delivery_pk)
    metrics.DUPLICATES.inc()
    return Processed(ProcessingOutcome.DUPLICATE, event)


def _event_locked(
    event_pk: int, *, with_payload: bool, mark: tuple[int, datetime] | None = None
) -> WebhookEvent:
    """The event, locked for the processing transaction (without the payload unless it
    must be parsed: ``event_statements``' fixed statements), as it was. ``mark``: (the
    delivery's pk, now): unless the event was processed, it and that delivery are marked
    processed by the same statement (``lock_and_mark``)."""
    if mark is not None:
        return event_statements.impl.lock_and_mark(event_pk, *mark)
    if with_payload:
        return WebhookEvent.objects.select_for_update().get(pk=event_pk)
    return event_statements.impl.lock(event_pk)


def _locked(delivery_pk: int | None) -> WebhookDelivery | None:
    if delivery_pk is None:
        return None
    return WebhookDelivery.objects.select_for_update().get(pk=delivery_pk)


def _success(event, delivery_pk, weak_ids: list[str], had_references: bool, marked_at) -> None:
    """``marked_at``: when the lock marked the event and its delivery processed (None: mark
    them here)."""
    now = marked_at or timezone.now()
    statements.set_processed(event, now)
    if marked_at is not None:
        event.updated_at = now
    elif delivery_pk is not None:
        event_statements.impl.mark_processed(event, delivery_pk, now)
    else:
        event.save(update_fields=["status", "processed_at", "last_error", "attempts", "updated_at"])
    _references_replace(event, [("any", i, False) for i in weak_ids], had_references)
    # Success clears the event's failed and dead-lettered deliveries: the sender's later
    # retries of them are answered 202.
    if had_references:
        failed = event.deliveries.filter(status__in=[D.FAILED, D.DEAD_LETTERED])
        if delivery_pk is not None:
            failed = failed.exclude(pk=delivery_pk)
        failed.update(status=D.PROCESSED, processed_at=now)


def _failure(
    event, delivery, exc: Exception, had_references: bool
) -> tuple[ProcessingOutcome, str]:
    reason = failure_reason(exc)
    now = timezone.now()
    if isinstance(exc, UnknownReference):
        outcome = ProcessingOutcome.WAITING
        event.status = EventStatus.WAITING
        references = [(exc.kind, exc.external_id, True)]
    else:
        outcome = ProcessingOutcome.FAILED
        event.status = EventStatus.FAILED
        references = []
    event.last_error = reason
    event.save(update_fields=["status", "last_error", "attempts", "updated_at"])
    _references_replace(event, references, had_references)
    if delivery is not None:
        delivery.retry_count += 1
        delivery.last_error, delivery.last_attempt_at = reason, now
        if delivery.retry_count >= settings.BUDDY_WEBHOOK_MAX_ATTEMPTS:
            if delivery.status != D.DEAD_LETTERED:
                delivery.dead_lettered_at = now
            delivery.status = D.DEAD_LETTERED
        else:
            delivery.status = D.FAILED
        delivery.save(
            update_fields=[
                "status",
                "retry_count",
                "last_error",
                "last_attempt_at",
                "dead_lettered_at",
            ]
        )
    return outcome, reason


def failure_reason(exc: Exception) -> str:
    """A short reason without personal data: domain messages never carry any; other
    exceptions (database errors may quote values) are named by their class only."""
    if isinstance(exc, DomainError):
        return f"{exc.code}: {exc.message}"[:300]
    return f"{exc.__class__.__module__}.{exc.__class__.__name__}"[:300]


def _delivery_duplicate(delivery_pk: int) -> None:
    """Count a 202 on the delivery; a delivery that never processed it is a duplicate."""
    WebhookDelivery.objects.filter(pk=delivery_pk).update(
        status=Case(When(status=D.RECEIVED, then=Value(D.DUPLICATE)), default=F("status")),
        duplicate_count=F("duplicate_count") + 1,
    )


def _references_replace(event, references, had_references: bool) -> None:
    """Record what the event still waits for; re-check once committed, in case the
    user or match arrived while this transaction ran (its request found nothing parked)."""
    if had_references:
        EventReference.objects.filter(event=event).delete()
    if not references:
        return
    EventReference.objects.bulk_create(
        [
            EventReference(event=event, kind=kind, external_id=str(ref), blocking=blocking)
            for kind, ref, blocking in references
        ],
        ignore_conflicts=True,
    )
    blocking = [(kind, str(ref)) for kind, ref, is_blocking in references if is_blocking]
    if blocking:
        transaction.on_commit(lambda: _rerun_if_arrived(blocking))


def reference_exists(kind: str, external_id: str) -> bool:
    """Whether a Buddy System user or match id now names a known row."""
    if kind == "user":
        return ExternalId.objects.filter(provider=provider(), external_id=external_id).exists()
    if kind == "match" and _is_uuid(external_id):
        return Match.objects.filter(external_id=external_id).exists()
    return False


def _rerun_if_arrived(blocking: list[tuple[str, str]]) -> None:
    """The parked side of the hand-off (the arrival side is ``buddy.services.arrivals``):
    a reference that committed before this event's parking did could not find the event;
    whichever of the two commits last sees the other."""
    arrived = [(kind, ref) for kind, ref in blocking if reference_exists(kind, ref)]
    if arrived:
        from webhooks.tasks import reprocess_waiting

        task_send(
            reprocess_waiting,
            kwargs={
                "person_ids": [ref for kind, ref in arrived if kind == "user"],
                "match_ids": [ref for kind, ref in arrived if kind == "match"],
            },
            recovery="sender retry or replay_events",
        )


def _is_uuid(value: str) -> bool:
    from uuid import UUID

    try:
        UUID(value)
    except ValueError:
        return False
    return True


def conflicts_mark_reviewed(*, conflicts) -> int:
    """A coordinator looked at these conflicts (the stored events stay as they are)."""
    return conflicts.filter(reviewed=False).update(reviewed=True)
