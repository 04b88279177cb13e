"""The milestones people reached, derived from what the demo wrote (the earliest time each)."""

from collections import defaultdict
from datetime import datetime, timedelta

from buddy.factories import MilestoneAchievementFactory
from buddy.models import DataSource, EndReason, MilestoneAchievement

from .content import MILESTONES


def milestones(people, matches, rows, attendances) -> list[MilestoneAchievement]:
    reached: dict[tuple[str, int], datetime] = {}

    def reach(key: str, person_id: int, at: datetime) -> None:
        if (key, person_id) not in reached or at < reached[(key, person_id)]:
            reached[(key, person_id)] = at

    for person in people:
        reach("profile", person.pk, person.joined_at + timedelta(days=1))
    for match in matches:
        if match.matched_at:
            for pid in (match.participant_id, match.buddy_id):
                reach("first_match", pid, match.matched_at)
        if match.end_reason == EndReason.COMPLETED:
            reach("graduate", match.participant_id, match.ended_at)
    for attendance in attendances:
        reach("first_event", attendance.person_id, attendance.attended_at)
    for session in rows["SkillSession"]:
        reach("skill_sharer", session.teacher_id, session.completed_at)
    for participant_id, fifth in _fifth_checkins(matches, rows["CheckIn"]):
        reach("five_checkins", participant_id, fifth)

    person_by_pk = {p.pk: p for p in people}
    return [
        _achievement(key, person_by_pk[person_id], at)
        for (key, person_id), at in sorted(reached.items(), key=lambda item: item[0])
    ]


def _fifth_checkins(matches, checkins):
    """``(participant id, date of the fifth check-in)`` of each match with five or more."""
    by_match = defaultdict(list)
    for checkin in checkins:
        by_match[checkin.match_id].append(checkin)
    participant_of = {m.pk: m.participant_id for m in matches}
    for match_id, of_match in by_match.items():
        if len(of_match) >= 5:
            yield participant_of[match_id], sorted(c.checkin_date for c in of_match)[4]


def _achievement(key: str, person, at: datetime) -> MilestoneAchievement:
    milestone_id, title, category, points, target = MILESTONES[key]
    return MilestoneAchievementFactory.build(
        milestone_id=milestone_id,
        person=person,
        milestone_title=title,
        milestone_category=category,
        reached_at=at,
        points=points,
        badge_icon=f"badge-{key.replace('_', '-')}",
        target_role=target,
        progress={"is_first_time": True},
        source=DataSource.WEBHOOK,
    )
