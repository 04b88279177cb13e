"""Subscribers of the events this app publishes: every change of an endpoint or a delivery.

``endpoint_create`` (the admin, the API and ``add_subscriber`` call it) checks the URL
(``url_refusal``: http(s) only, no loopback, private, link-local or metadata address unless
``OUTBOUND_WEBHOOKS["ALLOWED_PRIVATE_NETWORKS"]`` allows it) and the event types, and makes
the first secret; ``endpoint_rotate_secret`` adds a new one (deliveries are signed with each
until the old one is dropped). ``delivery_resend`` puts a delivery back in the queue.
Sending is ``webhooks.relay``.
"""

import base64
import ipaddress
import logging
import random
import secrets
import socket
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import outbox
from core.errors import FieldError, RuleViolation, ValidationFailed
from webhooks.models import (
    DisabledReason,
    OutboundDelivery,
    OutboundStatus,
    WebhookEndpoint,
)

logger = logging.getLogger(__name__)

#: Secrets kept at once: the new one and the one being retired.
MAX_SECRETS = 2


def conf() -> dict:
    return settings.OUTBOUND_WEBHOOKS


def new_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes (Standard Webhooks: 24-64 bytes)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# --- The URL guard --------------------------------------------------------------------------


def _allowed_networks():
    return [ipaddress.ip_network(n, strict=False) for n in conf()["ALLOWED_PRIVATE_NETWORKS"]]


def _internal(address) -> bool:
    return not address.is_global or address.is_multicast


def url_refusal(url: str) -> str | None:
    """Why a request to this URL is refused, or None: only http(s), and every address the
    host resolves to must be public (loopback, private, link-local, e.g. the cloud metadata
    address 169.254.169.254, and other reserved ranges refused) unless a configured network
    allows it. Checked when an endpoint is saved and again before every send (a name can
    start resolving elsewhere)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "only http and https URLs are allowed"
    if not parts.hostname:
        return "the URL has no host"
    refusal, _address = address_checked(
        parts.hostname, port or (443 if parts.scheme == "https" else 80)
    )
    return refusal


def address_checked(host: str, port: int) -> tuple[str | None, str | None]:
    """Resolve the host once: (why it is refused, None), or (None, the address to connect
    to) when every address it resolves to is public or in an allowed network."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return "the host does not resolve", None
    allowed = _allowed_networks()
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if getattr(address, "ipv4_mapped", None):
            address = address.ipv4_mapped
        if _internal(address) and not any(address in network for network in allowed):
            return "the host resolves to an internal address", None
    return None, infos[0][4][0]


class CheckedAddressBackend(httpcore.SyncBackend):
    """Connects to the very address it checked. ``url_refusal`` before a send is not enough
    on its own: the HTTP client would resolve the name again to connect, and a name that
    changes its answer in between (DNS rebinding) would reach an internal address. TLS still
    verifies the certificate against the URL's host name (httpcore passes it separately)."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        refusal, address = address_checked(host, port)
        if refusal:
            raise httpcore.ConnectError(refusal)
        return super().connect_tcp(
            address, port, timeout=timeout, local_address=local_address,
            socket_options=socket_options,
        )  # fmt: skip


def outbound_client(*, timeout: float) -> httpx.Client:
    """The HTTP client of every outbound delivery: no redirects, connecting only to checked
    addresses."""
    transport = httpx.HTTPTransport()
    # httpcore's pool takes a network backend; httpx's transport does not pass one through
    transport._pool._network_backend = CheckedAddressBackend()
    return httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)


# --- Endpoints ------------------------------------------------------------------------------


def _check(*, url: str, event_types: list[str]) -> list[str]:
    errors = []
    refusal = url_refusal(url)
    if refusal:
        errors.append(FieldError("url", refusal))
    unknown = sorted(set(event_types) - set(outbox.EVENT_TYPES))
    if unknown:
        errors.append(FieldError("eventTypes", "unknown event type: " + ", ".join(unknown)))
    if errors:
        raise ValidationFailed(errors)
    return sorted(set(event_types))


@transaction.atomic
def endpoint_create(
    *, url: str, description: str = "", event_types: list[str] | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new subscriber (all event types when none is named); returns it and its secret,
    which is shown this once."""
    types = _check(url=url, event_types=list(event_types or []))
    secret = new_secret()
    endpoint = WebhookEndpoint(
        url=url, description=description[:200], event_types=types, secrets=[secret]
    )
    endpoint.full_clean()
    endpoint.save()
    logger.info("outbound.endpoint_created", extra={"endpoint_id": endpoint.pk})
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    description: str | None = None,
    event_types: list[str] | None = None,
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    new_url = endpoint.url if url is None else url
    types = endpoint.event_types if event_types is None else event_types
    endpoint.event_types = _check(url=new_url, event_types=list(types))
    endpoint.url = new_url
    if description is not None:
        endpoint.description = description[:200]
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> str:
    """Add a new secret (returned, shown once). Deliveries are signed with it and with the
    previous one (two ``v1,`` signatures) until ``endpoint_drop_old_secrets``."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = new_secret()
    endpoint.secrets = [secret, *endpoint.secrets][:MAX_SECRETS]
    endpoint.save(update_fields=["secrets"])
    logger.info("outbound.secret_rotated", extra={"endpoint_id": endpoint.pk})
    return secret


@transaction.atomic
def endpoint_drop_old_secrets(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secrets = endpoint.secrets[:1]
    endpoint.save(update_fields=["secrets"])
    return endpoint


@transaction.atomic
def endpoint_set_active(*, endpoint: WebhookEndpoint, active: bool) -> WebhookEndpoint:
    """Enable (clears the failure record: deliveries still pending go out) or disable."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.active = active
    if active:
        endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since = "", None, None
        outbox.wake_relay_on_commit()
    else:
        endpoint.disabled_reason, endpoint.disabled_at = DisabledReason.MANUAL, timezone.now()
    endpoint.save()
    return endpoint


# --- Deliveries -----------------------------------------------------------------------------


@transaction.atomic
def delivery_resend(*, delivery: OutboundDelivery) -> OutboundDelivery:
    """Send the delivery again now (a coordinator's re-send), with a fresh retry schedule.
    A delivery that succeeded is sent again too (consumers dedupe by ``webhook-id``)."""
    delivery = OutboundDelivery.objects.select_for_update().get(pk=delivery.pk)
    if not delivery.endpoint.active:
        raise RuleViolation(
            "outbound.endpoint_disabled", "The subscriber is disabled; enable it first."
        )
    delivery.status, delivery.attempts, delivery.due_at = OutboundStatus.PENDING, 0, timezone.now()
    delivery.save(update_fields=["status", "attempts", "due_at"])
    outbox.wake_relay_on_commit()
    logger.info("outbound.resend", extra={"delivery_id": delivery.pk})
    return delivery


def next_due(*, attempts: int, now: datetime, retry_after: float | None = None) -> datetime | None:
    """When to try again after ``attempts`` failed attempts (None: no more attempts).
    A ``Retry-After`` the receiver sent replaces the schedule's wait (capped)."""
    schedule = conf()["RETRY_SCHEDULE_SECONDS"]
    if attempts > len(schedule):
        return None
    if retry_after is not None:
        return now + timedelta(seconds=min(retry_after, conf()["RETRY_AFTER_MAX_SECONDS"]))
    wait = schedule[attempts - 1]
    jitter = conf()["JITTER"]
    return now + timedelta(seconds=wait * random.uniform(1 - jitter, 1 + jitter))
