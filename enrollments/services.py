"""Enrollment lifecycle (seed 002): the one place that decides a person's state in a program,
keeps every status change (``EnrollmentStatusChange``, an ``enrollment.status_changed``
event) and drains the queue of people a change touched (``buddy.services.enrollments``).
The rules and when they run: docs/architecture.md, "The enrollment lifecycle".
"""

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from buddy.models import (
    Enrollment,
    PendingRecompute,
    Program,
)
from buddy.services.enrollments import enrollment_status_record
from core.errors import FieldError, ValidationFailed
from core.registry import Registry
from enrollments import health, journey, recompute_scope
from enrollments.models import JourneyFlags
from enrollments.recompute_sql import (
    drop_match_facts,
    planner_session,
    program_lock,
    recompute_set_based,
)

logger = logging.getLogger(__name__)

#: Up to this many people the per-person path is used (a few indexed queries each);
#: above it the set-based SQL recomputes them in chunks.
PER_PERSON_LIMIT = 20
SET_BASED_CHUNK = 5000
#: Queue rows one drain takes (one transaction).
DRAIN_BATCH = 5000

#: What the apps above run after a program's people were recomputed, in the recompute's
#: transaction (the automatic case suggestions: ``concerns``), registered in their
#: ``AppConfig.ready()``: ``step(program=, person_ids=)``, ``person_ids`` None for the
#: whole program (the nightly run).
AFTER_RECOMPUTE: Registry = Registry("after a recompute")


def after_recompute(*, program: Program, person_ids=None) -> None:
    for step in AFTER_RECOMPUTE:
        step(program=program, person_ids=person_ids)


def _apply(enrollment: Enrollment, derived: journey.Derived, *, now: datetime, by=None) -> bool:
    """Write one enrollment's derived state; True when its status changed. ``by``: the
    user whose action caused it (kept on the history row)."""
    status_changed = derived.status != enrollment.status
    if status_changed:
        enrollment_status_record(
            enrollment, enrollment.status, derived.status, at=now, reason=derived.reason, by=by
        )
    if status_changed or derived.completed_at != enrollment.completed_at:
        enrollment.status, enrollment.completed_at = derived.status, derived.completed_at
        Enrollment.objects.filter(pk=enrollment.pk).update(
            status=derived.status, completed_at=derived.completed_at, updated_at=now
        )
    flags = JourneyFlags.objects.filter(enrollment=enrollment).first()
    if flags is None:
        JourneyFlags.objects.create(enrollment=enrollment, changed_at=now, **derived.flags)
    elif any(getattr(flags, k) != v for k, v in derived.flags.items()):
        JourneyFlags.objects.filter(pk=flags.pk).update(changed_at=now, **derived.flags)
    return status_changed


@transaction.atomic
def enrollment_recompute(*, enrollment: Enrollment, now: datetime | None = None) -> bool:
    """Recompute one enrollment and its journey flags (per-person path); True if the
    status changed."""
    now = now or timezone.now()
    program_lock(enrollment.program_id, exclusive=False)
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    changed = _apply(enrollment, journey.derive(journey.person_facts(enrollment), now=now), now=now)
    health.recompute(
        program=enrollment.program, now=now, person_ids=[enrollment.person_id], per_match=True
    )
    return changed


@transaction.atomic
def enrollments_recompute(
    *, program: Program, person_ids: Iterable[int], now: datetime | None = None
) -> int:
    """Recompute the enrollments of these people in the program; return how many changed
    status. A few people go through the per-person path, more through the set-based SQL."""
    now = now or timezone.now()
    ids = sorted({int(i) for i in person_ids})
    started = time.monotonic()
    if len(ids) <= PER_PERSON_LIMIT:
        changed = 0
        program_lock(program.pk, exclusive=False)
        # Locked in id order, like the set-based path: overlapping recomputes wait, never
        # deadlock (and the one that waited reads the status the other wrote).
        for enrollment in (
            Enrollment.objects.select_for_update()
            .filter(program=program, person_id__in=ids)
            .order_by("pk")
        ):
            facts = journey.person_facts(enrollment)
            changed += _apply(enrollment, journey.derive(facts, now=now), now=now)
        path = "per_person"
        scored = health.recompute(program=program, now=now, person_ids=ids, per_match=True)
    else:
        with planner_session():  # once for every chunk and match health
            changed = sum(
                recompute_set_based(
                    program_id=program.pk, now=now, person_ids=ids[i : i + SET_BASED_CHUNK]
                )
                for i in range(0, len(ids), SET_BASED_CHUNK)
            )
            # (After the chunks: their row locks first, so that health reads what a
            # concurrent recompute of the same people committed.)
            scored = health.recompute(program=program, now=now, person_ids=ids)
        path = "set_based"
    logger.info(
        "enrollments.recompute",
        extra={
            "program_id": program.pk,
            "people": len(ids),
            "changed": changed,
            "path": path,
            "health_written": scored["written"],
            "duration_ms": round((time.monotonic() - started) * 1000),
        },
    )
    return changed


