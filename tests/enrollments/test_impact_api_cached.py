"""``GET /api/impact/`` (and the impact page) read the program's figures cached per
recompute, like the dashboard's: computed once, then one cache read whatever the program
holds; a recompute that changes the program's kept attention items gives fresh figures."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from enrollments.attention import attention_refresh
from enrollments.models import AttentionQueueState
from tests.factories import MatchFactory, SkillSessionFactory

pytestmark = pytest.mark.django_db

URL = "/api/impact/?program=buddy&per=program"


@pytest.fixture
def api(coordinator):
    client = APIClient()
    client.force_authenticate(coordinator)
    client.login_again = lambda: client.force_authenticate(
        type(coordinator).objects.get(pk=coordinator.pk)
    )  # a fresh copy of the login: nothing cached on it
    return client


def _activity(program, now, n: int) -> None:
    for _ in range(n):
        SkillSessionFactory(match=MatchFactory(program=program, matched_at=now - timedelta(days=9)))


def _statements(api) -> tuple[int, dict]:
    api.login_again()
    with CaptureQueriesContext(connection) as queries:
        response = api.get(URL)
    assert response.status_code == 200
    return len(queries), response.json()


def test_a_second_read_takes_the_same_few_statements_whatever_the_program_holds(api, program, now):
    """The login's role (1), the program, the program's state: 3 (recorded)."""
    _activity(program, now, 1)
    attention_refresh(program=program)
    _statements(api)
    small, _ = _statements(api)
    _activity(program, now, 6)
    attention_refresh(program=program)
    AttentionQueueState.objects.filter(program=program).update(changed_at=now)
    _statements(api)
    large, _ = _statements(api)
    assert small == large == 3


def test_the_cached_figures_are_the_computed_ones(api, program, now):
    _activity(program, now, 3)
    uncached = api.get(URL).json()  # never refreshed: computed at each read
    attention_refresh(program=program)
    api.get(URL)
    assert api.get(URL).json() == uncached


def test_a_recompute_gives_fresh_figures(api, program, now):
    _activity(program, now, 1)
    attention_refresh(program=program)
    before = api.get(URL).json()
    _activity(program, now, 2)
    AttentionQueueState.objects.filter(program=program).update(changed_at=now + timedelta(1))
    after = api.get(URL).json()
    assert after != before
