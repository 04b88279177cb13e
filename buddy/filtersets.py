"""django-filter sets shared by the API and the coordinator lists."""

import django_filters

from buddy.api.fields import TimestampFormField
from buddy.models import Match, MatchStatus, Person, Role


class TimestampFilter(django_filters.IsoDateTimeFilter):
    """A date-time filter by the schemas' date rule (absurd dates are a 400, not a 500)."""

    field_class = TimestampFormField


class PersonFilterSet(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    company = django_filters.NumberFilter(field_name="company_id")
    location = django_filters.CharFilter(lookup_expr="iexact")
    external_id = django_filters.CharFilter(field_name="external_ids__external_id")
    joined_after = TimestampFilter(field_name="joined_at", lookup_expr="gte")

    class Meta:
        model = Person
        fields = ["role", "company", "location", "external_id", "joined_after"]


class MatchFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=MatchStatus.choices)
    program = django_filters.CharFilter(field_name="program__program_type")
    participant = django_filters.NumberFilter(field_name="participant_id")
    buddy = django_filters.NumberFilter(field_name="buddy_id")
    matched_after = TimestampFilter(field_name="matched_at", lookup_expr="gte")
    concurrent_active = django_filters.BooleanFilter()

    class Meta:
        model = Match
        fields = [
            "status",
            "program",
            "participant",
            "buddy",
            "source",
            "matched_after",
            "concurrent_active",
        ]
