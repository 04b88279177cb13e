"""Read-only API over the attention queue (thin: parse the program, call the service)."""

import io
from dataclasses import asdict

from django.conf import settings
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import renderers, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from buddy.access import access_for
from buddy.api.pagination import CursorPagination, LimitOffsetPagination
from buddy.api.permissions import ImpactFigures
from buddy.csv_output import csv_writer
from buddy.models import Enrollment, EnrollmentStatusChange, Program
from buddy.models.base import with_program_type
from buddy.selectors import program_in_scope, scope_programs
from core.errors import FieldError, ValidationFailed
from enrollments import filtersets
from enrollments.api import serializers as api
from enrollments.attention import AttentionQueue
from enrollments.impact import impact_for
from enrollments.models import JourneyFlags


class AttentionPagination(LimitOffsetPagination):
    """The queue's items, at most ``API_MAX_PAGE_SIZE`` at a time (the default: the queue
    is read whole by most clients)."""

    @property
    def default_limit(self) -> int:
        return settings.API_MAX_PAGE_SIZE


class AttentionView(APIView):
    """``GET /api/attention/?program=buddy``: the ranked needs-attention items; ``count`` and
    ``summary`` cover the whole queue, ``items`` the page (``limit``/``offset``)."""

    schema_error_statuses = ("404",)  # a program (or person) unknown or out of scope

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
        items = AttentionQueue(program=program, hide_snoozed=False)
        paginator = AttentionPagination()
        page = paginator.paginate_queryset(items, request, view=self)
        return Response(
            {
                "program": program.program_type,
                "count": len(items),
                "summary": items.summary(),
                "items": [item.as_dict() for item in page],
                "next": paginator.get_next_link(),
            }
        )


class ImpactQuerySerializer(serializers.Serializer):
    program = serializers.CharField(required=False)
    per = serializers.ChoiceField(choices=["program", "company", "volunteer"], required=False)
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)


def _flat(prefix: str, value, out: dict) -> dict:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flat(f"{prefix}{key}.", inner, out)
        return out
    out[prefix.rstrip(".")] = value
    return out


class ImpactCsvRenderer(renderers.BaseRenderer):
    """Impact rows as CSV (``?format=csv`` or ``Accept: text/csv``), one row per key, nested
    figures flattened to dotted columns, through the formula-neutralising writer."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        buffer = io.StringIO()
        writer = csv_writer(buffer)
        rows = data.get("rows") if isinstance(data, dict) else None
        if rows is None:  # an error body: its code and detail
            writer.writerow(["code", "message"])
            writer.writerow([data.get("code", ""), data.get("message", "")])
            return buffer.getvalue().encode()
        flat = [_flat("", row, {}) for row in rows]
        columns = list(flat[0]) if flat else ["key"]
        writer.writerow(["program", "per", *columns])
        for row in flat:
            writer.writerow([data["program"], data["per"], *(row.get(c) for c in columns)])
        return buffer.getvalue().encode()


@extend_schema(parameters=[ImpactQuerySerializer], responses=OpenApiTypes.OBJECT)
class ImpactView(APIView):
    """``GET /api/impact/?program=buddy&per=program|company|volunteer&start=&end=``: volunteer
    hours, quality, outcomes and SROI, aggregated. Company users get their own company's
    figures only (``per=company``, the default for them); no row names a person."""

    schema_error_statuses = ("404",)  # a program (or person) unknown or out of scope

    permission_classes = [ImpactFigures]
    renderer_classes = [renderers.JSONRenderer, ImpactCsvRenderer]

    def get(self, request):
        query = ImpactQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        report = impact_for(
            access=access_for(request.user),
            program_type=params.get("program"),
            per=params.get("per"),
            start=params.get("start"),
            end=params.get("end"),
        )
        return Response(
            {
                "program": report.program.program_type,
                "per": report.per,
                "rows": [
                    {**asdict(row), "health": report.health_of(row.key)} for row in report.rows
                ],
                "health_weeks": report.health_weeks(),
            }
        )


class ProgramViewSet(viewsets.ReadOnlyModelViewSet):
    """The programs the login reads."""

    queryset = Program.objects.all()
    serializer_class = api.ProgramSerializer
    filterset_class = filtersets.ProgramFilterSet

    def get_queryset(self):
        return scope_programs(super().get_queryset(), access_for(self.request.user))


def _programs_read(request):
    return scope_programs(Program.objects.all(), access_for(request.user))


class EnrollmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Enrollments in the login's programs; the detail carries the status history."""

    # the program's type read with the rows (ProgramTyped): no Program per page or per row
    queryset = with_program_type(Enrollment.objects.order_by("id"))
    filterset_class = filtersets.EnrollmentFilterSet
    pagination_class = CursorPagination  # no COUNT per page (bench/README.md, API)

    def get_queryset(self):
        queryset = super().get_queryset().filter(program__in=_programs_read(self.request))
        if self.action == "retrieve":
            changes = EnrollmentStatusChange.objects.order_by("at", "id")
            queryset = queryset.prefetch_related(Prefetch("status_changes", queryset=changes))
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return api.EnrollmentDetailSerializer
        return api.EnrollmentSerializer


