"""Enrollment lifecycle (seed 002): the one place that decides a person's state in a program.

The rules (``enrollments.journey`` states them per person; ``enrollments.recompute_sql``
applies the same rules to a whole program in SQL):

- an enrollment is created ``active`` when a person joins a program;
- ``completed`` when all the person's matches in the program ended and the last one
  (latest ``ended_at``) ended ``completed``; ``dropped`` when all ended and the last did not;
- ``dropped`` when a coordinator records that the person left (``enrollment_record_left``),
  until a match starts after that date (a new match reactivates);
- ``dropped`` after 6 months (setting) without any activity;
- otherwise ``active``.

Every status change is kept in ``EnrollmentStatusChange`` (from, to, when, why). The
journey flags (``JourneyFlags``) are recomputed together with the status.
"""

import logging
import time
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from buddy.errors import FieldError, ValidationFailed
from buddy.services.common import among
from enrollments import journey
from enrollments.models import (
    Enrollment,
    EnrollmentStatus,
    EnrollmentStatusChange,
    JourneyFlags,
    Program,
)
from enrollments.recompute_sql import recompute_set_based

logger = logging.getLogger(__name__)

#: Up to this many people the per-person path is used (a few indexed queries each);
#: above it the set-based SQL recomputes them in chunks.
PER_PERSON_LIMIT = 20
SET_BASED_CHUNK = 5000


def enrollment_ensure(*, person, program: Program, enrolled_at: datetime, via: str) -> Enrollment:
    """The person's enrollment in the program, created (active) when missing."""
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
            EnrollmentStatusChange.objects.create(
                enrollment=enrollment,
                from_status="",
                to_status=EnrollmentStatus.ACTIVE,
                at=timezone.now(),
                reason=f"joined ({via})",
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
    return len(new)


def _apply(enrollment: Enrollment, derived: journey.Derived, *, now: datetime) -> bool:
    """Write one enrollment's derived state; True when its status changed."""
    status_changed = derived.status != enrollment.status
    if status_changed:
        EnrollmentStatusChange.objects.create(
            enrollment=enrollment,
            from_status=enrollment.status,
            to_status=derived.status,
            at=now,
            reason=derived.reason,
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
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    return _apply(enrollment, journey.derive(journey.person_facts(enrollment), now=now), now=now)


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
        for enrollment in Enrollment.objects.select_for_update().filter(
            program=program, person_id__in=ids
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
    logger.info(
        "enrollments.recompute",
        extra={
            "program_id": program.pk,
            "people": len(ids),
            "changed": changed,
            "path": path,
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
    logger.info(
        "enrollments.recompute_program",
        extra={
            "program_id": program.pk,
            "changed": changed,
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
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    enrollment.left_at = left_at
    enrollment.save(update_fields=["left_at", "updated_at"])
    _apply(enrollment, journey.derive(journey.person_facts(enrollment), now=now), now=now)
    logger.info(
        "enrollments.left",
        extra={
            "enrollment_id": enrollment.pk,
            "by_user_id": getattr(by, "pk", None),
            "status": enrollment.status,
        },
    )
    return enrollment
