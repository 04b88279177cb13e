"""The import pipeline: one export → validated rows → batches → database, plus the report.

Entities go in contract order (users, matches, then the rest) whatever the order
of the files. Each entity is read twice: a cheap scan (row count for progress,
keys that repeat) and the import pass, which validates every row with the shared
schema and hands full batches to the entity's writer. Each batch is its own
transaction, so a crash leaves whole batches only and re-running the import
completes it (every write is an upsert by the contract's key). A batch the
database refuses is retried row by row, so one bad row never stops the import.

An activity section imported again unchanged into unchanged tables is not read again: its
last import's report is replayed (``settled``; PostgreSQL only).

A key repeated in one export: the last row wins and stands for the earlier ones
(counted created + updated the first time, unchanged on a re-import), so
importing the same export twice changes nothing.

Speed (``bench/import/run.py``): batches of 5,000 rows; fewer garbage collections
while importing (``GC_THRESHOLD``); on PostgreSQL a batch's
commit does not wait for the disk (``synchronous_commit`` off: a crash may lose the
last batches, which re-running restores), and when the export names at least half of
the program's people the enrollments are recomputed program-wide in SQL; an entity that
wrote many rows has its tables analysed before the next (``ANALYZE_AFTER_ROWS``: the
planner otherwise plans the rest, and the recompute, over the empty tables it saw last).
"""

import gc
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DataError, IntegrityError, transaction
from pydantic import ValidationError

from buddy.models import DataSource, Enrollment, Program
from buddy.schemas import SchemaWarning, field_errors
from buddy.selectors import (
    feedback_negative_share,
    matches_active_without_feedback,
    matches_zero_duration,
    orphaned_references,
)
from enrollments.services import enrollments_recompute, enrollments_recompute_program
from webhooks.imports import settled
from webhooks.imports.entities import BY_NAME, ENTITIES, EntitySpec, row_key
from webhooks.imports.readers import ExportSource, JsonSource, RawRow, Scan, open_export
from webhooks.imports.report import (
    ROW_INVALID,
    ROW_REFUSED_BY_DATABASE,
    ROW_UNREADABLE,
    BatchResult,
    ImportReport,
    Rejection,
)
from webhooks.imports.writers import TABLES, WRITERS, Context, Item
from webhooks.imports.writers.batch import batch_writes

logger = logging.getLogger("webhooks.imports")

BATCH_SIZE = 5000
#: An entity that created or updated at least this many rows has its tables analysed
#: before the next entity (fresh planner statistics; ``batch_writes.analyze``).
ANALYZE_AFTER_ROWS = 1000
#: EXPORT.md, flags after import: a program whose feedback has over 30 % ratings below 0.5.
NEGATIVE_FEEDBACK_SHARE = 0.30
STALE_MATCH_DAYS = 90
#: How many ids a flag lists (the count is exact).
FLAG_IDS_LISTED = 100

Progress = Callable[[str, int, int], None]

_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,39}$")


def warning_text(warning: SchemaWarning) -> str:
    """A schema warning without echoing anything that might be free text."""
    value = f" {warning.value!r}" if _TOKEN.match(warning.value) else ""
    if warning.kind == "enum_drift":
        return f"unknown value{value} stored as 'other'"
    return f"new value{value} accepted"


def validate_row(
    spec: EntitySpec, row: RawRow, warnings_out: list[str], *, text_cells: bool = False
) -> Item | Rejection:
    """A validated ``Item``, or the row's rejection. ``text_cells``: the row is CSV text
    (numbers are parsed from strings); else numbers must be JSON numbers."""
    if row.error:
        return Rejection(row.ref, ROW_UNREADABLE, row.error, row.error_path)
    found: list[SchemaWarning] = []
    try:
        record = spec.schema.model_validate(
            row.data, context={"warnings": found, "text_cells": text_cells}
        )
    except ValidationError as exc:
        errors = field_errors(exc)
        first, rest = errors[0], errors[1:]
        message = first.message + "".join(f"; {e.path or 'row'}: {e.message}" for e in rest)
        return Rejection(row.ref, ROW_INVALID, message, first.path)
    warnings_out.extend(row.ref.says(warning_text(w), w.field) for w in found)
    return Item(row.ref, record)


def _constraint(exc: Exception) -> str:
    """The name of the constraint a database error names (never the row's values)."""
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name or "a database rule"


