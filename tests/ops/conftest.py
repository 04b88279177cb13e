"""Fixtures of the operations tests: private servers, processes started from the venv."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from celery import Celery

from tests.contract import ROOT
from tests.ops.services import PrivateRedis
from tests.test_settings import STRONG_KEY

VENV_BIN = Path(sys.executable).parent


def production_env(**extra) -> dict:
    """A process environment with the production settings and nothing from this shell."""
    return {
        "PATH": f"{VENV_BIN}:/usr/bin:/bin:/usr/sbin:/sbin",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": STRONG_KEY,
        "DJANGO_LOG_LEVEL": "INFO",
        **extra,
    }


def start(argv: list[str], env: dict, log: Path) -> subprocess.Popen:
    """A process in its own group (so it and its children can be ended together)."""
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own venv's programs
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def end(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


@pytest.fixture
def private_redis():
    redis = PrivateRedis().start()
    try:
        yield redis
    finally:
        redis.close()


@pytest.fixture
def broker_client(private_redis, monkeypatch):
    """A Celery client of the private broker (Celery prefers CELERY_BROKER_URL to its
    own setting, so the variable is taken away for the test)."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    client = Celery("probe", broker=private_redis.url, set_as_current=False)
    yield client
    client.close()
