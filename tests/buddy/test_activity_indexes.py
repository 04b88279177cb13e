"""Every index an activity row writes is one some read needs: no index of a table is the
start of another of the same table (a key's own index beside an index it leads, issue 23),
and each activity's keys still lead an index (their look-ups and the cascades use it)."""

import pytest
from django.db import connection

from buddy.models import (
    CheckIn,
    EventAttendance,
    Feedback,
    InformalEvent,
    MilestoneAchievement,
    SkillSession,
)

ACTIVITIES = [CheckIn, EventAttendance, Feedback, InformalEvent, MilestoneAchievement, SkillSession]


def _indexes(model) -> list[list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return [c["columns"] for c in found.values() if c["index"] and not c["unique"]]


@pytest.mark.parametrize("model", ACTIVITIES, ids=lambda m: m.__name__)
def test_no_index_of_an_activity_is_the_start_of_another(db, model):
    indexes = _indexes(model)
    redundant = [
        columns
        for columns in indexes
        if any(other != columns and other[: len(columns)] == columns for other in indexes)
    ]
    assert redundant == []


@pytest.mark.parametrize("model", ACTIVITIES, ids=lambda m: m.__name__)
def test_every_key_of_an_activity_leads_an_index(db, model):
    keys = [f.column for f in model._meta.concrete_fields if f.many_to_one]
    leading = {columns[0] for columns in _indexes(model)}
    assert [key for key in keys if key not in leading] == []
