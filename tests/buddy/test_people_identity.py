"""Identity: a Buddy System user is found by external id, else by normalised email."""

import uuid

import pytest

from buddy.models import Enrollment, ExternalId, Person
from buddy.models.people import email_digest
from buddy.schemas import UserRecord
from buddy.services.common import Outcome
from buddy.services.people import person_record

pytestmark = pytest.mark.django_db


def user(**overrides) -> UserRecord:
    data = {
        "id": str(uuid.uuid4()),
        "email": "olena.k@example.org",
        "first_name": "Olena",
        "last_name": "Kovalenko",
        "role": "participant",
        "joined_at": "2025-02-10T09:00:00Z",
        "language_preference": ["uk", "en"],
        "interests": ["cooking"],
        "location": "Berlin",
    }
    return UserRecord.model_validate(data | overrides)


def test_a_new_user_becomes_a_person_with_an_external_id_and_an_enrollment(program):
    record = user()
    result = person_record(record=record, program=program)
    assert result.outcome is Outcome.CREATED
    assert result.obj.external_ids.get().external_id == str(record.id)
    assert Enrollment.objects.get(person=result.obj).status == "active"


def test_the_email_is_stored_normalised_with_its_hash(program):
    person = person_record(record=user(email="  Olena.K@Example.ORG "), program=program).obj
    assert person.email == "olena.k@example.org"
    assert person.email_hash == email_digest("olena.k@example.org")


def test_the_same_user_twice_is_unchanged(program):
    record = user()
    person_record(record=record, program=program)
    assert person_record(record=record, program=program).outcome is Outcome.UNCHANGED
    assert Person.objects.count() == 1


def test_a_changed_user_is_updated(program):
    record = user()
    person_record(record=record, program=program)
    changed = record.model_copy(update={"location": "Hamburg"})
    result = person_record(record=changed, program=program)
    assert (result.outcome, result.obj.location) == (Outcome.UPDATED, "Hamburg")


def test_two_ids_with_the_same_email_in_another_case_merge_into_one_person(program):
    first = person_record(record=user(email="iryna.m@example.org"), program=program).obj
    result = person_record(record=user(email=" Iryna.M@Example.org "), program=program)
    assert result.obj.pk == first.pk
    assert ExternalId.objects.filter(person=first).count() == 2
    assert result.notes and "@" not in result.notes[0]


def test_a_company_is_shared_by_name_case_insensitively(program):
    a = person_record(record=user(role="buddy", company="Acme GmbH"), program=program).obj
    b = person_record(
        record=user(role="buddy", email="b@acme.example", company="ACME GmbH"), program=program
    ).obj
    assert a.company_id == b.company_id


def test_str_of_a_person_never_shows_a_name(program):
    person = person_record(record=user(), program=program).obj
    assert "Olena" not in str(person) and "Kovalenko" not in str(person)
