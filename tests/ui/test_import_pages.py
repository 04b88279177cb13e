"""Imports in the coordinator UI: upload an export (the API's service, size limit and
refusals), follow the run's progress, read its report (counts, warnings, rejections by file,
line and code, paginated), past runs; scoped to the login's programs."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from buddy.models import ImportRun, ImportStatus, Person, Program, ProgramType
from tests.contract import SAMPLE_JSON
from webhooks.imports.report import MORE_REJECTIONS, rejection_summary

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.BUDDY_IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    return tmp_path / "uploads"


def upload(client, path=SAMPLE_JSON, name=None, **data):
    file = SimpleUploadedFile(name or path.name, path.read_bytes())
    return client.post(reverse("webhooks:imports"), {"file": file, **data})


def rejected_run(program, n=3, **kwargs):
    rows = [
        {"file": "users.csv", "line": i + 2, "path": "email", "code": "validation.failed",
         "message": "not an email address"}
        for i in range(n)
    ]  # fmt: skip
    rows.append({"file": "matches.csv", "line": 7, "path": "", "code": "reference.unknown",
                 "message": "Unknown user u-9."})  # fmt: skip
    return ImportRun.objects.create(
        program=program,
        file_name="export.zip",
        status=ImportStatus.SUCCEEDED,
        counts={"users": {"created": 4, "updated": 1, "unchanged": 0, "rejected": n, "total": 5}},
        warnings=["users.csv:3: unknown value 'x' of languages"],
        rejections=rows,
        **kwargs,
    )


def test_an_upload_runs_the_import_and_shows_its_report(
    logged_in, program, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(logged_in)
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{run.pk}/"
    assert (run.status, run.program, run.created_by.username) == (
        ImportStatus.SUCCEEDED, program, "coordinator"
    )  # fmt: skip
    assert Person.objects.count() == 6
    html = logged_in.get(response["Location"]).content.decode()
    assert "Rows per entity" in html and '<th scope="row">users</th>' in html
    assert "hx-trigger" not in html  # finished: nothing polls


def test_a_queued_run_shows_a_progress_bar_that_polls(logged_in, program):
    upload(logged_in)  # the task waits for the commit (the test's transaction never commits)
    run = ImportRun.objects.get()
    html = logged_in.get(reverse("webhooks:import-run", args=[run.pk])).content.decode()
    progress = reverse("webhooks:import-run-progress", args=[run.pk])
    assert f'hx-get="{progress}"' in html and "<progress" in html
    assert "Rows per entity" not in html


def test_the_progress_counts_rows_done_of_the_total(logged_in, program):
    run = ImportRun.objects.create(
        program=program, file_name="x.zip", status=ImportStatus.RUNNING,
        progress={"users": {"done": 6, "total": 6}, "matches": {"done": 1, "total": 4}},
    )  # fmt: skip
    html = logged_in.get(reverse("webhooks:import-run-progress", args=[run.pk])).content.decode()
    assert 'value="7" max="10"' in html and "7 of 10 rows" in html


def test_htmx_polling_a_finished_run_reloads_the_page(logged_in, program):
    run = rejected_run(program)
    url = reverse("webhooks:import-run-progress", args=[run.pk])
    response = logged_in.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Refresh"] == "true"


def test_the_report_lists_rejections_with_file_line_field_and_code(logged_in, program):
    run = rejected_run(program)
    html = logged_in.get(reverse("webhooks:import-run", args=[run.pk])).content.decode()
    assert "<code>users.csv</code>" in html and '<td class="num">2</td>' in html
    assert "<code>email</code>" in html and "<code>validation.failed</code>" in html
    assert "not an email address" in html and "unknown value" in html


def test_the_report_summarises_rejections_by_file_and_code(logged_in, program):
    run = rejected_run(program, n=3)
    summary = logged_in.get(reverse("webhooks:import-run", args=[run.pk])).context["summary"]
    assert summary[0] == {"file": "users.csv", "code": "validation.failed", "count": 3}
    assert summary[1] == {"file": "matches.csv", "code": "reference.unknown", "count": 1}


def test_the_summary_leaves_out_the_more_line():
    rows = [{"file": "", "code": MORE_REJECTIONS, "message": "… and 3 more"}, "old: line"]
    assert rejection_summary(rows) == [{"file": "", "code": "", "count": 1}]


def test_rejections_are_paginated_and_filtered_by_code(logged_in, program):
    run = rejected_run(program, n=60)
    url = reverse("webhooks:import-run", args=[run.pk])
    first = logged_in.get(url).context["page"]
    assert (len(first.object_list), first.paginator.num_pages) == (50, 2)
    only = logged_in.get(url + "?code=reference.unknown").context["page"]
    assert [r["line"] for r in only.object_list] == [7]
    assert "code=reference.unknown&amp;page=2" not in logged_in.get(url).content.decode()


def test_an_upload_that_is_not_an_export_is_refused_next_to_the_field(logged_in, program):
    response = upload(logged_in, name="notes.txt")
    assert response.status_code == 400
    assert "must be a .zip or .json export" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_an_upload_without_a_file_is_refused_next_to_the_field(logged_in, program):
    response = logged_in.post(reverse("webhooks:imports"), {})
    assert response.status_code == 400 and response.context["form"].errors["file"]


def test_an_upload_over_the_size_limit_is_413_before_the_body_is_read(
    logged_in, program, settings, uploads
):
    settings.BUDDY_IMPORT_MAX_UPLOAD_BYTES = SAMPLE_JSON.stat().st_size - 1
    response = upload(logged_in)
    assert response.status_code == 413
    assert "BUDDY_IMPORT_MAX_UPLOAD_BYTES" in response.content.decode()
    assert not ImportRun.objects.exists() and not list(uploads.rglob("*"))


def test_the_upload_needs_the_csrf_token(client, coordinator, program):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(coordinator)
    assert upload(strict).status_code == 403
    assert not ImportRun.objects.exists()


def test_the_upload_goes_into_the_switchers_program(
    client, program, django_capture_on_commit_callbacks
):
    from tests.factories import coordinator_of

    mentorship = Program.objects.get(program_type=ProgramType.MENTORSHIP)
    client.force_login(coordinator_of(program, mentorship, username="both"))
    client.get(reverse("webhooks:imports") + "?program=mentorship")
    upload(client)
    assert ImportRun.objects.get().program == mentorship


def test_past_runs_are_those_of_the_current_program_newest_first(logged_in, program):
    other = Program.objects.get(program_type=ProgramType.MENTORSHIP)
    older, newer = rejected_run(program), rejected_run(program)
    ImportRun.objects.create(program=other, file_name="theirs.zip")
    runs = list(logged_in.get(reverse("webhooks:imports")).context["runs"])
    assert runs == [newer, older]


def test_a_run_of_another_program_is_404(client, program):
    from tests.factories import coordinator_of

    mentorship = Program.objects.get(program_type=ProgramType.MENTORSHIP)
    client.force_login(coordinator_of(mentorship, username="mentor-coord"))
    run = rejected_run(program)
    assert client.get(reverse("webhooks:import-run", args=[run.pk])).status_code == 404
    assert client.get(reverse("webhooks:import-run-progress", args=[run.pk])).status_code == 404


def test_a_viewer_reads_the_runs_but_gets_no_upload_form_and_may_not_upload(
    client, viewer, program
):
    run = rejected_run(program, created_by=viewer)
    client.force_login(viewer)
    html = client.get(reverse("webhooks:imports")).content.decode()
    assert 'type="file"' not in html and f"/imports/{run.pk}/" in html
    assert upload(client).status_code == 403
    assert client.get(reverse("webhooks:import-run", args=[run.pk])).status_code == 200


def test_company_users_and_logins_without_a_role_get_403_anonymous_the_login(client, program):
    from tests.factories import CompanyFactory, UserFactory, company_user_of

    url = reverse("webhooks:imports")
    assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(UserFactory(username="nobody"))
    assert client.get(url).status_code == 403
    client.force_login(company_user_of(CompanyFactory(name="Initech"), username="initech"))
    assert client.get(url).status_code == 403


def test_the_report_of_the_sample_export_names_no_email(
    logged_in, program, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        location = upload(logged_in)["Location"]
    emails = {p["email"] for p in json.loads(SAMPLE_JSON.read_text())["users"] if p.get("email")}
    html = logged_in.get(location).content.decode()
    assert emails and not any(email in html for email in emails)
