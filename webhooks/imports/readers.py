"""Readers of the three export forms: a folder, a ``.zip`` of it, or one JSON file.

Every reader streams: CSV files are read with the csv module over a text stream
(one record at a time, the physical line where it starts kept for the report);
the JSON form is split in one pass (the json module's C scanner, one item at a time)
into a temporary JSON-lines file per entity, so no entity is ever held in memory as a
whole; a file that is not plain well-formed JSON of the export's shape is read with
``ijson`` instead, one pass per entity (the careful path, which reports what is wrong).

A reader yields ``RawRow``s: the record as a dict ready for the entity's schema
(CSV cells trimmed, empty cells dropped, arrays split, JSON cells parsed), or an
error that rejects the row. Problems with a whole file raise ``FileRejected``;
an export that cannot be read at all raises ``ExportUnreadable``.
"""

import codecs
import csv
import io
import json
import marshal
import math
import re
import sys
import tempfile
import zipfile
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

import ijson
from django.conf import settings

from buddy.json_input import MAX_DEPTH, JsonRejected, check_json, parse_json, surely_fine
from core.errors import DomainError
from webhooks.imports.entities import (
    ARRAY,
    BY_NAME,
    ENTITIES,
    FILE_NAMES,
    OBJECT,
    TEXT,
    EntitySpec,
    row_key,
)


class ExportUnreadable(DomainError):
    """The export as a whole cannot be read (missing, not a known form, broken JSON)."""

    def __init__(self, message: str):
        super().__init__(message=message, code="import.unreadable", http_status=400)


class FileRejected(Exception):
    """One entity file cannot be imported (missing required column, empty, unreadable)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Ref:
    """Where a record is: ``users.csv`` line 3, or ``users[2]`` in the JSON form."""

    file: str
    line: int | None = None
    index: int | None = None

    def at(self, path: str = "") -> str:
        if self.index is not None:
            base = f"{self.file}[{self.index}]"
            return f"{base}.{path}" if path else base
        base = f"{self.file}:{self.line}"
        return f"{base}: {path}" if path else base

    def says(self, message: str, path: str = "") -> str:
        return f"{self.at(path)}: {message}"


@dataclass(slots=True)
class RawRow:
    ref: Ref
    data: dict | None
    error: str | None = None
    #: Where in the row the error is (JSON form), "" for the row as a whole.
    error_path: str = ""


@dataclass
class Scan:
    """What a first, cheap pass over an entity found: how many rows, which keys repeat."""

    total: int = 0
    #: key → ordinal of its last row, only for keys that occur more than once.
    last_of_repeated: dict[tuple, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


# --- Cells ----------------------------------------------------------------------------------


class CellError(ValueError):
    pass


def coerce_csv(cells: dict[str, str], spec: EntitySpec) -> dict:
    """CSV text cells → the values the schema validates (empty cell = null)."""
    data: dict = {}
    for name, raw in cells.items():
        value = raw.strip()
        if not value:
            continue
        kind = spec.columns[name]
        if kind == ARRAY:
            data[name] = [part.strip() for part in value.split(";") if part.strip()]
        elif kind == OBJECT:
            data[name] = _json_cell(name, value)
        else:
            data[name] = value
    return data


def trim_json(item: dict) -> dict:
    """Strings of a JSON record trimmed as in CSV; an empty string is null."""
    data = {}
    for name, value in item.items():
        if isinstance(value, str):
            value = value.strip() or None
        elif isinstance(value, list):
            value = [v.strip() if isinstance(v, str) else v for v in value]
        if value is not None:
            data[name] = value
    return data


# --- CSV --------------------------------------------------------------------------------------


def max_row_bytes() -> int:
    """The largest row (CSV record or JSON item) read: ``BUDDY_IMPORT_MAX_ROW_BYTES``."""
    return settings.BUDDY_IMPORT_MAX_ROW_BYTES


def _records(binary: IO[bytes], limit: int) -> Iterator[tuple[int, bytes | None]]:
    """The CSV file's records as raw bytes with the physical line each starts on; a record
    over ``limit`` bytes comes as None, and is never held in memory (lines are read in
    pieces of at most ``limit + 1`` bytes).

    A record ends at a line end outside quotes: with the CSV dialect of the export (``"``
    quotes, doubled inside a field) that is a line end after an even number of ``"``.
    """
    readline = binary.readline
    line = 0
    start = 1
    parts: list[bytes] = []
    size = quotes = 0
    while True:
        piece = readline(limit + 1)
        if not piece:
            if size:
                yield start, b"".join(parts) if size <= limit else None
            return
        size += len(piece)
        quotes += piece.count(b'"')
        if size <= limit:
            parts.append(piece)
        elif parts:
            parts = []
        if piece[-1:] == b"\n":
            line += 1
            if not quotes & 1:
                yield (
                    start,
                    (parts[0] if len(parts) == 1 else b"".join(parts)) if (size <= limit) else None,
                )
                start, parts, size, quotes = line + 1, [], 0, 0


def _closing(records, binary):
    try:
        yield from records
    finally:
        binary.close()


@dataclass(slots=True)
class _CsvFile:
    """An opened CSV file: its header's names and its records as (line, cells, error)."""

    names: list[str]
    records: Iterator[tuple[int, list[str] | None, str | None]]


