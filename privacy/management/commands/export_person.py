"""``manage.py export_person <id or Buddy System id> [--output PATH]``: write the person's
subject access export (a zip of JSON files) and print its path."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privacy.selectors import person_by_reference
from privacy.services import person_export_hand_out


class Command(BaseCommand):
    help = "Write everything held about one person as a zip of JSON files; print its path."

    def add_arguments(self, parser):
        parser.add_argument("person", help="Our person id or their Buddy System id.")
        parser.add_argument("--output", help="Where to write (default: ./person-<id>.zip).")

    def handle(self, *args, person, output, **options):
        found = person_by_reference(person)
        if found is None:
            raise CommandError("No person with this id or Buddy System id.")
        path = Path(output or f"person-{found.pk}.zip").resolve()
        path.write_bytes(person_export_hand_out(person=found))
        path.chmod(0o600)
        self.stdout.write(str(path))
