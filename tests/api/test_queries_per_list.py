"""SQL statements per list endpoint, whatever the page holds: each list is read with one
row of its kind and again with many more; the count must be the same and equal to the table.
A change here is an N+1 (or a fix): update a figure only on purpose.

Every count includes the login's role lookup (its grants of the roles whose group it is in:
1). Limit/offset lists add their COUNT(*) and the page (3); the cursor-paginated lists (people,
matches, enrollments, the activity tables, deliveries) read the page only (2); people add
their external ids' prefetch (3, and the access-log row: 4), journey flags their program's
(limit/offset: 4). Matches, enrollments and proposals read their program's type with the
page (``buddy.models.base.ProgramTyped``): no statement of its own (proposals,
limit/offset: 3)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import (
    BuddyFactory,
    CheckInFactory,
    EnrollmentFactory,
    EventAttendanceFactory,
    FeedbackFactory,
    InformalEventFactory,
    MatchFactory,
    MilestoneAchievementFactory,
    SkillSessionFactory,
    WebhookDeliveryFactory,
    WebhookEventFactory,
    buddy_program,
)

pytestmark = pytest.mark.django_db

QUERIES = {
    "/api/people/": 4,  # + the access-log row of the people read (privacy); cursor: no COUNT
    "/api/companies/": 3,
    "/api/external-ids/": 3,
    "/api/matches/": 2,  # cursor: no COUNT; the program's type read with the page
    "/api/informal-events/": 2,
    "/api/attendances/": 2,
    "/api/skill-sessions/": 2,
    "/api/check-ins/": 2,
    "/api/feedback/": 2,
    "/api/milestones/": 2,
    "/api/programs/": 3,
    "/api/enrollments/": 2,  # cursor: no COUNT; the program's type read with the page
    "/api/journey-flags/": 4,  # + the program (one for the page)
    "/api/recommendations/criteria/": 3,
    "/api/recommendations/runs/": 3,
    "/api/recommendations/proposals/": 3,  # the program's type read with the page
    "/api/webhooks/events/": 2,
    "/api/webhooks/deliveries/": 2,
}


def _rows(n: int) -> None:
    """``n`` rows of every listed kind in the buddy program, people enrolled."""
    from django.utils import timezone

    from enrollments.models import JourneyFlags
    from matching.models import Proposal
    from matching.services import run_create

    program = buddy_program()
    run = run_create(program=program)
    for _ in range(n):
        match = MatchFactory(program=program, buddy=BuddyFactory())
        for person in (match.participant, match.buddy):
            enrollment = EnrollmentFactory(person=person, program=program)
            now = timezone.now()
            JourneyFlags.objects.get_or_create(
                enrollment=enrollment, defaults={"joined_at": now, "changed_at": now}
            )
        InformalEventFactory(match=match)
        EventAttendanceFactory(person=match.participant, match=match)
        SkillSessionFactory(match=match)
        CheckInFactory(match=match)
        FeedbackFactory(match=match)
        MilestoneAchievementFactory(person=match.participant)
        WebhookDeliveryFactory(event=WebhookEventFactory(match_id=match.external_id))
        Proposal.objects.create(
            run=run, program=program, participant=match.participant, buddy=match.buddy, score=1
        )
        run = run_create(program=program)


def _count(client, url: str, user) -> int:
    """Statements of one request, by a fresh copy of the login (nothing cached on it)."""
    client.force_authenticate(type(user).objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


@pytest.mark.parametrize("url", list(QUERIES))
def test_a_list_takes_the_same_statements_for_one_row_as_for_a_full_page(url, coordinator):
    client = APIClient()
    _rows(1)
    one = _count(client, url, coordinator)
    _rows(6)
    many = _count(client, url, coordinator)
    assert (one, many) == (QUERIES[url], QUERIES[url])
