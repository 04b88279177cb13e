"""Exceptions reach the logs as their type, stable code and code locations only: never the
database's error text (PostgreSQL quotes the offending value, its DETAIL and CONTEXT), a
Celery failure's description, nor a request body. Checked on what the configured handler
writes (django.request, celery, webhooks loggers)."""

import io
import json
import logging

import pytest
from django.db import connection
from rest_framework.test import APIClient

from config.log_format import SafeJsonFormatter
from core.db import is_postgresql
from enrollments import tasks as enrollment_tasks
from tests.factories import BuddyFactory, ParticipantFactory
from tests.webhooks.conftest import BUDDY_ID, PARTICIPANT_ID, deliver, example
from webhooks import processors

EMAIL = "quaxworth.zebulon@very-private.example"
FREE_TEXT = "struggles with depression since the move"


@pytest.fixture
def log_output():
    """What the configured JSON handlers write, as text."""
    handlers = [
        h for h in logging.getLogger().handlers if isinstance(h.formatter, SafeJsonFormatter)
    ]
    assert handlers, "settings.LOGGING must give the root logger the safe JSON formatter"
    stream = io.StringIO()
    previous = [h.setStream(stream) for h in handlers]
    yield stream
    for handler, old in zip(handlers, previous, strict=True):
        handler.setStream(old)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def _fail_in_the_database():
    """A real database error whose message quotes personal data."""
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute("SELECT %s::int", [f"{EMAIL} {FREE_TEXT}"])
        else:
            raise ValueError(f"invalid literal for int(): {EMAIL} {FREE_TEXT}")


def _assert_clean(text: str) -> None:
    assert EMAIL not in text
    assert FREE_TEXT not in text
    assert "very-private" not in text


@pytest.mark.postgres
def test_a_500_from_a_nul_byte_in_matching_criteria_logs_no_personal_data(coordinator, log_output):
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(coordinator)
    participant, buddy = ParticipantFactory(), BuddyFactory()
    body = {
        "participant": participant.pk,
        "buddy": buddy.pk,
        "matching_criteria": {"note": f"{EMAIL} {FREE_TEXT}\u0000"},
    }

    response = api.post("/api/matches/", body, format="json")

    assert response.status_code in (400, 500)  # 400 once bad input is refused upfront
    _assert_clean(log_output.getvalue())
    _assert_clean(response.content.decode())


def test_a_500_traceback_keeps_type_and_location_but_not_the_database_text(
    coordinator, log_output, monkeypatch
):
    from webhooks import views

    def failing_stats(**_scope):
        _fail_in_the_database()

    monkeypatch.setattr(views.selectors, "webhook_stats", failing_stats)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(coordinator)

    assert client.get("/webhooks/stats").status_code == 500

    [line] = [entry for entry in _lines(log_output) if entry["logger"] == "django.request"]
    _assert_clean(json.dumps(line))
    assert "failing_stats" in line["exc_info"]  # the code location stays
    assert "test_logs_without_pii.py" in line["exc_info"]
    expected = "psycopg.errors" if is_postgresql() else "builtins.ValueError"
    assert expected in line["exc_info"]


def test_a_failed_celery_task_logs_no_exception_text(db, log_output, monkeypatch, program):
    def failing_recompute(**kwargs):
        _fail_in_the_database()

    monkeypatch.setattr(enrollment_tasks.services, "enrollments_recompute", failing_recompute)

    result = enrollment_tasks.recompute_people.apply(
        kwargs={"person_ids": [1], "program_id": program.pk}, throw=False
    )

    assert result.failed()
    lines = [entry for entry in _lines(log_output) if entry["logger"].startswith("celery")]
    assert lines, "the task failure is logged"
    _assert_clean(log_output.getvalue())
    assert "failing_recompute" in lines[0]["exc_info"]


def test_a_webhook_failing_in_the_database_logs_no_exception_text(
    db, client, log_output, monkeypatch
):
    ParticipantFactory(external_id=PARTICIPANT_ID, email=EMAIL)
    BuddyFactory(external_id=BUDDY_ID)

    def failing_processor(record):
        _fail_in_the_database()

    monkeypatch.setitem(processors.PROCESSORS, "buddy.match.created", failing_processor)

    response = deliver(client, example("buddy.match.created"))

    assert response.status_code == 500
    lines = [entry for entry in _lines(log_output) if entry["logger"] == "webhooks"]
    assert [entry["message"] for entry in lines] == ["webhook.delivery"]
    _assert_clean(log_output.getvalue())
    _assert_clean(response.content.decode())


def test_records_without_an_exception_are_written_as_they_are(log_output):
    logging.getLogger("webhooks").warning("webhook.example", extra={"event_id": "e-1"})

    [line] = _lines(log_output)
    assert (line["message"], line["event_id"], line["level"]) == (
        "webhook.example",
        "e-1",
        "WARNING",
    )
