"""The CSV rules of EXPORT.md: encoding, line ends, quoting, columns, cells."""

from datetime import UTC, datetime

from buddy.models import CheckIn, Company, Match, Person

USERS = (
    "id,email,first_name,last_name,role,joined_at,language_preference,interests,location,company\n"
    "5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e01,olena@example.org,Olena,K,participant,"
    "2025-02-10T09:00:00Z,uk;en,cooking;chess,Berlin,\n"
    "8a3e7c10-6b2f-4f8d-a1c4-3d9e5f7a2b02,jonas@example.org,Jonas,W,buddy,2025-01-20,"
    "de,chess, Berlin , Acme GmbH \n"
)
MATCHES = (
    "match_id,participant_id,buddy_id,matched_at,status\n"
    "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e03,5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e01,"
    "8a3e7c10-6b2f-4f8d-a1c4-3d9e5f7a2b02,2025-03-01T10:00:00Z,active\n"
)
MATCH = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e03"


def _write(folder, name, text, *, encoding="utf-8", crlf=False):
    folder.mkdir(exist_ok=True)
    if crlf:
        text = text.replace("\n", "\r\n")
    (folder / name).write_bytes(text.encode(encoding))


def test_bom_and_crlf_are_read(run_import, tmp_path):
    _write(tmp_path / "x", "users.csv", USERS, encoding="utf-8-sig", crlf=True)

    report = run_import(tmp_path / "x")

    assert report.entities["users"]["created"] == 2
    assert Person.objects.filter(email="olena@example.org").exists()


def test_quoted_newlines_keep_the_physical_line_of_each_record(run_import, tmp_path):
    _write(tmp_path / "x", "users.csv", USERS)
    _write(tmp_path / "x", "matches.csv", MATCHES)
    _write(
        tmp_path / "x",
        "checkins.csv",
        "checkin_id,match_id,checkin_date,mood,notes\n"
        f'a0000000-0000-4000-8000-00000000c001,{MATCH},2025-03-22T09:00:00Z,good,"line one\n'
        'line two, with a comma and ""quotes"""\n'
        f"a0000000-0000-4000-8000-00000000c002,{MATCH},2025-03-23T09:00:00Z,sad,\n",
        crlf=True,
    )

    report = run_import(tmp_path / "x")

    assert CheckIn.objects.get().notes == 'line one\r\nline two, with a comma and "quotes"'
    assert report.rejections.as_list() == ["checkins.csv:4: mood: " + _mood_message()]


def _mood_message():
    return "Input should be 'great', 'good', 'okay', 'struggling' or 'difficult'"


def test_columns_in_any_order_and_unknown_columns_warned_once(run_import, tmp_path):
    _write(
        tmp_path / "x",
        "users.csv",
        "role,shoe_size,joined_at,last_name,first_name,email,id,favourite_colour\n"
        "participant,42,2025-02-10,K,Olena,olena@example.org,5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e01,red\n"
        "buddy,44,2025-02-10,W,Jonas,jonas@example.org,8a3e7c10-6b2f-4f8d-a1c4-3d9e5f7a2b02,blue\n",
    )

    report = run_import(tmp_path / "x")

    assert report.entities["users"]["created"] == 2
    assert report.warnings.as_list() == [
        "users.csv: unknown column(s) ignored: shoe_size, favourite_colour"
    ]


def test_array_object_and_bare_date_cells_are_parsed(run_import, tmp_path):
    _write(tmp_path / "x", "users.csv", USERS)
    _write(
        tmp_path / "x",
        "matches.csv",
        "match_id,participant_id,buddy_id,matched_at,status,matching_criteria\n"
        f"{MATCH},5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e01,8a3e7c10-6b2f-4f8d-a1c4-3d9e5f7a2b02,"
        '2025-03-01,active,"{""language"": ""uk"", ""interests"": [""chess""]}"\n',
    )

    run_import(tmp_path / "x")

    olena = Person.objects.get(email="olena@example.org")
    assert (olena.languages, olena.interests) == (["uk", "en"], ["cooking", "chess"])
    match = Match.objects.get()
    assert match.matched_at == datetime(2025, 3, 1, tzinfo=UTC)
    assert match.matching_criteria == {"language": "uk", "interests": ["chess"]}


def test_cells_are_trimmed_and_empty_cells_are_null(run_import, tmp_path):
    _write(tmp_path / "x", "users.csv", USERS)

    run_import(tmp_path / "x")

    jonas = Person.objects.get(email="jonas@example.org")
    assert (jonas.location, jonas.company.name) == ("Berlin", "Acme GmbH")
    assert Person.objects.get(email="olena@example.org").company is None
    assert Company.objects.count() == 1


def test_a_missing_required_column_rejects_only_that_file(run_import, tmp_path):
    _write(tmp_path / "x", "users.csv", USERS)
    _write(tmp_path / "x", "matches.csv", MATCHES.replace(",status", "").replace(",active", ""))

    report = run_import(tmp_path / "x")

    assert report.entities["users"]["created"] == 2
    assert report.files_rejected == ["matches.csv"]
    assert "matches.csv: file rejected: missing required column(s): status" in (
        report.rejections.as_list()
    )
    assert not report.fatal


def test_an_invalid_json_cell_rejects_the_row(run_import, tmp_path):
    _write(tmp_path / "x", "users.csv", USERS)
    _write(
        tmp_path / "x",
        "matches.csv",
        "match_id,participant_id,buddy_id,matched_at,status,matching_criteria\n"
        f"{MATCH},5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e01,8a3e7c10-6b2f-4f8d-a1c4-3d9e5f7a2b02,"
        "2025-03-01,active,{not json\n",
    )

    report = run_import(tmp_path / "x")

    assert report.rejections.as_list() == ["matches.csv:2: matching_criteria: not valid JSON"]
