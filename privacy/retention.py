"""Retention rules (``settings.BUDDY_RETENTION``), applied in batches by a beat task.

- ``ACTIVITY_TEXT_MONTHS`` (24): the personal free texts (``core.pii``) of every row of a
  match (check-ins, feedback, skill-session comments, informal events, and any model added
  later with a foreign key to ``Match``) are emptied that long after the match ended;
- ``WEBHOOK_PAYLOAD_DAYS`` (90): processed webhook events' raw payloads (and their
  conflicts') are replaced by ``{}``; the event id, type, status, times and counts stay;
- ``UPLOAD_HOURS`` (24): an uploaded export still on disk after its import finished (a
  crashed worker; normally the import deletes it) is deleted;
- ``INACTIVE_PERSON_MONTHS`` (36): a person with no open match, no enrollment activity and
  no match end in that time, and not erased yet, is erased (``person_erase``).

Each rule changes at most ``BATCH`` rows per transaction and loops until nothing is due, so
running it twice changes nothing the second time. ``retention_due`` counts without changing.
"""

import logging
import shutil
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from buddy.models import ImportRun, Match, MatchStatus, Person
from buddy.models.imports import ImportStatus
from core.pii import personal_field_names
from enrollments.models import JourneyFlags
from privacy.models import Erasure
from privacy.services import person_erase
from webhooks.imports.services import _is_upload
from webhooks.models import EventStatus, WebhookConflict, WebhookEvent

logger = logging.getLogger("privacy")

DEFAULTS = {
    "ACTIVITY_TEXT_MONTHS": 24,
    "WEBHOOK_PAYLOAD_DAYS": 90,
    "UPLOAD_HOURS": 24,
    "INACTIVE_PERSON_MONTHS": 36,
    "BATCH": 500,
}


def conf() -> dict:
    return {**DEFAULTS, **getattr(settings, "BUDDY_RETENTION", {})}


def months(n: int) -> timedelta:
    """A month is 1/12 of a mean year here (retention needs no calendar precision)."""
    return timedelta(days=round(n * 365.25 / 12))


def _empty(value):
    return {} if isinstance(value, dict) else [] if isinstance(value, list) else ""


# --- What is due ----------------------------------------------------------------------------


def match_text_models():
    """(model, personal fields, path to the match) of every model with a FK to Match."""
    found = []
    for model in apps.get_models():
        names = sorted(personal_field_names(model))
        keys = [
            f
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is Match and names
        ]
        if keys:
            found.append((model, names, keys[0].name))
    return found


def activity_texts_due(now=None):
    """Per model: the rows with a non-empty personal text whose match ended long enough ago."""
    cutoff = (now or timezone.now()) - months(conf()["ACTIVITY_TEXT_MONTHS"])
    for model, names, via in match_text_models():
        ended = Q(**{f"{via}__status": MatchStatus.ENDED, f"{via}__ended_at__lt": cutoff})
        filled = Q(pk__in=[])
        for name in names:
            field = model._meta.get_field(name)
            filled |= ~Q(**{name: _empty(field.get_default())}) & Q(**{f"{name}__isnull": False})
        yield model, names, model._default_manager.filter(ended & filled)


def payloads_due(now=None):
    cutoff = (now or timezone.now()) - timedelta(days=conf()["WEBHOOK_PAYLOAD_DAYS"])
    return WebhookEvent.objects.filter(
        status=EventStatus.PROCESSED, processed_at__lt=cutoff
    ).exclude(payload={})


def uploads_due(now=None):
    cutoff = (now or timezone.now()) - timedelta(hours=conf()["UPLOAD_HOURS"])
    return ImportRun.objects.filter(
        status__in=[ImportStatus.SUCCEEDED, ImportStatus.FAILED], finished_at__lt=cutoff
    ).exclude(file_path="")


def people_inactive_due(now=None):
    """People not erased yet whose last sign of life is older than the cutoff: joining,
    their enrollments' last activity, a match's start or end; none with an open match."""
    cutoff = (now or timezone.now()) - months(conf()["INACTIVE_PERSON_MONTHS"])
    last_activity = JourneyFlags.objects.filter(enrollment__person=OuterRef("pk")).values(
        "enrollment__person"
    )
    involving = Q(participant=OuterRef("pk")) | Q(buddy=OuterRef("pk"))
    open_matches = Match.objects.open().filter(involving)
    recent_matches = Match.objects.filter(involving).filter(
        Q(ended_at__gte=cutoff) | Q(matched_at__gte=cutoff)
    )
    recent_activity = last_activity.annotate(last=Max("last_activity_at")).filter(last__gte=cutoff)
    return (
        Person.objects.filter(joined_at__lt=cutoff)
        .exclude(Exists(Erasure.objects.filter(person_id=OuterRef("pk"))))
        .exclude(Exists(open_matches))
        .exclude(Exists(recent_matches))
        .exclude(Exists(recent_activity))
    )


def retention_due(now=None) -> dict[str, int]:
    """How many rows each rule would change now (the dry run)."""
    due = {
        f"activity_text:{model._meta.label}": qs.count()
        for model, _names, qs in activity_texts_due(now)
    }
    due["webhook_payloads"] = payloads_due(now).count()
    due["uploads"] = uploads_due(now).count()
    due["inactive_people"] = people_inactive_due(now).count()
    return due


# --- Applying -------------------------------------------------------------------------------


def _batches(queryset, apply) -> int:
    batch, done = conf()["BATCH"], 0
    while True:
        with transaction.atomic():
            rows = list(queryset.order_by("pk")[:batch])
            if not rows:
                return done
            apply(rows)
            done += len(rows)
        if len(rows) < batch:
            return done


def retention_apply(now=None) -> dict[str, int]:
    """Apply every rule until nothing is due; return what was changed per rule."""
    done: dict[str, int] = {}
    for model, names, queryset in activity_texts_due(now):

        def empty_texts(rows, model=model, names=names):
            fields = [model._meta.get_field(n) for n in names]
            for row in rows:
                for f in fields:
                    setattr(row, f.attname, _empty(f.get_default()))
            model._default_manager.bulk_update(rows, names)

        done[f"activity_text:{model._meta.label}"] = _batches(queryset, empty_texts)

    def drop_payloads(events):
        for event in events:
            event.payload = {}
        WebhookEvent.objects.bulk_update(events, ["payload"])
        WebhookConflict.objects.filter(event__in=events).update(payload={})

    done["webhook_payloads"] = _batches(payloads_due(now), drop_payloads)

    def delete_uploads(runs):
        for run in runs:
            path = Path(run.file_path)
            if _is_upload(path):
                shutil.rmtree(path.parent, ignore_errors=True)
            run.file_path = ""
        ImportRun.objects.bulk_update(runs, ["file_path"])

    done["uploads"] = _batches(uploads_due(now), delete_uploads)

    def erase(people):
        for person in people:
            person_erase(person=person, via="retention")

    done["inactive_people"] = _batches(people_inactive_due(now), erase)
    logger.info("privacy.retention_applied", extra={"changed": done})
    return done
