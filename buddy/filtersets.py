"""django-filter sets shared by the API and the coordinator lists."""

import copy
import json
from datetime import timedelta

import django_filters
from django import forms
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, TextField
from django.db.models.functions import Cast, Coalesce
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from buddy.access import access_for
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
from core.pii import personal_field_names


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


def _walk(model, path: str) -> tuple[bool, bool]:
    """``(personal, to_many)`` of a lookup path from ``model`` (``participant__last_name``):
    whether it ends on a personal-data field (``core.pii``) and crosses a to-many relation."""
    *relations, name = path.split("__")
    to_many = False
    for part in relations:
        field = model._meta.get_field(part)
        to_many = to_many or field.one_to_many or field.many_to_many
        model = field.related_model
    return name in personal_field_names(model), to_many


class SearchFilter(django_filters.CharFilter):
    """``?search=``: rows with the text in one of ``fields`` (case-insensitive) or equal to
    one of ``exact``. A masked login (viewer) searches no personal field: a hit would tell
    them the hidden value."""

    def __init__(self, fields=(), exact=(), **kwargs):
        self.search_fields, self.exact_fields = tuple(fields), tuple(exact)
        kwargs.setdefault("label", _("Search"))
        super().__init__(**kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        model, masked = qs.model, getattr(self.parent, "masked", True)
        condition, distinct = Q(pk__in=[]), False
        for path, lookup in [(f, "icontains") for f in self.search_fields] + [
            (f, "exact") for f in self.exact_fields
        ]:
            personal, to_many = _walk(model, path)
            if personal and masked:
                continue
            condition |= Q(**{f"{path}__{lookup}": value})
            distinct = distinct or to_many
        qs = qs.filter(condition)
        return qs.distinct() if distinct else qs


class Ordering(django_filters.OrderingFilter):
    """``?ordering=``: the named fields only (``-`` for descending); a masked login (viewer)
    may not order by a personal field (400: the order would tell the hidden values)."""

    def restrict(self, model, masked: bool) -> None:
        if not masked:
            return
        allowed = [
            (value, label)
            for value, label in self.extra["choices"]
            if not _walk(model, self.param_map[value.lstrip("-")])[0]
        ]
        self.extra["choices"] = allowed
        self.__dict__.pop("_field", None)  # a form field built before (the schema) is stale


class ScopedFilterSet(django_filters.FilterSet):
    """A filter set that knows whether its login sees personal data (``masked``: from the
    request's login unless given), for ``SearchFilter`` and ``Ordering``.

    Data that names none of its filters (``/api/matches/``, ``?cursor=…``, a detail) filters
    nothing: the rows are the queryset's, without the form django-filter would build,
    validate and apply for it (its fields made anew for every request: an eighth of a
    matches request's instructions; bench/README.md, API). That is what the form would give: each
    field is optional, and a filter given its field's empty value leaves the rows alone
    (django-filter's filters and methods do, ``SearchFilter`` too;
    tests/buddy/test_filtersets_without_data.py holds every filter set to it)."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, masked=None):
        # django-filter's BaseFilterSet.__init__, but the filters copied when first asked
        # for (``filters``)
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        if masked is None:
            masked = request is None or access_for(request.user).masked
        self.masked = masked

    @cached_property
    def filters(self) -> dict[str, django_filters.Filter]:
        """The filter set's own filters: each copied alone (``_own_copy``) instead of
        ``copy.deepcopy`` of them all (the matches list's 13: 2.4 M instructions on every
        request, a twelfth of it; bench/README.md, API), and only when asked for, which a
        request naming no filter never does (its 13 copies: ~3 % of a matches page)."""
        return {name: self._own(f) for name, f in self.base_filters.items()}

    def _own(self, declared: django_filters.Filter) -> django_filters.Filter:
        f = _own_copy(declared)
        f.model = self.queryset.model
        f.parent = self
        if isinstance(f, Ordering):
            f.restrict(self._meta.model, self.masked)
        return f

    def _filter(self, name: str) -> django_filters.Filter:
        """The filter set's filter of that name: copied alone unless all are already."""
        if "filters" in self.__dict__:
            return self.filters[name]
        return self._own(self.base_filters[name])

    @cached_property
    def named_filters(self) -> tuple[str, ...] | None:
        """The filters whose keys the bound data holds, in declaration order (each field
        optional); None when the form must decide (unbound, a required field, or a widget
        that reads several keys: not met by any filter set here)."""
        if not self.is_bound:
            return None
        named = []
        for name, f in self.base_filters.items():  # (what is read here is as declared)
            widget = f.extra.get("widget", f.field_class.widget)
            if f.extra.get("required") or _reads_several_keys(widget):
                return None
            key = f"{self.form_prefix}-{name}" if self.form_prefix else name
            if key in self.data:
                named.append(name)
        return tuple(named)

    @property
    def filters_nothing(self) -> bool:
        """Bound to data that holds none of the filters' keys (each field optional)."""
        return self.named_filters == ()

    @property
    def _checking_form(self) -> forms.Form:
        """The form that validates the data and gives the filters' values: the form of the
        named filters alone (``named_form_class``) unless the whole form is built already
        (a page that renders it, and may have changed its fields) or the form must decide.
        The fields left out would clean to their empty values, which filter nothing, and
        raise no error (tests/buddy/test_filtersets_without_data.py), so the errors and the
        rows are the whole form's; django-filter's form deep-copied all the filters' fields
        for every filtered page (a fifth of a ``?status=active`` matches request)."""
        if "_form" in self.__dict__ or self.named_filters is None:
            return self.form
        if "_named_form" not in self.__dict__:
            form_class = self.named_form_class(self.named_filters)
            self._named_form = form_class(self.data, prefix=self.form_prefix)
        return self._named_form

    def is_valid(self):
        return self.filters_nothing or (self.is_bound and self._checking_form.is_valid())

    @property
    def errors(self):
        return self._checking_form.errors

    def filter_queryset(self, queryset):
        # django-filter's, over the values of the form that checked the data
        for name, value in self._checking_form.cleaned_data.items():
            queryset = self._filter(name).filter(queryset, value)
        return queryset

    def get_form_class(self):
        """django-filter's form class, made once per filter set class, masking and language:
        its fields are made from the filters' declarations alone (``Ordering.restrict``
        follows ``masked``, labels the language), and each form deep-copies them, so one
        class serves every request (django-filter made the class and its 13 fields anew for
        each filtered matches page: half of what filtering cost; bench/README.md, API)."""
        key = (type(self), self.masked, translation.get_language())
        form_class = _FORM_CLASSES.get(key)
        if form_class is None:
            form_class = _FORM_CLASSES.setdefault(key, super().get_form_class())
        return form_class

    def named_form_class(self, names: tuple[str, ...]) -> type[forms.Form]:
        """``get_form_class``'s form with only the fields of ``names`` (the same field
        objects: each form deep-copies its own), kept like it (a bounded number of them)."""
        whole = self.get_form_class()
        if names == tuple(whole.base_fields):
            return whole
        key = (type(self), self.masked, translation.get_language(), names)
        form_class = _FORM_CLASSES.get(key)
        if form_class is None:
            fields = {name: whole.base_fields[name] for name in names}
            form_class = type(whole.__name__, (self._meta.form,), fields)
            if len(_FORM_CLASSES) < _MOST_FORM_CLASSES:
                _FORM_CLASSES[key] = form_class
        return form_class

    @property
    def qs(self):
        if self.filters_nothing and not hasattr(self, "_qs"):
            self._qs = self.queryset.all()  # (django-filter keeps its result there too)
        return super().qs


#: ``ScopedFilterSet.get_form_class``'s classes by (filter set class, masked, language)
_FORM_CLASSES: dict[tuple, type[forms.Form]] = {}
#: at most so many classes kept (a client may name any combination of filters)
_MOST_FORM_CLASSES = 2_000


def _own_copy(f: django_filters.Filter) -> django_filters.Filter:
    """A filter set's own copy of a declared filter: what it may change (``model``,
    ``parent``, its label, the ``extra`` its form field is made from: ``Ordering.restrict``)
    is its own; a ``method`` is looked up on its own filter set."""
    own = copy.copy(f)
    own.extra = dict(f.extra)
    if f.method is not None:
        own.method = f.method  # a FilterMethod bound to the copy, not to the declared filter
    return own


def _reads_several_keys(widget) -> bool:
    """A widget whose value is read from several keys (``name_min``, ``name_0``, …)."""
    widget_class = widget if isinstance(widget, type) else type(widget)
    return issubclass(widget_class, forms.MultiWidget)


class PersonFilterSet(ScopedFilterSet):
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
    search = SearchFilter(
        fields=["first_name", "last_name", "email", "location"],
        exact=["external_ids__external_id"],
    )
    ordering = Ordering(
        fields=["id", "joined_at", "location", "last_name", "first_name", "capacity"]
    )

    class Meta:
        model = Person
        fields = ["role", "company", "location", "external_id", "joined_after"]

    def enrolled_in_program(self, queryset, name, value):
        """People enrolled in the program of that type: a semi-join (``EXISTS``), not a join
        of the enrollments with ``DISTINCT`` (which de-duplicates whole rows: the people of a
        big program, counted and sorted)."""
        enrolled = Enrollment.objects.filter(person_id=OuterRef("pk"), program__program_type=value)
        return queryset.filter(Exists(enrolled))


class MatchFilterSet(ScopedFilterSet):
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
    search = SearchFilter(
        fields=[
            "participant__first_name",
            "participant__last_name",
            "buddy__first_name",
            "buddy__last_name",
        ],
        exact=["participant__external_ids__external_id", "buddy__external_ids__external_id"],
    )
    ordering = Ordering(
        fields=[
            "id",
            "status",
            "matched_at",
            "ended_at",
            "duration_days",
            "sessions_completed",
            "created_at",
            "updated_at",
        ]
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
        self.program, self.now = program, now or timezone.now()
        super().__init__(*args, masked=masked, **kwargs)
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


class CompanyFilterSet(ScopedFilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    search = SearchFilter(fields=["name"])
    ordering = Ordering(fields=["id", "name", "created_at"])

    class Meta:
        model = Company
        fields = ["name"]


class ExternalIdFilterSet(ScopedFilterSet):
    provider = django_filters.CharFilter()
    external_id = django_filters.CharFilter()
    person = django_filters.NumberFilter(field_name="person_id")
    search = SearchFilter(fields=["provider", "external_id"])
    ordering = Ordering(fields=["id", "provider", "external_id", "created_at"])

    class Meta:
        model = ExternalId
        fields = ["provider", "external_id", "person"]


class _ActivityFilterSet(ScopedFilterSet):
    """Activity tables are cursor-paginated: ``ordering`` offers only columns that are
    never null (the cursor's position is the first ordering column's value)."""

    source = django_filters.ChoiceFilter(choices=DataSource.choices)


class _MatchActivityFilterSet(_ActivityFilterSet):
    match = django_filters.NumberFilter(field_name="match_id")
    program = django_filters.CharFilter(field_name="match__program__program_type")


class InformalEventFilterSet(_MatchActivityFilterSet):
    locals().update(date_range("event_date"))
    event_type = django_filters.CharFilter()
    location = django_filters.CharFilter(lookup_expr="iexact")
    search = SearchFilter(fields=["event_type", "location", "description"])
    ordering = Ordering(fields=["id", "event_date", "created_at"])

    class Meta:
        model = InformalEvent
        fields = ["match", "program", "source", "event_type", "location"]


class CheckInFilterSet(_MatchActivityFilterSet):
    locals().update(date_range("checkin_date"))
    mood = ChoicesFilter(choices=Mood.choices)
    search = SearchFilter(fields=["notes"])
    ordering = Ordering(fields=["id", "checkin_date", "created_at"])

    class Meta:
        model = CheckIn
        fields = ["match", "program", "source", "mood"]


class FeedbackFilterSet(_MatchActivityFilterSet):
    locals().update(date_range("submitted_at"))
    locals().update(number_range("rating"))
    from_role = django_filters.ChoiceFilter(choices=FeedbackRole.choices)
    search = SearchFilter(fields=["feedback_text"])
    ordering = Ordering(fields=["id", "submitted_at", "created_at"])

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
    search = SearchFilter(fields=["event_title", "location", "organizer"])
    ordering = Ordering(fields=["id", "attended_at", "created_at"])

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
    search = SearchFilter(
        fields=["skill_name", "skill_category", "teacher_comment", "learner_comment"]
    )
    ordering = Ordering(fields=["id", "completed_at", "created_at"])

    class Meta:
        model = SkillSession
        fields = ["teacher", "learner", "match", "source", "skill_category"]


class MilestoneFilterSet(_ActivityFilterSet):
    locals().update(date_range("reached_at"))
    person = django_filters.NumberFilter(field_name="person_id")
    milestone_category = django_filters.ChoiceFilter(choices=MilestoneCategory.choices)
    search = SearchFilter(fields=["milestone_title"])
    ordering = Ordering(fields=["id", "reached_at", "created_at"])

    class Meta:
        model = MilestoneAchievement
        fields = ["person", "source", "milestone_category"]
