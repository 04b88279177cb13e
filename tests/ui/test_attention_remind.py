"""The "Remind" action of the attention queue: the coordinator's reminder to the pair of a
match, through a service, audited, once per item per day."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from buddy.models import Program, ProgramType
from core.errors import ValidationFailed
from enrollments.models import AttentionReminder
from enrollments.services import attention_remind
from tests.ui.conftest import enrolled_match

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent(program):
    return enrolled_match(program, matched_at=timezone.now() - timedelta(days=100))


def remind(program, match, kind="match.no_contact_60", **extra):
    return attention_remind(
        program=program, kind=kind, subject_type="match", subject_id=match.pk, **extra
    )


def test_the_reminder_emails_the_participant_and_the_buddy_each_alone(
    program, silent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _reminder, sent = remind(program, silent)
    assert sent
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [silent.participant.email, silent.buddy.email]
    )
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox)
    assert "get in touch" in mail.outbox[0].body


def test_a_second_reminder_the_same_day_sends_nothing(
    program, silent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        remind(program, silent)
        _reminder, sent = remind(program, silent)
    assert not sent
    assert len(mail.outbox) == 2
    assert AttentionReminder.objects.count() == 1


def test_the_next_day_the_item_can_be_reminded_again(program, silent):
    remind(program, silent, today=timezone.localdate())
    _reminder, sent = remind(program, silent, today=timezone.localdate() + timedelta(days=1))
    assert sent and AttentionReminder.objects.count() == 2


def test_the_reminder_is_audited_with_who_and_how_many(program, silent, coordinator):
    reminder, _sent = remind(program, silent, by=coordinator)
    assert (reminder.by, reminder.recipients, reminder.subject_id) == (coordinator, 2, silent.pk)
    assert reminder.day == timezone.localdate()


def test_an_item_without_a_reminder_is_refused(program, silent):
    with pytest.raises(ValidationFailed) as refused:
        remind(program, silent, kind="participant.waiting")
    assert refused.value.errors[0].path == "kind"
    assert not AttentionReminder.objects.exists()


def test_a_match_of_another_program_or_ended_is_refused(program, silent):
    mentorship = Program.objects.get(program_type=ProgramType.MENTORSHIP)
    with pytest.raises(ValidationFailed):
        remind(mentorship, silent)
    ended = enrolled_match(program, ended=True)
    with pytest.raises(ValidationFailed):
        remind(program, ended)
    assert not AttentionReminder.objects.exists()


def test_the_reminder_is_written_in_the_sites_language_not_the_coordinators(
    program, silent, settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "de"
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        remind(program, silent, kind="match.checkin_due")
    assert mail.outbox[0].subject == "Eine Erinnerung von Ihrem Buddy-Programm"
    assert "Check-in" in mail.outbox[0].body


def test_the_page_offers_remind_on_match_items_and_sends_it(
    logged_in, program, silent, django_capture_on_commit_callbacks
):
    html = logged_in.get(reverse("enrollments:attention")).content.decode()
    assert reverse("enrollments:attention-remind") in html
    data = {"program": "buddy", "kind": "match.no_contact_60", "subject_type": "match",
            "subject_id": silent.pk}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(
            reverse("enrollments:attention-remind"), data, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200 and b"Reminder sent." in response.content
    again = logged_in.post(reverse("enrollments:attention-remind"), data, HTTP_HX_REQUEST="true")
    assert b"Already reminded today." in again.content
    assert len(mail.outbox) == 2


def test_a_bad_remind_request_is_a_400_and_sends_nothing(logged_in, program, silent):
    data = {"program": "buddy", "kind": "match.no_contact_60", "subject_type": "match",
            "subject_id": "nonsense"}  # fmt: skip
    response = logged_in.post(reverse("enrollments:attention-remind"), data)
    assert response.status_code == 400 and b"subject_id" in response.content
    assert not mail.outbox and not AttentionReminder.objects.exists()
