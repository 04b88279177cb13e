"""The receiver's short way through the request cycle (issue 23, bench/README.md).

``POST /webhooks/buddy-events`` needs none of what the middleware after this one does
(static files, sessions, locale, CSRF — the view is exempt —, authentication, messages,
htmx, the login lock-out) nor URL resolving: at ~0.5 ms of CPU per request that is a fifth
of the receiver's whole Python time. So this middleware, right after Django's
``SecurityMiddleware`` (https redirect and security headers stay), hands that one path
straight to the same view, ``webhooks.views.buddy_events``, and adds what the skipped
middleware would have added to its answer: the ``ALLOWED_HOSTS`` check, ``Content-Length``
(CommonMiddleware) and ``X-Frame-Options`` (XFrameOptionsMiddleware). Every check of the
contract, the log line and the metrics are the view's, unchanged. Every other request
goes down the whole chain.

The connection's health check (``CONN_HEALTH_CHECKS``) is settled by polling its socket
(``core.db.health_check``): a ``SELECT 1`` only when the socket shows the server said
something (a dropped connection), not on every delivery.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.db import health_check
from webhooks import views


class ReceiverFastPath:
    def __init__(self, get_response):
        self.get_response = get_response
        self.path = "/" + views.RECEIVER_ROUTE

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != self.path:
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS (DisallowedHost: Django's 400)
        health_check.impl.settle()
        response = views.buddy_events(request)
        if not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS.upper())
        return response
