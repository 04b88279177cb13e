"""Deliveries to subscribers follow Standard Webhooks, against a real receiver on 127.0.0.1
that verifies each one with the ``standardwebhooks`` package: signatures, retries with the
same id and a fresh signature, 410, 429/503 Retry-After, timeouts, disabling, re-sending."""

import socket
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from buddy.models import Match, MatchStatus
from buddy.services.matches import match_end, match_transition
from core.models import OutboxEvent
from enrollments.attention import attention_queue
from tests.factories import MatchFactory
from tests.webhooks.receiver import Receiver
from webhooks import outbound
from webhooks.models import OutboundDelivery, OutboundStatus, WebhookEndpoint
from webhooks.relay import relay_deliver_due, relay_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def subscriber(receiver):
    endpoint, secret = outbound.endpoint_create(url=receiver.url, description="test")
    receiver.secret = secret
    return endpoint


def pause_a_match():
    match = MatchFactory(status=MatchStatus.ACTIVE)
    match_transition(match=match, to_status=MatchStatus.INACTIVE, via="coordinator")
    return OutboxEvent.objects.get(type="match.paused")


def only_delivery() -> OutboundDelivery:
    (delivery,) = OutboundDelivery.objects.all()
    return delivery


def later(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def test_every_delivery_verifies_with_the_standardwebhooks_package(subscriber, receiver):
    event = pause_a_match()
    result = relay_run()
    assert result.published == 1 and result.succeeded == 1
    (request,) = receiver.requests
    assert request.verified
    assert request.headers["webhook-id"] == str(event.id)
    assert request.payload == event.envelope()
    assert request.payload["type"] == "match.paused"
    delivery = only_delivery()
    assert delivery.status == OutboundStatus.SUCCEEDED and delivery.attempts == 1
    (attempt,) = delivery.attempt_log.all()
    assert attempt.status_code == 200 and attempt.error == ""


def test_only_the_event_types_an_endpoint_chose_are_delivered(receiver):
    _, receiver.secret = outbound.endpoint_create(url=receiver.url, event_types=["match.ended"])
    pause_a_match()
    relay_run()
    assert receiver.requests == [] and not OutboundDelivery.objects.exists()
    match_end(
        match=Match.objects.get(), ended_at=timezone.now(), end_reason="completed", via="import"
    )
    relay_run()
    assert [r.payload["type"] for r in receiver.requests] == ["match.ended"]


def test_a_failed_attempt_is_retried_with_the_same_id_and_a_fresh_signature(subscriber, receiver):
    receiver.status = 500
    event = pause_a_match()
    relay_run()
    delivery = only_delivery()
    assert delivery.status == OutboundStatus.PENDING and delivery.last_status_code == 500
    wait = (delivery.due_at - delivery.last_attempt_at).total_seconds()
    assert 4.5 <= wait <= 5.5  # the second attempt: 5 s ± 10 %
    assert relay_deliver_due().sent == 0  # not due yet

    time.sleep(1.05)  # timestamps are whole seconds
    receiver.status = 200
    assert relay_deliver_due(now=later(6)).succeeded == 1
    first, second = receiver.requests
    assert first.verified and second.verified
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(event.id)
    assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]
    assert first.headers["webhook-signature"] != second.headers["webhook-signature"]
    assert [a.status_code for a in only_delivery().attempt_log.all()] == [500, 200]


@pytest.mark.parametrize("status", [301, 400, 404, 500])
def test_only_a_2xx_answer_is_a_success(subscriber, receiver, status):
    receiver.status = status
    receiver.headers = {"location": "http://127.0.0.1:1/elsewhere"}
    pause_a_match()
    relay_run()
    assert len(receiver.requests) == 1  # a redirect is not followed
    delivery = only_delivery()
    assert delivery.status == OutboundStatus.PENDING and delivery.attempts == 1
    assert delivery.last_error == f"HTTP {status}"


def test_410_gone_disables_the_endpoint(subscriber, receiver):
    receiver.status = 410
    pause_a_match()
    relay_run()
    subscriber.refresh_from_db()
    assert not subscriber.active and subscriber.disabled_reason == "gone"
    receiver.status = 200
    assert relay_deliver_due(now=later(3600)).sent == 0  # nothing goes to a disabled endpoint


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(subscriber, receiver, status):
    receiver.status, receiver.headers = status, {"retry-after": "120"}
    pause_a_match()
    relay_run()
    delivery = only_delivery()
    wait = (delivery.due_at - delivery.last_attempt_at).total_seconds()
    assert 119 <= wait <= 121
    assert relay_deliver_due(now=later(60)).sent == 0


def test_an_answer_slower_than_the_timeout_is_a_failure(subscriber, receiver, settings):
    settings.OUTBOUND_WEBHOOKS = {**settings.OUTBOUND_WEBHOOKS, "TIMEOUT_SECONDS": 0.5}
    receiver.delay = 1.5
    pause_a_match()
    relay_run()
    delivery = only_delivery()
    assert delivery.status == OutboundStatus.PENDING and delivery.last_error == "timeout"
    (attempt,) = delivery.attempt_log.all()
    assert attempt.status_code is None and attempt.duration_ms >= 450


