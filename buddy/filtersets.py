"""django-filter sets shared by the API and the coordinator lists."""

import json
from datetime import timedelta

import django_filters
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, TextField
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buddy.api.fields import TimestampFormField
from buddy.models import (
    CheckIn,
    Company,
    DataSource,
    Enrollment,
    EnrollmentStatus,
    EventAttendance,
    ExternalId,
    Feedback,
    FeedbackRole,
    InformalEvent,
    Match,
    MatchStatus,
    MilestoneAchievement,
    Mood,
    Person,
    Role,
    SkillSession,
)
from buddy.models.choices import EventFormat, FormalEventType, MilestoneCategory
from buddy.selectors import enrollments_waiting


class TimestampFilter(django_filters.IsoDateTimeFilter):
    """A date-time filter by the schemas' date rule (absurd dates are a 400, not a 500)."""

    field_class = TimestampFormField


class ChoicesFilter(django_filters.MultipleChoiceFilter):
    """One or more values of the row's own column (``?status=active&status=inactive``): a
    plain ``IN``, without the ``SELECT DISTINCT`` django-filter adds to multiple-choice
    filters by default (for filters across to-many relations). On the matches list that
    DISTINCT sorted 40,000 whole rows on disk for a 50-row page (bench/README.md, API)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


def json_list_has(queryset, name, value):
    """Rows whose JSON list ``name`` holds ``value`` (a language code, an interest)."""
    if connection.features.supports_json_field_contains:
        return queryset.filter(**{f"{name}__contains": [value]})
    return queryset.filter(**{f"{name}__icontains": f'"{value}"'})


def date_range(field: str) -> dict:
    """``<field>_after`` / ``<field>_before`` filters (ISO 8601 timestamps, inclusive)."""
    return {
        f"{field}_after": TimestampFilter(field_name=field, lookup_expr="gte"),
        f"{field}_before": TimestampFilter(field_name=field, lookup_expr="lte"),
    }


def number_range(field: str) -> dict:
    """``<field>_min`` / ``<field>_max`` filters (inclusive)."""
    return {
        f"{field}_min": django_filters.NumberFilter(field_name=field, lookup_expr="gte"),
        f"{field}_max": django_filters.NumberFilter(field_name=field, lookup_expr="lte"),
    }


class PersonFilterSet(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    company = django_filters.NumberFilter(field_name="company_id")
    location = django_filters.CharFilter(lookup_expr="iexact")
    external_id = django_filters.CharFilter(field_name="external_ids__external_id")
    joined_after = TimestampFilter(field_name="joined_at", lookup_expr="gte")
    joined_before = TimestampFilter(field_name="joined_at", lookup_expr="lte")
    language = django_filters.CharFilter(field_name="languages", method=json_list_has)
    interest = django_filters.CharFilter(field_name="interests", method=json_list_has)
    program = django_filters.CharFilter(
        field_name="enrollments__program__program_type", method="enrolled_in_program"
    )
    ordering = django_filters.OrderingFilter(fields=["id", "joined_at", "location"])

    class Meta:
        model = Person
        fields = ["role", "company", "location", "external_id", "joined_after"]

    def enrolled_in_program(self, queryset, name, value):
        """People enrolled in the program of that type: a semi-join (``EXISTS``), not a join
        of the enrollments with ``DISTINCT`` (which de-duplicates whole rows: the people of a
        big program, counted and sorted)."""
        enrolled = Enrollment.objects.filter(person_id=OuterRef("pk"), program__program_type=value)
        return queryset.filter(Exists(enrolled))


class MatchFilterSet(django_filters.FilterSet):
    status = ChoicesFilter(choices=MatchStatus.choices)
    program = django_filters.CharFilter(field_name="program__program_type")
    participant = django_filters.NumberFilter(field_name="participant_id")
    buddy = django_filters.NumberFilter(field_name="buddy_id")
    matched_after = TimestampFilter(field_name="matched_at", lookup_expr="gte")
    concurrent_active = django_filters.BooleanFilter()
    matched_before = TimestampFilter(field_name="matched_at", lookup_expr="lte")
    ended_after = TimestampFilter(field_name="ended_at", lookup_expr="gte")
    ended_before = TimestampFilter(field_name="ended_at", lookup_expr="lte")
    company = django_filters.NumberFilter(field_name="buddy__company_id")
    ordering = django_filters.OrderingFilter(
        fields=["id", "matched_at", "ended_at", "created_at", "updated_at"]
    )

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


class PersonListFilterSet(PersonFilterSet):
    """The people lists of the UI (and, later, the API's): search and the filters a
    coordinator needs, within one program (``program``) and for one login (``masked``: a
    viewer may not search by name or email, which would tell them)."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    language = django_filters.CharFilter(method="json_member", label=_("Language"))
    interest = django_filters.CharFilter(method="json_member", label=_("Interest"))
    city = django_filters.CharFilter(
        field_name="location", lookup_expr="icontains", label=_("City")
    )
    status = django_filters.ChoiceFilter(
        choices=EnrollmentStatus.choices, method="enrollment_status", label=_("Status")
    )
    waiting_days = django_filters.NumberFilter(
        method="waiting_at_least", label=_("Waiting at least (days)"), min_value=0
    )
    free_capacity = django_filters.BooleanFilter(
        method="with_free_capacity", label=_("Free capacity")
    )

    class Meta(PersonFilterSet.Meta):
        fields = [*PersonFilterSet.Meta.fields]

    def __init__(self, *args, program=None, masked=False, now=None, **kwargs):
        self.program, self.masked, self.now = program, masked, now or timezone.now()
        super().__init__(*args, **kwargs)
        self.filters["company"].label = _("Company")

    def search(self, queryset, name, value):
        value = value.strip().lstrip("#")
        condition = Q(external_ids__external_id=value)
        if value.isdigit():
            condition |= Q(pk=int(value))
        if not self.masked:
            for field in ("first_name", "last_name", "email"):
                condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition).distinct()

    def json_member(self, queryset, name, value):
        # JSON arrays of codes: compared as text so SQLite and PostgreSQL agree.
        field = "languages" if name == "language" else "interests"
        quoted = json.dumps(value.strip())
        return queryset.annotate(**{f"_{field}": Cast(field, TextField())}).filter(
            **{f"_{field}__icontains": quoted}
        )

    def enrollment_status(self, queryset, name, value):
        if self.program is None:
            return queryset
        return queryset.filter(
            Exists(
                Enrollment.objects.filter(
                    person_id=OuterRef("pk"), program=self.program, status=value
                )
            )
        )

    def waiting_at_least(self, queryset, name, value):
        if self.program is None:
            return queryset
        since = self.now - timedelta(days=int(value))
        waiting = enrollments_waiting(program=self.program).filter(
            person_id=OuterRef("pk"), waiting_since__lte=since
        )
        return queryset.filter(Exists(waiting))

    def with_free_capacity(self, queryset, name, value):
        if value is None:
            return queryset
        active = Coalesce(
            Subquery(
                Match.objects.active()
                .filter(buddy_id=OuterRef("pk"))
                .order_by()
                .values("buddy_id")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            0,
        )
        queryset = queryset.filter(role=Role.BUDDY).annotate(_active=active)
        if value:
            return queryset.filter(_active__lt=F("capacity"))
        return queryset.filter(_active__gte=F("capacity"))


class CompanyFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    ordering = django_filters.OrderingFilter(fields=["id", "name"])

    class Meta:
        model = Company
        fields = ["name"]


class ExternalIdFilterSet(django_filters.FilterSet):
    provider = django_filters.CharFilter()
    external_id = django_filters.CharFilter()
    person = django_filters.NumberFilter(field_name="person_id")

    class Meta:
        model = ExternalId
        fields = ["provider", "external_id", "person"]


class _ActivityFilterSet(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(choices=DataSource.choices)


class _MatchActivityFilterSet(_ActivityFilterSet):
    match = django_filters.NumberFilter(field_name="match_id")
    program = django_filters.CharFilter(field_name="match__program__program_type")


class InformalEventFilterSet(_MatchActivityFilterSet):
    locals().update(date_range("event_date"))
    event_type = django_filters.CharFilter()
    location = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = InformalEvent
        fields = ["match", "program", "source", "event_type", "location"]


class CheckInFilterSet(_MatchActivityFilterSet):
    locals().update(date_range("checkin_date"))
    mood = ChoicesFilter(choices=Mood.choices)

    class Meta:
        model = CheckIn
        fields = ["match", "program", "source", "mood"]


class FeedbackFilterSet(_MatchActivityFilterSet):
    locals().update(date_range("submitted_at"))
    locals().update(number_range("rating"))
    from_role = django_filters.ChoiceFilter(choices=FeedbackRole.choices)

    class Meta:
        model = Feedback
        fields = ["match", "program", "source", "from_role"]


class EventAttendanceFilterSet(_ActivityFilterSet):
    locals().update(date_range("attended_at"))
    person = django_filters.NumberFilter(field_name="person_id")
    match = django_filters.NumberFilter(field_name="match_id")
    event_type = django_filters.ChoiceFilter(choices=FormalEventType.choices)
    event_format = django_filters.ChoiceFilter(choices=EventFormat.choices)
    location = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = EventAttendance
        fields = ["person", "match", "source", "event_type", "event_format", "location"]


class SkillSessionFilterSet(_ActivityFilterSet):
    locals().update(date_range("completed_at"))
    locals().update(number_range("teacher_rating"))
    locals().update(number_range("learner_rating"))
    teacher = django_filters.NumberFilter(field_name="teacher_id")
    learner = django_filters.NumberFilter(field_name="learner_id")
    match = django_filters.NumberFilter(field_name="match_id")
    skill_category = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = SkillSession
        fields = ["teacher", "learner", "match", "source", "skill_category"]


class MilestoneFilterSet(_ActivityFilterSet):
    locals().update(date_range("reached_at"))
    person = django_filters.NumberFilter(field_name="person_id")
    milestone_category = django_filters.ChoiceFilter(choices=MilestoneCategory.choices)

    class Meta:
        model = MilestoneAchievement
        fields = ["person", "source", "milestone_category"]
