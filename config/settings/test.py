"""Tests: the database and broker come from DATABASE_URL / CELERY_BROKER_URL like anywhere else."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-not-a-secret"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
BUDDY_WEBHOOK_SECRETS = ["whsec_test_secret"]
LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="WARNING")
LOGGING["root"]["level"] = LOG_LEVEL  # noqa: F405

# Tasks run in-process so tests are deterministic; tests marked `redis` switch the Celery app
# to the real broker (CELERY_BROKER_URL) with an in-process worker.
CELERY_TASK_ALWAYS_EAGER = True
# The test client logs in with client.login() and force_login(); the lock-out tests turn
# django-axes on for themselves.
AXES_ENABLED = False

# The tests' receiver runs on 127.0.0.1. The timeout test sets its own short timeout; this
# one only keeps a hung test short (and is long enough for a loaded CI machine).
OUTBOUND_WEBHOOKS = {
    **OUTBOUND_WEBHOOKS,  # noqa: F405
    "ALLOWED_PRIVATE_NETWORKS": ["127.0.0.1/32"],
    "TIMEOUT_SECONDS": 5.0,
}