def test_the_response_body_is_never_recorded(subscriber, receiver):
    receiver.status = 500  # the receiver answers {"ok": false}
    pause_a_match()
    relay_run()
    (attempt,) = only_delivery().attempt_log.all()
    assert attempt.error == "HTTP 500"


def test_after_the_last_retry_the_delivery_fails(subscriber, receiver):
    receiver.status = 500
    pause_a_match()
    relay_run()
    OutboundDelivery.objects.update(attempts=9)
    relay_deliver_due(now=later(86400 * 2))
    delivery = only_delivery()
    assert delivery.attempts == 10 and delivery.status == OutboundStatus.FAILED


def test_the_retry_schedule_spans_about_three_days_with_jitter():
    now = timezone.now()
    waits = [(outbound.next_due(attempts=n, now=now) - now).total_seconds() for n in range(1, 10)]
    expected = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    assert all(0.9 * e <= w <= 1.1 * e for w, e in zip(waits, expected, strict=True))
    assert outbound.next_due(attempts=10, now=now) is None
    assert 2.8 < sum(expected) / 86400 < 3.4


def test_an_endpoint_failing_for_five_days_is_disabled_and_needs_attention(
    subscriber, receiver, program
):
    receiver.status = 500
    pause_a_match()
    relay_run()
    subscriber.refresh_from_db()
    assert subscriber.active and subscriber.failing_since is not None
    WebhookEndpoint.objects.update(failing_since=timezone.now() - timedelta(days=5, minutes=1))
    relay_deliver_due(now=later(3600))
    subscriber.refresh_from_db()
    assert not subscriber.active and subscriber.disabled_reason == "failing"
    kinds = {item.kind: item for item in attention_queue(program=program)}
    assert "webhooks.subscriber_disabled" in kinds
    assert str(subscriber.pk) in kinds["webhooks.subscriber_disabled"].title


def test_a_success_clears_the_failure_record(subscriber, receiver):
    receiver.status = 500
    pause_a_match()
    relay_run()
    receiver.status = 200
    relay_deliver_due(now=later(10))
    subscriber.refresh_from_db()
    assert subscriber.failing_since is None


def test_during_a_rotation_both_secrets_sign_every_delivery(subscriber, receiver):
    old_secret = receiver.secret
    new_secret = outbound.endpoint_rotate_secret(endpoint=subscriber)
    pause_a_match()
    relay_run()
    (request,) = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    from standardwebhooks.webhooks import Webhook

    for secret in (old_secret, new_secret):
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "match.paused"


def test_a_failed_delivery_can_be_sent_again(subscriber, receiver):
    receiver.status = 500
    pause_a_match()
    relay_run()
    OutboundDelivery.objects.update(status=OutboundStatus.FAILED, attempts=10)
    receiver.status = 200
    outbound.delivery_resend(delivery=only_delivery())
    assert relay_deliver_due().succeeded == 1
    delivery = only_delivery()
    assert delivery.status == OutboundStatus.SUCCEEDED and delivery.attempt_log.count() == 2


def test_an_endpoint_whose_host_became_internal_is_not_called(subscriber, receiver):
    pause_a_match()
    with override_settings(OUTBOUND_WEBHOOKS={**outbound.conf(), "ALLOWED_PRIVATE_NETWORKS": []}):
        relay_run()
    assert receiver.requests == []
    assert only_delivery().last_error == "refused: the host resolves to an internal address"


def test_a_host_that_starts_resolving_internally_after_the_check_is_not_called(
    subscriber, receiver, monkeypatch
):
    """DNS rebinding: the check before the send sees a public address, the connection would
    see the receiver's loopback one. The client connects only to an address it checked."""
    answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 80))]])
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):  # public once, then the real (loopback) answer
        return next(answers, None) or real(host, port, *args, **kwargs)

    monkeypatch.setattr(outbound.socket, "getaddrinfo", rebinding)
    pause_a_match()
    with override_settings(OUTBOUND_WEBHOOKS={**outbound.conf(), "ALLOWED_PRIVATE_NETWORKS": []}):
        relay_run()
    assert receiver.requests == []
    assert only_delivery().status != OutboundStatus.SUCCEEDED


def test_a_relay_run_with_nothing_due_builds_no_http_client(subscriber, monkeypatch):
    # every commit that wrote an event wakes a run; most find nothing to send, and the
    # client's TLS context costs milliseconds to build
    import webhooks.relay

    def no_client(**kwargs):
        raise AssertionError("an HTTP client was built with nothing to send")

    monkeypatch.setattr(webhooks.relay, "outbound_client", no_client)
    assert relay_run().sent == 0
