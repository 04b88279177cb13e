"""The match lifecycle: allowed moves, the app-made match rules, and the audit trail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from buddy.models import DataSource, Enrollment, Match, MatchStatus, MatchTransition
from buddy.models.matches import MATCH_TRANSITIONS
from buddy.services.matches import match_accept, match_end, match_propose, match_transition
from core.errors import IllegalTransition, RuleViolation, ValidationFailed
from tests.factories import BuddyFactory, MatchFactory, ParticipantFactory

pytestmark = pytest.mark.django_db
S = MatchStatus


def propose(program, coordinator, **kwargs):
    return match_propose(
        program=program,
        participant=kwargs.get("participant") or ParticipantFactory(),
        buddy=kwargs.get("buddy") or BuddyFactory(),
        by=coordinator,
    )


def test_a_proposal_is_recorded_in_the_audit_trail(program, coordinator):
    match = propose(program, coordinator)
    (row,) = match.transitions.all()
    assert (row.from_status, row.to_status, row.via, row.actor) == (
        "",
        S.PROPOSED,
        DataSource.COORDINATOR,
        coordinator,
    )


def test_every_transition_records_who_when_from_to_and_why(program, coordinator):
    match = propose(program, coordinator)
    match_transition(
        match=match, to_status=S.ACCEPTED, via=DataSource.COORDINATOR, by=coordinator, reason="ok"
    )
    row = MatchTransition.objects.filter(match=match).last()
    assert (row.from_status, row.to_status, row.actor, row.reason) == (
        S.PROPOSED,
        S.ACCEPTED,
        coordinator,
        "ok",
    )
    assert row.at <= timezone.now()


def test_activating_sets_matched_at_and_enrolls_both_people(program, coordinator):
    match = propose(program, coordinator)
    match = match_transition(match=match, to_status=S.ACTIVE, via=DataSource.COORDINATOR)
    assert match.matched_at is not None
    assert Enrollment.objects.filter(program=program).count() == 2


def test_an_illegal_transition_is_refused_and_changes_nothing(program, coordinator):
    match = MatchFactory(ended=True)
    with pytest.raises(IllegalTransition) as error:
        match_transition(match=match, to_status=S.ACTIVE, via=DataSource.COORDINATOR)
    assert error.value.code == "match.illegal_transition"
    match.refresh_from_db()
    assert match.status == S.ENDED
    assert not match.transitions.exists()


def test_declined_and_ended_matches_are_final():
    assert MATCH_TRANSITIONS[S.ENDED] == frozenset()
    assert MATCH_TRANSITIONS[S.DECLINED] == frozenset()


def test_a_second_proposal_for_a_matched_participant_is_refused(program, coordinator):
    participant = ParticipantFactory()
    propose(program, coordinator, participant=participant)
    with pytest.raises(RuleViolation) as error:
        propose(program, coordinator, participant=participant)
    assert error.value.code == "match.participant_already_matched"
    assert Match.objects.filter(participant=participant).count() == 1


def test_activating_is_refused_when_the_participant_got_another_active_match(program, coordinator):
    proposed = propose(program, coordinator)
    MatchFactory(program=program, participant=proposed.participant)  # reported by the Buddy System
    with pytest.raises(RuleViolation) as error:
        match_transition(match=proposed, to_status=S.ACTIVE, via=DataSource.COORDINATOR)
    assert error.value.code == "match.participant_already_matched"
    assert Match.objects.get(pk=proposed.pk).status == S.PROPOSED


@pytest.mark.parametrize("taken_by", [S.PROPOSED, S.ACCEPTED, S.ACTIVE])
def test_a_buddy_whose_places_are_taken_gets_no_further_proposal(program, coordinator, taken_by):
    buddy = BuddyFactory(capacity=1)
    MatchFactory(program=program, buddy=buddy, status=taken_by, source=DataSource.COORDINATOR)
    with pytest.raises(RuleViolation) as error:
        propose(program, coordinator, buddy=buddy)
    assert error.value.code == "match.buddy_at_capacity"


def test_an_inactive_or_ended_match_frees_the_buddys_place(program, coordinator):
    buddy = BuddyFactory(capacity=2)
    MatchFactory(program=program, buddy=buddy, status=S.INACTIVE)
    MatchFactory(program=program, buddy=buddy, ended=True)
    MatchFactory(program=program, buddy=buddy)
    assert propose(program, coordinator, buddy=buddy).status == S.PROPOSED


def test_each_side_can_accept_and_both_make_the_match_accepted(program, coordinator):
    match = propose(program, coordinator)
    match = match_accept(match=match, side="participant", by=coordinator)
    assert (match.status, match.buddy_accepted_at) == (S.PROPOSED, None)
    match = match_accept(match=match, side="buddy", by=coordinator)
    assert match.status == S.ACCEPTED
    assert [t.reason for t in match.transitions.all()] == [
        "proposed",
        "participant accepted",
        "buddy accepted",
    ]


def test_a_coordinator_accepts_on_behalf_of_both_people(program, coordinator):
    match = match_accept(match=propose(program, coordinator), by=coordinator)
    assert match.status == S.ACCEPTED
    assert match.participant_accepted_at == match.buddy_accepted_at is not None


def test_declining_needs_a_note_saying_why(program, coordinator):
    match = propose(program, coordinator)
    with pytest.raises(ValidationFailed):
        match_transition(match=match, to_status=S.DECLINED, via=DataSource.COORDINATOR)
    match = match_transition(
        match=match, to_status=S.DECLINED, via=DataSource.COORDINATOR, note="buddy moved away"
    )
    assert match.transitions.last().note == "buddy moved away"


def test_ending_needs_a_reason_from_the_contracts_list_and_keeps_the_note():
    match = MatchFactory()
    with pytest.raises(ValidationFailed):
        match_end(match=match, ended_at=timezone.now(), end_reason="bored", via="coordinator")
    match = match_end(
        match=match,
        ended_at=timezone.now(),
        end_reason="mutual_agreement",
        via=DataSource.COORDINATOR,
        note="Both moved on.",
    )
    assert (match.end_reason, match.end_note) == ("mutual_agreement", "Both moved on.")


def test_a_match_needs_a_participant_and_a_buddy(program, coordinator):
    with pytest.raises(RuleViolation) as error:
        propose(program, coordinator, participant=BuddyFactory())
    assert error.value.code == "match.role_mismatch"


def test_ending_computes_the_duration_from_the_dates():
    match = MatchFactory(matched_at=timezone.now() - timedelta(days=40))
    match = match_end(
        match=match,
        ended_at=match.matched_at + timedelta(days=12, hours=5),
        end_reason="completed",
        via=DataSource.COORDINATOR,
    )
    assert (match.status, match.duration_days) == (S.ENDED, 12)
    assert match.transitions.get().to_status == S.ENDED


def test_ending_before_the_start_is_refused():
    match = MatchFactory()
    with pytest.raises(ValidationFailed) as error:
        match_end(
            match=match,
            ended_at=match.matched_at - timedelta(days=1),
            end_reason="completed",
            via=DataSource.COORDINATOR,
        )
    assert error.value.code == "match.ends_before_start"
    match.refresh_from_db()
    assert match.status == S.ACTIVE


def test_ending_the_last_match_completed_completes_the_enrollment(
    program, django_capture_on_commit_callbacks
):
    match = MatchFactory()
    from buddy.services.enrollments import enrollment_ensure

    for person in (match.participant, match.buddy):
        enrollment_ensure(person=person, program=program, enrolled_at=match.matched_at, via="test")
    with django_capture_on_commit_callbacks(execute=True):
        match_end(
            match=match,
            ended_at=timezone.now(),
            end_reason="completed",
            via=DataSource.COORDINATOR,
        )
    assert set(Enrollment.objects.values_list("status", flat=True)) == {"completed"}
