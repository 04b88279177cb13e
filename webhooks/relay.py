"""The relay: publishes committed outbox events and delivers them to the subscribers
(``relay_run``: ``relay_fan_out`` then ``relay_deliver_due``), at least once. How two
relays never take the same delivery: docs/architecture.md, "The relay".
"""

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from core.outbox import events_publish_pending
from webhooks.models import (
    DisabledReason,
    OutboundAttempt,
    OutboundDelivery,
    OutboundStatus,
    WebhookEndpoint,
)
from webhooks.outbound import conf, next_due, outbound_client, url_refusal

logger = logging.getLogger(__name__)


def claim_seconds(batch: int) -> float:
    """How long claimed deliveries are left alone before another relay may take them: long
    enough for the whole batch to time out, ``WORKERS`` requests at a time, plus a margin."""
    rounds = -(-batch // max(1, conf()["WORKERS"]))
    return rounds * conf()["TIMEOUT_SECONDS"] + 30


@dataclass
class RelayResult:
    published: int = 0
    sent: int = 0
    succeeded: int = 0
    failed: int = 0
    outcomes: list = field(default_factory=list)


# --- 1. Publish -----------------------------------------------------------------------------


def relay_fan_out(*, batch: int = 1000) -> int:
    """Publish committed events in batches; return how many."""
    total = 0
    while True:
        with transaction.atomic():
            events = events_publish_pending(batch=batch)
            if not events:
                return total
            endpoints = list(WebhookEndpoint.objects.active())
            now = timezone.now()
            OutboundDelivery.objects.bulk_create(
                [
                    OutboundDelivery(event=event, endpoint=endpoint, due_at=now)
                    for event in events
                    for endpoint in endpoints
                    if endpoint.wants(event.type)
                ],
                ignore_conflicts=True,
            )
        total += len(events)
        if len(events) < batch:
            return total


# --- 2. Deliver -----------------------------------------------------------------------------


def _claim(*, batch: int, now: datetime) -> list[OutboundDelivery]:
    with transaction.atomic():
        claimed = list(
            OutboundDelivery.objects.due(now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "endpoint")
            .order_by("due_at", "id")[:batch]
        )
        if claimed:
            OutboundDelivery.objects.filter(pk__in=[d.pk for d in claimed]).update(
                due_at=now + timedelta(seconds=claim_seconds(batch))
            )
    return claimed


def signature_header(secrets: list[str], *, msg_id: str, timestamp: datetime, body: str) -> str:
    """``v1,<base64>`` per secret, space-separated (several during a rotation)."""
    return " ".join(Webhook(s).sign(msg_id=msg_id, timestamp=timestamp, data=body) for s in secrets)


def _body(delivery: OutboundDelivery) -> str:
    return json.dumps(delivery.event.envelope(), separators=(",", ":"), sort_keys=True)


@dataclass
class Attempt:
    delivery: OutboundDelivery
    at: datetime
    status_code: int | None
    duration_ms: int
    error: str = ""
    retry_after: float | None = None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _send(client: httpx.Client, delivery: OutboundDelivery, refusal: str | None) -> Attempt:
    at = timezone.now()
    started = time.monotonic()

    def took() -> int:
        return round((time.monotonic() - started) * 1000)

    if refusal:
        return Attempt(delivery, at, None, 0, f"refused: {refusal}")
    body = _body(delivery)
    msg_id = str(delivery.event_id)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature_header(
            delivery.endpoint.secrets, msg_id=msg_id, timestamp=at, body=body
        ),
    }
    try:
        response = client.post(delivery.endpoint.url, content=body.encode(), headers=headers)
    except httpx.TimeoutException:
        return Attempt(delivery, at, None, took(), "timeout")
    except httpx.HTTPError as exc:
        return Attempt(delivery, at, None, took(), f"connection error: {type(exc).__name__}")
    retry_after = _retry_after(response) if response.status_code in (429, 503) else None
    error = "" if response.is_success else f"HTTP {response.status_code}"
    return Attempt(delivery, at, response.status_code, took(), error, retry_after)


