"""The signature check: the contract's test vector, rotation, several v1, both sides of
the window, malformed headers, constant-time comparison, no secret configured."""

import json
import time

import pytest

from tests.webhooks.conftest import SECRET, URL, deliver, example
from webhooks.models import WebhookEvent
from webhooks.signature import SignatureInvalid, sign, verify

VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIG = "10c96c6fd3f320fcfc264cdc4f476c15060ede8e8a08404cea2ddf3b72544a9c"


def test_contract_test_vector():
    assert sign("whsec_test_secret", 1614265330, VECTOR_BODY) == VECTOR_SIG
    verify(
        f"t=1614265330,v1={VECTOR_SIG}",
        VECTOR_BODY,
        secrets=["whsec_test_secret"],
        tolerance=300,
        now=1614265330,
    )


@pytest.mark.parametrize(
    "header",
    [
        f"t=1614265330,v1={'0' * 64},v1={VECTOR_SIG}",  # any v1 may match
        f"v1={VECTOR_SIG},t=1614265330",  # any order
        f"t=1614265330,v0=deadbeef,v1={VECTOR_SIG}",  # unknown schemes ignored
        f" t=1614265330 , v1={VECTOR_SIG} ",
    ],
)
def test_accepted_header_forms(header):
    verify(header, VECTOR_BODY, secrets=["whsec_test_secret"], tolerance=300, now=1614265330)


def test_any_configured_secret_matches_during_rotation():
    header = f"t=1614265330,v1={VECTOR_SIG}"
    verify(
        header,
        VECTOR_BODY,
        secrets=["whsec_new_secret", "whsec_test_secret"],
        tolerance=300,
        now=1614265330,
    )


@pytest.mark.parametrize(
    ("header", "now"),
    [
        (f"t=1614265330,v1={VECTOR_SIG}", 1614265330 + 301),  # too old
        (f"t=1614265330,v1={VECTOR_SIG}", 1614265330 - 301),  # too far in the future
        (f"t=abc,v1={VECTOR_SIG}", 1614265330),  # t not an integer
        (f"t=1614265330.5,v1={VECTOR_SIG}", 1614265330),
        (f"t=1614265330,t=1614265330,v1={VECTOR_SIG}", 1614265330),  # two t
        ("t=1614265330", 1614265330),  # no v1
        (f"v1={VECTOR_SIG}", 1614265330),  # no t
        (f"t=1614265330,v1={'0' * 64}", 1614265330),  # wrong signature
        (f"t=1614265330,v0={VECTOR_SIG}", 1614265330),  # only an unknown scheme
        ("garbage", 1614265330),
        ("", 1614265330),
    ],
)
def test_refused_signatures(header, now):
    with pytest.raises(SignatureInvalid):
        verify(header, VECTOR_BODY, secrets=["whsec_test_secret"], tolerance=300, now=now)


def test_window_edges_are_inclusive():
    for now in (1614265330 + 300, 1614265330 - 300):
        verify(
            f"t=1614265330,v1={VECTOR_SIG}",
            VECTOR_BODY,
            secrets=["whsec_test_secret"],
            tolerance=300,
            now=now,
        )


def test_signature_covers_the_raw_bytes_not_reserialised_json(db, client):
    """The same JSON with other whitespace is another body: its signature must be its own."""
    body = json.dumps(example("buddy.checkin.completed"), indent=3).encode()
    assert deliver(client, body).status_code == 500  # authentic; its match is unknown
    compact = json.dumps(json.loads(body)).encode()
    t = int(time.time())
    response = client.generic(
        "POST",
        URL,
        compact,
        content_type="application/json",
        HTTP_X_BUDDY_SIGNATURE=f"t={t},v1={sign(SECRET, t, body)}",
        HTTP_X_DELIVERY_ID="d-1",
    )
    assert response.status_code == 401


def test_compare_digest_is_used(monkeypatch):
    import hmac

    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr("webhooks.signature.hmac.compare_digest", spy)
    verify(
        f"t=1614265330,v1={VECTOR_SIG}",
        VECTOR_BODY,
        secrets=["whsec_test_secret"],
        tolerance=300,
        now=1614265330,
    )
    assert calls


@pytest.mark.parametrize("secrets", [[], [""]])
def test_no_configured_secret_refuses_every_webhook(db, client, settings, caplog, secrets):
    settings.BUDDY_WEBHOOK_SECRETS = [s for s in secrets if s]
    with caplog.at_level("ERROR", logger="webhooks"):
        response = deliver(client, example("buddy.checkin.completed"), secret="")
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"
    assert any(r.getMessage() == "webhook.no_secret_configured" for r in caplog.records)
    assert not WebhookEvent.objects.exists()


def test_unsigned_request_is_401_json(db, client):
    response = client.post(
        URL, example("buddy.checkin.completed"), content_type="application/json",
        HTTP_X_DELIVERY_ID="d-1",
    )  # fmt: skip
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"error", "message"}


def test_expired_signature_through_the_endpoint_is_401(db, client):
    payload = example("buddy.checkin.completed")
    assert deliver(client, payload, t=int(time.time()) - 301).status_code == 401
    assert deliver(client, payload, t=int(time.time()) + 301).status_code == 401
