"""Enrollment lifecycle (seed 002): the one place that decides a person's state in a program,
keeps every status change (``EnrollmentStatusChange``, an ``enrollment.status_changed``
event) and queues the recompute of the people a change touches (``recompute_soon``).
The rules and when they run: docs/architecture.md, "The enrollment lifecycle".
"""

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from buddy.broker import task_send
from buddy.errors import FieldError, ValidationFailed
from buddy.services.common import among, person_buddy_system_ids
from concerns.services import concerns_suggest
from core import events, outbox
from enrollments import health, journey
from enrollments.models import (
    Enrollment,
    EnrollmentStatus,
    EnrollmentStatusChange,
    JourneyFlags,
    PendingRecompute,
    Program,
)
from enrollments.recompute_sql import program_lock, recompute_set_based

logger = logging.getLogger(__name__)

#: Up to this many people the per-person path is used (a few indexed queries each);
#: above it the set-based SQL recomputes them in chunks.
PER_PERSON_LIMIT = 20
SET_BASED_CHUNK = 5000
#: Queue rows one drain takes (one transaction).
DRAIN_BATCH = 5000


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
            _history(
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

    The bulk form of ``enrollments.services.enrollment_ensure`` (same rows: an active
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
        (_event(e, "", EnrollmentStatus.ACTIVE, at=now, people=people) for e in new), at=now
    )
    return len(new)


def _event(enrollment: Enrollment, from_status: str, to_status: str, *, at, people) -> outbox.Event:
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


def _history(
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
    outbox.publish_many([_event(enrollment, from_status, to_status, at=at, people=people)], at=at)


def _apply(enrollment: Enrollment, derived: journey.Derived, *, now: datetime, by=None) -> bool:
    """Write one enrollment's derived state; True when its status changed. ``by``: the
    user whose action caused it (kept on the history row)."""
    status_changed = derived.status != enrollment.status
    if status_changed:
        _history(
            enrollment, enrollment.status, derived.status, at=now, reason=derived.reason, by=by
        )
    if status_changed or derived.completed_at != enrollment.completed_at:
        enrollment.status, enrollment.completed_at = derived.status, derived.completed_at
        Enrollment.objects.filter(pk=enrollment.pk).update(
            status=derived.status, completed_at=derived.completed_at, updated_at=now
        )
    flags = JourneyFlags.objects.filter(enrollment=enrollment).first()
    if flags is None:
        JourneyFlags.objects.create(enrollment=enrollment, changed_at=now, **derived.flags)
    elif any(getattr(flags, k) != v for k, v in derived.flags.items()):
        JourneyFlags.objects.filter(pk=flags.pk).update(changed_at=now, **derived.flags)
    return status_changed


@transaction.atomic
def enrollment_recompute(*, enrollment: Enrollment, now: datetime | None = None) -> bool:
    """Recompute one enrollment and its journey flags (per-person path); True if the
    status changed."""
    now = now or timezone.now()
    program_lock(enrollment.program_id, exclusive=False)
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    changed = _apply(enrollment, journey.derive(journey.person_facts(enrollment), now=now), now=now)
    health.recompute(
        program=enrollment.program, now=now, person_ids=[enrollment.person_id], per_match=True
    )
    return changed


@transaction.atomic
def enrollments_recompute(
    *, program: Program, person_ids: Iterable[int], now: datetime | None = None
) -> int:
    """Recompute the enrollments of these people in the program; return how many changed
    status. A few people go through the per-person path, more through the set-based SQL."""
    now = now or timezone.now()
    ids = sorted({int(i) for i in person_ids})
    started = time.monotonic()
    if len(ids) <= PER_PERSON_LIMIT:
        changed = 0
        program_lock(program.pk, exclusive=False)
        # Locked in id order, like the set-based path: overlapping recomputes wait, never
        # deadlock (and the one that waited reads the status the other wrote).
        for enrollment in (
            Enrollment.objects.select_for_update()
            .filter(program=program, person_id__in=ids)
            .order_by("pk")
        ):
            facts = journey.person_facts(enrollment)
            changed += _apply(enrollment, journey.derive(facts, now=now), now=now)
        path = "per_person"
    else:
        changed = sum(
            recompute_set_based(
                program_id=program.pk, now=now, person_ids=ids[i : i + SET_BASED_CHUNK]
            )
            for i in range(0, len(ids), SET_BASED_CHUNK)
        )
        path = "set_based"
    scored = health.recompute(
        program=program, now=now, person_ids=ids, per_match=path == "per_person"
    )
    logger.info(
        "enrollments.recompute",
        extra={
            "program_id": program.pk,
            "people": len(ids),
            "changed": changed,
            "path": path,
            "health_written": scored["written"],
            "duration_ms": round((time.monotonic() - started) * 1000),
        },
    )
    return changed


@transaction.atomic
def enrollments_recompute_program(*, program: Program, now: datetime | None = None) -> int:
    """Recompute every enrollment of the program in SQL (nightly, on demand)."""
    now = now or timezone.now()
    started = time.monotonic()
    changed = recompute_set_based(program_id=program.pk, now=now)
    scored = health.recompute(program=program, now=now)
    logger.info(
        "enrollments.recompute_program",
        extra={
            "program_id": program.pk,
            "changed": changed,
            "health_scored": scored["scored"],
            "health_written": scored["written"],
            "duration_ms": round((time.monotonic() - started) * 1000),
        },
    )
    return changed


@transaction.atomic
def enrollment_record_left(
    *, enrollment: Enrollment, left_at: datetime | None = None, by=None
) -> Enrollment:
    """A coordinator records that the person left the program: the enrollment is dropped
    (history reason ``left the program``) until a match starts after ``left_at``."""
    now = timezone.now()
    left_at = left_at or now
    if left_at > now:
        raise ValidationFailed([FieldError("left_at", "must not be in the future")])
    if left_at < enrollment.enrolled_at:
        raise ValidationFailed([FieldError("left_at", "must not be before the enrollment")])
    program_lock(enrollment.program_id, exclusive=False)
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    enrollment.left_at = left_at
    enrollment.save(update_fields=["left_at", "updated_at"])
    derived = journey.derive(journey.person_facts(enrollment), now=now)
    _apply(enrollment, derived, now=now, by=by)
    logger.info(
        "enrollments.left",
        extra={
            "enrollment_id": enrollment.pk,
            "by_user_id": getattr(by, "pk", None),
            "status": enrollment.status,
        },
    )
    return enrollment


# --- The recompute queue --------------------------------------------------------------------


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
    from enrollments.tasks import recompute_pending

    if recompute_pending.app.conf.task_always_eager:
        recompute_pending.delay()
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
        recompute_pending,
        countdown=delay,
        expires=delay + 60,
        recovery="recompute-pending-sweep",
    )


#: When this process's pending drain request stops covering new changes (monotonic time).
_drain_window = [0.0]
_drain_window_lock = threading.Lock()


def enrollments_recompute_pending(*, batch: int = DRAIN_BATCH) -> int:
    """Recompute the oldest ``batch`` queued people and remove their rows, in one
    transaction (a failure leaves them queued); return how many rows were drained.

    Concurrent drains take different rows (``SKIP LOCKED`` on PostgreSQL); a person
    queued several times is recomputed once per program.
    """
    table = connection.ops.quote_name(PendingRecompute._meta.db_table)
    skip_locked = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} ORDER BY id"  # noqa: S608 - model table
                f" LIMIT %s{skip_locked}) RETURNING person_id, program_id",
                [batch],
            )
            claimed = cursor.fetchall()
        people: dict[int, set[int]] = defaultdict(set)
        for person_id, program_id in claimed:
            people[program_id].add(person_id)
        programs = Program.objects.in_bulk(list(people))
        for program_id, person_ids in sorted(people.items()):
            if program_id in programs:
                enrollments_recompute(program=programs[program_id], person_ids=person_ids)
                # The automatic case suggestions of the changed people (issue 21).
                concerns_suggest(program=programs[program_id], person_ids=person_ids)
    return len(claimed)


