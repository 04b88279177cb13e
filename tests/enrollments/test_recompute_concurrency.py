"""Recomputes of the same people racing (two Celery workers, a drain and the nightly run) on
PostgreSQL: each status transition is written once and the flags are those of one run.

Each thread has its own database connection (Django opens one per thread) and closes it.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection

from buddy.models import Enrollment, EnrollmentStatus, EnrollmentStatusChange
from buddy.services import enrollments as queue
from enrollments import journey, recompute_sql, services
from enrollments.models import JourneyFlags
from enrollments.services import enrollments_recompute, enrollments_recompute_program
from tests.factories import (
    BuddyFactory,
    CheckInFactory,
    EnrollmentFactory,
    MatchFactory,
    ParticipantFactory,
    buddy_program,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

#: How long the first recompute holds its row locks before writing, so that the other
#: one reaches its own reads and writes in the meantime.
HOLD_SECONDS = 0.5


@pytest.fixture
def just_ended(now):
    """A participant (and their buddy) whose only match ended a moment ago, still active:
    the next recompute moves both enrollments to ``completed``."""
    program = buddy_program()
    participant, buddy = ParticipantFactory(), BuddyFactory()
    for person in (participant, buddy):
        EnrollmentFactory(person=person, program=program, enrolled_at=now - timedelta(days=90))
    match = MatchFactory(
        program=program,
        participant=participant,
        buddy=buddy,
        matched_at=now - timedelta(days=60),
        status="ended",
        ended_at=now - timedelta(minutes=1),
        end_reason="completed",
    )
    CheckInFactory(match=match, checkin_date=now - timedelta(days=3), mood="good")
    return Enrollment.objects.get(person=participant, program=program)


def run_together(*calls):
    """Run the calls in threads that start at the same moment; return their results."""
    barrier = threading.Barrier(len(calls))

    def one(call):
        try:
            barrier.wait()
            return call()
        finally:
            connection.close()  # this thread's connection

    with ThreadPoolExecutor(len(calls)) as pool:
        return [future.result() for future in [pool.submit(one, call) for call in calls]]


def completions(enrollment) -> list[tuple[str, str]]:
    return list(
        EnrollmentStatusChange.objects.filter(
            enrollment=enrollment, to_status=EnrollmentStatus.COMPLETED
        ).values_list("from_status", "to_status")
    )


def assert_as_one_run(enrollment, now):
    """Status, completed_at and flags are what a single recompute derives."""
    enrollment.refresh_from_db()
    derived = journey.derive(journey.person_facts(enrollment), now=now)
    assert (enrollment.status, enrollment.completed_at) == (
        derived.status,
        derived.completed_at,
    )
    flags = JourneyFlags.objects.get(enrollment=enrollment)
    assert {name: getattr(flags, name) for name in derived.flags} == derived.flags


def test_two_recomputes_of_one_person_write_one_status_change(just_ended, now):
    program, person_id = just_ended.program, just_ended.person_id
    recompute = lambda: enrollments_recompute(  # noqa: E731
        program=program, person_ids=[person_id], now=now
    )
    changed = run_together(recompute, recompute)
    assert sorted(changed) == [0, 1]
    assert completions(just_ended) == [(EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED)]
    assert_as_one_run(just_ended, now)


def test_a_person_and_their_whole_program_recomputed_together_write_one_status_change(
    just_ended, now
):
    program, person_id = just_ended.program, just_ended.person_id
    run_together(
        lambda: enrollments_recompute(program=program, person_ids=[person_id], now=now),
        lambda: enrollments_recompute_program(program=program, now=now),
    )
    assert completions(just_ended) == [(EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED)]
    assert_as_one_run(just_ended, now)


def test_a_program_recompute_waits_for_a_person_recompute_holding_the_row(
    just_ended, now, monkeypatch
):
    """The per-person path has locked and read the enrollment (still active) and is about
    to write when the set-based run starts: the set-based run must not decide from the
    status it read before that write commits."""
    program, person_id = just_ended.program, just_ended.person_id
    locked = threading.Event()
    apply = services._apply

    def slow_apply(*args, **kwargs):
        locked.set()
        time.sleep(HOLD_SECONDS)
        return apply(*args, **kwargs)

    monkeypatch.setattr(services, "_apply", slow_apply)

    def program_run():
        assert locked.wait(10)
        return enrollments_recompute_program(program=program, now=now)

    run_together(
        lambda: enrollments_recompute(program=program, person_ids=[person_id], now=now),
        program_run,
    )
    assert completions(just_ended) == [(EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED)]
    assert_as_one_run(just_ended, now)


def test_a_person_recompute_waits_for_a_program_recompute_holding_the_rows(
    just_ended, now, monkeypatch
):
    program, person_id = just_ended.program, just_ended.person_id
    written = threading.Event()
    recompute = recompute_sql.recompute_set_based

    def slow_set_based(**kwargs):
        changed = recompute(**kwargs)  # written, not committed yet
        written.set()
        time.sleep(HOLD_SECONDS)
        return changed

    monkeypatch.setattr(services, "recompute_set_based", slow_set_based)

    def person_run():
        assert written.wait(10)
        return enrollments_recompute(program=program, person_ids=[person_id], now=now)

    changed = run_together(
        lambda: enrollments_recompute_program(program=program, now=now), person_run
    )
    assert changed == [2, 0]  # participant and buddy by the program run, nothing left
    assert completions(just_ended) == [(EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED)]
    assert_as_one_run(just_ended, now)


def test_two_set_based_recomputes_of_the_same_people_write_one_status_change_each(
    just_ended, now, monkeypatch
):
    """More people than the per-person limit go through the set-based SQL in both."""
    program = just_ended.program
    monkeypatch.setattr(services, "PER_PERSON_LIMIT", 0)
    people = list(Enrollment.objects.filter(program=program).values_list("person_id", flat=True))
    recompute = lambda: enrollments_recompute(  # noqa: E731
        program=program, person_ids=people, now=now
    )
    changed = run_together(recompute, recompute, recompute)
    assert sorted(changed) == [0, 0, 2]
    assert EnrollmentStatusChange.objects.filter(to_status=EnrollmentStatus.COMPLETED).count() == 2
    assert_as_one_run(just_ended, now)


def test_concurrent_drains_share_the_queue_and_recompute_each_change_once(just_ended, monkeypatch):
    monkeypatch.setattr(queue, "recompute_drain_request", lambda: None)  # drains: below
    program = just_ended.program
    others = [EnrollmentFactory(program=program).person_id for _ in range(30)]
    people = [just_ended.person_id, *others]
    for _ in range(3):  # three changes each: the queue holds repeats
        queue.recompute_soon(person_ids=people, program_id=program.pk)
    queued = len(people) * 3

    drained = run_together(
        lambda: services.enrollments_recompute_pending(batch=queued // 2 + 1),
        lambda: services.enrollments_recompute_pending(batch=queued // 2 + 1),
    )

    assert sum(drained) == queued  # SKIP LOCKED: each row taken by one drain only
    assert not queue.PendingRecompute.objects.exists()
    assert completions(just_ended) == [("active", "completed")]
