"""Shared model building blocks."""

from django.db import models
from django.db.models import BooleanField, F, Func, Q
from django.utils.functional import cached_property


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("created", auto_now_add=True)
    updated_at = models.DateTimeField("updated", auto_now=True)

    class Meta:
        abstract = True


class ProgramTyped:
    """A row of one program (its ``program`` foreign key), named by its program's type.

    A list reads ``program_type`` with its rows (``with_program_type``: a join on the few
    programs, one string a row) instead of a Program for the page by a statement of its own
    (a tenth of a matches request's CPU; bench/README.md, API); a row read otherwise asks
    its program. A row's program does not change."""

    @cached_property
    def program_type(self) -> str:
        return self.program.program_type


def with_program_type(queryset):
    """``queryset``'s rows with their ``ProgramTyped.program_type`` read in its statement."""
    return queryset.annotate(program_type=F("program__program_type"))


class JSONIntsBetween(Func):
    """True when a JSON column is an array of integers within ``[low, high]``.

    PostgreSQL checks every element with a jsonpath; SQLite (the demo database)
    forbids sub-queries in CHECK constraints and only checks that it is an array.
    """

    output_field = BooleanField()
    arity = 1

    def __init__(self, field: str, low: int, high: int):
        self.low, self.high = int(low), int(high)
        super().__init__(F(field))

    def deconstruct(self):
        path, _args, kwargs = super().deconstruct()
        return path, (self.source_expressions[0].name, self.low, self.high), kwargs

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(json_type({sql}) = 'array')", params

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        path = (
            f'$[*] ? (@.type() != "number" || @ < {self.low} || @ > {self.high} || @ != @.floor())'
        )
        return (
            f"(jsonb_typeof({sql}) = 'array' AND NOT jsonb_path_exists({sql}, '{path}'))",
            params + params,
        )


def rating_check(field: str, *, nullable: bool = False) -> models.CheckConstraint:
    """A named check keeping a normalised rating within 0–1."""
    within = Q(**{f"{field}__gte": 0, f"{field}__lte": 1})
    if nullable:
        within |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(
        condition=within,
        name=f"%(app_label)s_%(class)s_{field}_within_0_1",
        violation_error_message=f"{field} must be between 0 and 1.",
    )


def choices_check(
    field: str, choices, *, blank: bool = False, name: str = ""
) -> models.CheckConstraint:
    """A named check keeping a column within its enumeration (``name``: a model that moved
    between apps keeps its constraint's original name)."""
    allowed = [value for value, _label in choices]
    if blank:
        allowed.append("")
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": allowed}),
        name=name or f"%(app_label)s_%(class)s_{field}_valid",
        violation_error_message=f"{field} is not one of the allowed values.",
    )


def sdg_check(field: str = "sdg_goals") -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=JSONIntsBetween(field, 1, 17),
        name=f"%(app_label)s_%(class)s_{field}_within_1_17",
        violation_error_message="SDG goals must be integers from 1 to 17.",
    )
