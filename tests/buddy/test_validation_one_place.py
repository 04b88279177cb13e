"""A value the webhooks' and imports' schema refuses is refused by the admin and the API
too, with the schema's message: the rule is written once (``buddy.schemas``)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from buddy.models import ExternalId, Match, Person
from buddy.schemas import MatchCreatedRecord, UserRecord, validate_record
from core.errors import FieldError, ValidationFailed
from tests.factories import BuddyFactory, EnrollmentFactory, MatchFactory, ParticipantFactory

pytestmark = pytest.mark.django_db

USER = {
    "id": "5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e01",
    "email": "a@example.org",
    "first_name": "A",
    "last_name": "B",
    "role": "participant",
    "joined_at": "2025-01-01T00:00:00Z",
}
MATCH = {
    "match_id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e03",
    "participant_id": USER["id"],
    "buddy_id": "8a3e7c10-6b2f-4f8d-a1c4-3d9e5f7a2b02",
    "matched_at": "2025-01-01T00:00:00Z",
}
NOT_A_LIST = {"interests": "cooking"}


def schema_error(schema, data) -> FieldError:
    with pytest.raises(ValidationFailed) as refused:
        validate_record(schema, data)
    (error,) = refused.value.errors
    return error


def person_post(person: Person, **changes) -> dict:
    data = {
        "role": person.role,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "joined_at_0": person.joined_at.date().isoformat(),
        "joined_at_1": person.joined_at.time().strftime("%H:%M:%S"),
        "capacity": person.capacity,
        "languages": "[]",
        "interests": "[]",
        "location": "",
        "external_ids-TOTAL_FORMS": "0",
        "external_ids-INITIAL_FORMS": "0",
    }
    return data | changes


def test_a_future_joining_date_is_refused_in_the_person_admin_as_by_the_schema(admin_client):
    person = ParticipantFactory()
    future = timezone.now() + timedelta(days=30)
    error = schema_error(UserRecord, USER | {"joined_at": future.isoformat()})
    response = admin_client.post(
        reverse("admin:buddy_person_change", args=[person.pk]),
        person_post(person, joined_at_0=future.date().isoformat()),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"joined_at": [error.message]}


def test_an_empty_first_name_is_refused_in_the_person_admin_as_by_the_schema(admin_client):
    person = ParticipantFactory()
    error = schema_error(UserRecord, USER | {"first_name": ""})
    response = admin_client.post(
        reverse("admin:buddy_person_change", args=[person.pk]),
        person_post(person, first_name=""),
    )
    assert response.context["adminform"].form.errors == {"first_name": [error.message]}
    person.refresh_from_db()
    assert person.first_name


def test_a_buddy_system_id_that_is_not_a_uuid_is_refused_in_admin_as_by_the_schema(
    admin_client,
):
    person = ParticipantFactory(external_id=False)
    error = schema_error(UserRecord, USER | {"id": "not-a-uuid"})
    response = admin_client.post(
        reverse("admin:buddy_externalid_add"),
        {"provider": "buddy", "external_id": "not-a-uuid", "person": person.pk},
    )
    assert response.context["adminform"].form.errors == {"external_id": [error.message]}
    assert not ExternalId.objects.exists()


def test_a_buddy_system_id_typed_in_admin_is_stored_as_every_look_up_spells_it(admin_client):
    person = ParticipantFactory(external_id=False)
    admin_client.post(
        reverse("admin:buddy_externalid_add"),
        {"provider": "buddy", "external_id": USER["id"].upper(), "person": person.pk},
    )
    assert ExternalId.objects.get(person=person).external_id == USER["id"]


def test_an_other_systems_id_is_not_a_buddy_system_id(admin_client):
    person = ParticipantFactory(external_id=False)
    admin_client.post(
        reverse("admin:buddy_externalid_add"),
        {"provider": "crm", "external_id": "CRM-42", "person": person.pk},
    )
    assert ExternalId.objects.get(person=person).external_id == "CRM-42"


def test_matching_criteria_the_schema_refuses_are_refused_by_the_api_and_the_admin(
    admin_client, coordinator, program
):
    error = schema_error(MatchCreatedRecord, MATCH | {"matching_criteria": NOT_A_LIST})
    participant, buddy = ParticipantFactory(), BuddyFactory()
    for person in (participant, buddy):
        EnrollmentFactory(person=person)
    api = APIClient()
    api.force_authenticate(coordinator)
    response = api.post(
        "/api/matches/",
        {"participant": participant.pk, "buddy": buddy.pk, "matching_criteria": NOT_A_LIST},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [error.as_dict()]

    response = admin_client.post(
        reverse("admin:buddy_match_add"),
        {
            "program": program.pk,
            "participant": participant.pk,
            "buddy": buddy.pk,
            "matching_criteria": '{"interests": "cooking"}',
        },
    )
    form = response.context["adminform"].form
    assert form.errors == {"matching_criteria": [f"interests: {error.message}"]}
    assert not Match.objects.exists()


def test_matching_criteria_the_schema_refuses_are_refused_on_the_match_change_form(
    admin_client,
):
    error = schema_error(MatchCreatedRecord, MATCH | {"matching_criteria": NOT_A_LIST})
    match = MatchFactory()
    response = admin_client.post(
        reverse("admin:buddy_match_change", args=[match.pk]),
        {
            "matching_criteria": '{"interests": "cooking"}',
            "transitions-TOTAL_FORMS": "0",
            "transitions-INITIAL_FORMS": "0",
        },
    )
    form = response.context["adminform"].form
    assert form.errors == {"matching_criteria": [f"interests: {error.message}"]}
    match.refresh_from_db()
    assert match.matching_criteria == {"language": "en"}
