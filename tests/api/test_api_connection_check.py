"""An API request on a healthy reused connection runs no ``SELECT 1`` health check: it is
settled by the connection's socket (``buddy.api.middleware``, ``core.db.health_check``); a
connection the server ended is still replaced, and pages keep Django's own check.

The WSGI application itself is called, as gunicorn does: Django's test client never resets
a connection's health check between requests."""

import io

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

from buddy.services.tokens import token_create
from tests.clients import end_from_the_server, persistent_connection
from tests.factories import buddy_program, coordinator_of

application = WSGIHandler()


def _get(path: str, token: str) -> int:
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "localhost", "SERVER_PORT": "80", "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO(), "wsgi.input": io.BytesIO(b""),
        "HTTP_AUTHORIZATION": f"Token {token}", "HTTP_ACCEPT": "application/json",
    }  # fmt: skip
    status: list[str] = []
    response = application(environ, lambda s, h, exc_info=None: status.append(s))
    b"".join(response)
    response.close()
    return int(status[0][:3])


@pytest.fixture
def persistent(transactional_db, monkeypatch):
    """A persistent connection (as in production), a token, and a count of ``SELECT 1``."""
    checks = persistent_connection(monkeypatch)
    _row, token = token_create(user=coordinator_of(buddy_program()), name="script")
    yield checks, token
    connection.close()


postgres = pytest.mark.postgres


@postgres
def test_an_api_request_on_a_healthy_reused_connection_runs_no_select_1(persistent):
    checks, token = persistent
    assert _get("/api/matches/", token) == 200
    assert connection.connection is not None  # kept for the next request
    checks.clear()
    assert _get("/api/matches/", token) == 200
    assert checks == []


@postgres
def test_an_api_request_on_a_connection_the_server_ended_gets_a_new_one(persistent):
    checks, token = persistent
    assert _get("/api/matches/", token) == 200
    pid = end_from_the_server(connection)
    checks.clear()
    assert _get("/api/matches/", token) == 200
    assert checks == [1]  # Django's own check ran, failed, and the connection was replaced
    assert connection.connection.info.backend_pid != pid


@postgres
def test_a_page_keeps_djangos_health_check(persistent):
    checks, token = persistent
    assert _get("/api/matches/", token) == 200
    checks.clear()
    assert _get("/health/ready", token) in (200, 503)
    assert checks == [1]
