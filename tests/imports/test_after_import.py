"""After an import: enrollments derived, flags computed, waiting events told, counts checked."""

from datetime import UTC, datetime, timedelta

from buddy.models import EnrollmentStatus, Person

OLENA = "5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e01"
AHMAD = "5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e11"
IRYNA = "5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e21"


def _status(program, external_id):
    person = Person.objects.get(external_ids__external_id=external_id)
    return person.enrollments.get(program=program).status


def test_every_imported_user_is_enrolled_with_the_derived_status(
    run_import, export, sample_rows, program
):
    now = datetime.now(UTC)
    for user in sample_rows["users"]:
        user["joined_at"] = _iso(now - timedelta(days=60))
    active, ended = sample_rows["matches"]
    active["matched_at"] = _iso(now - timedelta(days=30))
    ended["matched_at"], ended["ended_at"] = (
        _iso(now - timedelta(days=50)),
        _iso(now - timedelta(days=20)),
    )
    run_import(export({"users": sample_rows["users"], "matches": sample_rows["matches"]}))

    assert Person.objects.filter(enrollments__program=program).count() == 6
    assert _status(program, AHMAD) == EnrollmentStatus.COMPLETED  # its match ended completed
    assert _status(program, OLENA) == EnrollmentStatus.ACTIVE  # an active match
    assert _status(program, IRYNA) == EnrollmentStatus.ACTIVE  # no match yet


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_flags_are_computed_and_reported(run_import, export, sample_rows):
    long_ago = datetime.now(UTC) - timedelta(days=120)
    active, ended = sample_rows["matches"]
    active["matched_at"] = _iso(long_ago)
    ended["ended_at"] = ended["matched_at"]
    ended.pop("duration_days")
    sample_rows["feedback"] = [dict(sample_rows["feedback"][1], rating=0.2)]
    sample_rows["events"][0]["attendees"].append("00000000-0000-4000-8000-0000000000aa")
    sample_rows["skill_sessions"] = []

    report = run_import(export(sample_rows))

    flags = report.flags
    assert flags["zero_duration_matches"] == {"count": 1, "match_ids": [ended["match_id"]]}
    assert flags["active_without_feedback"]["match_ids"] == [active["match_id"]]
    assert flags["negative_feedback"] == {"negative": 1, "total": 1, "share": 1.0, "flagged": True}
    assert flags["orphaned_references"]["informal_events_with_unknown_attendees"] == 1
    assert "events.csv:2: attendees: 1 unknown user id(s) kept and flagged" in (
        report.warnings.as_list()
    )


def test_waiting_events_are_told_which_people_and_matches_in_one_request_per_commit(
    run_import, sample_dir, django_capture_on_commit_callbacks, monkeypatch
):
    requests = []
    monkeypatch.setattr(
        "buddy.services.arrivals.task_send",
        lambda task, *, kwargs, recovery: requests.append((task, kwargs)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_import(sample_dir)

    # the test runs the import in one transaction: one commit, one request for every row
    ((name, arrived),) = requests
    assert name == "webhooks.tasks.reprocess_waiting"
    assert OLENA in arrived["person_ids"] and len(arrived["person_ids"]) == 6
    assert arrived["match_ids"] == [
        "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e03",
        "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e13",
    ]


def test_a_record_count_that_differs_is_a_warning(run_import, export, sample_rows):
    metadata = {"export_id": "f0e1d2c3-b4a5-4968-8776-655443322110", "record_counts": {"users": 7}}

    report = run_import(export(sample_rows, form="json", metadata=metadata))

    assert report.warnings.as_list() == [
        "export_metadata.record_counts.users: says 7, the export has 6"
    ]
    assert report.entities["users"]["created"] == 6


def test_a_dry_run_changes_nothing(run_import, sample_dir):
    report = run_import(sample_dir, dry_run=True)

    assert report.entities["users"]["created"] == 6
    assert not Person.objects.exists()
