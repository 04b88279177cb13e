"""Celery tasks of the privacy app: thin, idempotent."""

from celery import shared_task

from privacy.retention import retention_apply


@shared_task(acks_late=True)
def apply_retention() -> dict[str, int]:
    """Nightly (beat): apply the retention rules in batches; returns what each changed."""
    return retention_apply()