def _csv_open(binary: IO[bytes], spec: EntitySpec, *, close: bool = False) -> _CsvFile:
    """The header (or ``FileRejected``), then every record parsed by the csv module; a
    record that is too long, not UTF-8, holds a NUL or cannot be parsed is an error of its
    own line, and reading carries on with the next record. ``close``: close ``binary``
    when the records are read (or the file is rejected)."""
    limit = max_row_bytes()
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)  # a field may be as long as a row
    try:
        return _csv_open_records(binary, spec, limit, close)
    except FileRejected:
        if close:
            binary.close()
        raise


def _csv_open_records(binary: IO[bytes], spec: EntitySpec, limit: int, close: bool):
    raw = _records(binary, limit)
    if close:
        raw = _closing(raw, binary)
    first = next(raw, None)
    if first is None:
        raise FileRejected("the file is empty")
    try:
        if first[1] is None:
            raise ValueError
        header = next(csv.reader([first[1].decode("utf-8-sig")]))
    except (csv.Error, ValueError, StopIteration):
        raise FileRejected("the header cannot be read (not UTF-8 CSV)") from None
    names = [h.strip() for h in header]
    missing = [c for c in spec.required if c not in names]
    if missing:
        raise FileRejected(f"missing required column(s): {', '.join(missing)}")
    return _CsvFile(names, _parsed(raw, limit))


class _NeedsCare(Exception):
    """The fast path met something only the record-by-record path handles."""


class _Guarded(io.RawIOBase):
    """The file as it is, checked block by block in C: raises ``_NeedsCare`` at a NUL byte or
    a line longer than ``limit``, before the block reaches the text decoder."""

    def __init__(self, binary: IO[bytes], limit: int):
        self._binary, self._limit, self._run = binary, limit, 0  # bytes since the last \n

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._binary.read(len(buffer))
        size = len(data)
        if not size:
            return 0
        limit = self._limit
        if b"\x00" in data:
            raise _NeedsCare
        last = data.rfind(b"\n")
        if last < 0:
            self._run += size
        else:
            first = data.find(b"\n")
            if self._run + first > limit or (
                last - first > limit and max(map(len, data[first:last].split(b"\n"))) > limit
            ):
                raise _NeedsCare
            self._run = size - last - 1
        if self._run > limit:
            raise _NeedsCare
        buffer[:size] = data
        return size


