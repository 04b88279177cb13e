"""REST API of the buddy app: plain reads via viewsets, each state change its own action."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from buddy import filtersets
from buddy.access import access_for
from buddy.access_log import AccessLoggedViewSet
from buddy.api import serializers as api
from buddy.api.pagination import CursorPagination
from buddy.api.serializers import (
    MatchDetailSerializer,
    MatchEndSerializer,
    MatchProposeSerializer,
    MatchSerializer,
    MatchTransitionInputSerializer,
    MatchTransitionSerializer,
    PersonSerializer,
)
from buddy.filtersets import MatchFilterSet, PersonFilterSet
from buddy.models import (
    CheckIn,
    Company,
    DataSource,
    EventAttendance,
    ExternalId,
    Feedback,
    InformalEvent,
    Match,
    MatchStatus,
    MatchTransition,
    MilestoneAchievement,
    Person,
    SkillSession,
)
from buddy.models.base import with_program_type
from buddy.selectors import (
    external_ids_by_person,
    scope_companies,
    scope_matches,
    scope_people,
    scope_person_rows,
)
from buddy.services.matches import match_accept, match_end, match_propose, match_transition


class PersonViewSet(AccessLoggedViewSet, viewsets.ReadOnlyModelViewSet):
    """People enrolled in the login's programs (personal data masked for viewers)."""

    queryset = Person.objects.select_related("company").order_by("id")
    serializer_class = PersonSerializer
    pagination_class = CursorPagination  # no COUNT of 166,667 people per page (bench/README.md)
    filterset_class = PersonFilterSet

    def get_queryset(self):
        return scope_people(super().get_queryset(), access_for(self.request.user))

    def get_serializer(self, *args, **kwargs):
        if args and self.action in ("list", "retrieve"):  # the page's (or the person's) ids
            people = args[0] if kwargs.get("many") else [args[0]]
            found = external_ids_by_person(p.pk for p in people)
            for person in people:
                setattr(person, PersonSerializer.EXTERNAL_IDS_ATTR, found.get(person.pk, {}))
        return super().get_serializer(*args, **kwargs)


class MatchViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    # the program's type read with the rows (ProgramTyped), not a Program per page or per row
    # the list's order, read in the index buddy_match_program_order (program, -matched_at, -id)
    queryset = with_program_type(Match.objects.order_by("-matched_at", "-id"))
    filterset_class = MatchFilterSet
    pagination_class = CursorPagination  # no COUNT, no OFFSET scan (bench/README.md, API)

    def get_queryset(self):
        queryset = scope_matches(super().get_queryset(), access_for(self.request.user))
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("transitions")
        return queryset

    def get_serializer_class(self):
        return MatchDetailSerializer if self.action == "retrieve" else MatchSerializer

    @extend_schema(request=MatchProposeSerializer, responses={201: MatchSerializer})
    def create(self, request, *args, **kwargs):
        """Propose a match made by a coordinator."""
        data = MatchProposeSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        match = match_propose(
            program=data.validated_data["program"],
            participant=data.validated_data["participant"],
            buddy=data.validated_data["buddy"],
            criteria=data.validated_data.get("matching_criteria"),
            via=DataSource.COORDINATOR,
            by=request.user,
        )
        return Response(MatchSerializer(match).data, status=status.HTTP_201_CREATED)

    def _move(self, request, to_status):
        data = MatchTransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        match = match_transition(
            match=self.get_object(),
            to_status=to_status,
            via=DataSource.COORDINATOR,
            by=request.user,
            reason=self.action,
            note=data.validated_data["note"],
        )
        return Response(MatchSerializer(match).data)

    @extend_schema(request=MatchTransitionInputSerializer, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None, **kwargs):
        """Accept a proposal on behalf of both people (``match_accept``)."""
        MatchTransitionInputSerializer(data=request.data).is_valid(raise_exception=True)
        match = match_accept(match=self.get_object(), via=DataSource.COORDINATOR, by=request.user)
        return Response(MatchSerializer(match).data)

    @extend_schema(request=MatchTransitionInputSerializer, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None, **kwargs):
        return self._move(request, MatchStatus.DECLINED)

    @extend_schema(request=MatchTransitionInputSerializer, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None, **kwargs):
        return self._move(request, MatchStatus.ACTIVE)

    @extend_schema(request=MatchTransitionInputSerializer, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None, **kwargs):
        """Alias of ``pause`` (kept for existing clients)."""
        return self._move(request, MatchStatus.INACTIVE)

    @extend_schema(request=MatchTransitionInputSerializer, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None, **kwargs):
        """An active match becomes inactive."""
        return self._move(request, MatchStatus.INACTIVE)

    @extend_schema(request=MatchTransitionInputSerializer, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None, **kwargs):
        """An inactive (paused) match becomes active again."""
        if self.get_object().status != MatchStatus.INACTIVE:
            from core.errors import IllegalTransition

            raise IllegalTransition(self.get_object().status, MatchStatus.ACTIVE)
        return self._move(request, MatchStatus.ACTIVE)

    @extend_schema(request=None, responses=MatchTransitionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def transitions(self, request, pk=None, **kwargs):
        """The match's status history, oldest first."""
        rows = MatchTransition.objects.filter(match=self.get_object()).order_by("at", "id")
        context = self.get_serializer_context()
        return Response(MatchTransitionSerializer(rows, many=True, context=context).data)

    @extend_schema(request=MatchEndSerializer, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None, **kwargs):
        data = MatchEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        match = match_end(
            match=self.get_object(),
            ended_at=data.validated_data.get("ended_at") or timezone.now(),
            end_reason=data.validated_data["end_reason"],
            via=DataSource.COORDINATOR,
            by=request.user,
            note=data.validated_data["note"],
        )
        return Response(MatchSerializer(match).data)


class CompanyViewSet(viewsets.ReadOnlyModelViewSet):
    """Companies of the people in the login's programs."""

    queryset = Company.objects.all()
    serializer_class = api.CompanySerializer
    filterset_class = filtersets.CompanyFilterSet

    def get_queryset(self):
        return scope_companies(super().get_queryset(), access_for(self.request.user))


class ExternalIdViewSet(viewsets.ReadOnlyModelViewSet):
    """People's ids in other systems."""

    queryset = ExternalId.objects.all()
    serializer_class = api.ExternalIdSerializer
    filterset_class = filtersets.ExternalIdFilterSet

    def get_queryset(self):
        access = access_for(self.request.user)
        return scope_person_rows(super().get_queryset(), access, person_fields=("person",))


class _MatchActivityViewSet(viewsets.ReadOnlyModelViewSet):
    """Activities of a match (scoped through the match's program), newest first."""

    pagination_class = CursorPagination

    def get_queryset(self):
        return scope_matches(super().get_queryset(), access_for(self.request.user), via="match__")


class _PersonActivityViewSet(viewsets.ReadOnlyModelViewSet):
    """Activities naming people (scoped through the people's enrollments), newest first."""

    pagination_class = CursorPagination
    person_fields: tuple[str, ...] = ("person",)

    def get_queryset(self):
        access = access_for(self.request.user)
        return scope_person_rows(super().get_queryset(), access, person_fields=self.person_fields)


class InformalEventViewSet(_MatchActivityViewSet):
    queryset = InformalEvent.objects.all()
    serializer_class = api.InformalEventSerializer
    filterset_class = filtersets.InformalEventFilterSet


class CheckInViewSet(_MatchActivityViewSet):
    queryset = CheckIn.objects.all()
    serializer_class = api.CheckInSerializer
    filterset_class = filtersets.CheckInFilterSet


class FeedbackViewSet(_MatchActivityViewSet):
    queryset = Feedback.objects.all()
    serializer_class = api.FeedbackSerializer
    filterset_class = filtersets.FeedbackFilterSet


class EventAttendanceViewSet(_PersonActivityViewSet):
    queryset = EventAttendance.objects.all()
    serializer_class = api.EventAttendanceSerializer
    filterset_class = filtersets.EventAttendanceFilterSet


class SkillSessionViewSet(_PersonActivityViewSet):
    queryset = SkillSession.objects.all()
    serializer_class = api.SkillSessionSerializer
    filterset_class = filtersets.SkillSessionFilterSet
    person_fields = ("teacher", "learner")


class MilestoneViewSet(_PersonActivityViewSet):
    queryset = MilestoneAchievement.objects.all()
    serializer_class = api.MilestoneSerializer
    filterset_class = filtersets.MilestoneFilterSet
