"""An import publishes the events of the changes it makes, like the services: one
``match.*`` event per match move, one ``enrollment.status_changed`` per new enrollment."""

import pytest

from buddy.models import Match
from core.models import OutboxEvent

pytestmark = pytest.mark.django_db

P, B, M = (
    "5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e01",
    "5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e02",
    "7a1c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e03",
)


def _users():
    common = {"first_name": "Olena", "last_name": "K", "joined_at": "2025-02-10T09:00:00Z"}
    return [
        {"id": P, "email": "p@example.org", "role": "participant", **common},
        {"id": B, "email": "b@example.org", "role": "buddy", **common},
    ]


def _match(status, **extra):
    return {
        "match_id": M,
        "participant_id": P,
        "buddy_id": B,
        "status": status,
        "matched_at": "2025-03-01T09:00:00Z",
        **extra,
    }


def test_an_imported_match_and_its_status_change_publish_events(run_import, export):
    run_import(export({"users": _users(), "matches": [_match("active")]}))
    match = Match.objects.get()
    (created,) = OutboxEvent.objects.filter(type__startswith="match.")
    assert created.type == "match.activated"
    assert created.data["match"] == {"id": match.pk, "buddySystemId": M}
    assert created.data["participant"]["buddySystemId"] == P
    assert created.data["source"] == "import" and created.data["fromStatus"] is None
    joined = OutboxEvent.objects.filter(type="enrollment.status_changed", data__fromStatus=None)
    assert joined.count() == 2  # (the recompute after the import may publish more)

    run_import(export({"users": _users(), "matches": [_match("inactive")]}))
    paused = OutboxEvent.objects.filter(type="match.paused").get()
    assert (paused.data["fromStatus"], paused.data["status"]) == ("active", "inactive")


def test_a_reimport_without_changes_publishes_nothing(run_import, export):
    path = export({"users": _users(), "matches": [_match("active")]})
    run_import(path)
    before = OutboxEvent.objects.count()
    run_import(path)
    assert OutboxEvent.objects.count() == before
