"""With the broker unreachable, a first-time event is still answered 200 once its
processing committed: the task request is dropped with a log line, the recompute queue
row stays, and the beat sweep drains it."""

import json
import logging
import os
import socket

import pytest
from django.conf import settings as django_settings

from buddy.models import Enrollment, PendingRecompute
from buddy.services import enrollments as enrollment_services
from buddy.services.arrivals import REPROCESS_WAITING
from config.celery_app import app
from core.outbox import RELAY_TASK
from enrollments.tasks import recompute_pending
from tests.webhooks.conftest import MATCH_ID, deliver, example
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


def _use_broker(variable: str | None) -> None:
    # Celery reads the CELERY_BROKER_URL variable before its setting
    if variable is None:
        os.environ.pop("CELERY_BROKER_URL", None)
    else:
        os.environ["CELERY_BROKER_URL"] = variable
    app._pool = None  # connection pools are per URL; drop the cached ones
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down(settings, monkeypatch):
    """Tasks go to a broker (eager mode off) that cannot be reached."""
    before = os.environ.get("CELERY_BROKER_URL")
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    # Celery reads its namespaced settings through the Django settings (restored after)
    settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER = url, False
    monkeypatch.setattr(enrollment_services, "_drain_window", [0.0])
    _use_broker(url)
    yield
    _use_broker(before)


@pytest.fixture
def known_pair():
    from tests.factories import BuddyFactory, ParticipantFactory
    from tests.webhooks.conftest import BUDDY_ID, PARTICIPANT_ID

    return ParticipantFactory(external_id=PARTICIPANT_ID), BuddyFactory(external_id=BUDDY_ID)


def test_a_first_time_event_is_answered_200_when_the_broker_is_down(
    client, known_pair, broker_down
):
    response = deliver(client, example("buddy.match.created"))

    assert response.status_code == 200, response.content
    assert json.loads(response.content)["message"] == "Event processed."
    assert WebhookEvent.objects.get().status == "processed"


def test_the_lost_requests_are_logged_without_personal_data(
    client, known_pair, broker_down, caplog
):
    participant, _ = known_pair

    with caplog.at_level(logging.WARNING, logger="core.broker"):
        deliver(client, example("buddy.match.created"))

    lines = [r for r in caplog.records if r.getMessage() == "task.publish_failed"]
    # the recompute of the match's people, the re-run of events parked for the new match,
    # and the relay's wake-up for the match.proposed event
    assert {(line.task, line.recovery) for line in lines} == {
        (recompute_pending.name, "recompute-pending-sweep"),
        (REPROCESS_WAITING, "sender retry or replay_events"),
        (RELAY_TASK, "relay-events"),
    }
    for line in lines:
        assert line.error == "kombu.exceptions.OperationalError"
        text = " ".join(repr(v) for v in line.__dict__.values())
        for personal in (participant.email, participant.first_name, participant.last_name):
            assert personal not in text


def test_the_beat_sweep_recomputes_what_the_broker_outage_left_queued(
    client, known_pair, broker_down
):
    participant, _ = known_pair
    deliver(client, example("buddy.match.created"))
    assert PendingRecompute.objects.filter(person=participant).exists()

    recompute_pending.apply()  # what beat's recompute-pending-sweep runs, on a worker

    assert not PendingRecompute.objects.exists()
    enrollment = Enrollment.objects.get(person=participant)
    assert enrollment.journey.match_active
    assert enrollment.journey.matches_count == 1


def test_the_sweep_is_scheduled_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["recompute-pending-sweep"]
    assert (entry["task"], entry["schedule"]) == (recompute_pending.name, 60.0)


def test_during_an_outage_one_commit_per_window_waits_on_the_broker(
    client, known_pair, broker_down, caplog
):
    with caplog.at_level(logging.WARNING, logger="core.broker"):
        first = deliver(client, example("buddy.match.created"))
        second = deliver(client, example("buddy.checkin.completed"))

    assert (first.status_code, second.status_code) == (200, 200)
    lost = [
        r
        for r in caplog.records
        if r.getMessage() == "task.publish_failed" and r.task == recompute_pending.name
    ]
    assert len(lost) == 1  # the second commit fell in the first recompute request's window


def test_an_event_waiting_for_its_match_still_answers_500_for_a_retry(client, broker_down):
    response = deliver(client, example("buddy.checkin.completed", matchId=MATCH_ID))

    assert response.status_code == 500


def test_any_after_commit_failure_leaves_the_answer_200(client, known_pair, monkeypatch, caplog):
    def failing_hook():
        raise RuntimeError("after-commit hook failed")

    monkeypatch.setattr(enrollment_services, "recompute_drain_request", failing_hook)

    with caplog.at_level(logging.WARNING, logger="webhooks"):
        response = deliver(client, example("buddy.match.created"))

    assert response.status_code == 200
    [line] = [r for r in caplog.records if r.getMessage() == "webhook.after_commit_failed"]
    assert line.error == "builtins.RuntimeError"
    assert PendingRecompute.objects.exists()
