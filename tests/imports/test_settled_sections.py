"""Settled sections (``webhooks.imports.settled``): a section imported again unchanged into an
unchanged database is replayed, not re-validated and re-written, and reports what a full
re-import reports; any change to the section's bytes, its tables or the code runs it in full."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.exportgen import ProgramHistory
from buddy.models import CheckIn, ImportedSection, Match
from buddy.schemas import CheckInRecord, validate_record
from buddy.services.activities import checkin_record
from tests.imports.state import db_state, last_update, wipe
from tests.imports.test_batch_queries import _queries, _with_activities
from webhooks.imports import pipeline, settled
from webhooks.imports.writers import TABLES
from webhooks.imports.writers.batch import batch_writes

pytestmark = pytest.mark.postgres

ACTIVITY_TABLES = {
    "buddy_informalevent",
    "buddy_eventattendance",
    "buddy_skillsession",
    "buddy_checkin",
    "buddy_feedback",
    "buddy_milestoneachievement",
}
CHECKIN = "a0000000-0000-4000-8000-00000000c001"


def _import(run_import, path, **kwargs):
    """The report (as stored, without its duration) and the tables the import staged, i.e.
    validated and compared row by row (the full path)."""
    with CaptureQueriesContext(connection) as queries:
        report = run_import(path, **kwargs)
    staged = {
        table
        for query in queries.captured_queries
        for table in re.findall(
            r'CREATE TEMPORARY TABLE IF NOT EXISTS "buddy_import_stage_(\w+)"', query["sql"]
        )
    }
    found = report.as_dict()
    found.pop("duration_seconds")
    return found, staged


def _full_reimport(run_import, path):
    ImportedSection.objects.all().delete()
    return _import(run_import, path)


def _with_warnings_and_rejections(rows: dict) -> dict:
    rows["event_attendance"][0]["event_type"] = "sports"  # enum drift: a warning
    rows["events"][0]["attendees"].append("0f0f0f0f-0000-4000-8000-000000000099")  # a warning
    rows["checkins"][1]["match_id"] = "0f0f0f0f-0000-4000-8000-000000000098"  # unknown match
    rows["feedback"][0]["rating"] = 1.5  # invalid
    return rows


@pytest.mark.parametrize("form", ["folder", "json"])
def test_an_unchanged_reimport_stages_no_activity_and_changes_nothing(run_import, export, form):
    path = ProgramHistory(scale=0.01, seed=3).write(_target(export, form), form=form)
    _import(run_import, path, batch_size=20)
    state, updated = db_state(), last_update()

    report, staged = _import(run_import, path, batch_size=20)

    assert staged.isdisjoint(ACTIVITY_TABLES)
    assert all(c["created"] == c["updated"] == 0 for c in report["counts"].values())
    assert db_state() == state
    assert last_update() == updated
    assert report == _full_reimport(run_import, path)[0]


def test_a_replayed_reimport_costs_the_same_queries_whatever_its_rows(
    run_import, export, sample_rows, monkeypatch
):
    monkeypatch.setattr(pipeline._Import, "finish", lambda self: None)  # the recompute's own
    small, large = (
        export(_with_activities(sample_rows, 5)),
        export(_with_activities(sample_rows, 40)),
    )
    run_import(small)
    few = _queries(run_import, small)
    wipe()
    run_import(large)

    assert _queries(run_import, large) == few


def test_a_replayed_report_has_the_full_runs_warnings_and_rejections(
    run_import, export, sample_rows
):
    path = export(_with_warnings_and_rejections(sample_rows))
    run_import(path)

    replayed, staged = _import(run_import, path)

    assert staged.isdisjoint(ACTIVITY_TABLES)
    assert replayed["warnings"] and replayed["rejections"]
    assert replayed == _full_reimport(run_import, path)[0]


def test_a_key_repeated_in_the_file_replays_the_full_runs_counts(run_import, export, sample_rows):
    sample_rows["checkins"].append({**sample_rows["checkins"][0], "notes": "a later word"})
    path = export(sample_rows)
    run_import(path)

    replayed, staged = _import(run_import, path)

    assert "buddy_checkin" not in staged
    assert replayed["counts"]["checkins"]["unchanged"] == 3
    assert replayed == _full_reimport(run_import, path)[0]


def test_a_row_changed_in_the_file_is_written_again(run_import, export, sample_rows):
    run_import(export(sample_rows))
    sample_rows["checkins"][0]["notes"] = "Changed in the export."

    report, staged = _import(run_import, export(sample_rows))

    assert "buddy_checkin" in staged
    assert report["counts"]["checkins"]["updated"] == 1
    assert CheckIn.objects.get(external_id=CHECKIN).notes == "Changed in the export."
    assert "buddy_feedback" not in staged


def test_a_row_edited_in_the_database_since_is_validated_and_written_again(
    run_import, export, sample_rows
):
    path = export(sample_rows)
    run_import(path)
    edited = {**sample_rows["checkins"][0], "notes": "Edited by a webhook."}
    checkin_record(record=validate_record(CheckInRecord, edited))

    report, staged = _import(run_import, path)

    assert "buddy_checkin" in staged
    assert report["counts"]["checkins"]["updated"] == 1
    assert CheckIn.objects.get(external_id=CHECKIN).notes == sample_rows["checkins"][0]["notes"]


def test_a_row_deleted_since_is_created_again(run_import, export, sample_rows):
    path = export(sample_rows)
    run_import(path)
    CheckIn.objects.filter(external_id=CHECKIN).delete()

    report, _staged = _import(run_import, path)

    assert report["counts"]["checkins"]["created"] == 1
    assert CheckIn.objects.filter(external_id=CHECKIN).exists()


def test_a_new_digest_version_runs_every_section_in_full(
    run_import, export, sample_rows, monkeypatch
):
    path = export(sample_rows)
    run_import(path)
    monkeypatch.setattr(settled, "DIGEST_VERSION", settled.DIGEST_VERSION + 1)

    report, staged = _import(run_import, path)

    assert staged >= ACTIVITY_TABLES
    assert all(c["created"] == c["updated"] == 0 for c in report["counts"].values())


def test_a_code_change_runs_every_section_in_full(run_import, export, sample_rows, monkeypatch):
    path = export(sample_rows)
    run_import(path)
    monkeypatch.setattr(settled, "code_fingerprint", lambda: b"other code")

    _report, staged = _import(run_import, path)

    assert staged >= ACTIVITY_TABLES


def test_two_spellings_of_one_key_are_never_replayed(run_import, export, sample_rows):
    twin = {**sample_rows["checkins"][0], "checkin_id": CHECKIN.replace("-", ""), "notes": "x"}
    sample_rows["checkins"].append(twin)
    path = export(sample_rows)
    run_import(path)

    report, staged = _import(run_import, path)

    assert "buddy_checkin" in staged
    assert not ImportedSection.objects.filter(entity="checkins").exists()
    assert report == _full_reimport(run_import, path)[0]


def test_a_row_refused_for_a_future_date_is_validated_again(run_import, export, sample_rows):
    soon = datetime.now(UTC) + timedelta(days=2)
    sample_rows["checkins"][0]["checkin_date"] = soon.isoformat().replace("+00:00", "Z")
    path = export(sample_rows)
    first = run_import(path)
    assert first.entities["checkins"]["rejected"] == 1

    _report, staged = _import(run_import, path)

    assert "buddy_checkin" in staged
    assert "buddy_feedback" not in staged


@pytest.mark.parametrize("meddled", ["written table", "read table"])
def test_a_section_another_writer_wrote_beside_is_not_recorded(
    run_import, export, sample_rows, meddled
):
    def another_writer(entity, done, total):  # between the section's batches
        if entity != "checkins" or not done:
            return
        if meddled == "written table":
            CheckIn.objects.filter(external_id=CHECKIN).update(notes="meanwhile")
        else:
            Match.objects.update(updated_at=datetime.now(UTC))

    run_import(export(sample_rows), progress=another_writer)

    assert not ImportedSection.objects.filter(entity="checkins").exists()
    assert ImportedSection.objects.filter(entity="feedback").exists()


def test_a_dry_run_neither_records_nor_replays(run_import, export, sample_rows):
    path = export(sample_rows)
    run_import(path, dry_run=True)
    assert not ImportedSection.objects.exists()
    run_import(path)

    _report, staged = _import(run_import, path, dry_run=True)

    assert staged >= ACTIVITY_TABLES


def test_without_postgresql_every_section_runs_in_full(run_import, export, sample_rows):
    path = export(sample_rows)
    with batch_writes.forced("generic"):
        run_import(path)
        again = run_import(path)

    assert not ImportedSection.objects.exists()
    assert all(c["created"] == c["updated"] == 0 for c in again.entities.values())


def _target(export, form):
    path = export({}, form=form)
    if path.is_file():
        path.unlink()
    return path


def test_each_settled_entity_names_the_table_its_writer_fills_first():
    for name, models in settled.DEPENDS.items():
        assert models[0] in TABLES[name], name


def test_the_admin_lists_settled_sections_and_deleting_one_runs_it_in_full_next_time(
    run_import, export, sample_rows, client, admin_user
):
    path = export(sample_rows)
    run_import(path)
    section = ImportedSection.objects.get(entity="checkins")
    client.force_login(admin_user)
    assert client.get("/admin/buddy/importedsection/").status_code == 200
    deleted = client.post(f"/admin/buddy/importedsection/{section.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    _, staged = _import(run_import, path)
    assert "buddy_checkin" in staged and "buddy_feedback" not in staged
