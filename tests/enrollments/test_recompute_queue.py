"""The recompute queue: a change queues its people in its own transaction; a drain
recomputes them in batches, once each, and only then forgets them."""

import pytest
from django.db import transaction

from buddy.models import PendingRecompute
from buddy.services import enrollments as queue
from buddy.services.common import people_changed
from buddy.services.enrollments import enrollment_ensure, recompute_drain_request, recompute_soon
from enrollments import services
from enrollments.services import enrollments_recompute_pending
from enrollments.tasks import recompute_pending
from tests.factories import MatchFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ended_match(program):
    """A participant whose only match ended completed: a recompute completes them."""
    match = MatchFactory(ended=True, program=program)
    enrollment = enrollment_ensure(
        person=match.participant, program=program, enrolled_at=match.matched_at, via="test"
    )
    return match, enrollment


def queued() -> list[tuple[int, int]]:
    return list(PendingRecompute.objects.values_list("person_id", "program_id"))


def test_a_change_queues_its_people_in_its_own_transaction(program, ended_match):
    match, _ = ended_match
    with transaction.atomic():
        people_changed([match.participant_id, match.buddy_id], program.pk)
        assert sorted(queued()) == sorted(
            [(match.participant_id, program.pk), (match.buddy_id, program.pk)]
        )


def test_a_change_that_rolls_back_queues_nobody(program, ended_match):
    match, _ = ended_match
    with pytest.raises(RuntimeError), transaction.atomic():
        recompute_soon(person_ids=[match.participant_id], program_id=program.pk)
        raise RuntimeError("the change failed")
    assert queued() == []


def test_the_drain_recomputes_the_queued_people_and_empties_the_queue(
    program, ended_match, django_capture_on_commit_callbacks
):
    match, enrollment = ended_match
    with django_capture_on_commit_callbacks(execute=False):
        recompute_soon(person_ids=[match.participant_id], program_id=program.pk)

    assert enrollments_recompute_pending() == 1

    enrollment.refresh_from_db()
    assert enrollment.status == "completed"
    assert queued() == []


def test_a_person_queued_several_times_is_recomputed_once(
    program, ended_match, monkeypatch, django_capture_on_commit_callbacks
):
    match, _ = ended_match
    calls = []
    monkeypatch.setattr(
        services,
        "enrollments_recompute",
        lambda *, program, person_ids: calls.append(sorted(person_ids)),
    )
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(3):
            recompute_soon(person_ids=[match.participant_id], program_id=program.pk)

    assert enrollments_recompute_pending() == 3
    assert calls == [[match.participant_id]]


def test_a_failed_drain_leaves_the_people_queued(
    program, ended_match, monkeypatch, django_capture_on_commit_callbacks
):
    match, _ = ended_match
    with django_capture_on_commit_callbacks(execute=False):
        recompute_soon(person_ids=[match.participant_id], program_id=program.pk)

    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "enrollments_recompute", fail)
    with pytest.raises(RuntimeError):
        enrollments_recompute_pending()
    assert queued() == [(match.participant_id, program.pk)]


def test_a_drain_takes_at_most_one_batch(program, django_capture_on_commit_callbacks):
    people = [MatchFactory(program=program).participant_id for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=False):
        recompute_soon(person_ids=people, program_id=program.pk)

    assert enrollments_recompute_pending(batch=2) == 2
    assert queued() == [(max(people), program.pk)]  # the oldest rows go first


def test_without_a_broker_the_queue_is_drained_as_soon_as_the_change_commits(
    program, ended_match, django_capture_on_commit_callbacks
):
    match, enrollment = ended_match
    with django_capture_on_commit_callbacks(execute=True):
        recompute_soon(person_ids=[match.participant_id], program_id=program.pk)

    enrollment.refresh_from_db()
    assert enrollment.status == "completed"
    assert queued() == []


@pytest.fixture
def with_broker(monkeypatch, settings):
    """Tasks go to a broker (not run in-process); what is sent is recorded instead."""
    settings.ENROLLMENTS = {**settings.ENROLLMENTS, "RECOMPUTE_DELAY_SECONDS": 3}
    monkeypatch.setattr(queue, "_drain_window", [0.0])
    sent = []
    monkeypatch.setattr(recompute_pending, "apply_async", lambda **kw: sent.append(kw))
    # Celery reads its namespaced settings through the Django settings (restored after)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return sent


def test_with_a_broker_a_burst_of_changes_sends_one_delayed_drain(with_broker):
    for _ in range(50):
        recompute_drain_request()
    assert with_broker == [{"countdown": 3, "expires": 63}]


def test_a_change_after_the_window_closed_sends_the_next_drain(with_broker):
    recompute_drain_request()
    queue._drain_window[0] = 0.0  # the window closed (a second before the task runs)
    recompute_drain_request()
    assert with_broker == [{"countdown": 3, "expires": 63}, {"countdown": 3, "expires": 63}]


def test_the_window_closes_a_second_before_its_drain_runs(with_broker):
    before = queue.time.monotonic()
    recompute_drain_request()
    assert before + 2 <= queue._drain_window[0] <= queue.time.monotonic() + 2


def test_beat_sweeps_the_queue_every_minute(settings):
    sweep = settings.CELERY_BEAT_SCHEDULE["recompute-pending-sweep"]
    assert sweep == {"task": "enrollments.tasks.recompute_pending", "schedule": 60.0}
