"""Serializer fields that apply the schemas' rules (one rule, one place)."""

from django import forms
from pydantic import TypeAdapter, ValidationError
from rest_framework import serializers

from buddy.schemas import Timestamp, TimestampBound, field_errors

_TIMESTAMP = TypeAdapter(Timestamp)
_BOUND = TypeAdapter(TimestampBound)


class TimestampField(serializers.DateTimeField):
    """A date-time validated by the webhooks' and imports' date rule (``schemas.Timestamp``:
    with a time zone or a bare date, not before 1970, not in the future)."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            raise serializers.ValidationError("must be an ISO 8601 date-time string")
        try:
            return _TIMESTAMP.validate_python(value)
        except ValidationError as exc:
            raise serializers.ValidationError(field_errors(exc)[0].message) from None


class TimestampFormField(forms.DateTimeField):
    """A bound of a date-time filter of the API and the coordinator lists: the schemas' form
    and earliest date, and a future bound allowed (``schemas.TimestampBound``)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return _BOUND.validate_python(str(value).strip())
        except ValidationError as exc:
            raise forms.ValidationError(field_errors(exc)[0].message) from None
