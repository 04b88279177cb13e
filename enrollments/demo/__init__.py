"""The demo program (``manage.py seed_demo``): a believable buddy program, built with the
buddy app's factories and, for enrollments and coordinator proposals, the services.

Every row's key comes from its position in the plan (``common.demo_uuid``), so a second
run finds every row it would write and creates nothing. One module per topic: ``logins``,
``people``, ``plan`` (who meets whom, in which story), ``matches`` (writing the plan),
``activities``, ``milestones``, ``enroll``; ``content`` holds the distributions and texts.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from buddy.factories import buddy_program
from buddy.models import (
    CheckIn,
    EventAttendance,
    Feedback,
    InformalEvent,
    MatchStatus,
    MilestoneAchievement,
    SkillSession,
)

from . import activities, enroll, logins, matches, milestones, people, plan
from .common import Demo, DemoReport, save_missing, save_missing_pairs

__all__ = ["DemoReport", "seed_demo"]


def seed_demo(
    *,
    participants: int = 300,
    buddies: int = 200,
    seed: int = 7,
    password: str | None = None,
    now: datetime | None = None,
) -> DemoReport:
    """Build (or complete) the demo program in one transaction; return what was created.

    Row keys depend on positions only (``participant 12``, ``match 12/0``), not on the
    seed: the seed only varies the content, so the demo never exists twice.
    """
    if participants < 1 or buddies < 1:
        raise ValueError("the demo needs at least one participant and one buddy")
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    with transaction.atomic():
        demo = Demo(participants, buddies, seed, now, program=buddy_program())
        _build(demo, password)
        return demo.report


def _build(demo: Demo, password: str | None) -> None:
    coordinator = logins.logins(demo, password)
    companies = people.companies(demo)
    participants = people.participants(demo)
    buddies = people.buddies(demo, companies)

    plans = plan.plan_matches(demo, participants, buddies)
    reported, created_keys = matches.reported_matches(demo, plans, participants, buddies)
    matches.coordinator_proposals(demo, plans, participants, buddies, coordinator)

    rows = activities.activities(demo, plans, reported, created_keys)
    for model in (InformalEvent, CheckIn, SkillSession, Feedback):
        save_missing(demo, model, rows[model.__name__])
    everybody = participants + buddies
    active = {m.participant_id: m for m in reported.values() if m.status == MatchStatus.ACTIVE}
    attendances = activities.attendances(demo, everybody, active)
    save_missing_pairs(demo, EventAttendance, attendances, "event_external_id", "person_id")
    reached = milestones.milestones(everybody, list(reported.values()), rows, attendances)
    save_missing_pairs(demo, MilestoneAchievement, reached, "milestone_id", "person_id")

    enroll.enroll(demo, everybody)
