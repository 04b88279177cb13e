"""The events we publish because of an inbound Buddy System event carry its correlationId,
so a consumer can link our ``match.*`` event to the event that caused it; a change made
here (the API) or by an import carries its own (none, the import run)."""

import pytest
from rest_framework.test import APIClient

from buddy.models import Match, MatchStatus
from core.models import OutboxEvent
from tests.factories import MatchFactory
from tests.webhooks.conftest import example
from webhooks.imports.services import import_run_create, import_run_execute

pytestmark = pytest.mark.django_db

CORRELATION_ID = "0d4f6a2b-8c1e-4f3a-b5d7-9e2c4a6b8d10"  # the contract's example


def match_events():
    return list(OutboxEvent.objects.filter(type__startswith="match.").order_by("occurred_at"))


def test_a_match_created_webhook_publishes_its_correlation_id(send, pair):
    payload = example("buddy.match.created", new_id=True)
    payload["correlationId"] = CORRELATION_ID
    assert send(payload).status_code == 200

    (event,) = match_events()
    assert event.correlation_id == CORRELATION_ID
    assert event.envelope()["correlationId"] == CORRELATION_ID


def test_a_webhook_without_a_correlation_id_publishes_none(send, pair):
    payload = example("buddy.match.created", new_id=True)
    payload.pop("correlationId")
    assert send(payload).status_code == 200

    (event,) = match_events()
    assert event.correlation_id == ""
    assert event.envelope()["correlationId"] is None


def test_a_change_made_through_the_api_carries_none(send, pair, coordinator, program):
    send(example("buddy.match.created", new_id=True))  # a correlated change first
    match = MatchFactory(program=program, status=MatchStatus.ACTIVE)
    api = APIClient()
    api.force_authenticate(coordinator)

    response = api.post(f"/api/matches/{match.pk}/end/", {"end_reason": "completed"})

    assert response.status_code == 200
    ended = OutboxEvent.objects.get(type="match.ended", data__match__id=match.pk)
    assert ended.correlation_id == ""


def test_an_import_names_its_run_as_the_correlation_id(program, tmp_path):
    from bench.exportgen import write_export

    people = [
        {"id": pid, "email": f"{role}@example.org", "role": role, "first_name": "A",
         "last_name": "B", "joined_at": "2025-02-10T09:00:00Z"}
        for pid, role in (
            ("5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e01", "participant"),
            ("5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e02", "buddy"),
        )
    ]  # fmt: skip
    match = {
        "match_id": "7a1c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e03",
        "participant_id": people[0]["id"],
        "buddy_id": people[1]["id"],
        "status": "active",
        "matched_at": "2025-03-01T09:00:00Z",
    }
    path = write_export(tmp_path / "export", {"users": people, "matches": [match]})
    run = import_run_create(program=program, path=path)

    import_run_execute(run=run)

    assert Match.objects.count() == 1
    assert {e.correlation_id for e in match_events()} == {f"import-run:{run.pk}"}
