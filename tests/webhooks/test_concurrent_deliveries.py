"""Many simultaneous deliveries of one event against a live server on PostgreSQL: one raw
event, one domain row, every answer 200 or 202 (exactly one 200)."""

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.core.servers import basehttp

from buddy.models import CheckIn, Feedback, Match
from tests.factories import BuddyFactory, MatchFactory, ParticipantFactory
from tests.webhooks.conftest import BUDDY_ID, MATCH_ID, PARTICIPANT_ID, URL, example
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.signature import signature_header

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

N = 24

# The live server's listen backlog (Django: 10) would reset some of N simultaneous
# connections before they reach a thread; a production server (gunicorn: 2048) would not.
basehttp.WSGIServer.request_queue_size = 128


def _fire(url: str, payload: dict, delivery_ids: list[str]) -> list[int]:
    body = json.dumps(payload).encode()
    barrier = threading.Barrier(len(delivery_ids))

    def one(delivery_id: str) -> int:
        headers = {
            "X-Buddy-Signature": signature_header("whsec_test_secret", body),
            "X-Delivery-Id": delivery_id,
            "Content-Type": "application/json",
        }
        with httpx.Client(timeout=30) as http:
            barrier.wait()
            return http.post(url + URL, content=body, headers=headers).status_code

    with ThreadPoolExecutor(len(delivery_ids)) as pool:
        return list(pool.map(one, delivery_ids))


def test_same_event_under_different_delivery_ids(live_server):
    MatchFactory(external_id=MATCH_ID)
    ids = [str(uuid.uuid4()) for _ in range(N)]
    codes = _fire(live_server.url, example("buddy.feedback.submitted"), ids)
    assert set(codes) <= {200, 202} and codes.count(200) == 1, codes
    assert WebhookEvent.objects.count() == 1
    assert Feedback.objects.count() == 1
    assert WebhookDelivery.objects.count() == N


def test_same_event_under_the_same_delivery_id(live_server):
    MatchFactory(external_id=MATCH_ID)
    codes = _fire(live_server.url, example("buddy.checkin.completed"), ["same"] * N)
    assert set(codes) <= {200, 202} and codes.count(200) == 1, codes
    assert WebhookEvent.objects.count() == 1
    assert CheckIn.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1


def test_match_created_concurrently_mixed_delivery_ids(live_server):
    ParticipantFactory(external_id=PARTICIPANT_ID)
    BuddyFactory(external_id=BUDDY_ID)
    ids = [f"d-{i % 4}" for i in range(N)]
    codes = _fire(live_server.url, example("buddy.match.created"), ids)
    assert set(codes) <= {200, 202} and codes.count(200) == 1, codes
    assert Match.objects.count() == 1
    assert Match.objects.get().transitions.count() == 1
    assert WebhookEvent.objects.count() == 1


def test_event_is_committed_before_processing_starts(live_server, monkeypatch):
    """While the processor runs, another connection already sees the event and delivery."""
    MatchFactory(external_id=MATCH_ID)
    seen = {}

    def probe(record):
        def look():
            from django.db import connection

            seen["events"] = WebhookEvent.objects.count()
            seen["deliveries"] = WebhookDelivery.objects.count()
            connection.close()

        thread = threading.Thread(target=look)
        thread.start()
        thread.join()
        raise RuntimeError("crash after the probe")

    from webhooks import processors

    monkeypatch.setitem(processors.PROCESSORS, "buddy.checkin.completed", probe)
    codes = _fire(live_server.url, example("buddy.checkin.completed"), ["d-1"])
    assert codes == [500]
    assert seen == {"events": 1, "deliveries": 1}
    assert WebhookEvent.objects.get().last_error == "builtins.RuntimeError"
