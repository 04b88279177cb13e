"""Reads of the privacy app."""

from django.db.models import Q

from buddy.models import ExternalId, Person
from buddy.services.common import provider


def person_by_reference(reference: str) -> Person | None:
    """A person by our id (digits) or their Buddy System id (anything else, or no id match)."""
    reference = (reference or "").strip()
    if not reference:
        return None
    condition = Q(
        pk__in=ExternalId.objects.filter(provider=provider(), external_id=reference).values(
            "person_id"
        )
    )
    if reference.isdigit():
        condition |= Q(pk=int(reference))
    return Person.objects.filter(condition).order_by("pk").first()
