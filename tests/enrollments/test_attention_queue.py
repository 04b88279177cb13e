"""The needs-attention queue: one item per reason, ranked, linked, without personal data."""

import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail

from buddy.models import DataSource, Program, ProgramType
from buddy.schemas import MatchCreatedRecord
from buddy.services.enrollments import enrollment_ensure
from buddy.services.matches import match_end, match_record_created
from enrollments.attention import PRIORITY, attention_queue
from enrollments.digest import attention_digest_send
from tests.factories import (
    BuddyFactory,
    CheckInFactory,
    FeedbackFactory,
    InformalEventFactory,
    MatchFactory,
    ParticipantFactory,
    PersonFactory,
)


def kinds(items):
    return [item.kind for item in items]


def by_kind(items, kind):
    return [item for item in items if item.kind == kind]


@pytest.fixture
def busy_program(program, now):
    """A program with one situation of each kind."""
    waiting = ParticipantFactory(first_name="Olena", last_name="Secretname")
    enrollment_ensure(
        person=waiting, program=program, enrolled_at=now - timedelta(days=12), via="test"
    )
    silent = MatchFactory(matched_at=now - timedelta(days=80))
    FeedbackFactory(match=silent, submitted_at=now - timedelta(days=65), rating=0.9)
    quiet = MatchFactory(matched_at=now - timedelta(days=40))
    CheckInFactory(match=quiet, checkin_date=now - timedelta(days=20), mood="struggling")
    CheckInFactory(match=quiet, checkin_date=now - timedelta(days=18), mood="difficult")
    busy = MatchFactory(matched_at=now - timedelta(days=10))
    InformalEventFactory(match=busy, event_date=now - timedelta(days=1))
    CheckInFactory(match=busy, checkin_date=now - timedelta(days=2), mood="good")
    FeedbackFactory(match=busy, submitted_at=now - timedelta(days=3), rating=0.2)
    never = MatchFactory(matched_at=now - timedelta(days=120))
    FeedbackFactory(match=never, submitted_at=now - timedelta(days=100), rating=0.1)
    never.feedback.all().delete()
    InformalEventFactory(match=never, event_date=now - timedelta(days=1))
    CheckInFactory(match=never, checkin_date=now - timedelta(days=1))
    zero = MatchFactory(
        matched_at=now - timedelta(days=5), status="ended", ended_at=now - timedelta(days=5)
    )
    return {"waiting": waiting, "silent": silent, "quiet": quiet, "busy": busy,
            "never": never, "zero": zero}  # fmt: skip


def test_each_situation_gives_its_item(program, now, busy_program):
    items = attention_queue(program=program, now=now)
    b = busy_program
    assert [i.subject_id for i in by_kind(items, "match.no_contact_60")] == [b["silent"].pk]
    assert [i.subject_id for i in by_kind(items, "match.no_contact_14")] == [b["quiet"].pk]
    assert {i.subject_id for i in by_kind(items, "match.checkin_due")} == {
        b["silent"].pk,
        b["quiet"].pk,
    }
    assert [i.subject_id for i in by_kind(items, "match.struggling")] == [b["quiet"].pk]
    assert len(by_kind(items, "feedback.low_rating")) == 1
    assert [i.subject_id for i in by_kind(items, "match.no_feedback")] == [b["never"].pk]
    assert [i.subject_id for i in by_kind(items, "match.zero_duration")] == [b["zero"].pk]
    waiting = by_kind(items, "participant.waiting")
    assert [(i.days, i.subject_type) for i in waiting] == [(12, "enrollment")]
    assert b["busy"].pk not in {i.subject_id for i in items if i.subject_type == "match"}


def test_a_program_with_too_many_low_ratings_is_flagged(program, now, busy_program):
    # 1 of 2 ratings below 0.5 is over 30 %; 1 of 4 is not.
    items = attention_queue(program=program, now=now)
    assert kinds(items)[0] == "program.negative_feedback"
    FeedbackFactory.create_batch(2, match=busy_program["busy"], rating=0.9)
    assert "program.negative_feedback" not in kinds(attention_queue(program=program, now=now))


def test_a_program_below_its_match_rate_target_is_flagged(program, now):
    for _ in range(2):
        enrollment_ensure(person=ParticipantFactory(), program=program, enrolled_at=now, via="t")
    match = MatchFactory(matched_at=now - timedelta(days=1))
    enrollment_ensure(person=match.participant, program=program, enrolled_at=now, via="t")
    [item] = by_kind(attention_queue(program=program, now=now), "program.match_rate_below_target")
    assert "33%" in item.title and "70%" in item.title


def test_items_are_ranked_by_priority_then_days(program, now, busy_program):
    items = attention_queue(program=program, now=now)
    ranks = [(-i.priority, -(i.days or 0)) for i in items]
    assert ranks == sorted(ranks)
    assert set(kinds(items)) <= set(PRIORITY)


def test_items_link_to_where_to_act_and_never_show_names(program, now, busy_program):
    items = attention_queue(program=program, now=now)
    for item in items:
        assert item.action_url.startswith("/admin/")
        assert "Olena" not in item.title + item.reason
        assert "Secretname" not in item.title + item.reason
    [waiting] = by_kind(items, "participant.waiting")
    assert waiting.action_url.endswith(f"/{waiting.subject_id}/change/")


