"""Read-only API over the attention queue (thin: parse the program, call the service)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from enrollments.attention import attention_queue, attention_summary
from enrollments.selectors import program_by_type


class AttentionView(APIView):
    """``GET /api/attention/?program=buddy``: the ranked needs-attention items."""

    @extend_schema(
        parameters=[OpenApiParameter("program", str, description="program type (default buddy)")],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        program = program_by_type(request.query_params.get("program", "buddy"))
        items = attention_queue(program=program)
        return Response(
            {
                "program": program.program_type,
                "count": len(items),
                "summary": attention_summary(items),
                "items": [item.as_dict() for item in items],
            }
        )
