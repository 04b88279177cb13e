"""A parked event runs once the user or match it waits for arrives, whatever brought it
(webhook, import, admin): one explicit request per commit, made by the service that
created it (``buddy.services.arrivals``), and a re-check by the event parked meanwhile."""

import pytest
from django.db import transaction
from django.urls import reverse

from buddy.models import Feedback, Match
from buddy.services.arrivals import REPROCESS_WAITING, references_arrived
from tests.contract import SAMPLE_DIR
from tests.factories import BuddyFactory, MatchFactory, ParticipantFactory
from tests.webhooks.conftest import BUDDY_ID, MATCH_ID, PARTICIPANT_ID, deliver, example
from webhooks.imports.pipeline import import_export
from webhooks.models import EventStatus, WebhookEvent


def _parked(send, event_type: str) -> WebhookEvent:
    assert send(example(event_type)).status_code == 500
    event = WebhookEvent.objects.get(event_type=event_type)
    assert event.status == EventStatus.WAITING
    return event


def _status(event: WebhookEvent) -> str:
    event.refresh_from_db()
    return event.status


@pytest.fixture
def requests(monkeypatch):
    """The re-run requests sent, instead of sending them."""
    sent = []

    def record(task, *, kwargs, recovery):
        sent.append((task, kwargs))
        return True

    monkeypatch.setattr("buddy.services.arrivals.task_send", record)
    return sent


def test_a_match_that_arrives_by_webhook_releases_the_events_parked_for_it(pair, send):
    feedback = _parked(send, "buddy.feedback.submitted")
    assert send(example("buddy.match.created")).status_code == 200
    assert _status(feedback) == EventStatus.PROCESSED
    assert Feedback.objects.filter(match__external_id=MATCH_ID).exists()


def test_people_and_a_match_that_arrive_by_import_release_the_events_parked_for_them(
    db, program, send, django_capture_on_commit_callbacks
):
    created = _parked(send, "buddy.match.created")  # waits for both people
    feedback = _parked(send, "buddy.feedback.submitted")  # waits for the match
    with django_capture_on_commit_callbacks(execute=True):
        import_export(path=SAMPLE_DIR, program=program)
    assert _status(created) == EventStatus.PROCESSED
    assert _status(feedback) == EventStatus.PROCESSED


def test_a_buddy_system_id_linked_in_admin_releases_the_events_parked_for_it(
    db, send, admin_client, django_capture_on_commit_callbacks
):
    ParticipantFactory(external_id=PARTICIPANT_ID)
    buddy = BuddyFactory(external_id=False)
    created = _parked(send, "buddy.match.created")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:buddy_externalid_add"),
            {"provider": "buddy", "external_id": BUDDY_ID, "person": buddy.pk},
        )
    assert response.status_code == 302
    assert _status(created) == EventStatus.PROCESSED
    assert Match.objects.get(external_id=MATCH_ID).buddy == buddy


def test_one_request_per_commit_with_every_id_the_transaction_named(
    db, requests, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # runs the hooks as a commit
        references_arrived(person_ids=["p1"])
        references_arrived(person_ids=["p2", "p1"], match_ids=["m1"])
        assert requests == []  # nothing before the commit
    assert requests == [(REPROCESS_WAITING, {"person_ids": ["p1", "p2"], "match_ids": ["m1"]})]


def test_a_rolled_back_transaction_requests_nothing_for_its_ids(
    db, requests, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                references_arrived(person_ids=["gone"])
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        references_arrived(person_ids=["kept"])
    assert requests == [(REPROCESS_WAITING, {"person_ids": ["kept"], "match_ids": []})]


def test_the_request_names_a_task_the_webhooks_app_registers():
    from config.celery_app import app

    app.loader.import_default_modules()
    assert REPROCESS_WAITING in app.tasks


def test_an_event_parked_while_its_match_was_committing_rechecks_on_its_own_commit(
    pair, client, django_capture_on_commit_callbacks
):
    """The match's request ran before the event was parked, so it found nothing to re-run;
    the event's own commit sees the match and asks for the re-run."""
    with django_capture_on_commit_callbacks() as hooks:
        assert deliver(client, example("buddy.feedback.submitted")).status_code == 500
    MatchFactory(external_id=MATCH_ID)  # committed meanwhile; its request found nothing
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.WAITING
    with django_capture_on_commit_callbacks(execute=True):
        for hook in hooks:
            hook()
    assert _status(event) == EventStatus.PROCESSED
