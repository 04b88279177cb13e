"""Reads of the privacy app."""

from django.db.models import Q

from buddy.access import access_for
from buddy.models import ExternalId, Person
from buddy.services.common import provider
from privacy.models import Erasure


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


def erases_people(user) -> bool:
    """Who may erase (page and API): superusers, and coordinators given
    ``privacy.erase_person``."""
    return access_for(user).changes_programs and user.has_perm("privacy.erase_person")


def person_is_erased(person: Person) -> bool:
    return Erasure.objects.filter(person_id=person.pk).exists()
