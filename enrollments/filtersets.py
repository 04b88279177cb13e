"""django-filter sets of the enrollments app, shared by the API and the coordinator lists."""

import django_filters

from buddy.filtersets import ChoicesFilter, date_range
from buddy.models import Enrollment, EnrollmentStatus, Program, ProgramType
from enrollments.models import JourneyFlags


class ProgramFilterSet(django_filters.FilterSet):
    program_type = django_filters.ChoiceFilter(choices=ProgramType.choices)
    supports_matching = django_filters.BooleanFilter()

    class Meta:
        model = Program
        fields = ["program_type", "supports_matching"]


class EnrollmentFilterSet(django_filters.FilterSet):
    locals().update(date_range("enrolled_at"))
    status = ChoicesFilter(choices=EnrollmentStatus.choices)
    program = django_filters.CharFilter(field_name="program__program_type")
    person = django_filters.NumberFilter(field_name="person_id")
    role = django_filters.CharFilter(field_name="person__role")
    company = django_filters.NumberFilter(field_name="person__company_id")
    ordering = django_filters.OrderingFilter(fields=["id", "enrolled_at", "updated_at"])

    class Meta:
        model = Enrollment
        fields = ["status", "program", "person", "role", "company"]


class JourneyFlagsFilterSet(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="enrollment__program__program_type")
    person = django_filters.NumberFilter(field_name="enrollment__person_id")
    locals().update(date_range("last_activity_at"))

    class Meta:
        model = JourneyFlags
        fields = [
            "program",
            "person",
            "match_active",
            "checkin_due",
            "feedback_pending",
            "no_contact_14",
            "no_contact_30",
            "struggling",
        ]
