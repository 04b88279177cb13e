"""The import pipeline: one export → validated rows → batches → database, plus the report.

Entities go in contract order (users, matches, then the rest) whatever the order
of the files. Each entity is read twice: a cheap scan (row count for progress,
keys that repeat) and the import pass, which validates every row with the shared
schema and hands full batches to the entity's writer. Each batch is its own
transaction, so a crash leaves whole batches only and re-running the import
completes it (every write is an upsert by the contract's key). A batch the
database refuses is retried row by row, so one bad row never stops the import.

A key repeated in one export: the last row wins and stands for the earlier ones
(counted created + updated the first time, unchanged on a re-import), so
importing the same export twice changes nothing.
"""

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path

from django.db import DataError, IntegrityError, transaction
from pydantic import ValidationError

from buddy.imports.entities import BY_NAME, ENTITIES, EntitySpec, row_key
from buddy.imports.readers import ExportSource, JsonSource, RawRow, open_export
from buddy.imports.report import BatchResult, ImportReport
from buddy.imports.writers import WRITERS, Context, Item
from buddy.models import DataSource
from buddy.schemas import SchemaWarning, field_errors
from buddy.selectors import (
    feedback_negative_share,
    matches_active_without_feedback,
    matches_zero_duration,
    orphaned_references,
)
from enrollments.models import Program
from enrollments.services import enrollments_recompute

logger = logging.getLogger("buddy.imports")

BATCH_SIZE = 1000
#: EXPORT.md, flags after import: a program whose feedback has over 30 % ratings below 0.5.
NEGATIVE_FEEDBACK_SHARE = 0.30
STALE_MATCH_DAYS = 90
#: How many ids a flag lists (the count is exact).
FLAG_IDS_LISTED = 100
RECOMPUTE_CHUNK = 2000

Progress = Callable[[str, int, int], None]

_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,39}$")


def warning_text(warning: SchemaWarning) -> str:
    """A schema warning without echoing anything that might be free text."""
    value = f" {warning.value!r}" if _TOKEN.match(warning.value) else ""
    if warning.kind == "enum_drift":
        return f"unknown value{value} stored as 'other'"
    return f"new value{value} accepted"


def validate_row(spec: EntitySpec, row: RawRow, warnings_out: list[str]) -> Item | str:
    """A validated ``Item``, or the rejection line of the row."""
    if row.error:
        return row.ref.says(row.error)
    found: list[SchemaWarning] = []
    try:
        record = spec.schema.model_validate(row.data, context={"warnings": found})
    except ValidationError as exc:
        errors = field_errors(exc)
        first, rest = errors[0], errors[1:]
        line = row.ref.says(first.message, first.path)
        return line + "".join(f"; {e.path or 'row'}: {e.message}" for e in rest)
    warnings_out.extend(row.ref.says(warning_text(w), w.field) for w in found)
    return Item(row.ref, record)


def _constraint(exc: Exception) -> str:
    """The name of the constraint a database error names (never the row's values)."""
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name or "a database rule"


