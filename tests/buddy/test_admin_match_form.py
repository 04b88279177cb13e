"""The match change form never edits the lifecycle; the audit trail is read-only."""

import pytest
from django.urls import reverse

from buddy.models import DataSource, Match, MatchStatus, MatchTransition, PendingRecompute
from buddy.services.matches import match_propose
from core.errors import DomainError
from tests.factories import BuddyFactory, MatchFactory, ParticipantFactory

pytestmark = pytest.mark.django_db
S = MatchStatus


def change_url(match):
    return reverse("admin:buddy_match_change", args=[match.pk])


def test_status_is_read_only_on_the_change_form(admin_client):
    match = MatchFactory()
    response = admin_client.get(change_url(match))
    form = response.context["adminform"].form
    assert "status" not in form.fields
    assert "status" in response.context["adminform"].readonly_fields


def test_posting_a_status_to_the_change_form_does_not_change_it(admin_client):
    match = MatchFactory()
    response = admin_client.post(
        change_url(match),
        {
            "status": S.ENDED,
            "end_reason": "completed",
            "sessions_completed": "4",
            "matching_criteria": '{"language": "uk"}',
            "transitions-TOTAL_FORMS": "0",
            "transitions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    match.refresh_from_db()
    assert (match.status, match.end_reason, match.sessions_completed) == (S.ACTIVE, "", 4)
    assert not MatchTransition.objects.filter(match=match).exists()


def test_the_change_page_shows_the_audit_trail_read_only(admin_client, program):
    match = match_propose(program=program, participant=ParticipantFactory(), buddy=BuddyFactory())
    response = admin_client.get(change_url(match))
    (inline,) = response.context["inline_admin_formsets"]
    assert inline.formset.model is MatchTransition
    assert not inline.has_add_permission and not inline.has_change_permission
    assert not inline.has_delete_permission
    assert b"proposed" in response.content


def test_adding_a_match_in_admin_proposes_it_through_the_service(admin_client, admin_user, program):
    participant, buddy = ParticipantFactory(), BuddyFactory()
    response = admin_client.post(
        reverse("admin:buddy_match_add"),
        {
            "program": program.pk,
            "participant": participant.pk,
            "buddy": buddy.pk,
            "matching_criteria": "{}",
        },
    )
    match = Match.objects.get(participant=participant)
    assert response.status_code == 302
    assert (match.status, match.source) == (S.PROPOSED, DataSource.COORDINATOR)
    (row,) = match.transitions.all()
    assert (row.to_status, row.actor) == (S.PROPOSED, admin_user)


def test_a_refused_proposal_shows_the_services_message_on_the_form(admin_client, program):
    participant, not_a_buddy = ParticipantFactory(), ParticipantFactory()
    with pytest.raises(DomainError) as refusal:
        match_propose(program=program, participant=participant, buddy=not_a_buddy)
    assert refusal.value.code == "match.role_mismatch"
    response = admin_client.post(
        reverse("admin:buddy_match_add"),
        {
            "program": program.pk,
            "participant": participant.pk,
            "buddy": not_a_buddy.pk,
            "matching_criteria": "{}",
        },
    )
    assert response.status_code == 200  # the form again, with the input kept
    form = response.context["adminform"].form
    shown = [m for messages in form.errors.values() for m in messages]
    assert f"{refusal.value.code}: {refusal.value.message}" in shown
    assert form["buddy"].value() == str(not_a_buddy.pk)
    assert not Match.objects.exists()


def test_matches_cannot_be_deleted_in_admin(admin_client):
    match = MatchFactory()
    response = admin_client.post(reverse("admin:buddy_match_delete", args=[match.pk]))
    assert response.status_code == 403
    assert Match.objects.filter(pk=match.pk).exists()


def test_the_audit_trail_admin_cannot_add_change_or_delete(admin_client, program):
    match = match_propose(program=program, participant=ParticipantFactory(), buddy=BuddyFactory())
    row = match.transitions.get()
    assert admin_client.get(reverse("admin:buddy_matchtransition_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:buddy_matchtransition_change", args=[row.pk]),
        {"to_status": S.ENDED, "reason": "edited"},
    )
    assert response.status_code == 403
    delete = reverse("admin:buddy_matchtransition_delete", args=[row.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert (row.to_status, row.reason) == (S.PROPOSED, "proposed")


def test_editing_a_matchs_details_in_admin_queues_its_peoples_recompute(admin_client):
    match = MatchFactory()
    PendingRecompute.objects.all().delete()
    response = admin_client.post(
        change_url(match),
        {
            "sessions_completed": "5",
            "matching_criteria": '{"language": "en"}',
            "transitions-TOTAL_FORMS": "0",
            "transitions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    match.refresh_from_db()
    assert match.sessions_completed == 5
    assert set(PendingRecompute.objects.values_list("person_id", "program_id")) == {
        (match.participant_id, match.program_id),
        (match.buddy_id, match.program_id),
    }


def test_the_concurrent_active_flag_cannot_be_set_from_the_change_form(admin_client):
    match = MatchFactory()
    response = admin_client.post(
        change_url(match),
        {
            "concurrent_active": "on",
            "matching_criteria": "{}",
            "transitions-TOTAL_FORMS": "0",
            "transitions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.concurrent_active is False
