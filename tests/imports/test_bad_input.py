"""Imports reject the one bad row and carry on: rows over the row limit, fields beyond the
csv module's default limit, invalid UTF-8, NUL; a repeated key whose later row a writer
rejects keeps the earlier row; zips and JSON exports are bounded in size and memory."""

import csv
import io
import tracemalloc
import zipfile

import pytest

from buddy.models import CheckIn, EventAttendance, Feedback, InformalEvent, Match, SkillSession
from webhooks.imports.readers import ExportUnreadable

UNKNOWN = "00000000-0000-4000-8000-0000000000ff"


def _checkins_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = ["checkin_id", "match_id", "checkin_date", "mood", "notes"]
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue()


@pytest.fixture
def with_matches(run_import, export, sample_rows):
    """The sample's users and matches imported; returns the sample's check-ins."""
    run_import(export({"users": sample_rows["users"], "matches": sample_rows["matches"]}))
    return sample_rows["checkins"]


def _folder(tmp_path, text: bytes | str, name="checkins.csv"):
    folder = tmp_path / "raw"
    folder.mkdir(exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    (folder / name).write_bytes(data)
    return folder


def _counts_match_lines(report, entity: str) -> None:
    counts = report.entities[entity]
    listed = [line for line in report.rejections.as_list() if line.startswith(entity)]
    assert counts["rejected"] == len(listed), (counts, listed)
    assert (
        sum(counts[k] for k in ("created", "updated", "unchanged", "rejected")) == counts["total"]
    )


def test_a_field_longer_than_the_csv_modules_limit_is_read(
    run_import, tmp_path, with_matches, settings
):
    assert csv.field_size_limit() <= settings.BUDDY_IMPORT_MAX_ROW_BYTES
    rows = with_matches
    rows[0]["notes"] = "n" * 200_000  # > 131,072: the csv module's default field limit
    report = run_import(_folder(tmp_path, _checkins_csv(rows)))
    assert report.entities["checkins"]["created"] == len(rows)
    assert len(CheckIn.objects.get(external_id=rows[0]["checkin_id"]).notes) == 200_000


def test_a_row_over_the_row_limit_is_rejected_with_its_line_and_the_rest_goes_in(
    run_import, tmp_path, with_matches, settings
):
    settings.BUDDY_IMPORT_MAX_ROW_BYTES = 10_000
    rows = [dict(r) for r in with_matches]
    rows[0]["notes"] = "two\nlines"  # the record of line 2 ends on line 3
    rows.insert(1, {**rows[1], "checkin_id": UNKNOWN, "notes": "x" * 20_000})  # line 4
    report = run_import(_folder(tmp_path, _checkins_csv(rows)))
    assert report.rejections.as_list() == ["checkins.csv:4: the row is longer than 10000 bytes"]
    assert report.entities["checkins"]["created"] == len(rows) - 1
    _counts_match_lines(report, "checkins")


def test_an_invalid_utf8_byte_rejects_only_its_row(run_import, tmp_path, with_matches):
    text = _checkins_csv(with_matches).encode()
    lines = text.split(b"\n")
    lines[2] = lines[2].replace(b",", b",\xff", 1)  # the second row, line 3
    report = run_import(_folder(tmp_path, b"\n".join(lines)))
    assert report.rejections.as_list() == ["checkins.csv:3: the row is not UTF-8 text"]
    assert report.entities["checkins"]["created"] == len(with_matches) - 1
    _counts_match_lines(report, "checkins")


def test_an_invalid_utf8_header_still_rejects_the_file(run_import, tmp_path, with_matches):
    text = b"\xffcheckin_id,match_id,checkin_date\n"
    report = run_import(_folder(tmp_path, text))
    assert report.files_rejected == ["checkins.csv"]


def test_a_nul_in_a_csv_row_rejects_only_that_row(run_import, tmp_path, with_matches):
    rows = [dict(r) for r in with_matches]
    rows[0]["notes"] = "a\x00b"
    report = run_import(_folder(tmp_path, _checkins_csv(rows)))
    assert report.rejections.as_list() == ["checkins.csv:2: the row contains a NUL character"]
    assert report.entities["checkins"]["created"] == len(rows) - 1


def test_a_nul_in_the_json_form_rejects_only_that_row(run_import, export, sample_rows):
    sample_rows["checkins"][0]["notes"] = "a\x00b"
    report = run_import(export(sample_rows, form="json"))
    assert report.rejections.as_list() == ["checkins[0].notes: must not contain NUL"]
    assert report.entities["checkins"]["created"] == len(sample_rows["checkins"]) - 1


def test_json_nested_deeper_than_the_cap_rejects_only_that_row(run_import, export, sample_rows):
    deep: dict = {}
    node = deep
    for _ in range(500):  # far beyond the cap (the test's own json.dumps stops near 1000)
        node["q"] = {}
        node = node["q"]
    sample_rows["checkins"][0]["question_responses"] = deep
    report = run_import(export(sample_rows, form="json"))
    (line,) = report.rejections.as_list()
    assert line.startswith("checkins[0].question_responses.q.q") and "nested deeper" in line
    assert report.entities["checkins"]["created"] == len(sample_rows["checkins"]) - 1


def test_numbers_in_the_json_form_must_be_json_numbers(run_import, export, sample_rows):
    sample_rows["feedback"][0]["rating"] = "0.8"
    sample_rows["feedback"][1]["rating"] = True
    report = run_import(export(sample_rows, form="json"))
    assert report.rejections.as_list() == [
        "feedback[0].rating: Input should be a JSON number",
        "feedback[1].rating: Input should be a JSON number",
    ]


def test_numbers_in_csv_cells_are_parsed_from_text(run_import, export, sample_rows):
    sample_rows["feedback"][0]["rating"] = "0.8"
    report = run_import(export(sample_rows))
    assert not report.rejections.as_list()
    assert Feedback.objects.get(external_id=sample_rows["feedback"][0]["feedback_id"]).rating == 0.8


@pytest.mark.parametrize("form", ["folder", "json"])
@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("duration_minutes", 4294967373, "duration_minutes: Input should be less than or equal"),
        ("location", "l" * 201, "location: String should have at most 200 characters"),
        ("event_type", "t" * 61, "event_type: String should have at most 60 characters"),
    ],
)
def test_a_value_beyond_its_column_rejects_the_row_naming_the_field(
    run_import, export, sample_rows, form, field, value, reason
):
    sample_rows["events"][0][field] = value
    report = run_import(export(sample_rows, form=form))
    (line,) = report.rejections.as_list()
    assert reason in line
    assert not InformalEvent.objects.filter(external_id=sample_rows["events"][0]["event_id"])


