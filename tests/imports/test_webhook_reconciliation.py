"""An export reconciles with what webhooks already delivered: no duplicates, newer wins,
an ended match stays ended with the end fields the webhook set."""

from datetime import UTC, datetime

from buddy.models import CheckIn, DataSource, Match, MatchStatus
from buddy.schemas import CheckInRecord, MatchCreatedRecord, MatchEndedRecord, validate_record
from buddy.services.activities import checkin_record
from buddy.services.matches import match_record_created, match_record_ended
from tests.imports.state import db_state, row_counts, wipe

ACTIVE = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e03"
ENDED = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e13"


def _webhooks_deliver_part_of_the_sample(program, rows):
    for match in rows["matches"]:
        record = validate_record(MatchCreatedRecord, match)
        match_record_created(record=record, program=program, via=DataSource.WEBHOOK)
    # The webhook ended the export's active match, and ended the other one on another day.
    for match_id, ended_at, reason in (
        (ACTIVE, "2025-06-01T10:00:00Z", "inactivity"),
        (ENDED, "2025-05-19T10:00:00Z", "mutual_agreement"),
    ):
        match_record_ended(
            record=validate_record(
                MatchEndedRecord, {"match_id": match_id, "ended_at": ended_at, "end_reason": reason}
            )
        )
    checkin = dict(rows["checkins"][0], notes="typed on the phone", mood="okay")
    checkin_record(record=validate_record(CheckInRecord, checkin))


def test_an_export_after_webhooks_duplicates_nothing(run_import, export, sample_rows, program):
    users_only = export({"users": sample_rows["users"]})
    run_import(users_only)
    _webhooks_deliver_part_of_the_sample(program, sample_rows)

    report = run_import(export(sample_rows))

    assert Match.objects.count() == 2
    assert CheckIn.objects.count() == 2
    assert report.entities["matches"]["created"] == 0
    assert report.entities["checkins"] == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "rejected": 0,
        "total": 2,
    }


def test_an_ended_match_stays_ended_and_keeps_the_webhooks_end(
    run_import, export, sample_rows, program
):
    run_import(export({"users": sample_rows["users"]}))
    _webhooks_deliver_part_of_the_sample(program, sample_rows)

    run_import(export(sample_rows))

    reopened = Match.objects.get(external_id=ACTIVE)
    assert reopened.status == MatchStatus.ENDED  # the export still says active
    assert reopened.end_reason == "inactivity"
    ended = Match.objects.get(external_id=ENDED)
    assert ended.ended_at == datetime(2025, 5, 19, 10, tzinfo=UTC)
    assert ended.end_reason == "mutual_agreement"
    assert ended.sessions_completed == 12  # other fields take the export's values


def test_the_export_values_win_for_activity_fields(run_import, export, sample_rows, program):
    run_import(export({"users": sample_rows["users"]}))
    _webhooks_deliver_part_of_the_sample(program, sample_rows)

    run_import(export(sample_rows))

    checkin = CheckIn.objects.get(external_id=sample_rows["checkins"][0]["checkin_id"])
    assert (checkin.mood, checkin.notes) == ("good", sample_rows["checkins"][0]["notes"])


def test_reimport_after_reconciliation_changes_nothing(run_import, export, sample_rows, program):
    run_import(export({"users": sample_rows["users"]}))
    _webhooks_deliver_part_of_the_sample(program, sample_rows)
    path = export(sample_rows)
    run_import(path)
    state, counts = db_state(), row_counts()

    again = run_import(path)

    assert all(c["created"] == c["updated"] == 0 for c in again.entities.values())
    assert (db_state(), row_counts()) == (state, counts)


def test_webhook_then_export_matches_export_alone_where_webhooks_agree(
    run_import, export, sample_rows, program
):
    path = export(sample_rows)
    run_import(path)
    alone = db_state()["InformalEvent"]
    wipe()
    run_import(export({"users": sample_rows["users"]}))
    for match in sample_rows["matches"]:
        match_record_created(record=validate_record(MatchCreatedRecord, match), program=program)

    run_import(path)

    events = db_state()["InformalEvent"]
    assert events == alone
