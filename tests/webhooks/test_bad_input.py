"""Bad input is answered 400 with the field's path before anything is stored: numbers out
of their column's range, strings longer than their column, numbers and booleans that are
not JSON numbers and booleans, NUL characters, lone surrogates and absurd nesting."""

import json

import pytest

from buddy.models import InformalEvent
from tests.webhooks.conftest import deliver, example
from webhooks.models import WebhookDelivery, WebhookEvent

INT32_MAX = 2**31 - 1


def _errors(response) -> dict[str, str]:
    assert response.status_code == 400, response.content
    return {e["path"]: e["message"] for e in response.json().get("errors", [])}


def _nothing_stored() -> bool:
    return not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()


def _set(payload: dict, path: str, value) -> dict:
    """``path`` is dotted below ``data`` (``feedback.teacherRating``)."""
    *parents, last = path.split(".")
    node = payload["data"]
    for name in parents:
        node = node.setdefault(name, {})
    node[last] = value
    return payload


#: Every integer of the 8 event types (path below ``data``) and its largest stored value.
INTEGERS = [
    ("buddy.match.ended", "durationDays", INT32_MAX),
    ("buddy.match.ended", "sessionsCompleted", INT32_MAX),
    ("buddy.match.ended", "eventsAttended", INT32_MAX),
    ("buddy.event.logged", "durationMinutes", INT32_MAX),
    ("buddy.event.attended", "durationMinutes", INT32_MAX),
    ("buddy.event.attended", "attendeeCount", INT32_MAX),
    ("buddy.skill_share.completed", "skillId", INT32_MAX),
    ("buddy.skill_share.completed", "durationMinutes", INT32_MAX),
    ("buddy.skill_share.completed", "valuationPoints", INT32_MAX),
    ("buddy.milestone.reached", "milestoneId", INT32_MAX),
    ("buddy.milestone.reached", "points", INT32_MAX),
    ("buddy.milestone.reached", "progress.currentStep", INT32_MAX),
    ("buddy.milestone.reached", "progress.totalSteps", INT32_MAX),
    ("buddy.milestone.reached", "metadata.streakCount", INT32_MAX),
]


@pytest.mark.parametrize(("event_type", "path", "largest"), INTEGERS)
@pytest.mark.parametrize("excess", [1, 2**32 - 2**31 + 77, 2**63])
def test_an_integer_beyond_its_column_is_400_naming_the_field(
    db, client, event_type, path, largest, excess
):
    payload = _set(example(event_type), path, largest + excess)
    errors = _errors(deliver(client, payload))
    assert f"data.{path}" in errors
    assert _nothing_stored()


def test_duration_of_four_billion_minutes_is_not_stored_as_77(db, client):
    errors = _errors(deliver(client, example("buddy.event.logged", durationMinutes=4294967373)))
    assert errors == {"data.durationMinutes": "Input should be less than or equal to 2147483647"}
    assert not InformalEvent.objects.exists()


#: Every string stored in a column with a maximum length, and that length.
STRINGS = [
    ("buddy.event.logged", "eventType", 60),
    ("buddy.event.logged", "location", 200),
    ("buddy.event.attended", "eventTitle", 300),
    ("buddy.event.attended", "location", 200),
    ("buddy.event.attended", "organizer", 200),
    ("buddy.skill_share.completed", "skillName", 200),
    ("buddy.skill_share.completed", "skillCategory", 60),
    ("buddy.milestone.reached", "milestoneTitle", 200),
    ("buddy.milestone.reached", "badgeIcon", 100),
]


@pytest.mark.parametrize(("event_type", "path", "max_length"), STRINGS)
def test_a_string_longer_than_its_column_is_400_naming_the_field(
    db, client, event_type, path, max_length
):
    assert (
        deliver(client, _set(example(event_type, new_id=True), path, "a" * max_length)).status_code
        != 400
    )
    payload = _set(example(event_type, new_id=True), path, "a" * (max_length + 1))
    errors = _errors(deliver(client, payload))
    assert errors[f"data.{path}"] == f"String should have at most {max_length} characters"


