"""Import runs: start one (command line or upload), execute it, keep its report.

The management command, the Celery task and the upload API all call
``import_run_execute``; the pipeline (``webhooks.imports.pipeline``) does the work.
"""

import logging
import shutil
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from buddy.models import ImportRun, ImportStatus, Program
from core import outbox
from core.errors import DomainError, FieldError, ValidationFailed
from webhooks.imports.pipeline import Progress, import_export
from webhooks.imports.readers import ExportUnreadable
from webhooks.imports.report import ImportReport

logger = logging.getLogger("webhooks.imports")

UPLOAD_SUFFIXES = (".zip", ".json", ".csv")


def upload_dir() -> Path:
    """Where uploaded exports wait for the worker (``BUDDY_IMPORT_UPLOAD_DIR``)."""
    configured = getattr(settings, "BUDDY_IMPORT_UPLOAD_DIR", None)
    return Path(str(configured)) if configured else Path(settings.BASE_DIR) / "var" / "imports"


class UploadTooLarge(DomainError):
    def __init__(self, limit: int):
        super().__init__(
            message=f"The upload is larger than {limit} bytes (BUDDY_IMPORT_MAX_UPLOAD_BYTES).",
            code="import.upload_too_large",
            http_status=413,
        )


def upload_size_check(*, size: int) -> None:
    """Refuse an upload over ``BUDDY_IMPORT_MAX_UPLOAD_BYTES`` (the view checks the declared
    length before reading the body, the service the file it received)."""
    limit = settings.BUDDY_IMPORT_MAX_UPLOAD_BYTES
    if size > limit:
        raise UploadTooLarge(limit)


def import_run_create(
    *, program: Program, path: str | Path, by=None, dry_run: bool = False
) -> ImportRun:
    path = Path(path)
    return ImportRun.objects.create(
        program=program,
        created_by=by,
        file_name=path.name[:255],
        file_path=str(path),
        dry_run=dry_run,
    )


@transaction.atomic
def import_run_upload(*, upload, program: Program, by=None, dry_run: bool = False) -> ImportRun:
    """Keep an uploaded export and queue its import (the task starts once this commits)."""
    from webhooks.imports.tasks import run_import

    upload_size_check(size=upload.size or 0)
    name = Path(upload.name or "").name
    if not name.lower().endswith(UPLOAD_SUFFIXES):
        raise ValidationFailed([FieldError("file", "must be a .zip or .json export (or one CSV)")])
    folder = upload_dir() / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    with open(target, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    run = import_run_create(program=program, path=target, by=by, dry_run=dry_run)
    run.file_name = name[:255]
    run.save(update_fields=["file_name"])
    transaction.on_commit(lambda: run_import.delay(run_id=run.pk))
    return run


def _progress_writer(run: ImportRun) -> Progress:
    state: dict[str, dict[str, int]] = dict(run.progress or {})

    def write(entity: str, done: int, total: int) -> None:
        state[entity] = {"done": done, "total": total}
        ImportRun.objects.filter(pk=run.pk).update(progress=state, updated_at=timezone.now())

    return write


def _is_upload(path: Path) -> bool:
    try:
        return path.resolve().is_relative_to(upload_dir().resolve())
    except OSError:
        return False


def import_run_execute(
    *, run: ImportRun, progress: Progress | None = None, batch_size: int | None = None
) -> ImportReport | None:
    """Run the import of ``run`` and store its report; return it (None when it could not run).

    Safe to run again after a crash: every write is an upsert, so a re-run completes
    what the first one left."""
    run.status, run.started_at, run.error, run.error_code = (
        ImportStatus.RUNNING,
        timezone.now(),
        "",
        "",
    )
    run.save(update_fields=["status", "started_at", "error", "error_code", "updated_at"])
    to_run = _progress_writer(run)

    def both(entity: str, done: int, total: int) -> None:
        to_run(entity, done, total)
        if progress is not None:
            progress(entity, done, total)

    started = time.monotonic()
    kwargs = {"batch_size": batch_size} if batch_size else {}
    try:
        # the events the import publishes name the run that caused them
        with outbox.correlation(f"import-run:{run.pk}"):
            report = import_export(
                path=run.file_path,
                program=run.program,
                dry_run=run.dry_run,
                progress=both,
                **kwargs,
            )
    except ExportUnreadable as exc:
        _finish(run, started, status=ImportStatus.FAILED, code=exc.code, error=exc.message)
        return None
    except Exception:
        _finish(run, started, status=ImportStatus.FAILED, code="import.crashed", error="")
        logger.exception("import.crashed", extra={"run_id": run.pk})
        raise
    run.refresh_from_db(fields=["progress"])
    data = report.as_dict()
    run.counts, run.warnings, run.rejections = data["counts"], data["warnings"], data["rejections"]
    run.merges, run.flags = data["merges"], data["flags"]
    run.enrollments_changed = report.enrollments_changed
    if report.fatal:
        _finish(run, started, status=ImportStatus.FAILED, code="import.no_file", error=report.fatal)
    else:
        _finish(run, started, status=ImportStatus.SUCCEEDED)
    logger.info(
        "import.run_finished",
        extra={"run_id": run.pk, "status": run.status, "duration_s": run.duration_seconds},
    )
    return report


def _finish(run: ImportRun, started: float, *, status: str, code: str = "", error: str = ""):
    """Store the outcome. An uploaded export is deleted whatever the outcome, failed runs
    too: it holds personal data, and a failed import is re-run by uploading it again."""
    run.status, run.error_code, run.error = status, code, error[:300]
    run.finished_at = timezone.now()
    run.duration_seconds = round(time.monotonic() - started, 3)
    path = Path(run.file_path) if run.file_path else None
    if path is not None and _is_upload(path):
        shutil.rmtree(path.parent, ignore_errors=True)
        run.file_path = ""
    run.save()
