"""Publish committed events and send every delivery due now, then exit (the worker's code).

manage.py relay_events
"""

from django.core.management.base import BaseCommand

from webhooks.relay import relay_run


class Command(BaseCommand):
    help = "Publish committed events and send the deliveries due now, then exit."

    def handle(self, *args, **options):
        result = relay_run()
        self.stdout.write(
            f"published {result.published}, sent {result.sent}: "
            f"{result.succeeded} succeeded, {result.failed} failed"
        )
