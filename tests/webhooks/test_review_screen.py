"""The coordinator screen for stored webhook events: review, replay, conflicts."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from buddy.access import SUPERUSER, Access
from buddy.models import Feedback
from tests.factories import (
    EventReferenceFactory,
    MatchFactory,
    UserFactory,
    WebhookConflictFactory,
    WebhookDeliveryFactory,
    WebhookEventFactory,
)
from tests.webhooks.conftest import MATCH_ID, deliver, example
from webhooks import views_review
from webhooks.models import EventStatus, WebhookConflict, WebhookEvent
from webhooks.selectors import webhook_review_summary

SUPER = Access(role=SUPERUSER)

URL = "/webhooks/review/"
CONFLICTS_URL = "/webhooks/review/conflicts/"
BULK_URL = "/webhooks/review/replay/"

FEEDBACK_TEXT = "Zebrafinch-feedback-words-7731"
CHECKIN_NOTES = "Quokka-checkin-notes-4410"


def replay_url(event) -> str:
    return f"/webhooks/review/events/{event.event_id}/replay/"


def shown(response) -> str:
    return response.content.decode()


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def staff_client(client, admin_user):
    """A superuser: most events here name people nobody knows yet, and only superusers see
    those (coordinators see the events of their programs: tests/test_access_scoping.py)."""
    client.force_login(admin_user)
    return client


@pytest.fixture
def waiting_feedback(db, client):
    """A feedback stored (via the receiver) while its match was unknown: it waits."""
    response = deliver(client, example("buddy.feedback.submitted", feedbackText=FEEDBACK_TEXT))
    assert response.status_code == 500
    return WebhookEvent.objects.get(event_type="buddy.feedback.submitted")


# --- Access ---------------------------------------------------------------------------------


def test_anonymous_user_is_redirected_to_login(db, client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/webhooks/review/")


def test_a_login_without_a_role_is_refused(db, client):
    client.force_login(UserFactory(username="volunteer"))
    assert client.get(URL).status_code == 403


def test_anonymous_replay_is_redirected_and_replays_nothing(db, client):
    event = WebhookEventFactory()
    response = client.post(replay_url(event))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    event.refresh_from_db()
    assert event.attempts == 1


def test_post_without_csrf_token_is_rejected(db, admin_user):
    event = WebhookEventFactory()
    conflict = WebhookConflictFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(replay_url(event)).status_code == 403
    assert client.post(BULK_URL).status_code == 403
    assert client.post(f"{CONFLICTS_URL}{conflict.pk}/reviewed/").status_code == 403
    event.refresh_from_db()
    conflict.refresh_from_db()
    assert event.attempts == 1 and not conflict.reviewed


def test_the_layout_links_the_webhooks_screen(staff_client):
    assert f'href="{URL}" aria-current="page">Webhooks</a>' in shown(staff_client.get(URL))


# --- The list -------------------------------------------------------------------------------


def test_list_shows_waiting_failed_and_dead_lettered_events_but_not_processed_ones(staff_client):
    waiting = WebhookEventFactory(status=EventStatus.WAITING)
    failed = WebhookEventFactory(status=EventStatus.FAILED)
    dead = WebhookDeliveryFactory(dead=True, event__status=EventStatus.RECEIVED).event
    processed = WebhookEventFactory(status=EventStatus.PROCESSED)
    html = shown(staff_client.get(URL))
    for event in (waiting, failed, dead):
        assert str(event.event_id) in html
    assert str(processed.event_id) not in html


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("waiting", {"waiting"}),
        ("failed", {"failed"}),
        ("dead", {"dead"}),
        ("processed", {"processed"}),
        ("all", {"waiting", "failed", "dead", "processed"}),
    ],
)
def test_status_filter_selects_the_events_of_that_status(staff_client, status, expected):
    events = {
        "waiting": WebhookEventFactory(status=EventStatus.WAITING),
        "failed": WebhookEventFactory(status=EventStatus.FAILED),
        "dead": WebhookDeliveryFactory(dead=True, event__status=EventStatus.RECEIVED).event,
        "processed": WebhookEventFactory(status=EventStatus.PROCESSED),
    }
    html = shown(staff_client.get(URL, {"status": status}))
    assert {name for name, event in events.items() if str(event.event_id) in html} == expected


def test_type_filter_selects_the_events_of_that_type(staff_client):
    checkin = WebhookEventFactory(event_type="buddy.checkin.completed")
    feedback = WebhookEventFactory(event_type="buddy.feedback.submitted")
    html = shown(staff_client.get(URL, {"type": "buddy.feedback.submitted"}))
    assert str(feedback.event_id) in html and str(checkin.event_id) not in html


def test_unknown_filter_value_is_a_bad_request(staff_client):
    response = staff_client.get(URL, {"status": "nonsense"})
    assert response.status_code == 400
    assert "Unknown filter" in shown(response)


def test_list_is_newest_first_and_paginated_by_50(staff_client):
    now = timezone.now()
    events = WebhookEventFactory.create_batch(51)
    for i, event in enumerate(events):  # received_at is auto_now_add: set it afterwards
        WebhookEvent.objects.filter(pk=event.pk).update(received_at=now - timedelta(minutes=i))
    first, second = shown(staff_client.get(URL)), shown(staff_client.get(URL, {"page": 2}))
    assert first.index(str(events[0].event_id)) < first.index(str(events[1].event_id))
    assert str(events[50].event_id) not in first
    assert str(events[50].event_id) in second and str(events[0].event_id) not in second


def test_row_shows_attempts_reason_deliveries_and_awaited_references(staff_client):
    event = WebhookEventFactory(attempts=3)
    WebhookDeliveryFactory(event=event)
    WebhookDeliveryFactory(event=event, dead=True)
    reference = EventReferenceFactory(event=event)
    html = shown(staff_client.get(URL))
    assert event.last_error in html
    assert "2, <strong>1 dead-lettered</strong>" in html
    assert f"match <code>{reference.external_id}</code>" in html
    assert '<td class="num">3</td>' in html


def test_page_never_shows_free_text_of_the_payload(staff_client, waiting_feedback, client):
    deliver(client, example("buddy.checkin.completed", notes=CHECKIN_NOTES))
    html = shown(staff_client.get(URL))
    assert str(waiting_feedback.event_id) in html
    assert WebhookEvent.objects.count() == 2
    for text in (FEEDBACK_TEXT, CHECKIN_NOTES, "feedbackText", "notes", "questionResponses"):
        assert text not in html


def test_list_takes_the_same_number_of_queries_for_5_and_30_events(
    staff_client, django_assert_num_queries
):
    def events(n):
        for event in WebhookEventFactory.create_batch(n):
            WebhookDeliveryFactory(event=event, dead=True)
            EventReferenceFactory(event=event)

    events(5)
    # session, user, summary (one UNION), the stats (events per type, deliveries per status),
    # page count, page rows, references prefetch, and the layout's program switcher
    with django_assert_num_queries(9):
        assert staff_client.get(URL).status_code == 200
    events(25)
    with django_assert_num_queries(9):
        assert staff_client.get(URL).status_code == 200


# --- Summary --------------------------------------------------------------------------------


def test_summary_counts_waiting_failed_dead_lettered_and_unreviewed_conflicts_in_one_query(
    db, django_assert_num_queries
):
    WebhookEventFactory.create_batch(2, status=EventStatus.WAITING)
    WebhookDeliveryFactory(dead=True, event__status=EventStatus.FAILED)
    processed = WebhookEventFactory(status=EventStatus.PROCESSED)
    WebhookConflictFactory(event=processed)
    WebhookConflictFactory(event=processed, reviewed=True)
    with django_assert_num_queries(1):
        summary = webhook_review_summary(access=SUPER)
    assert summary == {"waiting": 2, "failed": 1, "dead_lettered": 1, "conflicts": 1}


def test_summary_of_an_empty_store_is_all_zero(db):
    assert webhook_review_summary(access=SUPER) == {
        "waiting": 0,
        "failed": 0,
        "dead_lettered": 0,
        "conflicts": 0,
    }


# --- Replay ---------------------------------------------------------------------------------


def test_replay_processes_a_waiting_event_once_its_match_exists(staff_client, waiting_feedback):
    MatchFactory(external_id=MATCH_ID)
    response = staff_client.post(replay_url(waiting_feedback))
    assert response.status_code == 302 and response.url == URL
    waiting_feedback.refresh_from_db()
    assert waiting_feedback.status == EventStatus.PROCESSED
    assert Feedback.objects.count() == 1
    assert message_texts(response) == [
        f"Event {waiting_feedback.event_id} (buddy.feedback.submitted) replayed: processed."
    ]


def test_replay_of_an_event_still_missing_its_match_reports_waiting_and_the_reason(
    staff_client, waiting_feedback
):
    response = staff_client.post(replay_url(waiting_feedback))
    [text] = message_texts(response)
    assert text.endswith(f"replayed: waiting — reference.unknown: Unknown match {MATCH_ID}.")
    waiting_feedback.refresh_from_db()
    assert waiting_feedback.status == EventStatus.WAITING


def test_replay_of_a_processed_event_is_idempotent(staff_client, waiting_feedback):
    MatchFactory(external_id=MATCH_ID)
    for _ in range(2):
        response = staff_client.post(replay_url(waiting_feedback))
        assert message_texts(response)[0].endswith("replayed: processed.")
    assert Feedback.objects.count() == 1


def test_replay_redirects_back_to_the_same_filters_and_page(staff_client):
    event = WebhookEventFactory()
    response = staff_client.post(
        replay_url(event), {"status": "waiting", "type": "buddy.checkin.completed", "page": "2"}
    )
    assert response.url == f"{URL}?status=waiting&type=buddy.checkin.completed&page=2"


def test_replay_of_an_unknown_event_is_404(staff_client):
    assert staff_client.post(f"/webhooks/review/events/{uuid.uuid4()}/replay/").status_code == 404


def test_replay_needs_post(staff_client):
    assert staff_client.get(replay_url(WebhookEventFactory())).status_code == 405


def test_bulk_replay_reports_counts_per_outcome(staff_client, waiting_feedback):
    MatchFactory(external_id=MATCH_ID)  # the feedback can be processed now
    WebhookEventFactory()  # its match never arrives: still waiting
    broken = WebhookEventFactory(status=EventStatus.FAILED)
    WebhookEvent.objects.filter(pk=broken.pk).update(payload={"data": {"checkinId": "x"}})
    response = staff_client.post(BULK_URL, {"status": "", "type": ""})
    assert response.status_code == 302 and response.url == URL
    assert message_texts(response) == ["Replayed 3 events: 1 failed, 1 processed, 1 waiting."]
    assert Feedback.objects.count() == 1


def test_bulk_replay_replays_only_the_filtered_events(staff_client):
    checkin = WebhookEventFactory(event_type="buddy.checkin.completed")
    other = WebhookEventFactory(event_type="buddy.feedback.submitted")
    response = staff_client.post(BULK_URL, {"type": "buddy.checkin.completed"})
    assert response.url == f"{URL}?type=buddy.checkin.completed"
    checkin.refresh_from_db()
    other.refresh_from_db()
    assert (checkin.attempts, other.attempts) == (2, 1)


def test_bulk_replay_is_capped_and_takes_the_oldest_first(staff_client, monkeypatch):
    monkeypatch.setattr(views_review, "BULK_REPLAY_LIMIT", 2)
    now = timezone.now()
    newest, middle, oldest = (
        WebhookEventFactory(timestamp=now - timedelta(days=days)) for days in (1, 2, 3)
    )
    response = staff_client.post(BULK_URL)
    assert message_texts(response) == ["Replayed 2 events (the oldest 2): 2 waiting."]
    attempts = [WebhookEvent.objects.get(pk=e.pk).attempts for e in (oldest, middle, newest)]
    assert attempts == [2, 2, 1]


def test_bulk_replay_with_nothing_selected_says_so(staff_client):
    WebhookEventFactory(status=EventStatus.PROCESSED)
    response = staff_client.post(BULK_URL)
    assert message_texts(response) == ["Nothing to replay for these filters."]


# --- Conflicts ------------------------------------------------------------------------------


def test_conflicts_page_lists_unreviewed_conflicts_without_payloads(staff_client):
    conflict = WebhookConflictFactory(payload={"data": {"notes": CHECKIN_NOTES}})
    reviewed = WebhookConflictFactory(reviewed=True)
    html = shown(staff_client.get(CONFLICTS_URL))
    assert str(conflict.event.event_id) in html and conflict.delivery_id in html
    assert reviewed.delivery_id not in html
    assert CHECKIN_NOTES not in html and "notes" not in html


def test_mark_conflict_reviewed(staff_client):
    conflict = WebhookConflictFactory()
    response = staff_client.post(f"{CONFLICTS_URL}{conflict.pk}/reviewed/")
    assert response.status_code == 302 and response.url == CONFLICTS_URL
    assert message_texts(response) == [f"Conflict {conflict.pk} marked reviewed."]
    assert WebhookConflict.objects.get(pk=conflict.pk).reviewed
    assert conflict.delivery_id not in shown(staff_client.get(CONFLICTS_URL))


def test_a_dead_lettered_row_shows_its_deliverys_error(staff_client):
    event = WebhookEventFactory(status="failed", last_error="")
    WebhookDeliveryFactory(event=event, dead=True, last_error="match.unknown: no such match")
    html = staff_client.get(URL + "?status=dead").content.decode()
    assert "1 dead-lettered" in html and "match.unknown: no such match" in html


def test_the_stats_count_the_logins_events_by_type_and_deliveries_by_status(staff_client):
    WebhookDeliveryFactory(event=WebhookEventFactory(event_type="buddy.checkin.completed"))
    stats = staff_client.get(URL).context["stats"]
    assert stats["events_by_type"]["buddy.checkin.completed"] == 1 and stats["events"] == 1
    assert sum(stats["deliveries_by_status"].values()) == 1


def test_replay_selected_replays_only_the_ticked_events(staff_client, monkeypatch):
    ticked, other = WebhookEventFactory(), WebhookEventFactory()
    replayed = []
    monkeypatch.setattr(
        "webhooks.views_review.services.event_replay",
        lambda event: replayed.append(event.event_id) or _Result(event),
    )
    response = staff_client.post(
        "/webhooks/review/replay/", {"status": "all", "event": [str(ticked.event_id)]}
    )
    assert response.status_code == 302
    assert replayed == [ticked.event_id] and other.event_id not in replayed


def test_replay_selected_with_a_bad_id_replays_nothing(staff_client):
    response = staff_client.post("/webhooks/review/replay/", {"event": ["not-a-uuid"]}, follow=True)
    assert "unknown event id" in response.content.decode()


class _Result:
    def __init__(self, event):
        from webhooks.services import ProcessingOutcome

        self.event, self.outcome, self.error = event, ProcessingOutcome.PROCESSED, ""
