"""The pull feed of published events: ``GET /api/events/?after=<cursor>``."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from buddy.access import access_for
from core import outbox
from core.api.serializers import EventFeedSerializer
from core.selectors import events_feed


class FeedQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0, max_value=2**63 - 1, default=0, help_text="Cursor: the last sequence seen."
    )
    type = serializers.ListField(
        child=serializers.ChoiceField(choices=outbox.EVENT_TYPES),
        required=False,
        help_text="Only these event types.",
    )

    def get_fields(self):
        # the page size's bound is read when used, not when this module is first imported
        fields = super().get_fields()
        fields["limit"] = serializers.IntegerField(
            min_value=1, max_value=settings.API_MAX_PAGE_SIZE, default=100, help_text="Page size."
        )
        return fields


class EventFeedView(APIView):
    """Published events in commit order, after the cursor (the ``next`` of the previous
    page; start with 0). Coordinators and viewers get their programs' events, superusers
    every event (no payload carries personal data)."""

    @extend_schema(parameters=[FeedQuerySerializer], responses=EventFeedSerializer)
    def get(self, request):
        query = FeedQuerySerializer(
            data={**request.query_params.dict(), "type": request.query_params.getlist("type")}
        )
        query.is_valid(raise_exception=True)
        params = query.validated_data
        access = access_for(request.user)
        programs = None if access.is_superuser else access.program_ids
        events = list(
            events_feed(
                after=params["after"],
                limit=params["limit"],
                types=params.get("type") or [],
                program_ids=programs,
            )
        )
        body = {
            "events": [{**e.envelope(), "sequence": e.sequence} for e in events],
            "next": str(events[-1].sequence if events else params["after"]),
        }
        return Response(body)
