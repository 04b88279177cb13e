"""The report of one import: counts per entity, then every warning and rejection.

Lines read ``file:line: reason`` (CSV) or ``entity[index].field: reason`` (JSON).
A rejection is structured (``Rejection``: where, the code and the message of the rule
that refused the row, the same code as the API's and the webhooks'). They carry ids,
field names and fixed messages only: never an email, a name or free text from the export.
"""

from dataclasses import dataclass, field

from buddy.services.common import Outcome
from core.errors import DomainError
from webhooks.imports.readers import Ref

#: Codes of the refusals that are the importer's own (the rules' codes are buddy.rules').
ROW_UNREADABLE = "import.row_unreadable"
ROW_INVALID = "validation.failed"
ROW_REFUSED_BY_DATABASE = "import.refused_by_database"
FILE_REJECTED = "import.file_rejected"
MORE_REJECTIONS = "import.more_rejections"


@dataclass(frozen=True)
class Rejection:
    """One rejected row (or file): where it is, the refusing rule's code and its message."""

    ref: Ref
    code: str
    message: str
    path: str = ""

    @classmethod
    def of(cls, ref: Ref, exc: DomainError) -> "Rejection":
        """A rule's refusal (``buddy.rules``) of the row at ``ref``: its code and message,
        at the field it names."""
        return cls(ref, exc.code, exc.message, exc.errors[0].path if exc.errors else "")

    def __str__(self) -> str:
        if self.ref.line is None and self.ref.index is None:
            return f"{self.ref.file}: {self.message}"
        return self.ref.says(self.message, self.path)

    def as_dict(self) -> dict:
        """The stored form (``ImportRun.rejections``, the API): ``line`` for CSV rows,
        ``index`` for the JSON form."""
        where = {"file": self.ref.file, "line": self.ref.line}
        if self.ref.index is not None:
            where["index"] = self.ref.index
        return {**where, "path": self.path, "code": self.code, "message": self.message}


def rejection_text(stored: dict | str) -> str:
    """A stored rejection as one readable line: ``file:line: field: message [code]``
    (rows stored before rejections had codes are plain lines)."""
    if isinstance(stored, str):
        return stored
    ref = Ref(stored.get("file", ""), stored.get("line"), stored.get("index"))
    where = Rejection(
        ref, stored.get("code", ""), stored.get("message", ""), stored.get("path", "")
    )
    code = stored.get("code")
    return f"{where} [{code}]" if code else str(where)


def rejection_summary(stored: list) -> list[dict]:
    """Stored rejections counted by file and code (``{"file", "code", "count"}``, the most
    frequent first), for the report's overview; lines stored as plain text count as one
    file-less, code-less group."""
    counts: dict[tuple[str, str], int] = {}
    for row in stored:
        if isinstance(row, dict):
            if row.get("code") == MORE_REJECTIONS:
                continue
            key = (row.get("file", ""), row.get("code", ""))
        else:
            key = ("", "")
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"file": f, "code": c, "count": n} for (f, c), n in ranked]


#: A report keeps at most this many lines of each kind (the counts stay exact).
MAX_LINES = 5000

OUTCOMES = ("created", "updated", "unchanged", "rejected")


@dataclass
class Lines:
    items: list[str] = field(default_factory=list)
    dropped: int = 0

    def add(self, line: str) -> None:
        if len(self.items) < MAX_LINES:
            self.items.append(line)
        else:
            self.dropped += 1

    def extend(self, lines) -> None:
        for line in lines:
            self.add(line)

    def as_list(self) -> list[str]:
        """The lines as text (a rejection: ``file:line: field: message``)."""
        if self.dropped:
            return [*map(str, self.items), f"… and {self.dropped} more"]
        return [str(item) for item in self.items]

    def as_records(self) -> list[dict]:
        """Rejections as stored: one ``Rejection.as_dict()`` each."""
        records = [item.as_dict() for item in self.items]
        if self.dropped:
            more = f"… and {self.dropped} more"
            records.append(Rejection(Ref(""), MORE_REJECTIONS, more).as_dict())
        return records

    def __len__(self) -> int:
        return len(self.items) + self.dropped


