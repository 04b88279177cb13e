"""Subscriber URLs cannot reach internal services: http(s) only, and no loopback, private,
link-local or metadata address unless a configured network allows it."""

import pytest
from django.test import override_settings

from core.errors import ValidationFailed
from webhooks import outbound

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/hook",
        "file:///etc/passwd",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://172.16.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://127.0.0.2:8000/hook",  # loopback outside the allowed 127.0.0.1/32
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://localhost:6379/",
    ],
)
def test_internal_and_non_http_urls_are_refused(url):
    no_exception = {**outbound.conf(), "ALLOWED_PRIVATE_NETWORKS": []}
    with (
        override_settings(OUTBOUND_WEBHOOKS=no_exception),
        pytest.raises(ValidationFailed) as refused,
    ):
        outbound.endpoint_create(url=url)
    assert refused.value.errors[0].path == "url"


def test_a_configured_network_is_allowed():
    with override_settings(
        OUTBOUND_WEBHOOKS={**outbound.conf(), "ALLOWED_PRIVATE_NETWORKS": ["127.0.0.1/32"]}
    ):
        endpoint, secret = outbound.endpoint_create(url="http://127.0.0.1:9/hook")
    assert endpoint.pk and secret.startswith("whsec_")


def test_a_public_address_is_allowed():
    assert outbound.url_refusal("https://93.184.215.14/hook") is None


def test_unknown_event_types_are_refused():
    with pytest.raises(ValidationFailed) as refused:
        outbound.endpoint_create(url="http://127.0.0.1:9/hook", event_types=["match.exploded"])
    assert refused.value.errors[0].path == "eventTypes"
