"""Enrollment lifecycle (seed 002): the one place that decides a person's state in a program."""

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from buddy.models import EndReason, Match, MatchStatus
from enrollments.models import Enrollment, EnrollmentStatus, EnrollmentStatusChange, Program


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


def derive_status(matches: list[Match]) -> tuple[str, datetime | None, str]:
    """Status, completed_at and reason from a person's matches in one program.

    Completed when every match ended and the last one (latest ``ended_at``)
    ended ``completed``; dropped when every match ended and the last did not;
    otherwise active (a person with no match yet is active).
    """
    if not matches or any(m.status != MatchStatus.ENDED for m in matches):
        return EnrollmentStatus.ACTIVE, None, "has an open match or no match yet"
    last = max(matches, key=lambda m: (m.ended_at is not None, m.ended_at, m.pk))
    if last.end_reason == EndReason.COMPLETED:
        return EnrollmentStatus.COMPLETED, last.ended_at, "last match ended completed"
    return EnrollmentStatus.DROPPED, last.ended_at, "last match ended early"


@transaction.atomic
def enrollments_recompute(*, program: Program, person_ids: Iterable[int]) -> int:
    """Recompute the enrollments of these people in the program; return how many changed."""
    ids = list(person_ids)
    matches_by_person: dict[int, list[Match]] = {i: [] for i in ids}
    for match in Match.objects.filter(program=program).filter(
        Q(participant_id__in=ids) | Q(buddy_id__in=ids)
    ):
        for pid in (match.participant_id, match.buddy_id):
            if pid in matches_by_person:
                matches_by_person[pid].append(match)
    changed = 0
    now = timezone.now()
    for enrollment in Enrollment.objects.select_for_update().filter(
        program=program, person_id__in=ids
    ):
        if enrollment.left_at is not None:
            continue
        status, completed_at, reason = derive_status(matches_by_person[enrollment.person_id])
        if (status, completed_at) == (enrollment.status, enrollment.completed_at):
            continue
        EnrollmentStatusChange.objects.create(
            enrollment=enrollment,
            from_status=enrollment.status,
            to_status=status,
            at=now,
            reason=reason,
        )
        enrollment.status, enrollment.completed_at = status, completed_at
        enrollment.save(update_fields=["status", "completed_at", "updated_at"])
        changed += 1
    return changed