def _record(attempts: list[Attempt]) -> tuple[int, int]:
    """Write every attempt and its outcome; update the endpoints' failure record (410
    disables, 5 days of failure disables). One transaction."""
    succeeded = failed = 0
    days = conf()["DISABLE_AFTER_DAYS"]
    with transaction.atomic():
        OutboundAttempt.objects.bulk_create(
            OutboundAttempt(
                delivery=a.delivery,
                at=a.at,
                status_code=a.status_code,
                duration_ms=a.duration_ms,
                error=a.error[:200],
            )
            for a in attempts
        )
        ok_endpoints, failing, gone = set(), set(), set()
        for a in attempts:
            d = a.delivery
            d.attempts += 1
            d.last_attempt_at, d.last_status_code, d.last_error = a.at, a.status_code, a.error
            if not a.error:
                d.status, d.succeeded_at = OutboundStatus.SUCCEEDED, a.at
                ok_endpoints.add(d.endpoint_id)
                succeeded += 1
            else:
                due = next_due(attempts=d.attempts, now=a.at, retry_after=a.retry_after)
                if due is None:
                    d.status = OutboundStatus.FAILED
                else:
                    d.due_at = due
                failing.add(d.endpoint_id)
                if a.status_code == 410:
                    gone.add(d.endpoint_id)
                failed += 1
        OutboundDelivery.objects.bulk_update(
            [a.delivery for a in attempts],
            [
                "attempts",
                "status",
                "due_at",
                "last_attempt_at",
                "last_status_code",
                "last_error",
                "succeeded_at",
            ],
        )
        now = timezone.now()
        # An endpoint with a success in this batch is healthy, whatever else failed.
        WebhookEndpoint.objects.filter(pk__in=ok_endpoints, failing_since__isnull=False).update(
            failing_since=None
        )
        failing -= ok_endpoints
        WebhookEndpoint.objects.filter(pk__in=failing, failing_since__isnull=True).update(
            failing_since=now
        )
        WebhookEndpoint.objects.filter(pk__in=gone, active=True).update(
            active=False, disabled_reason=DisabledReason.GONE, disabled_at=now
        )
        WebhookEndpoint.objects.filter(
            pk__in=failing, active=True, failing_since__lte=now - timedelta(days=days)
        ).update(active=False, disabled_reason=DisabledReason.FAILING, disabled_at=now)
    for endpoint_id in sorted(gone):
        logger.warning(
            "outbound.endpoint_disabled", extra={"endpoint_id": endpoint_id, "reason": "gone"}
        )
    return succeeded, failed


def relay_deliver_due(*, batch: int | None = None, now: datetime | None = None) -> RelayResult:
    """Send every delivery due now, batch after batch, until none is due. The HTTP client
    (its TLS context costs milliseconds to build) and the sending threads exist only once a
    delivery is claimed: most runs (woken by every commit that wrote an event) find none."""
    batch = batch or conf()["BATCH"]
    result = RelayResult()
    claimed = _claim(batch=batch, now=now or timezone.now())
    if not claimed:
        return result
    with (
        outbound_client(timeout=conf()["TIMEOUT_SECONDS"]) as client,
        ThreadPoolExecutor(max_workers=conf()["WORKERS"]) as pool,
    ):
        while claimed:
            refusals = {d.endpoint_id: url_refusal(d.endpoint.url) for d in claimed}
            attempts = list(
                pool.map(
                    _send,
                    [client] * len(claimed),
                    claimed,
                    [refusals[d.endpoint_id] for d in claimed],
                )
            )
            ok, failed = _record(attempts)
            result.sent += len(attempts)
            result.succeeded += ok
            result.failed += failed
            for a in attempts:
                logger.info(
                    "outbound.attempt",
                    extra={
                        "delivery_id": a.delivery.pk,
                        "event_id": str(a.delivery.event_id),
                        "endpoint_id": a.delivery.endpoint_id,
                        "status_code": a.status_code,
                        "outcome": "succeeded" if not a.error else "failed",
                        "duration_ms": a.duration_ms,
                    },
                )
            if len(claimed) < batch:
                return result
            claimed = _claim(batch=batch, now=now or timezone.now())
    return result


def relay_run(*, now: datetime | None = None) -> RelayResult:
    """Publish what committed, then send what is due. Safe to run concurrently."""
    published = relay_fan_out()
    result = relay_deliver_due(now=now)
    result.published = published
    return result


__all__ = ["RelayResult", "relay_deliver_due", "relay_fan_out", "relay_run"]