@dataclass
class Chunk:
    """A batch of validated rows and what validating them reported."""

    batch: list[Item] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    rejected: int = 0
    done: int = 0


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
        dry_run: bool = False,
    ):
        self.source, self.program, self.report = source, program, report
        self.dry_run = dry_run
        self.section: settled.Section | None = None
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
        from webhooks.imports.readers import FileRejected

        counts = self.report.entity(spec.name)
        section = settled.begin(self.source, self.program, spec, dry_run=self.dry_run)
        if section is not None:
            people = section.replay(self.report)
            if people is not None:  # an unchanged section into an unchanged database
                self.person_ids |= people
                self.progress(spec.name, counts["total"], counts["total"])
                return
        self.section = section
        try:
            scan = self.source.scan(spec)
        except FileRejected as exc:
            self.report.reject_file(spec.file_name, exc.reason)
            if section is not None:
                section.unsettled = True
                section.settle(counts)
            return
        counts["total"] = scan.total
        self.report.warnings.extend(scan.warnings)
        if section is not None:
            section.saw(warnings=scan.warnings)
        self.progress(spec.name, 0, scan.total)
        for chunk in self.chunks(spec, scan):
            self.report.warnings.extend(chunk.warnings)
            self.report.rejections.extend(chunk.rejections)
            if section is not None:
                section.saw(warnings=chunk.warnings, rejections=chunk.rejections)
            counts["rejected"] += chunk.rejected
            if chunk.batch:
                self.write(spec, chunk.batch)
            self.progress(spec.name, chunk.done, scan.total)
        if counts["created"] + counts["updated"] >= ANALYZE_AFTER_ROWS:
            batch_writes.impl.analyze(TABLES[spec.name])
        self.section = None
        if section is not None:
            section.settle(counts)

    def chunks(self, spec: EntitySpec, scan: Scan) -> Iterator["Chunk"]:
        """The entity's rows validated and cut into batches (no database access)."""
        pending: dict[tuple, Item] = {}
        chunk = Chunk()
        done = 0
        repeated = scan.last_of_repeated
        text_cells = self.source.text_cells
        for ordinal, row in enumerate(self.source.rows(spec)):
            done += 1
            outcome = validate_row(spec, row, chunk.warnings, text_cells=text_cells)
            key = row_key(spec, row.data) if repeated and row.data is not None else None
            last = repeated.get(key) if key is not None else None
            if isinstance(outcome, Rejection):
                chunk.rejected += 1
                chunk.rejections.append(outcome)
                if last is not None and ordinal >= last and key in pending:
                    chunk.batch.append(pending.pop(key))  # the last valid earlier row stands
            elif last is not None and ordinal < last:
                earlier = pending.get(key)
                if earlier is not None:
                    outcome.weight += earlier.weight
                    outcome.earlier = earlier
                pending[key] = outcome  # superseded by a later row of the same key
            else:
                if key in pending:
                    outcome.earlier = pending.pop(key)
                    outcome.weight += outcome.earlier.weight
                chunk.batch.append(outcome)
            if len(chunk.batch) >= self.batch_size:
                chunk.done = done
                yield chunk
                chunk = Chunk()
        chunk.batch.extend(pending.values())
        chunk.done = done
        yield chunk

    def write(self, spec: EntitySpec, batch: list[Item]) -> None:
        """Write the batch; then, in their own batch, the earlier rows of the keys whose last
        row a writer rejected (and so on, down to the first row of a key)."""
        while batch:
            batch = self._write(spec, batch)

    def _write(self, spec: EntitySpec, batch: list[Item]) -> list[Item]:
        writer = WRITERS[spec.name]
        refused = False
        try:
            with transaction.atomic():
                batch_writes.impl.commit_without_waiting()
                result = writer(batch, self.ctx)
        except (IntegrityError, DataError) as exc:
            refused = True
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
                    message = f"refused by the database ({_constraint(row_exc)})"
                    result.reject_item(item, Rejection(item.ref, ROW_REFUSED_BY_DATABASE, message))
        self.report.merge(spec.name, result)
        self.person_ids |= result.person_ids
        if self.section is not None:
            self.section.wrote(result, refused=refused)
        return result.fallbacks

    def finish(self) -> None:
        """Enrollments of everyone the export names, then the data-quality flags.

        When the export names at least half of the program's people, the whole program is
        recomputed in one set-based pass (cheaper than selecting them by id)."""
        ids = sorted(self.person_ids)
        if ids and len(ids) * 2 >= Enrollment.objects.filter(program=self.program).count():
            self.report.enrollments_changed += enrollments_recompute_program(program=self.program)
        elif ids:
            self.report.enrollments_changed += enrollments_recompute(
                program=self.program, person_ids=ids
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


#: Allocations between two young-generation garbage collections while importing (the
#: default, 700, makes Python walk its heap thousands of times per import: a third of
#: the CPU time of a large one). Cycles are still collected, so memory stays bounded.
GC_THRESHOLD = 100_000


@contextmanager
def _fewer_collections():
    before = gc.get_threshold()
    gc.set_threshold(max(GC_THRESHOLD, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


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
    with _fewer_collections(), open_export(path) as source:
        report.form = source.form
        report.warnings.extend(source.warnings)
        report.warnings.extend(_record_count_warnings(source))
        for spec in ENTITIES:
            if spec in source.entities():
                report.entity(spec.name)
        work = _Import(
            source,
            program,
            report,
            via=via,
            batch_size=batch_size,
            progress=progress,
            dry_run=dry_run,
        )
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
