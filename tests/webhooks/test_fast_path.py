"""The receiver's short way through the request cycle (``webhooks.middleware``): the same
view and answers, the headers the skipped middleware would have added, and the
connection's health check settled by its socket instead of a ``SELECT 1`` (issue 23).

The WSGI application itself is called (as gunicorn calls it): Django's test client never
resets a connection's health check between requests."""

import io
import json
import uuid

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.clients import end_from_the_server, persistent_connection
from tests.factories import MatchFactory
from tests.webhooks.conftest import MATCH_ID, URL, deliver, example, signed_headers
from webhooks.models import EventStatus, WebhookEvent


def test_the_receiver_answers_with_the_headers_of_the_whole_chain(db, client):
    MatchFactory(external_id=MATCH_ID)
    response = deliver(client, example("buddy.checkin.completed"))
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(response.content))
    assert response["Content-Type"] == "application/json"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware, still first


def test_the_receiver_refuses_a_host_that_is_not_allowed(db, client):
    response = deliver(client, example("buddy.checkin.completed"), headers={"HTTP_HOST": "evil"})
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_other_urls_still_take_the_whole_chain(db, client):
    response = client.get("/health", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert response["Content-Language"] == "de"  # LocaleMiddleware ran


# --- On a live connection, as under gunicorn ------------------------------------------------

application = WSGIHandler()


def _post(payload: dict, delivery_id: str) -> tuple[int, dict]:
    body = json.dumps(payload).encode()
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": URL, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "localhost", "SERVER_PORT": "80", "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO(), "wsgi.input": io.BytesIO(body),
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_DELIVERY_ID": delivery_id, **signed_headers(body),
    }  # fmt: skip
    status: list[str] = []
    response = application(environ, lambda s, h, exc_info=None: status.append(s))
    content = b"".join(response)
    response.close()
    return int(status[0][:3]), json.loads(content)


@pytest.fixture
def persistent(transactional_db, monkeypatch):
    """A persistent connection (as in production) and a count of Django's ``SELECT 1``."""
    checks = persistent_connection(monkeypatch)
    MatchFactory(external_id=MATCH_ID)
    yield checks
    connection.close()


postgres = pytest.mark.postgres


@postgres
def test_a_delivery_on_a_healthy_reused_connection_runs_no_select_1(persistent):
    assert _post(example("buddy.checkin.completed", new_id=True), "d-1")[0] == 200
    assert connection.connection is not None  # kept for the next request
    persistent.clear()
    assert _post(example("buddy.checkin.completed", new_id=True), "d-2")[0] == 200
    assert persistent == []


@postgres
def test_a_connection_the_server_ended_is_replaced_before_the_delivery_uses_it(persistent):
    assert _post(example("buddy.checkin.completed", new_id=True), "d-1")[0] == 200
    pid = end_from_the_server(connection)
    persistent.clear()
    status, body = _post(example("buddy.checkin.completed", new_id=True), "d-2")
    assert (status, body["status"]) == (200, "success")
    assert persistent == [1]  # Django's own check ran, failed, and the connection was replaced
    assert connection.connection.info.backend_pid != pid
    assert WebhookEvent.objects.filter(status=EventStatus.PROCESSED).count() == 2


@postgres
def test_other_urls_keep_djangos_health_check(persistent):
    assert _post(example("buddy.checkin.completed", new_id=True), "d-1")[0] == 200
    persistent.clear()
    status: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/health/ready", "SCRIPT_NAME": "",
        "QUERY_STRING": "", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
        "HTTP_HOST": "localhost", "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO(),
        "wsgi.input": io.BytesIO(b""),
    }  # fmt: skip
    b"".join(application(environ, lambda s, h, exc_info=None: status.append(s)))
    assert persistent == [1]


@postgres
def test_a_first_time_checkin_commits_two_transactions_and_runs_five_statements(persistent):
    """What the short path won, pinned with the health-check test above: on a reused
    connection the store (one statement, its own transaction) and the processing
    transaction, and no third transaction for a health check."""
    assert _post(example("buddy.checkin.completed", new_id=True), "d-1")[0] == 200
    second = example("buddy.checkin.completed", new_id=True, checkinId=str(uuid.uuid4()))
    with CaptureQueriesContext(connection) as queries:
        assert _post(second, "d-2")[0] == 200
    sql = [" ".join(q["sql"].split()) for q in queries.captured_queries]
    # after the processing's COMMIT: its on-commit work, run in-process by the test settings
    receiver = sql[: sql.index("COMMIT") + 1]
    assert receiver[0].startswith("WITH repeat AS")  # autocommit: the first transaction
    assert receiver[1:].count("BEGIN") == 1 and receiver[1] == "BEGIN"  # the second
    # store; lock the event and mark it and the delivery processed (one statement: the
    # mark commits with the processing or not at all), its match, insert, queue the recompute
    assert receiver[2].startswith("WITH locked AS")
    assert len(receiver) - 2 == 5, receiver
    assert persistent == []
