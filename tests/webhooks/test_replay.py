"""Replay of stored events: one service, called by the command, the API and the admin."""

import uuid

import pytest
from django.core.management import CommandError, call_command

from buddy.models import CheckIn, Feedback
from buddy.services.tokens import token_create
from tests.factories import MatchFactory
from tests.webhooks.conftest import MATCH_ID, deliver, example
from webhooks.models import EventStatus, WebhookEvent


@pytest.fixture
def waiting_events(db, client):
    """A feedback and a check-in stored while their match was unknown, then the match
    appears without a signal (e.g. entered by hand): only a replay picks them up."""
    assert deliver(client, example("buddy.feedback.submitted")).status_code == 500
    for _ in range(3):
        assert (
            deliver(client, example("buddy.checkin.completed"), delivery_id="c").status_code == 500
        )
    MatchFactory(external_id=MATCH_ID)
    return WebhookEvent.objects.all()


def test_command_replays_failed_events(waiting_events, capsys):
    call_command("replay_events", "--failed")
    assert Feedback.objects.count() == 1 and CheckIn.objects.count() == 1
    assert set(waiting_events.values_list("status", flat=True)) == {EventStatus.PROCESSED}
    assert "processed: 2" in capsys.readouterr().out
    call_command("replay_events", "--failed")  # nothing left
    assert "no events" in capsys.readouterr().out


def test_command_replays_only_dead_lettered(waiting_events):
    call_command("replay_events", "--dead")
    assert CheckIn.objects.count() == 1
    assert Feedback.objects.count() == 0


def test_command_filters_by_ids_type_and_since(waiting_events):
    feedback = waiting_events.get(event_type="buddy.feedback.submitted")
    call_command("replay_events", "--ids", str(feedback.event_id))
    assert Feedback.objects.count() == 1 and CheckIn.objects.count() == 0
    call_command("replay_events", "--type", "buddy.checkin.completed", "--since", "2000-01-01")
    assert CheckIn.objects.count() == 1
    call_command("replay_events", "--since", "2999-01-01T00:00:00Z")  # selects nothing


def test_command_needs_a_selection(db):
    with pytest.raises(CommandError):
        call_command("replay_events")


def test_api_replay_needs_authentication(waiting_events, client):
    event = waiting_events.first()
    response = client.post(f"/api/webhooks/events/{event.event_id}/replay/")
    assert response.status_code == 401
    assert response.json()["status"] == "error"


def test_api_replay_with_a_token_is_idempotent(waiting_events, client, coordinator):
    _row, token = token_create(user=coordinator, name="replay script")
    event = waiting_events.get(event_type="buddy.feedback.submitted")
    for _ in range(2):
        response = client.post(
            f"/api/webhooks/events/{event.event_id}/replay/",
            HTTP_AUTHORIZATION=f"Token {token}",
        )
        assert response.status_code == 200
        assert response.json() == {
            "event_id": str(event.event_id),
            "outcome": "processed",
            "error": "",
        }
    assert Feedback.objects.count() == 1


def test_api_replay_unknown_event_is_404(db, client, coordinator):
    client.force_login(coordinator)
    assert client.post(f"/api/webhooks/events/{uuid.uuid4()}/replay/").status_code == 404
    assert client.post("/api/webhooks/events/not-a-uuid/replay/").status_code == 404


def test_api_lists_events_without_payloads(waiting_events, client, coordinator):
    client.force_login(coordinator)
    rows = client.get("/api/webhooks/events/").json()["results"]
    assert len(rows) == 2 and all("payload" not in row for row in rows)


def test_admin_replay_action(waiting_events, client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/webhooks/webhookevent/",
        {"action": "replay", "_selected_action": [e.pk for e in waiting_events]},
        follow=True,
    )
    assert response.status_code == 200
    assert Feedback.objects.count() == 1 and CheckIn.objects.count() == 1


def test_admin_delivery_replay_action(waiting_events, client, admin_user):
    from webhooks.selectors import deliveries_dead_lettered

    client.force_login(admin_user)
    dead = list(deliveries_dead_lettered())
    assert len(dead) == 1
    client.post(
        "/admin/webhooks/webhookdelivery/",
        {"action": "replay", "_selected_action": [d.pk for d in dead]},
    )
    assert CheckIn.objects.count() == 1
    assert not deliveries_dead_lettered().exists()
