"""The subscribers' pages: list, add (the secret shown once), edit, enable/disable, rotate the
secret, a subscriber's deliveries and their attempts, re-send. Every change goes through
``webhooks.outbound``; superusers and coordinators holding the model's permission only."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from buddy.models import MatchStatus
from buddy.services.matches import match_transition
from core.outbox import publish
from tests.factories import MatchFactory, coordinator_of, viewer_of
from tests.webhooks.receiver import Receiver
from webhooks import outbound
from webhooks.models import (
    DisabledReason,
    OutboundAttempt,
    OutboundDelivery,
    OutboundStatus,
    WebhookEndpoint,
)
from webhooks.relay import relay_run

pytestmark = pytest.mark.django_db

LIST = reverse("webhooks:subscribers")
ADD = reverse("webhooks:subscriber-add")
PERMISSIONS = (
    "view_webhookendpoint",
    "add_webhookendpoint",
    "change_webhookendpoint",
    "view_outbounddelivery",
    "change_outbounddelivery",
)


def holding_the_permissions(user):
    """Give a login the subscribers' model permissions the way the API asks for them."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="webhooks", codename__in=PERMISSIONS)
    )
    return user


@pytest.fixture
def manager(client, program):
    """A client logged in as a coordinator holding the subscribers' permissions."""
    client.force_login(holding_the_permissions(coordinator_of(program, username="integrator")))
    return client


def subscriber(**kwargs) -> WebhookEndpoint:
    endpoint, _secret = outbound.endpoint_create(url="http://127.0.0.1:9/hook", **kwargs)
    return endpoint


def shown(response) -> str:
    return response.content.decode()


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


# --- Listing --------------------------------------------------------------------------------


def test_the_list_shows_host_description_event_types_state_and_last_delivery(manager):
    active = subscriber(description="Journey tracking", event_types=["match.ended"])
    disabled = outbound.endpoint_set_active(endpoint=subscriber(), active=False)
    OutboundDelivery.objects.create(
        event=publish(type="match.ended", data={}, program_id=None),
        endpoint=active,
        due_at=timezone.now(),
        attempts=1,
        last_attempt_at=timezone.now(),
        last_status_code=503,
        last_error="HTTP 503",
    )

    html = shown(manager.get(LIST))

    row = html.split(f"<td>{active.pk}</td>")[1].split("</tr>")[0]
    assert "<code>127.0.0.1</code>" in row and "Journey tracking" in row
    assert "<code>match.ended</code>" in row and "Active" in row
    assert "retrying" in row and "(HTTP 503)" in row
    other = html.split(f"<td>{disabled.pk}</td>")[1].split("</tr>")[0]
    assert "Disabled" in other and DisabledReason.MANUAL.label in other
    assert "All" in other  # no event type named: every type


def test_the_list_never_shows_a_secret_or_the_url_path(manager):
    endpoint = subscriber()
    html = shown(manager.get(LIST))
    assert endpoint.secrets[0] not in html and "whsec_" not in html
    assert "/hook" not in html


def test_the_list_takes_the_same_number_of_queries_for_2_and_12_subscribers(
    manager, django_assert_max_num_queries, django_assert_num_queries
):
    def subscribers(n):
        for _ in range(n):
            endpoint = subscriber()
            OutboundDelivery.objects.create(
                event=publish(type="match.ended", data={}, program_id=None),
                endpoint=endpoint,
                due_at=timezone.now(),
                last_attempt_at=timezone.now(),
            )

    subscribers(2)
    manager.get(LIST)
    with django_assert_max_num_queries(20) as counted:
        assert manager.get(LIST).status_code == 200
    subscribers(10)
    with django_assert_num_queries(len(counted.captured_queries)):
        assert manager.get(LIST).status_code == 200


# --- Adding and editing ---------------------------------------------------------------------


def test_adding_a_subscriber_shows_its_secret_once(manager):
    response = manager.post(
        ADD,
        {
            "url": "http://127.0.0.1:9/hook",
            "description": "Dashboard",
            "event_types": ["match.ended"],
        },
    )

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.description, endpoint.event_types) == ("Dashboard", ["match.ended"])
    assert f'value="{endpoint.secrets[0]}"' in shown(response)
    assert "no-store" in response["Cache-Control"]
    for url in (LIST, reverse("webhooks:subscriber-edit", args=[endpoint.pk])):
        assert endpoint.secrets[0] not in shown(manager.get(url))


def test_a_private_address_is_refused_with_the_services_message(manager):
    no_exception = {**outbound.conf(), "ALLOWED_PRIVATE_NETWORKS": []}
    with override_settings(OUTBOUND_WEBHOOKS=no_exception):
        response = manager.post(ADD, {"url": "http://10.0.0.5/hook", "description": "typed"})

    assert response.status_code == 400
    html = shown(response)
    assert re.search(r'class="field-error" id="url_error">the host resolves to an internal', html)
    assert 'value="typed"' in html  # what was typed is kept
    assert not WebhookEndpoint.objects.exists()


def test_editing_changes_the_event_types_through_the_service(manager):
    endpoint = subscriber()
    url = reverse("webhooks:subscriber-edit", args=[endpoint.pk])

    response = manager.post(url, {"url": endpoint.url, "event_types": ["match.paused"]})

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.event_types == ["match.paused"]


