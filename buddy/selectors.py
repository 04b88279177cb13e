"""Reads of the buddy app used by the UI and the API."""

from django.db.models import Count, Q

from buddy.models import MatchStatus
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
