"""Every change publishes its event in the same transaction: one outbox row per match move
and per enrollment status change, nothing when the change rolls back, ids only."""

import json

import pytest
from django.db import transaction
from django.utils import timezone

from buddy.models import MatchStatus
from buddy.services.matches import match_end, match_propose, match_transition
from core.errors import IllegalTransition
from core.models import OutboxEvent
from enrollments.services import enrollment_record_left
from tests.factories import BuddyFactory, EnrollmentFactory, MatchFactory, ParticipantFactory

pytestmark = pytest.mark.django_db
S = MatchStatus


def match_events():
    return list(OutboxEvent.objects.filter(type__startswith="match.").order_by("occurred_at"))


def propose(program, coordinator):
    return match_propose(
        program=program, participant=ParticipantFactory(), buddy=BuddyFactory(), by=coordinator
    )


def test_each_match_move_publishes_its_event(program, coordinator):
    match = propose(program, coordinator)
    match_transition(match=match, to_status=S.ACCEPTED, via="coordinator", by=coordinator)
    match_transition(match=match, to_status=S.ACTIVE, via="coordinator", by=coordinator)
    match_transition(match=match, to_status=S.INACTIVE, via="coordinator", by=coordinator)
    match_transition(match=match, to_status=S.ACTIVE, via="coordinator", by=coordinator)
    match_end(match=match, ended_at=timezone.now(), end_reason="completed", via="coordinator")

    assert [e.type for e in match_events()] == [
        "match.proposed",
        "match.accepted",
        "match.activated",
        "match.paused",
        "match.activated",
        "match.ended",
    ]
    ended = match_events()[-1].data
    assert ended["fromStatus"] == "active" and ended["status"] == "ended"
    assert ended["endReason"] == "completed"


def test_a_declined_proposal_publishes_match_declined(program, coordinator):
    match = propose(program, coordinator)
    match_transition(
        match=match, to_status=S.DECLINED, via="coordinator", by=coordinator, note="no fit"
    )
    assert [e.type for e in match_events()] == ["match.proposed", "match.declined"]


def test_the_payload_names_people_and_matches_by_buddy_system_ids(program):
    match = MatchFactory(status=S.ACTIVE)
    match_transition(match=match, to_status=S.INACTIVE, via="webhook")
    (event,) = match_events()
    assert event.program_id == program.pk
    assert event.data["match"] == {"id": match.pk, "buddySystemId": str(match.external_id)}
    assert event.data["participant"] == {
        "id": match.participant_id,
        "buddySystemId": ParticipantFactory.buddy_uuid(match.participant),
    }
    assert event.data["buddy"]["buddySystemId"] == BuddyFactory.buddy_uuid(match.buddy)


def test_records_the_buddy_system_does_not_know_are_named_by_our_ids(program, coordinator):
    match = match_propose(
        program=program,
        participant=ParticipantFactory(external_id=False),
        buddy=BuddyFactory(external_id=False),
        by=coordinator,
    )
    (event,) = match_events()
    assert event.data["match"] == {"id": match.pk, "buddySystemId": None}
    assert event.data["participant"] == {"id": match.participant_id, "buddySystemId": None}


def test_payloads_carry_no_personal_data(program, coordinator):
    participant, buddy = ParticipantFactory(), BuddyFactory()
    match = match_propose(program=program, participant=participant, buddy=buddy, by=coordinator)
    match_transition(
        match=match, to_status=S.ACTIVE, via="coordinator", by=coordinator, reason="Anna's call"
    )
    text = json.dumps([e.envelope() for e in OutboxEvent.objects.all()])
    for person in (participant, buddy):
        for value in (person.first_name, person.last_name, person.email, person.location):
            assert value not in text
    assert "Anna" not in text  # the coordinator's free-text reason stays in the audit trail


def test_a_rolled_back_change_publishes_nothing(program, coordinator):
    match = propose(program, coordinator)
    before = OutboxEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        match_transition(match=match, to_status=S.ACTIVE, via="coordinator", by=coordinator)
        assert OutboxEvent.objects.count() > before  # written inside the transaction …
        raise RuntimeError("the caller fails after the change")
    assert OutboxEvent.objects.count() == before  # … and gone with it


def test_a_refused_change_publishes_nothing(program, coordinator):
    match = propose(program, coordinator)
    before = OutboxEvent.objects.count()
    with pytest.raises(IllegalTransition):
        match_transition(match=match, to_status=S.INACTIVE, via="coordinator")
    assert OutboxEvent.objects.count() == before


def test_joining_a_program_publishes_an_enrollment_status_change(program, coordinator):
    match = propose(program, coordinator)
    match_transition(match=match, to_status=S.ACTIVE, via="coordinator", by=coordinator)
    joined = OutboxEvent.objects.filter(type="enrollment.status_changed")
    assert sorted(e.data["person"]["id"] for e in joined) == sorted(
        [match.participant_id, match.buddy_id]
    )
    assert {(e.data["fromStatus"], e.data["status"]) for e in joined} == {(None, "active")}


def test_an_enrollment_status_change_publishes_its_event(program):
    enrollment = EnrollmentFactory(program=program)
    enrollment_record_left(enrollment=enrollment)
    (event,) = OutboxEvent.objects.filter(type="enrollment.status_changed")
    assert event.data == {
        "enrollmentId": enrollment.pk,
        "programId": program.pk,
        "person": {
            "id": enrollment.person_id,
            "buddySystemId": ParticipantFactory.buddy_uuid(enrollment.person),
        },
        "fromStatus": "active",
        "status": "dropped",
        "changedAt": event.data["changedAt"],
    }
    assert event.program_id == program.pk


def test_the_envelope_is_versioned_with_id_type_timestamp_and_data(program, coordinator):
    propose(program, coordinator)
    envelope = match_events()[0].envelope()
    assert set(envelope) == {"id", "type", "version", "timestamp", "correlationId", "data"}
    assert envelope["version"] == 1 and envelope["timestamp"].endswith("Z")


def _event(**kwargs) -> OutboxEvent:
    return OutboxEvent.objects.create(
        type="match.proposed", occurred_at=timezone.now(), data={}, **kwargs
    )


def test_two_published_events_cannot_share_a_feed_position():
    from django.db import IntegrityError

    _event(sequence=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        _event(sequence=7)


def test_any_number_of_events_wait_for_their_feed_position():
    _event(), _event(), _event()
    assert OutboxEvent.objects.filter(sequence__isnull=True).count() == 3


@pytest.mark.postgres
def test_an_event_not_yet_published_takes_no_entry_in_the_feeds_indexes():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            [OutboxEvent._meta.db_table, "%sequence%"],
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert len(definitions) == 2
    assert all(d.endswith("WHERE (sequence IS NOT NULL)") for d in definitions), definitions
