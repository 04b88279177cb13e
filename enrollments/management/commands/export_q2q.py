"""manage.py export_q2q [--program SLUG] [--since DATE]: de-identified Q2Q evidence as JSON
lines on standard output (``enrollments.q2q``)."""

import json
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from buddy.models import Program, ProgramType
from enrollments.q2q import q2q_evidence


class Command(BaseCommand):
    help = "Export de-identified Q2Q evidence snippets (JSON lines on stdout)."

    def add_arguments(self, parser):
        parser.add_argument("--program", choices=ProgramType.values, help="program type")
        parser.add_argument("--since", help="YYYY-MM-DD: texts dated from that day")

    def handle(self, *args, program=None, since=None, **options):
        program_ids = None
        if program:
            program_ids = list(
                Program.objects.filter(program_type=program).values_list("pk", flat=True)
            )
        since_at = None
        if since:
            try:
                day = datetime.strptime(since, "%Y-%m-%d").date()
            except ValueError:
                raise CommandError("--since must be a date YYYY-MM-DD") from None
            since_at = timezone.make_aware(datetime.combine(day, time.min))
        for record in q2q_evidence(program_ids=program_ids, since=since_at):
            self.stdout.write(json.dumps(record, ensure_ascii=False, sort_keys=True))
