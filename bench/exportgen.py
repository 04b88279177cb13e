"""Writing Buddy System exports: for the tests (broken and odd exports) and the benchmark.

``write_export`` writes rows (dicts in the JSON form of the contract) as a folder
of CSV files, a ``.zip`` or one JSON file, streaming (rows may be generators).
``generate_program`` makes a realistic, deterministic program history of any size.
"""

import csv
import io
import json
import random
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from webhooks.imports.entities import BY_NAME, ENTITIES


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _write_csv(text, name: str, rows: Iterable[dict], columns, line_end: str) -> None:
    columns = list(columns or BY_NAME[name].columns)
    writer = csv.writer(text, lineterminator=line_end)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in columns])


def write_export(
    path: str | Path,
    entities: dict[str, Iterable[dict]],
    *,
    form: str = "folder",
    metadata: dict | None = None,
    columns: dict[str, list[str]] | None = None,
    bom: bool = False,
    crlf: bool = False,
    zip_folder: str = "",
) -> Path:
    """Write ``entities`` (name → rows) at ``path`` as ``folder``, ``zip`` or ``json``."""
    path = Path(path)
    columns = columns or {}
    line_end = "\r\n" if crlf else "\n"
    encoding = "utf-8-sig" if bom else "utf-8"
    if form == "folder":
        path.mkdir(parents=True, exist_ok=True)
        for name, rows in entities.items():
            with open(path / f"{name}.csv", "w", encoding=encoding, newline="") as text:
                _write_csv(text, name, rows, columns.get(name), line_end)
    elif form == "zip":
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, rows in entities.items():
                member = f"{zip_folder}/{name}.csv" if zip_folder else f"{name}.csv"
                with archive.open(member, "w") as binary:
                    text = io.TextIOWrapper(binary, encoding=encoding, newline="")
                    _write_csv(text, name, rows, columns.get(name), line_end)
                    text.flush()
                    text.detach()
    elif form == "json":
        with open(path, "w", encoding="utf-8") as out:
            out.write("{")
            first = True
            if metadata is not None:
                out.write(f'"export_metadata": {json.dumps(metadata)}')
                first = False
            for name, rows in entities.items():
                out.write(("" if first else ",\n") + f'"{name}": [')
                first = False
                for i, row in enumerate(rows):
                    out.write(("\n" if i == 0 else ",\n") + json.dumps(row))
                out.write("]")
            out.write("}\n")
    else:
        raise ValueError(f"unknown form {form!r}")
    return path


# --- A realistic program ----------------------------------------------------------------------

#: One year of a medium program (scale 1).
SIZES = {
    "users": 2400,
    "matches": 6000,
    "events": 24000,
    "event_attendance": 9600,
    "skill_sessions": 6000,
    "checkins": 14400,
    "feedback": 7200,
    "milestones": 4800,
}

_LANGUAGES = ["uk", "ru", "ar", "fa", "en", "de", "tr", "ti", "so", "fr"]
_INTERESTS = ["cooking", "chess", "hiking", "football", "photography", "music", "yoga", "running"]
_CITIES = ["Berlin", "Hamburg", "Munich", "Cologne", "Leipzig", "Potsdam", "Frankfurt"]
_END_REASONS = ["completed"] * 6 + ["participant_request", "buddy_request", "inactivity"]
_MOODS = ["great", "good", "good", "okay", "struggling", "difficult"]
_FORMAL = ["cultural", "educational", "professional", "social", "support", "language"]
_MILESTONES = ["onboarding", "cultural", "language", "community", "buddy-connection"]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max(0, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randint(0, span))


