"""The home page: the program overview for coordinators, a login for everyone else."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import EnrollmentFactory, MatchFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get(reverse("enrollments:dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse(settings.LOGIN_URL))


def test_a_coordinator_sees_their_programs_with_their_counts(client, coordinator, program):
    match = MatchFactory(program=program)
    EnrollmentFactory(person=match.participant, program=program)
    client.force_login(coordinator)
    response = client.get(reverse("enrollments:dashboard"))
    assert response.status_code == 200
    programs = {p.name: p for p in response.context["programs"]}
    assert set(programs) == {program.name}  # the programs granted, no other
    assert (programs[program.name].enrolled, programs[program.name].active_matches) == (1, 1)
    html = response.content.decode()
    for name in programs:
        assert name in html


def test_the_layout_has_navigation_logout_and_only_local_assets(client, coordinator):
    client.force_login(coordinator)
    html = client.get(reverse("enrollments:dashboard")).content.decode()
    for href in ("/attention/", reverse("api-docs"), reverse("buddy:tokens")):
        assert f'href="{href}"' in html
    assert f'href="{reverse("admin:index")}"' not in html  # the admin is for staff
    assert f'action="{reverse("logout")}"' in html and 'method="post"' in html
    assert "csrfmiddlewaretoken" in html
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert f'href="{settings.STATIC_URL}' in html or 'href="/static/' in html
