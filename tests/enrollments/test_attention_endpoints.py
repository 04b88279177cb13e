"""The attention page and API are thin readers of the queue."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from tests.factories import MatchFactory


@pytest.fixture
def silent_match(program, now):
    return MatchFactory(matched_at=now - timedelta(days=70))


def test_the_api_lists_the_ranked_items(coordinator, silent_match):
    client = APIClient()
    client.force_authenticate(coordinator)
    response = client.get("/api/attention/?program=buddy")
    assert response.status_code == 200
    body = response.json()
    assert body["program"] == "buddy"
    assert body["count"] == len(body["items"]) >= 1
    first = body["items"][0]
    assert first["kind"] == "match.no_contact_60"
    assert {"title", "reason", "action_url", "priority", "days"} <= set(first)


def test_the_api_needs_authentication(db):
    assert APIClient().get("/api/attention/").status_code in (401, 403)


def test_the_api_refuses_an_unknown_program(coordinator):
    client = APIClient()
    client.force_authenticate(coordinator)
    response = client.get("/api/attention/?program=chess")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "program"


def test_the_page_lists_the_items_for_staff(client, coordinator, silent_match):
    client.force_login(coordinator)
    response = client.get("/attention/")
    assert response.status_code == 200
    assert f"Match #{silent_match.pk}: no contact" in response.content.decode()


def test_the_page_redirects_anonymous_users_to_login(client, db):
    response = client.get("/attention/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_api_serves_at_most_the_maximum_page_size(coordinator, settings, program, now):
    for _ in range(3):
        MatchFactory(matched_at=now - timedelta(days=70))
    settings.API_MAX_PAGE_SIZE = 2
    client = APIClient()
    client.force_authenticate(coordinator)
    body = client.get("/api/attention/?program=buddy&limit=100000000").json()
    assert body["count"] >= 3
    assert len(body["items"]) == 2
    assert body["next"]


def _statements(client, url: str, user) -> int:
    """Statements of one request, by a fresh copy of the login (nothing cached on it)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_authenticate(type(user).objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_api_reads_the_kept_queue_in_the_same_statements_whatever_its_size(
    coordinator, program, now
):
    """The kept items (AttentionEntry) ranked, counted and paged in SQL: the state, the apps'
    sources, the counts and the page, whatever the queue holds (recorded: 7, with the
    login's role)."""
    from enrollments.attention import attention_refresh

    client = APIClient()
    client.force_authenticate(coordinator)
    MatchFactory(program=program, matched_at=now - timedelta(days=70))
    attention_refresh(program=program)
    one = _statements(client, "/api/attention/?program=buddy", coordinator)
    for _ in range(6):
        MatchFactory(program=program, matched_at=now - timedelta(days=70))
    attention_refresh(program=program)
    many = _statements(client, "/api/attention/?program=buddy&limit=3", coordinator)
    assert client.get("/api/attention/?program=buddy").json()["count"] >= 7
    assert one == many == 7
