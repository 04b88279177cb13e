from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Inbound Buddy System webhooks (receiver, event store, processors, replay)."""

    name = "webhooks"
    verbose_name = "Webhooks"
