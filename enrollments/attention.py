"""The needs-attention queue: what a coordinator works through each morning.

``attention_queue(program=)`` returns typed, ranked items, each saying why it is there and
linking to where to act; the page, the API and the weekly digest render it. Titles and
reasons carry ids and numbers only. Its sources: docs/architecture.md, "The
needs-attention queue"; every threshold is in ``settings.ENROLLMENTS``.
"""

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Count,
    Exists,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Greatest
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import timezone

from buddy import selectors as buddy_selectors
from buddy.models import (
    CheckIn,
    Enrollment,
    EnrollmentStatus,
    EventAttendance,
    Feedback,
    InformalEvent,
    Match,
    Program,
    Role,
    SkillSession,
)
from core.registry import Registry
from enrollments.health_reasons import reason_text
from enrollments.models import HealthBand, MatchHealth

#: Rank of each kind of item (higher first); ties go to the longest-waiting. One ranking in
#: one place, the kinds the apps above contribute (``ATTENTION_SOURCES``) included.
PRIORITY = {
    "concern.overdue": 110,
    "webhooks.dead_lettered": 100,
    "webhooks.subscriber_disabled": 95,
    "program.negative_feedback": 90,
    "match.struggling": 85,
    "match.at_risk": 82,
    "match.no_contact_60": 80,
    "feedback.low_rating": 70,
    "match.no_contact_30": 60,
    "program.match_rate_below_target": 55,
    "participant.concurrent_matches": 52,
    "match.zero_duration": 50,
    "participant.waiting": 40,
    "match.no_feedback": 35,
    "match.no_contact_14": 30,
    "match.checkin_due": 20,
}

#: Items of the apps above this one (overdue concerns, dead-lettered deliveries, disabled
#: subscribers), registered in their ``AppConfig.ready()``: ``source(program, now)`` returns
#: a list of ``AttentionItem``.
ATTENTION_SOURCES: Registry[Callable[[Program, datetime], list["AttentionItem"]]] = Registry(
    "attention items"
)


@dataclass(frozen=True)
class AttentionItem:
    kind: str  # stable code, one of PRIORITY
    title: str
    reason: str
    action_url: str
    subject_type: str  # enrollment, person, match, feedback, program, webhook_delivery, …
    subject_id: int | None
    days: int | None = None
    #: the numbers and codes of the title and reason, for their translations
    #: (``enrollments.views.item_words``); not part of the API's item
    params: dict = field(default_factory=dict, compare=False)

    @property
    def priority(self) -> int:
        return PRIORITY[self.kind]

    def as_dict(self) -> dict:
        data = asdict(self)
        del data["params"]
        return {**data, "priority": self.priority}


def admin_url(app_model: str, pk: int | None = None) -> str:
    """The admin page to act on a row (its change page) or a model (its list)."""
    try:
        if pk is None:
            return reverse(f"admin:{app_model}_changelist")
    except NoReverseMatch:  # model not registered in admin (yet)
        return reverse("admin:index")
    # A queue holds up to one item per enrollment and match (130,000 at 100,000 matches):
    # the change page's path is resolved once per model, not once per item (40 µs each).
    path = _admin_change_path(app_model)
    if path is None:
        return reverse("admin:index")
    return get_script_prefix() + path.replace(_PK, str(pk))


_PK = "__pk__"


@functools.cache
def _admin_change_path(app_model: str) -> str | None:
    """The admin change page's path with ``_PK`` for the id, without the script prefix
    (which belongs to the request: it is added back per call)."""
    try:
        url = reverse(f"admin:{app_model}_change", args=[_PK])
    except NoReverseMatch:
        return None
    return url.removeprefix(get_script_prefix())


def days_since(now: datetime, since: datetime | None) -> int | None:
    return None if since is None else (now - since).days


def _last(model, date_field: str):
    return Subquery(
        model.objects.filter(match=OuterRef("pk"))
        .order_by()
        .values("match")
        .annotate(last=Max(date_field))
        .values("last")[:1]
    )


def _mood(offset: int):
    return Subquery(
        CheckIn.objects.filter(match=OuterRef("pk"))
        .exclude(mood="")
        .order_by("-checkin_date", "-id")
        .values("mood")[offset : offset + 1]
    )


# --- The kinds of items -----------------------------------------------------------------------
#
# Each kind computed from rows is a ``SqlKind``: its rows as a queryset (filters only, so the
# kind is counted by one COUNT), the field naming its subject (ties, snoozes), the date its
# day count runs from, and how a row becomes an item. The queue is ranked and paged in the
# database: a page is the first kinds' rows in order (``AttentionQueue``), nothing else is
# materialised. Within a kind the oldest date comes first (the most days), then the lowest
# subject id.


