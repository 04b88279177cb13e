"""Settled sections: an unchanged re-import replays what the last import of a section gave.

A section is one entity of an export (``checkins.csv``, the JSON form's ``checkins``). After
a section is imported in full, its record (``buddy.ImportedSection``, one per program and
entity) keeps

- a digest of the section's raw bytes, the export's form, this code and the importer's
  settings (``DIGEST_VERSION``, ``code_fingerprint``, ``SETTINGS``);
- a fingerprint of every table the section reads or writes (``DEPENDS``), taken right after
  it: each table's row count and a sum of hashes of its rows' (id, ``xmin``), PostgreSQL's
  row version, so any insert, update or delete there by anyone (webhook, admin, API, another
  import) changes it;
- what a full re-import of the same bytes into that state reports: every row it wrote
  counts unchanged, the same warnings and rejections in the same order, the same people.

The next import of the same section replays that report and reads no row of it when the
digest and the fingerprint both match: with the same bytes, code, settings and tables a full
run would validate the same rows to the same values and find each already stored.

A section gets no record (the next import runs it in full) when replaying could differ from
a full run: a batch the database refused (the row-by-row retry), a row refused for a date in
the future (time may make it valid), two rows written under one key (their second write is
an update a re-run repeats), or another writer while it ran: the tables it only reads must
be as they were at its start, and the table it writes exactly as it was plus its own writes
(the staged upsert returns the sum of the versions it replaced and of those it wrote).
A version names the transaction that wrote it, so this sees other transactions only: a
write inside a batch's own transaction after the upsert would go unseen (none is made).
A ``VACUUM FREEZE`` of a table changes its fingerprint (frozen rows read ``xmin`` 2): the
next import of the section then runs in full, once.

Only on PostgreSQL (``batch_writes.impl.fingerprint``); the generic path (SQLite) always
runs in full. Never in a dry run.
"""

import functools
import hashlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pydantic
from django.conf import settings
from django.db import transaction

from buddy.models import (
    CheckIn,
    EventAttendance,
    ExternalId,
    Feedback,
    ImportedSection,
    InformalEvent,
    Match,
    MilestoneAchievement,
    Person,
    Program,
    SkillSession,
)
from buddy.schemas import FUTURE_MESSAGE
from webhooks.imports.entities import EntitySpec
from webhooks.imports.readers import ExportSource, Ref
from webhooks.imports.report import MAX_LINES, BatchResult, ImportReport, Rejection
from webhooks.imports.writers.batch import batch_writes

#: Change to invalidate every record (a change of meaning the code fingerprint misses).
DIGEST_VERSION = 1

#: The tables each settled entity's import reads or writes, the written one first (the
#: writer's references: ``person_refs`` reads external ids and people, ``match_refs``
#: matches, ``known_related_ids`` every kind a milestone may name).
_PEOPLE = (ExternalId, Person)
DEPENDS: dict[str, tuple] = {
    "events": (InformalEvent, Match, *_PEOPLE),
    "event_attendance": (EventAttendance, Match, *_PEOPLE),
    "skill_sessions": (SkillSession, Match, *_PEOPLE),
    "checkins": (CheckIn, Match),
    "feedback": (Feedback, Match),
    "milestones": (
        MilestoneAchievement,
        *_PEOPLE,
        Match,
        InformalEvent,
        SkillSession,
        CheckIn,
        Feedback,
    ),
}

#: The settings that change how an export is read or validated.
SETTINGS = (
    "BUDDY_PROVIDER",
    "BUDDY_FUTURE_TOLERANCE_SECONDS",
    "BUDDY_IMPORT_MAX_ROW_BYTES",
    "BUDDY_IMPORT_MAX_EXPORT_BYTES",
)

#: The code whose change may change what an import reads, validates, writes or reports.
CODE = (
    "webhooks/imports",
    "buddy/schemas.py",
    "buddy/rules.py",
    "buddy/services",
    "buddy/models",
    "core",
)


@functools.cache
def code_fingerprint() -> bytes:
    """The importer's code (``CODE``) and the versions of Python and the validator."""
    root = Path(settings.BASE_DIR)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{sys.version}\0{pydantic.VERSION}\0".encode())
    for name in CODE:
        path = root / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes())
    return digest.digest()


def section_digest(source: ExportSource, spec: EntitySpec) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{DIGEST_VERSION}\0{source.form}\0{spec.name}\0".encode())
    digest.update(code_fingerprint())
    digest.update(repr([getattr(settings, name, None) for name in SETTINGS]).encode())
    for block in source.section_bytes(spec):
        digest.update(block)
    return digest.digest()


def _tables_digest(tables: list[tuple[int, str]]) -> bytes:
    return hashlib.blake2b(repr(tables).encode(), digest_size=16).digest()


