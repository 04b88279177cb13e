"""Reads of cases: scoping, the restricted categories, filters, the overdue list."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from buddy.access import Access, AccessRole
from buddy.models import Program
from buddy.selectors import scope_programs
from concerns.models import RESTRICTED, Concern, Status

PERMISSION = "concerns.safeguarding"


def sees_restricted(user, access: Access) -> bool:
    """Safeguarding and discrimination cases: superusers, and coordinators holding the
    ``safeguarding`` permission."""
    if access.is_superuser:
        return True
    return access.role == AccessRole.COORDINATOR and user.has_perm(PERMISSION)


def scope_concerns(concerns: QuerySet[Concern], access: Access) -> QuerySet[Concern]:
    """Cases of the programs the login reads (restricted ones included: their content is
    withheld by ``is_withheld``, their existence is not)."""
    return concerns.filter(program__in=scope_programs(Program.objects.all(), access))


def is_withheld(concern: Concern, *, user, access: Access) -> bool:
    """True when the login may only see that this restricted case exists."""
    return concern.restricted and not sees_restricted(user, access)


def concern_list(
    *,
    access: Access,
    program_id: int | None = None,
    status: str | None = None,
    category: str | None = None,
    severity: str | None = None,
    match_id: int | None = None,
    person_id: int | None = None,
    overdue: bool | None = None,
    now=None,
) -> QuerySet[Concern]:
    """The cases a login reads, filtered; overdue first, then newest."""
    now = now or timezone.now()
    qs = scope_concerns(Concern.objects.all(), access)
    filters = {
        "program_id": program_id,
        "status": status,
        "category": category,
        "severity": severity,
        "match_id": match_id,
    }
    qs = qs.filter(**{k: v for k, v in filters.items() if v is not None})
    if person_id is not None:
        qs = qs.filter(Q(person_id=person_id) | Q(involved__id=person_id)).distinct()
    if overdue is not None:
        condition = Q(status=Status.OPEN, respond_by__lt=now)
        qs = qs.filter(condition) if overdue else qs.exclude(condition)
    return qs.order_by("respond_by", "-opened_at", "-id")


def concerns_overdue(*, program: Program, now=None) -> QuerySet[Concern]:
    """Open cases past their response-time target (the top of the attention queue)."""
    now = now or timezone.now()
    return Concern.objects.filter(program=program, status=Status.OPEN, respond_by__lt=now).order_by(
        "respond_by", "id"
    )


def concerns_for_match(*, match_id: int, access: Access) -> QuerySet[Concern]:
    """The cases of a match (the match page)."""
    return scope_concerns(Concern.objects.filter(match_id=match_id), access)


def concerns_for_person(*, person_id: int, access: Access) -> QuerySet[Concern]:
    """The cases about or involving a person (the person page)."""
    return scope_concerns(
        Concern.objects.filter(Q(person_id=person_id) | Q(involved__id=person_id)).distinct(),
        access,
    )


def violation_pairs(*, participant_ids=None) -> set[tuple[int, int]]:
    """(participant, buddy) pairs of matches whose case was resolved as a violation: never
    paired again (``matching.selectors.excluded_pairs``)."""
    qs = Concern.objects.filter(violation=True, match__isnull=False)
    if participant_ids is not None:
        qs = qs.filter(match__participant_id__in=list(participant_ids))
    return set(qs.values_list("match__participant_id", "match__buddy_id"))


__all__ = ["RESTRICTED", "concern_list", "concerns_overdue", "scope_concerns", "sees_restricted"]
