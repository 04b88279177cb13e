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

        from buddy.signals import references_arrived

        references_arrived.connect(
            _on_references_arrived, dispatch_uid="webhooks.reprocess_waiting"
        )
        from django.db.models.signals import post_delete, post_save

        from buddy.models import Program
        from webhooks.processors import forget_programs

        for signal in (post_save, post_delete):
            signal.connect(forget_programs, sender=Program, dispatch_uid="webhooks.programs")


def _on_references_arrived(sender, person_ids=(), match_ids=(), **kwargs) -> None:
    """Users or matches arrived (webhook or import): re-run the events parked for them."""
    from django.db import transaction

    people, matches = [str(i) for i in person_ids], [str(i) for i in match_ids]
    if people or matches:
        transaction.on_commit(lambda: _reprocess_if_awaited(people, matches))


def _reprocess_if_awaited(people: list[str], matches: list[str]) -> None:
    """Enqueue the re-run only when some event names these ids (one indexed query instead
    of a broker round trip for every new user or match). Runs after the commit: an event
    parked later re-checks on its own commit (``services._rerun_if_arrived``)."""
    from core.broker import task_send
    from webhooks.models import EventReference
    from webhooks.tasks import reprocess_waiting

    if EventReference.objects.filter(external_id__in=[*people, *matches]).exists():
        task_send(
            reprocess_waiting,
            kwargs={"person_ids": people, "match_ids": matches},
            recovery="sender retry or replay_events",
        )
