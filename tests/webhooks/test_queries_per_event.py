"""SQL statements per delivered event, by type, on the receiver's whole request path
(repeat-delivery check, validation, the committed event + delivery, the processing
transaction), and one recompute enqueued per event. A change here is a throughput change:
update a figure only on purpose.

PostgreSQL figures (the production database): the repeat check, the event and its delivery
are one statement, and locking the event and marking it and its delivery processed another;
other databases take the general path, more statements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.webhooks.conftest import EXAMPLE_FILES, deliver, example
from webhooks.processors import buddy_program

pytestmark = pytest.mark.postgres

#: Statements for the first delivery of each event, in contract order, every reference
#: known. SAVEPOINT/RELEASE count (BEGIN/COMMIT are not captured): they are round trips
#: too. A checkin: store (with the repeat check), lock the event and mark it and its
#: delivery processed (one statement, undone with the processing if that fails), its match,
#: insert, queue the recompute of its two people (+ BEGIN/COMMIT). match.created
#: enrolls both people here (8 of its statements); match.ended is the lifecycle's audited
#: end. Both match events also refresh the participant's concurrent-match flag (2), and
#: publish their events in the transaction (issue 20): match.created one outbox row for the
#: match and one per new enrollment (3, the people's Buddy System ids are in the event),
#: match.ended one row and the lookup of the two people's Buddy System ids (2).
QUERIES = {
    "buddy.match.created": 26,
    "buddy.event.logged": 8,
    "buddy.event.attended": 9,
    "buddy.skill_share.completed": 10,
    "buddy.checkin.completed": 7,
    "buddy.feedback.submitted": 7,
    "buddy.milestone.reached": 9,
    "buddy.match.ended": 16,
}
#: Callbacks run after the processing commits: a request to drain the recompute queue
#: per queueing (attendance and skill sessions queue their people and their match's in
#: two; the second request costs a clock read); for a new match also the request to re-run
#: the events parked for it (``buddy.services.arrivals``), and the relay's wake-up for
#: its events (once per transaction: the test's outer transaction never commits, so the
#: later match.ended finds that wake-up still registered and adds none). Plus one first of
#: all: the processing's own commit marker (an error of a later callback is not a
#: processing failure).
ON_COMMIT = dict.fromkeys(QUERIES, 2) | {
    "buddy.match.created": 4,
    "buddy.event.attended": 3,
    "buddy.skill_share.completed": 3,
}
#: The same event again under a new delivery id: repeat check, event found, payload
#: compared and delivery stored in one statement; event locked, delivery counted, 202.
DUPLICATE_EVENT = 5
#: A retry of a delivery that already succeeded: one UPDATE, 202 before validation.
REPEAT_DELIVERY = 1


def test_statements_and_enqueues_per_event_type(pair, client, django_capture_on_commit_callbacks):
    buddy_program()  # read once per process, then cached
    counts, callbacks_run = {}, {}
    for event_type in EXAMPLE_FILES:
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            CaptureQueriesContext(connection) as queries,
        ):
            response = deliver(client, example(event_type), delivery_id=event_type)
        assert response.status_code == 200, response.json()
        counts[event_type], callbacks_run[event_type] = len(queries), len(callbacks)
    assert counts == QUERIES
    assert callbacks_run == ON_COMMIT


def test_statements_for_a_duplicate_event_and_a_repeated_delivery(pair, client, send):
    send(example("buddy.match.created"))
    payload = example("buddy.checkin.completed")
    assert send(payload, delivery_id="d-1").status_code == 200

    with CaptureQueriesContext(connection) as queries:
        assert deliver(client, payload, delivery_id="d-2").status_code == 202
    assert len(queries) == DUPLICATE_EVENT
    with CaptureQueriesContext(connection) as queries:
        assert deliver(client, payload, delivery_id="d-1").status_code == 202
    assert len(queries) == REPEAT_DELIVERY
