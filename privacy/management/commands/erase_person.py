"""``manage.py erase_person <id or Buddy System id> --yes``: erase the person's personal data
(irreversible; see README "Personal data")."""

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from privacy.selectors import person_by_reference
from privacy.services import person_erase


class Command(BaseCommand):
    help = "Erase one person's personal data for good (needs --yes). Statistics are kept."

    def add_arguments(self, parser):
        parser.add_argument("person", help="Our person id or their Buddy System id.")
        parser.add_argument("--yes", action="store_true", help="Confirm: this is irreversible.")

    def handle(self, *args, person, yes, **options):
        found = person_by_reference(person)
        if found is None:
            raise CommandError("No person with this id or Buddy System id.")
        if not yes:
            raise CommandError(f"Erasing person #{found.pk} is irreversible: add --yes.")
        try:
            erasure = person_erase(person=found, via="command")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        changed = sum(erasure.rows.values())
        self.stdout.write(f"Erased person #{found.pk}: {changed} rows changed.")
