"""The recompute queue in the admin: read-only, bounded queries, a drain action."""

import pytest
from django.urls import reverse

from buddy.models import PendingRecompute
from buddy.services.enrollments import enrollment_ensure, recompute_soon
from tests.factories import MatchFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:buddy_pendingrecompute_changelist")


@pytest.fixture
def queued(program, django_capture_on_commit_callbacks):
    """Three people of ended matches waiting in the queue (the drain request not run)."""
    matches = [MatchFactory(ended=True, program=program) for _ in range(3)]
    for match in matches:
        enrollment_ensure(
            person=match.participant, program=program, enrolled_at=match.matched_at, via="test"
        )
    with django_capture_on_commit_callbacks(execute=False):
        recompute_soon(person_ids=[m.participant_id for m in matches], program_id=program.pk)
    return matches


def test_the_queue_lists_with_a_bounded_number_of_queries(
    admin_client, queued, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3


def test_queue_rows_cannot_be_added_or_edited(admin_client, queued):
    row = PendingRecompute.objects.first()
    change = reverse("admin:buddy_pendingrecompute_change", args=[row.pk])
    assert admin_client.get(reverse("admin:buddy_pendingrecompute_add")).status_code == 403
    assert admin_client.post(change, {"queued_at": "2020-01-01"}).status_code == 403


def test_the_drain_action_recomputes_the_waiting_people(admin_client, queued):
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "drain",
            "_selected_action": list(PendingRecompute.objects.values_list("pk", flat=True)),
        },
        follow=True,
    )
    assert "Drained 3 queued row(s)." in response.content.decode()
    assert not PendingRecompute.objects.exists()
    statuses = {m.participant.enrollments.get().status for m in queued}
    assert statuses == {"completed"}
