"""Personal data rights, the state changes: an export handed out (recorded in the access
log) and erasure (one service, irreversible).

``person_erase`` blanks or replaces every personal field (``core.pii``) of every row about
the person (``privacy.graph``: their profile, their matches' shared free texts, activities,
milestones, proposals …), replaces the email hash (a later import of the same address makes
a new person), unlinks their external ids, scrubs the stored webhook payloads and import
report lines that named them, records the erasure (who, when, person id) and publishes
``person.erased``. Their entries in lists about many people (a recommendation run's "why not
matched") keep their ids, codes and counts; their texts are replaced. Counts, dates,
durations, ratings, statuses and every foreign key stay, so impact and program figures are
the same before and after.
"""

import hashlib
import logging
import uuid

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from buddy.access_log import access_log_record
from buddy.models import AccessKind, Enrollment, ExternalId, ImportRun, Person
from core import events, outbox
from core.errors import DomainError, FieldError, Message, RuleViolation
from core.pii import personal_field_names
from privacy.export import person_export, person_ids_elsewhere, webhook_events_about
from privacy.graph import person_entries_fields, rows_about
from privacy.models import Erasure
from webhooks.models import WebhookConflict, WebhookEvent

logger = logging.getLogger("privacy")

#: What an erased free text or name reads afterwards.
ERASED = "[erased]"


def person_export_hand_out(*, person: Person, by=None) -> bytes:
    """The subject access export (zip bytes) as the API, the person page and the command hand
    it out: built, and recorded in the access log as an export (``by`` empty: the command)."""
    content = person_export(person=person, by=by)
    access_log_record(user=by, kind=AccessKind.EXPORT, person_ids=[person.pk])
    return content


def confirmation_phrase(person: Person) -> str:
    """What a caller types to confirm (API, page): ``erase person 42``."""
    return f"erase person {person.pk}"


def placeholder(field: models.Field, value):
    """The erased form of a personal value: empty stays empty; text → ``[erased]`` (or empty
    where that does not fit, emails); JSON keeps its shape (keys are question ids)."""
    if value in (None, "", [], {}):
        return value
    if isinstance(value, dict):
        return dict.fromkeys(value, ERASED)
    if isinstance(value, list):
        return [ERASED for _ in value]
    if isinstance(field, models.EmailField) or (field.max_length or 99) < len(ERASED):
        return ""
    return ERASED


