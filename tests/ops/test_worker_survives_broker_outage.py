"""A Celery worker (production settings, as ``make serve`` starts it) survives a Redis
restart while it holds unacknowledged countdown tasks (the recompute requests), and
consumes again once the broker is back. Celery 5.7.0 died here in kombu's
``restore_unacked`` (AttributeError: 'NoneType' object has no attribute 'hostname')."""

import time

import pytest

from tests.ops.conftest import VENV_BIN, end, production_env, start

pytestmark = pytest.mark.redis  # a private redis-server, never the shared one


def _wait_for_pong(client, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if client.control.ping(timeout=0.5):
                return True
        except Exception:  # noqa: S110 - the probe's own pooled connection died with the broker
            pass
        time.sleep(0.3)
    return False


def test_the_worker_reconnects_after_a_broker_restart(private_redis, broker_client, tmp_path):
    env = production_env(
        CELERY_BROKER_URL=private_redis.url, DATABASE_URL=f"sqlite:///{tmp_path}/unused.sqlite3"
    )
    log = tmp_path / "worker.log"
    worker = start(
        [str(VENV_BIN / "celery"), "-A", "config", "worker", "--concurrency", "1"], env, log
    )
    try:
        assert _wait_for_pong(broker_client, 30), log.read_text()[-3000:]
        # held by the worker, unacknowledged, until its time comes
        broker_client.send_task("enrollments.tasks.recompute_pending", countdown=120, expires=180)
        time.sleep(1.0)

        private_redis.stop()
        time.sleep(3.0)  # the worker notices and starts reconnecting
        private_redis.start()

        assert _wait_for_pong(broker_client, 40), log.read_text()[-3000:]
        assert worker.poll() is None
        assert "Unrecoverable error" not in log.read_text()
    finally:
        end(worker)
