"""Settings of bench/api's gunicorn: production's, with the bench-only URLconf (the product's
URLs plus the reference endpoint); nothing else differs, so the reference goes through the
same middleware, authentication, permission and throttle as the endpoints it is compared with."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.api.urls"
