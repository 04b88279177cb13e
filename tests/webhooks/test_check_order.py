"""The receiver's checks run in the contract's order with its status codes and bodies."""

import io
import json

from django.test import RequestFactory

from buddy.models import CheckIn
from tests.factories import MatchFactory
from tests.webhooks.conftest import MATCH_ID, URL, deliver, example, signed_headers
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.views import buddy_events

LIMIT = 1024 * 1024


def _oversized() -> bytes:
    payload = example("buddy.checkin.completed")
    payload["padding"] = "x" * LIMIT
    return json.dumps(payload).encode()


def test_oversized_body_is_413_before_the_signature(db, client):
    response = client.generic(
        "POST", URL, _oversized(), content_type="application/json"
    )  # no signature at all: the size check comes first
    assert response.status_code == 413
    assert response.json()["status"] == "error"
    assert response["Content-Type"] == "application/json"


def test_size_checked_on_bytes_read_when_no_length_is_declared(db, monkeypatch):
    """A body without a declared length is read up to limit + 1 bytes only, before any HMAC."""
    body = _oversized()
    read = []
    stream = io.BytesIO(body)
    real_read = stream.read

    def counting_read(n=-1):
        chunk = real_read(n)
        read.append(len(chunk))
        return chunk

    stream.read = counting_read
    monkeypatch.setattr(
        "webhooks.views.verify", lambda *a, **k: (_ for _ in ()).throw(AssertionError)
    )
    request = RequestFactory().generic("POST", URL, b"", content_type="application/json")
    request.META.pop("CONTENT_LENGTH", None)
    request._stream = stream  # a server that hands the stream over without a length
    response = buddy_events(request)
    assert response.status_code == 413
    assert sum(read) == LIMIT + 1


def test_bad_signature_is_401_before_a_missing_delivery_id(db, client):
    body = json.dumps(example("buddy.checkin.completed")).encode()
    response = client.generic(
        "POST", URL, body, content_type="application/json", HTTP_X_BUDDY_SIGNATURE="t=1,v1=00"
    )
    assert response.status_code == 401


def test_missing_or_too_long_delivery_id_is_400(db, client):
    body = json.dumps(example("buddy.checkin.completed")).encode()
    missing = client.generic(
        "POST", URL, body, content_type="application/json", **signed_headers(body)
    )
    assert missing.status_code == 400
    assert missing.json()["status"] == "error"
    too_long = deliver(client, body, delivery_id="x" * 201)
    assert too_long.status_code == 400
    assert deliver(client, body, delivery_id="x" * 200).status_code != 400
    assert WebhookEvent.objects.count() == 1


def test_a_delivery_that_succeeded_is_202_before_validation(db, client):
    MatchFactory(external_id=MATCH_ID)
    payload = example("buddy.checkin.completed")
    assert deliver(client, payload, delivery_id="d-1").status_code == 200
    # the same delivery id, even with a body that would not validate: step 4 answers first
    response = deliver(client, b'{"not": "an event"}', delivery_id="d-1")
    assert response.status_code == 202
    assert response.json() == {
        "status": "accepted",
        "message": "This delivery was already processed.",
        "deliveryId": "d-1",
    }
    assert WebhookDelivery.objects.get().duplicate_count == 1


def test_a_delivery_that_succeeded_is_202_with_any_valid_body_and_stores_nothing(db, client):
    MatchFactory(external_id=MATCH_ID)
    assert deliver(client, example("buddy.checkin.completed"), delivery_id="d-1").status_code == 200
    another = example("buddy.feedback.submitted")  # a valid event the sender never sent as d-1

    response = deliver(client, another, delivery_id="d-1")

    assert response.status_code == 202
    assert WebhookEvent.objects.count() == 1
    assert WebhookDelivery.objects.get().duplicate_count == 1


def test_invalid_event_is_400_and_stores_nothing(db, client):
    response = deliver(client, b"[1, 2]")
    assert response.status_code == 400
    assert deliver(client, b"{not json").status_code == 400
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()


def test_processing_failure_is_500_with_a_short_reason(db, client):
    response = deliver(client, example("buddy.checkin.completed"))
    assert response.status_code == 500
    body = response.json()
    assert body["status"] == "error"
    assert body["error"] == f"reference.unknown: Unknown match {MATCH_ID}."
    assert "Traceback" not in response.content.decode()
    assert not CheckIn.objects.exists()


def test_get_is_405_json(db, client):
    response = client.get(URL)
    assert response.status_code == 405
    assert response.json()["status"] == "error"
