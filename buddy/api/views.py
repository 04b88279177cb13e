"""REST API of the buddy app: plain reads via viewsets, each state change its own action."""

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from buddy.access import access_for
from buddy.api.serializers import (
    MatchDetailSerializer,
    MatchEndSerializer,
    MatchProposeSerializer,
    MatchSerializer,
    MatchTransitionInputSerializer,
    PersonSerializer,
)
from buddy.filtersets import MatchFilterSet, PersonFilterSet
from buddy.models import DataSource, ExternalId, Match, MatchStatus, Person
from buddy.selectors import scope_matches, scope_people
from buddy.services.matches import match_end, match_propose, match_transition
from privacy.access_log import AccessLoggedViewSet


class PersonViewSet(AccessLoggedViewSet, viewsets.ReadOnlyModelViewSet):
    """People enrolled in the login's programs (personal data masked for viewers)."""

    queryset = Person.objects.select_related("company").prefetch_related(
        Prefetch("external_ids", queryset=ExternalId.objects.order_by("provider", "external_id"))
    )
    serializer_class = PersonSerializer
    filterset_class = PersonFilterSet

    def get_queryset(self):
        return scope_people(super().get_queryset(), access_for(self.request.user))


class MatchViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Match.objects.select_related("program")
    filterset_class = MatchFilterSet

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
            reason=data.validated_data["reason"],
        )
        return Response(MatchSerializer(match).data)

    @extend_schema(request=MatchTransitionInputSerializer, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None, **kwargs):
        return self._move(request, MatchStatus.ACCEPTED)

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
        return self._move(request, MatchStatus.INACTIVE)

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
        )
        return Response(MatchSerializer(match).data)
