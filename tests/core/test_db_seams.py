"""Each PostgreSQL fast path and its portable ORM path behave the same: every behaviour
test of a concern runs over both implementations of its seam (``core.db.Seam``)."""

import pytest
from django.db import transaction

from tests.factories import MatchFactory
from tests.seams import implementations
from tests.webhooks.conftest import MATCH_ID, deliver, example
from webhooks.models import (
    DeliveryStatus,
    EventStatus,
    WebhookConflict,
    WebhookDelivery,
    WebhookEvent,
)
from webhooks.statements import event_statements

# --- The webhook event store (store, lock, mark processed) -----------------------------------

event_store = implementations(event_statements)


def test_a_first_delivery_stores_and_processes_the_event(db, client, event_store):
    MatchFactory(external_id=MATCH_ID)
    assert deliver(client, example("buddy.checkin.completed"), delivery_id="d-1").status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts, event.last_error) == (EventStatus.PROCESSED, 1, "")
    assert event.processed_at is not None
    delivery = WebhookDelivery.objects.get()
    assert (delivery.delivery_id, delivery.event_id) == ("d-1", event.pk)
    assert (delivery.status, delivery.retry_count) == (DeliveryStatus.PROCESSED, 0)
    assert delivery.processed_at == delivery.last_attempt_at == event.processed_at


def test_a_retry_of_a_successful_delivery_id_is_counted_and_stores_nothing(db, client, event_store):
    MatchFactory(external_id=MATCH_ID)
    payload = example("buddy.checkin.completed")
    deliver(client, payload, delivery_id="d-1")
    assert deliver(client, payload, delivery_id="d-1").status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.duplicate_count) == (DeliveryStatus.PROCESSED, 1)
    assert WebhookEvent.objects.get().attempts == 1


def test_the_same_event_under_a_new_delivery_id_is_a_duplicate_delivery(db, client, event_store):
    MatchFactory(external_id=MATCH_ID)
    payload = example("buddy.checkin.completed")
    deliver(client, payload, delivery_id="d-1")
    assert deliver(client, payload, delivery_id="d-2").status_code == 202
    assert WebhookEvent.objects.count() == 1
    second = WebhookDelivery.objects.get(delivery_id="d-2")
    assert (second.status, second.duplicate_count) == (DeliveryStatus.DUPLICATE, 1)


def test_the_same_event_id_with_another_payload_is_a_conflict(db, client, event_store):
    MatchFactory(external_id=MATCH_ID)
    payload = example("buddy.checkin.completed")
    deliver(client, payload, delivery_id="d-1")
    changed = example("buddy.checkin.completed", mood="difficult")
    assert deliver(client, changed, delivery_id="d-2").status_code == 409
    assert WebhookConflict.objects.get().delivery_id == "d-2"
    assert list(WebhookDelivery.objects.values_list("delivery_id", flat=True)) == ["d-1"]
    assert WebhookEvent.objects.get().payload == payload


def test_a_deliverys_last_error_is_cleared_when_its_processing_succeeds(db, client, event_store):
    payload = example("buddy.checkin.completed")
    assert deliver(client, payload, delivery_id="d-1").status_code == 500  # match unknown
    failed = WebhookDelivery.objects.get()
    assert failed.status == DeliveryStatus.FAILED and failed.last_error != ""

    MatchFactory(external_id=MATCH_ID)
    assert deliver(client, payload, delivery_id="d-1").status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.PROCESSED, "")
    assert (delivery.retry_count, delivery.last_attempt_at) == (1, delivery.processed_at)
    event = WebhookEvent.objects.get()
    assert (event.status, event.last_error, event.attempts) == (EventStatus.PROCESSED, "", 2)


def test_the_locked_event_carries_what_processing_reads_but_not_the_payload(
    db, client, event_store
):
    deliver(client, example("buddy.checkin.completed"))  # stored, waiting for the match
    stored = WebhookEvent.objects.get()
    with transaction.atomic():
        locked = event_statements.impl.lock(stored.pk)
    assert (locked.pk, locked.event_id, locked.event_type, locked.status, locked.attempts) == (
        stored.pk, stored.event_id, stored.event_type, stored.status, stored.attempts
    )  # fmt: skip
    assert "payload" in locked.get_deferred_fields()


def test_locking_an_unknown_event_raises_does_not_exist(db, event_store):
    with pytest.raises(WebhookEvent.DoesNotExist):
        event_statements.impl.lock(0)
