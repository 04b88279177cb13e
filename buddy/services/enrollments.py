"""People joining programs, and the queue of people due for a recompute.

``enrollment_ensure``/``enrollments_ensure`` enroll people (an active enrollment, its
``joined`` status change and its ``enrollment.status_changed`` event, in the caller's
transaction). ``recompute_soon`` queues people whose data changed (``PendingRecompute``, in
the caller's transaction); once committed, the ``enrollments`` app's worker task drains the
queue and recomputes their state (``enrollments.services``): it is asked by its name, as
the buddy app sits below the app that derives enrollment state.
"""

import threading
import time
from collections.abc import Iterable
from datetime import datetime

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from buddy.models import (
    Enrollment,
    EnrollmentStatus,
    EnrollmentStatusChange,
    PendingRecompute,
    Program,
)
from buddy.services.common import person_buddy_system_ids
from core import events, outbox
from core.broker import task_send
from core.queries import among

#: The task that drains the recompute queue (``enrollments.tasks``).
RECOMPUTE_TASK = "enrollments.tasks.recompute_pending"


def enrollment_ensure(
    *,
    person,
    program: Program,
    enrolled_at: datetime,
    via: str,
    buddy_system_id: str | None = None,
) -> Enrollment:
    """The person's enrollment in the program, created (active) when missing.
    ``buddy_system_id``: the person's Buddy System id when the caller knows it (saves the
    event payload's lookup on the webhook path)."""
    existing = Enrollment.objects.filter(person=person, program=program).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                person=person,
                program=program,
                enrolled_at=enrolled_at,
                status=EnrollmentStatus.ACTIVE,
            )
            enrollment_status_record(
                enrollment,
                "",
                EnrollmentStatus.ACTIVE,
                at=timezone.now(),
                reason=f"joined ({via})",
                people={person.pk: buddy_system_id} if buddy_system_id else None,
            )
            return enrollment
    except IntegrityError:  # a concurrent writer enrolled them first
        return Enrollment.objects.get(person=person, program=program)


def enrollments_ensure(*, program, joined: dict[int, datetime], via: str) -> int:
    """Enroll these people (person id → enrolled at) in the program where they are not yet;
    return how many were enrolled.

    The bulk form of ``enrollment_ensure`` (same rows: an active
    enrollment and its ``joined (via)`` status change), in two to four queries. Run it
    inside the caller's transaction; a concurrent enroller makes the transaction fail
    (unique constraint) rather than enroll twice.
    """
    if not joined:
        return 0
    present = set(
        Enrollment.objects.filter(among("person_id", joined), program=program).values_list(
            "person_id", flat=True
        )
    )
    new = [
        Enrollment(person_id=pid, program=program, enrolled_at=at, status=EnrollmentStatus.ACTIVE)
        for pid, at in joined.items()
        if pid not in present
    ]
    if not new:
        return 0
    Enrollment.objects.bulk_create(new)
    now = timezone.now()
    EnrollmentStatusChange.objects.bulk_create(
        EnrollmentStatusChange(
            enrollment=e,
            from_status="",
            to_status=EnrollmentStatus.ACTIVE,
            at=now,
            reason=f"joined ({via})",
        )
        for e in new
    )
    people = person_buddy_system_ids(e.person_id for e in new)
    outbox.publish_many(
        (enrollment_event(e, "", EnrollmentStatus.ACTIVE, at=now, people=people) for e in new),
        at=now,
    )
    return len(new)


def enrollment_event(
    enrollment: Enrollment, from_status: str, to_status: str, *, at, people
) -> outbox.Event:
    data = events.enrollment_data(
        enrollment_id=enrollment.pk,
        program_id=enrollment.program_id,
        person_id=enrollment.person_id,
        person_buddy_system_id=people.get(enrollment.person_id),
        from_status=from_status,
        to_status=to_status,
        at=at,
    )
    return outbox.Event(outbox.ENROLLMENT_STATUS_CHANGED, data, enrollment.program_id)


