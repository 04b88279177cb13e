"""Add a subscriber of the events this app publishes; prints its id and secret once.

manage.py add_subscriber https://example.org/hooks
manage.py add_subscriber https://example.org/hooks --events match.ended enrollment.status_changed
"""

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.outbox import EVENT_TYPES
from webhooks import outbound


class Command(BaseCommand):
    help = "Add a webhook subscriber (all event types when none is named)."

    def add_arguments(self, parser):
        parser.add_argument("url")
        parser.add_argument("--events", nargs="+", choices=EVENT_TYPES, metavar="TYPE", default=[])
        parser.add_argument("--description", default="")

    def handle(self, *args, url, events, description, **options):
        try:
            endpoint, secret = outbound.endpoint_create(
                url=url, description=description, event_types=events
            )
        except DomainError as exc:
            details = "; ".join(f"{e.path}: {e.message}" for e in getattr(exc, "errors", []))
            raise CommandError(details or exc.message) from None
        self.stdout.write(f"id: {endpoint.pk}")
        self.stdout.write(f"secret: {secret}")
        self.stdout.write("The secret is shown this once; give it to the subscriber now.")