#: entity → (the model, the reference field whose unknown value the writer rejects).
REFERENCES = {
    "matches": (Match, "participant_id"),
    "events": (InformalEvent, "match_id"),
    "event_attendance": (EventAttendance, "match_id"),
    "skill_sessions": (SkillSession, "teacher_id"),
    "checkins": (CheckIn, "match_id"),
    "feedback": (Feedback, "match_id"),
}


@pytest.mark.parametrize("form", ["folder", "json"])
@pytest.mark.parametrize("entity", list(REFERENCES))
def test_a_repeated_key_whose_later_row_has_an_unknown_reference_keeps_the_earlier_row(
    run_import, export, sample_rows, form, entity
):
    model, field = REFERENCES[entity]
    rows = sample_rows[entity]
    later = {**rows[0], field: UNKNOWN}
    sample_rows[entity] = [*rows, later]

    report = run_import(export(sample_rows, form=form))

    (rejected,) = report.rejections.as_records()
    assert (rejected["code"], rejected["path"]) == ("reference.unknown", field)
    assert UNKNOWN in rejected["message"]
    assert report.entities[entity]["rejected"] == 1
    assert report.entities[entity]["created"] == len(rows)
    assert model.objects.count() >= len(rows)  # the earlier row of the repeated key is in
    _counts_match_lines(report, entity)


