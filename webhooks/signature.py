"""The ``X-Buddy-Signature`` check (``WEBHOOKS.md``, Signature).

``t=<unix seconds>,v1=<hex>[,v1=<hex>…]``: a request is authentic when any ``v1``
equals HMAC-SHA256(secret, ``"<t>." + raw body``) for any configured secret, and
``t`` is within the tolerance on both sides of now.
"""

import hashlib
import hmac
import re
import time
from collections.abc import Sequence

_INT = re.compile(r"^-?[0-9]{1,15}$")


class SignatureInvalid(Exception):
    """Why a signature was refused (a short, fixed reason; safe to log and return)."""


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``v1`` value for a body (sender side; used by tests and the benchmark)."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={sign(secret, t, body)}"


def verify(
    header: str | None,
    body: bytes,
    *,
    secrets: Sequence[str],
    tolerance: int,
    now: float | None = None,
) -> None:
    """Return when the signature is valid; raise ``SignatureInvalid`` otherwise."""
    if not secrets:
        raise SignatureInvalid("no webhook secret configured")
    if not header:
        raise SignatureInvalid("missing signature")
    timestamps, candidates = [], []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureInvalid("malformed signature")
        if key == "t":
            timestamps.append(value.strip())
        elif key == "v1":
            candidates.append(value.strip())
        # other schemes (v0=…) are ignored
    if len(timestamps) != 1 or not candidates:
        raise SignatureInvalid("malformed signature")
    if not _INT.match(timestamps[0]):
        raise SignatureInvalid("malformed timestamp")
    t = int(timestamps[0])
    now = time.time() if now is None else now
    if abs(now - t) > tolerance:
        raise SignatureInvalid("timestamp outside the tolerance")
    expected = [sign(secret, t, body).encode() for secret in secrets]
    matched = False
    for candidate in candidates:
        given = candidate.lower().encode()
        for digest in expected:
            # every pair is compared (no early exit): timing says nothing about which matched
            matched |= hmac.compare_digest(given, digest)
    if not matched:
        raise SignatureInvalid("signature mismatch")
