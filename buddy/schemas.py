"""One validation schema per Buddy System entity, shared by webhooks and imports: field
names, the validation context (``warnings``, ``text_cells``) and bounds taken from the
columns the values are stored in. Messages never echo the input (it may hold personal
data). Details: docs/architecture.md, "One schema per Buddy System entity".
"""

import functools
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from django.conf import settings
from django.core.signals import setting_changed
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.dispatch import receiver
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from buddy.models import (
    Company,
    EventAttendance,
    ExternalId,
    InformalEvent,
    Match,
    MilestoneAchievement,
    Person,
    SkillSession,
)
from buddy.models.choices import EndReason, FormalEventType, InformalEventType, MilestoneCategory
from core.errors import FieldError


@dataclass(frozen=True)
class SchemaWarning:
    """A value accepted with a warning: ``kind`` is ``enum_drift`` or ``new_event_type``."""

    kind: str
    field: str
    value: str

    def message(self) -> str:
        if self.kind == "enum_drift":
            return f"{self.field}: unknown value {self.value!r} stored as 'other'"
        return f"{self.field}: new value {self.value!r} accepted"


_BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _bare_date_is_midnight_utc(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if _BARE_DATE.match(value):
            return f"{value}T00:00:00Z"
    return value


#: The refusal of a date after now (plus the tolerance): the one rule whose verdict on the
#: same value changes with time (``webhooks.imports.settled`` does not replay it).
FUTURE_MESSAGE = "must not be in the future"

#: (POSIX second it was computed in, tolerance, latest accepted instant). It runs for every
#: date of every imported row, so "now + tolerance" is built at most once a second, not per
#: value; the tolerance setting is re-read each second too (tests override it).
_future_limit: tuple[int, float, datetime] = (0, 0.0, datetime.min.replace(tzinfo=UTC))


#: The earliest instant any date of the Buddy System may name (a program's data starts long
#: after it; earlier years are typos or placeholders, and year 1 overflows time arithmetic).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


def _in_accepted_range(value: datetime) -> datetime:
    """Not before ``EARLIEST``, not more than the tolerance in the future (one rule for
    webhooks, imports and the API)."""
    global _future_limit
    if value < EARLIEST:
        raise ValueError("must not be before 1970-01-01")
    second = int(time.time())
    if second != _future_limit[0]:
        tolerance = settings.BUDDY_FUTURE_TOLERANCE_SECONDS
        _future_limit = (second, tolerance, datetime.fromtimestamp(second + 1 + tolerance, UTC))
    if value > _future_limit[2]:
        raise ValueError(FUTURE_MESSAGE)
    return value


@receiver(setting_changed)
def _tolerance_changed(*, setting: str, **kwargs) -> None:
    global _future_limit
    if setting == "BUDDY_FUTURE_TOLERANCE_SECONDS":
        _future_limit = (0, 0.0, _future_limit[2])


def _warn(info: ValidationInfo, kind: str, value: str) -> None:
    sink = (info.context or {}).get("warnings")
    if sink is not None:
        sink.append(SchemaWarning(kind=kind, field=info.field_name or "", value=value[:60]))


def _drift_to_other(choices):
    allowed = frozenset(choices.values)

    def validate(value: Any, info: ValidationInfo) -> Any:
        if value is None or not isinstance(value, str):
            return value
        value = value.strip()
        if value in allowed:
            return value
        _warn(info, "enum_drift", value)
        return "other"

    return BeforeValidator(validate)


_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def _event_type_slug(value: str, info: ValidationInfo) -> str:
    if not _SLUG.match(value):
        raise ValueError("must be a slug (lowercase letters, digits, '-' or '_')")
    if value not in InformalEventType.KNOWN:
        _warn(info, "new_event_type", value)
    return value


def _one_or_many(value: Any) -> Any:
    """A single value where a list is expected becomes a one-element list."""
    if isinstance(value, str):
        return [value]
    return value


def _text_cells(info: ValidationInfo) -> bool:
    return bool((info.context or {}).get("text_cells"))


def _json_number(value: Any, info: ValidationInfo) -> Any:
    """Numbers are JSON numbers; only a CSV cell (text) may spell one as a string."""
    kind = value.__class__
    if kind is int or kind is float or (kind is str and _text_cells(info)):  # common first
        return value
    if isinstance(value, bool | str):
        raise PydanticCustomError("number_type", "Input should be a JSON number")
    return value


def _json_boolean(value: Any, info: ValidationInfo) -> Any:
    if value is None or isinstance(value, bool) or (isinstance(value, str) and _text_cells(info)):
        return value
    raise PydanticCustomError("bool_type", "Input should be a JSON boolean")


#: Integer ranges by column type (Django's table; PostgreSQL enforces exactly these).
_INTEGER_RANGES = BaseDatabaseOperations.integer_field_ranges
#: Integers kept inside JSON columns (progress steps, streaks) have no column type of their
#: own: they get a 32-bit integer's range, so every reader can cast them.
JSON_INTEGER_RANGE = _INTEGER_RANGES["IntegerField"]


def _bounds(model: type[models.Model], name: str) -> dict[str, int]:
    model_field = model._meta.get_field(name)
    bounds: dict[str, int] = {}
    limits = _INTEGER_RANGES.get(model_field.get_internal_type())
    if limits is not None:
        bounds.update(ge=limits[0], le=limits[1])
    if getattr(model_field, "max_length", None):
        bounds["max_length"] = model_field.max_length
    if not bounds:
        raise ValueError(f"{model.__name__}.{name} has no bounds to apply")
    return bounds


def column(model: type[models.Model], name: str) -> Any:
    """The bounds of the column a value is stored in: an integer column's range, a string
    column's ``max_length`` (a text column has none)."""
    return Field(**_bounds(model, name))


Number = BeforeValidator(_json_number)
JsonInt = Annotated[int, Number, Field(ge=JSON_INTEGER_RANGE[0], le=JSON_INTEGER_RANGE[1])]
JsonBool = Annotated[bool, BeforeValidator(_json_boolean)]

Timestamp = Annotated[
    AwareDatetime, BeforeValidator(_bare_date_is_midnight_utc), AfterValidator(_in_accepted_range)
]

#: A bound of a date range in a query (filters): the same form and earliest date as
#: ``Timestamp``, but it may lie in the future ("before next week"), up to ``LATEST_BOUND``.
LATEST_BOUND = datetime(2100, 1, 1, tzinfo=UTC)


def _in_bound_range(value: datetime) -> datetime:
    if value < EARLIEST:
        raise ValueError("must not be before 1970-01-01")
    if value >= LATEST_BOUND:
        raise ValueError("must be before 2100-01-01")
    return value


TimestampBound = Annotated[
    AwareDatetime, BeforeValidator(_bare_date_is_midnight_utc), AfterValidator(_in_bound_range)
]
Rating = Annotated[float, Number, Field(ge=0, le=1, allow_inf_nan=False)]
Sdg = Annotated[int, Number, Field(ge=1, le=17)]
Text = Annotated[str, Field(min_length=1)]


def Count(model: type[models.Model], name: str) -> Any:
    """An integer ≥ 0 stored in ``model.name``: a JSON number within the column's range."""
    bounds = _bounds(model, name)
    return Annotated[int, Number, Field(ge=max(0, bounds["ge"]), le=bounds["le"])]


def Chars(model: type[models.Model], name: str, *, required: bool = False) -> Any:
    """A string stored in ``model.name``: at most the column's ``max_length``."""
    bounds = _bounds(model, name)
    if required:
        bounds["min_length"] = 1
    return Annotated[str, Field(**bounds)]


Format = Literal["in-person", "online", "hybrid"]


class Schema(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="ignore",
        str_strip_whitespace=True,
        frozen=True,
    )

    def stored(self) -> dict:
        """The snake_case JSON form kept in the database (no nulls)."""
        return self.model_dump(mode="json", exclude_none=True)


# --- Users and matches --------------------------------------------------------------------


class UserRecord(Schema):
    id: UUID
    email: Annotated[
        str, Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$"), column(Person, "email")
    ]
    first_name: Chars(Person, "first_name", required=True)
    last_name: Chars(Person, "last_name", required=True)
    role: Literal["participant", "buddy"]
    joined_at: Timestamp
    language_preference: Annotated[list[Text], BeforeValidator(_one_or_many)] = []
    interests: list[Text] = []
    location: Chars(Person, "location") | None = None
    company: Chars(Company, "name") | None = None


class MatchingCriteria(Schema):
    model_config = ConfigDict(extra="allow")

    language: str | None = None
    interests: list[str] | None = None
    location: str | None = None


class MatchCreatedRecord(Schema):
    """``buddy.match.created`` data."""

    match_id: UUID
    participant_id: UUID
    buddy_id: UUID
    matched_at: Timestamp
    matching_criteria: MatchingCriteria | None = None


class MatchEndedRecord(Schema):
    """``buddy.match.ended`` data."""

    match_id: UUID
    ended_at: Timestamp
    end_reason: Annotated[str, _drift_to_other(EndReason)]
    duration_days: Count(Match, "duration_days") | None = None
    sessions_completed: Count(Match, "sessions_completed") | None = None
    events_attended: Count(Match, "events_attended") | None = None


class MatchRecord(Schema):
    """A ``matches.csv`` row: the whole match as the Buddy System last saw it."""

    match_id: UUID
    participant_id: UUID
    buddy_id: UUID
    matched_at: Timestamp
    status: Literal["active", "inactive", "ended"]
    ended_at: Timestamp | None = None
    matching_criteria: MatchingCriteria | None = None
    duration_days: Count(Match, "duration_days") | None = None
    end_reason: Annotated[str | None, _drift_to_other(EndReason)] = None
    sessions_completed: Count(Match, "sessions_completed") | None = None
    events_attended: Count(Match, "events_attended") | None = None


# --- Activities ---------------------------------------------------------------------------


class InformalEventRecord(Schema):
    """``buddy.event.logged`` data / an ``events.csv`` row."""

    event_id: UUID
    match_id: UUID
    event_type: Annotated[
        str, column(InformalEvent, "event_type"), AfterValidator(_event_type_slug)
    ]
    event_date: Timestamp
    description: str | None = None
    location: Chars(InformalEvent, "location") | None = None
    duration_minutes: Count(InformalEvent, "duration_minutes") | None = None
    attendees: list[UUID] = []


class AttendanceRecord(Schema):
    """``buddy.event.attended`` data / an ``event_attendance.csv`` row."""

    event_id: UUID
    user_id: UUID
    match_id: UUID | None = None
    event_title: Chars(EventAttendance, "event_title", required=True)
    event_type: Annotated[str, _drift_to_other(FormalEventType)]
    event_format: Format
    attended_at: Timestamp
    location: Chars(EventAttendance, "location") | None = None
    duration_minutes: Count(EventAttendance, "duration_minutes") | None = None
    attendee_count: Count(EventAttendance, "attendee_count") | None = None
    organizer: Chars(EventAttendance, "organizer") | None = None
    categories: list[str] = []
    sdg_goals: list[Sdg] = []


class SkillFeedback(Schema):
    teacher_rating: Rating | None = None
    learner_rating: Rating | None = None
    teacher_comment: str | None = None
    learner_comment: str | None = None
    learner_progress: (
        Literal["no-progress", "some-progress", "good-progress", "excellent-progress"] | None
    ) = None


class SkillSessionRecord(Schema):
    """``buddy.skill_share.completed`` data / a ``skill_sessions.csv`` row."""

    session_id: UUID
    skill_id: Count(SkillSession, "skill_id")
    skill_name: Chars(SkillSession, "skill_name", required=True)
    skill_category: Chars(SkillSession, "skill_category") | None = None
    teacher_id: UUID
    learner_id: UUID
    match_id: UUID | None = None
    completed_at: Timestamp
    scheduled_at: Timestamp | None = None
    duration_minutes: Count(SkillSession, "duration_minutes") | None = None
    format: Format | None = None
    proficiency_level: Literal["beginner", "intermediate", "advanced"] | None = None
    feedback: SkillFeedback | None = None
    sdg_goals: list[Sdg] = []
    valuation_points: Count(SkillSession, "valuation_points") | None = None


class CheckInRecord(Schema):
    """``buddy.checkin.completed`` data / a ``checkins.csv`` row."""

    checkin_id: UUID
    match_id: UUID
    checkin_date: Timestamp
    mood: Literal["great", "good", "okay", "struggling", "difficult"] | None = None
    notes: str | None = None
    question_responses: dict[str, Any] | None = None


class FeedbackCategories(Schema):
    communication: Rating | None = None
    helpfulness: Rating | None = None
    engagement: Rating | None = None


class FeedbackRecord(Schema):
    """``buddy.feedback.submitted`` data / a ``feedback.csv`` row."""

    feedback_id: UUID
    match_id: UUID
    from_role: Literal["participant", "buddy"]
    rating: Rating
    feedback_text: str | None = None
    submitted_at: Timestamp
    categories: FeedbackCategories | None = None


class MilestoneProgress(Schema):
    model_config = ConfigDict(extra="allow")

    current_step: JsonInt | None = None
    total_steps: JsonInt | None = None
    completed_steps: list[str] | None = None


class RelatedEntity(Schema):
    type: str
    id: Annotated[str, column(ExternalId, "external_id")]


class MilestoneMetadata(Schema):
    model_config = ConfigDict(extra="allow")

    is_first_time: JsonBool | None = None
    streak_count: JsonInt | None = None
    related_entities: list[RelatedEntity] | None = None


class MilestoneRecord(Schema):
    """``buddy.milestone.reached`` data / a ``milestones.csv`` row."""

    milestone_id: Count(MilestoneAchievement, "milestone_id")
    user_id: UUID
    milestone_title: Chars(MilestoneAchievement, "milestone_title", required=True)
    milestone_category: Annotated[str, _drift_to_other(MilestoneCategory)]
    reached_at: Timestamp
    points: Count(MilestoneAchievement, "points")
    badge_icon: Chars(MilestoneAchievement, "badge_icon") | None = None
    target_role: Literal["participant", "buddy", "all"] | None = None
    progress: MilestoneProgress | None = None
    metadata: MilestoneMetadata | None = None


# --- Validation entry point ---------------------------------------------------------------


#: Messages replaced because pydantic's would quote part of the input.
_MESSAGES = {
    "uuid_parsing": "Input should be a valid UUID",
    "uuid_type": "Input should be a valid UUID",
    "string_pattern_mismatch": "Input is not in the expected format",
}


def field_errors(
    exc: ValidationError, *, prefix: str = "", camel: bool = False
) -> list[FieldError]:
    """Every error of a pydantic validation, as dotted paths (never the input value)."""
    errors = []
    for error in exc.errors(include_input=False, include_url=False):
        parts = [to_camel(p) if camel and isinstance(p, str) else str(p) for p in error["loc"]]
        path = ".".join(filter(None, [prefix, *parts]))
        message = _MESSAGES.get(error["type"]) or error["msg"].removeprefix("Value error, ")
        errors.append(FieldError(path=path or prefix, message=message))
    return errors


T = TypeVar("T", bound=Schema)


def validate_record(
    schema: type[T],
    data: Any,
    *,
    warnings: list[SchemaWarning] | None = None,
    text_cells: bool = False,
) -> T:
    """Validate one record; raise ``ValidationFailed`` listing every error by field path."""
    from core.errors import ValidationFailed

    try:
        return schema.model_validate(data, context={"warnings": warnings, "text_cells": text_cells})
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None


@functools.cache
def _field_adapter(schema: type[Schema], name: str) -> TypeAdapter:
    info = schema.model_fields[name]
    # its type and rules (the metadata), not its alias
    return TypeAdapter(
        Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    )


def validate_fields(schema: type[Schema], values: dict[str, Any]) -> dict[str, Any]:
    """Validate some fields of a record by the schema's own definitions of them: for the
    forms and the API that set these columns without a whole record (the admin, a
    coordinator's proposal), so their rules and messages are the webhooks' and imports'.
    Raise ``ValidationFailed`` listing every error under its field name."""
    from core.errors import ValidationFailed

    valid, errors = {}, []
    for name, value in values.items():
        try:
            valid[name] = _field_adapter(schema, name).validate_python(
                value, context={"warnings": None, "text_cells": False}
            )
        except ValidationError as exc:
            errors += field_errors(exc, prefix=name)
    if errors:
        raise ValidationFailed(errors)
    return valid
