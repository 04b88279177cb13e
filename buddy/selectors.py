"""Reads of the buddy app used by the UI and the API."""

from django.db.models import Count, Q

from buddy.models import Match, MatchStatus
from enrollments.models import EnrollmentStatus, Program


def program_overview():
    """Every program with its enrollment and match counts (one query)."""
    return Program.objects.annotate(
        enrolled=Count("enrollments", distinct=True),
        active_enrollments=Count(
            "enrollments",
            filter=Q(enrollments__status=EnrollmentStatus.ACTIVE),
            distinct=True,
        ),
        active_matches=Count(
            "matches", filter=Q(matches__status=MatchStatus.ACTIVE), distinct=True
        ),
        matches_total=Count("matches", distinct=True),
    ).order_by("program_type")


# --- Data-quality flags (after an import; also items of the attention queue) ---------------

NEGATIVE_RATING = 0.5


def matches_zero_duration(*, program: Program):
    """Ended matches whose end equals their start."""
    from django.db.models import F

    return Match.objects.filter(
        program=program, ended_at__isnull=False, ended_at=F("matched_at")
    ).select_related("participant", "buddy")


def matches_active_without_feedback(*, program: Program, days: int = 90, now=None):
    """Matches active for more than ``days`` with no feedback at all."""
    from datetime import timedelta

    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from buddy.models import Feedback

    cutoff = (now or timezone.now()) - timedelta(days=days)
    return (
        Match.objects.active()
        .filter(program=program, matched_at__lt=cutoff)
        .exclude(Exists(Feedback.objects.filter(match=OuterRef("pk"))))
        .select_related("participant", "buddy")
    )


def feedback_negative_share(*, program: Program) -> tuple[int, int, float]:
    """(ratings below 0.5, all ratings, share) of the program's feedback."""
    from django.db.models import Count

    from buddy.models import Feedback

    counts = Feedback.objects.filter(match__program=program).aggregate(
        total=Count("id"), negative=Count("id", filter=Q(rating__lt=NEGATIVE_RATING))
    )
    total, negative = counts["total"], counts["negative"]
    return negative, total, (negative / total if total else 0.0)


def orphaned_references(*, program: Program) -> dict[str, int]:
    """How many rows keep weak references that name nothing known."""
    from buddy.models import InformalEvent, MilestoneAchievement

    return {
        "informal_events_with_unknown_attendees": InformalEvent.objects.filter(
            match__program=program
        )
        .exclude(unknown_attendee_ids=[])
        .count(),
        "milestones_with_unknown_related": MilestoneAchievement.objects.filter(
            person__enrollments__program=program
        )
        .exclude(unknown_related_ids=[])
        .count(),
    }
