"""A key repeated in one export (trimmed and case-insensitive): the last row wins and stands
for the earlier ones, the same in the folder and the JSON form (the JSON form's scan is
taken while its items are spooled)."""

import pytest

from buddy.models import CheckIn


@pytest.mark.parametrize("form", ["folder", "json"])
def test_the_last_row_of_a_repeated_key_wins_and_counts_for_the_earlier_ones(
    run_import, export, sample_rows, form
):
    rows = sample_rows["checkins"]
    first = rows[0]
    spelled_otherwise = f"  {first['checkin_id'].upper()} "
    sample_rows["checkins"] = [
        {**first, "mood": "great"},
        *rows[1:],
        {**first, "checkin_id": spelled_otherwise, "mood": "difficult"},
    ]

    report = run_import(export(sample_rows, form=form))

    assert report.entities["checkins"]["total"] == len(rows) + 1
    assert report.entities["checkins"]["created"] + report.entities["checkins"]["updated"] == (
        len(rows) + 1
    )
    assert report.entities["checkins"]["rejected"] == 0
    assert CheckIn.objects.count() == len(rows)
    assert CheckIn.objects.get(external_id=first["checkin_id"]).mood == "difficult"


def test_a_json_item_that_is_not_an_object_is_counted_and_rejected(run_import, export, sample_rows):
    rows = sample_rows["checkins"]
    sample_rows["checkins"] = [*rows, ["not", "an", "object"]]

    report = run_import(export(sample_rows, form="json"))

    assert report.entities["checkins"]["total"] == len(rows) + 1
    assert report.entities["checkins"]["rejected"] == 1
    assert CheckIn.objects.count() == len(rows)
