"""Production: no debug, a real secret key required, static files hashed and compressed,
https settings from the environment (``manage.py check --deploy``: README, Configuration)."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY, env

#: Placeholders from documentation and examples: a key anyone can read is no secret.
KNOWN_EXAMPLE_KEYS = {"change-me", "changeme", "secret", "your-secret-key", "django-insecure"}


def _refuse_weak_secret_key(key: str) -> None:
    """The rule of Django's own deploy check (50+ characters, 5+ different ones, not a
    ``django-insecure-`` key), enforced at startup instead of as a warning."""
    if not key:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set outside debug.")
    if key.lower() in KNOWN_EXAMPLE_KEYS or key.startswith("django-insecure"):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is an example value: generate one.")
    if len(key) < 50 or len(set(key)) < 5:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is too weak (at least 50 characters, 5 different): generate "
            'one with python -c "import secrets; print(secrets.token_urlsafe(50))".'
        )


_refuse_weak_secret_key(SECRET_KEY)

DEBUG = False
# Persistent database connections under gunicorn: a connection per worker thread reused for
# 60 s instead of one opened per request (a TCP and authentication round trip, ~2-5 ms on
# PostgreSQL), short enough that idle workers let theirs go (README, Configuration).
if "DJANGO_CONN_MAX_AGE" not in os.environ:
    DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /health and /health/ready answer over plain http for load balancers and probes
SECURE_REDIRECT_EXEMPT = [r"^health(/ready)?$"]