def _csv_file(binary: IO[bytes], spec: EntitySpec, reopen=None) -> _CsvFile:
    """``_csv_open``, fast: with ``reopen`` (opens the file again), the csv module reads the
    file as a text stream (C speed) while it is clean, and the record-by-record path takes
    over, from the record where it stopped, at the first thing it must handle (a NUL, a
    line over the limit, invalid UTF-8, broken quoting or an over-long field)."""
    if reopen is None:
        return _csv_open(binary, spec)
    limit = max_row_bytes()
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)
    text = io.TextIOWrapper(
        io.BufferedReader(_Guarded(binary, limit)), encoding="utf-8-sig", newline=""
    )
    reader = csv.reader(text)
    try:
        header = next(reader)
    except (StopIteration, csv.Error, UnicodeDecodeError, _NeedsCare):
        return _csv_open(reopen(), spec, close=True)
    names = [h.strip() for h in header]
    missing = [c for c in spec.required if c not in names]
    if missing:
        raise FileRejected(f"missing required column(s): {', '.join(missing)}")
    return _CsvFile(names, _fast_records(reader, spec, reopen))


def _fast_records(reader, spec: EntitySpec, reopen):
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError, _NeedsCare):
            break
        yield start, cells, None
        start = reader.line_num + 1
    slow = _csv_open(reopen(), spec, close=True)
    for record in slow.records:
        if record[0] >= start:
            yield record


def _parsed(raw, limit: int) -> Iterator[tuple[int, list[str] | None, str | None]]:
    errors: deque[tuple[int, None, str]] = deque()
    current = [0]

    def texts() -> Iterator[str]:
        for line, data in raw:
            if data is None:
                errors.append((line, None, f"the row is longer than {limit} bytes"))
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                errors.append((line, None, "the row is not UTF-8 text"))
                continue
            if "\x00" in text:
                errors.append((line, None, "the row contains a NUL character"))
                continue
            current[0] = line
            yield text

    source = texts()
    reader = csv.reader(source)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            while errors:
                yield errors.popleft()
            yield current[0], None, "the row cannot be read (quoting)"
            reader = csv.reader(source)
            continue
        while errors:
            yield errors.popleft()
        yield current[0], cells, None
    while errors:
        yield errors.popleft()


def _known_columns(names: list[str], spec: EntitySpec) -> list[tuple[int, str, str]]:
    """(cell index, column, kind) of the header's known columns; a repeated column name
    counts once, at its last position (as a dict built from the row would)."""
    last = {name: index for index, name in enumerate(names) if name in spec.columns}
    return [(index, name, spec.columns[name]) for name, index in last.items()]


def _coerce_cells(cells: list[str], known: list[tuple[int, str, str]]) -> dict:
    """``coerce_csv`` straight from the row's cells (no intermediate dict)."""
    data: dict = {}
    size = len(cells)
    for index, name, kind in known:
        if index >= size:
            continue
        value = cells[index].strip()
        if not value:
            continue
        if kind == TEXT:
            data[name] = value
        elif kind == ARRAY:
            data[name] = [part.strip() for part in value.split(";") if part.strip()]
        else:
            data[name] = _json_cell(name, value)
    return data


def _json_cell(name: str, value: str):
    try:
        parsed = parse_json(value)
    except JsonRejected as exc:
        where = f"{name}.{exc.path}" if exc.path else name
        raise CellError(f"{where}: {exc.message}") from None
    return parsed


def csv_rows(
    binary: IO[bytes], spec: EntitySpec, *, coerce: bool = True, reopen=None
) -> Iterator[RawRow]:
    """Rows of one CSV file; ``coerce=False`` keeps the raw text cells; ``reopen`` (opens
    the file again) allows the fast path (``_csv_file``)."""
    opened = _csv_file(binary, spec, reopen)
    names = opened.names
    width = len(names)
    known_columns = _known_columns(names, spec)
    file_name = spec.file_name
    for line, cells, error in opened.records:
        ref = Ref(file_name, line)
        if error is not None:
            yield RawRow(ref, None, error)
            continue
        if not "".join(cells).strip():  # every cell blank (joined: one strip in C)
            continue
        if len(cells) > width:
            yield RawRow(ref, None, f"the row has {len(cells)} cells, the header {width}")
            continue
        if not coerce:
            raw = {n: c for n, c in zip(names, cells, strict=False) if n in spec.columns}
            yield RawRow(ref, raw)
            continue
        try:
            yield RawRow(ref, _coerce_cells(cells, known_columns))
        except CellError as exc:
            yield RawRow(ref, None, str(exc))


