"""Re-importing stays idempotent where rows of one thing come in different forms or batches:
two user rows with one email in different batches, one milestone key written with ``Z`` and
with ``+00:00``; and a re-import that changes many rows writes every change."""

import pytest

from buddy.models import CheckIn, MilestoneAchievement, Person
from tests.imports.state import db_state

#: The writers behave the same with either implementation of their batch statements.
pytestmark = pytest.mark.usefixtures("each_batch_writes")

A = "5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e01"
B = "5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e99"


def _user(uid, email, **extra):
    return {
        "id": uid,
        "email": email,
        "first_name": "Olena",
        "last_name": "K",
        "role": "participant",
        "joined_at": "2025-02-10T09:00:00Z",
        **extra,
    }


def test_same_email_rows_in_different_batches_reimport_unchanged(run_import, export):
    path = export(
        {
            "users": [
                _user(A, "olena.k@example.org", joined_at="2025-03-01T09:00:00Z"),
                _user(B, "OLENA.K@example.org", role="buddy", location="Kyiv"),
            ]
        }
    )
    run_import(path, batch_size=1)
    state = db_state()

    again = run_import(path, batch_size=1)

    person = Person.objects.get()
    assert (person.role, person.location) == ("participant", "Kyiv")
    assert person.joined_at.isoformat().startswith("2025-02-10")
    assert again.entities["users"]["unchanged"] == 2
    assert db_state() == state


def test_one_milestone_key_in_two_time_forms_is_one_row(run_import, export, sample_rows):
    milestone = sample_rows["milestones"][0]
    same = dict(milestone, reached_at=milestone["reached_at"].replace("Z", "+00:00"), points=70)
    sample_rows["milestones"] = [milestone, same]
    path = export(sample_rows)

    first = run_import(path)
    again = run_import(path)

    assert MilestoneAchievement.objects.get().points == 70
    assert (first.entities["milestones"]["created"], first.entities["milestones"]["updated"]) == (
        1,
        1,
    )
    assert again.entities["milestones"]["unchanged"] == 2


def test_a_reimport_that_changes_rows_writes_every_change(run_import, export, sample_rows):
    run_import(export(sample_rows))
    for row in sample_rows["checkins"]:
        row["mood"] = "struggling"
        row["question_responses"] = {"q1": "changed"}
    for row in sample_rows["users"]:
        row["location"] = "Hamburg"

    report = run_import(export(sample_rows))

    assert report.entities["checkins"]["updated"] == len(sample_rows["checkins"])
    assert set(CheckIn.objects.values_list("mood", flat=True)) == {"struggling"}
    assert {str(q) for q in CheckIn.objects.values_list("question_responses", flat=True)} == {
        str({"q1": "changed"})
    }
    assert set(Person.objects.values_list("location", flat=True)) == {"Hamburg"}


def test_an_export_start_after_the_webhooks_end_is_not_refused(
    run_import, export, sample_rows, program
):
    from buddy.models import DataSource, Match
    from buddy.schemas import MatchCreatedRecord, MatchEndedRecord, validate_record
    from buddy.services.matches import match_record_created, match_record_ended

    run_import(export({"users": sample_rows["users"]}))
    row = sample_rows["matches"][0]
    match_record_created(
        record=validate_record(MatchCreatedRecord, row), program=program, via=DataSource.WEBHOOK
    )
    ended = {"match_id": row["match_id"], "ended_at": "2025-06-01T10:00:00Z", "end_reason": "other"}
    match_record_ended(record=validate_record(MatchEndedRecord, ended))
    row.update(matched_at="2025-06-05T10:00:00Z", status="ended", ended_at="2025-06-10T10:00:00Z")

    report = run_import(export({"users": sample_rows["users"], "matches": [row]}))

    match = Match.objects.get(external_id=row["match_id"])
    assert report.entities["matches"]["rejected"] == 0
    assert (match.matched_at.isoformat(), match.ended_at.isoformat()) == (
        "2025-03-01T10:00:00+00:00",
        "2025-06-01T10:00:00+00:00",
    )
