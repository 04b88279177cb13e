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
from django.utils import translation

from core.db import is_postgresql
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
    if item.get_closest_marker("postgres") and not is_postgresql():
        missing.append("PostgreSQL (set DATABASE_URL=postgres://...)")
    if item.get_closest_marker("redis") and not _redis_answers(settings.CELERY_BROKER_URL):
        missing.append("Redis broker (set CELERY_BROKER_URL=redis://...)")
    if missing:
        message = "needs " + " and ".join(missing)
        if REQUIRE_SERVICES:
            pytest.fail(message + " but BUDDY_REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(message)


@pytest.fixture(autouse=True)
def _each_test_starts_in_the_default_language():
    """A page read in German (the locale middleware activates the reader's language for the
    thread) or a test that activated one must not leave it to the next test on the worker."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _transactional_tests_flush_plainly(request):
    """Every test starts on the rows the migrations made (content types, permissions, the
    role groups, the programs), whatever ran before it on this worker (xdist hands out
    whole files in any order, so a plain test may follow a transactional one).

    A transactional test ends with a flush. A plain flush runs ``post_migrate``: content
    types and permissions are made again (``buddy.access.role_group`` makes a missing role
    group with its permissions), and ``pytest_runtest_teardown`` below puts the programs
    back. ``serialized_rollback`` is refused: its flush skips ``post_migrate`` and restores
    the rows only when the next *serialized* test starts, so a plain test in between finds
    no permission, and a serialized copy of the content types clashes with the ones a plain
    flush made under new ids."""
    if _is_transactional(request.node) and _is_serialized(request.node):
        pytest.fail(
            "a transactional test must not use serialized_rollback "
            "(see tests/conftest.py::_transactional_tests_flush_plainly)",
            pytrace=False,
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield  # every fixture is finalized here: a transactional test's flush has run
    # (after the last test the session's fixtures are gone too: the test database with them)
    if nextitem is not None and _is_transactional(item):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            _programs_back()


def _programs_back():
    """The programs of the data migration (enrollments 0002), after a flush."""
    from django.contrib.contenttypes.models import ContentType

    from buddy.models import Program
    from enrollments.program_templates import PROGRAM_TEMPLATES

    for template in PROGRAM_TEMPLATES:
        Program.objects.get_or_create(
            program_type=template["program_type"],
            defaults={k: v for k, v in template.items() if k != "program_type"},
        )
    ContentType.objects.clear_cache()


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(
        (marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
        or {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
    )


def _is_serialized(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(
        (marker and marker.kwargs.get("serialized_rollback"))
        or "django_db_serialized_rollback" in getattr(item, "fixturenames", ())
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
