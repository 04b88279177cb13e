"""One validation schema per Buddy System entity, shared by webhooks and imports.

Field names are the export's snake_case; the webhook's camelCase names are
accepted as aliases, so ``buddy.event.logged`` data and an ``events.csv`` row are
validated by the same ``InformalEventRecord``. Objects inside records are stored
in their snake_case form whatever form they arrived in.

Validation context (``model_validate(data, context=...)``):
  ``warnings``: a list that collects ``SchemaWarning`` (enum drift, new event types).

Messages never echo the input: it may hold personal data.
"""

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.alias_generators import to_camel

from buddy.errors import FieldError
from buddy.models.choices import EndReason, FormalEventType, InformalEventType, MilestoneCategory


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


#: (POSIX second it was computed in, tolerance, latest accepted instant). It runs for every
#: date of every imported row, so "now + tolerance" is built at most once a second, not per
#: value; the tolerance setting is re-read each second too (tests override it).
_future_limit: tuple[int, float, datetime] = (0, 0.0, datetime.min.replace(tzinfo=UTC))


def _not_in_future(value: datetime) -> datetime:
    global _future_limit
    second = int(time.time())
    if second != _future_limit[0]:
        tolerance = settings.BUDDY_FUTURE_TOLERANCE_SECONDS
        _future_limit = (second, tolerance, datetime.fromtimestamp(second + 1 + tolerance, UTC))
    if value > _future_limit[2]:
        raise ValueError("must not be in the future")
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


Timestamp = Annotated[
    AwareDatetime, BeforeValidator(_bare_date_is_midnight_utc), AfterValidator(_not_in_future)
]
Rating = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Sdg = Annotated[int, Field(ge=1, le=17)]
Count = Annotated[int, Field(ge=0)]
Text = Annotated[str, Field(min_length=1)]
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
    email: Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
    first_name: Text
    last_name: Text
    role: Literal["participant", "buddy"]
    joined_at: Timestamp
    language_preference: Annotated[list[Text], BeforeValidator(_one_or_many)] = []
    interests: list[Text] = []
    location: str | None = None
    company: str | None = None


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
    duration_days: Count | None = None
    sessions_completed: Count | None = None
    events_attended: Count | None = None


class MatchRecord(Schema):
    """A ``matches.csv`` row: the whole match as the Buddy System last saw it."""

    match_id: UUID
    participant_id: UUID
    buddy_id: UUID
    matched_at: Timestamp
    status: Literal["active", "inactive", "ended"]
    ended_at: Timestamp | None = None
    matching_criteria: MatchingCriteria | None = None
    duration_days: Count | None = None
    end_reason: Annotated[str | None, _drift_to_other(EndReason)] = None
    sessions_completed: Count | None = None
    events_attended: Count | None = None

    @model_validator(mode="after")
    def _ends_after_start(self):
        if self.ended_at is not None and self.ended_at < self.matched_at:
            raise ValueError("ended_at must not be before matched_at")
        return self


# --- Activities ---------------------------------------------------------------------------


class InformalEventRecord(Schema):
    """``buddy.event.logged`` data / an ``events.csv`` row."""

    event_id: UUID
    match_id: UUID
    event_type: Annotated[str, AfterValidator(_event_type_slug)]
    event_date: Timestamp
    description: str | None = None
    location: str | None = None
    duration_minutes: Count | None = None
    attendees: list[UUID] = []


class AttendanceRecord(Schema):
    """``buddy.event.attended`` data / an ``event_attendance.csv`` row."""

    event_id: UUID
    user_id: UUID
    match_id: UUID | None = None
    event_title: Text
    event_type: Annotated[str, _drift_to_other(FormalEventType)]
    event_format: Format
    attended_at: Timestamp
    location: str | None = None
    duration_minutes: Count | None = None
    attendee_count: Count | None = None
    organizer: str | None = None
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
    skill_id: Count
    skill_name: Text
    skill_category: str | None = None
    teacher_id: UUID
    learner_id: UUID
    match_id: UUID | None = None
    completed_at: Timestamp
    scheduled_at: Timestamp | None = None
    duration_minutes: Count | None = None
    format: Format | None = None
    proficiency_level: Literal["beginner", "intermediate", "advanced"] | None = None
    feedback: SkillFeedback | None = None
    sdg_goals: list[Sdg] = []
    valuation_points: Count | None = None


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

    current_step: int | None = None
    total_steps: int | None = None
    completed_steps: list[str] | None = None


class RelatedEntity(Schema):
    type: str
    id: str


class MilestoneMetadata(Schema):
    model_config = ConfigDict(extra="allow")

    is_first_time: bool | None = None
    streak_count: int | None = None
    related_entities: list[RelatedEntity] | None = None


class MilestoneRecord(Schema):
    """``buddy.milestone.reached`` data / a ``milestones.csv`` row."""

    milestone_id: Count
    user_id: UUID
    milestone_title: Text
    milestone_category: Annotated[str, _drift_to_other(MilestoneCategory)]
    reached_at: Timestamp
    points: Count
    badge_icon: str | None = None
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
    schema: type[T], data: Any, *, warnings: list[SchemaWarning] | None = None
) -> T:
    """Validate one record; raise ``ValidationFailed`` listing every error by field path."""
    from buddy.errors import ValidationFailed

    try:
        return schema.model_validate(data, context={"warnings": warnings})
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None