def test_editing_refuses_an_unknown_url_scheme_next_to_the_field(manager):
    endpoint = subscriber()
    url = reverse("webhooks:subscriber-edit", args=[endpoint.pk])
    response = manager.post(url, {"url": "ftp://example.org/hook"})
    assert response.status_code == 400
    assert 'id="url_error"' in shown(response)
    endpoint.refresh_from_db()
    assert endpoint.url == "http://127.0.0.1:9/hook"


# --- Enabling, disabling, rotating ----------------------------------------------------------


def test_disabling_and_enabling_a_subscriber(manager):
    endpoint = subscriber()

    manager.post(reverse("webhooks:subscriber-disable", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.disabled_reason) == (False, DisabledReason.MANUAL)

    manager.post(reverse("webhooks:subscriber-enable", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.disabled_reason) == (True, "")


def test_rotating_shows_the_new_secret_once_and_keeps_the_old_one_signing(manager):
    endpoint = subscriber()
    old = endpoint.secrets[0]

    response = manager.post(reverse("webhooks:subscriber-rotate-secret", args=[endpoint.pk]))

    endpoint.refresh_from_db()
    new = endpoint.secrets[0]
    assert endpoint.secrets == [new, old] and new != old
    assert f'value="{new}"' in shown(response) and old not in shown(response)
    assert new not in shown(manager.get(LIST))


def test_dropping_the_old_secret_keeps_the_newest_only(manager):
    endpoint = subscriber()
    new = outbound.endpoint_rotate_secret(endpoint=endpoint)
    manager.post(reverse("webhooks:subscriber-drop-old-secrets", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secrets == [new]


# --- Deliveries -----------------------------------------------------------------------------


def _failed_delivery(receiver) -> OutboundDelivery:
    _endpoint, receiver.secret = outbound.endpoint_create(url=receiver.url)
    receiver.status = 500
    match_transition(
        match=MatchFactory(status=MatchStatus.ACTIVE),
        to_status=MatchStatus.INACTIVE,
        via="coordinator",
    )
    relay_run()
    OutboundDelivery.objects.update(status=OutboundStatus.FAILED)  # as after the last retry
    return OutboundDelivery.objects.get()


def test_the_deliveries_page_lists_each_attempt_with_status_duration_and_error(manager, receiver):
    delivery = _failed_delivery(receiver)
    (attempt,) = delivery.attempt_log.all()

    html = shown(
        manager.get(reverse("webhooks:subscriber-deliveries", args=[delivery.endpoint_id]))
    )

    assert "<code>match.paused</code>" in html and str(delivery.event_id) in html
    assert f"HTTP 500 · {attempt.duration_ms} ms" in html
    assert f"Re-send delivery {delivery.pk}" in html


def test_re_sending_a_failed_delivery_makes_a_new_attempt(manager, receiver):
    delivery = _failed_delivery(receiver)
    receiver.status = 200

    response = manager.post(reverse("webhooks:subscriber-delivery-resend", args=[delivery.pk]))
    relay_run()

    assert response.status_code == 302
    assert OutboundAttempt.objects.filter(delivery=delivery).count() == 2
    delivery.refresh_from_db()
    assert delivery.status == OutboundStatus.SUCCEEDED
    assert [r.verified for r in receiver.requests] == [True, True]


def test_re_sending_to_a_disabled_subscriber_shows_the_services_refusal(manager):
    endpoint = outbound.endpoint_set_active(endpoint=subscriber(), active=False)
    delivery = OutboundDelivery.objects.create(
        event=publish(type="match.ended", data={}, program_id=None),
        endpoint=endpoint,
        due_at=timezone.now(),
        status=OutboundStatus.FAILED,
    )
    url = reverse("webhooks:subscriber-delivery-resend", args=[delivery.pk])

    html = shown(manager.post(url, follow=True))

    assert "The subscriber is disabled; enable it first." in html
    delivery.refresh_from_db()
    assert delivery.status == OutboundStatus.FAILED


# --- Who -------------------------------------------------------------------------------------


def test_a_coordinator_holding_the_permission_opens_the_pages(manager):
    endpoint = subscriber()
    for url in (LIST, ADD, reverse("webhooks:subscriber-deliveries", args=[endpoint.pk])):
        assert manager.get(url).status_code == 200, url


def test_a_coordinator_without_the_permission_gets_403(client, program):
    client.force_login(coordinator_of(program, username="plain"))
    assert client.get(LIST).status_code == 403


def test_a_viewer_gets_403_even_holding_the_permission(client, program):
    client.force_login(holding_the_permissions(viewer_of(program, username="reader")))
    assert client.get(LIST).status_code == 403
    assert client.post(ADD, {"url": "http://127.0.0.1:9/hook"}).status_code == 403
    assert not WebhookEndpoint.objects.exists()


def test_the_navigation_links_the_subscribers_only_for_those_allowed(client, manager, program):
    home = reverse("enrollments:dashboard")
    assert f'href="{LIST}"' in shown(manager.get(home))
    client.force_login(coordinator_of(program, username="plain"))
    assert f'href="{LIST}"' not in shown(client.get(home))
