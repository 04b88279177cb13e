"""Read-only API over the attention queue (thin: parse the program, call the service)."""

from dataclasses import asdict

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from buddy.access import access_for
from buddy.api.pagination import LimitOffsetPagination
from buddy.api.permissions import ImpactFigures
from buddy.models import AccessRole
from enrollments.attention import attention_queue, attention_summary
from enrollments.impact import impact
from enrollments.models import ProgramType
from enrollments.selectors import program_by_type, program_in_scope


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
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        program = program_in_scope(request.query_params.get("program"), access_for(request.user))
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


class ImpactQuerySerializer(serializers.Serializer):
    program = serializers.CharField(required=False)
    per = serializers.ChoiceField(choices=["program", "company", "volunteer"], required=False)
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)


@extend_schema(parameters=[ImpactQuerySerializer], responses=OpenApiTypes.OBJECT)
class ImpactView(APIView):
    """``GET /api/impact/?program=buddy&per=program|company|volunteer&start=&end=``: volunteer
    hours, quality, outcomes and SROI, aggregated. Company users get their own company's
    figures only (``per=company``, the default for them); no row names a person."""

    permission_classes = [ImpactFigures]

    def get(self, request):
        query = ImpactQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        access = access_for(request.user)
        if access.role == AccessRole.COMPANY:
            per = params.get("per", "company")
            if per != "company":
                raise PermissionDenied("Company users see their company's figures only.")
            program = program_by_type(params.get("program") or ProgramType.BUDDY)
        else:
            per = params.get("per", "program")
            program = program_in_scope(params.get("program"), access)
        figures = impact(program=program, per=per, start=params.get("start"), end=params.get("end"))
        if access.role == AccessRole.COMPANY:
            figures = {k: v for k, v in figures.items() if k == access.company_id}
        return Response(
            {
                "program": program.program_type,
                "per": per,
                "rows": [asdict(row) for row in figures.values()],
            }
        )
