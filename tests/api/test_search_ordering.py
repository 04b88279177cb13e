"""Search and ordering on the API's lists (``buddy.filtersets``: ``SearchFilter``,
``Ordering``), and that masked personal data does not leak through them to viewers."""

from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.factories import (
    BuddyFactory,
    CheckInFactory,
    EnrollmentFactory,
    MatchFactory,
    ParticipantFactory,
    WebhookEventFactory,
)

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _enrolled(person, program):
    EnrollmentFactory(person=person, program=program)
    return person


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_every_list_in_the_schema_offers_ordering():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        operation = item.get("get")
        if operation and operation["operationId"].endswith("_list") and "{" not in path:
            names = {p["name"] for p in operation.get("parameters", [])}
            assert "ordering" in names, path


def test_a_coordinator_finds_a_person_by_last_name(coordinator, program):
    wanted = _enrolled(ParticipantFactory(last_name="Okonkwo"), program)
    _enrolled(ParticipantFactory(last_name="Schmidt"), program)
    response = _client(coordinator).get("/api/people/", {"search": "okonk"})
    assert _ids(response) == [wanted.pk]


def test_a_viewer_cannot_find_a_person_by_last_name(viewer, program):
    _enrolled(ParticipantFactory(last_name="Okonkwo"), program)
    response = _client(viewer).get("/api/people/", {"search": "Okonkwo"})
    assert _ids(response) == []


def test_a_viewer_still_searches_the_fields_that_are_not_personal(viewer, program):
    wanted = _enrolled(ParticipantFactory(location="Leipzig"), program)
    _enrolled(ParticipantFactory(location="Berlin"), program)
    response = _client(viewer).get("/api/people/", {"search": "leip"})
    assert _ids(response) == [wanted.pk]


def test_a_coordinator_orders_people_by_last_name(coordinator, program):
    names = ["Weber", "Adams", "Müller"]
    people = {n: _enrolled(ParticipantFactory(last_name=n), program) for n in names}
    response = _client(coordinator).get("/api/people/", {"ordering": "last_name"})
    assert _ids(response) == [people[n].pk for n in sorted(names)]


def test_a_viewer_ordering_by_a_personal_field_is_400_naming_the_parameter(viewer, program):
    _enrolled(ParticipantFactory(), program)
    response = _client(viewer).get("/api/people/", {"ordering": "-last_name"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "ordering"


def test_a_viewer_cannot_find_a_match_by_a_persons_name(viewer, coordinator, program):
    participant = _enrolled(ParticipantFactory(first_name="Zainab"), program)
    match = MatchFactory(participant=participant, buddy=_enrolled(BuddyFactory(), program))
    assert _ids(_client(coordinator).get("/api/matches/", {"search": "zainab"})) == [match.pk]
    assert _ids(_client(viewer).get("/api/matches/", {"search": "zainab"})) == []


def test_a_viewer_cannot_search_check_in_notes(viewer, coordinator, program):
    match = MatchFactory(
        participant=_enrolled(ParticipantFactory(), program),
        buddy=_enrolled(BuddyFactory(), program),
    )
    CheckInFactory(match=match, notes="talked about the flat in Kreuzberg")
    assert len(_ids(_client(coordinator).get("/api/check-ins/", {"search": "kreuzberg"}))) == 1
    assert _ids(_client(viewer).get("/api/check-ins/", {"search": "kreuzberg"})) == []


def test_an_unknown_ordering_field_is_400(coordinator):
    response = _client(coordinator).get("/api/matches/", {"ordering": "participant__email"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "ordering"


def test_a_cursor_list_pages_in_the_requested_order(coordinator, program):
    now = timezone.now()
    match = MatchFactory(
        participant=_enrolled(ParticipantFactory(), program),
        buddy=_enrolled(BuddyFactory(), program),
    )
    rows = [CheckInFactory(match=match, checkin_date=now - timedelta(days=d)) for d in (3, 1, 2, 5)]
    expected = [r.pk for r in sorted(rows, key=lambda r: r.checkin_date)]
    api = _client(coordinator)
    first = api.get("/api/check-ins/", {"ordering": "checkin_date", "limit": 2}).json()
    second = api.get(first["next"]).json()
    assert [r["id"] for r in first["results"] + second["results"]] == expected
    assert second["next"] is None


def _known_match(program):
    return MatchFactory(
        participant=_enrolled(ParticipantFactory(), program),
        buddy=_enrolled(BuddyFactory(), program),
    )


def test_webhook_events_are_cursor_paginated_newest_first(coordinator, program):
    now, match = timezone.now(), _known_match(program)
    events = [
        WebhookEventFactory(match_id=match.external_id, received_at=now - timedelta(minutes=m))
        for m in (5, 1, 3)
    ]
    api = _client(coordinator)
    first = api.get("/api/webhooks/events/", {"limit": 2}).json()
    assert "count" not in first and first["next"]
    second = api.get(first["next"]).json()
    got = [r["id"] for r in first["results"] + second["results"]]
    assert got == [e.pk for e in sorted(events, key=lambda e: e.received_at, reverse=True)]


def test_the_page_size_of_a_cursor_list_is_capped(coordinator, program, settings):
    settings.API_MAX_PAGE_SIZE = 2
    match = _known_match(program)
    for _ in range(3):
        WebhookEventFactory(match_id=match.external_id)
    body = _client(coordinator).get("/api/webhooks/events/", {"limit": 100}).json()
    assert len(body["results"]) == 2
