"""The kept attention queue (``AttentionEntry``, refreshed by the recompute): the same items
in the same order as the queue computed from the data, filtered, paged and snoozed in the
database, refreshed for the people a recompute touched and whole at night."""

from datetime import timedelta

import pytest

from buddy.services.enrollments import enrollment_ensure
from enrollments.attention import AttentionQueue, attention_queue, attention_refresh
from enrollments.models import AttentionEntry, AttentionQueueState
from enrollments.services import after_recompute, attention_snooze
from tests.factories import (
    CheckInFactory,
    FeedbackFactory,
    InformalEventFactory,
    MatchFactory,
    ParticipantFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_program(program, now):
    """Items of many kinds, several of some, with equal day counts."""
    for days in (12, 12, 40):
        enrollment_ensure(
            person=ParticipantFactory(), program=program, enrolled_at=now - timedelta(days=days),
            via="test",
        )  # fmt: skip
    for days in (80, 80, 45, 20, 130):
        MatchFactory(matched_at=now - timedelta(days=days))
    quiet = MatchFactory(matched_at=now - timedelta(days=40))
    CheckInFactory(match=quiet, checkin_date=now - timedelta(days=20), mood="struggling")
    CheckInFactory(match=quiet, checkin_date=now - timedelta(days=18), mood="difficult")
    busy = MatchFactory(matched_at=now - timedelta(days=10))
    InformalEventFactory(match=busy, event_date=now - timedelta(days=1))
    FeedbackFactory(match=busy, submitted_at=now - timedelta(days=3), rating=0.2)
    zero = now - timedelta(days=5)
    MatchFactory(matched_at=zero, status="ended", ended_at=zero)
    return {"quiet": quiet, "busy": busy}


def dicts(items):
    return [item.as_dict() for item in items]


def test_the_kept_queue_holds_the_live_queues_items_in_its_order(program, now, busy_program):
    live = attention_queue(program=program, now=now)
    kept = AttentionQueue(program=program, now=now, hide_snoozed=False)
    assert len(kept) == len(live) > 10
    assert dicts(kept) == dicts(live)
    assert kept.summary() == _summary(live)


def _summary(items):
    out = {}
    for item in items:
        out[item.kind] = out.get(item.kind, 0) + 1
    return out


def test_pages_of_the_kept_queue_cover_it_in_order(program, now, busy_program):
    queue = AttentionQueue(program=program, now=now)
    whole = dicts(queue)
    pages = [dicts(queue[i : i + 3]) for i in range(0, len(whole), 3)]
    assert [item for page in pages for item in page] == whole


@pytest.mark.parametrize(
    "kind, min_days",
    [("participant.waiting", None), (None, 30), ("match.no_contact_60", 100), (None, 0)],
)
def test_filters_by_kind_and_age_keep_the_live_queues_items(
    program, now, busy_program, kind, min_days
):
    live = [
        i
        for i in attention_queue(program=program, now=now)
        if (kind is None or i.kind == kind)
        and (min_days is None or (i.days is not None and i.days >= min_days))
    ]
    queue = AttentionQueue(program=program, now=now, kind=kind, min_days=min_days)
    assert dicts(queue) == dicts(live)
    assert queue.count() == len(live)


def test_a_snoozed_item_leaves_the_kept_queue_until_it_changes(program, now, busy_program):
    from enrollments.attention import item_fingerprint

    quiet = busy_program["quiet"]
    [item] = [
        i for i in attention_queue(program=program, now=now)
        if i.kind == "match.struggling" and i.subject_id == quiet.pk
    ]  # fmt: skip
    attention_snooze(
        program=program, kind=item.kind, subject_type="match", subject_id=quiet.pk,
        fingerprint=item_fingerprint(item), until=now.date() + timedelta(days=3),
        today=now.date(),
    )  # fmt: skip
    queue = AttentionQueue(program=program, now=now)
    assert "match.struggling" not in queue.summary()
    assert queue.snoozed_count() == 1
    assert item.as_dict() not in dicts(queue)
    CheckInFactory(match=quiet, checkin_date=now - timedelta(hours=1), mood="difficult")
    after_recompute(program=program, person_ids=[quiet.participant_id])
    queue = AttentionQueue(program=program, now=now)
    assert queue.summary()["match.struggling"] == 1  # its title changed: the snooze lapsed
    assert queue.snoozed_count() == 0


def test_a_recompute_refreshes_the_items_of_its_people_only(program, now, busy_program):
    AttentionQueue(program=program, now=now)  # kept whole
    busy, quiet = busy_program["busy"], busy_program["quiet"]
    before = AttentionEntry.objects.exclude(subject_id=quiet.pk).count()
    InformalEventFactory(match=quiet, event_date=now - timedelta(days=1))
    CheckInFactory(match=quiet, checkin_date=now - timedelta(hours=2), mood="good")
    FeedbackFactory(match=busy, submitted_at=now - timedelta(days=1), rating=0.1)  # not refreshed
    after_recompute(program=program, person_ids=[quiet.buddy_id])
    quiet_kinds = set(
        AttentionEntry.objects.filter(subject_type="match", subject_id=quiet.pk).values_list(
            "kind", flat=True
        )
    )
    assert quiet_kinds == set()  # contact, a check-in and a good mood: nothing to do
    assert AttentionEntry.objects.exclude(subject_id=quiet.pk).count() == before
    state = AttentionQueueState.objects.get(program=program)
    assert state.counts == _summary(attention_queue(program=program, now=now)) | {
        "feedback.low_rating": 1  # the busy match's new rating waits for its recompute
    }


def test_the_nightly_recompute_refreshes_the_whole_program(program, now, busy_program):
    from enrollments.tasks import recompute_all_programs

    AttentionQueue(program=program, now=now)
    MatchFactory(matched_at=now - timedelta(days=200))
    recompute_all_programs()
    live = attention_queue(program=program)
    assert dicts(AttentionQueue(program=program, hide_snoozed=False)) == dicts(live)


def test_a_partial_refresh_of_a_program_never_kept_does_nothing(program, now, busy_program):
    assert attention_refresh(program=program, person_ids=[busy_program["quiet"].buddy_id]) == 0
    assert not AttentionEntry.objects.exists()
    assert not AttentionQueueState.objects.exists()
