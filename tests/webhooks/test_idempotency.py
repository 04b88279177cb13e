"""Repeated deliveries change domain tables once; a different payload is a conflict."""

import json

from buddy.models import CheckIn, MatchTransition
from tests.factories import MatchFactory
from tests.webhooks.conftest import MATCH_ID, deliver, example
from webhooks.models import DeliveryStatus, WebhookConflict, WebhookDelivery, WebhookEvent


def test_same_event_under_a_new_delivery_id_is_202_and_changes_nothing(db, client):
    MatchFactory(external_id=MATCH_ID)
    payload = example("buddy.checkin.completed")
    assert deliver(client, payload, delivery_id="d-1").status_code == 200
    before = CheckIn.objects.get()
    response = deliver(client, payload, delivery_id="d-2")
    assert response.status_code == 202
    assert response.json()["deliveryId"] == "d-2"
    after = CheckIn.objects.get()
    assert after.updated_at == before.updated_at
    assert WebhookEvent.objects.count() == 1
    assert WebhookDelivery.objects.get(delivery_id="d-2").status == DeliveryStatus.DUPLICATE


def test_key_order_and_whitespace_do_not_make_a_payload_different(db, client):
    MatchFactory(external_id=MATCH_ID)
    payload = example("buddy.checkin.completed")
    assert deliver(client, payload).status_code == 200
    reordered = dict(reversed(list(payload.items())))
    body = json.dumps(reordered, indent=4, sort_keys=True).encode()
    assert deliver(client, body).status_code == 202
    assert not WebhookConflict.objects.exists()


def test_same_event_id_with_another_payload_is_409_and_recorded(db, client):
    MatchFactory(external_id=MATCH_ID)
    payload = example("buddy.checkin.completed")
    assert deliver(client, payload).status_code == 200
    changed = example("buddy.checkin.completed", mood="difficult")
    response = deliver(client, changed, delivery_id="d-x")
    assert response.status_code == 409
    assert response.json()["status"] == "error"
    conflict = WebhookConflict.objects.get()
    assert conflict.delivery_id == "d-x" and conflict.payload["data"]["mood"] == "difficult"
    assert WebhookEvent.objects.get().payload == payload  # the stored event is not changed
    assert CheckIn.objects.get().mood == "good"


def test_conflict_is_detected_before_the_event_was_processed(db, client):
    payload = example("buddy.checkin.completed")
    assert deliver(client, payload).status_code == 500  # match unknown: stored, waiting
    assert deliver(client, example("buddy.checkin.completed", mood="okay")).status_code == 409


def test_late_match_created_never_reopens_an_ended_match(db, client):
    from tests.webhooks.conftest import BUDDY_ID, PARTICIPANT_ID

    match = MatchFactory(
        external_id=MATCH_ID,
        ended=True,
        participant__external_id=PARTICIPANT_ID,
        buddy__external_id=BUDDY_ID,
    )
    transitions = MatchTransition.objects.count()
    assert deliver(client, example("buddy.match.created")).status_code == 200
    match.refresh_from_db()
    assert match.status == "ended"
    assert MatchTransition.objects.count() == transitions


def test_replaying_a_processed_event_changes_nothing(db, client):
    from webhooks.services import ProcessingOutcome, event_replay

    MatchFactory(external_id=MATCH_ID)
    assert deliver(client, example("buddy.checkin.completed")).status_code == 200
    before = CheckIn.objects.get()
    result = event_replay(event=WebhookEvent.objects.get())
    assert result.outcome is ProcessingOutcome.PROCESSED
    assert CheckIn.objects.get().updated_at == before.updated_at
    assert CheckIn.objects.count() == 1