def csv_scan(binary: IO[bytes], spec: EntitySpec, *, reopen=None) -> Scan:
    """The cheap first pass over a CSV file: rows counted as ``csv_rows`` yields them, and
    the keys that repeat. Only the key cells are looked at."""
    opened = _csv_file(binary, spec, reopen)
    width = len(opened.names)
    key_columns = [(i, n, k) for i, n, k in _known_columns(opened.names, spec) if n in spec.key]
    scan = Scan()
    seen: set[tuple] = set()
    last: dict[tuple, int] = {}
    for _line, cells, error in opened.records:
        if error is None and not "".join(cells).strip():
            continue
        ordinal, scan.total = scan.total, scan.total + 1
        if error is not None or len(cells) > width:
            continue
        size = len(cells)
        key = row_key(spec, {n: cells[i] for i, n, _k in key_columns if i < size})
        if key in seen:
            last[key] = ordinal
        else:
            seen.add(key)
    scan.last_of_repeated = last
    return scan


def csv_unknown_columns(binary: IO[bytes], spec: EntitySpec) -> list[str]:
    names = _csv_open(binary, spec).names
    return [n for n in names if n and n not in spec.columns]


class ExportSource:
    """An opened export. Use as a context manager."""

    form = ""
    #: CSV cells are text: the schemas parse numbers from them (the JSON form's are JSON).
    text_cells = False

    def __init__(self):
        self.warnings: list[str] = []
        self.metadata: dict | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        pass

    def entities(self) -> list[EntitySpec]:
        raise NotImplementedError

    def scan(self, spec: EntitySpec) -> Scan:
        raise NotImplementedError

    def rows(self, spec: EntitySpec) -> Iterator[RawRow]:
        raise NotImplementedError

    def section_bytes(self, spec: EntitySpec) -> Iterator[bytes]:
        """The entity's raw bytes, in blocks: everything its scan and rows are read from
        (``settled``: equal bytes read as equal rows)."""
        raise NotImplementedError


class CsvSource(ExportSource):
    """The folder and zip forms: one CSV file per entity."""

    text_cells = True

    def _open(self, spec: EntitySpec) -> IO[bytes]:
        raise NotImplementedError

    @contextmanager
    def _binary(self, spec: EntitySpec):
        handle = self._open(spec)
        try:
            yield handle
        finally:
            handle.close()

    def scan(self, spec: EntitySpec) -> Scan:
        with self._binary(spec) as binary:
            unknown = csv_unknown_columns(binary, spec)
        with self._binary(spec) as binary:
            scan = csv_scan(binary, spec, reopen=lambda: self._open(spec))
        if unknown:
            shown = ", ".join(u[:40] for u in unknown[:10])
            scan.warnings.append(f"{spec.file_name}: unknown column(s) ignored: {shown}")
        return scan

    def rows(self, spec: EntitySpec) -> Iterator[RawRow]:
        with self._binary(spec) as binary:
            yield from csv_rows(binary, spec, reopen=lambda: self._open(spec))

    def section_bytes(self, spec: EntitySpec) -> Iterator[bytes]:
        with self._binary(spec) as binary:
            while block := binary.read(1 << 20):
                yield block


def _ignored(names) -> list[str]:
    return [f"{n}: not an export file, ignored" for n in sorted(names)]


