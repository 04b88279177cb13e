"""How tests reach the app as its clients do: an API client with a personal token, and a
persistent database connection (production's) whose per-request ``SELECT 1`` is counted."""

from django.db import connection
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
