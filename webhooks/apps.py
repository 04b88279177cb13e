from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Inbound Buddy System webhooks (receiver, event store, processors, replay)."""

    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from buddy.signals import references_arrived

        references_arrived.connect(
            _on_references_arrived, dispatch_uid="webhooks.reprocess_waiting"
        )


def _on_references_arrived(sender, person_ids=(), match_ids=(), **kwargs) -> None:
    """Users or matches arrived (webhook or import): re-run the events parked for them."""
    from django.db import transaction

    from webhooks.tasks import reprocess_waiting

    people, matches = [str(i) for i in person_ids], [str(i) for i in match_ids]
    if people or matches:
        transaction.on_commit(lambda: reprocess_waiting.delay(person_ids=people, match_ids=matches))
