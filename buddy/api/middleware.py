"""What an API request does differently from a page, decided here (and only here).

One thing so far: the persistent connection's per-request health check. Django runs
``SELECT 1`` (its own round trip and transaction) before a request's first statement on a
reused connection; under ``/api/`` the check is settled by polling the connection's socket
instead (``core.db.health_check``, as the webhook receiver does): a connection the server
ended has its goodbye waiting on the socket, and then Django's ``SELECT 1`` runs as before
and replaces it. Pages keep Django's own check.

What API requests do *not* skip, measured (bench/README.md, API: what every request costs):
the page middleware (sessions, CSRF, authentication, messages, htmx, axes, whitenoise)
costs a token request ≤ 0.05 ms of CPU together, against ~4 ms for the whole reference
request, so they all still run: a session-authenticated API write needs sessions, CSRF and
the login, the error messages need the locale, and every answer keeps the security headers.
"""

from django.http import HttpRequest, HttpResponse

from core.db import health_check

#: Every API URL starts with this (``config.urls``; ``config.errors`` answers JSON under it).
API_PREFIX = "/api/"


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


class ApiConnectionCheck:
    """Right after ``SecurityMiddleware``: before any statement of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api_request(request):
            health_check.impl.settle()
        return self.get_response(request)
