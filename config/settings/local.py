"""Local development: `make run` on SQLite with tasks in-process, over plain http."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="local-development-only-not-a-secret")
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
BUDDY_WEBHOOK_SECRETS = [
    s for s in env.list("BUDDY_WEBHOOK_SECRET", default=["whsec_local_development"]) if s
]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# A Prometheus server on this machine may scrape /metrics of the local server.
BUDDY_METRICS_ALLOWED_NETWORKS = env.list(
    "BUDDY_METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"]
)
