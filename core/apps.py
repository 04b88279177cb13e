from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    """What every app shares: the transactional outbox of the events this app publishes."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from core.db import use_fast_timestamptz

        connection_created.connect(use_fast_timestamptz, dispatch_uid="core.fast_timestamptz")
