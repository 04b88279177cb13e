"""People: the participant and buddy lists (search and filters of
``buddy.filtersets.PersonListFilterSet``) and a person's page, masked for viewers."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from buddy.models import EnrollmentStatus
from core.pii import MASK
from tests.factories import (
    BuddyFactory,
    CheckInFactory,
    EnrollmentFactory,
    MilestoneAchievementFactory,
    ParticipantFactory,
)
from tests.ui.conftest import busy, enrolled_match

pytestmark = pytest.mark.django_db


def listed(client, query: str) -> set[int]:
    response = client.get(f"/people/?{query}")
    assert response.status_code == 200, response.content[:300]
    return {p.pk for p in response.context["page"]}


def enrolled(program, factory=ParticipantFactory, **kwargs):
    person = factory(**kwargs)
    EnrollmentFactory(person=person, program=program)
    return person


def test_the_participant_list_holds_the_programs_participants_only(logged_in, program):
    match = enrolled_match(program)
    assert listed(logged_in, "role=participant") == {match.participant.pk}
    assert listed(logged_in, "role=buddy") == {match.buddy.pk}


def test_search_finds_by_name_email_id_and_external_id(logged_in, program):
    anna = enrolled(program, first_name="Annalena", email="anna@example.org")
    other = enrolled(program, first_name="Boris")
    assert listed(logged_in, "q=annal") == {anna.pk}
    assert listed(logged_in, "q=anna@example") == {anna.pk}
    assert listed(logged_in, f"q=%23{other.pk}") == {other.pk}
    external = other.external_ids.get().external_id
    assert listed(logged_in, f"q={external}") == {other.pk}


def test_a_viewer_cannot_search_by_name(client, viewer, program):
    anna = enrolled(program, first_name="Annalena")
    client.force_login(viewer)
    assert listed(client, "q=Annalena") == set()
    assert listed(client, f"q={anna.pk}") == {anna.pk}


def test_filters_by_language_interest_city_and_company(logged_in, program):
    de = enrolled(program, languages=["de"], interests=["chess"], location="Leipzig")
    enrolled(program, languages=["uk"], interests=["yoga"], location="Berlin")
    assert listed(logged_in, "language=de") == {de.pk}
    assert listed(logged_in, "interest=chess") == {de.pk}
    assert listed(logged_in, "city=leip") == {de.pk}
    buddy = enrolled(program, BuddyFactory)
    assert listed(logged_in, f"role=buddy&company={buddy.company_id}") == {buddy.pk}


def test_filters_by_status_and_waiting_time(logged_in, program):
    now = timezone.now()
    long_waiting = ParticipantFactory()
    EnrollmentFactory(person=long_waiting, program=program, enrolled_at=now - timedelta(days=50))
    recent = ParticipantFactory()
    EnrollmentFactory(person=recent, program=program, enrolled_at=now - timedelta(days=5))
    dropped = ParticipantFactory()
    EnrollmentFactory(person=dropped, program=program, status=EnrollmentStatus.DROPPED)
    assert listed(logged_in, "waiting_days=30") == {long_waiting.pk}
    assert listed(logged_in, "status=dropped") == {dropped.pk}


def test_filters_buddies_with_free_capacity(logged_in, program):
    full = enrolled_match(program).buddy
    free = enrolled(program, BuddyFactory, capacity=2)
    assert listed(logged_in, "role=buddy&free_capacity=true") == {free.pk}
    assert listed(logged_in, "role=buddy&free_capacity=false") == {full.pk}


def test_a_bad_filter_value_is_a_400_with_the_message_next_to_the_field(logged_in, program):
    response = logged_in.get("/people/?waiting_days=soon")
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()


def test_the_list_costs_the_same_queries_whatever_the_data_size(logged_in, program):
    busy(program, 1)
    logged_in.get("/people/")
    with CaptureQueriesContext(connection) as small:
        logged_in.get("/people/")
    busy(program, 6)
    with CaptureQueriesContext(connection) as large:
        logged_in.get("/people/")
    assert len(large) == len(small)


def test_a_person_page_shows_profile_enrollments_matches_timeline_and_milestones(
    logged_in, program
):
    match = enrolled_match(program)
    person = match.participant
    CheckInFactory(match=match, mood="great")
    MilestoneAchievementFactory(person=person, milestone_title="First coffee")
    response = logged_in.get(reverse("buddy:person", args=[person.pk]))
    html = response.content.decode()
    assert person.email in html and program.name in html
    assert f'href="{reverse("buddy:match", args=[match.pk])}"' in html
    assert "Check-in" in html and "First coffee" in html
    assert response.context["suggestions"] == []  # matched: no top 5 (the matching app's hook)


def test_a_viewer_sees_a_person_with_personal_data_masked(client, viewer, program):
    person = enrolled_match(program).participant
    # names no page text can contain by chance (a generated "Chang" is in "Change")
    person.first_name, person.last_name = "Mariam-4417", "Haddad-4417"
    person.save(update_fields=["first_name", "last_name"])
    client.force_login(viewer)
    html = client.get(reverse("buddy:person", args=[person.pk])).content.decode()
    assert person.email not in html
    assert "Mariam-4417" not in html and "Haddad-4417" not in html
    assert MASK in html


def test_a_person_out_of_scope_is_a_404(logged_in):
    from buddy.models import Program

    stranger = ParticipantFactory()
    EnrollmentFactory(person=stranger, program=Program.objects.get(program_type="mentorship"))
    assert logged_in.get(reverse("buddy:person", args=[stranger.pk])).status_code == 404


def test_a_person_page_costs_the_same_queries_whatever_their_activity(logged_in, program):
    match = enrolled_match(program)
    url = reverse("buddy:person", args=[match.participant.pk])
    logged_in.get(url)
    with CaptureQueriesContext(connection) as small:
        logged_in.get(url)
    for _ in range(4):
        CheckInFactory(match=match)
        MilestoneAchievementFactory(person=match.participant)
        other = enrolled_match(program, participant=match.participant, ended=True)
        CheckInFactory(match=other)
    with CaptureQueriesContext(connection) as large:
        logged_in.get(url)
    assert len(large) == len(small)
