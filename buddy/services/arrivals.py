"""People or matches arrived: the events parked for them run again.

``references_arrived`` is the one call the services that create people and matches (or
link a Buddy System id to a person) make, whatever the entry point: webhook, import, admin.
Once the transaction commits, the webhooks app's re-run task is requested, once per commit
with every id the transaction named (an import of thousands of users sends one request).
The buddy app is below the webhooks app, so the task is sent by its name; it finds the
events that wait for these ids itself (most ids have none: one indexed query).
"""

from django.db import transaction

from core.broker import task_send

#: Re-runs the webhook events that wait for (or flagged) these users and matches.
REPROCESS_WAITING = "webhooks.tasks.reprocess_waiting"


class _Arrived:
    """The ids one transaction named, sent once it commits."""

    def __init__(self) -> None:
        self.people: set[str] = set()
        self.matches: set[str] = set()
        self.sent = False

    def send(self) -> None:
        self.sent = True
        task_send(
            REPROCESS_WAITING,
            kwargs={"person_ids": sorted(self.people), "match_ids": sorted(self.matches)},
            recovery="sender retry or replay_events",
        )


def references_arrived(*, person_ids=(), match_ids=()) -> None:
    """These Buddy System users and matches now exist: request the re-run of the events
    parked for them once the transaction commits (at once outside a transaction)."""
    people, matches = {str(i) for i in person_ids}, {str(i) for i in match_ids}
    if not people and not matches:
        return
    conn = transaction.get_connection()
    pending = getattr(conn, "buddy_arrived", None)
    # A new request when the last one was sent or its transaction rolled back (Django drops
    # the hooks of a rolled-back transaction or savepoint from ``run_on_commit``).
    if pending is None or pending.sent or not _hooked(conn, pending):
        pending = conn.buddy_arrived = _Arrived()
        pending.people, pending.matches = people, matches
        transaction.on_commit(pending.send)
        return
    pending.people |= people
    pending.matches |= matches


def _hooked(conn, pending: _Arrived) -> bool:
    return any(hook == pending.send for _, hook, *_ in conn.run_on_commit)
