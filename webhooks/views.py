"""HTTP entry points: the Buddy System receiver, stats, health and metrics.

The receiver applies the contract's checks in its order (size, signature, delivery
id, repeat delivery, validation, event id) and hands the event to the services.
It reads the raw body itself (never DRF's parsed data): the signature covers the
bytes as received.
"""

import logging
import time

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from buddy.access import access_for
from buddy.json_input import JsonRejected, parse_json, unstorable
from core.errors import ValidationFailed
from webhooks import metrics, selectors, services
from webhooks.monitoring import scraper_allowed
from webhooks.signature import SignatureInvalid, verify
from webhooks.validation import validate_event

logger = logging.getLogger("webhooks")

_STARTED = time.monotonic()
SERVICE = "buddy-connector"
#: The receiver's URL (webhooks/urls.py); ``webhooks.middleware`` serves it on a short path.
RECEIVER_ROUTE = "webhooks/buddy-events"


def _error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"status": "error", "message": message, **extra}, status=status)


class LengthRequired(Exception):
    """A body without Content-Length that this server cannot read to its end."""


def _read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The raw body, or None when it is over the limit (reads at most limit + 1 bytes).

    A chunked body (no Content-Length) is read from the server's input stream when the
    server ends that stream with the body (``wsgi.input_terminated``: gunicorn, as under
    ``make serve``); a server that cannot (Django's runserver) gets ``LengthRequired``.
    """
    meta = request.META
    if not meta.get("CONTENT_LENGTH") and "chunked" in meta.get("HTTP_TRANSFER_ENCODING", ""):
        if not meta.get("wsgi.input_terminated"):
            raise LengthRequired
        stream = meta["wsgi.input"]
    else:
        try:
            declared = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return None
        stream = request
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return None if size > limit else b"".join(chunks)


@csrf_exempt
def buddy_events(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return _error(405, "Use POST.")
    started = time.perf_counter()
    metrics.RECEIVED.inc()
    log = {"delivery_id": "", "event_id": "", "event_type": "", "outcome": ""}
    try:
        response = _receive(request, log)
    except Exception as exc:  # never a stack trace or PII in the response
        reason = services.failure_reason(exc)
        log.update(outcome="error", error=reason)
        response = _error(500, "The event could not be stored or processed.", error=reason)
    if response.status_code in (400, 401, 411, 413):
        metrics.REJECTED.labels(str(response.status_code)).inc()
    log.update(
        status=response.status_code, duration_ms=round((time.perf_counter() - started) * 1e3, 2)
    )
    level = logging.WARNING if response.status_code >= 500 else logging.INFO
    logger.log(level, "webhook.delivery", extra=log)
    return response


def _receive(request: HttpRequest, log: dict) -> JsonResponse:
    # 1. size, before anything is computed over the body
    try:
        body = _read_body(request, settings.BUDDY_WEBHOOK_MAX_BODY_BYTES)
    except LengthRequired:
        log["outcome"] = "length_required"
        return _error(411, "Send the body with a Content-Length header.")
    if body is None:
        log["outcome"] = "too_large"
        return _error(413, "The body is larger than 1 MiB.")

    # 2. signature
    try:
        verify(
            request.headers.get("X-Buddy-Signature"),
            body,
            secrets=settings.BUDDY_WEBHOOK_SECRETS,
            tolerance=settings.BUDDY_WEBHOOK_TOLERANCE_SECONDS,
        )
    except SignatureInvalid as exc:
        log.update(outcome="unauthorized", reason=str(exc))
        if not settings.BUDDY_WEBHOOK_SECRETS:
            logger.error("webhook.no_secret_configured")
        return JsonResponse(
            {"error": "Unauthorized", "message": "Invalid or missing signature."}, status=401
        )

    # 3. delivery id
    delivery_id = (request.headers.get("X-Delivery-Id") or "").strip()
    if not delivery_id or len(delivery_id) > 200 or unstorable(delivery_id):
        log["outcome"] = "bad_delivery_id"
        return _error(400, "X-Delivery-Id is required (at most 200 characters).")
    log["delivery_id"] = delivery_id

    # 4. a delivery that already succeeded is answered 202, whatever its body. The check
    # rides along with storing the event (6: one round trip), so a valid body is read
    # first; an invalid one is checked for a repeat before its 400.
    def repeat() -> JsonResponse:
        metrics.DUPLICATES.inc()
        log["outcome"] = "duplicate_delivery"
        return _accepted(delivery_id, "This delivery was already processed.")

    # 5. validation (nothing stored on failure)
    try:
        valid = validate_event(parse_json(body))
    except JsonRejected as exc:
        if services.delivery_mark_repeat(delivery_id=delivery_id):
            return repeat()
        log.update(outcome="invalid", error_paths=[exc.path])
        errors = [{"path": exc.path, "message": exc.message}] if exc.path else []
        return _error(400, f"The body is not valid JSON: {exc.message}.", errors=errors)
    except ValidationFailed as exc:
        if services.delivery_mark_repeat(delivery_id=delivery_id):
            return repeat()
        log.update(outcome="invalid", error_paths=[e.path for e in exc.errors][:20])
        message = "The event is not valid." if exc.code == "validation.failed" else exc.message
        errors = [e.as_dict() for e in exc.errors]
        return _error(400, message, code=exc.code, errors=errors)
    log.update(event_id=str(valid.envelope.id), event_type=valid.envelope.type)

    # 6. event id: stored once; a different payload is a conflict
    stored = services.event_store(valid=valid, delivery_id=delivery_id)
    if stored.repeat:
        return repeat()
    for warning in valid.warnings:
        logger.warning(
            "webhook.schema_warning",
            extra={"event_id": log["event_id"], "kind": warning.kind, "field": warning.field},
        )
    if stored.conflict:
        log["outcome"] = "conflict"
        return _error(409, "This event id was already received with a different payload.")

    # 7./8. process (or find it processed)
    result = services.event_process(
        event=stored.event, delivery=stored.delivery, record=valid.record
    )
    log.update(outcome=result.outcome.value, processing_ms=round(result.seconds * 1e3, 2))
    if result.outcome is services.ProcessingOutcome.DUPLICATE:
        return _accepted(delivery_id, "This event was already processed.")
    if result.outcome is services.ProcessingOutcome.PROCESSED:
        return JsonResponse(
            {"status": "success", "message": "Event processed.", "deliveryId": delivery_id}
        )
    log.update(error=result.error, dead_lettered=result.dead_lettered)
    return _error(500, "Processing failed; the event is kept for retry.", error=result.error)


def _accepted(delivery_id: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"status": "accepted", "message": message, "deliveryId": delivery_id}, status=202
    )


class WebhookStatsView(APIView):
    """``GET /webhooks/stats``: coordinator session or API token (none → 401 JSON), counting
    the events of the login's programs only."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response(selectors.webhook_stats(access=access_for(request.user)))


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "status": "ok",
            "service": SERVICE,
            "timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
            "uptime": round(time.monotonic() - _STARTED, 3),
        }
    )


@require_GET
def health_ready(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok()}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = _broker_ok()
    down = [name for name, ok in checks.items() if not ok]
    body = {
        "status": "ok" if not down else "unavailable",
        "service": SERVICE,
        "timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
    }
    if scraper_allowed(request):  # the details are for monitoring (webhooks.monitoring)
        body["checks"] = {name: "ok" if ok else "down" for name, ok in checks.items()}
    if down:
        body["down"] = down
        body["message"] = "Not ready: " + ", ".join(down) + " down."
    return JsonResponse(body, status=503 if down else 200)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def _broker_ok() -> bool:
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # any broker error means "down"
        return False


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not scraper_allowed(request):
        return _error(403, "Metrics are for the monitoring server (BUDDY_METRICS_TOKEN).")
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)
