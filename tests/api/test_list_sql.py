"""The SQL of the API's big lists (issue 18's bench/api): what a 50-row page costs when the
table holds 100,000 rows is decided by the statement's shape, not by the rows of a test."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from buddy.access import access_for
from buddy.models import Match
from buddy.selectors import scope_matches
from tests.factories import CheckInFactory, EnrollmentFactory, MatchFactory, buddy_program

pytestmark = pytest.mark.django_db

#: lists filtered by one or more values of a column of their own rows
CHOICE_FILTERS = [
    "/api/matches/?status=active&status=inactive",
    "/api/check-ins/?mood=good",
    "/api/enrollments/?status=active",
    "/api/recommendations/runs/?status=done",
    "/api/recommendations/proposals/?status=proposed",
    "/api/webhooks/events/?status=processed",
    "/api/webhooks/deliveries/?status=processed",
]


@pytest.mark.parametrize("url", CHOICE_FILTERS)
def test_a_filter_on_a_column_of_the_rows_reads_them_without_distinct(url, coordinator):
    match = MatchFactory(program=buddy_program())
    EnrollmentFactory(person=match.participant, program=match.program)
    CheckInFactory(match=match)
    client = APIClient()
    client.force_authenticate(coordinator)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert not [q["sql"] for q in queries if "DISTINCT" in q["sql"]]


def test_the_status_filter_still_answers_each_match_once(coordinator):
    program = buddy_program()
    active = MatchFactory(program=program, status="active")
    MatchFactory(program=program, status="ended")
    client = APIClient()
    client.force_authenticate(coordinator)
    response = client.get("/api/matches/?status=active&status=active")
    assert [row["id"] for row in response.json()["results"]] == [active.pk]


@pytest.mark.postgres
def test_a_page_of_a_programs_matches_is_read_in_index_order(coordinator):
    """The list's order (Match.Meta.ordering) within the login's program is an index
    (buddy_match_program_order): a page reads its rows, it does not sort the program."""
    MatchFactory(program=buddy_program())
    page = scope_matches(Match.objects.select_related("program"), access_for(coordinator))[:50]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")  # the plan it takes on big tables
        plan = page.explain()
    assert "buddy_match_program_order" in plan
    assert "Sort" not in plan


def test_the_people_program_filter_reads_them_without_distinct(coordinator):
    person = EnrollmentFactory(program=buddy_program()).person
    client = APIClient()
    client.force_authenticate(coordinator)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/people/?program={person_program_type(person)}")
    assert response.status_code == 200
    assert not [q["sql"] for q in queries if "DISTINCT" in q["sql"]]


def test_the_people_program_filter_answers_a_person_with_two_enrollments_once(coordinator):
    program = buddy_program()
    person = EnrollmentFactory(program=program).person
    EnrollmentFactory(person=person, program=program)
    client = APIClient()
    client.force_authenticate(coordinator)
    response = client.get(f"/api/people/?program={program.program_type}")
    assert [row["id"] for row in response.json()["results"]] == [person.pk]


def person_program_type(person):
    return person.enrollments.first().program.program_type
