"""Enums with drift take unknown values as 'other', with one warning per value."""

from buddy.models import EventAttendance, Match, MilestoneAchievement


def test_unknown_enum_values_are_stored_as_other_with_a_warning(run_import, export, sample_rows):
    sample_rows["matches"][1]["end_reason"] = "moved_away"
    sample_rows["event_attendance"][0]["event_type"] = "sports"
    sample_rows["milestones"][1]["milestone_category"] = "streaks"

    report = run_import(export(sample_rows))

    assert (
        Match.objects.get(external_id=sample_rows["matches"][1]["match_id"]).end_reason == "other"
    )
    assert EventAttendance.objects.filter(event_type="other").count() == 1
    assert MilestoneAchievement.objects.filter(milestone_category="other").count() == 1
    assert report.warnings.as_list() == [
        "matches.csv:3: end_reason: unknown value 'moved_away' stored as 'other'",
        "event_attendance.csv:2: event_type: unknown value 'sports' stored as 'other'",
        "milestones.csv:3: milestone_category: unknown value 'streaks' stored as 'other'",
    ]
    assert all(c["rejected"] == 0 for c in report.entities.values())


def test_a_drifted_value_that_looks_like_free_text_is_not_echoed(run_import, export, sample_rows):
    sample_rows["matches"][1]["end_reason"] = "Olena moved to Hamburg with her family"

    report = run_import(export(sample_rows))

    assert report.warnings.as_list() == [
        "matches.csv:3: end_reason: unknown value stored as 'other'"
    ]


def test_a_new_informal_event_type_is_kept_with_a_warning(run_import, export, sample_rows):
    sample_rows["events"][0]["event_type"] = "museum-visit"

    report = run_import(export(sample_rows))

    assert report.warnings.as_list() == [
        "events.csv:2: event_type: new value 'museum-visit' accepted"
    ]