# --- The attention queue: snoozing an item a coordinator handled ---------------------------

SNOOZE_MAX_DAYS = 365


@transaction.atomic
def attention_snooze(
    *,
    program: Program,
    kind: str,
    subject_type: str,
    subject_id: int | None,
    fingerprint: str,
    until,
    note: str = "",
    by=None,
    today=None,
):
    """Take an item out of the program's queue until ``until`` (or until it changes);
    snoozing it again replaces the earlier snooze."""
    from enrollments.attention import PRIORITY
    from enrollments.models import AttentionSnooze

    today = today or timezone.localdate()
    errors = []
    if kind not in PRIORITY:
        errors.append(FieldError("kind", "unknown kind of item"))
    if until is None or until <= today:
        errors.append(FieldError("until", "must be a date after today"))
    elif (until - today).days > SNOOZE_MAX_DAYS:
        errors.append(FieldError("until", f"must be within {SNOOZE_MAX_DAYS} days"))
    if len(note) > 500:
        errors.append(FieldError("note", "must be at most 500 characters"))
    if errors:
        raise ValidationFailed(errors)
    snooze, _created = AttentionSnooze.objects.update_or_create(
        program=program,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id or 0,
        defaults={"fingerprint": fingerprint, "until": until, "note": note, "by": by},
    )
    logger.info(
        "attention.snoozed",
        extra={"program_id": program.pk, "kind": kind, "subject_id": subject_id or 0},
    )
    return snooze
