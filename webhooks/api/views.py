"""Webhooks API: the inbound event store (read, replay) and the subscribers of our own
events and their deliveries (manage, read, re-send)."""

from uuid import UUID

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from buddy.access import access_for
from buddy.api.pagination import CursorPagination
from buddy.api.permissions import StaffModelPermissions
from webhooks import outbound, services
from webhooks.api.serializers import (
    OutboundDeliverySerializer,
    ReplayResultSerializer,
    SecretSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
    WebhookEventSerializer,
)
from webhooks.filtersets import (
    OutboundDeliveryFilterSet,
    WebhookDeliveryFilterSet,
    WebhookEndpointFilterSet,
    WebhookEventFilterSet,
)
from webhooks.models import OutboundDelivery, WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.selectors import scope_webhook_events


class WebhookEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Stored Buddy System events; ``{id}`` is the event id (UUID) or the row id."""

    queryset = WebhookEvent.objects.order_by("-received_at", "-id")
    serializer_class = WebhookEventSerializer
    filterset_class = WebhookEventFilterSet
    pagination_class = CursorPagination

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


class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Subscribers of the events this app publishes: superusers and staff with the model's
    permissions (a subscriber receives every program's events)."""

    queryset = WebhookEndpoint.objects.order_by("id")
    serializer_class = WebhookEndpointSerializer
    permission_classes = [StaffModelPermissions]
    filterset_class = WebhookEndpointFilterSet

    @extend_schema(
        request=WebhookEndpointSerializer, responses={201: WebhookEndpointCreatedSerializer}
    )
    def create(self, request):
        serializer = WebhookEndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = outbound.endpoint_create(
            url=serializer.validated_data["url"],
            description=serializer.validated_data.get("description", ""),
            event_types=serializer.validated_data.get("event_types", []),
        )
        endpoint.secret = secret
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=201)

    @extend_schema(request=WebhookEndpointSerializer, responses=WebhookEndpointSerializer)
    def partial_update(self, request, pk=None):
        serializer = WebhookEndpointSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        endpoint = outbound.endpoint_update(
            endpoint=self.get_object(),
            url=data.get("url"),
            description=data.get("description"),
            event_types=data.get("event_types"),
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(request=None, responses=SecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new secret; deliveries carry a signature with it and one with the previous
        secret until ``drop-old-secrets``."""
        secret = outbound.endpoint_rotate_secret(endpoint=self.get_object())
        return Response({"secret": secret})

    @extend_schema(request=None, responses=WebhookEndpointSerializer)
    @action(detail=True, methods=["post"], url_path="drop-old-secrets")
    def drop_old_secrets(self, request, pk=None):
        endpoint = outbound.endpoint_drop_old_secrets(endpoint=self.get_object())
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(request=None, responses=WebhookEndpointSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        endpoint = outbound.endpoint_set_active(endpoint=self.get_object(), active=True)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(request=None, responses=WebhookEndpointSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        endpoint = outbound.endpoint_set_active(endpoint=self.get_object(), active=False)
        return Response(WebhookEndpointSerializer(endpoint).data)


class OutboundDeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Deliveries of published events, with every attempt; ``resend`` sends one again."""

    queryset = OutboundDelivery.objects.select_related("event").prefetch_related("attempt_log")
    serializer_class = OutboundDeliverySerializer
    permission_classes = [StaffModelPermissions]
    filterset_class = OutboundDeliveryFilterSet
    pagination_class = CursorPagination

    @extend_schema(request=None, responses=OutboundDeliverySerializer)
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        delivery = outbound.delivery_resend(delivery=self.get_object())
        return Response(OutboundDeliverySerializer(self.get_queryset().get(pk=delivery.pk)).data)


class WebhookDeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Inbound deliveries of the Buddy System's events (newest first); ``replay`` re-processes
    the delivery's event from its stored payload."""

    queryset = WebhookDelivery.objects.select_related("event")
    serializer_class = WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilterSet
    pagination_class = CursorPagination

    def get_queryset(self):
        access = access_for(self.request.user)
        return scope_webhook_events(super().get_queryset(), access, via="event__")

    @extend_schema(request=None, responses=ReplayResultSerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        result = services.event_replay(event=self.get_object().event)
        body = {
            "event_id": result.event.event_id,
            "outcome": result.outcome.value,
            "error": result.error,
        }
        return Response(ReplayResultSerializer(body).data)
