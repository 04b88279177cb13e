"""Batch writers: one per entity, each writes a batch of validated records.

A batch costs a fixed number of queries whatever its size. Strong references are resolved
with one query per kind (``person_refs``, ``match_refs``) and checked, like every rule, by
``buddy.rules`` (a refused row carries the rule's code). The batch statements (COPY,
``UPDATE … FROM UNNEST``, the staged upsert on PostgreSQL; ``bulk_create`` /
``bulk_update`` elsewhere) sit behind one seam (``batch.batch_writes``). The column
mappings and the rules are the services' (``person_values``, ``person_update_values``,
``export_match_values``, ``<entity>_values``, ``enrollments_ensure``); only the batching
lives here. Match moves and new enrollments publish their events like the services do,
in the batch's transaction.

By topic: ``people`` (users), ``matches``, ``activities`` (the rest).
"""

from collections.abc import Callable

from buddy.models import (
    CheckIn,
    Company,
    Enrollment,
    EventAttendance,
    ExternalId,
    Feedback,
    InformalEvent,
    Match,
    MatchTransition,
    MilestoneAchievement,
    Person,
    SkillSession,
)
from webhooks.imports.report import BatchResult
from webhooks.imports.writers.activities import (
    write_attendance,
    write_checkins,
    write_events,
    write_feedback,
    write_milestones,
    write_skill_sessions,
)
from webhooks.imports.writers.common import Context, Item
from webhooks.imports.writers.matches import write_matches
from webhooks.imports.writers.people import write_users

WRITERS: dict[str, Callable[[list[Item], Context], BatchResult]] = {
    "users": write_users,
    "matches": write_matches,
    "events": write_events,
    "event_attendance": write_attendance,
    "skill_sessions": write_skill_sessions,
    "checkins": write_checkins,
    "feedback": write_feedback,
    "milestones": write_milestones,
}

#: The tables each writer fills (``ANALYZE``d after an entity that wrote many rows).
TABLES: dict[str, tuple] = {
    "users": (Person, ExternalId, Company, Enrollment),
    "matches": (Match, MatchTransition, Enrollment),
    "events": (InformalEvent,),
    "event_attendance": (EventAttendance,),
    "skill_sessions": (SkillSession,),
    "checkins": (CheckIn,),
    "feedback": (Feedback,),
    "milestones": (MilestoneAchievement,),
}

__all__ = ["TABLES", "WRITERS", "Context", "Item"]
