"""The users writer: identity by Buddy System id, then by normalised email."""

from datetime import datetime

from buddy.models import (
    ExternalId,
    Person,
)
from buddy.services.arrivals import references_arrived
from buddy.services.common import Outcome, provider
from buddy.services.enrollments import enrollments_ensure
from buddy.services.people import (
    companies_for,
    company_key,
    person_ids_of,
    person_update_values,
    person_values,
)
from core.queries import among
from webhooks.imports.report import BatchResult, Rejection
from webhooks.imports.writers.batch import batch_writes
from webhooks.imports.writers.common import Context, Item

EMAIL_TAKEN = "user.email_taken"
EMAIL_TAKEN_MESSAGE = "another person already has this email address"

PERSON_FIELDS = (
    "role",
    "first_name",
    "last_name",
    "email",
    "email_hash",
    "joined_at",
    "languages",
    "interests",
    "location",
    "company_id",
)


def write_users(items: list[Item], ctx: Context) -> BatchResult:
    """Identity: the user id first, then the normalised email (two ids with one email are one
    person, merged, both ids kept). What a row changes on a known person is the services'
    merge rule (``person_update_values``), the same as ``person_record``."""
    result = BatchResult()
    me = provider()
    links = dict(
        ExternalId.objects.filter(
            among("external_id", {str(it.record.id) for it in items}), provider=me
        ).values_list("external_id", "person_id")
    )
    companies = companies_for(it.record.company for it in items)
    prepared = [
        (it, person_values(it.record, companies.get(company_key(it.record.company))))
        for it in items
    ]
    hashes = {values["email_hash"] for _it, values in prepared}
    people = {
        p.pk: p
        for p in Person.objects.filter(
            among("pk", set(links.values())) | among("email_hash", hashes)
        )
    }
    by_hash = {p.email_hash: p for p in people.values() if p.email_hash}
    by_link = {ext: people[pid] for ext, pid in links.items() if pid in people}
    ids_of = {id(people[pid]): ids for pid, ids in person_ids_of(people).items()}

    before: dict[int, tuple[Person, dict]] = {}  # id(person) → (person, columns before)
    new_people: list[Person] = []
    new_links: list[ExternalId] = []
    touched: list[tuple[Item, Person, str]] = []  # (item, person, "created" | "merged" | "linked")
    for item, values in prepared:
        external_id = str(item.record.id)
        person = by_link.get(external_id)
        email_owner = by_hash.get(values["email_hash"])
        if person is not None:
            if email_owner is not None and email_owner is not person:
                result.reject_item(
                    item, Rejection(item.ref, EMAIL_TAKEN, EMAIL_TAKEN_MESSAGE, "email")
                )
                continue
            kind = "linked"
        elif email_owner is not None:
            person, kind = email_owner, "merged"
        else:
            person, kind = Person(**values), "created"
            new_people.append(person)
            by_hash[values["email_hash"]] = person
        if kind != "linked":
            link = ExternalId(provider=me, external_id=external_id)
            link.person = person
            new_links.append(link)
            ids_of.setdefault(id(person), []).append((me, external_id))
            by_link[external_id] = person  # a repeat of this id in the batch finds the person
        if kind != "created":
            if person.pk is not None and id(person) not in before:
                before[id(person)] = (person, {f: getattr(person, f) for f in PERSON_FIELDS})
            ids = ids_of.get(id(person), [])
            values = person_update_values(
                values,
                joined_at=person.joined_at,
                ids=len(ids),
                owner=bool(ids) and ids[-1] == (me, external_id),
            )
            if "email_hash" in values and person.email_hash != values["email_hash"]:
                by_hash.pop(person.email_hash, None)
                by_hash[values["email_hash"]] = person
            for name, value in values.items():
                setattr(person, name, value)
        touched.append((item, person, kind))

    if new_people:
        Person.objects.bulk_create(new_people)
    if new_links:
        for link in new_links:
            link.person_id = link.person.pk
        ExternalId.objects.bulk_create(new_links)
    changed_people, fields = {}, set()
    for key, (person, columns) in before.items():
        changed = [f for f in PERSON_FIELDS if getattr(person, f) != columns[f]]
        if changed:
            changed_people[key] = person
            fields.update(changed)
    batch_writes.impl.update_rows(
        Person,
        {p.pk: {f: getattr(p, f) for f in fields} for p in changed_people.values()},
        fields,
    )

    joined: dict[int, datetime] = {}
    for item, person, kind in touched:
        if kind == "created":
            result.count(Outcome.CREATED, item.weight)
            result.arrived_people.append(str(item.record.id))
        elif kind == "merged":
            result.count(Outcome.UPDATED, item.weight)
            result.merges.append(
                item.ref.says(f"user {item.record.id} merged into person #{person.pk} (same email)")
            )
            result.arrived_people.append(str(item.record.id))
        else:
            outcome = Outcome.UPDATED if id(person) in changed_people else Outcome.UNCHANGED
            result.count(outcome, item.weight)
        result.person_ids.add(person.pk)
        joined.setdefault(person.pk, person.joined_at)
    enrollments_ensure(program=ctx.program, joined=joined, via=ctx.via)
    references_arrived(person_ids=result.arrived_people)
    return result
