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


class ProgramTypeField(serializers.ChoiceField):
    """A row's program, by its type (read only): the row's ``program_type``
    (``buddy.models.base.ProgramTyped``, read with the rows by the lists)."""

    def __init__(self, **kwargs):
        from buddy.models import ProgramType

        kwargs.update(choices=ProgramType.choices, source="program_type", read_only=True)
        super().__init__(**kwargs)


class _BuddyProgramIfInScope:
    """The default of ``ProgramField``: the buddy program when the login reads it; otherwise
    the caller must name one (a default never reaches outside the login's programs)."""

    requires_context = True

    def __call__(self, field):
        from buddy.models import Program, ProgramType

        program = field.get_queryset().filter(program_type=ProgramType.BUDDY).first()
        if program is None:
            if not Program.objects.filter(program_type=ProgramType.BUDDY).exists():
                raise serializers.ValidationError("The buddy program does not exist: name one.")
            raise serializers.ValidationError("Name the program (buddy is not one of yours).")
        return program

    def __repr__(self):  # the OpenAPI schema and error pages show this, not an address
        return "buddy"


class ProgramField(serializers.SlugRelatedField):
    """The program a write goes into, by type: one of the programs the request's login reads
    (``scope_programs``; another reads as unknown), the buddy program when not given."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Program type; default: buddy.")
        from buddy.models import Program

        super().__init__(
            slug_field="program_type",
            queryset=Program.objects.all(),
            default=_BuddyProgramIfInScope(),
            **kwargs,
        )

    def get_queryset(self):
        from buddy.access import access_for
        from buddy.selectors import scope_programs

        request = self.context.get("request")
        programs = super().get_queryset()
        return programs if request is None else scope_programs(programs, access_for(request.user))