class FolderSource(CsvSource):
    form = "folder"

    def __init__(self, folder: Path, only: str | None = None):
        super().__init__()
        self.folder = folder
        names = [only] if only else [p.name for p in folder.iterdir() if p.is_file()]
        self.files = {n: folder / n for n in names if n in FILE_NAMES}
        self.warnings += _ignored(n for n in names if n.endswith(".csv") and n not in FILE_NAMES)

    def entities(self) -> list[EntitySpec]:
        return [spec for spec in ENTITIES if spec.file_name in self.files]

    def _open(self, spec: EntitySpec) -> IO[bytes]:
        return open(self.files[spec.file_name], "rb")


class ZipSource(CsvSource):
    """A zip of the folder: files at its top level or in one sub-folder."""

    form = "zip"

    def __init__(self, path: Path):
        super().__init__()
        try:
            self.archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            raise ExportUnreadable("the .zip file cannot be opened") from None
        self.files: dict[str, str] = {}
        depth_of: dict[str, int] = {}
        extra = []
        for info in self.archive.infolist():
            parts = PurePosixPath(info.filename).parts
            if info.is_dir() or not parts or parts[0] == "__MACOSX" or len(parts) > 2:
                continue
            name = parts[-1]
            if name not in FILE_NAMES:
                if name.endswith(".csv"):
                    extra.append(name)
                continue
            if name not in self.files or len(parts) < depth_of[name]:
                self.files[name], depth_of[name] = info.filename, len(parts)
        self.warnings += _ignored(extra)
        # zipfile reads no entry past its declared size, so the declared sizes bound the
        # export: a zip bomb is refused here, before a byte is decompressed.
        unzipped = sum(self.archive.getinfo(member).file_size for member in self.files.values())
        limit = settings.BUDDY_IMPORT_MAX_EXPORT_BYTES
        if unzipped > limit:
            self.archive.close()
            raise ExportUnreadable(
                f"the .zip decompresses to {unzipped} bytes, more than the limit of {limit} "
                "bytes (BUDDY_IMPORT_MAX_EXPORT_BYTES)"
            )

    def close(self) -> None:
        self.archive.close()

    def entities(self) -> list[EntitySpec]:
        return [spec for spec in ENTITIES if spec.file_name in self.files]

    def _open(self, spec: EntitySpec) -> IO[bytes]:
        return self.archive.open(self.files[spec.file_name])


# --- JSON -------------------------------------------------------------------------------------


#: An item's text at most this many times as long as the row limit needs no compact
#: form to know it is within it (a number's compact form is at most 4.5 times its text,
#: "1e15" → "1000000000000000.0"; a character at most 4 bytes).
_SURELY_SHORT = 8


