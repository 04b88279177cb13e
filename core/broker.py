"""Sending Celery tasks from after-commit hooks without a broker outage changing an answer.

A task requested after a commit is a hint, never the record: the work it would start is
already durable in the database (the recompute queue, parked webhook events), and a sweep
or a retry picks it up. So when the broker cannot be reached the request is dropped with a
log line (task name and error class, nothing else) and the caller's answer stands.
"""

import logging

from celery import current_app
from kombu.exceptions import OperationalError

logger = logging.getLogger("core.broker")

#: What a publish raises while the broker is unreachable (kombu wraps socket errors in
#: OperationalError after its publish retries; OSError for anything it lets through).
BROKER_UNREACHABLE = (OperationalError, OSError)


def task_send(task, /, *, recovery: str, kwargs: dict | None = None, **options) -> bool:
    """``task.apply_async(kwargs=kwargs, **options)``; False (and a warning naming the
    ``recovery`` that will do the work instead) when the broker is unreachable.

    ``task``: the task, or its registered name when it belongs to an app above the caller's
    (``"enrollments.tasks.recompute_pending"`` from the buddy app): the call is explicit, the
    import is not needed, and in-process runs (``task_always_eager``) still run it."""
    if isinstance(task, str):
        task = registered_task(task)
    try:
        task.apply_async(**({"kwargs": kwargs} if kwargs else {}), **options)
    except BROKER_UNREACHABLE as exc:
        logger.warning(
            "task.publish_failed",
            extra={
                "task": task.name,
                "error": f"{type(exc).__module__}.{type(exc).__name__}",
                "recovery": recovery,
            },
        )
        return False
    return True


def registered_task(name: str):
    """The task registered under ``name``; the apps' task modules are imported first when
    it is not registered yet (Celery discovers them lazily: a web process that never
    imported ``webhooks.tasks`` must still find its tasks, and run them in-process when
    ``task_always_eager``: ``send_task`` would ignore that setting)."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]