def test_a_later_row_rejected_for_a_bad_value_also_keeps_the_earlier_row(
    run_import, export, sample_rows
):
    rows = sample_rows["checkins"]
    sample_rows["checkins"] = [*rows, {**rows[0], "mood": "sad"}]
    report = run_import(export(sample_rows))
    assert report.entities["checkins"]["rejected"] == 1
    assert CheckIn.objects.filter(external_id=rows[0]["checkin_id"]).exists()
    _counts_match_lines(report, "checkins")


# --- Memory and size bounds ------------------------------------------------------------------


def _zip_with_long_line(path, *, line_bytes: int, after: str = "") -> None:
    """A zip whose checkins.csv holds one line of ``line_bytes`` bytes (compresses ~1000:1)."""
    header = "checkin_id,match_id,checkin_date,mood,notes\n"
    block = b"a" * (1024 * 1024)
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("checkins.csv", "w", force_zip64=True) as entry,
    ):
        entry.write(f"{header}{UNKNOWN},{UNKNOWN},2025-01-01,,".encode())
        for _ in range(line_bytes // len(block)):
            entry.write(block)
        entry.write(b"\n" + after.encode())


def test_a_long_line_in_a_zip_is_rejected_without_being_read_into_memory(
    run_import, tmp_path, with_matches, settings
):
    rows = with_matches
    path = tmp_path / "bomb.zip"
    _zip_with_long_line(
        path, line_bytes=64 * 1024 * 1024, after=_checkins_csv(rows).split("\n", 1)[1]
    )
    tracemalloc.start()
    try:
        report = run_import(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * settings.BUDDY_IMPORT_MAX_ROW_BYTES + 16 * 1024 * 1024, peak
    assert report.rejections.as_list() == [
        f"checkins.csv:2: the row is longer than {settings.BUDDY_IMPORT_MAX_ROW_BYTES} bytes"
    ]
    assert report.entities["checkins"]["created"] == len(rows)


def test_a_zip_bomb_of_two_gib_is_refused_before_reading(run_import, tmp_path, settings):
    path = tmp_path / "bomb.zip"
    _zip_with_long_line(path, line_bytes=2 * 1024**3)
    assert path.stat().st_size < 16 * 1024 * 1024
    with pytest.raises(ExportUnreadable) as refused:
        run_import(path)
    assert "decompress" in refused.value.message
    assert str(settings.BUDDY_IMPORT_MAX_EXPORT_BYTES) in refused.value.message


def test_a_json_export_over_the_size_limit_is_refused(run_import, export, sample_rows, settings):
    path = export(sample_rows, form="json")
    settings.BUDDY_IMPORT_MAX_EXPORT_BYTES = path.stat().st_size - 1
    with pytest.raises(ExportUnreadable) as refused:
        run_import(path)
    assert "larger than" in refused.value.message


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (b"\xff", "the row is not UTF-8 text"),
        (b"\x00", "the row contains a NUL character"),
        (b"x" * 3000, "the row is longer than 2000 bytes"),
    ],
)
def test_a_bad_row_deep_in_a_large_file_rejects_only_itself(
    run_import, tmp_path, with_matches, settings, bad, reason
):
    settings.BUDDY_IMPORT_MAX_ROW_BYTES = 2000
    template = with_matches[0]
    rows = [
        {**template, "checkin_id": f"00000000-0000-4000-8000-{n:012d}", "notes": "a\nb"}
        for n in range(2000)
    ]
    lines = _checkins_csv(rows).encode().split(b"\n")
    # Each row takes two lines (its notes hold a line break): row 1500 starts on line 3000.
    assert lines[2999].startswith(b"00000000-0000-4000-8000-000000001499")
    lines[2999] = lines[2999].replace(b'"a', b'"a' + bad, 1)
    report = run_import(_folder(tmp_path, b"\n".join(lines)))
    assert report.rejections.as_list() == [f"checkins.csv:3000: {reason}"]
    assert report.entities["checkins"]["created"] == 1999
    _counts_match_lines(report, "checkins")
