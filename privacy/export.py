"""Subject access export: everything this system holds about one person, as a zip of JSON.

One file per model (``data/<app>.<Model>.json``) with every row ``privacy.graph`` finds,
``webhook_events.json`` and ``import_report_lines.json`` for the stored events and import
report lines that name the person, and a README. In shared records another person appears
by role only: their foreign key becomes ``"buddy"``/``"participant"``… and the personal fields
that are theirs (named after that key, ``teacher_comment``) are masked (``core.pii.mask``).
"""

import io
import json
import re
import zipfile

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone

from buddy.access import access_for
from buddy.models import ExternalId, ImportRun, Match, Person
from buddy.services.common import provider
from concerns.models import RESTRICTED, Concern
from concerns.selectors import sees_restricted
from core.pii import mask, personal_field_names
from privacy.graph import Found, person_entries_fields, person_foreign_keys, rows_about
from webhooks.models import WebhookEvent

README = """\
Personal data export of person #{pk}
Made {at} by the buddy-program manager.

data/<app>.<Model>.json  every stored row about this person, one file per kind of row
                         (profile: buddy.Person; external ids; enrollments and their
                         history; journey flags; matches and their transitions; every
                         activity; milestones; recommendation proposals; why a
                         recommendation run left them unmatched; …).
                         Another person in a shared row is named by role only, and their
                         own personal fields are masked ("{mask}"). A restricted case
                         (safeguarding, discrimination) the requester may not open shows
                         only that it exists ("withheld": true).
webhook_events.json      events received from the Buddy System that named this person or
                         one of their matches, with the payload as stored.
import_report_lines.json lines of import reports that named this person (ids only).
manifest.json            how many rows each file holds.
"""


#: What a withheld case shows (``concerns.api.serializers.WITHHELD_FIELDS``: that it exists).
WITHHELD = ("id", "program_id", "status", "severity", "opened_at", "respond_by")


def row_data(found: Found, row, person: Person) -> dict:
    """One row as JSON-ready values; other people by role, their personal fields masked."""
    model = row.__class__
    others = [
        k.name
        for k in person_foreign_keys(model)
        if getattr(row, k.attname) not in (person.pk, None)  # (an empty key names nobody)
    ]
    data = {}
    for f in model._meta.concrete_fields:
        if f.is_relation and f.name in others:
            data[f.name] = f"another person ({f.name})"
            continue
        value = f.value_from_object(row)
        if f.name in personal_field_names(model) and any(f.name.startswith(o) for o in others):
            value = mask(value)
        data[f.attname if f.is_relation else f.name] = value
    for f in person_entries_fields(model):  # a list about many people: theirs only
        data[f.name] = f.entries_about(data[f.name], person.pk)
    return data


def person_ids_elsewhere(person: Person) -> list[str]:
    return list(
        ExternalId.objects.filter(person=person, provider=provider()).values_list(
            "external_id", flat=True
        )
    )


def webhook_events_about(person: Person) -> "WebhookEvent.objects":
    user_ids = person_ids_elsewhere(person)
    match_ids = [
        m for m in Match.objects.involving(person).values_list("external_id", flat=True) if m
    ]
    return WebhookEvent.objects.filter(Q(user_id__in=user_ids) | Q(match_id__in=match_ids))


def line_names(person: Person, external_ids: list[str]):
    """A test for report lines naming the person (``person #12``, or one of their ids)."""
    words = [rf"person #{person.pk}(?!\d)"] + [
        rf"(?<![\w-]){re.escape(e)}(?![\w-])" for e in external_ids
    ]
    pattern = re.compile("|".join(words))
    return pattern.search


def import_lines_about(person: Person, external_ids: list[str]) -> list[dict]:
    names = line_names(person, external_ids)
    found = []
    for run in ImportRun.objects.order_by("pk"):
        for part in ("rejections", "warnings", "merges"):
            for line in getattr(run, part) or []:
                text = line.get("message") if isinstance(line, dict) else line
                if isinstance(text, str) and names(text):
                    found.append({"import_run": run.pk, "part": part, "line": line})
    return found


def withheld_cases(found: dict[str, Found], by) -> set[int]:
    """The restricted cases (safeguarding, discrimination) about the person that ``by`` may
    not open (``concerns.selectors.sees_restricted``); none for the command line."""
    rows = found.get(Concern._meta.label)
    if by is None or rows is None or sees_restricted(by, access_for(by)):
        return set()
    restricted = rows.queryset().filter(category__in=RESTRICTED)
    return set(restricted.values_list("pk", flat=True))


def _rows(found: Found, person: Person, withheld: set[int]) -> list[dict]:
    """The file of one model: a withheld case by its workflow fields only, the rows that
    belong to it (meetings, steps) left out."""
    if found.model is Concern:
        return [
            {**{k: getattr(row, k) for k in WITHHELD}, "restricted": True, "withheld": True}
            if row.pk in withheld
            else row_data(found, row, person)
            for row in found.queryset()
        ]
    to_case = [
        f.attname
        for f in found.model._meta.concrete_fields
        if f.is_relation and f.related_model is Concern
    ]
    return [
        row_data(found, row, person)
        for row in found.queryset()
        if not any(getattr(row, name) in withheld for name in to_case)
    ]


def person_export(*, person: Person, by=None) -> bytes:
    """The zip (bytes) of everything held about ``person``, as ``by`` may read it (restricted
    cases withheld from those who may not open them; ``None``: the command line, all).
    Reads only."""
    found = rows_about(person)
    external_ids = person_ids_elsewhere(person)
    withheld = withheld_cases(found, by)
    files: dict[str, object] = {}
    for label, rows in sorted(found.items()):
        files[f"data/{label}.json"] = _rows(rows, person, withheld)
    files["webhook_events.json"] = [
        {
            "event_id": e.event_id,
            "event_type": e.event_type,
            "timestamp": e.timestamp,
            "status": e.status,
            "received_at": e.received_at,
            "payload": e.payload,
        }
        for e in webhook_events_about(person).order_by("received_at", "pk")
    ]
    files["import_report_lines.json"] = import_lines_about(person, external_ids)
    files["manifest.json"] = {name: len(rows) for name, rows in files.items()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        at = timezone.now().isoformat(timespec="seconds")
        archive.writestr("README.txt", README.format(pk=person.pk, at=at, mask="•••"))
        for name, content in files.items():
            archive.writestr(name, json.dumps(content, cls=DjangoJSONEncoder, indent=2))
    return buffer.getvalue()
