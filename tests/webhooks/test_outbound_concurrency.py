"""Two relays running at once on PostgreSQL never send the same delivery twice
(``SELECT … FOR UPDATE SKIP LOCKED`` claims), and together send every one."""

import threading

import pytest
from django.db import connection

from buddy.models import MatchStatus
from buddy.services.matches import match_transition
from core import outbox as core_outbox
from core.models import OutboxEvent
from tests.factories import MatchFactory
from tests.webhooks.receiver import Receiver
from webhooks import outbound
from webhooks.models import OutboundDelivery, OutboundStatus
from webhooks.relay import relay_deliver_due, relay_fan_out

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

N = 60


def test_two_concurrent_relays_never_send_a_delivery_twice(settings, monkeypatch):
    settings.OUTBOUND_WEBHOOKS = {**settings.OUTBOUND_WEBHOOKS, "BATCH": 5, "WORKERS": 2}
    receiver = Receiver(delay=0.01).start()
    try:
        _, receiver.secret = outbound.endpoint_create(url=receiver.url)
        # No relay woken by the commits below (eager or through a broker): the two relays
        # of the test find every delivery due.
        monkeypatch.setattr(core_outbox, "_wake_relay", lambda: None)
        for match in MatchFactory.create_batch(N, status=MatchStatus.ACTIVE):
            match_transition(match=match, to_status=MatchStatus.INACTIVE, via="coordinator")
        relay_fan_out()
        assert OutboundDelivery.objects.count() == N
        barrier = threading.Barrier(2)
        sent = []

        def relay():
            try:
                barrier.wait()
                sent.append(relay_deliver_due().sent)
            finally:
                connection.close()

        threads = [threading.Thread(target=relay) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        receiver.stop()

    counts = receiver.by_id()
    assert len(counts) == N and set(counts.values()) == {1}
    assert sum(sent) == N and min(sent) > 0  # both relays took part
    assert OutboundDelivery.objects.filter(status=OutboundStatus.SUCCEEDED).count() == N
    assert set(counts) == {str(i) for i in OutboxEvent.objects.values_list("id", flat=True)}
