"""Reads of the enrollments app used by views, the API and tasks."""

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
