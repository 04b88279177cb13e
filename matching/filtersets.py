"""django-filter sets of the matching app, shared by the API and the coordinator lists."""

import django_filters

from buddy.filtersets import ChoicesFilter, date_range, number_range
from matching.models import Proposal, ProposalStatus, RecommendationRun, RunStatus


class RunFilterSet(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__program_type")
    status = ChoicesFilter(choices=RunStatus.choices)
    locals().update(date_range("created_at"))

    class Meta:
        model = RecommendationRun
        fields = ["program", "status"]


class ProposalFilterSet(django_filters.FilterSet):
    run = django_filters.NumberFilter(field_name="run_id")
    program = django_filters.CharFilter(field_name="program__program_type")
    status = ChoicesFilter(choices=ProposalStatus.choices)
    participant = django_filters.NumberFilter(field_name="participant_id")
    buddy = django_filters.NumberFilter(field_name="buddy_id")
    locked = django_filters.BooleanFilter()
    locals().update(number_range("score"))
    ordering = django_filters.OrderingFilter(fields=["id", "score", "created_at"])

    class Meta:
        model = Proposal
        fields = ["run", "program", "status", "participant", "buddy", "locked"]


class CriteriaFilterSet(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__program_type")

    class Meta:
        from matching.models import MatchingCriteria

        model = MatchingCriteria
        fields = ["program"]
