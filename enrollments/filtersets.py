"""django-filter sets of the enrollments app, shared by the API and the coordinator lists."""

import django_filters

from buddy.filtersets import ChoicesFilter, Ordering, ScopedFilterSet, SearchFilter, date_range
from buddy.models import Enrollment, EnrollmentStatus, Program, ProgramType
from enrollments.models import JourneyFlags


class ProgramFilterSet(ScopedFilterSet):
    program_type = django_filters.ChoiceFilter(choices=ProgramType.choices)
    supports_matching = django_filters.BooleanFilter()
    search = SearchFilter(fields=["name", "program_type"])
    ordering = Ordering(fields=["id", "program_type", "name", "created_at"])

    class Meta:
        model = Program
        fields = ["program_type", "supports_matching"]


class EnrollmentFilterSet(ScopedFilterSet):
    locals().update(date_range("enrolled_at"))
    status = ChoicesFilter(choices=EnrollmentStatus.choices)
    program = django_filters.CharFilter(field_name="program__program_type")
    person = django_filters.NumberFilter(field_name="person_id")
    role = django_filters.CharFilter(field_name="person__role")
    company = django_filters.NumberFilter(field_name="person__company_id")
    search = SearchFilter(
        fields=["person__first_name", "person__last_name"],
        exact=["person__external_ids__external_id"],
    )
    ordering = Ordering(
        fields=["id", "status", "enrolled_at", "completed_at", "left_at", "updated_at"]
    )

    class Meta:
        model = Enrollment
        fields = ["status", "program", "person", "role", "company"]


class JourneyFlagsFilterSet(ScopedFilterSet):
    program = django_filters.CharFilter(field_name="enrollment__program__program_type")
    person = django_filters.NumberFilter(field_name="enrollment__person_id")
    locals().update(date_range("last_activity_at"))
    search = SearchFilter(
        fields=["enrollment__person__first_name", "enrollment__person__last_name"],
        exact=["enrollment__person__external_ids__external_id"],
    )
    ordering = Ordering(
        fields=[
            ("enrollment_id", "enrollment"),
            "last_activity_at",
            "joined_at",
            "changed_at",
            "matches_count",
            "checkins_count",
        ]
    )

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