@transaction.atomic
def enrollments_recompute_program(
    *, program: Program, now: datetime | None = None, full: bool = False
) -> int:
    """Recompute every enrollment of the program in SQL (nightly, on demand); after an
    earlier run only the people whose facts changed since or whose state turns with time
    (``enrollments.recompute_scope``: the same results), unless ``full``."""
    now = now or timezone.now()
    started = time.monotonic()
    program_lock(program.pk, exclusive=True)  # before the mark: no other run in between
    xid_mark, digest = recompute_scope.snapshot_mark(), recompute_scope.settings_digest(program)
    with planner_session():  # the same planner settings for both
        scope = (
            recompute_scope.FULL
            if full
            else recompute_scope.scope_since_mark(program=program, now=now, digest=digest)
        )
        people = scope.person_ids
        # Match health's facts are read before the journey's writes (they read none of what
        # those write; no other recompute runs: the exclusive lock) and judged on a thread
        # while the writes run (``health.start``); where it can, that thread reads them too,
        # on a connection of its own (``beside``), while this one runs the journey's.
        if people is not None:  # only what changed (the set-based SQL for some people)
            health_people = None if scope.health_all else people
            pending = None
            if health_people is None or health_people:
                pending = health.start(
                    program=program,
                    now=now,
                    person_ids=health_people,
                    beside=health_people is None,  # (every active match: worth a connection)
                )
            changed = recompute_set_based(program_id=program.pk, now=now, person_ids=people)
            scored = pending.finish() if pending else {"scored": 0, "written": 0}
        elif (pending := health.start_beside(program=program, now=now)) is not None:
            changed = recompute_set_based(program_id=program.pk, now=now)
            scored = pending.finish()
        elif health.reads_match_facts():  # the contact facts aggregated once for both
            since = health.window_start(health.conf(program), now)
            started_health = []
            changed = recompute_set_based(
                program_id=program.pk,
                now=now,
                contact_since=since,
                before_writes=lambda: started_health.append(
                    health.start(program=program, now=now, match_facts_kept=True)
                ),
            )
            scored = started_health[0].finish()
            drop_match_facts()  # (an error rolls back its creation with the rest)
        else:
            pending = health.start(program=program, now=now)
            changed = recompute_set_based(program_id=program.pk, now=now)
            scored = pending.finish()
    recompute_scope.save_mark(program=program, now=now, xid_mark=xid_mark, digest=digest)
    logger.info(
        "enrollments.recompute_program",
        extra={
            "program_id": program.pk,
            "changed": changed,
            "people": "all" if people is None else len(people),
            "health_scored": scored["scored"],
            "health_written": scored["written"],
            "duration_ms": round((time.monotonic() - started) * 1000),
        },
    )
    return changed


@transaction.atomic
def enrollment_record_left(
    *, enrollment: Enrollment, left_at: datetime | None = None, by=None
) -> Enrollment:
    """A coordinator records that the person left the program: the enrollment is dropped
    (history reason ``left the program``) until a match starts after ``left_at``."""
    now = timezone.now()
    left_at = left_at or now
    if left_at > now:
        raise ValidationFailed([FieldError("left_at", "must not be in the future")])
    if left_at < enrollment.enrolled_at:
        raise ValidationFailed([FieldError("left_at", "must not be before the enrollment")])
    program_lock(enrollment.program_id, exclusive=False)
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    enrollment.left_at = left_at
    enrollment.save(update_fields=["left_at", "updated_at"])
    derived = journey.derive(journey.person_facts(enrollment), now=now)
    _apply(enrollment, derived, now=now, by=by)
    logger.info(
        "enrollments.left",
        extra={
            "enrollment_id": enrollment.pk,
            "by_user_id": getattr(by, "pk", None),
            "status": enrollment.status,
        },
    )
    return enrollment


