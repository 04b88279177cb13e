"""Step 5: every validation error is listed by its dotted path; nothing is stored."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from buddy.models import Match
from tests.factories import BuddyFactory, MatchFactory, ParticipantFactory
from tests.webhooks.conftest import BUDDY_ID, MATCH_ID, PARTICIPANT_ID, deliver, example
from webhooks.models import WebhookDelivery, WebhookEvent


def _errors(response) -> dict[str, str]:
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["status"] == "error" and body["message"]
    return {e["path"]: e["message"] for e in body["errors"]}


def test_every_error_is_listed_with_its_path(db, client):
    payload = example(
        "buddy.feedback.submitted",
        rating=1.5,
        fromRole="mentor",
        matchId="not-a-uuid",
        categories={"communication": -1},
    )
    del payload["data"]["submittedAt"]
    payload["version"] = "v2"
    errors = _errors(deliver(client, payload))
    assert set(errors) == {
        "version",
        "data.rating",
        "data.fromRole",
        "data.matchId",
        "data.submittedAt",
        "data.categories.communication",
    }
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"type": "buddy.user.deleted"}, "type"),
        ({"id": "123"}, "id"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"timestamp": "2025-03-01T10:00:00"}, "timestamp"),  # no offset
        ({"correlationId": "x"}, "correlationId"),
        ({"data": "text"}, "data"),
    ],
)
def test_envelope_errors(db, client, change, path):
    payload = example("buddy.checkin.completed")
    payload.update(change)
    assert path in _errors(deliver(client, payload))


def test_missing_envelope_fields(db, client):
    errors = _errors(deliver(client, {"unknown": 1}))
    assert {"id", "version", "timestamp", "type", "data"} <= set(errors)


def test_future_dates_are_refused_in_data_and_envelope(db, client):
    future = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    payload = example("buddy.checkin.completed", checkinDate=future)
    payload["timestamp"] = future
    assert set(_errors(deliver(client, payload))) == {"timestamp", "data.checkinDate"}


def test_unknown_extra_fields_are_ignored_and_kept(db, client):
    MatchFactory(external_id=MATCH_ID)
    payload = example("buddy.checkin.completed", somethingNew={"a": 1})
    payload["extra"] = True
    assert deliver(client, payload).status_code == 200
    assert WebhookEvent.objects.get().payload["data"]["somethingNew"] == {"a": 1}


def test_mood_has_no_drift(db, client):
    assert "data.mood" in _errors(deliver(client, example("buddy.checkin.completed", mood="meh")))


def test_participant_id_naming_a_buddy_is_400(db, client):
    ParticipantFactory(external_id=BUDDY_ID)  # the ids swapped: a participant as buddy
    BuddyFactory(external_id=PARTICIPANT_ID)
    errors = _errors(deliver(client, example("buddy.match.created")))
    assert set(errors) == {"data.participantId", "data.buddyId"}
    assert not WebhookEvent.objects.exists()
    assert not Match.objects.exists()


def test_end_before_the_known_start_is_400(db, client):
    match = MatchFactory(external_id=MATCH_ID)
    ended = (match.matched_at - timedelta(days=1)).isoformat()
    errors = _errors(deliver(client, example("buddy.match.ended", endedAt=ended)))
    assert set(errors) == {"data.endedAt"}


def test_error_messages_never_echo_the_input(db, client):
    secret_text = "maria.secret@example.org"
    payload = example("buddy.feedback.submitted", rating=secret_text, matchId=secret_text)
    payload["correlationId"] = secret_text
    response = deliver(client, payload, delivery_id=str(uuid.uuid4()))
    assert response.status_code == 400
    assert secret_text not in response.content.decode()
