"""People from the Buddy System: identity by external id, then by normalised email.

The rules live here once and serve both the single-row service (``person_record``,
webhooks) and the bulk import (``webhooks.imports.writers.people.write_users``):
``companies_for`` (companies by name), ``person_values`` (the columns a user row
sets) and ``person_update_values`` (what a row may change on a known person).
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower

from buddy.models import Company, DataSource, ExternalId, Person, Program, SkillSession
from buddy.models.people import email_digest, normalize_email
from buddy.schemas import UserRecord
from buddy.services.activities import activities_delete
from buddy.services.arrivals import references_arrived
from buddy.services.common import Outcome, Upserted, provider
from buddy.services.enrollments import enrollment_ensure
from core.queries import among


def company_key(name: str | None) -> str:
    """How company names compare: trimmed, case-insensitive ("" for none)."""
    return (name or "").strip().lower()


def companies_for(names: Iterable[str | None]) -> dict[str, Company]:
    """The companies of these names by ``company_key``, created on first sight (two queries,
    three when some are new). A name differing only in case is the same company."""
    wanted: dict[str, str] = {}
    for name in names:
        if key := company_key(name):
            wanted.setdefault(key, name.strip())
    if not wanted:
        return {}

    def found() -> dict[str, Company]:
        rows = Company.objects.annotate(lname=Lower("name")).filter(among("lname", wanted))
        return {c.lname: c for c in rows.order_by("-pk")}  # the oldest of a name wins

    companies = found()
    missing = [Company(name=wanted[k]) for k in wanted if k not in companies]
    if missing:
        Company.objects.bulk_create(missing, ignore_conflicts=True)
        companies = found()
    return companies


def company_for(name: str | None) -> Company | None:
    """The company of that name (case-insensitive), created on first sight."""
    return companies_for([name]).get(company_key(name))


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


def person_update_values(values: dict, *, joined_at, ids: int, owner: bool) -> dict:
    """The columns a user row changes on a person already known (the merge rule).

    ``ids`` is how many external ids the person has (the row's included, also when this
    row just linked it); ``owner`` says whether the row's id is the one linked last.

    A person known under one id takes the row as it is. A person known under several
    (two rows with one email) keeps its first role and the earliest join date; its other
    columns follow the row of the id linked last, and rows of its earlier ids change
    nothing else. The result depends on the set of rows, not on their order or on how
    they fall into batches, so importing the same rows again changes nothing.
    """
    if ids <= 1:
        return values
    earliest = min(joined_at, values["joined_at"])
    if not owner:
        return {"joined_at": earliest}
    return {**{k: v for k, v in values.items() if k != "role"}, "joined_at": earliest}


def person_ids_of(person_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """Each person's external ids as (provider, external id), oldest link first."""
    links: dict[int, list[tuple[str, str]]] = {}
    rows = ExternalId.objects.filter(among("person_id", person_ids)).order_by("pk")
    for pid, prov, ext in rows.values_list("person_id", "provider", "external_id"):
        links.setdefault(pid, []).append((prov, ext))
    return links


@transaction.atomic
def person_record(
    *, record: UserRecord, program: Program, via: str = DataSource.IMPORT
) -> Upserted:
    """Create or update the person a Buddy System user row describes, and enroll them.

    Identity: the user's Buddy System id first; otherwise a person with the same
    normalised email is the same person (merged: the new id is linked to them, and
    ``person_update_values`` says what the row may change).
    """
    external_id = str(record.id)
    link = ExternalId.objects.filter(provider=provider(), external_id=external_id).first()
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
        links = person_ids_of([person.pk]).get(person.pk, [])
        values = person_update_values(
            values,
            joined_at=person.joined_at,
            ids=len(links),
            owner=bool(links) and links[-1] == (provider(), external_id),
        )
        changed = [k for k, v in values.items() if getattr(person, k) != v]
        for name in changed:
            setattr(person, name, values[name])
        if changed:
            person.save(update_fields=[*changed, "updated_at"])
        outcome = Outcome.UPDATED if changed or notes else Outcome.UNCHANGED

    enrollment_ensure(person=person, program=program, enrolled_at=person.joined_at, via=via)
    if outcome is Outcome.CREATED or notes:
        references_arrived(person_ids=[external_id])
    return Upserted(person, outcome, notes)


def external_ids_linked(links: Iterable[ExternalId]) -> None:
    """Ids of other systems linked to people by hand (the admin): the webhook events
    parked for the Buddy System's ids among them run again once this commits."""
    references_arrived(
        person_ids=[link.external_id for link in links if link.provider == provider()]
    )


@transaction.atomic
def people_delete(*, rows: QuerySet) -> int:
    """Delete these people (a data fix in the admin; erasing a person's data is
    ``privacy``'s). Their own rows go with them; a skill session also names another person,
    whose journey changes with it, so the sessions go first as any activity row does
    (``activities_delete``: the people they named are queued for a recompute). A person in
    a match is protected (``ProtectedError``): then nothing is deleted. Returns the number
    of people deleted."""
    ids = list(rows.values_list("pk", flat=True))
    sessions = SkillSession.objects.filter(among("teacher_id", ids) | among("learner_id", ids))
    activities_delete(rows=sessions)
    return Person.objects.filter(among("pk", ids)).delete()[1].get(Person._meta.label, 0)
