"""Each kind of access to a person's personal data is recorded (person id, who, when)."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buddy.access_log import _insert, access_log_record, log_person_access
from buddy.models import AccessKind, AccessLogEntry, Person
from tests.factories import EnrollmentFactory, ParticipantFactory
from tests.seams import implementations

pytestmark = pytest.mark.django_db


def kinds(person) -> list[tuple[str, str | None]]:
    return [
        (e.kind, e.user.username if e.user else None)
        for e in AccessLogEntry.objects.filter(person_id=person.pk).order_by("id")
    ]


@pytest.fixture
def person(db):
    person = ParticipantFactory()
    EnrollmentFactory(person=person)
    return person


def test_the_api_detail_is_recorded(client, coordinator, person):
    client.force_login(coordinator)
    assert client.get(f"/api/people/{person.pk}/").status_code == 200
    assert kinds(person) == [("api_detail", coordinator.username)]


def test_the_api_list_records_each_person_of_the_page(client, coordinator, person):
    other = ParticipantFactory()
    EnrollmentFactory(person=other)
    client.force_login(coordinator)
    assert client.get("/api/people/").status_code == 200
    assert kinds(person) == [("api_list", coordinator.username)]
    assert kinds(other) == [("api_list", coordinator.username)]


def test_a_viewer_reading_masked_data_is_recorded_too(client, viewer, person):
    client.force_login(viewer)
    client.get(f"/api/people/{person.pk}/")
    assert kinds(person) == [("api_detail", viewer.username)]


def test_the_api_export_is_recorded(client, coordinator, person):
    client.force_login(coordinator)
    assert client.get(f"/api/people/{person.pk}/export/").status_code == 200
    assert kinds(person) == [("export", coordinator.username)]


def test_the_command_export_is_recorded_without_a_user(person, tmp_path):
    call_command("export_person", str(person.pk), output=str(tmp_path / "p.zip"))
    assert kinds(person) == [("export", None)]


def test_the_admin_change_view_of_a_person_is_recorded(client, admin_user, person):
    client.force_login(admin_user)
    assert client.get(f"/admin/buddy/person/{person.pk}/change/").status_code == 200
    assert kinds(person) == [("admin", admin_user.username)]


def test_a_person_page_records_with_one_line(rf, coordinator, person):
    request = rf.get("/people/1/")
    request.user = coordinator
    log_person_access(request, person)
    assert kinds(person) == [("page", coordinator.username)]


def test_the_log_holds_ids_only_and_is_for_superusers(client, admin_user, coordinator, person):
    client.force_login(coordinator)
    client.get(f"/api/people/{person.pk}/")
    entry = AccessLogEntry.objects.get()
    values = [str(getattr(entry, f.attname)) for f in entry._meta.concrete_fields]
    stored = Person.objects.get(pk=person.pk)
    assert not {stored.first_name, stored.last_name, stored.email} & set(values)
    assert client.get("/admin/buddy/accesslogentry/").status_code in (302, 403)
    client.force_login(admin_user)
    assert client.get("/admin/buddy/accesslogentry/").status_code == 200


access_log_insert = implementations(_insert)


@pytest.mark.parametrize("login", ["someone", None])
def test_one_insert_records_each_person_once_in_order(django_user_model, access_log_insert, login):
    user = django_user_model.objects.create(username=login) if login else None
    people = [ParticipantFactory() for _ in range(3)]
    ids = [people[2].pk, people[0].pk, people[2].pk, people[1].pk]
    with CaptureQueriesContext(connection) as queries:
        assert access_log_record(user=user, kind=AccessKind.API_LIST, person_ids=ids) == 3
    assert len(queries) == 1
    rows = list(AccessLogEntry.objects.order_by("id").values_list("person_id", "kind", "user_id"))
    expected_user = user.pk if user else None
    assert rows == [(pk, "api_list", expected_user) for pk in (ids[0], ids[1], ids[3])]
    assert len(set(AccessLogEntry.objects.values_list("at", flat=True))) == 1
    assert access_log_record(user=user, kind=AccessKind.API_LIST, person_ids=[]) == 0
