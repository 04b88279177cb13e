"""Celery tasks of the matching app: thin, idempotent, take ids."""

from celery import shared_task

from matching import services


@shared_task(acks_late=True)
def recommendation_run_execute(*, run_id: int) -> int:
    """Compute and store a queued run (a run already taken is left alone); returns the
    number of proposals."""
    result = services.run_execute(run_id=run_id)
    return 0 if result is None else len(result.proposals) + len(result.locked)
