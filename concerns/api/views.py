"""Cases over the API: list (filters), detail, open, and one endpoint per workflow step."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from buddy.access import access_for
from buddy.models import Match, Person
from buddy.selectors import program_in_scope, scope_matches, scope_people
from concerns import selectors, services
from concerns.api.serializers import (
    ConcernDetailSerializer,
    ConcernMeetingInputSerializer,
    ConcernMeetingSerializer,
    ConcernOpenSerializer,
    ConcernResolveSerializer,
    ConcernSerializer,
)
from concerns.filtersets import ConcernFilterSet
from concerns.models import Category, Concern, Severity, Status
from core.errors import FieldError, ValidationFailed

FILTERS = [
    OpenApiParameter("program", str, description="program type"),
    OpenApiParameter("status", str, enum=Status.values),
    OpenApiParameter("category", str, enum=Category.values),
    OpenApiParameter("severity", str, enum=Severity.values),
    OpenApiParameter("match", int),
    OpenApiParameter("person", int),
    OpenApiParameter("overdue", bool),
]


def _int(value, name):
    if value in (None, ""):
        return None
    if not str(value).isdigit():
        raise ValidationFailed([FieldError(name, "must be an id")])
    return int(value)


def _choice(value, choices, name):
    if value in (None, ""):
        return None
    if value not in choices.values:
        raise ValidationFailed([FieldError(name, f"must be one of {', '.join(choices.values)}")])
    return value


class ConcernViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Cases (concerns and disputes). Restricted cases (safeguarding, discrimination) show
    only that they exist to logins without the ``safeguarding`` permission."""

    queryset = Concern.objects.all()
    filterset_class = ConcernFilterSet
    schema_error_statuses = ("404",)  # ?program= unknown or out of scope

    def _access(self):
        return access_for(self.request.user)

    def get_queryset(self):
        access = self._access()
        if self.action != "list":
            return selectors.scope_concerns(Concern.objects.all(), access).prefetch_related(
                "involved", "meetings", "steps"
            )
        params = self.request.query_params
        program = params.get("program")
        overdue = params.get("overdue")
        if overdue not in (None, "", "true", "false"):
            raise ValidationFailed([FieldError("overdue", "must be true or false")])
        return selectors.concern_list(
            access=access,
            program_id=program_in_scope(program, access).pk if program else None,
            status=_choice(params.get("status"), Status, "status"),
            category=_choice(params.get("category"), Category, "category"),
            severity=_choice(params.get("severity"), Severity, "severity"),
            match_id=_int(params.get("match"), "match"),
            person_id=_int(params.get("person"), "person"),
            overdue=None if overdue in (None, "") else overdue == "true",
        ).prefetch_related("involved")

    def get_serializer_class(self):
        return ConcernDetailSerializer if self.action == "retrieve" else ConcernSerializer

    @extend_schema(parameters=FILTERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _changeable(self) -> Concern:
        """The case, for a step: out of scope 404; restricted without permission 403."""
        concern = self.get_object()
        if selectors.is_withheld(concern, user=self.request.user, access=self._access()):
            raise PermissionDenied("This case is restricted.")
        return concern

    @extend_schema(request=ConcernOpenSerializer, responses={201: ConcernSerializer})
    def create(self, request, *args, **kwargs):
        """Open a case (coordinator; a participant's or buddy's report as ``source``)."""
        access = self._access()
        data = ConcernOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        match, person = v.get("match"), v.get("person")
        if match is not None and not scope_matches(Match.objects.filter(pk=match.pk), access):
            raise Http404("No such match.")
        if person is not None and not scope_people(Person.objects.filter(pk=person.pk), access):
            raise Http404("No such person.")
        program = match.program if match is not None else program_in_scope(v["program"], access)
        if not access.sees_program(program.pk):
            raise Http404("No such match.")
        concern = services.concern_open(
            program=program,
            match=match,
            person=person,
            category=v["category"],
            severity=v["severity"],
            source=v["source"],
            description=v.get("description", ""),
            involved=list(
                scope_people(
                    Person.objects.filter(pk__in=[p.pk for p in v.get("involved", [])]), access
                )
            ),
            by=request.user,
        )
        return Response(
            ConcernSerializer(concern, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses=ConcernSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        concern = services.concern_acknowledge(concern=self._changeable(), by=request.user)
        return Response(ConcernSerializer(concern, context=self.get_serializer_context()).data)

    @extend_schema(request=ConcernMeetingInputSerializer, responses={201: ConcernMeetingSerializer})
    @action(detail=True, methods=["post"])
    def meetings(self, request, pk=None):
        concern = self._changeable()
        data = ConcernMeetingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = services.concern_meeting_add(
            concern=concern, by=request.user, **data.validated_data
        )
        return Response(
            ConcernMeetingSerializer(meeting, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ConcernResolveSerializer, responses=ConcernSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        concern = self._changeable()
        data = ConcernResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        concern = services.concern_resolve(concern=concern, by=request.user, **data.validated_data)
        return Response(ConcernSerializer(concern, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"], url_path="rematch-suggestions")
    def rematch_suggestions(self, request, pk=None):
        """The participant's top 5 without the previous buddy (after a ``rematch``)."""
        return Response(services.concern_rematch_suggestions(concern=self._changeable()))
