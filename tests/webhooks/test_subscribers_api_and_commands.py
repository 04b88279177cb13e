"""Subscribers and deliveries through the API (staff), the admin and the commands: the
secret is shown once, never again; deliveries are listed with every attempt and re-sent."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from buddy.models import MatchStatus
from buddy.services.matches import match_transition
from tests.factories import MatchFactory, UserFactory
from tests.webhooks.receiver import Receiver
from webhooks.models import OutboundDelivery, OutboundStatus, WebhookEndpoint
from webhooks.relay import relay_run

pytestmark = pytest.mark.django_db
API = "/api/webhooks/subscribers/"


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def test_staff_create_a_subscriber_and_see_its_secret_once(staff):
    response = staff.post(
        API,
        {"url": "http://127.0.0.1:9/hook", "event_types": ["match.ended"]},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["event_types"] == ["match.ended"]
    shown = staff.get(f"{API}{body['id']}/").json()
    assert "secret" not in shown and "secrets" not in shown
    assert body["secret"] not in staff.get(API).content.decode()


def test_an_internal_url_is_a_400_naming_the_field(staff):
    response = staff.post(API, {"url": "http://10.1.2.3/hook"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "url"
    assert not WebhookEndpoint.objects.exists()


def test_rotating_returns_a_new_secret_and_keeps_the_old_one_signing(staff):
    created = staff.post(API, {"url": "http://127.0.0.1:9/h"}, content_type="application/json")
    pk = created.json()["id"]
    rotated = staff.post(f"{API}{pk}/rotate-secret/").json()["secret"]
    assert rotated != created.json()["secret"]
    assert WebhookEndpoint.objects.get(pk=pk).secrets == [rotated, created.json()["secret"]]
    staff.post(f"{API}{pk}/drop-old-secrets/")
    assert WebhookEndpoint.objects.get(pk=pk).secrets == [rotated]


def test_subscribers_and_deliveries_are_for_staff(client):
    client.force_login(UserFactory(is_staff=False))
    assert client.get(API).status_code == 403
    assert client.get("/api/webhooks/outbound-deliveries/").status_code == 403


def test_deliveries_are_listed_with_attempts_and_can_be_resent(staff, receiver):
    endpoint = staff.post(API, {"url": receiver.url}, content_type="application/json").json()
    receiver.secret, receiver.status = endpoint["secret"], 500
    match = MatchFactory(status=MatchStatus.ACTIVE)
    match_transition(match=match, to_status=MatchStatus.INACTIVE, via="coordinator")
    relay_run()
    (listed,) = staff.get("/api/webhooks/outbound-deliveries/").json()["results"]
    assert listed["event_type"] == "match.paused"
    assert listed["attempt_log"][0]["status_code"] == 500
    OutboundDelivery.objects.update(status=OutboundStatus.FAILED)
    receiver.status = 200
    resent = staff.post(f"/api/webhooks/outbound-deliveries/{listed['id']}/resend/").json()
    assert resent["status"] in ("pending", "succeeded")
    relay_run()
    assert OutboundDelivery.objects.get().status == OutboundStatus.SUCCEEDED
    assert len(receiver.requests) == 2


def test_add_subscriber_prints_the_id_and_the_secret_once():
    out = StringIO()
    call_command("add_subscriber", "http://127.0.0.1:9/hook", "--events", "match.ended", stdout=out)
    endpoint = WebhookEndpoint.objects.get()
    assert f"id: {endpoint.pk}" in out.getvalue()
    assert f"secret: {endpoint.secrets[0]}" in out.getvalue()
    assert endpoint.event_types == ["match.ended"]


def test_add_subscriber_without_events_subscribes_to_every_type():
    call_command("add_subscriber", "http://127.0.0.1:9/hook", stdout=StringIO())
    assert WebhookEndpoint.objects.get().event_types == []


def test_add_subscriber_refuses_an_internal_url():
    with pytest.raises(CommandError, match="internal address"):
        call_command("add_subscriber", "http://192.168.0.10/hook", stdout=StringIO())


def test_relay_events_sends_what_is_due_and_exits(receiver):
    call_command("add_subscriber", receiver.url, stdout=(out := StringIO()))
    receiver.secret = out.getvalue().split("secret: ")[1].split()[0]
    match = MatchFactory(status=MatchStatus.ACTIVE)
    match_transition(match=match, to_status=MatchStatus.INACTIVE, via="coordinator")
    call_command("relay_events", stdout=(report := StringIO()))
    assert "sent 1: 1 succeeded" in report.getvalue()
    assert [r.verified for r in receiver.requests] == [True]


def test_the_admin_lists_subscribers_and_deliveries_without_secrets(admin_client):
    endpoint = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/h", secrets=["whsec_abc"])
    for url in (
        "/admin/webhooks/webhookendpoint/",
        f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/",
        "/admin/webhooks/outbounddelivery/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert "whsec_abc" not in response.content.decode()


def test_the_admin_creates_a_subscriber_through_the_service_and_shows_the_secret_once(
    admin_client,
):
    response = admin_client.post(
        "/admin/webhooks/webhookendpoint/add/",
        {"url": "http://127.0.0.1:9/hook", "description": "", "event_types": ["match.ended"]},
        follow=True,
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secrets[0] in response.content.decode()  # the message after saving
    assert endpoint.event_types == ["match.ended"]
    page = admin_client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secrets[0] not in page.content.decode()


def test_the_admin_refuses_an_internal_url_as_a_form_error(admin_client):
    response = admin_client.post(
        "/admin/webhooks/webhookendpoint/add/", {"url": "http://10.0.0.1/hook"}
    )
    assert response.status_code == 200 and "internal address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()
