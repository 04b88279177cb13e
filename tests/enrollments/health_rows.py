"""Kept match health rows for the figure tests (what ``enrollments.health.recompute``
writes), made directly: the figures read them, they do not compute them."""

from datetime import timedelta

from django.utils import timezone

from enrollments.health import week_of
from enrollments.models import MatchHealth, MatchHealthWeek
from tests.factories import BuddyFactory, EnrollmentFactory, MatchFactory

SCORES = {"healthy": 85, "watch": 60, "at_risk": 30}


def scored_match(program, *, band: str, company=None, history=(), now=None):
    """An active match of ``program`` whose buddy works for ``company``, now in ``band``;
    ``history``: the bands of the weeks before this one, newest first."""
    now = now or timezone.now()
    match = MatchFactory(program=program, buddy=BuddyFactory(company=company))
    for person in (match.participant, match.buddy):
        EnrollmentFactory(person=person, program=program)
    MatchHealth.objects.create(
        match=match, program=program, score=SCORES[band], band=band,
        band_since=now, computed_at=now,
    )  # fmt: skip
    this_week = week_of(now)
    for weeks_ago, week_band in enumerate((band, *history)):
        MatchHealthWeek.objects.create(
            match=match, program=program, week=this_week - timedelta(weeks=weeks_ago),
            score=SCORES[week_band], band=week_band,
        )  # fmt: skip
    return match
