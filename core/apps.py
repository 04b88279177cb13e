from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: the transactional outbox of the events this app publishes."""

    name = "core"
    verbose_name = "Core"
