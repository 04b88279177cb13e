"""Bad input to the API is answered 400 naming the field, never a 500 or a silent write:
NUL and lone surrogates in JSON, absurd nesting, absurd dates (the webhooks' date rule),
a NUL program, and page sizes beyond the maximum."""

import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from buddy.models import Match, MatchStatus
from tests.factories import BuddyFactory, EnrollmentFactory, MatchFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(coordinator):
    client = APIClient()
    client.force_authenticate(coordinator)
    return client


def _post_json(api, url: str, body: str):
    return api.generic("POST", url, body.encode(), content_type="application/json")


def _paths(response) -> dict[str, str]:
    assert response.status_code == 400, response.content
    return {e["path"]: e["message"] for e in response.json()["errors"]}


@pytest.mark.parametrize(
    ("escape", "message"),
    [("\\u0000", "must not contain NUL"), ("\\ud800", "must not contain a lone surrogate")],
)
def test_nul_or_a_lone_surrogate_in_a_json_field_is_400_with_the_field(api, escape, message):
    participant, buddy = ParticipantFactory(), BuddyFactory()
    body = (
        f'{{"participant": {participant.pk}, "buddy": {buddy.pk}, '
        f'"matching_criteria": {{"note": "struggles{escape}"}}}}'
    )
    assert _paths(_post_json(api, "/api/matches/", body)) == {"matching_criteria.note": message}
    assert not Match.objects.exists()


def test_json_nested_5000_levels_deep_is_400(api):
    response = _post_json(api, "/api/matches/", "[" * 5000 + "]" * 5000)
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["message"]


def test_nan_is_refused(api):
    response = _post_json(api, "/api/matches/", '{"matching_criteria": NaN}')
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("ended_at", "message"),
    [
        ("0001-01-01T00:00:00Z", "must not be before 1970-01-01"),
        ("0001-01-01", "must not be before 1970-01-01"),
        ("9999-12-31T23:59:59Z", "must not be in the future"),
        ("2025-03-01T10:00:00", "Input should have timezone info"),
    ],
)
def test_an_absurd_end_date_is_400_by_the_webhooks_date_rule(api, ended_at, message):
    match = MatchFactory()
    body = json.dumps({"end_reason": "completed", "ended_at": ended_at})
    assert _paths(_post_json(api, f"/api/matches/{match.pk}/end/", body)) == {"ended_at": message}
    match.refresh_from_db()
    assert match.status != MatchStatus.ENDED


def test_a_valid_end_date_still_ends_the_match(api):
    match = MatchFactory()
    ended_at = timezone.now().replace(microsecond=0)
    body = json.dumps({"end_reason": "completed", "ended_at": ended_at.isoformat()})
    response = _post_json(api, f"/api/matches/{match.pk}/end/", body)
    assert response.status_code == 200, response.content
    match.refresh_from_db()
    assert match.ended_at == ended_at


@pytest.mark.parametrize("value", ["%00", "buddy%00", "%ED%A0%80"])
def test_a_nul_program_is_400_on_the_attention_api(api, value):
    response = api.get(f"/api/attention/?program={value}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "program"


def test_a_nul_program_is_400_on_the_attention_page(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/attention/?program=%00")
    assert response.status_code == 400


def test_a_page_is_at_most_the_maximum_page_size(api, settings):
    settings.API_MAX_PAGE_SIZE = 2
    for person in ParticipantFactory.create_batch(3):
        EnrollmentFactory(person=person)  # people of the coordinator's program
    body = api.get("/api/people/?limit=100000000").json()
    assert len(body["results"]) == 2
    assert len(api.get(body["next"]).json()["results"]) == 1


@pytest.mark.parametrize("name", ["limit", "offset"])
def test_a_page_parameter_beyond_the_database_is_400(api, name):
    response = api.get(f"/api/companies/?{name}=100000000000000000000000")  # limit/offset
    assert _paths(response) == {name: "must be at most 2147483647"}


def test_the_schema_documents_the_maximum_page_size(api, settings):
    paths = api.get("/api/schema/?format=json").json()["paths"]
    lists = [p for p, ops in paths.items() if "get" in ops and "limit" in json.dumps(ops["get"])]
    assert {"/api/people/", "/api/matches/", "/api/imports/"} <= set(lists)
    for path in lists:
        (limit,) = [p for p in paths[path]["get"]["parameters"] if p["name"] == "limit"]
        assert limit["schema"]["maximum"] == settings.API_MAX_PAGE_SIZE


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00%2B01:00", "9999-12-31T23:59:59-01:00", "0001-01-01"]
)
def test_an_absurd_date_filter_is_400_naming_the_filter(api, value):
    for name, url in (("matched_after", "/api/matches/"), ("joined_after", "/api/people/")):
        response = api.get(f"{url}?{name}={value}")
        assert response.status_code == 400
        assert [e["path"] for e in response.json()["errors"]] == [name]


def test_a_date_filter_still_filters(api):
    MatchFactory()
    assert len(api.get("/api/matches/?matched_after=2000-01-01").json()["results"]) == 1
