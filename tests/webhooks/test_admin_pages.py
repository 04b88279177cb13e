"""The webhook admin pages render for a coordinator; dead letters are one click away."""

import pytest

from tests.webhooks.conftest import deliver, example
from webhooks.models import WebhookConflict, WebhookDelivery, WebhookEvent


@pytest.fixture
def stored(db, client):
    for _ in range(3):
        deliver(client, example("buddy.feedback.submitted"), delivery_id="dead")
    deliver(client, example("buddy.feedback.submitted", rating=0.1))  # conflict
    return WebhookEvent.objects.get()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/webhooks/webhookevent/",
        "/admin/webhooks/webhookevent/?status__exact=waiting",
        "/admin/webhooks/webhookdelivery/",
        "/admin/webhooks/webhookdelivery/?review=dead",
        "/admin/webhooks/webhookconflict/",
    ],
)
def test_lists_render(stored, client, admin_user, url):
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def test_search_by_event_id(stored, client, admin_user):
    client.force_login(admin_user)
    response = client.get(f"/admin/webhooks/webhookdelivery/?q={stored.event_id}")
    assert b"dead" in response.content


def test_detail_pages_show_read_only_payload(stored, client, admin_user):
    client.force_login(admin_user)
    response = client.get(f"/admin/webhooks/webhookevent/{stored.pk}/change/")
    assert response.status_code == 200
    assert b"feedbackId" in response.content
    assert b'name="payload"' not in response.content  # not an editable field
    delivery = WebhookDelivery.objects.get()
    assert client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/").status_code == 200
    conflict = WebhookConflict.objects.get()
    assert client.get(f"/admin/webhooks/webhookconflict/{conflict.pk}/change/").status_code == 200


def test_conflicts_can_be_marked_reviewed(stored, client, admin_user):
    client.force_login(admin_user)
    conflict = WebhookConflict.objects.get()
    client.post(
        "/admin/webhooks/webhookconflict/",
        {"action": "mark_reviewed", "_selected_action": [conflict.pk]},
    )
    conflict.refresh_from_db()
    assert conflict.reviewed
