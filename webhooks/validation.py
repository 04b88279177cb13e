"""Validation of an inbound event: the envelope, then its ``data`` by event type.

The data schemas are the buddy app's (``buddy/schemas.py``, shared with imports);
this module adds the envelope and the checks that need the database but must
refuse the event before it is stored (a participant named as buddy, an end before
the known start). Every error is reported with its dotted path from the body root.
"""

from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from buddy.models import Match
from buddy.rules import match_dates_check, match_people_check, match_roles_check
from buddy.schemas import (
    AttendanceRecord,
    CheckInRecord,
    FeedbackRecord,
    InformalEventRecord,
    MatchCreatedRecord,
    MatchEndedRecord,
    MilestoneRecord,
    Schema,
    SchemaWarning,
    SkillSessionRecord,
    Timestamp,
    field_errors,
)
from buddy.services.common import people_by_external_id
from core.errors import DomainError, FieldError, ValidationFailed

#: Event type → the schema of its ``data``. The contract's 8 types, in its order.
DATA_SCHEMAS: dict[str, type[Schema]] = {
    "buddy.match.created": MatchCreatedRecord,
    "buddy.match.ended": MatchEndedRecord,
    "buddy.event.logged": InformalEventRecord,
    "buddy.event.attended": AttendanceRecord,
    "buddy.skill_share.completed": SkillSessionRecord,
    "buddy.checkin.completed": CheckInRecord,
    "buddy.feedback.submitted": FeedbackRecord,
    "buddy.milestone.reached": MilestoneRecord,
}
EVENT_TYPES = tuple(DATA_SCHEMAS)

#: The primary user of each event type (stored on the event for search).
_PRIMARY_USER = {
    "buddy.match.created": "participant_id",
    "buddy.event.attended": "user_id",
    "buddy.skill_share.completed": "learner_id",
    "buddy.milestone.reached": "user_id",
}


class Envelope(BaseModel):
    """The fields around ``data``; unknown extra fields are ignored (kept in the payload)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    id: UUID
    version: Literal["v1"]
    timestamp: Timestamp
    type: Literal[EVENT_TYPES]  # type: ignore[valid-type]
    correlation_id: UUID | None = Field(default=None, alias="correlationId")
    data: dict[str, Any]


@dataclass
class ValidEvent:
    envelope: Envelope
    record: Schema
    payload: dict
    warnings: list[SchemaWarning] = field(default_factory=list)

    @property
    def drift_warnings(self) -> int:
        return sum(1 for w in self.warnings if w.kind == "enum_drift")

    @property
    def new_value_warnings(self) -> int:
        return sum(1 for w in self.warnings if w.kind != "enum_drift")

    @property
    def user_id(self) -> str:
        name = _PRIMARY_USER.get(self.envelope.type)
        return str(getattr(self.record, name)) if name else ""

    @property
    def match_id(self) -> UUID | None:
        return getattr(self.record, "match_id", None)


def parse_data(event_type: str, data: Any, warnings: list[SchemaWarning] | None = None) -> Schema:
    """Validate ``data`` of a known event type; errors are pathed from the body root."""
    try:
        return DATA_SCHEMAS[event_type].model_validate(data, context={"warnings": warnings})
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, prefix="data", camel=True)) from None


def validate_event(payload: Any) -> ValidEvent:
    """The whole event, or ``ValidationFailed`` listing every error (envelope and data)."""
    if not isinstance(payload, dict):
        raise ValidationFailed([FieldError("", "The body must be a JSON object.")])
    errors: list[FieldError] = []
    envelope = None
    try:
        envelope = Envelope.model_validate(payload)
    except ValidationError as exc:
        errors.extend(field_errors(exc, camel=True))
    event_type = payload.get("type")
    data = payload.get("data")
    record = None
    warnings: list[SchemaWarning] = []
    if isinstance(event_type, str) and event_type in DATA_SCHEMAS and isinstance(data, dict):
        try:
            record = parse_data(event_type, data, warnings)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors or envelope is None or record is None:
        raise ValidationFailed(errors or [FieldError("", "The event is not valid.")])
    refused = _reference_errors(envelope.type, record)
    if refused:
        # The first rule refused names the body's code; every refusal lists its paths.
        raise ValidationFailed(
            [e for exc in refused for e in exc.errors],
            message=refused[0].message,
            code=refused[0].code,
        )
    return ValidEvent(envelope=envelope, record=record, payload=payload, warnings=warnings)


def _refusal(check, *args, **kwargs) -> DomainError | None:
    try:
        check(*args, **kwargs)
    except DomainError as exc:
        return exc
    return None


def _reference_errors(event_type: str, record: Schema) -> list[DomainError]:
    """Rules checked against known rows that refuse the event outright (400, nothing
    stored): the same functions, codes and messages as the services'."""
    refused: list[DomainError | None] = []
    if event_type == "buddy.match.created":
        assert isinstance(record, MatchCreatedRecord)
        people = people_by_external_id([record.participant_id, record.buddy_id])
        refused.append(
            _refusal(
                match_roles_check,
                people.get(str(record.participant_id)),
                people.get(str(record.buddy_id)),
                paths=("data.participantId", "data.buddyId"),
            )
        )
        refused.append(
            _refusal(
                match_people_check, record.participant_id, record.buddy_id, path="data.buddyId"
            )
        )
    if event_type == "buddy.match.ended":
        assert isinstance(record, MatchEndedRecord)
        matched_at = (
            Match.objects.filter(external_id=record.match_id)
            .values_list("matched_at", flat=True)
            .first()
        )
        refused.append(
            _refusal(match_dates_check, matched_at, record.ended_at, path="data.endedAt")
        )
    return [exc for exc in refused if exc is not None]
