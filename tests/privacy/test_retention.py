"""Retention removes exactly what is due, and a second run changes nothing."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from buddy.models import CheckIn, Feedback, ImportRun, Person, SkillSession
from privacy.models import Erasure
from privacy.retention import retention_apply, retention_due
from tests.factories import (
    BuddyFactory,
    CheckInFactory,
    FeedbackFactory,
    MatchFactory,
    ParticipantFactory,
    SkillSessionFactory,
    WebhookEventFactory,
)

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def ended_match(days_ago: int, **people):
    return MatchFactory(
        **people,
        status="ended",
        matched_at=NOW - timedelta(days=days_ago + 30),
        ended_at=NOW - timedelta(days=days_ago),
        end_reason="completed",
    )


def test_free_texts_of_matches_ended_over_24_months_ago_are_removed_and_the_rest_kept():
    old, recent = ended_match(800), ended_match(600)
    CheckInFactory(match=old, notes="old", question_responses={"q": "old"})
    FeedbackFactory(match=old, feedback_text="old", rating=0.4)
    SkillSessionFactory(match=old, teacher_comment="old", learner_comment="old")
    CheckInFactory(match=recent, notes="recent")
    CheckInFactory(match=MatchFactory(), notes="active")  # an active match: never due

    changed = retention_apply(now=NOW)

    assert changed["activity_text:buddy.CheckIn"] == 1
    assert CheckIn.objects.get(match=old).notes == ""
    assert CheckIn.objects.get(match=old).question_responses == {}
    assert Feedback.objects.get(match=old).feedback_text == ""
    assert Feedback.objects.get(match=old).rating == 0.4  # figures stay
    assert SkillSession.objects.get(match=old).teacher_comment == ""
    assert set(CheckIn.objects.exclude(notes="").values_list("notes", flat=True)) == {
        "recent",
        "active",
    }


def test_raw_payloads_of_events_processed_over_90_days_ago_are_dropped_keeping_ids():
    old = WebhookEventFactory(status="processed")
    fresh = WebhookEventFactory(status="processed")
    waiting = WebhookEventFactory()
    type(old).objects.filter(pk=old.pk).update(processed_at=NOW - timedelta(days=91))
    type(old).objects.filter(pk=waiting.pk).update(received_at=NOW - timedelta(days=400))

    assert retention_apply(now=NOW)["webhook_payloads"] == 1
    old.refresh_from_db()
    assert old.payload == {} and old.event_id and old.status == "processed"
    fresh.refresh_from_db()
    waiting.refresh_from_db()
    assert fresh.payload and waiting.payload


def test_an_upload_left_after_its_import_is_deleted(settings, tmp_path):
    settings.BUDDY_IMPORT_UPLOAD_DIR = tmp_path
    folder = tmp_path / "run-1"
    folder.mkdir()
    (folder / "export.zip").write_bytes(b"zip")
    from tests.factories import buddy_program

    run = ImportRun.objects.create(
        program=buddy_program(),
        file_name="export.zip",
        file_path=str(folder / "export.zip"),
        status="failed",
        finished_at=NOW - timedelta(days=2),
    )
    assert retention_apply(now=NOW)["uploads"] == 1
    run.refresh_from_db()
    assert run.file_path == "" and not folder.exists()


def test_people_without_activity_for_36_months_are_erased():
    long_gone = ParticipantFactory(joined_at=NOW - timedelta(days=1200))
    joined = NOW - timedelta(days=1300)
    ended_long_ago = ended_match(
        1200,
        participant=ParticipantFactory(joined_at=joined),
        buddy=BuddyFactory(joined_at=joined),
    )
    recent = ParticipantFactory(joined_at=NOW - timedelta(days=30))
    old_but_matched = ParticipantFactory(joined_at=NOW - timedelta(days=1200))
    MatchFactory(participant=old_but_matched)

    assert retention_apply(now=NOW)["inactive_people"] == 3  # long_gone + both of the old match
    erased = set(Erasure.objects.values_list("person_id", flat=True))
    assert erased == {long_gone.pk, ended_long_ago.participant_id, ended_long_ago.buddy_id}
    assert Person.objects.get(pk=recent.pk).first_name != "[erased]"


def test_a_second_run_changes_nothing():
    CheckInFactory(match=ended_match(800), notes="old")
    ParticipantFactory(joined_at=NOW - timedelta(days=1200))
    assert any(retention_apply(now=NOW).values())
    assert not any(retention_due(now=NOW).values())
    assert not any(retention_apply(now=NOW).values())


def test_the_dry_run_shows_what_is_due_and_changes_nothing(capsys):
    CheckInFactory(match=ended_match(800), notes="old")
    call_command("apply_retention", "--dry-run")
    out = capsys.readouterr().out
    assert "activity_text:buddy.CheckIn: would change 1" in out
    assert CheckIn.objects.get().notes == "old"
