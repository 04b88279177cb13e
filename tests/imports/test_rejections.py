"""Bad rows are rejected with ``file:line: reason`` (or the JSON path); the rest goes in."""

import pytest

from buddy.models import CheckIn, Feedback, InformalEvent, Match

#: The writers behave the same with either implementation of their batch statements.
pytestmark = pytest.mark.usefixtures("each_batch_writes")

UNKNOWN = "00000000-0000-4000-8000-0000000000ff"
# A fixed far-future date: test ids must be the same on every xdist worker.
FUTURE = "2999-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("entity", "field", "value", "reason"),
    [
        ("feedback", "rating", 1.5, "rating: Input should be less than or equal to 1"),
        ("feedback", "rating", "0,8", "rating: Input should be a valid number"),
        ("checkins", "mood", "sad", "mood: Input should be 'great'"),
        ("event_attendance", "sdg_goals", [10, 18], "sdg_goals.1: Input should be less than"),
        ("events", "event_date", FUTURE, "event_date: must not be in the future"),
        ("events", "event_id", "not-a-uuid", "event_id: Input should be a valid UUID"),
        ("checkins", "checkin_date", "2025-13-45", "checkin_date: Input should be a valid"),
        ("matches", "participant_id", UNKNOWN, f"participant_id: Unknown user {UNKNOWN}."),
        ("matches", "status", "paused", "status: Input should be 'active', 'inactive' or 'ended'"),
        ("users", "role", "mentor", "role: Input should be 'participant' or 'buddy'"),
        ("feedback", "match_id", UNKNOWN, f"match_id: Unknown match {UNKNOWN}."),
        ("skill_sessions", "teacher_id", UNKNOWN, f"teacher_id: Unknown user {UNKNOWN}."),
        ("milestones", "user_id", UNKNOWN, f"user_id: Unknown user {UNKNOWN}."),
        ("event_attendance", "match_id", UNKNOWN, f"match_id: Unknown match {UNKNOWN}."),
    ],
)
def test_a_bad_row_is_rejected_with_its_line_and_reason(
    run_import, export, sample_rows, entity, field, value, reason
):
    sample_rows[entity][1][field] = value

    report = run_import(export(sample_rows))

    rejected = report.rejections.as_list()
    assert rejected[0].startswith(f"{entity}.csv:3: {reason}"), rejected[0]
    assert report.entities[entity]["rejected"] == 1
    assert report.entities[entity]["created"] == len(sample_rows[entity]) - 1
    if entity not in ("users", "matches"):  # a rejected user or match takes its rows with it
        assert len(rejected) == 1, rejected


def test_the_json_form_names_the_path_of_the_bad_value(run_import, export, sample_rows):
    sample_rows["feedback"][1]["rating"] = 1.5
    sample_rows["feedback"][1]["categories"] = {"communication": -1}

    report = run_import(export(sample_rows, form="json"))

    assert report.rejections.as_list() == [
        "feedback[1].rating: Input should be less than or equal to 1; "
        "categories.communication: Input should be greater than or equal to 0"
    ]


def test_a_match_before_its_users_in_the_file_order_still_finds_them(
    run_import, export, sample_rows
):
    reordered = {name: sample_rows[name] for name in reversed(list(sample_rows))}

    report = run_import(export(reordered, form="json"))

    assert not report.rejections.as_list()
    assert Match.objects.count() == 2


def test_one_bad_row_leaves_the_rest_of_its_batch_in(run_import, export, sample_rows):
    sample_rows["events"][0]["match_id"] = UNKNOWN

    run_import(export(sample_rows), batch_size=1000)

    assert InformalEvent.objects.count() == 1
    assert CheckIn.objects.count() == 2
    assert Feedback.objects.count() == 2


def test_a_row_whose_user_was_rejected_is_rejected_as_unknown(run_import, export, sample_rows):
    sample_rows["users"][0]["email"] = "not an email"

    report = run_import(export(sample_rows))

    assert "users.csv:2: email: Input is not in the expected format" in report.rejections.as_list()
    assert report.entities["matches"]["rejected"] == 1
    assert Match.objects.count() == 1
