"""The pull feed ``GET /api/events/?after=<cursor>``: published events in commit order, a
cursor that never skips an event committed late, staff only."""

import threading

import pytest
from django.db import connection, transaction

from buddy.models import MatchStatus
from buddy.services.matches import match_transition
from core import outbox
from tests.factories import MatchFactory, UserFactory
from webhooks.relay import relay_fan_out

URL = "/api/events/"


def pause(match):
    match_transition(match=match, to_status=MatchStatus.INACTIVE, via="coordinator")


@pytest.fixture
def staff_client(client, coordinator):
    """A coordinator of the buddy program, where the factories' matches are."""
    client.force_login(coordinator)
    return client


@pytest.mark.django_db
def test_the_feed_pages_through_published_events_in_order(staff_client):
    matches = MatchFactory.create_batch(3, status=MatchStatus.ACTIVE)
    for match in matches:
        pause(match)
    relay_fan_out()
    first = staff_client.get(URL, {"after": 0, "limit": 2}).json()
    assert [e["data"]["match"]["id"] for e in first["events"]] == [m.pk for m in matches[:2]]
    rest = staff_client.get(URL, {"after": first["next"]}).json()
    assert [e["data"]["match"]["id"] for e in rest["events"]] == [matches[2].pk]
    assert staff_client.get(URL, {"after": rest["next"]}).json()["events"] == []
    assert rest["events"][0]["sequence"] > first["events"][-1]["sequence"]


@pytest.mark.django_db
def test_unpublished_events_are_not_in_the_feed(staff_client):
    pause(MatchFactory(status=MatchStatus.ACTIVE))
    assert staff_client.get(URL).json()["events"] == []


@pytest.mark.django_db
def test_the_feed_filters_by_type(staff_client):
    pause(MatchFactory(status=MatchStatus.ACTIVE))
    outbox.publish(type="enrollment.status_changed", data={}, program_id=None)
    relay_fan_out()
    body = staff_client.get(URL, {"type": "match.paused"}).json()
    assert [e["type"] for e in body["events"]] == ["match.paused"]


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"after": "x"}, {"limit": "-1"}, {"type": "match.gone"}])
def test_bad_parameters_are_400(staff_client, query):
    response = staff_client.get(URL, query)
    assert response.status_code == 400
    assert response.json()["code"] == "validation.failed"


@pytest.mark.django_db
def test_the_feed_is_for_the_program_roles(client):
    client.force_login(UserFactory(is_staff=True))  # staff without a role
    assert client.get(URL).status_code == 403


@pytest.mark.django_db
def test_the_feed_has_only_the_events_of_the_readers_programs(client):
    from buddy.models import Program
    from tests.factories import coordinator_of

    mentorship = Program.objects.get(program_type="mentorship")
    pause(MatchFactory(status=MatchStatus.ACTIVE))  # an event of the buddy program
    theirs = MatchFactory(status=MatchStatus.ACTIVE, program=mentorship)
    pause(theirs)
    relay_fan_out()
    client.force_login(coordinator_of(mentorship))
    events = client.get(URL).json()["events"]
    assert [(e["type"], e["data"]["match"]["id"]) for e in events] == [("match.paused", theirs.pk)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_event_that_commits_late_is_placed_after_the_cursor_not_behind_it(
    staff_client, monkeypatch
):
    """A transaction that wrote its event first but commits last must not be skipped by a
    reader whose cursor already passed the events committed meanwhile."""
    monkeypatch.setattr(outbox, "_wake_relay", lambda: None)  # published by hand below
    slow_match, fast_match = MatchFactory.create_batch(2, status=MatchStatus.ACTIVE)
    written, release = threading.Event(), threading.Event()

    def slow_transaction():
        try:
            with transaction.atomic():
                pause(slow_match)  # its outbox row is written first …
                written.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_transaction)
    thread.start()
    assert written.wait(10)
    pause(fast_match)  # … this one commits first
    relay_fan_out()
    page = staff_client.get(URL).json()
    assert [e["data"]["match"]["id"] for e in page["events"]] == [fast_match.pk]

    release.set()
    thread.join()
    relay_fan_out()
    after = staff_client.get(URL, {"after": page["next"]}).json()
    assert [e["data"]["match"]["id"] for e in after["events"]] == [slow_match.pk]
