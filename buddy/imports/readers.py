"""Readers of the three export forms: a folder, a ``.zip`` of it, or one JSON file.

Every reader streams: CSV files are read with the csv module over a text stream
(one record at a time, the physical line where it starts kept for the report);
the JSON form is parsed with ``ijson`` and spooled, one entity at a time, to a
temporary JSON-lines file, so no entity is ever held in memory as a whole.

A reader yields ``RawRow``s: the record as a dict ready for the entity's schema
(CSV cells trimmed, empty cells dropped, arrays split, JSON cells parsed), or an
error that rejects the row. Problems with a whole file raise ``FileRejected``;
an export that cannot be read at all raises ``ExportUnreadable``.
"""

import csv
import io
import json
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

import ijson

from buddy.errors import DomainError
from buddy.imports.entities import (
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
            try:
                data[name] = json.loads(value)
            except ValueError:
                raise CellError(f"{name}: not valid JSON") from None
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


def _csv_header(reader, spec: EntitySpec) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise FileRejected("the file is empty") from None
    except (csv.Error, UnicodeDecodeError):
        raise FileRejected("the header cannot be read (not UTF-8 CSV)") from None
    names = [h.strip() for h in header]
    missing = [c for c in spec.required if c not in names]
    if missing:
        raise FileRejected(f"missing required column(s): {', '.join(missing)}")
    return names


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
            try:
                data[name] = json.loads(value)
            except ValueError:
                raise CellError(f"{name}: not valid JSON") from None
    return data


def csv_rows(binary: IO[bytes], spec: EntitySpec, *, coerce: bool = True) -> Iterator[RawRow]:
    """Rows of one CSV file; ``coerce=False`` keeps the raw text cells."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    names = _csv_header(reader, spec)
    width = len(names)
    known_columns = _known_columns(names, spec)
    file_name = spec.file_name
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError):
            ref = Ref(spec.file_name, line=start)
            yield RawRow(ref, None, "the file cannot be read from this line on (encoding/quoting)")
            return
        ref, start = Ref(file_name, start), reader.line_num + 1
        if not any(c.strip() for c in cells):
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


def csv_scan(binary: IO[bytes], spec: EntitySpec) -> Scan:
    """The cheap first pass over a CSV file: rows counted as ``csv_rows`` yields them, and
    the keys that repeat. Only the key cells are looked at."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    names = _csv_header(reader, spec)
    width = len(names)
    key_columns = [(i, n, k) for i, n, k in _known_columns(names, spec) if n in spec.key]
    scan = Scan()
    seen: set[tuple] = set()
    last: dict[tuple, int] = {}
    ordinal = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except (csv.Error, UnicodeDecodeError):
            scan.total += 1
            break
        if not any(c.strip() for c in cells):
            continue
        ordinal, scan.total = scan.total, scan.total + 1
        if len(cells) > width:
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
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    names = _csv_header(csv.reader(text), spec)
    return [n for n in names if n and n not in spec.columns]


def _scan(rows: Iterator[RawRow], spec: EntitySpec) -> Scan:
    scan = Scan()
    counts: Counter = Counter()
    last: dict[tuple, int] = {}
    for ordinal, row in enumerate(rows):
        scan.total += 1
        if row.data is None:
            continue
        key = row_key(spec, row.data)
        counts[key] += 1
        if counts[key] > 1:
            last[key] = ordinal
    scan.last_of_repeated = last
    return scan


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
            scan = csv_scan(binary, spec)
        if unknown:
            shown = ", ".join(u[:40] for u in unknown[:10])
            scan.warnings.append(f"{spec.file_name}: unknown column(s) ignored: {shown}")
        return scan

    def rows(self, spec: EntitySpec) -> Iterator[RawRow]:
        with self._binary(spec) as binary:
            yield from csv_rows(binary, spec)


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

    def close(self) -> None:
        self.archive.close()

    def entities(self) -> list[EntitySpec]:
        return [spec for spec in ENTITIES if spec.file_name in self.files]

    def _open(self, spec: EntitySpec) -> IO[bytes]:
        return self.archive.open(self.files[spec.file_name])


# --- JSON -------------------------------------------------------------------------------------


class JsonSource(ExportSource):
    """One JSON file; each entity array is streamed once (ijson) into a JSON-lines spool."""

    form = "json"

    def __init__(self, path: Path):
        super().__init__()
        self.path = path
        self.spools: dict[str, tuple[IO[bytes], int]] = {}
        try:
            with open(path, "rb") as handle:
                self.metadata = self._metadata(handle)
                for spec in ENTITIES:
                    handle.seek(0)
                    self.spools[spec.name] = self._spool(handle, spec)
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

    @staticmethod
    def _spool(handle, spec: EntitySpec) -> tuple[IO[bytes], int]:
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        count = 0
        for item in ijson.items(handle, f"{spec.name}.item", use_float=True):
            spool.write(json.dumps(item, separators=(",", ":")).encode())
            spool.write(b"\n")
            count += 1
        spool.seek(0)
        return spool, count

    def close(self) -> None:
        for spool, _count in self.spools.values():
            spool.close()
        self.spools = {}

    def counts(self) -> dict[str, int]:
        return {name: count for name, (_spool, count) in self.spools.items()}

    def entities(self) -> list[EntitySpec]:
        return [spec for spec in ENTITIES if self.spools.get(spec.name, (None, 0))[1]]

    def _items(self, spec: EntitySpec) -> Iterator[RawRow]:
        spool, _count = self.spools[spec.name]
        spool.seek(0)
        for index, line in enumerate(spool):
            ref = Ref(spec.name, index=index)
            item = json.loads(line)
            if not isinstance(item, dict):
                yield RawRow(ref, None, "must be an object")
            else:
                yield RawRow(ref, trim_json(item))

    def scan(self, spec: EntitySpec) -> Scan:
        return _scan(self._items(spec), spec)

    def rows(self, spec: EntitySpec) -> Iterator[RawRow]:
        yield from self._items(spec)


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
