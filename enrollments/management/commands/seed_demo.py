"""``manage.py seed_demo``: a believable demo program and a coordinator login (idempotent)."""

import time

from django.core.management.base import BaseCommand, CommandError

from enrollments.demo import seed_demo


class Command(BaseCommand):
    help = (
        "Create demo data: companies, participants, buddies, matches in every status and a "
        "year of activity, plus a coordinator, a viewer and an admin login. Running it again "
        "creates nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("--participants", type=int, default=300)
        parser.add_argument("--buddies", type=int, default=200)
        parser.add_argument(
            "--password",
            help=(
                "The demo logins' password. Default: a fixed demo password under DEBUG, "
                "otherwise a random one for a new login (an existing login keeps its password)."
            ),
        )

    def handle(self, *args, participants, buddies, password, **options):
        if participants < 1 or buddies < 1:
            raise CommandError("--participants and --buddies must be at least 1.")
        started = time.monotonic()
        report = seed_demo(participants=participants, buddies=buddies, password=password)
        created = {name: n for name, n in sorted(report.created.items()) if n}
        if created:
            summary = ", ".join(f"{name} {n}" for name, n in created.items())
            self.stdout.write(f"Demo data created: {summary}.")
        else:
            self.stdout.write("Demo data already present: nothing new created.")
        self.stdout.write(f"Took {time.monotonic() - started:.1f}s.")
        password = (
            f"password {report.password!r}"
            if report.password is not None
            else "password unchanged (pass --password to set one)"
        )
        self.stdout.write(self.style.SUCCESS(f"Logins at /accounts/login/, {password}:"))
        for username, what in report.logins:
            self.stdout.write(f"  {username!r}: {what}")