def _contact_sources():
    return (
        (InformalEvent, "event_date"),
        (CheckIn, "checkin_date"),
        (Feedback, "submitted_at"),
        (SkillSession, "completed_at"),
        (EventAttendance, "attended_at"),
    )


def _activity(model, field: str, lookup: str, cutoff: datetime):
    return Exists(model.objects.filter(match=OuterRef("pk"), **{f"{field}__{lookup}": cutoff}))


def _no_contact_since(cutoff: datetime) -> Q:
    """The last contact (the match's start or its latest activity of any kind) is before
    ``cutoff``, as anti-joins: no activity at or after it."""
    q = Q(matched_at__lt=cutoff)
    for model, date_field in _contact_sources():
        q &= ~_activity(model, date_field, "gte", cutoff)
    return q


def _no_checkin_since(cutoff: datetime) -> Q:
    """The last check-in (the match's start without one) is before ``cutoff``."""
    any_checkin = Exists(CheckIn.objects.filter(match=OuterRef("pk")))
    return ~_activity(CheckIn, "checkin_date", "gte", cutoff) & (
        any_checkin | Q(matched_at__lt=cutoff)
    )


def _last_contact():
    return Greatest(
        "matched_at", *(Coalesce(_last(m, f), "matched_at") for m, f in _contact_sources())
    )


MATCH_PEOPLE = ("participant_id", "buddy_id")
VIA_MATCH_PEOPLE = ("match__participant_id", "match__buddy_id")


@dataclass(frozen=True)
class SqlKind:
    kind: str
    #: ``(program, now)`` → the kind's rows (a queryset: filters only)
    base: Callable[[Program, datetime], QuerySet]
    #: the field naming the item's subject
    subject: str
    #: the values an item is built of
    fields: tuple[str, ...]
    #: ``(row, now)`` → the item
    build: Callable[[dict, datetime], "AttentionItem"]
    #: the fields naming the people the item is about (participant, buddy): a recompute of
    #: either refreshes it
    people: tuple[str, ...] = MATCH_PEOPLE
    #: ``base`` → ``base`` with the annotations ``fields`` name
    annotate: Callable[[QuerySet], QuerySet] | None = None
    #: the (annotated) field the day count runs from; None: the kind has no day count
    since: str | None = None

    def rows(self, qs: QuerySet):
        if self.annotate is not None:
            qs = self.annotate(qs)
        names = dict.fromkeys((*self.fields, *self.people, self.subject))
        return qs.values(*names)

    def about(self, qs: QuerySet, person_ids) -> QuerySet:
        """Only the rows about these people."""
        q = Q()
        for name in self.people:
            q |= Q(**{f"{name}__in": person_ids})
        return qs.filter(q)


def _active_matches(program: Program):
    return Match.objects.active().filter(program=program, matched_at__isnull=False)


