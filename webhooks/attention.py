"""Dead-lettered deliveries and automatically disabled subscribers in the attention queue
(registered in ``WebhooksConfig.ready``)."""

from datetime import datetime

from django.urls import reverse

from buddy.models import Program
from enrollments.attention import AttentionItem, admin_url, days_since
from webhooks.outbound_models import WebhookEndpoint
from webhooks.selectors import deliveries_dead_lettered

_DISABLED_REASONS = {
    "gone": "It answered 410 Gone; its deliveries are held until it is enabled again.",
    "failing": "Every delivery failed for 5 days; its deliveries are held until it is enabled.",
}


def dead_letter_items(program: Program, now: datetime) -> list[AttentionItem]:
    """Dead-lettered deliveries of the events that name the program's people or matches."""
    count = deliveries_dead_lettered(program_ids=[program.pk]).count()
    if not count:
        return []
    return [
        AttentionItem(
            kind="webhooks.dead_lettered",
            title=f"{count} webhook deliveries dead-lettered",
            reason="Processing failed on every attempt; fix the cause and replay them.",
            action_url=reverse("webhooks:review") + "?status=dead",
            subject_type="webhook_delivery",
            subject_id=None,
            days=None,
        )
    ]


def subscriber_disabled_items(program: Program, now: datetime) -> list[AttentionItem]:
    """Subscribers of our events the relay disabled (not those a coordinator disabled)."""
    return [
        AttentionItem(
            kind="webhooks.subscriber_disabled",
            title=f"Webhook subscriber #{endpoint.pk} disabled",
            reason=_DISABLED_REASONS[endpoint.disabled_reason],
            action_url=admin_url("webhooks_webhookendpoint", endpoint.pk),
            subject_type="webhook_subscriber",
            subject_id=endpoint.pk,
            days=days_since(now, endpoint.disabled_at),
        )
        for endpoint in WebhookEndpoint.objects.disabled_automatically().order_by("pk")
    ]
