"""Two user rows with one email are one person, whatever order they come in: the first role
and the earliest join date stay, the other columns follow the id linked last, and the same
rows again change nothing."""

import uuid

import pytest

from buddy.models import Person
from buddy.services.common import Outcome
from buddy.services.people import person_record, person_update_values
from tests.buddy.test_people_identity import user

pytestmark = pytest.mark.django_db

A, B = str(uuid.uuid4()), str(uuid.uuid4())


def _rows():
    first = user(id=A, role="participant", joined_at="2025-03-01T09:00:00Z", location="Berlin")
    second = user(
        id=B,
        email=" OLENA.K@example.org",
        role="buddy",
        joined_at="2025-02-01T09:00:00Z",
        location="Kyiv",
    )
    return first, second


def test_a_merge_keeps_the_first_role_and_the_earliest_join_date(program):
    first, second = _rows()
    person_record(record=first, program=program)

    merged = person_record(record=second, program=program)

    person = Person.objects.get()
    assert merged.outcome is Outcome.UPDATED and merged.notes
    assert (person.role, person.location) == ("participant", "Kyiv")
    assert person.joined_at.isoformat().startswith("2025-02-01")


def test_both_rows_again_are_unchanged(program):
    first, second = _rows()
    person_record(record=first, program=program)
    person_record(record=second, program=program)
    before = Person.objects.values().get()

    again = [person_record(record=r, program=program).outcome for r in (first, second)]

    assert again == [Outcome.UNCHANGED, Outcome.UNCHANGED]
    assert Person.objects.values().get() == before


def test_the_row_of_the_id_linked_last_still_updates_the_person(program):
    first, second = _rows()
    person_record(record=first, program=program)
    person_record(record=second, program=program)

    result = person_record(record=second.model_copy(update={"location": "Lviv"}), program=program)

    assert (result.outcome, Person.objects.get().location) == (Outcome.UPDATED, "Lviv")


def test_a_person_with_one_id_takes_the_row_as_it_is():
    values = {"role": "buddy", "joined_at": 2, "location": "Kyiv"}
    assert person_update_values(values, joined_at=1, ids=1, owner=True) == values
    assert person_update_values(values, joined_at=1, ids=2, owner=False) == {"joined_at": 1}
    assert person_update_values(values, joined_at=1, ids=2, owner=True) == {
        "joined_at": 1,
        "location": "Kyiv",
    }
