"""``manage.py apply_retention [--dry-run]``: apply the retention rules now, or show what
they would change (README "Personal data")."""

from django.core.management.base import BaseCommand

from privacy.retention import retention_apply, retention_due


class Command(BaseCommand):
    help = "Apply the retention rules (BUDDY_RETENTION) now; --dry-run only counts what is due."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run, **options):
        counts = retention_due() if dry_run else retention_apply()
        verb = "would change" if dry_run else "changed"
        for rule, count in counts.items():
            self.stdout.write(f"{rule}: {verb} {count}")
