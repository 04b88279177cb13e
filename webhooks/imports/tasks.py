"""Celery task of the import: thin and idempotent (a re-delivered run is re-run, which
completes it: every write is an upsert)."""

from celery import shared_task

from buddy.models import ImportRun, ImportStatus
from webhooks.imports.services import import_run_execute


# The registered name predates the move to webhooks.imports: kept, so that runs queued
# before a deploy still find their task.
@shared_task(acks_late=True, name="buddy.imports.run_import")
def run_import(*, run_id: int) -> str:
    run = ImportRun.objects.select_related("program").filter(pk=run_id).first()
    if run is None or run.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
        return "skipped"
    try:
        import_run_execute(run=run)
    except Exception:  # stored on the run as import.crashed and logged; never retried blindly
        return ImportStatus.FAILED
    return run.status
