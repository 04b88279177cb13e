"""One structured log line per request, with ids and outcome, and never personal data."""

import logging

from buddy.schemas import UserRecord
from tests.factories import BuddyFactory, ParticipantFactory
from tests.webhooks.conftest import BUDDY_ID, MATCH_ID, PARTICIPANT_ID, example

DISTINCTIVE = [
    "Zebulon Quaxworth",
    "quaxworth.zebulon@very-private.example",
    "my buddy hid the treasure under the Krumpelbrücke",
    "Ottoline Vexbridge",
    "feels lonely on Tuesdays in Wexford",
]


def _all_text(record: logging.LogRecord) -> str:
    return " ".join([record.getMessage(), *(repr(v) for v in record.__dict__.values())])


def test_logs_and_responses_carry_no_personal_data(db, send, caplog):
    ParticipantFactory(
        external_id=PARTICIPANT_ID, first_name="Zebulon", last_name="Quaxworth",
        email="quaxworth.zebulon@very-private.example",
    )  # fmt: skip
    BuddyFactory(external_id=BUDDY_ID, first_name="Ottoline", last_name="Vexbridge")
    text = DISTINCTIVE[2]
    bodies = [
        example("buddy.feedback.submitted", feedbackText=text),  # match unknown → 500
        example("buddy.match.created"),
        example("buddy.checkin.completed", notes=DISTINCTIVE[4], mood="great"),
        example("buddy.event.logged", description=text, location=DISTINCTIVE[0]),
        example("buddy.event.attended", organizer=DISTINCTIVE[3], eventType="karaoke"),
        example("buddy.skill_share.completed", feedback={"learnerComment": text}),
        example("buddy.feedback.submitted", feedbackText=text, rating=DISTINCTIVE[1]),  # 400
        example("buddy.checkin.completed", notes="changed " + DISTINCTIVE[4]),  # 409
        example("buddy.milestone.reached", milestoneTitle=DISTINCTIVE[0], userId=MATCH_ID),
    ]
    responses = []
    with caplog.at_level(logging.DEBUG):
        for body in bodies:
            responses.append(send(body))
        UserRecord  # noqa: B018 - users arrive by import too; their logs are the import's
    codes = [r.status_code for r in responses]
    assert {200, 400, 409, 500} <= set(codes), codes

    request_lines = [r for r in caplog.records if r.getMessage() == "webhook.delivery"]
    assert len(request_lines) == len(bodies)
    for record in request_lines:
        for key in ("delivery_id", "event_id", "event_type", "outcome", "duration_ms", "status"):
            assert hasattr(record, key), key
    for record in caplog.records:
        text_of_record = _all_text(record)
        for secret in DISTINCTIVE:
            assert secret not in text_of_record, (record.name, record.getMessage())
    for response in responses:
        for secret in DISTINCTIVE:
            assert secret not in response.content.decode()
