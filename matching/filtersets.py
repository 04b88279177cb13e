"""django-filter sets of the matching app, shared by the API and the coordinator lists."""

import django_filters

from buddy.filtersets import (
    ChoicesFilter,
    Ordering,
    ScopedFilterSet,
    SearchFilter,
    date_range,
    number_range,
)
from matching.models import Proposal, ProposalStatus, RecommendationRun, RunStatus


class RunFilterSet(ScopedFilterSet):
    program = django_filters.CharFilter(field_name="program__program_type")
    status = ChoicesFilter(choices=RunStatus.choices)
    locals().update(date_range("created_at"))
    search = SearchFilter(fields=["error_code"])
    ordering = Ordering(
        fields=["id", "created_at", "finished_at", "proposals_count", "unmatched_count"]
    )

    class Meta:
        model = RecommendationRun
        fields = ["program", "status"]


class ProposalFilterSet(ScopedFilterSet):
    run = django_filters.NumberFilter(field_name="run_id")
    program = django_filters.CharFilter(field_name="program__program_type")
    status = ChoicesFilter(choices=ProposalStatus.choices)
    participant = django_filters.NumberFilter(field_name="participant_id")
    buddy = django_filters.NumberFilter(field_name="buddy_id")
    locked = django_filters.BooleanFilter()
    locals().update(number_range("score"))
    search = SearchFilter(
        fields=[
            "participant__first_name",
            "participant__last_name",
            "buddy__first_name",
            "buddy__last_name",
        ]
    )
    ordering = Ordering(fields=["id", "score", "created_at", "decided_at"])

    class Meta:
        model = Proposal
        fields = ["run", "program", "status", "participant", "buddy", "locked"]


class CriteriaFilterSet(ScopedFilterSet):
    program = django_filters.CharFilter(field_name="program__program_type")
    ordering = Ordering(fields=["id", "version", "created_at"])

    class Meta:
        from matching.models import MatchingCriteria

        model = MatchingCriteria
        fields = ["program"]
