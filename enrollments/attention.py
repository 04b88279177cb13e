"""The needs-attention queue: what a coordinator works through each morning.

``attention_queue(program=)`` returns typed, ranked items, each saying why it is there and
linking to where to act; the page, the API and the weekly digest render it. Titles and
reasons carry ids and numbers only. Its sources: docs/architecture.md, "The
needs-attention queue"; every threshold is in ``settings.ENROLLMENTS``.
"""

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    Max,
    OuterRef,
    Q,
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

    @property
    def priority(self) -> int:
        return PRIORITY[self.kind]

    def as_dict(self) -> dict:
        return {**asdict(self), "priority": self.priority}


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


def _waiting(program: Program, now: datetime) -> list[AttentionItem]:
    from buddy.selectors import enrollments_waiting

    waiting = (
        enrollments_waiting(program=program)
        .order_by("waiting_since")
        .values("pk", "person_id", "waiting_since")
    )
    return [
        AttentionItem(
            kind="participant.waiting",
            title=f"Participant #{row['person_id']} waiting "
            f"{days_since(now, row['waiting_since'])} days for a match",
            reason="Active in the program with no open match.",
            action_url=admin_url("buddy_enrollment", row["pk"]),
            subject_type="enrollment",
            subject_id=row["pk"],
            days=days_since(now, row["waiting_since"]),
        )
        for row in waiting
    ]


def _match_rate(program: Program) -> list[AttentionItem]:
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
        )
    ]


def _concurrent(program: Program, now: datetime) -> list[AttentionItem]:
    """One item per participant with several active matches in the program (flagged by
    ``buddy.services.matches.matches_refresh_concurrent``); days since the newest started."""
    rows = (
        Match.objects.active()
        .filter(program=program, concurrent_active=True)
        .values("participant_id")
        .annotate(active=Count("pk"), since=Max("matched_at"))
        .filter(active__gt=1)
        .order_by("participant_id")
    )
    changelist = admin_url("buddy_match")
    return [
        AttentionItem(
            kind="participant.concurrent_matches",
            title=f"Participant #{row['participant_id']}: {row['active']} active matches at once",
            reason="The Buddy System reported more than one active match in this program; "
            "the app allows one. End the extra match(es) or correct the data.",
            action_url=changelist
            + "?"
            + urlencode(
                {
                    "participant__id__exact": row["participant_id"],
                    "program__id__exact": program.pk,
                    "status__exact": "active",
                }
            ),
            subject_type="person",
            subject_id=row["participant_id"],
            days=days_since(now, row["since"]),
        )
        for row in rows
    ]


def _matches(program: Program, now: datetime) -> list[AttentionItem]:
    c = settings.ENROLLMENTS
    d14, d30, d60 = c["NO_CONTACT_DAYS"][:3]
    ago = lambda days: now - timedelta(days=days)  # noqa: E731
    contact_sources = (
        (InformalEvent, "event_date"),
        (CheckIn, "checkin_date"),
        (Feedback, "submitted_at"),
        (SkillSession, "completed_at"),
        (EventAttendance, "attended_at"),
    )
    matches = (
        Match.objects.active()
        .filter(program=program, matched_at__isnull=False)
        .annotate(
            last_checkin=_last(CheckIn, "checkin_date"),
            last_contact=Greatest(
                "matched_at", *(Coalesce(_last(m, f), "matched_at") for m, f in contact_sources)
            ),
            mood_1=_mood(0),
            mood_2=_mood(1),
        )
        .annotate(checkin_since=Coalesce("last_checkin", "matched_at"))
        .filter(
            Q(last_contact__lt=ago(d14))
            | Q(checkin_since__lt=ago(c["CHECKIN_DUE_DAYS"]))
            | Q(mood_1__in=c["STRUGGLING_MOODS"], mood_2__in=c["STRUGGLING_MOODS"])
        )
        .values("pk", "last_contact", "checkin_since", "mood_1", "mood_2")
    )
    items = []
    for row in matches:
        url = admin_url("buddy_match", row["pk"])
        silent = days_since(now, row["last_contact"])
        bucket = next((d for d in (d60, d30, d14) if row["last_contact"] < ago(d)), None)
        if bucket is not None:
            items.append(
                AttentionItem(
                    kind=f"match.no_contact_{bucket}",
                    title=f"Match #{row['pk']}: no contact for {silent} days",
                    reason=f"No activity of any kind logged for more than {bucket} days.",
                    action_url=url,
                    subject_type="match",
                    subject_id=row["pk"],
                    days=silent,
                )
            )
        if row["checkin_since"] < ago(c["CHECKIN_DUE_DAYS"]):
            since = days_since(now, row["checkin_since"])
            items.append(
                AttentionItem(
                    kind="match.checkin_due",
                    title=f"Match #{row['pk']}: check-in due ({since} days since the last)",
                    reason=f"No check-in for more than {c['CHECKIN_DUE_DAYS']} days.",
                    action_url=url,
                    subject_type="match",
                    subject_id=row["pk"],
                    days=since,
                )
            )
        moods = {row["mood_1"], row["mood_2"]}
        if None not in moods and moods <= set(c["STRUGGLING_MOODS"]):
            items.append(
                AttentionItem(
                    kind="match.struggling",
                    title=f"Match #{row['pk']}: the last two moods were "
                    + (
                        f"both {row['mood_1']}"
                        if row["mood_1"] == row["mood_2"]
                        else f"{row['mood_2']} and {row['mood_1']}"
                    ),
                    reason="The last two check-ins report struggling or difficult.",
                    action_url=url,
                    subject_type="match",
                    subject_id=row["pk"],
                )
            )
    return items


