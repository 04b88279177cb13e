"""The weekly digest: the attention queue by email to staff users with an address."""

from datetime import timedelta

from django.core import mail

from enrollments.tasks import send_attention_digest
from tests.factories import MatchFactory, UserFactory


def test_the_digest_goes_to_each_staff_user_with_an_email(program, now):
    match = MatchFactory(matched_at=now - timedelta(days=70))
    UserFactory(username="a", email="a@example.org")
    UserFactory(username="b", email="b@example.org")
    UserFactory(username="no-mail", email="")
    UserFactory(username="not-staff", email="c@example.org", is_staff=False)

    assert send_attention_digest() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org"]
    message = mail.outbox[0]
    assert f"Match #{match.pk}: no contact for 70 days" in message.body
    assert "/admin/buddy/match/" in message.alternatives[0][0] or "/admin/" in message.body


def test_no_staff_email_no_digest(program):
    UserFactory(username="a", email="")
    assert send_attention_digest() == 0
    assert mail.outbox == []


def test_the_digest_is_scheduled_weekly_and_printed_to_the_console_by_default():
    from config.settings import base

    assert base.CELERY_BEAT_SCHEDULE["attention-digest-weekly"]["task"] == (
        "enrollments.tasks.send_attention_digest"
    )
    assert base.EMAIL_BACKEND.endswith("console.EmailBackend")
