"""Tasks travel through the real broker to a real worker (Redis in CI)."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery_app import app
from enrollments.models import Enrollment
from enrollments.services import enrollment_ensure
from enrollments.tasks import recompute_people
from tests.factories import MatchFactory, buddy_program


@pytest.fixture
def celery_worker_on_broker(settings):
    """An in-process worker consuming the configured broker, with eager mode off."""
    app.conf.task_always_eager = False
    app.conf.broker_url = settings.CELERY_BROKER_URL
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = True


@pytest.mark.redis
def test_a_recompute_task_is_executed_by_a_worker_through_the_broker(
    transactional_db, celery_worker_on_broker
):
    program = buddy_program()
    match = MatchFactory(ended=True)
    enrollment = enrollment_ensure(
        person=match.participant, program=program, enrolled_at=match.matched_at, via="test"
    )
    recompute_people.delay(person_ids=[match.participant_id], program_id=program.pk)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        enrollment.refresh_from_db()
        if enrollment.status == "completed":
            break
        time.sleep(0.1)
    assert Enrollment.objects.get(pk=enrollment.pk).status == "completed"
