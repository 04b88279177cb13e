"""The pull feed: ``GET /api/events/?after=<cursor>``."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from buddy.errors import FieldError, ValidationFailed
from core import outbox
from core.api.serializers import EventFeedSerializer
from core.selectors import FEED_MAX, events_feed


def _int(value: str | None, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    if not value.isdigit():
        raise ValidationFailed([FieldError(name, "must be a non-negative integer")])
    return int(value)


class EventFeedView(APIView):
    """Published events in commit order, after the cursor (the ``next`` of the previous
    page; start with 0). Staff only until roles scope it by program."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="Cursor: the last sequence seen."),
            OpenApiParameter("limit", int, description=f"At most {FEED_MAX}."),
            OpenApiParameter("type", str, many=True, description="Only these event types."),
        ],
        responses=EventFeedSerializer,
    )
    def get(self, request):
        after = _int(request.query_params.get("after"), "after", 0)
        limit = _int(request.query_params.get("limit"), "limit", 100)
        types = request.query_params.getlist("type")
        unknown = sorted(set(types) - set(outbox.EVENT_TYPES))
        if unknown:
            raise ValidationFailed([FieldError("type", "unknown event type")])
        events = list(events_feed(after=after, limit=limit, types=types))
        body = {
            "events": [{**e.envelope(), "sequence": e.sequence} for e in events],
            "next": str(events[-1].sequence if events else after),
        }
        return Response(body)