def kept_values(person: Person) -> set[str]:
    """Personal-field values that are not the person's data and that figures depend on:
    an attendance's ``organizer`` naming the buddy's company (impact: organised events)."""
    return {person.company.name.strip().lower()} if person.company_id else set()


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def scrub(value, secrets: list[str]):
    """``value`` (JSON) with every string containing one of ``secrets`` (case-insensitive)
    replaced by ``[erased]``."""
    if isinstance(value, str):
        lowered = value.lower()
        return ERASED if any(s in lowered for s in secrets) else value
    if isinstance(value, dict):
        return {k: scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    return value


def personal_values(person: Person) -> set[str]:
    """Every non-empty value of a personal field of the rows about the person (lower case)."""
    found = set()
    for rows in rows_about(person).values():
        names = personal_field_names(rows.model)
        if not names:
            continue
        for values in rows.queryset().values(*names):
            for value in values.values():
                found.update(s.strip().lower() for s in _strings(value) if s.strip())
    return found - kept_values(person)


@transaction.atomic
def person_erase(*, person: Person, by=None, via: str = "command", confirmation: str | None = None):
    """Erase the person's personal data for good; returns the ``Erasure`` record.

    ``confirmation`` (API and pages): must equal ``confirmation_phrase(person)``.
    """
    if confirmation is not None and confirmation.strip().lower() != confirmation_phrase(person):
        message = Message(
            gettext_noop('Type "%(phrase)s" to confirm the erasure.'),
            phrase=confirmation_phrase(person),
        )
        raise DomainError(
            message=message,
            code="privacy.confirmation_mismatch",
            errors=[FieldError("confirmation", message)],
        )
    person = (
        Person.objects.select_for_update(of=("self",)).select_related("company").get(pk=person.pk)
    )
    if Erasure.objects.filter(person_id=person.pk).exists():
        raise RuleViolation(
            "privacy.already_erased", "This person's personal data is already erased.", "person"
        )
    secrets = sorted(personal_values(person), key=len, reverse=True)
    keep = kept_values(person)
    buddy_system_id = (person_ids_elsewhere(person) or [None])[0]
    counts: dict[str, int] = {}

    # 1. The stored webhook events and import report lines that named them (before the
    #    external ids that find them are unlinked).
    external_ids = list(person.external_ids.values_list("external_id", flat=True))
    event_ids = list(webhook_events_about(person).values_list("pk", flat=True))
    counts["webhooks.WebhookEvent"] = _scrub_payloads(
        WebhookEvent.objects.filter(pk__in=event_ids), secrets
    )
    counts["webhooks.WebhookConflict"] = _scrub_payloads(
        WebhookConflict.objects.filter(event_id__in=event_ids), secrets
    )
    counts["buddy.ImportRun"] = _scrub_import_lines(external_ids)

    # 2. Every personal field of every row about the person, and the free texts of their
    #    entries in lists about many people (a run's "why not matched").
    for label, rows in rows_about(person).items():
        if entries := person_entries_fields(rows.model):
            counts[f"{label}.entries"] = _erase_entries(rows, entries, person.pk)
        names = personal_field_names(rows.model)
        if not names or not rows.pks:
            continue
        fields = [rows.model._meta.get_field(n) for n in sorted(names)]
        changed = []
        for row in rows.queryset().only("pk", *names):
            before = [getattr(row, f.attname) for f in fields]
            for f, value in zip(fields, before, strict=True):
                if isinstance(value, str) and value.strip().lower() in keep:
                    continue
                setattr(row, f.attname, placeholder(f, value))
            if [getattr(row, f.attname) for f in fields] != before:
                changed.append(row)
        # bulk_update, not save(): Person.save would recompute the email hash.
        rows.model._default_manager.bulk_update(changed, [f.name for f in fields])
        counts[label] = len(changed)

    # 3. Identity: a new email hash (never the hash of an address) and no external ids, so
    #    a later import or webhook of the same address or id makes a new person.
    Person.objects.filter(pk=person.pk).update(
        email_hash=hashlib.sha256(f"erased:{uuid.uuid4()}".encode()).hexdigest()
    )
    counts["buddy.ExternalId"] = ExternalId.objects.filter(person=person).delete()[0]

    now = timezone.now()
    erasure = Erasure.objects.create(
        person_id=person.pk, erased_at=now, erased_by=by, via=via, rows=counts
    )
    program_ids = list(
        Enrollment.objects.filter(person=person).values_list("program_id", flat=True)
    ) or [None]
    outbox.publish_many(
        outbox.Event(
            outbox.PERSON_ERASED,
            {"person": events.ref(person.pk, buddy_system_id), "erasedAt": events.iso(now)},
            program_id,
        )
        for program_id in program_ids
    )
    logger.info(
        "privacy.person_erased",
        extra={"person_id": person.pk, "via": via, "rows": sum(counts.values())},
    )
    return erasure


def _erase_entries(rows, fields, person_id: int) -> int:
    changed = []
    for row in rows.queryset().only("pk", *(f.attname for f in fields)):
        before = [getattr(row, f.attname) for f in fields]
        for f, value in zip(fields, before, strict=True):
            setattr(row, f.attname, f.texts_replaced(value, person_id, ERASED))
        if [getattr(row, f.attname) for f in fields] != before:
            changed.append(row)
    rows.model._default_manager.bulk_update(changed, [f.name for f in fields])
    return len(changed)


def _scrub_payloads(queryset, secrets: list[str]) -> int:
    changed = []
    for row in queryset.only("pk", "payload"):
        scrubbed = scrub(row.payload, secrets)
        if scrubbed != row.payload:
            row.payload = scrubbed
            changed.append(row)
    queryset.model.objects.bulk_update(changed, ["payload"])
    return len(changed)


def _scrub_import_lines(external_ids: list[str]) -> int:
    if not external_ids:
        return 0
    changed = []
    for run in ImportRun.objects.filter(~Q(rejections=[]) | ~Q(warnings=[]) | ~Q(merges=[])):
        before = (run.rejections, run.warnings, run.merges)
        after = tuple([_replace_ids(line, external_ids) for line in lines] for lines in before)
        if after != before:
            run.rejections, run.warnings, run.merges = after
            changed.append(run)
    ImportRun.objects.bulk_update(changed, ["rejections", "warnings", "merges"])
    return len(changed)


def _replace_ids(line, external_ids: list[str]):
    """A report line without these ids; a structured rejection (a dict) in its message."""
    if isinstance(line, dict) and isinstance(line.get("message"), str):
        return {**line, "message": _replace_ids(line["message"], external_ids)}
    if not isinstance(line, str):
        return line
    for external_id in external_ids:
        line = line.replace(external_id, ERASED)
    return line
