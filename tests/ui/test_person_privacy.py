"""A person's page and their personal-data rights: the page view is recorded, the export is a
download for coordinators (recorded as an export), the erasure needs the erasure permission and
the typed phrase, and goes through the one erasure service."""

import io
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from buddy.models import AccessLogEntry, Person
from privacy.models import Erasure
from privacy.services import ERASED
from tests.factories import UserFactory, coordinator_of
from tests.ui.conftest import enrolled_match

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(program):
    return enrolled_match(program, participant__first_name="Marta-5521").participant


@pytest.fixture
def eraser(program):
    """A coordinator of the buddy program given ``privacy.erase_person``."""
    user = coordinator_of(program, username="eraser")
    user.user_permissions.add(Permission.objects.get(codename="erase_person"))
    return user


def log(person) -> list[tuple[str, str]]:
    entries = AccessLogEntry.objects.filter(person_id=person.pk).order_by("id")
    return [(e.kind, e.user.username) for e in entries.select_related("user")]


def erase(client, person, phrase: str):
    return client.post(reverse("privacy:person-erase", args=[person.pk]), {"confirmation": phrase})


def test_viewing_a_person_page_is_recorded_in_the_access_log(logged_in, person):
    assert logged_in.get(reverse("buddy:person", args=[person.pk])).status_code == 200
    assert log(person) == [("page", "coordinator")]


def test_a_viewer_viewing_a_person_page_is_recorded_too(client, viewer, person):
    client.force_login(viewer)
    assert client.get(reverse("buddy:person", args=[person.pk])).status_code == 200
    assert log(person) == [("page", "viewer")]


def test_the_people_list_records_each_person_it_shows(logged_in, program, person):
    other = enrolled_match(program).participant
    assert logged_in.get(reverse("buddy:people")).status_code == 200
    assert log(person) == log(other) == [("page", "coordinator")]


def test_a_match_page_records_both_people(logged_in, program):
    match = enrolled_match(program)
    assert logged_in.get(reverse("buddy:match", args=[match.pk])).status_code == 200
    assert log(match.participant) == log(match.buddy) == [("page", "coordinator")]


def test_the_match_list_records_the_people_of_its_matches(logged_in, program):
    match = enrolled_match(program)
    assert logged_in.get(reverse("buddy:matches")).status_code == 200
    assert log(match.participant) == log(match.buddy) == [("page", "coordinator")]


def test_a_match_action_page_records_both_people(logged_in, program):
    match = enrolled_match(program)
    url = reverse("buddy:match-action", args=[match.pk]) + "?action=end"
    assert logged_in.get(url).status_code == 200
    assert log(match.participant) == log(match.buddy) == [("page", "coordinator")]


def test_a_coordinator_sees_the_export_button_and_a_viewer_does_not(
    logged_in, client, viewer, person
):
    url = reverse("buddy:person", args=[person.pk])
    export = f'href="{reverse("privacy:person-export", args=[person.pk])}"'
    assert export in logged_in.get(url).content.decode()
    client.force_login(viewer)
    assert export not in client.get(url).content.decode()


def test_the_export_button_downloads_the_persons_zip_recorded_as_an_export(logged_in, person):
    response = logged_in.get(reverse("privacy:person-export", args=[person.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="person-{person.pk}.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert "data/buddy.Person.json" in archive.namelist()
    assert log(person) == [("export", "coordinator")]


def test_the_erase_button_shows_only_with_the_erasure_permission(logged_in, client, eraser, person):
    url = reverse("buddy:person", args=[person.pk])
    erase_link = f'href="{reverse("privacy:person-erase", args=[person.pk])}"'
    assert erase_link not in logged_in.get(url).content.decode()
    client.force_login(eraser)
    assert erase_link in client.get(url).content.decode()


def test_a_coordinator_without_the_erasure_permission_is_refused(logged_in, person):
    assert logged_in.get(reverse("privacy:person-erase", args=[person.pk])).status_code == 403
    assert erase(logged_in, person, f"erase person {person.pk}").status_code == 403
    assert not Erasure.objects.exists()


def test_the_erase_page_asks_for_the_typed_phrase(client, eraser, person):
    client.force_login(eraser)
    response = client.get(reverse("privacy:person-erase", args=[person.pk]))
    assert response.status_code == 200
    assert f"<kbd>erase person {person.pk}</kbd>" in response.content.decode()


def test_a_wrong_phrase_erases_nothing_and_says_what_to_type(client, eraser, person):
    client.force_login(eraser)
    response = erase(client, person, "yes")
    assert response.status_code == 400
    assert f"Type &quot;erase person {person.pk}&quot;" in response.content.decode()
    assert not Erasure.objects.exists()
    assert Person.objects.get(pk=person.pk).first_name == "Marta-5521"


def test_the_typed_phrase_erases_through_the_service_and_says_so(client, eraser, person):
    client.force_login(eraser)
    response = erase(client, person, f"erase person {person.pk}")
    assert response.status_code == 302
    assert response.url == reverse("buddy:person", args=[person.pk])
    record = Erasure.objects.get(person_id=person.pk)
    assert (record.via, record.erased_by) == ("page", eraser)
    assert Person.objects.get(pk=person.pk).first_name == ERASED
    page = client.get(response.url).content.decode()
    assert "personal data erased" in page and "Marta-5521" not in page


def test_a_superuser_erases_without_a_grant(client, person):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert erase(client, person, f"erase person {person.pk}").status_code == 302
    assert Erasure.objects.filter(person_id=person.pk, via="page").exists()


def test_a_second_erasure_is_refused_with_a_message(client, eraser, person):
    client.force_login(eraser)
    erase(client, person, f"erase person {person.pk}")
    assert (
        "already erased"
        in client.get(reverse("privacy:person-erase", args=[person.pk])).content.decode()
    )
    response = erase(client, person, f"erase person {person.pk}")
    assert response.status_code == 400
    assert "already erased" in response.content.decode()
    assert Erasure.objects.count() == 1