def enrollments_recompute_pending(*, batch: int = DRAIN_BATCH) -> int:
    """Recompute the oldest ``batch`` queued people and remove their rows, in one
    transaction (a failure leaves them queued); return how many rows were drained.

    Concurrent drains take different rows (``SKIP LOCKED`` on PostgreSQL); a person
    queued several times is recomputed once per program.
    """
    table = connection.ops.quote_name(PendingRecompute._meta.db_table)
    skip_locked = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} ORDER BY id"  # noqa: S608 - model table
                f" LIMIT %s{skip_locked}) RETURNING person_id, program_id",
                [batch],
            )
            claimed = cursor.fetchall()
        people: dict[int, set[int]] = defaultdict(set)
        for person_id, program_id in claimed:
            people[program_id].add(person_id)
        programs = Program.objects.in_bulk(list(people))
        for program_id, person_ids in sorted(people.items()):
            if program_id in programs:
                enrollments_recompute(program=programs[program_id], person_ids=person_ids)
                after_recompute(program=programs[program_id], person_ids=person_ids)
    return len(claimed)


# --- The attention queue: snoozing an item a coordinator handled ---------------------------

SNOOZE_MAX_DAYS = 365
#: Said where a snooze reaches further than ``SNOOZE_MAX_DAYS`` (translated on pages).
SNOOZE_TOO_FAR = gettext_noop("must be within 365 days")


@transaction.atomic
def attention_snooze(
    *,
    program: Program,
    kind: str,
    subject_type: str,
    subject_id: int | None,
    fingerprint: str,
    until,
    note: str = "",
    by=None,
    today=None,
):
    """Take an item out of the program's queue until ``until`` (or until it changes);
    snoozing it again replaces the earlier snooze."""
    from enrollments.attention import PRIORITY
    from enrollments.models import AttentionSnooze

    today = today or timezone.localdate()
    errors = []
    if kind not in PRIORITY:
        errors.append(FieldError("kind", gettext_noop("unknown kind of item")))
    if until is None or until <= today:
        errors.append(FieldError("until", gettext_noop("must be a date after today")))
    elif (until - today).days > SNOOZE_MAX_DAYS:
        errors.append(FieldError("until", SNOOZE_TOO_FAR))
    if len(note) > 500:
        errors.append(FieldError("note", gettext_noop("must be at most 500 characters")))
    if errors:
        raise ValidationFailed(errors)
    snooze, _created = AttentionSnooze.objects.update_or_create(
        program=program,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id or 0,
        defaults={"fingerprint": fingerprint, "until": until, "note": note, "by": by},
    )
    logger.info(
        "attention.snoozed",
        extra={"program_id": program.pk, "kind": kind, "subject_id": subject_id or 0},
    )
    return snooze


# --- The attention queue: the coordinator's reminder to a pair --------------------------------

#: The items whose "Remind" action emails the pair of the match a reminder.
REMINDABLE = {
    "match.no_contact_60",
    "match.no_contact_30",
    "match.no_contact_14",
    "match.checkin_due",
    "match.no_feedback",
}


@transaction.atomic
def attention_remind(
    *, program: Program, kind: str, subject_type: str, subject_id: int | None, by=None, today=None
):
    """Send the coordinator's reminder of one item to the participant and the buddy of its
    (active) match; return ``(reminder, sent)``. Once per item per day: the
    ``AttentionReminder`` row is the audit (who, when, how many people), and a second
    request the same day sends nothing (``sent`` False). The emails leave after the commit."""
    from django.conf import settings
    from django.core.mail import send_mass_mail
    from django.template.loader import render_to_string
    from django.utils import translation
    from django.utils.translation import gettext

    from buddy.models import Match
    from enrollments.models import AttentionReminder

    today = today or timezone.localdate()
    if kind not in REMINDABLE or subject_type != "match":
        raise ValidationFailed([FieldError("kind", gettext_noop("this item has no reminder"))])
    match = (
        Match.objects.active()
        .filter(program=program, pk=subject_id or 0)
        .select_related("participant", "buddy")
        .first()
    )
    if match is None:
        raise ValidationFailed(
            [FieldError("subject_id", gettext_noop("no active match of the program"))]
        )
    addresses = [p.email for p in (match.participant, match.buddy) if p.email]
    reminder, created = AttentionReminder.objects.get_or_create(
        program=program,
        kind=kind,
        subject_type=subject_type,
        subject_id=match.pk,
        day=today,
        defaults={"recipients": len(addresses), "by": by},
    )
    if not created:
        return reminder, False
    # In the site's language (the people have no language of their own here), whatever
    # the coordinator's.
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("A reminder from your buddy program")
        body = render_to_string(
            "enrollments/email/attention_reminder.txt",
            {"kind": kind, "program": program, "site_url": getattr(settings, "SITE_URL", "")},
        )
    # One message per person: neither sees the other's address.
    messages = [(subject, body, None, [address]) for address in addresses]
    transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=False))
    logger.info(
        "attention.reminded",
        extra={
            "program_id": program.pk,
            "kind": kind,
            "subject_id": match.pk,
            "recipients": len(addresses),
            "by_user_id": getattr(by, "pk", None),
        },
    )
    return reminder, True