def _at_risk(program: Program, now: datetime) -> list[AttentionItem]:
    """Active matches whose health is "at risk" (``enrollments.health``), with the reason
    that moved them there; ``days``: how long they have been at risk."""
    rows = (
        MatchHealth.objects.filter(program=program, band=HealthBand.AT_RISK, match__status="active")
        .values("match_id", "score", "band_reason", "band_since")
        .order_by("match_id")
    )
    return [
        AttentionItem(
            kind="match.at_risk",
            title=f"Match #{row['match_id']}: health {row['score']} (at risk)",
            reason=f"At risk: {row['band_reason']}.",
            action_url=admin_url("buddy_match", row["match_id"]),
            subject_type="match",
            subject_id=row["match_id"],
            days=days_since(now, row["band_since"]),
        )
        for row in rows
    ]


def _low_ratings(program: Program, now: datetime) -> list[AttentionItem]:
    c = settings.ENROLLMENTS
    rows = (
        Feedback.objects.filter(
            match__program=program,
            rating__lt=c["LOW_RATING"],
            submitted_at__gte=now - timedelta(days=c["LOW_RATING_RECENT_DAYS"]),
        )
        .order_by("submitted_at")
        .values("pk", "match_id", "rating", "from_role", "submitted_at")
    )
    return [
        AttentionItem(
            kind="feedback.low_rating",
            title=f"Match #{row['match_id']}: rated {row['rating']:.2f} by the {row['from_role']}",
            reason=f"A rating below {c['LOW_RATING']} in the last "
            f"{c['LOW_RATING_RECENT_DAYS']} days.",
            action_url=admin_url("buddy_feedback", row["pk"]),
            subject_type="feedback",
            subject_id=row["pk"],
            days=days_since(now, row["submitted_at"]),
        )
        for row in rows
    ]


def _data_quality(program: Program, now: datetime) -> list[AttentionItem]:
    c = settings.ENROLLMENTS
    items = [
        AttentionItem(
            kind="match.no_feedback",
            title=f"Match #{m.pk}: active {days_since(now, m.matched_at)} days without feedback",
            reason=f"Active for more than {c['NO_FEEDBACK_DAYS']} days with no feedback at all.",
            action_url=admin_url("buddy_match", m.pk),
            subject_type="match",
            subject_id=m.pk,
            days=days_since(now, m.matched_at),
        )
        for m in buddy_selectors.matches_active_without_feedback(
            program=program, days=c["NO_FEEDBACK_DAYS"], now=now
        )
        .select_related(None)
        .only("pk", "matched_at")
    ]
    items += [
        AttentionItem(
            kind="match.zero_duration",
            title=f"Match #{m.pk}: ended the moment it started",
            reason="Zero-duration match (ended_at equals matched_at): check the data.",
            action_url=admin_url("buddy_match", m.pk),
            subject_type="match",
            subject_id=m.pk,
        )
        for m in buddy_selectors.matches_zero_duration(program=program)
        .select_related(None)
        .only("pk")
    ]
    negative, total, share = buddy_selectors.feedback_negative_share(program=program)
    if total and share > c["NEGATIVE_SHARE"]:
        items.append(
            AttentionItem(
                kind="program.negative_feedback",
                title=f"{program.program_type}: {share:.0%} of ratings are below {c['LOW_RATING']}",
                reason=f"{negative} of {total} ratings are low (threshold "
                f"{c['NEGATIVE_SHARE']:.0%}).",
                action_url=admin_url("buddy_feedback"),
                subject_type="program",
                subject_id=program.pk,
            )
        )
    return items


def attention_queue(*, program: Program, now: datetime | None = None) -> list[AttentionItem]:
    """The program's needs-attention items, most urgent first."""
    now = now or timezone.now()
    items = [
        *(item for source in ATTENTION_SOURCES for item in source(program, now)),
        *_match_rate(program),
        *_waiting(program, now),
        *_concurrent(program, now),
        *_matches(program, now),
        *_at_risk(program, now),
        *_low_ratings(program, now),
        *_data_quality(program, now),
    ]
    return sorted(items, key=lambda i: (-i.priority, -(i.days or 0), i.subject_id or 0))


def attention_summary(items: list[AttentionItem]) -> dict[str, int]:
    """How many items of each kind (for headings and the digest)."""
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
    changed since), and how many were left out. One query more than ``attention_queue``."""
    from enrollments.models import AttentionSnooze

    now = now or timezone.now()
    items = attention_queue(program=program, now=now)
    snoozed = {
        (s.kind, s.subject_type, s.subject_id): s.fingerprint
        for s in AttentionSnooze.objects.filter(program=program, until__gte=now.date()).only(
            "kind", "subject_type", "subject_id", "fingerprint"
        )
    }
    kept = [
        item
        for item in items
        if (fingerprint := snoozed.get((item.kind, item.subject_type, item.subject_id or 0)))
        is None
        or fingerprint != item_fingerprint(item)  # only a snoozed item's is computed
    ]
    return kept, len(items) - len(kept)