class JsonSource(ExportSource):
    """One JSON file, split into one JSON-lines spool per entity (``_split``, or the careful
    path: one ijson pass per entity)."""

    form = "json"

    def __init__(self, path: Path):
        super().__init__()
        self.path = path
        self.spools: dict[str, tuple[IO[bytes], int]] = {}
        self.scans: dict[str, Scan] = {}
        limit = settings.BUDDY_IMPORT_MAX_EXPORT_BYTES
        try:
            size = path.stat().st_size
        except OSError:
            raise ExportUnreadable("the export cannot be read") from None
        if size > limit:
            raise ExportUnreadable(
                f"the JSON file is larger than the limit of {limit} bytes "
                "(BUDDY_IMPORT_MAX_EXPORT_BYTES)"
            )
        try:
            with open(path, "rb") as handle:
                if not self._split(handle):
                    handle.seek(0)
                    self.metadata = self._metadata(handle)
                    for spec in ENTITIES:
                        handle.seek(0)
                        self.spools[spec.name], self.scans[spec.name] = self._spool(handle, spec)
        except (ijson.JSONError, ValueError, UnicodeDecodeError):
            self.close()
            raise ExportUnreadable("the JSON file cannot be parsed") from None
        except OSError:
            self.close()
            raise ExportUnreadable("the export cannot be read") from None

    @staticmethod
    def _metadata(handle) -> dict | None:
        first = next(ijson.parse(handle), None)
        if first is None or first[1] != "start_map":
            raise ValueError("not an object")
        handle.seek(0)
        found = next(ijson.items(handle, "export_metadata", use_float=True), None)
        return found if isinstance(found, dict) else None

    def _split(self, handle) -> bool:
        """The fast path: one pass over the file that splits it per entity (``_split_items``)
        into the spools ``_spool`` would write. False, with nothing kept, when the file is
        anything but plain well-formed JSON of the export's shape; the careful path (one
        ijson pass per entity) then reads it and says what is wrong, as before."""
        spoolers = {spec.name: _Spooler(spec) for spec in ENTITIES}
        metadata: list = []
        try:
            for name, item, text in _split_items(handle, set(spoolers), "export_metadata"):
                if name == "export_metadata":
                    metadata.append(item)
                else:
                    spoolers[name].add(item, text)
        except _NeedsCare:
            for spooler in spoolers.values():
                spooler.spool.close()
            return False
        found = metadata[0] if metadata else None
        self.metadata = found if isinstance(found, dict) else None
        for name, spooler in spoolers.items():
            self.spools[name], self.scans[name] = spooler.done()
        return True

    @staticmethod
    def _spool(handle, spec: EntitySpec) -> tuple[tuple[IO[bytes], int], Scan]:
        """The careful path: one ijson pass over the whole file for one entity's items."""
        spooler = _Spooler(spec)
        for item in ijson.items(handle, f"{spec.name}.item", use_float=True):
            spooler.add(item)
        return spooler.done()

    def close(self) -> None:
        for spool, _count in self.spools.values():
            spool.close()
        self.spools = {}

    def counts(self) -> dict[str, int]:
        return {name: count for name, (_spool, count) in self.spools.items()}

    def entities(self) -> list[EntitySpec]:
        return [spec for spec in ENTITIES if self.spools.get(spec.name, (None, 0))[1]]

    def _items(self, spec: EntitySpec) -> Iterator[RawRow]:
        spool, count = self.spools[spec.name]
        spool.seek(0)
        read, loads = spool.read, marshal.loads
        for index in range(count):
            ref = Ref(spec.name, index=index)
            item = loads(read(int.from_bytes(read(4), "little")))  # as _Spooler.add wrote it
            if type(item) is tuple:  # a rejection (items are JSON values: never tuples)
                path, message = item
                yield RawRow(ref, None, message, path)
                continue
            if not isinstance(item, dict):
                yield RawRow(ref, None, "must be an object")
            else:
                yield RawRow(ref, trim_json(item))

    def scan(self, spec: EntitySpec) -> Scan:
        taken = self.scans[spec.name]  # taken while spooling (``_spool``)
        return Scan(taken.total, dict(taken.last_of_repeated))

    def rows(self, spec: EntitySpec) -> Iterator[RawRow]:
        yield from self._items(spec)

    def section_bytes(self, spec: EntitySpec) -> Iterator[bytes]:
        """The entity's spool (its items as read, rejections included)."""
        spool, count = self.spools[spec.name]
        yield count.to_bytes(8, "little")
        spool.seek(0)
        while block := spool.read(1 << 20):
            yield block


