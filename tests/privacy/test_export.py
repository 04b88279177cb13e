"""Subject access export: every row naming the person, other people by role only."""

import io
import json
import zipfile

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import JSONField

from buddy.models import AccessLogEntry, Person
from privacy.export import person_export
from privacy.graph import SKIPPED_APPS, person_foreign_keys, rows_about
from tests.factories import UserFactory, buddy_program, coordinator_of

pytestmark = pytest.mark.django_db


def unzip(content: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name: archive.read(name).decode()
            if name.endswith(".txt")
            else json.loads(archive.read(name))
            for name in archive.namelist()
        }


def person_relations(model):
    """The foreign keys and many-to-many fields of ``model`` that point to ``Person``."""
    return [
        f
        for f in model._meta.get_fields()
        if f.concrete and f.is_relation and f.related_model is Person
    ]


def models_naming_people():
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label not in SKIPPED_APPS and person_relations(m)
    ]


def person_keys() -> set[str]:
    """How a row names a person by id: the column of every foreign key to ``Person``
    (``participant_id``, ``buddy_id``, ``person_id`` …), also as a key inside JSON."""
    return {key.attname for model in apps.get_models() for key in person_foreign_keys(model)}


def names_in_json(value, pk: int, keys: set[str]) -> bool:
    if isinstance(value, dict):
        if any(value.get(key) == pk for key in keys):
            return True
        value = list(value.values())
    return isinstance(value, list) and any(names_in_json(v, pk, keys) for v in value)


def rows_naming_in_json(person) -> dict[str, set]:
    """Every row (by model label) with a JSON column holding an object that names the person
    by id (``RecommendationRun.unmatched``: ``{"participant_id": 12, "text": …}``)."""
    keys, found = person_keys(), {}
    for model in apps.get_models():
        columns = [f.attname for f in model._meta.concrete_fields if isinstance(f, JSONField)]
        if model._meta.app_label in SKIPPED_APPS or not columns:
            continue
        for pk, *values in model._default_manager.values_list("pk", *columns):
            if any(names_in_json(v, person.pk, keys) for v in values):
                found.setdefault(model._meta.label, set()).add(pk)
    return found


def test_the_export_holds_every_row_of_every_model_that_references_person(subject):
    """References by a foreign key to ``Person``, and by a person's id inside JSON."""
    files = unzip(person_export(person=subject.person))
    in_json = rows_naming_in_json(subject.person)
    assert "matching.RecommendationRun" in in_json, "the fixture names nobody in JSON: add it"
    for label, naming in in_json.items():
        exported = {row["id"] for row in files.get(f"data/{label}.json", [])}
        assert naming <= exported, label
    assert models_naming_people(), "introspection found no model referencing Person"
    for model in models_naming_people():
        keys = person_relations(model)
        naming = set()
        for key in keys:
            naming |= set(
                model._default_manager.filter(**{key.name: subject.person}).values_list(
                    "pk", flat=True
                )
            )
        assert naming, f"the fixture has no {model._meta.label} row: add one"
        exported = {row[model._meta.pk.attname] for row in files[f"data/{model._meta.label}.json"]}
        assert naming <= exported, model._meta.label


def test_the_export_follows_rows_of_the_persons_matches_and_enrollments(subject):
    files = unzip(person_export(person=subject.person))
    for label in (
        "buddy.MatchTransition",
        "buddy.CheckIn",
        "buddy.Feedback",
        "buddy.InformalEvent",
        "buddy.EnrollmentStatusChange",
        "enrollments.JourneyFlags",
    ):
        assert files[f"data/{label}.json"], label
    assert files["data/buddy.Person.json"][0]["first_name"] == "Oksana-7731"
    assert files["data/buddy.ExternalId.json"][0]["external_id"] == subject.buddy_system_id
    assert "README.txt" in files and "manifest.json" in files


def test_webhook_events_and_import_lines_naming_the_person_are_exported(subject):
    files = unzip(person_export(person=subject.person))
    assert len(files["webhook_events.json"]) == 2
    assert [line["import_run"] for line in files["import_report_lines.json"]] == [
        subject.import_run.pk
    ]


def test_other_people_appear_by_role_only(subject):
    content = person_export(person=subject.person)
    files = unzip(content)
    text = json.dumps(files)
    assert "Bernd-4410" not in text and subject.buddy.email not in text
    assert "Teacher-comment-4410" not in text  # the buddy's own comment on a shared session
    assert "Learner-comment-7731" in text
    assert files["data/buddy.Match.json"][0]["buddy"] == "another person (buddy)"
    assert "Stranger" not in text


def test_the_walk_excludes_other_peoples_attendances_of_a_shared_match(subject):
    found = rows_about(subject.person)
    attendances = found["buddy.EventAttendance"].queryset()
    assert {a.person_id for a in attendances} == {subject.person.pk}


def test_export_person_command_writes_the_zip_and_prints_its_path(subject, tmp_path, capsys):
    target = tmp_path / "out.zip"
    call_command("export_person", subject.buddy_system_id, output=str(target))
    assert capsys.readouterr().out.strip() == str(target)
    assert unzip(target.read_bytes())["data/buddy.Person.json"][0]["id"] == subject.person.pk
    assert AccessLogEntry.objects.filter(person_id=subject.person.pk, kind="export").exists()


def test_the_api_export_is_a_zip_for_the_coordinator_of_the_persons_program(
    subject, client, coordinator
):
    client.force_login(coordinator)
    response = client.get(f"/api/people/{subject.person.pk}/export/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert unzip(response.content)["data/buddy.Person.json"][0]["id"] == subject.person.pk
    assert Person.objects.count() > 1


def test_a_runs_why_not_matched_list_is_exported_with_the_persons_entry_only(subject):
    files = unzip(person_export(person=subject.person))
    (run,) = files["data/matching.RecommendationRun.json"]
    assert [entry["participant_id"] for entry in run["unmatched"]] == [subject.person.pk]
    assert run["unmatched"][0]["code"] == "no_candidates"
    assert run["unmatched_count"] == 2  # the run's figure, not someone's data
    assert "Waiting-text-8820" not in json.dumps(files)


def test_a_restricted_case_is_withheld_from_an_export_for_someone_not_allowed(subject, client):
    client.force_login(coordinator_of(buddy_program()))  # without concerns.safeguarding
    files = unzip(client.get(f"/api/people/{subject.person.pk}/export/").content)
    text = json.dumps(files)
    assert "Safeguarding-text-7731" not in text and "Concern-text-7731" in text
    (withheld,) = [c for c in files["data/concerns.Concern.json"] if c.get("withheld")]
    assert withheld["restricted"] is True and "description" not in withheld
    steps = files["data/concerns.ConcernStep.json"]
    assert withheld["id"] not in {step["concern_id"] for step in steps}


def test_a_restricted_case_is_in_the_export_for_those_allowed_and_the_command(subject, client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get(f"/api/people/{subject.person.pk}/export/")
    assert "Safeguarding-text-7731" in json.dumps(unzip(response.content))
    assert "Safeguarding-text-7731" in json.dumps(unzip(person_export(person=subject.person)))


def test_a_case_about_their_match_only_is_exported_naming_no_other_person(subject):
    files = unzip(person_export(person=subject.person))
    (case,) = [c for c in files["data/concerns.Concern.json"] if c["category"] == "reliability"]
    assert case["description"] == "Match-concern-7731 late twice"
    assert case["person_id"] is None  # empty, not "another person"
