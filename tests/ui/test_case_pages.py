"""The case pages (issue 21): the list and its filters, a case's workflow through
``concerns.services``, raising a case from the match and person pages, restricted cases
withheld from logins without the ``safeguarding`` permission, the match page's health."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from concerns.models import Concern, ConcernMeeting
from concerns.services import concern_acknowledge, concern_open
from core.pii import MASK
from enrollments.models import MatchHealthWeek
from enrollments.services import enrollments_recompute_program
from tests.factories import UserFactory, coordinator_of, viewer_of
from tests.ui.conftest import enrolled_match

pytestmark = pytest.mark.django_db


def case(program, match, **kwargs):
    values = {"category": "communication", "severity": "low", "description": "Said in anger"}
    return concern_open(program=program, match=match, **{**values, **kwargs})


def test_the_list_shows_the_programs_cases_with_overdue_ones_first(logged_in, program):
    match = enrolled_match(program)
    later = case(program, match)
    overdue = case(program, match, severity="critical", now=timezone.now() - timedelta(days=3))
    response = logged_in.get(reverse("concerns:list"))
    assert [row["concern"].pk for row in response.context["rows"]] == [overdue.pk, later.pk]
    assert [row["overdue"] for row in response.context["rows"]] == [True, False]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=acknowledged", "acknowledged"),
        ("severity=high", "high"),
        ("category=boundaries", "boundaries"),
        ("overdue=true", "overdue"),
    ],
)
def test_the_list_filters_by_status_severity_category_and_overdue(
    logged_in, program, query, expected
):
    match = enrolled_match(program)
    cases = {
        "acknowledged": concern_acknowledge(concern=case(program, match)),
        "high": case(program, match, severity="high"),
        "boundaries": case(program, match, category="boundaries"),
        "overdue": case(program, match, now=timezone.now() - timedelta(days=30)),
    }
    rows = logged_in.get(f"{reverse('concerns:list')}?{query}").context["rows"]
    assert [row["concern"].pk for row in rows] == [cases[expected].pk]


def test_an_unknown_filter_value_answers_400_with_the_form(logged_in):
    response = logged_in.get(f"{reverse('concerns:list')}?severity=extreme")
    assert response.status_code == 400
    assert response.context["form"].errors["severity"]


def test_a_coordinator_raises_a_case_from_the_match_page(logged_in, program):
    match = enrolled_match(program)
    page = logged_in.get(reverse("buddy:match", args=[match.pk])).content.decode()
    new_url = f"{reverse('concerns:new')}?match={match.pk}"
    assert new_url.replace("&", "&amp;") in page
    response = logged_in.post(
        reverse("concerns:new"),
        {"match": match.pk, "category": "reliability", "severity": "medium",
         "source": "buddy_report", "description": "Missed three meetings"},
    )  # fmt: skip
    concern = Concern.objects.get(match=match)
    assert response.status_code == 302
    assert response.url == reverse("concerns:detail", args=[concern.pk])
    assert (concern.category, concern.source, concern.status) == (
        "reliability",
        "buddy_report",
        "open",
    )
    assert set(concern.involved.values_list("pk", flat=True)) == {
        match.participant_id,
        match.buddy_id,
    }


def test_a_coordinator_raises_a_case_about_a_person(logged_in, program):
    match = enrolled_match(program)
    page = logged_in.get(reverse("buddy:person", args=[match.participant_id])).content.decode()
    assert f"{reverse('concerns:new')}?person={match.participant_id}" in page
    logged_in.post(
        reverse("concerns:new"),
        {"person": match.participant_id, "category": "other", "severity": "low",
         "source": "coordinator"},
    )  # fmt: skip
    assert Concern.objects.get(person_id=match.participant_id).program == program


def test_raising_a_case_with_a_missing_field_answers_400_and_writes_nothing(logged_in, program):
    match = enrolled_match(program)
    response = logged_in.post(reverse("concerns:new"), {"match": match.pk, "severity": "low"})
    assert response.status_code == 400
    assert response.context["form"].errors["category"]
    assert not Concern.objects.exists()


def test_the_case_moves_through_its_workflow_on_its_page(logged_in, program):
    concern = case(program, enrolled_match(program))
    url = reverse("concerns:action", args=[concern.pk])
    assert logged_in.post(url, {"action": "acknowledge"}).status_code == 302
    assert logged_in.post(url, {
        "action": "meeting", "meeting-held_at": "2026-01-05T10:00",
        "meeting-notes": "Both spoke", "meeting-agreed_actions": "Weekly call",
    }).status_code == 302  # fmt: skip
    assert (
        logged_in.post(url, {"action": "resolve", "resolve-outcome": "continues"}).status_code
        == 302
    )
    concern.refresh_from_db()
    assert concern.status == "resolved" and concern.outcome == "continues"
    meeting = ConcernMeeting.objects.get(concern=concern)
    assert (meeting.notes, meeting.agreed_actions) == ("Both spoke", "Weekly call")
    assert list(concern.steps.values_list("action", flat=True)) == [
        "opened", "acknowledged", "meeting", "resolved",
    ]  # fmt: skip
    html = logged_in.get(reverse("concerns:detail", args=[concern.pk])).content.decode()
    assert "Weekly call" in html and "Match continues" in html


def test_resolving_with_a_match_ended_outcome_ends_the_match(logged_in, program):
    match = enrolled_match(program)
    concern = concern_acknowledge(concern=case(program, match))
    logged_in.post(
        reverse("concerns:action", args=[concern.pk]),
        {"action": "resolve", "resolve-outcome": "match_ended", "resolve-end_reason": "violation"},
    )
    match.refresh_from_db()
    concern.refresh_from_db()
    assert (match.status, match.end_reason) == ("ended", "violation")
    assert concern.violation is True


def test_a_step_the_case_cannot_take_answers_with_the_rule_and_changes_nothing(logged_in, program):
    concern = case(program, enrolled_match(program))  # open: no meeting before acknowledging
    response = logged_in.post(reverse("concerns:action", args=[concern.pk]), {
        "action": "meeting", "meeting-held_at": "2026-01-05T10:00",
    })  # fmt: skip
    assert response.status_code == 409  # the meeting form is not offered, the service refuses
    assert "acknowledged case" in response.context["error"]
    assert not ConcernMeeting.objects.exists()


def test_a_german_coordinator_reads_the_rule_in_german(logged_in, program):
    concern = case(program, enrolled_match(program))
    response = logged_in.post(
        reverse("concerns:action", args=[concern.pk]),
        {"action": "meeting", "meeting-held_at": "2026-01-05T10:00"},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert "Ein Treffen braucht einen bestätigten Fall" in response.context["error"]


def test_resolving_as_match_ended_without_a_reason_answers_400(logged_in, program):
    concern = case(program, enrolled_match(program))
    response = logged_in.post(
        reverse("concerns:action", args=[concern.pk]),
        {"action": "resolve", "resolve-outcome": "match_ended"},
    )
    assert response.status_code == 400
    concern.refresh_from_db()
    assert concern.status == "open"


def test_a_viewer_sees_the_case_masked_and_no_actions(client, program):
    concern = case(program, enrolled_match(program))
    client.force_login(viewer_of(program))
    response = client.get(reverse("concerns:detail", args=[concern.pk]))
    html = response.content.decode()
    assert "Said in anger" not in html and MASK in html
    assert response.context["actions"] == []
    url = reverse("concerns:action", args=[concern.pk])
    assert client.post(url, {"action": "acknowledge"}).status_code == 403


def test_a_restricted_case_shows_only_that_it_exists_without_the_permission(client, program):
    match = enrolled_match(program)
    concern = case(program, match, category="safeguarding", description="Sensitive detail")
    client.force_login(coordinator_of(program))
    detail = client.get(reverse("concerns:detail", args=[concern.pk]))
    html = detail.content.decode()
    assert "Sensitive detail" not in html and "restricted case" in html
    assert detail.context["actions"] == [] and list(detail.context["steps"]) == []
    listed = client.get(reverse("concerns:list"))
    assert [(r["concern"].pk, r["withheld"]) for r in listed.context["rows"]] == [
        (concern.pk, True)
    ]
    assert "Sensitive detail" not in listed.content.decode()
    page = client.get(reverse("buddy:match", args=[match.pk])).content.decode()
    assert "restricted case" in page and "Safeguarding" not in page
    url = reverse("concerns:action", args=[concern.pk])
    assert client.post(url, {"action": "acknowledge"}).status_code == 403


def test_a_coordinator_with_the_safeguarding_permission_sees_and_acts_on_it(client, program):
    concern = case(program, enrolled_match(program), category="discrimination",
                   description="Sensitive detail")  # fmt: skip
    user = coordinator_of(program)
    user.user_permissions.add(Permission.objects.get(codename="safeguarding"))
    client.force_login(user)
    html = client.get(reverse("concerns:detail", args=[concern.pk])).content.decode()
    assert "Sensitive detail" in html
    client.post(reverse("concerns:action", args=[concern.pk]), {"action": "acknowledge"})
    concern.refresh_from_db()
    assert concern.status == "acknowledged"


def test_a_superuser_sees_restricted_cases(client, program):
    concern = case(program, enrolled_match(program), category="safeguarding",
                   description="Sensitive detail")  # fmt: skip
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    html = client.get(reverse("concerns:detail", args=[concern.pk])).content.decode()
    assert "Sensitive detail" in html


def test_a_coordinator_of_another_program_gets_404(client, program):
    from buddy.models import Program, ProgramType

    concern = case(program, enrolled_match(program))
    client.force_login(coordinator_of(Program.objects.get(program_type=ProgramType.MENTORSHIP)))
    assert client.get(reverse("concerns:detail", args=[concern.pk])).status_code == 404
    new = client.get(f"{reverse('concerns:new')}?match={concern.match_id}")
    assert new.status_code == 404


def test_the_overdue_attention_item_links_to_the_case_page(program):
    from enrollments.attention import attention_queue

    concern = case(program, enrolled_match(program), severity="critical",
                   now=timezone.now() - timedelta(days=5))  # fmt: skip
    items = [i for i in attention_queue(program=program) if i.kind == "concern.overdue"]
    assert [i.action_url for i in items] == [reverse("concerns:detail", args=[concern.pk])]


def test_the_match_page_shows_the_health_band_reasons_and_weekly_history(logged_in, program):
    now = timezone.now()
    match = enrolled_match(program, matched_at=now - timedelta(days=24))
    enrollments_recompute_program(program=program, now=now - timedelta(days=7))
    enrollments_recompute_program(program=program, now=now)
    assert MatchHealthWeek.objects.filter(match=match).count() == 2
    response = logged_in.get(reverse("buddy:match", args=[match.pk]))
    html = response.content.decode()
    assert "At risk" in html and "no contact for 24 days" in html
    assert 'data-chart="health"' in html and 'id="chart-data-health"' in html
    assert html.count('<td class="num">') >= 2  # the weeks' table, the chart's text alternative


def test_a_match_without_health_says_so(logged_in, program):
    match = enrolled_match(program, ended=True)
    html = logged_in.get(reverse("buddy:match", args=[match.pk])).content.decode()
    assert "only active matches are scored" in html


def test_a_rematch_case_shows_the_participants_suggestions_without_the_previous_buddy(
    logged_in, program
):
    from concerns.services import concern_resolve
    from tests.factories import BuddyFactory, EnrollmentFactory

    match = enrolled_match(program)
    other = BuddyFactory()
    EnrollmentFactory(person=other, program=program)
    concern = concern_resolve(concern=case(program, match), outcome="rematch")
    response = logged_in.get(reverse("concerns:detail", args=[concern.pk]))
    buddies = [c["buddy_id"] for c in response.context["rematch"]["candidates"]]
    assert other.pk in buddies and match.buddy_id not in buddies
    assert reverse("buddy:person", args=[other.pk]) in response.content.decode()
