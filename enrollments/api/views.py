"""Read-only API over the attention queue (thin: parse the program, call the service)."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from buddy.api.pagination import LimitOffsetPagination
from enrollments.attention import attention_queue, attention_summary
from enrollments.selectors import program_by_type


class AttentionPagination(LimitOffsetPagination):
    """The queue's items, at most ``API_MAX_PAGE_SIZE`` at a time (the default: the queue
    is read whole by most clients)."""

    @property
    def default_limit(self) -> int:
        return settings.API_MAX_PAGE_SIZE


class AttentionView(APIView):
    """``GET /api/attention/?program=buddy``: the ranked needs-attention items; ``count`` and
    ``summary`` cover the whole queue, ``items`` the page (``limit``/``offset``)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("program", OpenApiTypes.STR, description="Program type."),
            *(
                OpenApiParameter(p["name"], p["schema"], description=p["description"])
                for p in AttentionPagination().get_schema_operation_parameters(None)
            ),
        ]
    )
    def get(self, request):
        program = program_by_type(request.query_params.get("program", "buddy"))
        items = attention_queue(program=program)
        paginator = AttentionPagination()
        page = paginator.paginate_queryset(items, request, view=self)
        return Response(
            {
                "program": program.program_type,
                "count": len(items),
                "summary": attention_summary(items),
                "items": [item.as_dict() for item in page],
                "next": paginator.get_next_link(),
            }
        )