def test_the_queue_takes_a_fixed_number_of_queries(
    program, now, busy_program, django_assert_max_num_queries
):
    MatchFactory.create_batch(5, matched_at=now - timedelta(days=70))
    for _ in range(3):  # participants with concurrent matches: one grouped query for all
        doubled(program, now)
    # One statement per kind computed from rows (11), one per program-wide figure (2), the
    # apps' sources above (3 today); the budget keeps headroom, whatever number of rows.
    # (The pages read the kept items instead: tests/ui/test_attention_page.py.)
    with django_assert_max_num_queries(18):
        attention_queue(program=program, now=now)


def test_dead_lettered_webhooks_of_the_programs_events_are_one_item(program, now):
    from tests.factories import WebhookDeliveryFactory, WebhookEventFactory

    match = MatchFactory(program=program)
    for _ in range(2):
        event = WebhookEventFactory(match_id=match.external_id)
        WebhookDeliveryFactory(event=event, dead=True)
    WebhookDeliveryFactory(event=WebhookEventFactory(), dead=True)  # names nobody known
    [item] = by_kind(attention_queue(program=program, now=now), "webhooks.dead_lettered")
    assert item.title.startswith("2 webhook")
    assert item.action_url == "/webhooks/review/?status=dead"  # the coordinator screen


def reported(program, participant, now, days: int):
    """A match the Buddy System reports active (the service sets ``concurrent_active``)."""
    record = MatchCreatedRecord.model_validate(
        {
            "matchId": str(uuid.uuid4()),
            "participantId": PersonFactory.buddy_uuid(participant),
            "buddyId": PersonFactory.buddy_uuid(BuddyFactory()),
            "matchedAt": (now - timedelta(days=days)).isoformat(),
        }
    )
    return match_record_created(record=record, program=program).obj


def doubled(program, now):
    """A participant the Buddy System reported with two active matches in the program."""
    participant = ParticipantFactory(first_name="Olena", last_name="Secretname")
    first = reported(program, participant, now, days=20)
    second = reported(program, participant, now, days=6)
    return participant, first, second


def test_a_participant_with_two_active_matches_is_one_item(program, now):
    participant, *_ = doubled(program, now)
    [item] = by_kind(attention_queue(program=program, now=now), "participant.concurrent_matches")
    assert (item.subject_type, item.subject_id) == ("person", participant.pk)
    assert item.title == f"Participant #{participant.pk}: 2 active matches at once"
    assert item.days == 6  # concurrent since the newer match started
    assert item.priority == 52
    assert "Olena" not in item.title + item.reason
    assert "Secretname" not in item.title + item.reason


def test_the_concurrent_matches_item_links_to_that_participants_active_matches(
    program, now, admin_client
):
    participant, first, second = doubled(program, now)
    MatchFactory(program=program, participant=participant, ended=True)  # not in the list
    MatchFactory(program=program)  # someone else's
    [item] = by_kind(attention_queue(program=program, now=now), "participant.concurrent_matches")
    url = urlsplit(item.action_url)
    assert url.path == "/admin/buddy/match/"
    assert parse_qs(url.query) == {
        "participant__id__exact": [str(participant.pk)],
        "program__id__exact": [str(program.pk)],
        "status__exact": ["active"],
    }
    response = admin_client.get(item.action_url)
    assert response.status_code == 200  # the admin accepts the filters (no ?e=1 redirect)
    assert {m.pk for m in response.context["cl"].result_list} == {first.pk, second.pk}


def test_the_concurrent_matches_item_goes_when_one_match_ends(program, now):
    _, first, _ = doubled(program, now)
    assert by_kind(attention_queue(program=program, now=now), "participant.concurrent_matches")
    match_end(match=first, ended_at=now, end_reason="completed", via=DataSource.COORDINATOR)
    items = attention_queue(program=program, now=now)
    assert by_kind(items, "participant.concurrent_matches") == []


def test_concurrent_matches_in_another_program_are_not_shown(program, now):
    mentorship = Program.objects.get(program_type=ProgramType.MENTORSHIP)
    participant, *_ = doubled(mentorship, now)
    reported(program, participant, now, days=3)  # one active match in this program: fine
    assert (
        by_kind(attention_queue(program=program, now=now), "participant.concurrent_matches") == []
    )
    [item] = by_kind(attention_queue(program=mentorship, now=now), "participant.concurrent_matches")
    assert item.subject_id == participant.pk


def test_the_api_the_page_and_the_digest_serve_the_concurrent_matches_item(
    program, now, admin_client
):
    participant, *_ = doubled(program, now)
    title = f"Participant #{participant.pk}: 2 active matches at once"
    body = admin_client.get("/api/attention/?program=buddy").json()
    [item] = [i for i in body["items"] if i["kind"] == "participant.concurrent_matches"]
    assert (item["title"], item["priority"]) == (title, 52)
    assert body["summary"]["participant.concurrent_matches"] == 1
    assert title in admin_client.get("/attention/").content.decode()
    assert attention_digest_send(now=now) == 1  # the admin user is staff with an email
    text = mail.outbox[0].body
    assert title in text
    assert item["action_url"] in text  # the plain-text email is not HTML-escaped (&)


def test_an_items_admin_link_follows_the_requests_script_prefix():
    """The change page's path is resolved once per model; the prefix is the request's."""
    from django.urls import reverse, set_script_prefix

    from enrollments.attention import admin_url

    assert admin_url("buddy_enrollment", 7) == reverse("admin:buddy_enrollment_change", args=[7])
    set_script_prefix("/buddy/")
    try:
        assert admin_url("buddy_enrollment", 7) == "/buddy/admin/buddy/enrollment/7/change/"
    finally:
        set_script_prefix("/")