@dataclass
class _Lines:
    """A section's report lines in the order they were added (at most ``MAX_LINES`` kept,
    the rest counted: the report keeps no more of one kind anyway)."""

    items: list = field(default_factory=list)
    count: int = 0

    def extend(self, lines: Iterable) -> None:
        for line in lines:
            self.count += 1
            if len(self.items) < MAX_LINES:
                self.items.append(line)


@dataclass
class Section:
    """One section's import: its record's check before, what it reported, its record after."""

    program: Program
    spec: EntitySpec
    digest: bytes
    models: tuple
    #: Per table (row count, sum of row versions) at the section's start.
    before: list[tuple[int, int]]
    record: ImportedSection | None
    warnings: _Lines = field(default_factory=_Lines)
    rejections: _Lines = field(default_factory=_Lines)
    merges: _Lines = field(default_factory=_Lines)
    person_ids: set[int] = field(default_factory=set)
    #: What the section's own writes did to its table: rows added, the versions' sum moved.
    added: int = 0
    versions: int = 0
    keys: set = field(default_factory=set)
    unsettled: bool = False

    def replay(self, report: ImportReport) -> set[int] | None:
        """Add the recorded report to ``report`` if the record still holds; the people it
        names (for the enrollments), else None."""
        record = self.record
        if record is None or bytes(record.digest) != self.digest:
            return None
        if bytes(record.fingerprint) != _tables_digest(self.before):
            return None
        stored = record.report
        counts = report.entity(self.spec.name)
        for key, value in stored["counts"].items():
            counts[key] += value
        _replay_lines(report.warnings, stored["warnings"])
        _replay_lines(report.rejections, stored["rejections"], _rejection)
        _replay_lines(report.merges, stored["merges"])
        return set(stored["person_ids"])

    # --- the full path ---------------------------------------------------------------------

    def saw(self, *, warnings=(), rejections=()) -> None:
        """Lines the pipeline added to the report for this section (scan, validation)."""
        self.warnings.extend(warnings)
        self.rejections.extend(rejections)
        if any(FUTURE_MESSAGE in r.message for r in rejections):
            self.unsettled = True

    def wrote(self, result: BatchResult, *, refused: bool = False) -> None:
        """A committed batch's result (``refused``: the database refused the batch)."""
        self.saw(warnings=result.warnings, rejections=result.rejections)
        self.merges.extend(result.merges)
        self.person_ids |= result.person_ids
        self.added += result.added
        self.versions += result.versions
        written = len(self.keys) + len(result.keys)
        self.keys.update(result.keys)
        if refused or result.repeated or len(self.keys) != written:
            self.unsettled = True

    def settle(self, counts: dict[str, int]) -> None:
        """After the section: record what a re-import into this state reports, or drop the
        record when a replay could differ from a full run."""
        after = None
        if not self.unsettled:
            after = batch_writes.impl.fingerprint(self.models)
            (count, versions), *read = self.before
            # Nobody else wrote: the tables only read are as they were, and the written one
            # is exactly what it was plus the section's own writes.
            if read != after[1:] or after[0] != (count + self.added, versions + self.versions):
                after = None
        with transaction.atomic():
            if after is None:
                ImportedSection.objects.filter(program=self.program, entity=self.spec.name).delete()
                return
            steady = {
                "unchanged": counts["created"] + counts["updated"] + counts["unchanged"],
                "rejected": counts["rejected"],
                "total": counts["total"],
            }
            report = {
                "counts": steady,
                "warnings": _stored_lines(self.warnings),
                "rejections": _stored_lines(
                    self.rejections,
                    lambda r: [r.ref.file, r.ref.line, r.ref.index, r.code, r.message, r.path],
                ),
                "merges": _stored_lines(self.merges),
                "person_ids": sorted(self.person_ids),
            }
            ImportedSection.objects.update_or_create(
                program=self.program,
                entity=self.spec.name,
                defaults={
                    "digest": self.digest,
                    "fingerprint": _tables_digest(after),
                    "report": report,
                },
            )


def _stored_lines(lines: _Lines, form=str) -> dict:
    return {"items": [form(line) for line in lines.items], "count": lines.count}


def _rejection(stored: list) -> Rejection:
    file, line, index, code, message, path = stored
    return Rejection(Ref(file, line, index), code, message, path)


def _replay_lines(lines, stored: dict, form=None) -> None:
    items = stored["items"]
    lines.extend(map(form, items) if form else items)
    for _ in range(stored["count"] - len(items)):
        lines.add("")  # beyond MAX_LINES: counted as dropped, as the full run's were


def begin(
    source: ExportSource, program: Program, spec: EntitySpec, *, dry_run: bool
) -> Section | None:
    """The section's settling, or None when the entity is never settled (no dependencies
    known, a dry run, not PostgreSQL)."""
    models = DEPENDS.get(spec.name)
    if models is None or dry_run:
        return None
    before = batch_writes.impl.fingerprint(models)
    if before is None:
        return None
    digest = section_digest(source, spec)
    record = ImportedSection.objects.filter(program=program, entity=spec.name).first()
    return Section(program, spec, digest, models, before, record)
