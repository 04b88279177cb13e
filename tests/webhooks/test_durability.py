"""The event and its delivery are committed before processing; a failed attempt rolls back
the domain writes, keeps the event with its error and counts the attempt; the third failed
attempt dead-letters the delivery; a later success clears it."""

from django.db import DatabaseError
from django.utils import timezone

from buddy.models import CheckIn, Feedback
from buddy.services import activities
from tests.factories import MatchFactory
from tests.webhooks.conftest import MATCH_ID, deliver, example
from webhooks import services
from webhooks.models import DeliveryStatus, EventStatus, WebhookDelivery, WebhookEvent
from webhooks.selectors import deliveries_dead_lettered


def test_failure_rolls_back_domain_writes_and_keeps_the_event(db, client, monkeypatch):
    MatchFactory(external_id=MATCH_ID)
    real = activities.checkin_record

    def failing(*, record, via):
        real(record=record, via=via)
        raise DatabaseError("disk full near 'Settling in'")

    monkeypatch.setattr("webhooks.processors.activities.checkin_record", failing)
    response = deliver(client, example("buddy.checkin.completed"), delivery_id="d-1")
    assert response.status_code == 500
    assert response.json()["error"] == "django.db.utils.DatabaseError"
    assert "Settling" not in response.content.decode()
    assert not CheckIn.objects.exists()
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.FAILED and event.processed_at is None
    assert event.last_error == "django.db.utils.DatabaseError"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.retry_count) == (DeliveryStatus.FAILED, 1)


def test_third_failed_attempt_dead_letters_and_a_later_success_clears_it(db, client):
    payload = example("buddy.feedback.submitted")
    for attempt in (1, 2, 3):
        assert deliver(client, payload, delivery_id="d-1").status_code == 500
        delivery = WebhookDelivery.objects.get()
        assert delivery.retry_count == attempt
    assert delivery.status == DeliveryStatus.DEAD_LETTERED
    assert list(deliveries_dead_lettered()) == [delivery]
    # another delivery id of the same event fails too and has its own count
    assert deliver(client, payload, delivery_id="d-2").status_code == 500

    MatchFactory(external_id=MATCH_ID)
    assert deliver(client, payload, delivery_id="d-3").status_code == 200
    assert Feedback.objects.count() == 1
    statuses = dict(WebhookDelivery.objects.values_list("delivery_id", "status"))
    assert statuses == {"d-1": "processed", "d-2": "processed", "d-3": "processed"}
    assert not deliveries_dead_lettered().exists()
    # the sender's later retry of the dead-lettered delivery is answered 202
    assert deliver(client, payload, delivery_id="d-1").status_code == 202


def test_event_is_stored_even_when_processing_crashes(db, client, monkeypatch):
    def crash(record):
        raise RuntimeError("bug")

    monkeypatch.setitem(
        __import__("webhooks.processors", fromlist=["PROCESSORS"]).PROCESSORS,
        "buddy.checkin.completed",
        crash,
    )
    response = deliver(client, example("buddy.checkin.completed"))
    assert response.status_code == 500
    assert WebhookEvent.objects.get().last_error == "builtins.RuntimeError"


def test_a_failed_attempt_finding_the_event_processed_meanwhile_answers_202(
    db, client, monkeypatch
):
    """The failed processing rolls back whole; if another delivery of the event processed it
    before the failure is recorded, this delivery is a duplicate, not a failure."""
    MatchFactory(external_id=MATCH_ID)
    monkeypatch.setattr(
        "webhooks.processors.activities.checkin_record",
        lambda **kwargs: (_ for _ in ()).throw(DatabaseError("deadlock detected")),
    )
    real_lock, locks = services._event_locked, []

    def lock(event_pk, **how):
        locks.append(event_pk)
        if len(locks) == 2:  # between the rollback and recording the failure
            WebhookEvent.objects.filter(pk=event_pk).update(
                status=EventStatus.PROCESSED, processed_at=timezone.now()
            )
        return real_lock(event_pk, **how)

    monkeypatch.setattr(services, "_event_locked", lock)
    response = deliver(client, example("buddy.checkin.completed"), delivery_id="d-1")

    assert response.status_code == 202
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DUPLICATE
    assert WebhookEvent.objects.get().last_error == ""
