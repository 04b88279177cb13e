"""Webhook events API: read the event store, replay one event."""

from uuid import UUID

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from buddy.access import access_for
from webhooks import services
from webhooks.api.serializers import ReplayResultSerializer, WebhookEventSerializer
from webhooks.models import WebhookEvent
from webhooks.selectors import scope_webhook_events


class WebhookEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Stored Buddy System events; ``{id}`` is the event id (UUID) or the row id."""

    queryset = WebhookEvent.objects.order_by("-received_at", "-id")
    serializer_class = WebhookEventSerializer
    filterset_fields = ["event_type", "status"]

    def get_queryset(self):
        return scope_webhook_events(super().get_queryset(), access_for(self.request.user))

    def get_object(self):
        key = str(self.kwargs["pk"])
        if key.isdigit():
            lookup = {"pk": int(key)}
        else:
            try:
                lookup = {"event_id": UUID(key)}
            except ValueError:
                raise Http404 from None
        return get_object_or_404(self.get_queryset(), **lookup)

    @extend_schema(request=None, responses=ReplayResultSerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        """Re-process the event from its stored payload (idempotent); the outcome says
        whether it is processed now (``processed``) or still fails (``waiting``, ``failed``)."""
        result = services.event_replay(event=self.get_object())
        body = {
            "event_id": result.event.event_id,
            "outcome": result.outcome.value,
            "error": result.error,
        }
        return Response(ReplayResultSerializer(body).data)