class _Spooler:
    """One entity's JSON-lines spool, written item by item (both paths of ``JsonSource``).

    An item that is nested too deep, holds a NUL or a lone surrogate, or is over the row
    limit is spooled as its rejection, a ``(path, message)`` tuple. ``marshal`` writes the
    items (each after its length) and reads them back at C speed; no JSON value is a tuple.
    The entity's ``Scan`` (rows counted as ``rows`` yields them, the keys of the objects
    among them that repeat) is taken here, from the items in hand: ``rows`` reads back the
    same value (``marshal`` round-trips what the parsers yield), so the spool is not read a
    second time for the scan."""

    def __init__(self, spec: EntitySpec):
        self.spec = spec
        self.spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by JsonSource.close()
        self.count = 0
        self.limit = max_row_bytes()
        self.seen: set[tuple] = set()
        self.last: dict[tuple, int] = {}

    def add(self, item, text: str | None = None) -> None:
        """Spool ``item``; ``text``: its JSON text in the file, when the reader has it."""
        limit = self.limit
        if text is not None and len(text) * _SURELY_SHORT <= limit and surely_fine(text, MAX_DEPTH):
            # What the checks below find for such text (the one-pass reader has refused
            # NaN, overflowing numbers and surrogate escapes): nothing.
            record: object = item
        else:
            record = self._checked(item, limit)
        if type(record) is not tuple and isinstance(item, dict):
            # trim_json works field by field: the key fields alone give the same key.
            key = row_key(self.spec, trim_json({n: item[n] for n in self.spec.key if n in item}))
            if key in self.seen:
                self.last[key] = self.count
            else:
                self.seen.add(key)
        data = marshal.dumps(record)
        self.spool.write(len(data).to_bytes(4, "little"))
        self.spool.write(data)
        self.count += 1

    @staticmethod
    def _checked(item, limit: int) -> object:
        """``item``, or its rejection as a ``(path, message)`` tuple."""
        try:
            text = json.dumps(item, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
            if not surely_fine(text, MAX_DEPTH):  # an escape (maybe NUL) or deep nesting
                check_json(item)
            size = len(text.encode())
        except JsonRejected as exc:
            return (exc.path, exc.message)
        except RecursionError:
            return ("", f"nested deeper than {MAX_DEPTH} levels")
        except UnicodeEncodeError:
            return ("", "must not contain a lone surrogate")
        except ValueError:  # NaN or Infinity (use_float)
            return ("", "not a JSON number (NaN or Infinity)")
        if size > limit:
            return ("", f"the row is longer than {limit} bytes")
        return item

    def done(self) -> tuple[tuple[IO[bytes], int], Scan]:
        self.spool.seek(0)
        return (self.spool, self.count), Scan(self.count, self.last)


def _refuse_constant(name: str):
    raise _NeedsCare  # NaN / Infinity: not JSON (the careful path says so)


#: yajl (ijson's parser) refuses integers beyond 64 bits and floats that overflow or
#: underflow, and reads a lone surrogate escape as "?": the careful path takes those.
_INT64 = 2**63 - 1  # yajl refuses -2**63 too
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _yajl_int(text: str) -> int:
    value = int(text)
    if len(text) > 18 and abs(value) > _INT64:
        raise _NeedsCare
    return value


def _yajl_float(text: str) -> float:
    value = float(text)
    if value in (math.inf, -math.inf) or (
        abs(value) < sys.float_info.min and text.lstrip("-").split("e")[0].split("E")[0].strip("0.")
    ):
        raise _NeedsCare
    return value


#: The C scanner of the json module, held to what ijson's parser accepts.
_ITEM_DECODER = json.JSONDecoder(
    parse_constant=_refuse_constant, parse_int=_yajl_int, parse_float=_yajl_float
)
_SPACE = re.compile(r"[ \t\n\r]*")
#: Text read at a time by the splitter.
SPLIT_READ_CHARS = 1 << 20


def _split_items(handle: IO[bytes], names: set[str], metadata: str) -> Iterator[tuple[str, object]]:
    """``(entity, item)`` for every item of the top-level arrays named in ``names``, and
    ``(metadata, value)`` for that member, in one pass over the file: the top level (one
    object, its keys, the arrays' brackets and commas) is walked here and every item or
    other value is parsed by the json module's C scanner, in a window of the text that
    slides over the file (a value is never longer than the row limit plus a read).

    Raises ``_NeedsCare`` (the caller then takes the careful path) at anything else:
    invalid UTF-8 or JSON, a byte-order mark, ``NaN``, trailing data, an entity member that
    is not an array, a dotted key, a value too long for the window, nesting deep enough
    for a ``RecursionError``."""
    decoder = codecs.getincrementaldecoder("utf-8")()  # a BOM: careful path
    window_limit = max_row_bytes() + 2 * SPLIT_READ_CHARS
    buffer, at, began, eof = "", 0, 0, False
    scan = _ITEM_DECODER.raw_decode
    space = _SPACE.match
    surrogate = _SURROGATE_ESCAPE.search

    def more() -> bool:
        nonlocal buffer, at, eof
        if eof:
            return False
        try:
            data = handle.read(SPLIT_READ_CHARS)
            text = decoder.decode(data, final=not data)
        except UnicodeDecodeError:
            raise _NeedsCare from None
        eof = not data
        buffer = buffer[at:] + text
        at = 0
        if len(buffer) > window_limit:
            raise _NeedsCare
        return bool(data) or bool(text)

    def next_char() -> str:
        """The next character that is not white space (not consumed); "" at the end."""
        nonlocal at
        while True:
            at = space(buffer, at).end()
            if at < len(buffer):
                return buffer[at]
            if not more():
                return ""

    def value():
        """The value at ``at``, complete (a number or literal must be followed by
        something in the window, else it may go on in the next read); its text is
        ``buffer[began:at]`` after the call."""
        nonlocal at, began
        while True:
            try:
                parsed, end = scan(buffer, at)
            except (ValueError, RecursionError):
                parsed, end = _NeedsCare, None
            if end is not None and space(buffer, end).end() < len(buffer):
                break
            if not more():
                if end is None:
                    raise _NeedsCare
                break
        if surrogate(buffer, at, end):
            raise _NeedsCare
        began, at = at, end
        return parsed

    def expect(char: str) -> None:
        nonlocal at
        if next_char() != char:
            raise _NeedsCare
        at += 1

    expect("{")
    if next_char() == "}":
        at += 1
    else:
        while True:
            if next_char() != '"':
                raise _NeedsCare
            key = value()
            expect(":")
            if "." in key:
                raise _NeedsCare  # ijson's prefixes are dotted: such a key may be one
            if key in names:
                expect("[")  # ijson takes items of an object's "item" key too: careful path
                if next_char() == "]":
                    at += 1
                else:
                    while True:
                        next_char()
                        item = value()
                        yield key, item, buffer[began:at]
                        char = next_char()
                        at += 1
                        if char == "]":
                            break
                        if char != ",":
                            raise _NeedsCare
            else:
                next_char()
                found = value()
                if key == metadata:
                    yield key, found, None
            char = next_char()
            at += 1
            if char == "}":
                break
            if char != ",":
                raise _NeedsCare
    if next_char() != "":
        raise _NeedsCare  # trailing data


def open_export(path: str | Path) -> ExportSource:
    """The export at ``path``: a folder, a ``.zip``, a ``.json`` file or one entity CSV."""
    path = Path(path)
    if not path.exists():
        raise ExportUnreadable("the export was not found")
    if path.is_dir():
        source: ExportSource = FolderSource(path)
    elif path.suffix.lower() == ".json":
        source = JsonSource(path)
    elif path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        source = ZipSource(path)
    elif path.name in FILE_NAMES:
        source = FolderSource(path.parent, only=path.name)
    else:
        raise ExportUnreadable("not a folder, .zip, .json or entity .csv export")
    if not source.entities() and not isinstance(source, JsonSource):
        source.close()
        raise ExportUnreadable("no export files found (users.csv, matches.csv, …)")
    return source


__all__ = [
    "BY_NAME",
    "ExportSource",
    "ExportUnreadable",
    "FileRejected",
    "RawRow",
    "Ref",
    "Scan",
    "open_export",
]