def enrollment_status_record(
    enrollment: Enrollment,
    from_status: str,
    to_status: str,
    *,
    at,
    reason: str,
    by=None,
    people: dict[int, str | None] | None = None,
) -> None:
    """One status change: its history row and its event (same transaction)."""
    EnrollmentStatusChange.objects.create(
        enrollment=enrollment,
        from_status=from_status,
        to_status=to_status,
        at=at,
        reason=reason,
        by=by,
    )
    if people is None:
        people = person_buddy_system_ids([enrollment.person_id])
    outbox.publish_many(
        [enrollment_event(enrollment, from_status, to_status, at=at, people=people)], at=at
    )


def recompute_soon(*, person_ids: Iterable[int], program_id: int | None = None) -> None:
    """Queue these people's enrollments in the program (``None``: in every program they
    are enrolled in) for a recompute after the commit.

    One INSERT in the caller's transaction (the queue commits or rolls back with the
    change, so a crash right after the commit loses no recompute), then, once committed,
    a request for a drain (``recompute_drain_request``). Bursts of events cost one drain
    over all their people, not one task and one recompute per event.
    """
    ids = sorted({int(i) for i in person_ids})
    if not ids:
        return
    conn = transaction.get_connection()
    quote = conn.ops.quote_name
    table = quote(PendingRecompute._meta.db_table)
    now = conn.ops.adapt_datetimefield_value(timezone.now())
    with conn.cursor() as cursor:
        if program_id is not None:
            rows = ", ".join(["(%s, %s, %s)"] * len(ids))
            cursor.execute(
                f"INSERT INTO {table} (person_id, program_id, queued_at) VALUES {rows}",  # noqa: S608 - model table; values are parameters
                [value for person_id in ids for value in (person_id, program_id, now)],
            )
        else:
            cursor.execute(
                f"INSERT INTO {table} (person_id, program_id, queued_at)"  # noqa: S608 - model tables; values are parameters
                f" SELECT person_id, program_id, %s FROM {quote(Enrollment._meta.db_table)}"
                f" WHERE person_id IN ({', '.join(['%s'] * len(ids))})",
                [now, *ids],
            )
    transaction.on_commit(recompute_drain_request)


def recompute_drain_request() -> None:
    """Have the queue drained: at once where tasks run in-process (no broker: local runs,
    tests), else by a task ``RECOMPUTE_DELAY_SECONDS`` from now.

    Each process sends at most one task per delay, whatever its number of commits: the
    first request opens a window that closes a second before its task runs, so every
    change this process commits inside the window is queued before that task drains the
    queue, and the first change after it sends the next task. (The beat sweep drains
    anything a crashed process left.)
    """
    if current_app.conf.task_always_eager:
        task_send(RECOMPUTE_TASK, recovery="none: runs in-process")
        return
    delay = max(2, int(settings.ENROLLMENTS["RECOMPUTE_DELAY_SECONDS"]))
    with _drain_window_lock:
        now = time.monotonic()
        if now < _drain_window[0]:
            return
        _drain_window[0] = now + delay - 1
    # A request a stopped worker never ran expires: the beat sweep drains the queue anyway,
    # so a worker coming back does not work through an hour of empty drains. A broker that
    # cannot be reached loses only the request (logged), never the queued rows, and never
    # changes the answer of the change that committed: the sweep drains them, or the first
    # request after the window once the broker is back (a drain takes the whole queue).
    # The window stays: during an outage one commit per window waits on the broker's
    # publish retries (under a second), not every commit.
    task_send(
        RECOMPUTE_TASK,
        countdown=delay,
        expires=delay + 60,
        recovery="recompute-pending-sweep",
    )


#: When this process's pending drain request stops covering new changes (monotonic time).
_drain_window = [0.0]
_drain_window_lock = threading.Lock()
