"""``import_buddy_export PATH [--program TYPE] [--dry-run]``."""

import pytest
from django.core.management import CommandError, call_command

from buddy.models import ImportRun, Person


def test_the_command_imports_prints_the_report_and_keeps_the_run(sample_dir, program, capsys):
    call_command("import_buddy_export", str(sample_dir))

    out = capsys.readouterr().out
    assert "users                     6        0          0         0" in out
    assert Person.objects.count() == 6
    run = ImportRun.objects.get()
    assert (run.status, run.counts["matches"]["created"]) == ("succeeded", 2)
    assert run.rows_done == run.rows_total == 20


def test_a_dry_run_changes_nothing_but_reports(sample_dir, program, capsys):
    call_command("import_buddy_export", str(sample_dir), "--dry-run")

    assert "dry run" in capsys.readouterr().out
    assert not Person.objects.exists()
    assert ImportRun.objects.get().dry_run


def test_an_unreadable_export_exits_non_zero(tmp_path, program):
    with pytest.raises(CommandError, match="could not run"):
        call_command("import_buddy_export", str(tmp_path / "missing.zip"))


def test_missing_required_columns_in_every_file_exit_non_zero(tmp_path, program):
    (tmp_path / "users.csv").write_text("id,email\n")

    with pytest.raises(CommandError, match="every export file was rejected"):
        call_command("import_buddy_export", str(tmp_path), "--no-progress")


def test_rejected_rows_still_exit_zero(tmp_path, program, capsys):
    (tmp_path / "users.csv").write_text(
        "id,email,first_name,last_name,role,joined_at\nnot-a-uuid,a@b.c,A,B,participant,2025-01-01\n"
    )

    call_command("import_buddy_export", str(tmp_path), "--no-progress")

    assert "users.csv:2: id: Input should be a valid UUID" in capsys.readouterr().out
