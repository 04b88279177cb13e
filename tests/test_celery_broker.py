"""Tasks travel through the real broker to a real worker (Redis in CI)."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from buddy.models import PendingRecompute
from buddy.services import enrollments as enrollment_services
from buddy.services.common import people_changed
from buddy.services.enrollments import enrollment_ensure
from config.celery_app import app
from enrollments.tasks import recompute_people
from tests.factories import MatchFactory, buddy_program


@pytest.fixture
def celery_worker_on_broker(settings):
    """An in-process worker consuming the configured broker, with eager mode off."""
    # Celery reads its namespaced settings through the Django settings (restored after);
    # the broker is CELERY_BROKER_URL's
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        yield


# Generous: the wait ends as soon as the status is reached, and a machine busy with other
# suites can take many seconds to start a worker and run the task.
def wait_for_status(enrollment, status: str, seconds: float = 90) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        enrollment.refresh_from_db()
        if enrollment.status == status:
            break
        time.sleep(0.1)
    return enrollment.status


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_recompute_task_is_executed_by_a_worker_through_the_broker(celery_worker_on_broker):
    program = buddy_program()
    match = MatchFactory(ended=True)
    enrollment = enrollment_ensure(
        person=match.participant, program=program, enrolled_at=match.matched_at, via="test"
    )
    recompute_people.delay(person_ids=[match.participant_id], program_id=program.pk)
    assert wait_for_status(enrollment, "completed") == "completed"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_committed_change_is_recomputed_by_a_worker_draining_the_queue(
    celery_worker_on_broker, settings, monkeypatch
):
    settings.ENROLLMENTS = {**settings.ENROLLMENTS, "RECOMPUTE_DELAY_SECONDS": 2}
    monkeypatch.setattr(enrollment_services, "_drain_window", [0.0])
    program = buddy_program()
    match = MatchFactory(ended=True)
    enrollment = enrollment_ensure(
        person=match.participant, program=program, enrolled_at=match.matched_at, via="test"
    )
    with transaction.atomic():  # the change: its people queued, a drain requested on commit
        people_changed([match.participant_id], program.pk)

    assert wait_for_status(enrollment, "completed") == "completed"
    assert not PendingRecompute.objects.exists()
