"""``make serve``'s process manager (config/supervisord.conf): web, worker and beat run the
production settings, and a process that dies is restarted while the others keep serving."""

import configparser
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.contract import ROOT
from tests.ops.conftest import VENV_BIN, end, production_env, start
from tests.ops.services import free_port

CONFIG = ROOT / "config" / "supervisord.conf"
PROGRAMS = ("web", "worker", "beat")


def test_every_process_runs_the_production_settings_and_is_restarted():
    config = configparser.RawConfigParser()
    config.read(CONFIG)

    for name in PROGRAMS:
        section = config[f"program:{name}"]
        assert section["environment"] == 'DJANGO_SETTINGS_MODULE="config.settings.production"'
        assert section["autorestart"] == "true"
        assert section["stopasgroup"] == "true"


def test_make_serve_runs_supervisord_with_the_production_settings():
    makefile = (ROOT / "Makefile").read_text()

    assert "serve: export DJANGO_SETTINGS_MODULE = config.settings.production" in makefile
    assert "$(VENV)/bin/supervisord -c config/supervisord.conf" in makefile
    assert "honcho" not in makefile


def _status(env: dict) -> dict[str, tuple[str, int | None]]:
    out = subprocess.run(  # noqa: S603 - our own venv's supervisorctl
        [str(VENV_BIN / "supervisorctl"), "-c", str(CONFIG), "status"],
        env=env, capture_output=True, text=True, timeout=10, check=False,
    ).stdout  # fmt: skip
    found = {}
    for line in out.splitlines():
        match = re.match(r"(\w+)\s+(\w+)(?:\s+pid (\d+))?", line)
        if match:
            found[match[1]] = (match[2], int(match[3]) if match[3] else None)
    return found


def _wait(condition, seconds: float, what: str):
    # The deadlines below are generous: each wait ends as soon as its condition holds, and
    # on a machine busy with other suites supervisord's three processes start slowly.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"{what} within {seconds} s")


def _health(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return response.status
    except OSError:
        return 0


@pytest.mark.redis  # a private redis-server for the worker and beat
def test_a_killed_worker_is_restarted_and_the_web_process_keeps_serving(
    private_redis, tmp_path: Path
):
    port = free_port()
    env = production_env(
        BUDDY_RUN_DIR=str(tmp_path),
        CELERY_BROKER_URL=private_redis.url,
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
    )
    log = tmp_path / "supervisord.log"
    supervisord = start([str(VENV_BIN / "supervisord"), "-c", str(CONFIG)], env, log)
    try:
        running = _wait(
            lambda: (
                (s := _status(env)) and all(s.get(p, ("",))[0] == "RUNNING" for p in PROGRAMS) and s
            ),
            120,
            "web, worker and beat RUNNING",
        )
        assert _wait(lambda: _health(port) == 200, 90, "/health answering")
        web_pid, worker_pid = running["web"][1], running["worker"][1]
        environ = Path(f"/proc/{worker_pid}/environ").read_bytes().split(b"\0")
        assert b"DJANGO_SETTINGS_MODULE=config.settings.production" in environ

        os.kill(worker_pid, signal.SIGKILL)

        restarted = _wait(
            lambda: (
                (s := _status(env)).get("worker", ("", None))[0] == "RUNNING"
                and s["worker"][1] != worker_pid
                and s
            ),
            120,
            "the worker restarted",
        )
        assert restarted["web"] == ("RUNNING", web_pid)  # never stopped
        assert _health(port) == 200
    finally:
        end(supervisord)
        assert supervisord.returncode is not None, log.read_text()[-3000:]
