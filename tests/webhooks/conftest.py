"""Fixtures of the webhook tests: signed deliveries, contract example events, known people."""

import copy
import json
import time
import uuid

import pytest
from django.test import Client

from tests.contract import EVENTS
from tests.factories import BuddyFactory, ParticipantFactory
from webhooks.signature import signature_header

SECRET = "whsec_test_secret"  # config/settings/test.py
URL = "/webhooks/buddy-events"

# The ids used by the contract's example events.
PARTICIPANT_ID = "5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e01"
BUDDY_ID = "8a3e7c10-6b2f-4f8d-a1c4-3d9e5f7a2b02"
MATCH_ID = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e03"

EXAMPLE_FILES = {
    "buddy.match.created": "match_created.json",
    "buddy.event.logged": "event_logged.json",
    "buddy.event.attended": "event_attended.json",
    "buddy.skill_share.completed": "skill_share_completed.json",
    "buddy.checkin.completed": "checkin_completed.json",
    "buddy.feedback.submitted": "feedback_submitted.json",
    "buddy.milestone.reached": "milestone_reached.json",
    "buddy.match.ended": "match_ended.json",
}


def example(event_type: str, *, new_id: bool = False, **data) -> dict:
    """The contract's example event of this type; ``data`` overrides fields of ``data``."""
    payload = json.loads((EVENTS / EXAMPLE_FILES[event_type]).read_text())
    payload = copy.deepcopy(payload)
    if new_id:
        payload["id"] = str(uuid.uuid4())
    payload["data"].update(data)
    return payload


def signed_headers(body: bytes, *, secret: str = SECRET, t: int | None = None) -> dict:
    return {"HTTP_X_BUDDY_SIGNATURE": signature_header(secret, body, timestamp=t)}


def deliver(
    client: Client,
    payload: dict | bytes,
    *,
    delivery_id: str | None = None,
    secret: str = SECRET,
    t: int | None = None,
    headers: dict | None = None,
):
    """POST one signed delivery the way the Buddy System sends it."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    meta = signed_headers(body, secret=secret, t=t)
    meta["HTTP_X_DELIVERY_ID"] = delivery_id or str(uuid.uuid4())
    meta.update(headers or {})
    return client.generic("POST", URL, body, content_type="application/json", **meta)


@pytest.fixture
def pair(db):
    """The participant and buddy the contract's examples name."""
    participant = ParticipantFactory(external_id=PARTICIPANT_ID)
    buddy = BuddyFactory(external_id=BUDDY_ID)
    return participant, buddy


@pytest.fixture
def send(client, django_capture_on_commit_callbacks):
    """Deliver and run what the delivery enqueued on commit (re-runs, recomputes)."""

    def _send(payload, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return deliver(client, payload, **kwargs)

    return _send


@pytest.fixture
def now_ts() -> int:
    return int(time.time())
