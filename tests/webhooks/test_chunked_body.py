"""A chunked webhook body (no Content-Length) is read under gunicorn (what ``make serve``
runs), up to the size limit, and answered 411 by a server that cannot end the stream with
the body (Django's own server). Through real servers: Django's test client always sends a
Content-Length."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.webhooks.conftest import example, signed_headers

URL = "/webhooks/buddy-events"

pytestmark = pytest.mark.django_db(transaction=True)


def _post_chunked(host: str, port: int, body: bytes, *, chunk: int = 4096):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    headers = {
        "Content-Type": "application/json",
        "X-Buddy-Signature": signed_headers(body)["HTTP_X_BUDDY_SIGNATURE"],
        "X-Delivery-Id": str(uuid.uuid4()),
    }
    parts = (body[i : i + chunk] for i in range(0, len(body), chunk))
    conn.request("POST", URL, body=parts, headers=headers, encode_chunked=True)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, json.loads(data) if data else {}


def test_django_server_answers_a_chunked_body_411(live_server):
    host, port = live_server.url.removeprefix("http://").split(":")
    body = json.dumps(example("buddy.checkin.completed")).encode()
    status, data = _post_chunked(host, int(port), body)
    assert status == 411
    assert "Content-Length" in data["message"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(transactional_db):
    """gunicorn serving this project against the test database (PostgreSQL: shared with
    the test process)."""
    db = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": "",
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "config.wsgi:application",
        ],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.postgres
def test_gunicorn_reads_a_chunked_body(gunicorn):
    # The body is read and validated (a NUL in notes is named), not taken as empty (401).
    body = json.dumps(example("buddy.checkin.completed", notes="a\u0000")).encode()
    status, data = _post_chunked("127.0.0.1", gunicorn, body, chunk=50)
    assert status == 400, data
    assert data["errors"] == [{"path": "data.notes", "message": "must not contain NUL"}]


@pytest.mark.postgres
def test_gunicorn_refuses_a_chunked_body_over_the_limit(gunicorn):
    payload = example("buddy.checkin.completed", notes="a" * settings.BUDDY_WEBHOOK_MAX_BODY_BYTES)
    status, _data = _post_chunked("127.0.0.1", gunicorn, json.dumps(payload).encode())
    assert status == 413