class _Import:
    def __init__(
        self,
        source: ExportSource,
        program: Program,
        report: ImportReport,
        *,
        via: str,
        batch_size: int,
        progress: Progress | None,
    ):
        self.source, self.program, self.report = source, program, report
        self.ctx = Context(program=program, via=via)
        self.batch_size = batch_size
        self.progress = progress or (lambda entity, done, total: None)
        self.person_ids: set[int] = set()

    def run(self) -> None:
        present = self.source.entities()
        for spec in present:
            self.entity(spec)
        if present and len(self.report.files_rejected) == len(present):
            self.report.fatal = "every export file was rejected"

    def entity(self, spec: EntitySpec) -> None:
        from buddy.imports.readers import FileRejected

        counts = self.report.entity(spec.name)
        try:
            scan = self.source.scan(spec)
        except FileRejected as exc:
            self.report.reject_file(spec.file_name, exc.reason)
            return
        counts["total"] = scan.total
        self.report.warnings.extend(scan.warnings)
        self.progress(spec.name, 0, scan.total)
        pending: dict[tuple, Item] = {}
        batch: list[Item] = []
        done = 0
        for ordinal, row in enumerate(self.source.rows(spec)):
            done += 1
            warnings: list[str] = []
            outcome = validate_row(spec, row, warnings)
            self.report.warnings.extend(warnings)
            key = row_key(spec, row.data) if row.data is not None else None
            last = scan.last_of_repeated.get(key) if key is not None else None
            if isinstance(outcome, str):
                counts["rejected"] += 1
                self.report.rejections.add(outcome)
                if last is not None and ordinal >= last and key in pending:
                    batch.append(pending.pop(key))  # the last valid earlier row stands
            elif last is not None and ordinal < last:
                earlier = pending.get(key)
                outcome.weight += earlier.weight if earlier else 0
                pending[key] = outcome  # superseded by a later row of the same key
            else:
                if key in pending:
                    outcome.weight += pending.pop(key).weight
                batch.append(outcome)
            if len(batch) >= self.batch_size:
                self.write(spec, batch)
                batch = []
                self.progress(spec.name, done, scan.total)
        batch.extend(pending.values())
        if batch:
            self.write(spec, batch)
        self.progress(spec.name, done, scan.total)

    def write(self, spec: EntitySpec, batch: list[Item]) -> None:
        writer = WRITERS[spec.name]
        try:
            with transaction.atomic():
                result = writer(batch, self.ctx)
        except (IntegrityError, DataError) as exc:
            logger.warning(
                "import.batch_refused",
                extra={"entity": spec.name, "rows": len(batch), "constraint": _constraint(exc)},
            )
            result = BatchResult()
            for item in batch:
                try:
                    with transaction.atomic():
                        result.absorb(writer([item], self.ctx))
                except (IntegrityError, DataError) as row_exc:
                    result.reject(
                        item.ref.says(f"refused by the database ({_constraint(row_exc)})"),
                        item.weight,
                    )
        self.report.merge(spec.name, result)
        self.person_ids |= result.person_ids

    def finish(self) -> None:
        """Enrollments of everyone the export names, then the data-quality flags."""
        ids = sorted(self.person_ids)
        for start in range(0, len(ids), RECOMPUTE_CHUNK):
            self.report.enrollments_changed += enrollments_recompute(
                program=self.program, person_ids=ids[start : start + RECOMPUTE_CHUNK]
            )
        self.report.flags = import_flags(self.program)


def _ids(queryset) -> dict:
    rows = queryset.values_list("pk", "external_id")
    return {
        "count": queryset.count(),
        "match_ids": [str(ext) if ext else f"#{pk}" for pk, ext in rows[:FLAG_IDS_LISTED]],
    }


def import_flags(program: Program) -> dict:
    """The post-import flags of EXPORT.md, from the selectors coordinators also use."""
    negative, total, share = feedback_negative_share(program=program)
    return {
        "zero_duration_matches": _ids(matches_zero_duration(program=program)),
        "active_without_feedback": {
            "days": STALE_MATCH_DAYS,
            **_ids(matches_active_without_feedback(program=program, days=STALE_MATCH_DAYS)),
        },
        "negative_feedback": {
            "negative": negative,
            "total": total,
            "share": round(share, 4),
            "flagged": share > NEGATIVE_FEEDBACK_SHARE,
        },
        "orphaned_references": orphaned_references(program=program),
    }


def _record_count_warnings(source: ExportSource) -> list[str]:
    if not isinstance(source, JsonSource):
        return []
    expected = (source.metadata or {}).get("record_counts")
    if not isinstance(expected, dict):
        return []
    found = source.counts()
    lines = []
    for name, figure in expected.items():
        if name in BY_NAME and isinstance(figure, int) and figure != found.get(name, 0):
            lines.append(
                f"export_metadata.record_counts.{name}: says {figure}, "
                f"the export has {found.get(name, 0)}"
            )
    return lines


def import_export(
    *,
    path: str | Path,
    program: Program,
    via: str = DataSource.IMPORT,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the export at ``path`` into ``program``; return the report.

    Raises ``ExportUnreadable`` when the export cannot be read at all. ``dry_run``
    runs everything in one transaction and rolls it back.
    """
    started = time.monotonic()
    report = ImportReport(dry_run=dry_run)
    with open_export(path) as source:
        report.form = source.form
        report.warnings.extend(source.warnings)
        report.warnings.extend(_record_count_warnings(source))
        for spec in ENTITIES:
            if spec in source.entities():
                report.entity(spec.name)
        work = _Import(source, program, report, via=via, batch_size=batch_size, progress=progress)
        if dry_run:
            with transaction.atomic():
                work.run()
                work.finish()
                transaction.set_rollback(True)
        else:
            work.run()
            work.finish()
    report.duration_seconds = time.monotonic() - started
    logger.info(
        "import.finished",
        extra={
            "form": report.form,
            "dry_run": dry_run,
            "rows": report.rows_total,
            "rejected": sum(c["rejected"] for c in report.entities.values()),
            "warnings": len(report.warnings),
            "duration_s": round(report.duration_seconds, 3),
        },
    )
    return report
