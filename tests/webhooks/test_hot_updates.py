"""Processing an event changes no indexed column, so PostgreSQL updates its rows in place
(HOT: no index written), and the review screen's queries still find their rows through an
index (issue 23, migration webhooks.0004)."""

import pytest
from django.db import connection

from buddy.access import SUPERUSER, Access
from tests.factories import MatchFactory, WebhookDeliveryFactory, WebhookEventFactory
from tests.webhooks.conftest import MATCH_ID, deliver, example
from webhooks import selectors
from webhooks.models import EventStatus, WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.postgres

TABLES = ("webhooks_webhookevent", "webhooks_webhookdelivery")
EVERYONE = Access(role=SUPERUSER)


def updates() -> dict[str, tuple[int, int]]:
    """(updates, HOT updates) of the event and delivery tables in this transaction (the
    test's: the receiver's own transactions are savepoints in it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
            " WHERE relname = ANY(%s)",
            [list(TABLES)],
        )
        return {name: (upd, hot) for name, upd, hot in cursor.fetchall()}


def plan(queryset) -> str:
    """PostgreSQL's plan with sequential scans priced out, so it shows whether an index
    can answer the query at all (the tables are tiny here)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")


def test_processing_an_event_updates_its_event_and_delivery_rows_as_hot_updates(db, client):
    MatchFactory(external_id=MATCH_ID)
    before = updates()
    assert deliver(client, example("buddy.checkin.completed")).status_code == 200
    after = updates()
    for table in TABLES:
        upd = after[table][0] - before[table][0]
        hot = after[table][1] - before[table][1]
        assert upd >= 1, table
        assert hot == upd, f"{table}: {hot} of {upd} updates were HOT"


def test_a_failed_or_waiting_event_is_unresolved_and_a_processed_one_is_not(db):
    for status in EventStatus.values:
        WebhookEventFactory(status=status)
    unresolved = set(WebhookEvent.objects.failed().values_list("status", flat=True))
    assert unresolved == {EventStatus.FAILED, EventStatus.WAITING}


def test_only_a_dead_lettered_delivery_counts_as_dead_lettered(db):
    WebhookDeliveryFactory()
    dead = WebhookDeliveryFactory(dead=True)
    assert list(WebhookDelivery.objects.dead_lettered()) == [dead]


@pytest.mark.parametrize("status", ["attention", "waiting", "failed", "processed", "dead", "all"])
def test_every_review_filter_reads_the_events_through_an_index(db, status):
    shown = selectors.events_for_review(access=EVERYONE, status=status)
    explained = plan(shown)
    assert "Seq Scan on webhooks_webhookevent" not in explained, explained
    assert "Seq Scan on webhooks_webhookdelivery" not in explained, explained


def test_the_review_summarys_failed_events_and_dead_letters_are_read_through_an_index(db):
    # the two webhook counts of ``selectors.webhook_review_summary``
    for queryset in (WebhookEvent.objects.failed(), WebhookDelivery.objects.dead_lettered()):
        explained = plan(queryset)
        assert "Seq Scan" not in explained, explained
