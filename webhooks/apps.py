from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Inbound Buddy System webhooks (receiver, event store, processors, replay)."""

    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from enrollments.models import Program
        from webhooks.processors import forget_programs

        for signal in (post_save, post_delete):
            signal.connect(forget_programs, sender=Program, dispatch_uid="webhooks.programs")
