"""A filter set given data that names none of its filters (``ScopedFilterSet.filters_nothing``)
answers the queryset's rows without building its form: exactly what the form would give,
because every field is optional and every filter leaves the rows alone for its field's
empty value. These tests hold every filter set of the API and the UI lists to that."""

import importlib

import django_filters
import pytest
from django.http import QueryDict

from buddy.filtersets import ScopedFilterSet

pytestmark = pytest.mark.django_db

_MODULES = (
    "buddy.filtersets",
    "enrollments.filtersets",
    "matching.filtersets",
    "concerns.filtersets",
    "webhooks.filtersets",
)


def _filter_sets() -> list[type[ScopedFilterSet]]:
    for name in _MODULES:
        importlib.import_module(name)
    found, todo = [], [ScopedFilterSet]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub._meta.model is not None:
                found.append(sub)
    return found


FILTER_SETS = _filter_sets()


def _made(filter_set, query: str = ""):
    model = filter_set._meta.model
    return filter_set(QueryDict(query), queryset=model.objects.all(), masked=False)


def test_every_filter_set_of_the_project_is_checked():
    names = {cls.__name__ for cls in FILTER_SETS}
    assert {"MatchFilterSet", "PersonListFilterSet", "EnrollmentFilterSet"} <= names
    assert len(FILTER_SETS) >= 20


@pytest.mark.parametrize("filter_set", FILTER_SETS, ids=lambda cls: cls.__name__)
def test_each_filter_leaves_the_rows_alone_for_its_empty_value(filter_set):
    made = _made(filter_set)
    rows = made.queryset
    for name, f in made.filters.items():
        field = f.field
        assert not field.required, name
        empty = field.clean(field.widget.value_from_datadict(QueryDict(""), {}, name))
        assert str(f.filter(rows, empty).query) == str(rows.query), name


@pytest.mark.parametrize("filter_set", FILTER_SETS, ids=lambda cls: cls.__name__)
def test_data_naming_no_filter_gives_the_rows_the_form_gives(filter_set):
    made = _made(filter_set, "cursor=abc&limit=5&unknown=1")
    assert made.filters_nothing
    assert made.is_valid()
    through_form = _made(filter_set, "cursor=abc&limit=5&unknown=1")
    assert django_filters.FilterSet.is_valid(through_form)
    assert str(made.qs.query) == str(django_filters.FilterSet.qs.fget(through_form).query)
    assert not hasattr(made, "_form")  # the form was not built


def test_data_naming_a_filter_goes_through_the_form():
    from buddy.filtersets import MatchFilterSet

    made = _made(MatchFilterSet, "status=active")
    assert not made.filters_nothing
    assert "status" in str(made.qs.query)
    assert not _made(MatchFilterSet, "status=nonsense").is_valid()


def test_an_empty_value_of_a_filter_is_still_validated_by_the_form():
    from buddy.filtersets import MatchFilterSet

    made = _made(MatchFilterSet, "matched_after=")
    assert not made.filters_nothing
    assert made.is_valid()
    assert not _made(MatchFilterSet, "matched_after=yesterday").is_valid()


def test_a_viewer_s_restricted_ordering_stays_in_their_filter_set():
    from buddy.filtersets import PersonFilterSet
    from buddy.models import Person

    def choices(masked):
        made = PersonFilterSet(QueryDict(""), queryset=Person.objects.all(), masked=masked)
        return {value for value, _label in made.filters["ordering"].extra["choices"]}

    assert "last_name" not in choices(True)
    assert "last_name" in choices(False)
    declared = PersonFilterSet.base_filters["ordering"].extra["choices"]
    assert "last_name" in {value for value, _label in declared}


def test_a_method_filter_asks_its_own_filter_set():
    from buddy.filtersets import PersonListFilterSet
    from buddy.models import Person

    def where(masked):
        made = PersonListFilterSet(
            QueryDict("q=keller"), queryset=Person.objects.all(), masked=masked
        )
        assert made.is_valid()
        return str(made.qs.query).split(" WHERE ", 1)[1]

    assert "first_name" not in where(True)
    assert "first_name" in where(False)
    assert "first_name" not in where(True)


def test_a_label_set_on_a_filter_set_s_filter_stays_there():
    from buddy.filtersets import PersonListFilterSet
    from buddy.models import Person

    PersonListFilterSet(QueryDict(""), queryset=Person.objects.all())
    assert PersonListFilterSet.base_filters["company"]._label is None


def _whole_form(filter_set, query: str):
    """The filter set as django-filter checks it: the whole form of every filter."""
    made = _made(filter_set, query)
    made.form  # noqa: B018 - built first, so that it is the form that checks the data
    return made


def _some_data(filter_set) -> list[str]:
    """For each filter, a query naming it alone with a value its field refuses (when it
    refuses any) and with its empty value."""
    queries = []
    for name in _made(filter_set).filters:
        queries += [f"{name}=", f"{name}=%00nonsense%00", f"{name}=1&cursor=abc"]
    return queries


@pytest.mark.parametrize("filter_set", FILTER_SETS, ids=lambda cls: cls.__name__)
def test_data_naming_some_filters_is_checked_by_their_fields_alone_as_by_the_whole_form(
    filter_set,
):
    for query in _some_data(filter_set):
        named = _made(filter_set, query)
        whole = _whole_form(filter_set, query)
        assert named.is_valid() == whole.is_valid(), query
        assert named.errors == whole.errors, query
        if whole.is_valid():
            assert str(named.qs.query) == str(whole.qs.query), query
        assert not hasattr(named, "_form"), query  # the whole form was not built


def test_data_naming_a_filter_builds_only_that_filter_s_field():
    from buddy.filtersets import MatchFilterSet

    made = _made(MatchFilterSet, "status=active&cursor=abc")
    assert made.is_valid()
    assert list(made._checking_form.fields) == ["status"]
    assert not hasattr(made, "_form")


def test_errors_of_several_named_filters_are_in_the_filters_order():
    from buddy.filtersets import MatchFilterSet

    query = "matched_after=yesterday&status=nonsense"
    named, whole = _made(MatchFilterSet, query), _whole_form(MatchFilterSet, query)
    assert not named.is_valid()
    assert list(named.errors) == list(whole.errors) == ["status", "matched_after"]


def test_a_page_that_changed_its_whole_form_is_filtered_by_it():
    from buddy.filtersets import MatchFilterSet

    made = _made(MatchFilterSet, "status=active")
    made.form.fields.pop("status")  # as a UI list does with a filter it does not offer
    assert made.is_valid()
    assert " WHERE " not in str(made.qs.query)
