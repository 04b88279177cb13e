"""Match status changes in admin are actions that go through the lifecycle service."""

import pytest
from django.contrib.messages import ERROR, SUCCESS
from django.urls import reverse

from buddy.models import DataSource, Match, MatchStatus, MatchTransition
from buddy.services.matches import match_propose
from tests.factories import BuddyFactory, MatchFactory, ParticipantFactory

pytestmark = pytest.mark.django_db
S = MatchStatus
CHANGELIST = reverse("admin:buddy_match_changelist")


def run_action(client, action: str, *matches, **extra):
    data = {"action": action, "_selected_action": [m.pk for m in matches], **extra}
    return client.post(CHANGELIST, data, follow=True)


def levels_and_texts(response) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in response.context["messages"]]


def proposal(program, by=None) -> Match:
    return match_propose(
        program=program, participant=ParticipantFactory(), buddy=BuddyFactory(), by=by
    )


def test_activate_action_moves_the_match_and_records_the_coordinator(
    admin_client, admin_user, program
):
    match = proposal(program)
    response = run_action(admin_client, "activate", match)
    match.refresh_from_db()
    assert match.status == S.ACTIVE
    last = match.transitions.last()
    assert (last.from_status, last.to_status, last.via, last.actor) == (
        S.PROPOSED,
        S.ACTIVE,
        DataSource.COORDINATOR,
        admin_user,
    )
    assert [level for level, _ in levels_and_texts(response)] == [SUCCESS]


def test_end_action_ends_with_the_chosen_reason_through_the_service(admin_client, admin_user):
    match = MatchFactory()
    run_action(admin_client, "end", match, end_reason="mutual_agreement")
    match.refresh_from_db()
    assert (match.status, match.end_reason) == (S.ENDED, "mutual_agreement")
    assert match.ended_at is not None and match.duration_days is not None
    last = match.transitions.last()
    assert (last.from_status, last.to_status, last.actor, last.reason) == (
        S.ACTIVE,
        S.ENDED,
        admin_user,
        "mutual_agreement",
    )


def test_end_action_without_an_end_reason_changes_nothing(admin_client):
    match = MatchFactory()
    response = run_action(admin_client, "end", match)
    match.refresh_from_db()
    assert match.status == S.ACTIVE
    assert not MatchTransition.objects.filter(match=match).exists()
    assert [level for level, _ in levels_and_texts(response)] == [ERROR]


def test_an_illegal_transition_leaves_the_match_unchanged_and_shows_an_error(admin_client):
    match = MatchFactory(ended=True)
    response = run_action(admin_client, "activate", match)
    match.refresh_from_db()
    assert match.status == S.ENDED
    assert not MatchTransition.objects.filter(match=match).exists()
    ((level, text),) = levels_and_texts(response)
    assert level == ERROR
    assert f"match #{match.pk}" in text and "cannot move from ended to active" in text


def test_one_refused_match_means_no_selected_match_changes(admin_client, program):
    movable, refused = proposal(program), MatchFactory(ended=True)
    before = MatchTransition.objects.count()
    response = run_action(admin_client, "activate", movable, refused)
    movable.refresh_from_db()
    assert movable.status == S.PROPOSED
    assert MatchTransition.objects.count() == before
    assert [level for level, _ in levels_and_texts(response)] == [ERROR]


def test_a_business_rule_refusal_is_shown_not_raised(admin_client, program):
    second = proposal(program)
    MatchFactory(program=program, participant=second.participant)  # reported by the Buddy System
    response = run_action(admin_client, "activate", second)
    second.refresh_from_db()
    assert second.status == S.PROPOSED
    ((level, text),) = levels_and_texts(response)
    assert level == ERROR and "already has a proposed, accepted or active match" in text


@pytest.mark.parametrize(
    ("action", "to_status"),
    [("accept", S.ACCEPTED), ("decline", S.DECLINED)],
)
def test_proposal_actions(admin_client, program, action, to_status):
    match = proposal(program)
    run_action(admin_client, action, match, note="Checked with both")
    match.refresh_from_db()
    assert match.status == to_status
    assert match.transitions.last().to_status == to_status


def test_declining_in_the_admin_without_a_note_changes_nothing(admin_client, program):
    match = proposal(program)
    run_action(admin_client, "decline", match)
    match.refresh_from_db()
    assert match.status == S.PROPOSED


def test_deactivate_action(admin_client):
    match = MatchFactory()
    run_action(admin_client, "deactivate", match)
    match.refresh_from_db()
    assert match.status == S.INACTIVE
