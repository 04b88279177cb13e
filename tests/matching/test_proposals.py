"""Accepting, accepting all, dismissing and locking proposals."""

import pytest

from buddy.models import DataSource, MatchStatus
from core.errors import RuleViolation, ValidationFailed
from matching.models import ProposalStatus
from matching.services import (
    proposal_accept,
    proposal_dismiss,
    proposals_accept_all,
    run_create,
    run_execute,
)
from tests.factories import MatchFactory

pytestmark = pytest.mark.django_db


def run(program):
    created = run_create(program=program)
    run_execute(run_id=created.pk)
    return created


def test_accepting_creates_a_proposed_match_through_the_match_service(
    program, coordinator, participant_in, buddy_in
):
    participant_in()
    buddy_in()
    proposal = run(program).proposals.get()
    match = proposal_accept(proposal=proposal, by=coordinator)
    proposal.refresh_from_db()
    assert (match.status, match.source) == (MatchStatus.PROPOSED, DataSource.RECOMMENDATION)
    assert (proposal.status, proposal.match, proposal.decided_by) == (
        ProposalStatus.ACCEPTED,
        match,
        coordinator,
    )
    assert match.matching_criteria["proposal"] == proposal.pk
    assert match.transitions.get().actor == coordinator


def test_accepting_re_checks_the_buddys_places(program, participant_in, buddy_in):
    participant_in()
    buddy = buddy_in(capacity=1)
    proposal = run(program).proposals.get()
    MatchFactory(program=program, buddy=buddy)  # the Buddy System reported one meanwhile
    with pytest.raises(RuleViolation) as error:
        proposal_accept(proposal=proposal)
    assert error.value.code == "match.buddy_at_capacity"
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PROPOSED


def test_a_decided_proposal_cannot_be_accepted_again(program, participant_in, buddy_in):
    participant_in()
    buddy_in()
    proposal = run(program).proposals.get()
    proposal_accept(proposal=proposal)
    with pytest.raises(RuleViolation) as error:
        proposal_accept(proposal=proposal)
    assert error.value.code == "matching.proposal_decided"


def test_accept_all_accepts_what_the_rules_still_allow_and_lists_the_rest(
    program, participant_in, buddy_in
):
    for _ in range(3):
        participant_in()
    buddies = [buddy_in(), buddy_in(), buddy_in()]
    done = run(program)
    MatchFactory(program=program, buddy=buddies[0])
    result = proposals_accept_all(run=done)
    assert result["accepted"] == 2
    assert [r["code"] for r in result["refused"]] == ["match.buddy_at_capacity"]


def test_dismissing_needs_a_reason(program, participant_in, buddy_in):
    participant_in()
    buddy_in()
    proposal = run(program).proposals.get()
    with pytest.raises(ValidationFailed):
        proposal_dismiss(proposal=proposal, reason="  ")
    dismissed = proposal_dismiss(proposal=proposal, reason="they know each other")
    assert (dismissed.status, dismissed.dismissal_reason) == (
        ProposalStatus.DISMISSED,
        "they know each other",
    )
