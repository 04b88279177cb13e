"""Coordinators edit a program's criteria in the admin: each save is a new version."""

import pytest
from django.urls import reverse

from matching.engine.criteria import REGISTRY
from matching.models import MatchingCriteria
from matching.services import criteria_current

pytestmark = pytest.mark.django_db


def form_data(program, **changes):
    data = {"program": program.pk, "score_floor": 30, "coverage_first": "on"}
    for name, criterion in REGISTRY.items():
        data[f"{name}__rule"] = criterion.default_rule
        data[f"{name}__weight"] = criterion.default_weight
    return data | changes


def test_saving_the_form_writes_the_next_version(admin_client, program):
    criteria_current(program=program)
    url = reverse("admin:matching_matchingcriteria_add")
    response = admin_client.post(url, form_data(program, language__rule="must"))
    assert response.status_code == 302
    latest = criteria_current(program=program)
    assert (latest.version, latest.score_floor, latest.coverage_first) == (2, 30, True)
    assert latest.criteria["language"]["rule"] == "must"


def test_the_form_is_prefilled_from_the_latest_version(admin_client, program):
    url = reverse("admin:matching_matchingcriteria_add") + f"?program={program.pk}"
    admin_client.post(url, form_data(program, location__weight=77))
    page = admin_client.get(url).content.decode()
    assert 'name="location__weight" value="77' in page


def test_a_rule_a_criterion_does_not_allow_is_refused(admin_client, program):
    url = reverse("admin:matching_matchingcriteria_add")
    response = admin_client.post(url, form_data(program, waiting__rule="must"))
    assert response.status_code == 200  # the form again, with the error
    assert not MatchingCriteria.objects.exists()


def test_stored_versions_are_read_only(admin_client, program):
    version = criteria_current(program=program)
    url = reverse("admin:matching_matchingcriteria_change", args=[version.pk])
    admin_client.post(url, form_data(program, score_floor=90))
    version.refresh_from_db()
    assert version.score_floor == 0
