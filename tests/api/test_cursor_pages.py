"""Keyset (cursor) pages of the big lists (people, matches, enrollments): following ``next``
reads every row once in the chosen ``ordering``, ``previous`` goes back, no COUNT, and a
cursor that is not one of ours or was made for another ordering is a 400 naming it."""

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from buddy.access import access_for
from buddy.api.pagination import CursorPagination
from buddy.models import Match
from buddy.selectors import scope_matches
from tests.factories import EnrollmentFactory, MatchFactory, ParticipantFactory, buddy_program

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def api(coordinator):
    client = APIClient()
    client.force_authenticate(coordinator)
    return client


def _matches(n: int = 7) -> list[Match]:
    """Matches of the buddy program with ties on ``matched_at`` and on ``duration_days``,
    and NULLs in both."""
    program, matches = buddy_program(), []
    for i in range(n):
        matched = None if i == 0 else NOW - timedelta(days=i // 2)
        days = None if i % 3 == 0 else i % 2
        matches.append(MatchFactory(program=program, matched_at=matched, duration_days=days))
    return matches


def _walk(api, url: str) -> list[int]:
    ids, pages = [], 0
    while url:
        body = api.get(url).json()
        ids += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
        assert pages < 50
    return ids


def _expected(matches, name: str, descending: bool) -> list[int]:
    """The order with NULL as the largest value, the id as tie-breaker in the same direction."""

    def key(m):
        value = getattr(m, name)
        return (value is None, value if value is not None else 0, m.pk)

    return [m.pk for m in sorted(matches, key=key, reverse=descending)]


def test_following_next_reads_every_match_once_in_the_lists_order(api):
    matches = _matches()
    assert _walk(api, "/api/matches/?limit=2") == _expected(matches, "matched_at", True)


@pytest.mark.parametrize(
    "ordering", ["duration_days", "-duration_days", "matched_at", "-ended_at", "status"]
)
def test_following_next_keeps_the_chosen_ordering_with_ties_and_nulls(api, ordering):
    matches = _matches()
    name = ordering.lstrip("-")
    expected = _expected(matches, name, ordering.startswith("-"))
    assert _walk(api, f"/api/matches/?ordering={ordering}&limit=2") == expected


def test_previous_goes_back_to_the_page_before(api):
    _matches()
    first = api.get("/api/matches/?limit=3&ordering=duration_days").json()
    second = api.get(first["next"]).json()
    back = api.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]
    assert first["previous"] is None and back["next"] is not None


def test_the_last_page_has_no_next(api):
    _matches(3)
    body = api.get("/api/matches/?limit=3").json()
    assert (len(body["results"]), body["next"]) == (3, None)


@pytest.mark.parametrize("url", ["/api/people/", "/api/matches/", "/api/enrollments/"])
def test_a_big_list_is_never_counted(api, url):
    for match in _matches(3):
        EnrollmentFactory(person=match.participant, program=match.program)
    with CaptureQueriesContext(connection) as queries:
        body = api.get(f"{url}?limit=2").json()
    assert "count" not in body and body["next"]
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]


@pytest.mark.parametrize("cursor", ["garbage", "e30=", base64.b64encode(b"[1]").decode(), "%00"])
def test_a_malformed_cursor_is_a_400_naming_it(api, cursor):
    _matches(2)
    response = api.get(f"/api/matches/?cursor={cursor}")
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["cursor"]


def test_a_cursor_with_a_value_of_the_wrong_type_is_a_400(api):
    _matches(2)
    payload = {"o": ["-matched_at", "-id"], "v": ["not a date", 3], "r": 0}
    cursor = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    response = api.get(f"/api/matches/?cursor={cursor}")
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["cursor"]


def test_a_cursor_made_for_another_ordering_is_a_400_naming_it(api):
    _matches(3)
    next_link = api.get("/api/matches/?limit=1&ordering=duration_days").json()["next"]
    response = api.get(next_link.replace("ordering=duration_days", "ordering=-ended_at"))
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["path"] == "cursor" and "another ordering" in error["message"]


def test_people_and_enrollments_pages_follow_next_to_the_end(api):
    people = [
        EnrollmentFactory(person=ParticipantFactory(), program=buddy_program()) for _ in range(5)
    ]
    enrollments = _walk(api, "/api/enrollments/?limit=2")
    assert enrollments == sorted(e.pk for e in people)
    assert _walk(api, "/api/people/?limit=2") == sorted(e.person_id for e in people)


@pytest.mark.postgres
def test_a_deep_page_of_matches_starts_in_the_index_at_its_cursor(coordinator):
    """The cursor's first column is an index condition (``matched_at <= …``) on
    buddy_match_program_order: a page deep in 100,000 matches reads 51 rows, not the ones
    before it."""
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    for days in (0, 1):
        MatchFactory(program=buddy_program(), matched_at=NOW - timedelta(days=days))
    queryset = scope_matches(Match.objects.order_by("-matched_at", "-id"), access_for(coordinator))
    paginator = CursorPagination()
    first = Request(APIRequestFactory().get("/api/matches/?limit=1"))
    paginator.paginate_queryset(queryset, first)
    deep = Request(APIRequestFactory().get(paginator.get_next_link()))
    with CaptureQueriesContext(connection) as queries:
        paginator.paginate_queryset(queryset, deep)
    captured = [q["sql"] for q in queries]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {captured[-1]}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "buddy_match_program_order" in plan and "Sort" not in plan
    assert "Index Cond" in plan and "matched_at <=" in plan


def _people(*last_names):
    program = buddy_program()
    return [
        EnrollmentFactory(person=ParticipantFactory(last_name=name), program=program).person
        for name in last_names
    ]


def test_an_order_by_a_personal_column_keeps_the_values_out_of_the_cursor(api):
    people = _people("Zeller", "Adler", "Meier", "Adler", "Berg")
    next_link = api.get("/api/people/?ordering=last_name&limit=2").json()["next"]
    (cursor,) = parse_qs(urlsplit(next_link).query)["cursor"]
    payload = base64.urlsafe_b64decode(cursor).decode()
    assert not any(p.last_name in payload for p in people)
    expected = [p.pk for p in sorted(people, key=lambda p: (p.last_name, p.pk))]
    assert _walk(api, "/api/people/?ordering=last_name&limit=2") == expected


def test_a_cursor_after_a_row_since_erased_is_a_400_naming_it(api):
    first, *_ = _people("Adler", "Berg", "Meier")
    next_link = api.get("/api/people/?ordering=last_name&limit=1").json()["next"]
    first.enrollments.all().delete()
    first.delete()
    response = api.get(next_link)
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["cursor"]
