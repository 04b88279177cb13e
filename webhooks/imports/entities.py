"""The eight entity files of an export: columns, cell kinds, required columns, keys, schema.

Cell kinds say how a CSV cell (always text) becomes the value the schema
validates: ``array`` cells are ``;``-separated, ``object`` cells hold JSON text,
everything else is passed as trimmed text (the schemas parse numbers, UUIDs and
dates from strings).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from buddy.schemas import (
    AttendanceRecord,
    CheckInRecord,
    FeedbackRecord,
    InformalEventRecord,
    MatchRecord,
    MilestoneRecord,
    Schema,
    SkillSessionRecord,
    UserRecord,
)

ARRAY, OBJECT, TEXT = "array", "object", "text"


@dataclass(frozen=True)
class EntitySpec:
    name: str
    schema: type[Schema]
    columns: dict[str, str]
    required: tuple[str, ...]
    key: tuple[str, ...]

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"


def _columns(text: str, **kinds: str) -> dict[str, str]:
    return {name: kinds.get(name, TEXT) for name in text.split()}


#: In import order: users, then matches, then everything that refers to them.
ENTITIES: tuple[EntitySpec, ...] = (
    EntitySpec(
        "users",
        UserRecord,
        _columns(
            "id email first_name last_name role joined_at language_preference interests "
            "location company",
            language_preference=ARRAY,
            interests=ARRAY,
        ),
        required=("id", "email", "first_name", "last_name", "role", "joined_at"),
        key=("id",),
    ),
    EntitySpec(
        "matches",
        MatchRecord,
        _columns(
            "match_id participant_id buddy_id matched_at status ended_at matching_criteria "
            "duration_days end_reason sessions_completed events_attended",
            matching_criteria=OBJECT,
        ),
        required=("match_id", "participant_id", "buddy_id", "matched_at", "status"),
        key=("match_id",),
    ),
    EntitySpec(
        "events",
        InformalEventRecord,
        _columns(
            "event_id match_id event_type event_date description location duration_minutes "
            "attendees",
            attendees=ARRAY,
        ),
        required=("event_id", "match_id", "event_type", "event_date"),
        key=("event_id",),
    ),
    EntitySpec(
        "event_attendance",
        AttendanceRecord,
        _columns(
            "event_id user_id match_id event_title event_type event_format attended_at location "
            "duration_minutes attendee_count organizer categories sdg_goals",
            categories=ARRAY,
            sdg_goals=ARRAY,
        ),
        required=(
            "event_id",
            "user_id",
            "event_title",
            "event_type",
            "event_format",
            "attended_at",
        ),
        key=("event_id", "user_id"),
    ),
    EntitySpec(
        "skill_sessions",
        SkillSessionRecord,
        _columns(
            "session_id skill_id skill_name skill_category teacher_id learner_id match_id "
            "completed_at scheduled_at duration_minutes format proficiency_level feedback "
            "sdg_goals valuation_points",
            feedback=OBJECT,
            sdg_goals=ARRAY,
        ),
        required=(
            "session_id",
            "skill_id",
            "skill_name",
            "teacher_id",
            "learner_id",
            "completed_at",
        ),
        key=("session_id",),
    ),
    EntitySpec(
        "checkins",
        CheckInRecord,
        _columns(
            "checkin_id match_id checkin_date mood notes question_responses",
            question_responses=OBJECT,
        ),
        required=("checkin_id", "match_id", "checkin_date"),
        key=("checkin_id",),
    ),
    EntitySpec(
        "feedback",
        FeedbackRecord,
        _columns(
            "feedback_id match_id from_role rating feedback_text submitted_at categories",
            categories=OBJECT,
        ),
        required=("feedback_id", "match_id", "from_role", "rating", "submitted_at"),
        key=("feedback_id",),
    ),
    EntitySpec(
        "milestones",
        MilestoneRecord,
        _columns(
            "milestone_id user_id milestone_title milestone_category reached_at points "
            "badge_icon target_role progress metadata",
            progress=OBJECT,
            metadata=OBJECT,
        ),
        required=(
            "milestone_id",
            "user_id",
            "milestone_title",
            "milestone_category",
            "reached_at",
            "points",
        ),
        key=("milestone_id", "user_id", "reached_at"),
    ),
)

BY_NAME: dict[str, EntitySpec] = {spec.name: spec for spec in ENTITIES}
FILE_NAMES: dict[str, EntitySpec] = {spec.file_name: spec for spec in ENTITIES}


#: Key columns holding a date-time: ``Z``, ``+00:00`` and other offsets name one instant.
TIME_KEYS = frozenset({"reached_at"})


def _instant(text: str) -> str:
    """A date-time as its UTC ISO form (a bare date is midnight UTC); unparseable text as is
    (the schema rejects it)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return text
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def row_key(spec: EntitySpec, data: dict) -> tuple[str, ...]:
    """The contract key of a raw row, normalised enough to find repeats of it in one export
    (trimmed, case-insensitive; date-times compared as instants)."""
    key = []
    for name in spec.key:
        value = data.get(name)
        part = "" if value is None else str(value).strip().lower()
        if part and name in TIME_KEYS:
            part = _instant(part.upper())
        key.append(part)
    return tuple(key)
