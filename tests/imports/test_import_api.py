"""Upload API: POST an export → 202 with the run id; GET the run → status and progress."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from buddy.models import ImportRun, ImportStatus, Person
from tests.factories import UserFactory


@pytest.fixture
def staff_client(coordinator, settings, tmp_path):
    settings.BUDDY_IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    client = APIClient()
    client.force_authenticate(coordinator)
    return client


def _upload(path, name=None):
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def test_an_upload_is_accepted_and_imported_by_the_worker(
    staff_client, sample_json, program, django_capture_on_commit_callbacks, tmp_path
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/api/imports/", {"file": _upload(sample_json)})

    assert response.status_code == 202
    run_id = response.json()["id"]
    detail = staff_client.get(f"/api/imports/{run_id}/").json()
    assert detail["status"] == ImportStatus.SUCCEEDED
    assert detail["progress"]["done"] == detail["progress"]["total"] == 20
    assert detail["progress"]["entities"]["users"] == {"done": 6, "total": 6}
    assert detail["counts"]["users"]["created"] == 6
    assert detail["file_name"] == "sample.json"
    assert Person.objects.count() == 6
    assert not list((tmp_path / "uploads").rglob("*.json"))  # no copy kept once imported


def test_the_run_is_queued_until_the_transaction_commits(staff_client, sample_json, program):
    response = staff_client.post("/api/imports/", {"file": _upload(sample_json)})

    assert response.status_code == 202
    assert response.json()["status"] == ImportStatus.QUEUED
    assert ImportRun.objects.get().created_by.username == "coordinator"


def test_an_upload_that_is_not_an_export_is_refused(staff_client, sample_json, program):
    response = staff_client.post("/api/imports/", {"file": _upload(sample_json, "notes.txt")})

    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "file"


def test_only_staff_may_import(sample_json, program):
    client = APIClient()
    client.force_authenticate(UserFactory(username="volunteer", is_staff=False))

    response = client.post("/api/imports/", {"file": _upload(sample_json)})

    assert response.status_code == 403


def test_an_unreadable_upload_fails_its_run_with_a_code(
    staff_client, program, django_capture_on_commit_callbacks
):
    broken = SimpleUploadedFile("export.json", b'{"users": [ {"id": ')
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/api/imports/", {"file": broken})

    detail = staff_client.get(f"/api/imports/{response.json()['id']}/").json()
    assert (detail["status"], detail["error_code"]) == ("failed", "import.unreadable")


def test_an_upload_over_the_size_limit_is_413_and_nothing_is_kept(
    staff_client, sample_json, program, settings, tmp_path
):
    settings.BUDDY_IMPORT_MAX_UPLOAD_BYTES = sample_json.stat().st_size - 1

    response = staff_client.post("/api/imports/", {"file": _upload(sample_json)})

    assert response.status_code == 413
    assert response.json()["code"] == "import.upload_too_large"
    assert not ImportRun.objects.exists()
    assert not list((tmp_path / "uploads").rglob("*"))


def test_the_uploaded_file_of_a_failed_import_is_deleted(
    staff_client, program, django_capture_on_commit_callbacks, tmp_path
):
    broken = SimpleUploadedFile("export.zip", b"PK\x03\x04 not a zip")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/api/imports/", {"file": broken})

    run = ImportRun.objects.get(pk=response.json()["id"])
    assert run.status == ImportStatus.FAILED
    assert run.file_path == ""
    assert not list((tmp_path / "uploads").rglob("*.zip"))
