"""SQL statements of the API lists that tests/api/test_queries_per_list.py does not cover
(cases, import runs, subscribers, outbound deliveries): the same for one row as for many.
A change here is an N+1 (or a fix): update a figure only on purpose.

Every count includes the login's role lookup (1; a superuser's: 0) and, for limit/offset
lists, the COUNT(*) and the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from buddy.models import ImportRun
from concerns.services import concern_open
from core.outbox import publish
from tests.factories import MatchFactory, UserFactory, buddy_program
from webhooks import outbound
from webhooks.models import OutboundDelivery

pytestmark = pytest.mark.django_db

QUERIES = {  # url: (statements, who asks)
    "/api/concerns/": (4, "coordinator"),  # + the involved people's prefetch
    "/api/imports/": (3, "coordinator"),
    "/api/webhooks/subscribers/": (2, "superuser"),
    # a cursor page (no count) + the attempts' prefetch
    "/api/webhooks/outbound-deliveries/": (2, "superuser"),
}


def _rows(n: int) -> None:
    """``n`` rows of every listed kind in the buddy program."""
    program = buddy_program()
    for i in range(n):
        match = MatchFactory(program=program)
        concern_open(program=program, match=match, category="boundaries", severity="high")
        ImportRun.objects.create(program=program, file_name=f"export-{i}.zip")
        endpoint, _secret = outbound.endpoint_create(url="http://127.0.0.1:9/hook")
        OutboundDelivery.objects.create(
            event=publish(type="match.ended", data={}, program_id=None),
            endpoint=endpoint,
            due_at=timezone.now(),
            last_attempt_at=timezone.now(),
        )


def _count(url: str, user) -> int:
    """Statements of one request, by a fresh copy of the login (nothing cached on it)."""
    client = APIClient()
    client.force_authenticate(type(user).objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response.json()["results"], url
    return len(queries)


@pytest.mark.parametrize("url", list(QUERIES))
def test_a_list_takes_the_same_statements_for_one_row_as_for_a_full_page(url, coordinator):
    expected, who = QUERIES[url]
    user = coordinator if who == "coordinator" else UserFactory(is_staff=True, is_superuser=True)
    _rows(1)
    one = _count(url, user)
    _rows(6)
    many = _count(url, user)
    assert (one, many) == (expected, expected)
