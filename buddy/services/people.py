"""People from the Buddy System: identity by external id, then by normalised email."""

from django.db import transaction

from buddy.models import Company, DataSource, ExternalId, Person
from buddy.models.people import email_digest, normalize_email
from buddy.schemas import UserRecord
from buddy.services.common import (
    Outcome,
    Upserted,
    after_commit_references_arrived,
    provider,
)
from enrollments.models import Program
from enrollments.services import enrollment_ensure


def company_for(name: str | None) -> Company | None:
    """The company of that name (case-insensitive), created on first sight."""
    name = (name or "").strip()
    if not name:
        return None
    company = Company.objects.filter(name__iexact=name).first()
    return company or Company.objects.get_or_create(name=name)[0]


def person_values(record: UserRecord, company: Company | None) -> dict:
    """The Person columns a user record sets (shared by the single and the bulk import)."""
    email = normalize_email(record.email)
    return {
        "role": record.role,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "email": email,
        "email_hash": email_digest(email),
        "joined_at": record.joined_at,
        "languages": list(record.language_preference),
        "interests": list(record.interests),
        "location": record.location or "",
        "company_id": company.pk if company else None,
    }


@transaction.atomic
def person_record(
    *, record: UserRecord, program: Program, via: str = DataSource.IMPORT
) -> Upserted:
    """Create or update the person a Buddy System user row describes, and enroll them.

    Identity: the user's Buddy System id first; otherwise a person with the same
    normalised email is the same person (merged: the new id is linked to them).
    """
    external_id = str(record.id)
    link = (
        ExternalId.objects.select_related("person")
        .filter(provider=provider(), external_id=external_id)
        .first()
    )
    values = person_values(record, company_for(record.company))
    notes: list[str] = []
    if link is not None:
        person = Person.objects.select_for_update().get(pk=link.person_id)
    else:
        person = Person.objects.select_for_update().filter(email_hash=values["email_hash"]).first()
        if person is not None:
            ExternalId.objects.create(provider=provider(), external_id=external_id, person=person)
            notes.append(f"merged user {external_id} into person #{person.pk} (same email)")

    if person is None:
        person = Person.objects.create(**values)
        ExternalId.objects.create(provider=provider(), external_id=external_id, person=person)
        outcome = Outcome.CREATED
    else:
        if notes:  # merged: keep the first row's role and join date, take the rest
            values.pop("role")
            values["joined_at"] = min(person.joined_at, values["joined_at"])
        changed = [k for k, v in values.items() if getattr(person, k) != v]
        for name in changed:
            setattr(person, name, values[name])
        if changed:
            person.save(update_fields=[*changed, "updated_at"])
        outcome = Outcome.UPDATED if changed or notes else Outcome.UNCHANGED

    enrollment_ensure(person=person, program=program, enrolled_at=person.joined_at, via=via)
    if outcome is Outcome.CREATED or notes:
        after_commit_references_arrived(person_ids=[external_id])
    return Upserted(person, outcome, notes)
