"""``GET /api/feedback-analysis/``: the structured feedback analysis of a program (issue 21),
thin over ``enrollments.selectors.feedback_analysis``."""

from datetime import UTC, datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from buddy.access import access_for
from buddy.selectors import program_in_scope
from core.errors import FieldError, ValidationFailed


def _day(value: str | None, name: str):
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise ValidationFailed([FieldError(name, "must be a date YYYY-MM-DD")]) from None


class FeedbackAnalysisView(APIView):
    """Ratings and category ratings of a program's feedback (of one company's buddies, within
    ``[since, until)``): distribution in tenths, means per month, the share of negative
    feedback with the >30 % spike rule, and the matches whose two sides disagree."""

    @extend_schema(
        parameters=[
            OpenApiParameter("program", str, description="program type (default buddy)"),
            OpenApiParameter("company", int, description="only feedback on this company's buddies"),
            OpenApiParameter("since", str, description="YYYY-MM-DD (included)"),
            OpenApiParameter("until", str, description="YYYY-MM-DD (excluded)"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        from enrollments.selectors import feedback_analysis

        params = request.query_params
        program = program_in_scope(params.get("program"), access_for(request.user))
        company = params.get("company") or None
        if company is not None and not company.isdigit():
            raise ValidationFailed([FieldError("company", "must be an id")])
        since, until = _day(params.get("since"), "since"), _day(params.get("until"), "until")
        result = feedback_analysis(
            program=program,
            company_id=int(company) if company else None,
            since=since,
            until=until,
        )
        return Response({"program": program.program_type, **result})
