from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Inbound Buddy System webhooks (receiver, event store, processors, replay)."""

    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # What the apps below show of this one (core.registry: they never import this app).
        from enrollments.attention import ATTENTION_SOURCES
        from webhooks.attention import dead_letter_items, subscriber_disabled_items

        ATTENTION_SOURCES.register("webhooks.dead_lettered", dead_letter_items)
        ATTENTION_SOURCES.register("webhooks.subscriber_disabled", subscriber_disabled_items)

        from django.db.models.signals import post_delete, post_save

        from buddy.models import Program
        from webhooks.processors import forget_programs

        for signal in (post_save, post_delete):
            signal.connect(forget_programs, sender=Program, dispatch_uid="webhooks.programs")