#: Every number and boolean of the 8 event types, with a valid JSON value.
NUMBERS = [(t, p) for t, p, _largest in INTEGERS] + [
    ("buddy.feedback.submitted", "rating"),
    ("buddy.feedback.submitted", "categories.communication"),
    ("buddy.feedback.submitted", "categories.helpfulness"),
    ("buddy.feedback.submitted", "categories.engagement"),
    ("buddy.skill_share.completed", "feedback.teacherRating"),
    ("buddy.skill_share.completed", "feedback.learnerRating"),
    ("buddy.skill_share.completed", "sdgGoals.0"),
    ("buddy.event.attended", "sdgGoals.0"),
]


@pytest.mark.parametrize(("event_type", "path"), NUMBERS)
@pytest.mark.parametrize("value", ["1", True, "0.8"])
def test_a_number_must_be_a_json_number(db, client, event_type, path, value):
    payload = example(event_type)
    if path.endswith(".0"):
        payload["data"][path.removesuffix(".0")] = [value]
    else:
        _set(payload, path, value)
    errors = _errors(deliver(client, payload))
    assert errors[f"data.{path}"] == "Input should be a JSON number"
    assert _nothing_stored()


@pytest.mark.parametrize("value", ["true", 1, "yes"])
def test_a_boolean_must_be_a_json_boolean(db, client, value):
    payload = _set(example("buddy.milestone.reached"), "metadata.isFirstTime", value)
    errors = _errors(deliver(client, payload))
    assert errors["data.metadata.isFirstTime"] == "Input should be a JSON boolean"


@pytest.mark.parametrize(
    ("event_type", "path"),
    [
        ("buddy.checkin.completed", "notes"),
        ("buddy.checkin.completed", "questionResponses.q1"),
        ("buddy.feedback.submitted", "feedbackText"),
        ("buddy.event.logged", "description"),
    ],
)
@pytest.mark.parametrize(
    ("character", "message"),
    [("\u0000", "must not contain NUL"), ("\ud800", "must not contain a lone surrogate")],
)
def test_a_nul_or_a_lone_surrogate_is_400_before_storing(
    db, client, event_type, path, character, message
):
    payload = _set(example(event_type), path, f"a{character}b")
    body = json.dumps(payload).encode()  # json escapes both: "a\\u0000b"
    assert b"\\u" in body
    errors = _errors(deliver(client, body))
    assert errors == {f"data.{path}": message}
    assert _nothing_stored()


def test_a_raw_nul_byte_in_the_body_is_400(db, client):
    body = json.dumps(example("buddy.checkin.completed", notes="ab")).encode()
    response = deliver(client, body.replace(b'"ab"', b'"a\x00b"'))
    assert response.status_code == 400
    assert _nothing_stored()


def test_json_nested_5000_levels_deep_is_400_not_a_recursion_error(db, client):
    payload = example("buddy.checkin.completed")
    body = (
        json.dumps(payload)
        .encode()
        .replace(b'"data": {', b'"deep": ' + b"[" * 5000 + b"]" * 5000 + b', "data": {')
    )
    response = deliver(client, body)
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["message"]
    assert _nothing_stored()


def test_nesting_in_data_beyond_the_cap_names_where(db, client):
    deep: dict = {}
    node = deep
    for _ in range(40):
        node["x"] = {}
        node = node["x"]
    errors = _errors(deliver(client, example("buddy.checkin.completed", questionResponses=deep)))
    (path,) = errors
    assert path.startswith("data.questionResponses.x.x")
    assert "nested deeper than" in errors[path]


def test_nan_is_not_a_json_number(db, client):
    body = json.dumps(example("buddy.checkin.completed", questionResponses={"q": 1})).encode()
    response = deliver(client, body.replace(b'{"q": 1}', b'{"q": NaN}'))
    assert response.status_code == 400
    assert _nothing_stored()


def test_a_delivery_id_with_a_nul_is_400(db, client):
    response = deliver(client, example("buddy.checkin.completed"), delivery_id="d-\x00")
    assert response.status_code == 400
    assert _nothing_stored()
