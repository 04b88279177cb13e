"""Overdue concerns in the attention queue (registered in ``ConcernsConfig.ready``)."""

from datetime import datetime

from django.urls import reverse

from buddy.models import Program
from concerns.selectors import concerns_overdue
from enrollments.attention import AttentionItem, days_since


def concerns_overdue_items(program: Program, now: datetime) -> list[AttentionItem]:
    """Open cases past their response-time target (``settings.CONCERNS``): first of all."""
    return [
        AttentionItem(
            kind="concern.overdue",
            title=f"Case #{row['pk']} ({row['severity']}): response overdue",
            reason="Not acknowledged within the response-time target of its severity.",
            action_url=reverse("concerns:detail", args=[row["pk"]]),
            subject_type="concern",
            subject_id=row["pk"],
            days=days_since(now, row["respond_by"]),
        )
        for row in concerns_overdue(program=program, now=now).values("pk", "severity", "respond_by")
    ]
