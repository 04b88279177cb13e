"""The weekly digest: each coordinator's attention queue by email (their programs only)."""

from datetime import timedelta

from django.core import mail

from buddy.models import Program, ProgramType
from enrollments.tasks import send_attention_digest
from tests.factories import MatchFactory, UserFactory, coordinator_of, viewer_of


def test_the_digest_goes_to_each_coordinator_with_an_email(program, now):
    match = MatchFactory(matched_at=now - timedelta(days=70))
    for username, email in (("a", "a@example.org"), ("b", "b@example.org"), ("no-mail", "")):
        user = coordinator_of(program, username=username)
        user.email = email
        user.save()
    viewer = viewer_of(program, username="viewer")
    viewer.email = "v@example.org"
    viewer.save()
    UserFactory(username="no-role", email="c@example.org", is_staff=True)

    assert send_attention_digest() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org"]
    message = mail.outbox[0]
    assert f"Match #{match.pk}: no contact for 70 days" in message.body
    assert "/admin/buddy/match/" in message.alternatives[0][0] or "/admin/" in message.body


def test_no_coordinator_email_no_digest(program):
    coordinator_of(program, username="a")
    assert send_attention_digest() == 0
    assert mail.outbox == []


def test_a_coordinator_gets_only_their_programs_items(program, now):
    MatchFactory(matched_at=now - timedelta(days=70))  # an item of the buddy program
    other = Program.objects.get(program_type=ProgramType.MENTORSHIP)
    user = coordinator_of(other, username="mentors")
    user.email = "m@example.org"
    user.save()
    MatchFactory(program=other, matched_at=now - timedelta(days=40))
    assert send_attention_digest() == 1
    assert "Mentors for Ukraine" in mail.outbox[0].body
    assert "Buddy Program" not in mail.outbox[0].body


def test_the_digest_is_scheduled_weekly_and_printed_to_the_console_by_default():
    from config.settings import base

    assert base.CELERY_BEAT_SCHEDULE["attention-digest-weekly"]["task"] == (
        "enrollments.tasks.send_attention_digest"
    )
    assert base.EMAIL_BACKEND.endswith("console.EmailBackend")
