"""Replay stored webhook events from their payloads (idempotent).

manage.py replay_events --failed
manage.py replay_events --dead --since 2025-11-01
manage.py replay_events --ids <uuid> <uuid> --type buddy.match.ended
"""

from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import make_aware

from webhooks import selectors, services
from webhooks.validation import EVENT_TYPES


class Command(BaseCommand):
    help = "Re-process stored Buddy System events from their stored payloads."

    def add_arguments(self, parser):
        parser.add_argument("--failed", action="store_true", help="events that failed or wait")
        parser.add_argument(
            "--dead", action="store_true", help="events with a dead-lettered delivery"
        )
        parser.add_argument("--ids", nargs="+", metavar="EVENT_ID", help="these event ids")
        parser.add_argument("--type", dest="event_type", choices=EVENT_TYPES)
        parser.add_argument("--since", help="received on or after (ISO date or date-time)")

    def handle(self, *args, failed, dead, ids, event_type, since, **options):
        if not (failed or dead or ids or event_type or since):
            raise CommandError("Select events: --failed, --dead, --ids, --type or --since.")
        since_at = None
        if since:
            since_at = parse_datetime(since)
            if since_at is None and (day := parse_date(since)):
                since_at = datetime.combine(day, time.min)
            if since_at is None:
                raise CommandError("--since must be an ISO date or date-time.")
            if since_at.tzinfo is None:
                since_at = make_aware(since_at)
        events = selectors.events_for_replay(
            failed=failed, dead=dead, ids=ids, event_type=event_type, since=since_at
        )
        counts: dict[str, int] = {}
        for event in events.iterator():
            result = services.event_replay(event=event)
            counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
            self.stdout.write(f"{event.event_id} {event.event_type} {result.outcome.value}")
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "no events"
        self.stdout.write(self.style.SUCCESS(f"Replayed: {summary}"))
