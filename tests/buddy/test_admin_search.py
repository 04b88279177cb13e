"""Admin search finds people and rows by key (id, Buddy System id, email), not only by name."""

import pytest
from django.urls import reverse

from buddy.models import Person
from tests.factories import (
    BuddyFactory,
    FeedbackFactory,
    MatchFactory,
    ParticipantFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


def found(client, model_name: str, term: str) -> list[int]:
    response = client.get(reverse(f"admin:buddy_{model_name}_changelist"), {"q": term})
    assert response.status_code == 200
    return sorted(obj.pk for obj in response.context["cl"].result_list)


def test_a_person_is_found_by_email_in_any_case(admin_client):
    person = ParticipantFactory(email="Olena.K@Example.org")
    ParticipantFactory()
    assert found(admin_client, "person", "  OLENA.k@example.ORG ") == [person.pk]


def test_a_person_is_found_by_buddy_system_id_and_by_id(admin_client):
    person, other = ParticipantFactory(), ParticipantFactory()
    assert found(admin_client, "person", PersonFactory.buddy_uuid(person)) == [person.pk]
    assert found(admin_client, "person", str(other.pk)) == [other.pk]


def test_a_match_is_found_by_its_id_or_by_a_persons_buddy_system_id(admin_client):
    match, other = MatchFactory(), MatchFactory()
    assert found(admin_client, "match", str(match.external_id)) == [match.pk]
    assert found(admin_client, "match", PersonFactory.buddy_uuid(other.buddy)) == [other.pk]
    assert found(admin_client, "match", f"#{other.pk}") == [other.pk]


def test_an_activity_is_found_by_its_buddy_system_id(admin_client):
    feedback = FeedbackFactory()
    FeedbackFactory()
    assert found(admin_client, "feedback", str(feedback.external_id)) == [feedback.pk]


def test_match_autocomplete_offers_only_people_of_the_fields_role(admin_client):
    participant, buddy = ParticipantFactory(), BuddyFactory()

    def offered(field_name):
        response = admin_client.get(
            reverse("admin:autocomplete"),
            {"app_label": "buddy", "model_name": "match", "field_name": field_name, "term": ""},
        )
        return {int(r["id"]): r["text"] for r in response.json()["results"]}

    assert offered("participant") == {participant.pk: f"Participant #{participant.pk}"}
    assert offered("buddy") == {buddy.pk: f"Buddy #{buddy.pk}"}


def test_people_autocomplete_never_shows_names(admin_client):
    person = ParticipantFactory(first_name="Olena", last_name="Kovalenko")
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "buddy", "model_name": "match", "field_name": "participant", "term": "Kov"},
    )
    assert response.json()["results"] == [
        {"id": str(person.pk), "text": f"Participant #{person.pk}"}
    ]


def test_audit_fields_are_read_only(admin_client):
    person = ParticipantFactory()
    feedback = FeedbackFactory()
    person_form = admin_client.get(reverse("admin:buddy_person_change", args=[person.pk]))
    feedback_form = admin_client.get(reverse("admin:buddy_feedback_change", args=[feedback.pk]))
    assert {"created_at", "updated_at", "email_hash"} <= set(
        person_form.context["adminform"].readonly_fields
    )
    assert {"source", "created_at", "updated_at"} <= set(
        feedback_form.context["adminform"].readonly_fields
    )
    assert "source" not in feedback_form.context["adminform"].form.fields
    assert Person.objects.count() >= 1
