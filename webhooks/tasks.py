"""Celery tasks of the webhooks app: thin, idempotent, take ids."""

from celery import shared_task

from webhooks import services


@shared_task(acks_late=True)
def reprocess_waiting(*, person_ids: list[str] = (), match_ids: list[str] = ()) -> int:
    """Re-run the events waiting for (or flagging) these Buddy System users and matches.

    Idempotent: an event processed meanwhile is skipped or re-run without changes.
    Returns how many events are processed now.
    """
    results = services.events_rerun_for(external_ids=[*person_ids, *match_ids])
    return sum(1 for r in results if r.outcome is services.ProcessingOutcome.PROCESSED)


@shared_task(acks_late=True, ignore_result=True)
def relay_events() -> int:
    """Publish committed events and send the deliveries due now (woken on commit; beat
    runs it every few seconds). Idempotent: concurrent runs take different rows."""
    from webhooks.relay import relay_run

    return relay_run().sent
