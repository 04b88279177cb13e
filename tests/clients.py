"""How tests reach the app as its clients do: an API client with a personal token, and a
persistent database connection (production's) whose per-request ``SELECT 1`` is counted."""

import select
import time

import psycopg
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient


def token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def persistent_connection(monkeypatch) -> list:
    """Make the test's connection persistent (``CONN_MAX_AGE`` None, as in production) and
    count Django's health checks of it (``SELECT 1``): the list gets an item per check.
    The caller closes the connection when done."""
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", None)
    checks = []
    is_usable = connection.is_usable

    def counted():
        checks.append(1)
        return is_usable()

    monkeypatch.setattr(connection, "is_usable", counted)
    return checks


def queries_of_a_repeat_request(token: str, path: str = "/api/matches/") -> list[dict]:
    """The statements of a token's second request to ``path`` (its first records the
    token's last use); the request must answer 200."""
    client = token_client(token)
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return queries.captured_queries


def end_from_the_server(conn) -> int:
    """End ``conn``'s session from another one (as a server restart or an idle timeout
    would) and wait until its goodbye has reached the socket; returns the ended session's
    backend pid."""
    pid, sock = conn.connection.info.backend_pid, conn.connection.pgconn.socket
    with psycopg.connect(conn.connection.info.dsn, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while not select.select([sock], [], [], 0.05)[0] and time.monotonic() < deadline:
        pass
    return pid
