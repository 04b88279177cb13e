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

from tests.factories import buddy_program, coordinator_of, viewer_of

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


@pytest.fixture(autouse=True)
def _programs_exist(request):
    """Programs come from a data migration; a transactional test's flush deletes them, so
    put them back for every database test (whatever ran before on this worker)."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or {"db", "transactional_db", "live_server"} & set(
        request.fixturenames
    )
    if uses_db:
        request.getfixturevalue("transactional_db" if _is_transactional(request) else "db")
        from enrollments.models import Program
        from enrollments.program_templates import PROGRAM_TEMPLATES

        if Program.objects.count() < len(PROGRAM_TEMPLATES):
            for template in PROGRAM_TEMPLATES:
                Program.objects.get_or_create(
                    program_type=template["program_type"],
                    defaults={k: v for k, v in template.items() if k != "program_type"},
                )


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        (marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
        or {"transactional_db", "live_server"} & set(request.fixturenames)
    )


@pytest.fixture
def program(db):
    return buddy_program()


@pytest.fixture
def coordinator(db):
    """A coordinator of the buddy program (``buddy.access``)."""
    return coordinator_of(buddy_program(), username="coordinator")


@pytest.fixture
def viewer(db):
    """A viewer of the buddy program: reads it, changes nothing, personal data masked."""
    return viewer_of(buddy_program(), username="viewer")
