"""Deleting people in the admin (a data fix): what goes with them, and who is recomputed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from buddy.models import PendingRecompute, Person, SkillSession
from tests.factories import EnrollmentFactory, MatchFactory, SkillSessionFactory

pytestmark = pytest.mark.django_db


def session(**people) -> SkillSession:
    """A skill session of two people outside any match."""
    return SkillSessionFactory(
        match=None, completed_at=timezone.now() - timedelta(days=3), **people
    )


def queued() -> set[tuple[int, int]]:
    return set(PendingRecompute.objects.values_list("person_id", "program_id"))


def test_a_person_deleted_in_admin_queues_the_recompute_of_the_other_person_of_their_skill_sessions(
    admin_client,
):
    other = EnrollmentFactory()
    leaving = EnrollmentFactory(program=other.program)
    session(teacher=other.person, learner=leaving.person)
    PendingRecompute.objects.all().delete()
    url = reverse("admin:buddy_person_delete", args=[leaving.person_id])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Person.objects.filter(pk=leaving.person_id).exists()
    assert not SkillSession.objects.exists()
    assert queued() == {(other.person_id, other.program_id)}


def test_people_deleted_together_in_admin_queue_the_other_people_of_their_skill_sessions(
    admin_client,
):
    teacher, learner = EnrollmentFactory(), EnrollmentFactory()
    leaving = [EnrollmentFactory().person, EnrollmentFactory().person]
    session(teacher=teacher.person, learner=leaving[0])
    session(teacher=leaving[1], learner=learner.person)
    PendingRecompute.objects.all().delete()
    response = admin_client.post(
        reverse("admin:buddy_person_changelist"),
        {"action": "delete_selected", "_selected_action": [p.pk for p in leaving], "post": "yes"},
    )
    assert response.status_code == 302
    assert queued() == {
        (teacher.person_id, teacher.program_id),
        (learner.person_id, learner.program_id),
    }


def test_a_person_in_a_match_is_not_deleted_in_admin_nor_are_their_skill_sessions(admin_client):
    match = MatchFactory()
    session(teacher=match.buddy, learner=match.participant)
    response = admin_client.post(
        reverse("admin:buddy_person_changelist"),
        {"action": "delete_selected", "_selected_action": [match.buddy_id], "post": "yes"},
    )
    assert response.status_code == 200  # the admin's page naming what protects the person
    assert Person.objects.filter(pk=match.buddy_id).exists()
    assert SkillSession.objects.exists()
