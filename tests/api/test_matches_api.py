"""The matches API: reads, and each state change as its own action through the service."""

import pytest
from rest_framework.test import APIClient

from buddy.models import MatchStatus, MatchTransition
from tests.factories import BuddyFactory, EnrollmentFactory, MatchFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(coordinator):
    client = APIClient()
    client.force_authenticate(coordinator)
    return client


def test_the_api_refuses_anonymous_clients():
    assert APIClient().get("/api/matches/").status_code in (401, 403)


def test_listing_matches_takes_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    MatchFactory.create_batch(5)
    with django_assert_max_num_queries(5):  # + the login's groups and grants
        assert api.get("/api/matches/").status_code == 200
    MatchFactory.create_batch(10)
    with django_assert_max_num_queries(5):
        body = api.get("/api/matches/").json()
    assert len(body["results"]) == 15


def test_listing_people_takes_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    for buddy in BuddyFactory.create_batch(10):
        EnrollmentFactory(person=buddy)
    with django_assert_max_num_queries(6):  # + the login's groups and grants
        body = api.get("/api/people/?role=buddy").json()
    assert len(body["results"]) == 10 and all(p["external_ids"]["buddy"] for p in body["results"])


def test_a_coordinator_proposes_a_match(api):
    participant, buddy = ParticipantFactory(), BuddyFactory()
    for person in (participant, buddy):
        EnrollmentFactory(person=person)
    response = api.post(
        "/api/matches/", {"participant": participant.pk, "buddy": buddy.pk}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["status"] == MatchStatus.PROPOSED
    assert response.json()["source"] == "coordinator"


def test_ending_a_match_goes_through_the_lifecycle_and_the_audit_trail(api, coordinator):
    match = MatchFactory()
    response = api.post(f"/api/matches/{match.pk}/end/", {"end_reason": "completed"})
    assert response.status_code == 200
    assert response.json()["status"] == MatchStatus.ENDED
    transition = MatchTransition.objects.get(match=match)
    assert (transition.to_status, transition.actor) == (MatchStatus.ENDED, coordinator)


def test_ending_a_match_keeps_the_coordinators_note(api):
    match = MatchFactory()
    response = api.post(
        f"/api/matches/{match.pk}/end/", {"end_reason": "completed", "note": "Moved to Hamburg"}
    )
    assert response.status_code == 200
    match.refresh_from_db()
    assert match.end_note == "Moved to Hamburg"


def test_an_illegal_transition_answers_409_with_a_stable_code(api):
    match = MatchFactory(ended=True)
    response = api.post(f"/api/matches/{match.pk}/activate/", {})
    assert response.status_code == 409
    assert response.json()["code"] == "match.illegal_transition"


def test_an_unknown_end_reason_is_a_400_naming_the_field(api):
    match = MatchFactory()
    response = api.post(f"/api/matches/{match.pk}/end/", {"end_reason": "bored"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation.failed"
    assert [e["path"] for e in body["errors"]] == ["end_reason"]


def test_api_errors_share_one_shape(api):
    response = api.get("/api/matches/999999/")
    assert response.status_code == 404
    assert response.json()["status"] == "error" and response.json()["code"] == "not_found"


def test_the_openapi_schema_describes_the_match_actions(api):
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/matches/{id}/end/" in paths
