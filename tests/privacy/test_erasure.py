"""Erasure: no personal value of the person left anywhere, statistics unchanged, recorded,
published, irreversible."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from buddy.models import ExternalId, Person
from core.errors import RuleViolation
from core.models import OutboxEvent
from core.pii import personal_field_names
from enrollments.impact import impact, program_figures
from matching.models import RecommendationRun
from privacy.graph import rows_about
from privacy.models import Erasure
from privacy.services import ERASED, person_erase
from tests.factories import ParticipantFactory, buddy_program, coordinator_of

pytestmark = pytest.mark.django_db


def erasable_values(person: Person) -> set[str]:
    """Every non-empty value of a personal field of a row about the person, lower case (the
    organizer naming the buddy's company is the company's, kept for the impact figures)."""
    values = set()
    for rows in rows_about(person).values():
        names = personal_field_names(rows.model)
        for row in rows.queryset().values(*names) if names else []:
            for value in row.values():
                parts = value.values() if isinstance(value, dict) else [value]
                values.update(str(p).strip().lower() for p in parts if p)
    return {v for v in values if len(v) >= 4} - {"umbrella"}


def database_text() -> list[str]:
    """Every value of every column of every table, as lower-case text."""
    texts = []
    for model in apps.get_models(include_auto_created=True):
        names = [f.attname for f in model._meta.concrete_fields]
        for row in model._default_manager.values_list(*names):
            texts.extend(str(value).lower() for value in row if value not in (None, ""))
    return texts


def figures():
    program = buddy_program()
    return (
        {per: impact(program=program, per=per) for per in ("volunteer", "company", "program")},
        program_figures(program=program),
    )


def test_no_value_of_any_personal_field_of_the_person_remains_in_the_database(subject):
    secrets = erasable_values(subject.person) | {subject.person.email}
    assert {"oksana-7731", "checkin-notes-7731", "answer-7731"} <= secrets
    assert {"transition-note-7731", "dismissal-reason-7731"} <= secrets
    before = database_text()
    assert any("feedback-text-7731" in t for t in before)  # also in the webhook payload
    person_erase(person=subject.person)
    leaked = {s for s in secrets for text in database_text() if s in text}
    assert not leaked


def test_other_peoples_data_outside_the_persons_rows_is_untouched(subject):
    person_erase(person=subject.person)
    assert Person.objects.filter(first_name="Stranger-9999").exists()
    assert subject.buddy.__class__.objects.get(pk=subject.buddy.pk).first_name == "Bernd-4410"


def test_the_why_not_matched_texts_about_the_person_are_erased_the_rest_kept(subject):
    run = RecommendationRun.objects.get()
    person_erase(person=subject.person)
    run.refresh_from_db()
    mine, other = run.unmatched
    assert mine == {
        "participant_id": subject.person.pk,
        "code": "no_candidates",
        "text": ERASED,
        "excluded": {"location": 3},
        "relaxations": [{"text": ERASED, "adds": 3}],
    }
    assert other["text"] == "Waiting-text-8820" and run.unmatched_count == 2


def test_statistics_are_the_same_before_and_after(subject):
    before = figures()
    person_erase(person=subject.person)
    assert figures() == before


def test_the_email_hash_is_replaced_so_the_same_address_makes_a_new_person(subject):
    email, old_hash = subject.person.email, subject.person.email_hash
    person_erase(person=subject.person)
    erased = Person.objects.get(pk=subject.person.pk)
    assert erased.email == "" and erased.email_hash not in ("", old_hash)
    assert erased.first_name == ERASED
    assert not ExternalId.objects.filter(person=erased).exists()
    again = ParticipantFactory(email=email)
    assert again.pk != erased.pk


def test_the_erasure_is_recorded_and_published_without_personal_data(subject, admin_user):
    person_erase(person=subject.person, by=admin_user, via="api")
    record = Erasure.objects.get(person_id=subject.person.pk)
    assert record.erased_by == admin_user and record.via == "api"
    event = OutboxEvent.objects.get(type="person.erased")
    assert event.data["person"] == {
        "id": subject.person.pk,
        "buddySystemId": subject.buddy_system_id,
    }
    assert event.program_id == buddy_program().pk


def test_a_second_erasure_is_refused(subject):
    person_erase(person=subject.person)
    with pytest.raises(RuleViolation) as refused:
        person_erase(person=subject.person)
    assert refused.value.code == "privacy.already_erased"


def test_the_api_needs_the_typed_confirmation(subject, admin_user, client):
    client.force_login(admin_user)
    url = f"/api/people/{subject.person.pk}/erase/"
    wrong = client.post(url, {"confirmation": "yes"}, content_type="application/json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "privacy.confirmation_mismatch"
    assert not Erasure.objects.exists()
    right = client.post(
        url, {"confirmation": f"erase person {subject.person.pk}"}, content_type="application/json"
    )
    assert right.status_code == 200 and right.json()["person_id"] == subject.person.pk


def test_a_coordinator_erases_only_with_the_erase_permission(subject, client):
    coordinator = coordinator_of(buddy_program())
    client.force_login(coordinator)
    url = f"/api/people/{subject.person.pk}/erase/"
    body = {"confirmation": f"erase person {subject.person.pk}"}
    assert client.post(url, body, content_type="application/json").status_code == 403
    coordinator.user_permissions.add(Permission.objects.get(codename="erase_person"))
    coordinator = coordinator.__class__.objects.get(pk=coordinator.pk)
    client.force_login(coordinator)
    assert client.post(url, body, content_type="application/json").status_code == 200


def test_erase_person_command_needs_yes(subject, capsys):
    with pytest.raises(CommandError):
        call_command("erase_person", str(subject.person.pk))
    assert not Erasure.objects.exists()
    call_command("erase_person", subject.buddy_system_id, "--yes")
    assert Erasure.objects.filter(person_id=subject.person.pk, via="command").exists()
    assert f"Erased person #{subject.person.pk}" in capsys.readouterr().out