class JourneyFlagsViewSet(viewsets.ReadOnlyModelViewSet):
    """Each enrollment's journey flags (``{id}``: the enrollment's id)."""

    queryset = (
        JourneyFlags.objects.select_related("enrollment")
        .prefetch_related("enrollment__program")  # one Program per page, not per row
        .order_by("enrollment_id")
    )
    serializer_class = api.JourneyFlagsSerializer
    filterset_class = filtersets.JourneyFlagsFilterSet

    def get_queryset(self):
        programs = _programs_read(self.request)
        return super().get_queryset().filter(enrollment__program__in=programs)


class MatchHealthReasonSerializer(serializers.Serializer):
    """A health reason: its code, the code's parameters (e.g. ``days``, ``n``, ``role``,
    ``value``, ``before``, ``after``, ``category``) and its text."""

    code = serializers.CharField(help_text="e.g. no_contact, mood_fell, rated")
    text = serializers.CharField(help_text="the reason in the request's language")


_HEALTH_RESPONSE = inline_serializer(
    "MatchHealthFigures",
    fields={
        "program": serializers.CharField(),
        "bands": serializers.DictField(help_text="matches, <band>_share, mean_score"),
        "by_company": serializers.ListField(child=serializers.DictField()),
        "over_time": serializers.ListField(child=serializers.DictField()),
        "at_risk": inline_serializer(
            "MatchAtRisk",
            fields={
                "match_id": serializers.IntegerField(),
                "score": serializers.IntegerField(),
                "band_since": serializers.DateTimeField(),
                "parts": serializers.DictField(child=serializers.FloatField()),
                "band_reason": MatchHealthReasonSerializer(allow_null=True),
                "reasons": MatchHealthReasonSerializer(many=True),
            },
            many=True,
        ),
    },
)


class HealthView(APIView):
    """``GET /api/health/?program=buddy``: match health of the program (issue 21): band
    shares now, by company, the weekly trend, and the matches at risk with their reasons:
    ``band_reason`` and each of ``reasons`` an object with its ``code``, the code's parameters
    (numbers, roles, moods, categories) and ``text``, the reason in the request's language
    (``Accept-Language``)."""

    schema_error_statuses = ("404",)  # a program (or person) unknown or out of scope

    @extend_schema(
        parameters=[
            OpenApiParameter("program", str, description="program type (default buddy)"),
            OpenApiParameter("weeks", int, description="weeks of history (1-104, default 12)"),
        ],
        responses=_HEALTH_RESPONSE,
    )
    def get(self, request):
        from enrollments import selectors as s

        program = program_in_scope(request.query_params.get("program"), access_for(request.user))
        weeks = request.query_params.get("weeks", "12")
        if not weeks.isdigit() or not 1 <= int(weeks) <= 104:
            raise ValidationFailed([FieldError("weeks", "must be a whole number from 1 to 104")])
        at_risk = s.health_at_risk(program=program)
        return Response(
            {
                "program": program.program_type,
                "bands": s.health_band_shares(program=program),
                "by_company": s.health_by_company(program=program),
                "over_time": s.health_over_time(program=program, weeks=int(weeks)),
                "at_risk": at_risk,
            }
        )


class Q2QEvidenceView(APIView):
    """``GET /api/q2q/evidence/?program=buddy&since=YYYY-MM-DD``: de-identified evidence
    snippets with their dimension scores (at most 1,000 per request; ``offset`` pages).
    Viewers get the scores with the snippets masked."""

    schema_error_statuses = ("404",)  # a program (or person) unknown or out of scope

    LIMIT = 1000

    @extend_schema(
        parameters=[
            OpenApiParameter("program", str, description="program type (default buddy)"),
            OpenApiParameter("since", str, description="YYYY-MM-DD"),
            OpenApiParameter("offset", int),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        from datetime import datetime, time
        from itertools import islice

        from django.utils import timezone

        from enrollments.q2q import q2q_evidence

        access = access_for(request.user)
        program = program_in_scope(request.query_params.get("program"), access)
        since, offset = request.query_params.get("since"), request.query_params.get("offset", "0")
        since_at = None
        if since:
            try:
                day = datetime.strptime(since, "%Y-%m-%d").date()
            except ValueError:
                raise ValidationFailed([FieldError("since", "must be a date YYYY-MM-DD")]) from None
            since_at = timezone.make_aware(datetime.combine(day, time.min))
        if not offset.isdigit():
            raise ValidationFailed([FieldError("offset", "must be a whole number")])
        records = list(
            islice(
                q2q_evidence(program_ids=[program.pk], since=since_at),
                int(offset),
                int(offset) + self.LIMIT,
            )
        )
        if access.masked:  # viewers: the scores, not even de-identified text (core.pii)
            from core.pii import mask

            for record in records:
                record["snippet"] = mask(record["snippet"])
        return Response(
            {"program": program.program_type, "count": len(records), "results": records}
        )
