"""Matches reported by the Buddy System are recorded as they come, never rolled back."""

import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from buddy.models import Match, MatchStatus
from buddy.schemas import MatchCreatedRecord, MatchEndedRecord, MatchRecord
from buddy.services.common import Outcome
from buddy.services.matches import (
    match_record_created,
    match_record_ended,
    match_record_export,
)
from core.errors import RuleViolation, UnknownReference
from tests.factories import BuddyFactory, MatchFactory, ParticipantFactory, PersonFactory

pytestmark = pytest.mark.django_db
S = MatchStatus


def created(participant, buddy, match_id=None, matched_at=None) -> MatchCreatedRecord:
    return MatchCreatedRecord.model_validate(
        {
            "matchId": str(match_id or uuid.uuid4()),
            "participantId": PersonFactory.buddy_uuid(participant),
            "buddyId": PersonFactory.buddy_uuid(buddy),
            "matchedAt": (matched_at or timezone.now() - timedelta(days=10)).isoformat(),
        }
    )


def test_a_reported_match_is_created_active(program):
    result = match_record_created(
        record=created(ParticipantFactory(), BuddyFactory()), program=program
    )
    assert result.outcome is Outcome.CREATED
    assert result.obj.status == S.ACTIVE
    assert result.obj.transitions.get().to_status == S.ACTIVE


def test_a_second_concurrent_active_reported_match_is_flagged_not_refused(program):
    participant = ParticipantFactory()
    match_record_created(record=created(participant, BuddyFactory()), program=program)
    second = match_record_created(record=created(participant, BuddyFactory()), program=program)
    assert second.obj.concurrent_active is True
    assert Match.objects.active().filter(participant=participant).count() == 2


def test_both_concurrent_active_matches_are_flagged_whatever_arrived_first(program):
    participant = ParticipantFactory()
    first = match_record_created(record=created(participant, BuddyFactory()), program=program)
    match_record_created(record=created(participant, BuddyFactory()), program=program)
    first.obj.refresh_from_db()
    assert first.obj.concurrent_active is True


def test_ending_one_of_two_active_matches_clears_the_flag(program):
    participant = ParticipantFactory()
    first = match_record_created(record=created(participant, BuddyFactory()), program=program)
    second = match_record_created(record=created(participant, BuddyFactory()), program=program)
    match_record_ended(
        record=MatchEndedRecord(
            match_id=first.obj.external_id, ended_at=timezone.now(), end_reason="completed"
        )
    )
    assert not Match.objects.filter(concurrent_active=True).exists()
    second.obj.refresh_from_db()
    assert second.obj.status == S.ACTIVE


def test_a_reported_match_with_an_unknown_user_names_the_reference(program):
    participant = ParticipantFactory()
    record = created(participant, BuddyFactory()).model_copy(update={"buddy_id": uuid.uuid4()})
    # the service has no savepoint of its own: the caller's (here) is what it undoes
    with pytest.raises(UnknownReference) as error, transaction.atomic():
        match_record_created(record=record, program=program)
    assert error.value.kind == "user"
    assert not Match.objects.exists()


def test_a_participant_id_naming_a_buddy_is_refused(program):
    buddy = BuddyFactory()
    with pytest.raises(RuleViolation) as error:
        match_record_created(record=created(BuddyFactory(), buddy), program=program)
    assert error.value.errors[0].path == "participantId"


def test_a_late_created_event_never_reopens_an_ended_match(program):
    match = MatchFactory(ended=True)
    record = created(match.participant, match.buddy, match_id=match.external_id)
    match_record_created(record=record, program=program)
    match.refresh_from_db()
    assert match.status == S.ENDED


def test_ended_twice_keeps_the_first_end(program):
    match = MatchFactory()
    first = MatchEndedRecord(
        match_id=match.external_id,
        ended_at=timezone.now() - timedelta(days=2),
        end_reason="completed",
    )
    match_record_ended(record=first)
    second = first.model_copy(update={"end_reason": "inactivity", "ended_at": timezone.now()})
    assert match_record_ended(record=second).outcome is Outcome.UNCHANGED
    match.refresh_from_db()
    assert match.end_reason == "completed"


def export_row(match, **overrides) -> MatchRecord:
    data = {
        "match_id": str(match.external_id),
        "participant_id": PersonFactory.buddy_uuid(match.participant),
        "buddy_id": PersonFactory.buddy_uuid(match.buddy),
        "matched_at": match.matched_at.isoformat(),
        "status": "active",
    }
    return MatchRecord.model_validate(data | overrides)


def test_an_export_never_reopens_an_ended_match(program):
    match = MatchFactory(ended=True)
    match_record_export(record=export_row(match, status="active"), program=program)
    match.refresh_from_db()
    assert (match.status, match.end_reason) == (S.ENDED, "completed")


def test_an_export_keeps_end_fields_a_webhook_set(program):
    match = MatchFactory(ended=True)
    ended_at = match.ended_at
    row = export_row(
        match,
        status="ended",
        ended_at=(ended_at + timedelta(days=3)).isoformat(),
        end_reason="other",
    )
    match_record_export(record=row, program=program)
    match.refresh_from_db()
    assert (match.ended_at, match.end_reason) == (ended_at, "completed")


def test_an_export_moves_an_active_match_forward_to_ended(program):
    match = MatchFactory()
    row = export_row(
        match,
        status="ended",
        ended_at=(match.matched_at + timedelta(days=9)).isoformat(),
        end_reason="completed",
    )
    result = match_record_export(record=row, program=program)
    assert (result.outcome, result.obj.status, result.obj.duration_days) == (
        Outcome.UPDATED,
        S.ENDED,
        9,
    )
    assert result.obj.transitions.get().to_status == S.ENDED


def test_the_same_export_row_twice_is_unchanged(program):
    match = MatchFactory()
    match_record_export(record=export_row(match), program=program)
    assert match_record_export(record=export_row(match), program=program).outcome is (
        Outcome.UNCHANGED
    )