@dataclass
class BatchResult:
    """What writing one batch did; merged into the report only once the batch committed."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)
    person_ids: set[int] = field(default_factory=set)
    arrived_people: list[str] = field(default_factory=list)
    arrived_matches: list[str] = field(default_factory=list)
    #: Earlier rows of rejected rows' keys, to write in their place.
    fallbacks: list = field(default_factory=list)
    #: PostgreSQL's staged upsert (``settled``): the keys it wrote, whether a key repeated
    #: in the batch, how many rows it inserted and by how much it moved the sum of the
    #: table's row versions (``batch._row_version``: new versions in, replaced ones out).
    keys: list = field(default_factory=list)
    repeated: bool = False
    added: int = 0
    versions: int = 0

    def count(self, outcome: Outcome | str, weight: int = 1) -> None:
        """``weight`` > 1: the row also stands for earlier rows of the same key in the export.
        The first of them created the row, the later ones updated it."""
        outcome = str(outcome)
        if outcome == Outcome.CREATED and weight > 1:
            self.counts["created"] += 1
            self.counts["updated"] += weight - 1
        else:
            self.counts[outcome] += weight

    def reject(self, rejection: Rejection, weight: int = 1) -> None:
        self.counts["rejected"] += weight
        self.rejections.append(rejection)

    def reject_item(self, item, refused: Rejection | DomainError) -> None:
        """A writer refuses this row (an unknown reference, a rule, the database): the row
        alone is rejected, and the valid row before it with the same key is written instead
        (as when a later row is rejected for a bad value)."""
        if isinstance(refused, DomainError):
            refused = Rejection.of(item.ref, refused)
        self.reject(refused)
        if item.earlier is not None:
            self.fallbacks.append(item.earlier)

    def absorb(self, other: "BatchResult") -> None:
        for key, value in other.counts.items():
            self.counts[key] += value
        self.rejections += other.rejections
        self.warnings += other.warnings
        self.merges += other.merges
        self.person_ids |= other.person_ids
        self.arrived_people += other.arrived_people
        self.arrived_matches += other.arrived_matches
        self.fallbacks += other.fallbacks
        self.keys += other.keys
        self.repeated = self.repeated or other.repeated
        self.added += other.added
        self.versions += other.versions


@dataclass
class ImportReport:
    form: str = ""
    dry_run: bool = False
    entities: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: Lines = field(default_factory=Lines)
    rejections: Lines = field(default_factory=Lines)
    merges: Lines = field(default_factory=Lines)
    files_rejected: list[str] = field(default_factory=list)
    #: Set when the import could not run (every file rejected); the command exits non-zero.
    fatal: str = ""
    flags: dict = field(default_factory=dict)
    enrollments_changed: int = 0
    duration_seconds: float = 0.0

    def entity(self, name: str) -> dict[str, int]:
        return self.entities.setdefault(name, {**dict.fromkeys(OUTCOMES, 0), "total": 0})

    def merge(self, name: str, result: BatchResult) -> None:
        counts = self.entity(name)
        for key, value in result.counts.items():
            counts[key] += value
        self.rejections.extend(result.rejections)
        self.warnings.extend(result.warnings)
        self.merges.extend(result.merges)

    def reject_file(self, file_name: str, reason: str) -> None:
        self.files_rejected.append(file_name)
        self.rejections.add(Rejection(Ref(file_name), FILE_REJECTED, f"file rejected: {reason}"))

    @property
    def rows_total(self) -> int:
        return sum(c["total"] for c in self.entities.values())

    def as_dict(self) -> dict:
        return {
            "form": self.form,
            "dry_run": self.dry_run,
            "counts": self.entities,
            "warnings": self.warnings.as_list(),
            "rejections": self.rejections.as_records(),
            "merges": self.merges.as_list(),
            "files_rejected": self.files_rejected,
            "fatal": self.fatal,
            "flags": self.flags,
            "enrollments_changed": self.enrollments_changed,
            "duration_seconds": round(self.duration_seconds, 3),
        }

    def render(self) -> str:
        """The report as text (the management command prints it)."""
        out = [
            f"Import of a Buddy System export ({self.form}{', dry run' if self.dry_run else ''})"
        ]
        out.append(f"{'entity':<18}{'created':>9}{'updated':>9}{'unchanged':>11}{'rejected':>10}")
        for name, c in self.entities.items():
            out.append(
                f"{name:<18}{c['created']:>9}{c['updated']:>9}{c['unchanged']:>11}{c['rejected']:>10}"
            )
        for title, lines in (
            ("Merged people", self.merges),
            ("Warnings", self.warnings),
            ("Rejected", self.rejections),
        ):
            if len(lines):
                out.append(f"{title} ({len(lines)}):")
                texts = (
                    [rejection_text(r) for r in lines.as_records()]
                    if lines is self.rejections
                    else lines.as_list()
                )
                out.extend(f"  {line}" for line in texts)
        if self.flags:
            out.append("Flags:")
            out.extend(f"  {line}" for line in flag_lines(self.flags))
        out.append(f"Enrollments changed: {self.enrollments_changed}")
        out.append(f"Duration: {self.duration_seconds:.2f} s")
        return "\n".join(out)


def flag_lines(flags: dict) -> list[str]:
    lines = []
    zero = flags.get("zero_duration_matches", {})
    lines.append(f"zero-duration matches: {zero.get('count', 0)}")
    stale = flags.get("active_without_feedback", {})
    days, count = stale.get("days", 90), stale.get("count", 0)
    lines.append(f"matches active over {days} days without feedback: {count}")
    negative = flags.get("negative_feedback", {})
    if negative:
        state = "FLAGGED" if negative.get("flagged") else "ok"
        lines.append(
            f"feedback below 0.5: {negative['negative']}/{negative['total']} "
            f"({negative['share']:.0%}) {state}"
        )
    for name, count in flags.get("orphaned_references", {}).items():
        lines.append(f"{name.replace('_', ' ')}: {count}")
    return lines
