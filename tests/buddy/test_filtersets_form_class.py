"""``ScopedFilterSet.get_form_class`` makes one form class per filter set class, masking and
language, and serves it to every later filter set: each form it gives is the one
django-filter would make anew from that filter set's own filters."""

import django_filters
import pytest
from django.http import QueryDict
from django.utils import translation

from buddy.filtersets import MatchFilterSet, PersonFilterSet
from tests.buddy.test_filtersets_without_data import FILTER_SETS

pytestmark = pytest.mark.django_db


def _described(form) -> list[tuple]:
    return [
        (name, type(field), str(field.label), getattr(field, "choices", None))
        for name, field in form.fields.items()
    ]


@pytest.mark.parametrize("filter_set", FILTER_SETS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_kept_form_class_makes_the_form_django_filter_makes(filter_set, masked, language):
    model = filter_set._meta.model
    with translation.override(language):
        first = filter_set(QueryDict("x=1"), queryset=model.objects.all(), masked=masked)
        later = filter_set(QueryDict("x=1"), queryset=model.objects.all(), masked=masked)
        assert later.get_form_class() is first.get_form_class()
        made_anew = django_filters.FilterSet.get_form_class(later)(QueryDict("x=1"))
        assert _described(later.form) == _described(made_anew)


def test_a_viewer_s_form_offers_no_personal_ordering_and_a_coordinator_s_does():
    def ordering_values(masked):
        filters = PersonFilterSet(QueryDict("ordering=id"), masked=masked)
        return {value for value, _ in filters.form.fields["ordering"].choices}

    assert "last_name" in ordering_values(False)
    assert "last_name" not in ordering_values(True)
    assert "last_name" in ordering_values(False)


def test_each_language_has_its_own_labels():
    def label(language):
        with translation.override(language):
            return str(
                MatchFilterSet(QueryDict("status=active"), masked=False).form["search"].label
            )

    assert label("en") == "Search"
    assert label("de") != "Search"
    assert label("en") == "Search"