class ProgramHistory:
    """A deterministic program: people and matches kept compactly, activities generated."""

    def __init__(self, *, scale: float = 1.0, seed: int = 7, end: datetime | None = None):
        self.sizes = {k: max(1, round(v * scale)) for k, v in SIZES.items()}
        self.seed = seed
        self.end = end or datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
        self.start = self.end - timedelta(days=365)
        rng = random.Random(seed)
        n = self.sizes["users"]
        # (id, role, joined_at)
        self.users = [
            (
                _uuid(rng),
                "participant" if i % 2 == 0 else "buddy",
                _between(rng, self.start - timedelta(days=30), self.end - timedelta(days=60)),
            )
            for i in range(n)
        ]
        participants = [u for u in self.users if u[1] == "participant"]
        buddies = [u for u in self.users if u[1] == "buddy"]
        # (id, participant, buddy, matched_at, status, ended_at, end_reason)
        self.matches = []
        for _ in range(self.sizes["matches"]):
            p, b = rng.choice(participants), rng.choice(buddies)
            matched = _between(rng, max(p[2], b[2]), self.end - timedelta(days=7))
            roll = rng.random()
            if roll < 0.65:
                ended = min(self.end, matched + timedelta(days=rng.randint(1, 200)))
                status, reason = "ended", rng.choice(_END_REASONS)
            else:
                ended, reason = None, None
                status = "inactive" if roll < 0.70 else "active"
            self.matches.append((_uuid(rng), p[0], b[0], matched, status, ended, reason))

    def _rng(self, entity: str) -> random.Random:
        return random.Random(f"{self.seed}:{entity}")

    def _match_moment(self, rng: random.Random, match) -> datetime:
        return _between(rng, match[3], match[5] or self.end)

    def users_rows(self) -> Iterator[dict]:
        rng = self._rng("users")
        for i, (uid, role, joined) in enumerate(self.users):
            row = {
                "id": uid,
                "email": f"user{i}@example.org",
                "first_name": f"First{i}",
                "last_name": f"Last{i}",
                "role": role,
                "joined_at": _iso(joined),
                "language_preference": rng.sample(_LANGUAGES, 2),
                "interests": rng.sample(_INTERESTS, 3),
                "location": rng.choice(_CITIES),
            }
            if role == "buddy":
                row["company"] = f"Company {rng.randint(1, 40)}"
            yield row

    def matches_rows(self) -> Iterator[dict]:
        rng = self._rng("matches")
        for mid, p, b, matched, status, ended, reason in self.matches:
            row = {
                "match_id": mid,
                "participant_id": p,
                "buddy_id": b,
                "matched_at": _iso(matched),
                "status": status,
                "matching_criteria": {
                    "language": rng.choice(_LANGUAGES),
                    "interests": rng.sample(_INTERESTS, 2),
                    "location": rng.choice(_CITIES),
                },
            }
            if ended:
                row.update(
                    ended_at=_iso(ended),
                    end_reason=reason,
                    duration_days=(ended - matched).days,
                    sessions_completed=rng.randint(0, 20),
                    events_attended=rng.randint(0, 10),
                )
            yield row

    def events_rows(self) -> Iterator[dict]:
        rng = self._rng("events")
        for _ in range(self.sizes["events"]):
            match = rng.choice(self.matches)
            yield {
                "event_id": _uuid(rng),
                "match_id": match[0],
                "event_type": rng.choice(["hangout", "activity", "workshop"]),
                "event_date": _iso(self._match_moment(rng, match)),
                "description": "Coffee and a walk",
                "location": rng.choice(_CITIES),
                "duration_minutes": rng.choice([60, 90, 120, 180]),
                "attendees": [match[1], match[2]],
            }

    def event_attendance_rows(self) -> Iterator[dict]:
        rng = self._rng("event_attendance")
        per_event = 10
        for _ in range(max(1, self.sizes["event_attendance"] // per_event)):
            event_id, moment = _uuid(rng), _between(rng, self.start, self.end)
            kind = rng.choice(_FORMAL)
            for user in rng.sample(self.users, min(per_event, len(self.users))):
                yield {
                    "event_id": event_id,
                    "user_id": user[0],
                    "event_title": f"{kind.title()} evening",
                    "event_type": kind,
                    "event_format": rng.choice(["in-person", "online", "hybrid"]),
                    "attended_at": _iso(moment),
                    "location": rng.choice(_CITIES),
                    "duration_minutes": 120,
                    "attendee_count": per_event,
                    "organizer": "Buddy Program",
                    "categories": ["community"],
                    "sdg_goals": [10, 11],
                }

    def skill_sessions_rows(self) -> Iterator[dict]:
        rng = self._rng("skill_sessions")
        for _ in range(self.sizes["skill_sessions"]):
            match = rng.choice(self.matches)
            yield {
                "session_id": _uuid(rng),
                "skill_id": rng.randint(1, 60),
                "skill_name": "CV Writing",
                "skill_category": "professional",
                "teacher_id": match[2],
                "learner_id": match[1],
                "match_id": match[0],
                "completed_at": _iso(self._match_moment(rng, match)),
                "duration_minutes": 60,
                "format": "online",
                "proficiency_level": "beginner",
                "feedback": {
                    "teacher_rating": round(rng.uniform(0.4, 1), 2),
                    "learner_rating": round(rng.uniform(0.4, 1), 2),
                    "learner_progress": "good-progress",
                },
                "sdg_goals": [4, 8],
                "valuation_points": 15,
            }

    def checkins_rows(self) -> Iterator[dict]:
        rng = self._rng("checkins")
        for _ in range(self.sizes["checkins"]):
            match = rng.choice(self.matches)
            yield {
                "checkin_id": _uuid(rng),
                "match_id": match[0],
                "checkin_date": _iso(self._match_moment(rng, match)),
                "mood": rng.choice(_MOODS),
                "notes": "Settling in.",
                "question_responses": {"feels_supported": rng.choice(["yes", "no"])},
            }

    def feedback_rows(self) -> Iterator[dict]:
        rng = self._rng("feedback")
        for _ in range(self.sizes["feedback"]):
            match = rng.choice(self.matches)
            yield {
                "feedback_id": _uuid(rng),
                "match_id": match[0],
                "from_role": rng.choice(["participant", "buddy"]),
                "rating": round(rng.uniform(0.3, 1), 2),
                "feedback_text": "Helpful.",
                "submitted_at": _iso(self._match_moment(rng, match)),
                "categories": {"communication": 0.9, "helpfulness": 0.8, "engagement": 0.7},
            }

    def milestones_rows(self) -> Iterator[dict]:
        rng = self._rng("milestones")
        for i in range(self.sizes["milestones"]):
            match = rng.choice(self.matches)
            moment = self._match_moment(rng, match) - timedelta(seconds=i)
            yield {
                "milestone_id": rng.randint(1, 30),
                "user_id": match[1],
                "milestone_title": "First Match",
                "milestone_category": rng.choice(_MILESTONES),
                "reached_at": _iso(moment),
                "points": 50,
                "progress": {"current_step": 1, "total_steps": 1, "completed_steps": ["s1"]},
                "metadata": {
                    "is_first_time": True,
                    "streak_count": 1,
                    "related_entities": [{"type": "match", "id": match[0]}],
                },
            }

    def entities(self) -> dict[str, Iterator[dict]]:
        return {spec.name: getattr(self, f"{spec.name}_rows")() for spec in ENTITIES}

    def metadata(self) -> dict:
        return {
            "export_id": str(uuid.UUID(int=self.seed, version=4)),
            "export_date": _iso(self.end),
            "program_name": "Buddy Program",
            "date_range": {
                "start": self.start.date().isoformat(),
                "end": self.end.date().isoformat(),
            },
            "record_counts": {
                "users": len(self.users),
                "matches": len(self.matches),
                "events": self.sizes["events"],
                "event_attendance": (self.sizes["event_attendance"] // 10) * 10,
                "skill_sessions": self.sizes["skill_sessions"],
                "checkins": self.sizes["checkins"],
                "feedback": self.sizes["feedback"],
                "milestones": self.sizes["milestones"],
            },
        }

    def write(self, path: str | Path, *, form: str = "folder") -> Path:
        return write_export(path, self.entities(), form=form, metadata=self.metadata())
