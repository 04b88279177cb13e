"""Reads of the enrollments app used by views, the API and tasks."""

from django.http import Http404

from buddy.access import Access
from buddy.errors import FieldError, ValidationFailed
from enrollments.models import Program, ProgramType


def program_by_type(program_type: str) -> Program:
    """The program of that type, or a validation error naming the parameter (checked against
    the known types first: a value such as NUL never reaches the database)."""
    known = program_type in ProgramType.values
    program = Program.objects.filter(program_type=program_type).first() if known else None
    if program is None:
        raise ValidationFailed(
            [FieldError("program", f"must be one of {', '.join(ProgramType.values)}")]
        )
    return program


def program_in_scope(program_type: str | None, access: Access) -> Program:
    """The program of that type if the login reads it (an unknown type is a validation
    error, a program out of scope 404); without a type, the first program it reads."""
    programs = access.programs().order_by("program_type")
    if not program_type:
        program = programs.filter(program_type=ProgramType.BUDDY).first() or programs.first()
        if program is None:
            raise Http404("No program.")
        return program
    program = program_by_type(program_type)
    if not access.sees_program(program.pk):
        raise Http404("No such program.")
    return program
