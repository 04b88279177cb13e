"""Shared fixtures, and the service markers.

Tests marked ``postgres`` need DATABASE_URL to point at PostgreSQL; tests marked
``redis`` need a Celery broker at CELERY_BROKER_URL. Without the service they are
skipped locally, and fail when BUDDY_REQUIRE_SERVICES=1 (CI sets it), so a CI run
can never pass by silently skipping them.
"""

import os
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

from tests.factories import UserFactory, buddy_program

REQUIRE_SERVICES = os.environ.get("BUDDY_REQUIRE_SERVICES") == "1"


def _redis_answers(url: str) -> bool:
    if not url:
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def pytest_runtest_setup(item):
    missing = []
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        missing.append("PostgreSQL (set DATABASE_URL=postgres://...)")
    if item.get_closest_marker("redis") and not _redis_answers(settings.CELERY_BROKER_URL):
        missing.append("Redis broker (set CELERY_BROKER_URL=redis://...)")
    if missing:
        message = "needs " + " and ".join(missing)
        if REQUIRE_SERVICES:
            pytest.fail(message + " but BUDDY_REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(message)


@pytest.fixture
def program(db):
    return buddy_program()


@pytest.fixture
def coordinator(db):
    return UserFactory(username="coordinator")
