"""Every integer of the shared schemas is bounded by its column (one place: the models)."""

import pytest

from buddy import schemas
from buddy.models import InformalEvent, Person, SkillSession

RECORDS = [
    schemas.UserRecord,
    schemas.MatchCreatedRecord,
    schemas.MatchEndedRecord,
    schemas.MatchRecord,
    schemas.InformalEventRecord,
    schemas.AttendanceRecord,
    schemas.SkillSessionRecord,
    schemas.CheckInRecord,
    schemas.FeedbackRecord,
    schemas.MilestoneRecord,
]


def _integers(node, path=""):
    if isinstance(node, dict):
        if node.get("type") == "integer":
            yield path, node
        for key, child in node.items():
            yield from _integers(child, f"{path}.{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _integers(child, f"{path}.{index}")


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.__name__)
def test_every_integer_has_a_minimum_and_a_maximum(record):
    for path, node in _integers(record.model_json_schema()):
        # (pydantic spells the bounds ge/le where a validator runs before the integer's)
        assert {"maximum", "le"} & set(node) and {"minimum", "ge"} & set(node), path


def test_the_bounds_are_the_columns():
    fields = schemas.SkillSessionRecord.model_json_schema()["properties"]
    assert fields["durationMinutes"]["anyOf"][0]["le"] == 2**31 - 1
    assert fields["skillName"]["maxLength"] == SkillSession._meta.get_field("skill_name").max_length
    event = schemas.InformalEventRecord.model_json_schema()["properties"]
    assert (
        event["location"]["anyOf"][0]["maxLength"]
        == InformalEvent._meta.get_field("location").max_length
    )
    user = schemas.UserRecord.model_json_schema()["properties"]
    assert user["firstName"]["maxLength"] == Person._meta.get_field("first_name").max_length
