"""Stats (authenticated), liveness, readiness and Prometheus metrics."""

from datetime import UTC, datetime

from buddy.models import Program, ProgramType
from buddy.services.tokens import token_create
from tests.factories import MatchFactory, UserFactory, buddy_program, coordinator_of
from tests.webhooks.conftest import MATCH_ID, deliver, example
from webhooks.validation import EVENT_TYPES


def test_stats_without_credentials_is_401_json(db, client):
    response = client.get("/webhooks/stats")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "error"


def test_stats_counts_deliveries_events_and_drift(db, client):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    MatchFactory(external_id=MATCH_ID, matched_at=datetime(2025, 3, 1, tzinfo=UTC))
    deliver(client, example("buddy.checkin.completed"), delivery_id="ok")
    deliver(client, example("buddy.checkin.completed"), delivery_id="ok")  # duplicate
    deliver(client, example("buddy.checkin.completed"), delivery_id="ok2")  # duplicate
    drift = example("buddy.match.ended", endReason="relocated")
    assert deliver(client, drift).status_code == 200
    for _ in range(3):  # unknown user: fails, dead-lettered at the third attempt
        deliver(client, example("buddy.milestone.reached"), delivery_id="dead")
    deliver(client, example("buddy.event.attended", userId=MATCH_ID), delivery_id="failing")

    _row, token = token_create(user=superuser, name="stats")
    with_token = client.get("/webhooks/stats", HTTP_AUTHORIZATION=f"Token {token}")
    assert with_token.status_code == 200
    body = with_token.json()
    assert body["service"] == "buddy-connector"
    assert body["supportedEventTypes"] == list(EVENT_TYPES) and len(EVENT_TYPES) == 8
    assert body["deliveries"] == {"processed": 2, "failed": 1, "deadLettered": 1, "duplicates": 2}
    assert body["eventsByType"]["buddy.checkin.completed"] == 1
    assert body["eventsByType"]["buddy.match.created"] == 0
    assert body["warnings"]["enumDrift"] == 1
    assert body["timestamp"].endswith("Z")

    client.force_login(superuser)  # a session works too
    assert client.get("/webhooks/stats").json()["deliveries"] == body["deliveries"]


def test_stats_count_only_the_events_of_the_coordinators_programs(db, client):
    """Events and deliveries naming a match of program B, or nobody known yet, are not
    counted for a coordinator of program A (the same scoping as the review screen)."""
    program_a = buddy_program()
    program_b = Program.objects.get(program_type=ProgramType.MENTORSHIP)
    MatchFactory(
        program=program_b, external_id=MATCH_ID, matched_at=datetime(2025, 3, 1, tzinfo=UTC)
    )
    deliver(client, example("buddy.checkin.completed"), delivery_id="of-b")
    deliver(client, example("buddy.milestone.reached"), delivery_id="nobody-known")

    client.force_login(coordinator_of(program_a, username="coordinator-a"))
    body = client.get("/webhooks/stats").json()
    assert body["deliveries"] == {"processed": 0, "failed": 0, "deadLettered": 0, "duplicates": 0}
    assert set(body["eventsByType"].values()) == {0}
    assert body["eventsWaiting"] == 0

    client.force_login(coordinator_of(program_b, username="coordinator-b"))
    body = client.get("/webhooks/stats").json()
    assert body["deliveries"]["processed"] == 1
    assert body["eventsByType"]["buddy.checkin.completed"] == 1
    assert body["eventsByType"]["buddy.milestone.reached"] == 0


def test_health_is_public(db, client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["service"] and body["uptime"] >= 0
    assert body["timestamp"]


def test_ready_checks_the_database(db, client, settings):
    settings.CELERY_BROKER_URL = ""
    settings.BUDDY_METRICS_TOKEN = "scrape-me"
    response = client.get("/health/ready", HTTP_AUTHORIZATION="Bearer scrape-me")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}


def test_ready_tells_the_public_only_its_state(db, client, settings):
    settings.CELERY_BROKER_URL = ""
    body = client.get("/health/ready").json()
    assert body["status"] == "ok" and "checks" not in body


def test_ready_names_a_broker_that_is_down(db, client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr("webhooks.views._broker_ok", lambda: False)
    settings.BUDDY_METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker"] and body["checks"]["database"] == "ok"


def test_ready_names_a_database_that_is_down(db, client, monkeypatch):
    monkeypatch.setattr("webhooks.views._database_ok", lambda: False)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert "database" in response.json()["down"]


def test_broker_check_fails_for_an_unreachable_broker(settings):
    from webhooks.views import _broker_ok

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    assert _broker_ok() is False


def test_metrics_expose_the_counters(db, client, settings):
    settings.BUDDY_METRICS_TOKEN = "scrape-me"
    MatchFactory(external_id=MATCH_ID)
    deliver(client, example("buddy.checkin.completed"))
    deliver(
        client, example("buddy.feedback.submitted", matchId="c1d2e3f4-0000-4000-8000-000000000000")
    )
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me")
    assert response.status_code == 200
    text = response.content.decode()
    for name in (
        "buddy_webhook_deliveries_received_total",
        'buddy_webhook_events_processed_total{event_type="buddy.checkin.completed"}',
        "buddy_webhook_duplicates_total",
        'buddy_webhook_failures_total{event_type="buddy.feedback.submitted",reason="waiting"}',
        "buddy_webhook_dead_letters_total",
        'buddy_webhook_processing_seconds_bucket{event_type="buddy.checkin.completed"',
    ):
        assert name in text, name
