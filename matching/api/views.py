"""REST API of matching: criteria per program, the top 5 for a participant, program-wide runs
(start, progress, the why-not-matched list) and their proposals (list, accept, dismiss).
Thin: parse, scope, call ``matching.services``."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from buddy.access import access_for
from buddy.api.serializers import MatchSerializer
from buddy.models import Person, Program
from buddy.models.base import with_program_type
from buddy.selectors import program_in_scope, scope_people, scope_programs
from matching import filtersets, services
from matching.api import serializers as api
from matching.models import MatchingCriteria, Proposal, RecommendationRun


def _in_scope(queryset, request):
    programs = scope_programs(Program.objects.all(), access_for(request.user))
    return queryset.filter(program__in=programs)


class CriteriaViewSet(viewsets.ReadOnlyModelViewSet):
    """Every version of the programs' matching criteria, newest first."""

    queryset = MatchingCriteria.objects.select_related("program").order_by("-id")
    serializer_class = api.CriteriaSerializer
    filterset_class = filtersets.CriteriaFilterSet

    def get_queryset(self):
        return _in_scope(super().get_queryset(), self.request)


class RunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Program-wide recommendation runs: ``POST`` starts one (queued; a worker runs it), the
    detail shows its progress, ``unmatched`` why each participant left over got nobody."""

    queryset = RecommendationRun.objects.select_related("program", "criteria").order_by("-id")
    serializer_class = api.RunSerializer
    filterset_class = filtersets.RunFilterSet

    def get_queryset(self):
        return _in_scope(super().get_queryset(), self.request)

    @extend_schema(request=api.RunStartSerializer, responses={202: api.RunSerializer})
    def create(self, request, *args, **kwargs):
        data = api.RunStartSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        run = services.run_start(
            program=data.validated_data["program"],
            by=request.user,
            coverage_first=data.validated_data.get("coverage_first"),
        )
        run = self.get_queryset().get(pk=run.pk)
        return Response(api.RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=api.UnmatchedSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def unmatched(self, request, pk=None):
        """The why-not-matched list of the run."""
        entries, context = self.get_object().unmatched, self.get_serializer_context()
        return Response(api.UnmatchedSerializer(entries, many=True, context=context).data)


class ProposalViewSet(viewsets.ReadOnlyModelViewSet):
    """The proposals of the runs, best score first."""

    # the program's type read with the rows (ProgramTyped): no Program per page or per row
    queryset = with_program_type(Proposal.objects.order_by("run_id", "-score", "id"))
    serializer_class = api.ProposalSerializer
    filterset_class = filtersets.ProposalFilterSet

    def get_queryset(self):
        return _in_scope(super().get_queryset(), self.request)

    @extend_schema(request=None, responses={201: MatchSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept: a ``proposed`` match through the match service."""
        match = services.proposal_accept(proposal=self.get_object(), by=request.user)
        return Response(MatchSerializer(match).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=api.DismissSerializer, responses=api.ProposalSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Dismiss with a reason: the pair is never proposed again in the program."""
        data = api.DismissSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = services.proposal_dismiss(
            proposal=self.get_object(), reason=data.validated_data["reason"], by=request.user
        )
        return Response(api.ProposalSerializer(proposal).data)


class TopForParticipantView(APIView):
    """``GET /api/recommendations/top/?participant=<id>&program=buddy``: the participant's
    best 5 buddies with scores, parts and reasons, or why there is none."""

    # a program or person unknown or out of scope; 409: the program does no matching
    schema_error_statuses = ("404", "409")

    @extend_schema(parameters=[api.TopQuerySerializer], responses=api.TopSerializer)
    def get(self, request):
        query = api.TopQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        access = access_for(request.user)
        program = program_in_scope(query.validated_data.get("program"), access)
        people = scope_people(Person.objects.all(), access)
        participant = get_object_or_404(people, pk=query.validated_data["participant"])
        result = services.recommend_for_participant(program=program, participant=participant)
        return Response(api.TopSerializer(result).data)
