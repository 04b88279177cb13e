"""The contract's sample export goes in completely, in each of its forms."""

import shutil
import zipfile

from buddy.models import (
    CheckIn,
    EventAttendance,
    Feedback,
    InformalEvent,
    Match,
    MilestoneAchievement,
    Person,
    SkillSession,
)
from tests.imports.state import db_state, wipe

EXPECTED = {
    "users": 6,
    "matches": 2,
    "events": 2,
    "event_attendance": 2,
    "skill_sessions": 2,
    "checkins": 2,
    "feedback": 2,
    "milestones": 2,
}


def test_sample_folder_creates_every_row(run_import, sample_dir):
    report = run_import(sample_dir)

    assert {name: c["created"] for name, c in report.entities.items()} == EXPECTED
    assert not report.rejections.as_list()
    assert Person.objects.count() == 6
    assert Match.objects.count() == 2
    for model in (
        InformalEvent,
        EventAttendance,
        SkillSession,
        CheckIn,
        Feedback,
        MilestoneAchievement,
    ):
        assert model.objects.count() == 2
    ended = Match.objects.get(external_id="c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e13")
    assert (ended.status, ended.end_reason, ended.duration_days) == ("ended", "completed", 181)


def test_sample_json_gives_the_same_state_as_the_folder(run_import, sample_dir, sample_json):
    run_import(sample_dir)
    from_folder = db_state()
    wipe()
    report = run_import(sample_json)

    assert {name: c["created"] for name, c in report.entities.items()} == EXPECTED
    assert db_state() == from_folder


def test_sample_zip_gives_the_same_state_as_the_folder(run_import, sample_dir, tmp_path):
    run_import(sample_dir)
    from_folder = db_state()
    wipe()
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sample_dir.iterdir():
            zf.write(path, f"export-2025-11/{path.name}")

    run_import(archive)

    assert db_state() == from_folder


def test_a_folder_copy_with_a_single_entity_file_is_importable(run_import, sample_dir, tmp_path):
    shutil.copy(sample_dir / "users.csv", tmp_path / "users.csv")

    report = run_import(tmp_path / "users.csv")

    assert report.entities["users"]["created"] == 6
