"""Recompute enrollment states and journey flags of a whole program (or all programs)."""

import time

from django.core.management.base import BaseCommand, CommandError

from buddy.models import Program, ProgramType
from enrollments.services import enrollments_recompute_program


class Command(BaseCommand):
    help = "Recompute enrollments and journey flags in SQL (set-based), per program."

    def add_arguments(self, parser):
        parser.add_argument(
            "--program", choices=ProgramType.values, help="Program type (default: every program)."
        )

    def handle(self, *args, program=None, **options):
        programs = Program.objects.all()
        if program:
            programs = programs.filter(program_type=program)
            if not programs.exists():
                raise CommandError(f"No program of type {program}.")
        for prog in programs:
            started = time.monotonic()
            changed = enrollments_recompute_program(program=prog)
            self.stdout.write(
                f"{prog.program_type}: {prog.enrollments.count()} enrollments, "
                f"{changed} status changes, {time.monotonic() - started:.2f} s"
            )