def _ago(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


# participant.waiting


def _waiting_base(program: Program, now: datetime):
    return buddy_selectors.enrollments_waiting(program=program)


def _waiting_item(row: dict, now: datetime) -> "AttentionItem":
    days = days_since(now, row["waiting_since"])
    return AttentionItem(
        kind="participant.waiting",
        title=f"Participant #{row['person_id']} waiting {days} days for a match",
        reason="Active in the program with no open match.",
        action_url=admin_url("buddy_enrollment", row["pk"]),
        subject_type="enrollment",
        subject_id=row["pk"],
        days=days,
        params={"person": row["person_id"], "days": days},
    )


# participant.concurrent_matches


def _concurrent_base(program: Program, now: datetime):
    """One row per participant with several active matches in the program (flagged by
    ``buddy.services.matches.matches_refresh_concurrent``); days since the newest started."""
    return (
        Match.objects.active()
        .filter(program=program, concurrent_active=True)
        .values("participant_id")
        .annotate(active=Count("pk"), since=Max("matched_at"))
        .filter(active__gt=1)
    )


def _concurrent_item(row: dict, now: datetime) -> "AttentionItem":
    program_id = row["program_id"]
    return AttentionItem(
        kind="participant.concurrent_matches",
        title=f"Participant #{row['participant_id']}: {row['active']} active matches at once",
        reason="The Buddy System reported more than one active match in this program; "
        "the app allows one. End the extra match(es) or correct the data.",
        action_url=admin_url("buddy_match")
        + "?"
        + urlencode(
            {
                "participant__id__exact": row["participant_id"],
                "program__id__exact": program_id,
                "status__exact": "active",
            }
        ),
        subject_type="person",
        subject_id=row["participant_id"],
        days=days_since(now, row["since"]),
        params={"person": row["participant_id"], "active": row["active"]},
    )


# match.no_contact_60 / _30 / _14


def _no_contact_kind(bucket: int, wider: int | None) -> SqlKind:
    """Matches whose last contact is more than ``bucket`` days ago, and (``wider``) not more
    than the next bucket's days (an item is in the widest bucket it reaches)."""

    def base(program: Program, now: datetime):
        qs = _active_matches(program).filter(_no_contact_since(_ago(now, bucket)))
        if wider is not None:
            qs = qs.exclude(_no_contact_since(_ago(now, wider)))
        return qs

    def item(row: dict, now: datetime) -> AttentionItem:
        silent = days_since(now, row["last_contact"])
        return AttentionItem(
            kind=f"match.no_contact_{bucket}",
            title=f"Match #{row['pk']}: no contact for {silent} days",
            reason=f"No activity of any kind logged for more than {bucket} days.",
            action_url=admin_url("buddy_match", row["pk"]),
            subject_type="match",
            subject_id=row["pk"],
            days=silent,
            params={"match": row["pk"], "days": silent, "bucket": bucket},
        )

    return SqlKind(
        kind=f"match.no_contact_{bucket}",
        base=base,
        subject="pk",
        since="last_contact",
        annotate=lambda qs: qs.annotate(last_contact=_last_contact()),
        fields=("pk", "last_contact"),
        build=item,
    )


# match.checkin_due


def _checkin_due_base(program: Program, now: datetime):
    return _active_matches(program).filter(
        _no_checkin_since(_ago(now, settings.ENROLLMENTS["CHECKIN_DUE_DAYS"]))
    )


def _checkin_due_item(row: dict, now: datetime) -> "AttentionItem":
    since = days_since(now, row["checkin_since"])
    due = settings.ENROLLMENTS["CHECKIN_DUE_DAYS"]
    return AttentionItem(
        kind="match.checkin_due",
        title=f"Match #{row['pk']}: check-in due ({since} days since the last)",
        reason=f"No check-in for more than {due} days.",
        action_url=admin_url("buddy_match", row["pk"]),
        subject_type="match",
        subject_id=row["pk"],
        days=since,
        params={"match": row["pk"], "days": since, "due": due},
    )


# match.struggling


def _struggling_base(program: Program, now: datetime):
    moods = settings.ENROLLMENTS["STRUGGLING_MOODS"]
    struggled = Exists(CheckIn.objects.filter(match=OuterRef("pk"), mood__in=moods))
    return (
        _active_matches(program)
        .filter(struggled)
        .annotate(mood_1=_mood(0), mood_2=_mood(1))
        .filter(mood_1__in=moods, mood_2__in=moods)
    )


def _struggling_item(row: dict, now: datetime) -> "AttentionItem":
    return AttentionItem(
        kind="match.struggling",
        title=f"Match #{row['pk']}: the last two moods were "
        + (
            f"both {row['mood_1']}"
            if row["mood_1"] == row["mood_2"]
            else f"{row['mood_2']} and {row['mood_1']}"
        ),
        reason="The last two check-ins report struggling or difficult.",
        action_url=admin_url("buddy_match", row["pk"]),
        subject_type="match",
        subject_id=row["pk"],
        params={"match": row["pk"], "newer": row["mood_1"], "older": row["mood_2"]},
    )


# match.at_risk


def _at_risk_base(program: Program, now: datetime):
    """Active matches whose health is "at risk" (``enrollments.health``), with the reason
    that moved them there; ``days``: how long they have been at risk."""
    return MatchHealth.objects.filter(
        program=program, band=HealthBand.AT_RISK, match__status="active"
    )


def _english(render, value) -> str:
    """An item's own text is English whatever the request's language (its fingerprint, what
    a snooze compares, must not change with the reader); pages translate from ``params``."""
    from django.utils import translation

    with translation.override("en"):
        return render(value)


def _at_risk_item(row: dict, now: datetime) -> "AttentionItem":
    return AttentionItem(
        kind="match.at_risk",
        title=f"Match #{row['match_id']}: health {row['score']} (at risk)",
        reason=f"At risk: {_english(reason_text, row['band_reason'])}.",
        action_url=admin_url("buddy_match", row["match_id"]),
        subject_type="match",
        subject_id=row["match_id"],
        days=days_since(now, row["band_since"]),
        params={"match": row["match_id"], "score": row["score"], "reason": row["band_reason"]},
    )


# feedback.low_rating


def _low_rating_base(program: Program, now: datetime):
    c = settings.ENROLLMENTS
    return Feedback.objects.filter(
        match__program=program,
        rating__lt=c["LOW_RATING"],
        submitted_at__gte=now - timedelta(days=c["LOW_RATING_RECENT_DAYS"]),
    )


def _low_rating_item(row: dict, now: datetime) -> "AttentionItem":
    c = settings.ENROLLMENTS
    return AttentionItem(
        kind="feedback.low_rating",
        title=f"Match #{row['match_id']}: rated {row['rating']:.2f} by the {row['from_role']}",
        reason=f"A rating below {c['LOW_RATING']} in the last {c['LOW_RATING_RECENT_DAYS']} days.",
        action_url=admin_url("buddy_feedback", row["pk"]),
        subject_type="feedback",
        subject_id=row["pk"],
        days=days_since(now, row["submitted_at"]),
        params={
            "match": row["match_id"],
            "rating": row["rating"],
            "role": row["from_role"],
            "low": c["LOW_RATING"],
            "recent": c["LOW_RATING_RECENT_DAYS"],
        },
    )


# match.no_feedback / match.zero_duration


def _no_feedback_base(program: Program, now: datetime):
    return buddy_selectors.matches_active_without_feedback(
        program=program, days=settings.ENROLLMENTS["NO_FEEDBACK_DAYS"], now=now
    ).select_related(None)


def _no_feedback_item(row: dict, now: datetime) -> "AttentionItem":
    days = days_since(now, row["matched_at"])
    return AttentionItem(
        kind="match.no_feedback",
        title=f"Match #{row['pk']}: active {days} days without feedback",
        reason=f"Active for more than {settings.ENROLLMENTS['NO_FEEDBACK_DAYS']} days with no "
        "feedback at all.",
        action_url=admin_url("buddy_match", row["pk"]),
        subject_type="match",
        subject_id=row["pk"],
        days=days,
        params={
            "match": row["pk"],
            "days": days,
            "limit": settings.ENROLLMENTS["NO_FEEDBACK_DAYS"],
        },
    )


def _zero_duration_item(row: dict, now: datetime) -> "AttentionItem":
    return AttentionItem(
        kind="match.zero_duration",
        title=f"Match #{row['pk']}: ended the moment it started",
        reason="Zero-duration match (ended_at equals matched_at): check the data.",
        action_url=admin_url("buddy_match", row["pk"]),
        subject_type="match",
        subject_id=row["pk"],
        params={"match": row["pk"]},
    )


def _c() -> dict:
    return settings.ENROLLMENTS


def _sql_kinds() -> list[SqlKind]:
    d14, d30, d60 = _c()["NO_CONTACT_DAYS"][:3]
    return [
        SqlKind(
            kind="match.struggling",
            base=_struggling_base,
            subject="pk",
            fields=("pk", "mood_1", "mood_2"),
            build=_struggling_item,
        ),
        SqlKind(
            kind="match.at_risk",
            base=_at_risk_base,
            subject="match_id",
            since="band_since",
            fields=("match_id", "score", "band_reason", "band_since"),
            people=VIA_MATCH_PEOPLE,
            build=_at_risk_item,
        ),
        _no_contact_kind(d60, None),
        SqlKind(
            kind="feedback.low_rating",
            base=_low_rating_base,
            subject="pk",
            since="submitted_at",
            fields=("pk", "match_id", "rating", "from_role", "submitted_at"),
            people=VIA_MATCH_PEOPLE,
            build=_low_rating_item,
        ),
        _no_contact_kind(d30, d60),
        SqlKind(
            kind="participant.concurrent_matches",
            base=_concurrent_base,
            subject="participant_id",
            since="since",
            fields=("participant_id", "active", "since"),
            people=("participant_id",),
            build=_concurrent_item,
        ),
        SqlKind(
            kind="match.zero_duration",
            base=lambda program, now: buddy_selectors.matches_zero_duration(
                program=program
            ).select_related(None),
            subject="pk",
            fields=("pk",),
            build=_zero_duration_item,
        ),
        SqlKind(
            kind="participant.waiting",
            base=_waiting_base,
            subject="pk",
            since="waiting_since",
            fields=("pk", "person_id", "waiting_since"),
            people=("person_id",),
            build=_waiting_item,
        ),
        SqlKind(
            kind="match.no_feedback",
            base=_no_feedback_base,
            subject="pk",
            since="matched_at",
            fields=("pk", "matched_at"),
            build=_no_feedback_item,
        ),
        _no_contact_kind(d14, d30),
        SqlKind(
            kind="match.checkin_due",
            base=_checkin_due_base,
            subject="pk",
            since="checkin_since",
            annotate=lambda qs: qs.annotate(
                checkin_since=Coalesce(_last(CheckIn, "checkin_date"), "matched_at")
            ),
            fields=("pk", "checkin_since"),
            build=_checkin_due_item,
        ),
    ]


# Items computed whole (one aggregate each, or few rows from the apps above).


def _match_rate(program: Program, now: datetime) -> list["AttentionItem"]:
    active_match = Match.objects.active().filter(program=program, participant=OuterRef("person_id"))
    counts = (
        Enrollment.objects.filter(
            program=program, status=EnrollmentStatus.ACTIVE, person__role=Role.PARTICIPANT
        )
        .annotate(has_match=Exists(active_match))
        .aggregate(total=Count("pk"), matched=Count("pk", filter=Q(has_match=True)))
    )
    if not counts["total"]:
        return []
    rate = counts["matched"] / counts["total"]
    if rate >= program.match_rate_target:
        return []
    return [
        AttentionItem(
            kind="program.match_rate_below_target",
            title=f"{program.program_type}: {rate:.0%} of participants matched "
            f"(target {program.match_rate_target:.0%})",
            reason=f"{counts['matched']} of {counts['total']} active participants have an "
            "active match.",
            action_url=admin_url("buddy_program", program.pk),
            subject_type="program",
            subject_id=program.pk,
            params={
                "program": program.program_type,
                "rate": rate,
                "target": program.match_rate_target,
                "matched": counts["matched"],
                "total": counts["total"],
            },
        )
    ]


def _negative_feedback(program: Program, now: datetime) -> list["AttentionItem"]:
    c = settings.ENROLLMENTS
    negative, total, share = buddy_selectors.feedback_negative_share(program=program)
    if not total or share <= c["NEGATIVE_SHARE"]:
        return []
    return [
        AttentionItem(
            kind="program.negative_feedback",
            title=f"{program.program_type}: {share:.0%} of ratings are below {c['LOW_RATING']}",
            reason=f"{negative} of {total} ratings are low (threshold {c['NEGATIVE_SHARE']:.0%}).",
            action_url=admin_url("buddy_feedback"),
            subject_type="program",
            subject_id=program.pk,
            params={
                "program": program.program_type,
                "share": share,
                "low": c["LOW_RATING"],
                "negative": negative,
                "total": total,
                "threshold": c["NEGATIVE_SHARE"],
            },
        )
    ]


def _sort_key(item: "AttentionItem") -> tuple:
    return (-item.priority, -(item.days or 0), item.subject_id or 0)


def _whole_items(program: Program, now: datetime) -> list["AttentionItem"]:
    """The items computed whole at each read: the apps' above (``ATTENTION_SOURCES``: few
    rows of their own data, which no recompute follows)."""
    return [item for source in ATTENTION_SOURCES for item in source(program, now)]


def _program_items(program: Program, now: datetime) -> list["AttentionItem"]:
    """The program-wide items (one aggregate each)."""
    return [*_match_rate(program, now), *_negative_feedback(program, now)]


def _built(sql: SqlKind, row: dict, program: Program, now: datetime) -> "AttentionItem":
    return sql.build({**row, "program_id": program.pk}, now)


def attention_queue(*, program: Program, now: datetime | None = None) -> list[AttentionItem]:
    """The program's needs-attention items, most urgent first, computed now from the data
    (the weekly digest, tests). The pages and the API read the same items kept by the
    recompute (``AttentionQueue``)."""
    now = now or timezone.now()
    items = [*_whole_items(program, now), *_program_items(program, now)]
    for sql in _sql_kinds():
        items += [_built(sql, row, program, now) for row in sql.rows(sql.base(program, now))]
    return sorted(items, key=_sort_key)


# --- The kept queue: refreshed by the recompute, ranked and paged in the database ------------
#
# Why kept rows and not the kinds' queries at each read: at 100,000 matches each kind's COUNT
# alone costs 0.1–2 s (last contact over five activity tables, the last two moods, waiting
# since the last match's end), so no read that counts the queue could stay under 300 ms. The
# recompute already runs after every change (and nightly, when items age with time) for the
# journey flags; it refreshes the items of the people it recomputed, the same kinds' queries
# restricted to them. A read is then: the counts per kind the refresh kept, the snoozed items
# per kind (an anti-join on the stored fingerprint), one ranked page (``attention_entry_rank``).


def _entry(program, sql: SqlKind | None, item: "AttentionItem", row: dict | None, people=()):
    from enrollments.models import AttentionEntry

    since = row.get(sql.since) if (sql is not None and sql.since) else None
    # a program-wide item is kept whole; a kind's row without its date (a column)
    kept = asdict(item) if sql is None else {k: v for k, v in row.items() if k != sql.since}
    participant, buddy = (*people, None, None)[:2]
    return AttentionEntry(
        program=program,
        kind=item.kind,
        priority=item.priority,
        subject_type=item.subject_type,
        subject_id=item.subject_id or 0,
        since=since,
        participant_id=participant,
        buddy_id=buddy,
        row=kept,
        fingerprint=item_fingerprint(item),
    )


def _entries_of(sql: SqlKind, qs, program: Program, now: datetime):
    for row in sql.rows(qs).iterator(chunk_size=5000):
        people = tuple(row[name] for name in sql.people)
        yield _entry(program, sql, _built(sql, row, program, now), row, people)


REFRESH_BATCH = 5000


@transaction.atomic
def attention_refresh(*, program: Program, person_ids=None, now: datetime | None = None) -> int:
    """Refresh the program's kept items: all of them (``person_ids`` None: nightly, first
    read) or those about these people (after their recompute); return how many are kept
    for them now. A partial refresh of a program never refreshed whole does nothing (its
    first read refreshes it whole)."""
    from enrollments.impact import figures_sql

    # JIT off: PostgreSQL JIT-compiles the waiting and no-contact sources (high estimated
    # cost) and spends longer compiling than running them (EXPLAIN on the bench data).
    with figures_sql.impl.without_jit():
        return _attention_refresh(program=program, person_ids=person_ids, now=now)


def _attention_refresh(*, program: Program, person_ids, now: datetime | None) -> int:
    from enrollments.models import AttentionEntry, AttentionQueueState

    now = now or timezone.now()
    if person_ids is None:
        AttentionQueueState.objects.get_or_create(
            program=program, defaults={"refreshed_at": now, "changed_at": now}
        )
    state = AttentionQueueState.objects.select_for_update().filter(program=program).first()
    if state is None:
        return 0
    kinds = _sql_kinds()
    kept = AttentionEntry.objects.filter(program=program)
    if person_ids is None:
        kept.delete()
        sources = [(sql, sql.base(program, now)) for sql in kinds]
    else:
        ids = sorted({int(i) for i in person_ids})
        kept.filter(kind__in=[sql.kind for sql in kinds]).filter(
            Q(participant_id__in=ids) | Q(buddy_id__in=ids)
        ).delete()
        sources = [(sql, sql.about(sql.base(program, now), ids)) for sql in kinds]
    program_wide = {"program.match_rate_below_target", "program.negative_feedback"}
    kept.filter(kind__in=program_wide).delete()
    entries = [_entry(program, None, item, None) for item in _program_items(program, now)]
    written = 0
    for sql, qs in sources:
        for entry in _entries_of(sql, qs, program, now):
            entries.append(entry)
            if len(entries) >= REFRESH_BATCH:
                written += len(AttentionEntry.objects.bulk_create(entries))
                entries = []
    written += len(AttentionEntry.objects.bulk_create(entries))
    state.counts = dict(kept.order_by().values_list("kind").annotate(n=Count("*")))
    state.changed_at = timezone.now()
    if person_ids is None:
        state.refreshed_at = now
    state.save(update_fields=["refreshed_at", "changed_at", "counts"])
    return written


def attention_refresh_step(*, program: Program, person_ids=None) -> None:
    """The recompute's step (``enrollments.services.AFTER_RECOMPUTE``)."""
    attention_refresh(program=program, person_ids=person_ids)


def dashboard_warm_step(*, program: Program, person_ids=None) -> None:
    """The recompute's step after ``attention_refresh_step`` (whose new ``changed_at`` keys
    the dashboard's cached figures): once the recompute commits, a task computes and caches
    the program's figures (``selectors.dashboard_figures_warm``), so no coordinator waits
    for them. Without a broker the first dashboard read computes them, as before.
    Whole-program recomputes only (nightly): a task per small recompute would add an enqueue
    to every webhook event (tests/webhooks/test_queries_per_event.py); after those the next
    dashboard read answers the last figures and asks for the task itself
    (``selectors.dashboard_figures``)."""
    if person_ids is not None:
        return
    from core.broker import task_send

    def send():
        task_send(
            "enrollments.tasks.dashboard_warm",
            recovery="the dashboard's next read computes its figures",
            kwargs={"program_id": program.pk},
        )

    transaction.on_commit(send)


class AttentionQueue:
    """The program's needs-attention items, most urgent first, as kept by the recompute
    (``attention_refresh``) plus the apps' above (read now): ranked, counted, filtered
    (``kind``, ``min_days``) and paged in the database. ``hide_snoozed`` leaves out what a
    coordinator snoozed (until its date, unless the item changed since: an anti-join on
    the fingerprint). Usable as a sequence by ``Paginator`` and DRF's pagination.

    A fixed number of queries whatever the program's size: the state (a program never
    refreshed is refreshed whole first), the apps' sources, the snoozes of their items,
    one GROUP BY kind (two with filters), the snoozed count, one per page."""

    def __init__(
        self,
        *,
        program: Program,
        now: datetime | None = None,
        kind: str | None = None,
        min_days: int | None = None,
        hide_snoozed: bool = True,
    ):
        from enrollments.models import AttentionQueueState

        self.program, self.now = program, now or timezone.now()
        self.kind, self.min_days, self.hide_snoozed = kind, min_days, hide_snoozed
        self.state = AttentionQueueState.objects.filter(program=program).first()
        if self.state is None:
            attention_refresh(program=program, now=self.now)
            self.state = AttentionQueueState.objects.get(program=program)
        self._whole: dict[str, list[AttentionItem]] | None = None
        self._summary: dict[str, int] | None = None
        self._counts: dict[str, int] | None = None
        self._snoozed_kept = 0
        self._sql = {sql.kind: sql for sql in _sql_kinds()}

    def _snoozes(self):
        from enrollments.models import AttentionSnooze

        return AttentionSnooze.objects.filter(program=self.program, until__gte=self.now.date())

    def _entries(self, *, filtered: bool):
        from enrollments.models import AttentionEntry

        qs = AttentionEntry.objects.filter(program=self.program)
        if self.hide_snoozed:
            qs = qs.exclude(Exists(self._matching_snooze()))
        return self._filtered(qs, filtered)

    def _filtered(self, qs, filtered: bool):
        if filtered and self.kind:
            qs = qs.filter(kind=self.kind)
        if filtered and self.min_days is not None:
            qs = qs.filter(since__lte=self.now - timedelta(days=self.min_days))
        return qs

    def _matching_snooze(self):
        return self._snoozes().filter(
            kind=OuterRef("kind"),
            subject_type=OuterRef("subject_type"),
            subject_id=OuterRef("subject_id"),
            fingerprint=OuterRef("fingerprint"),
        )

    def _whole_kinds(self) -> dict[str, list["AttentionItem"]]:
        """The apps' items by kind, snoozed ones left out (``_hidden``: how many)."""
        if self._whole is None:
            items = sorted(_whole_items(self.program, self.now), key=_sort_key)
            self._hidden = 0
            if items and self.hide_snoozed:
                snoozed = {
                    (k, t, i): f
                    for k, t, i, f in self._snoozes()
                    .filter(kind__in={item.kind for item in items})
                    .values_list("kind", "subject_type", "subject_id", "fingerprint")
                }
                kept = [
                    i
                    for i in items
                    if snoozed.get((i.kind, i.subject_type, i.subject_id or 0))
                    != item_fingerprint(i)
                ]
                self._hidden = len(items) - len(kept)
                items = kept
            grouped: dict[str, list[AttentionItem]] = {}
            for item in items:
                grouped.setdefault(item.kind, []).append(item)
            self._whole = grouped
        return self._whole

    def _whole_of(self, kind: str, *, filtered: bool) -> list["AttentionItem"]:
        items = self._whole_kinds().get(kind, [])
        if filtered and self.kind and kind != self.kind:
            return []
        if filtered and self.min_days is not None:
            items = [i for i in items if i.days is not None and i.days >= self.min_days]
        return items

    def _grouped(self, *, filtered: bool) -> dict[str, int]:
        """Items per kind: all kept (the counts the refresh keeps; filtered: a GROUP BY on
        the index ``attention_entry_kind``) minus the snoozed (a GROUP BY from the few
        snoozes)."""
        from enrollments.models import AttentionEntry

        qs = self._filtered(AttentionEntry.objects.filter(program=self.program), filtered)
        if filtered:
            counts = dict(qs.order_by().values_list("kind").annotate(n=Count("*")))
        else:  # kept by the refresh
            counts = dict(self.state.counts)
        if self.hide_snoozed:
            snoozed = dict(
                qs.filter(Exists(self._matching_snooze()))
                .order_by()
                .values_list("kind")
                .annotate(n=Count("*"))
            )
            if not filtered:
                self._snoozed_kept = sum(snoozed.values())
            counts = {k: n - snoozed.get(k, 0) for k, n in counts.items()}
        for kind in self._whole_kinds():
            if n := len(self._whole_of(kind, filtered=filtered)):
                counts[kind] = n
        return dict(
            sorted(((k, n) for k, n in counts.items() if n), key=lambda kv: -PRIORITY.get(kv[0], 0))
        )

    # -- the reads

    def summary(self) -> dict[str, int]:
        """How many items of each kind (unfiltered, snoozed left out), most urgent first."""
        if self._summary is None:
            self._summary = self._grouped(filtered=False)
        return self._summary

    def snoozed_count(self) -> int:
        """How many items are left out as snoozed."""
        self.summary()
        return self._hidden + self._snoozed_kept

    def counts(self) -> dict[str, int]:
        """How many items of each kind pass the filters."""
        if self._counts is None:
            if self.kind is None and self.min_days is None:
                self._counts = self.summary()
            else:
                self._counts = self._grouped(filtered=True)
        return self._counts

    def count(self) -> int:
        return sum(self.counts().values())

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        return iter(self[0 : self.count()])

    def __getitem__(self, index):
        if isinstance(index, int):
            items = list(self)
            return items[index]
        start, stop, step = index.indices(self.count())
        if step != 1:
            return list(self)[index]
        # The kinds in rank order: the apps' items from memory, each run of kept kinds in
        # one ranked query.
        segments: list[list] = []  # [kinds, whole, first offset, items]
        offset = 0
        for kind, n in self.counts().items():
            whole = kind in self._whole_kinds()
            if segments and not whole and not segments[-1][1]:
                segments[-1][0].append(kind)
                segments[-1][3] += n
            else:
                segments.append([[kind], whole, offset, n])
            offset += n
        items: list[AttentionItem] = []
        for kinds, whole, first, n in segments:
            lo, hi = max(start - first, 0), min(stop - first, n)
            if lo < hi:
                items += (
                    self._whole_of(kinds[0], filtered=True)[lo:hi]
                    if whole
                    else self._kept(kinds, lo, hi)
                )
        return items

    def _kept(self, kinds: list[str], lo: int, hi: int) -> list["AttentionItem"]:
        rows = (
            self._entries(filtered=True)
            .filter(kind__in=kinds)
            .order_by("-priority", "since", "subject_id")
            .values_list("kind", "since", "row")[lo:hi]
        )
        items = []
        for kind, since, row in rows:
            sql = self._sql.get(kind)
            if sql is None:  # program-wide: built of the row it keeps
                items.append(AttentionItem(**row))
                continue
            if sql.since:
                row = {**row, sql.since: since}
            items.append(_built(sql, row, self.program, self.now))
        return items


def attention_summary(items) -> dict[str, int]:
    """How many items of each kind (for headings and the digest)."""
    if isinstance(items, AttentionQueue):
        return items.summary()
    summary: dict[str, int] = {}
    for item in items:
        summary[item.kind] = summary.get(item.kind, 0) + 1
    return dict(sorted(summary.items(), key=lambda kv: -PRIORITY[kv[0]]))


def item_fingerprint(item: AttentionItem) -> str:
    """What a snooze remembers of an item: it comes back when this changes. The title counts
    only for items without a day count (a day count changes every day by itself)."""
    import hashlib

    parts = (item.kind, item.subject_type, str(item.subject_id or 0), item.reason)
    if item.days is None:
        parts += (item.title,)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def attention_queue_unsnoozed(
    *, program: Program, now: datetime | None = None
) -> tuple[list[AttentionItem], int]:
    """The queue without the items a coordinator snoozed (until their date, unless they
    changed since), and how many were left out."""
    queue = AttentionQueue(program=program, now=now)
    return list(queue), queue.snoozed_count()
