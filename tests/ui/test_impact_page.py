"""The impact page: figures per program, company or volunteer for a date range, charts with
their text alternatives, SDG goals, a CSV download whose formula-like cells are neutralised;
company users see their own company's figures only (and land there), viewers aggregates."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    BuddyFactory,
    CompanyFactory,
    EnrollmentFactory,
    EventAttendanceFactory,
    InformalEventFactory,
    MatchFactory,
    ParticipantFactory,
    UserFactory,
    company_user_of,
)

pytestmark = pytest.mark.django_db

URL = "/impact/"


@pytest.fixture
def two_companies(program):
    """Two companies' buddies with an hour-long informal event each (Acme 30 days ago, Globex
    5 days ago), and an Acme formal event with SDG goals 4 and 8."""
    now = timezone.now()
    companies = {}
    for name, days in (("Acme", 30), ("Globex", 5)):
        company = CompanyFactory(name=name)
        buddy, participant = BuddyFactory(company=company), ParticipantFactory()
        for person in (buddy, participant):
            EnrollmentFactory(person=person, program=program)
        match = MatchFactory(program=program, participant=participant, buddy=buddy)
        InformalEventFactory(
            match=match, event_date=now - timedelta(days=days), duration_minutes=60
        )
        companies[name] = (company, buddy)
    acme_buddy = companies["Acme"][1]
    EventAttendanceFactory(
        person=acme_buddy, attended_at=now - timedelta(days=30), sdg_goals=[4, 8],
        duration_minutes=0,
    )  # fmt: skip
    return companies


def rows(response):
    return {r["label"]: r for r in response.context["rows"]}


def test_a_coordinator_sees_the_programs_figures_with_charts_and_their_numbers(
    logged_in, program, two_companies
):
    response = logged_in.get(URL)
    assert response.status_code == 200
    (row,) = response.context["rows"]
    assert row["label"] == program.name and row["impact"].hours.hours == pytest.approx(2.0)
    html = response.content.decode()
    assert 'data-chart="hours"' in html and 'role="img"' in html and "aria-label=" in html
    assert "<details><summary>The numbers</summary>" in html and 'id="chart-data"' in html
    assert "SDG 4" in html and "SDG 8" in html


def test_figures_per_company_name_the_companies(logged_in, program, two_companies):
    by = rows(logged_in.get(URL + "?per=company"))
    assert set(by) == {"Acme", "Globex"}
    assert by["Acme"]["sdg_goals"] == [4, 8] and by["Globex"]["sdg_goals"] == []


def test_figures_per_volunteer_go_by_id_not_name(logged_in, program, two_companies):
    buddy = two_companies["Acme"][1]
    response = logged_in.get(URL + "?per=volunteer")
    assert f"Volunteer #{buddy.pk}" in rows(response)
    assert buddy.last_name not in response.content.decode()


def test_the_date_range_includes_the_to_day(logged_in, program, two_companies):
    today = timezone.localdate()
    since = (today - timedelta(days=10)).isoformat()
    by = rows(logged_in.get(f"{URL}?per=company&start={since}&end={today.isoformat()}"))
    assert set(by) == {"Globex"}


def test_a_range_ending_before_it_starts_is_400_next_to_the_field(logged_in, program):
    response = logged_in.get(f"{URL}?start=2026-02-01&end=2026-01-01")
    assert response.status_code == 400
    assert "must be on or after the start" in response.content.decode()


def test_a_bad_date_is_400_and_keeps_what_was_typed(logged_in, program):
    response = logged_in.get(f"{URL}?start=2026-13-45")
    assert response.status_code == 400
    assert 'value="2026-13-45"' in response.content.decode()


def test_the_csv_neutralises_cells_a_spreadsheet_would_run(logged_in, program, two_companies):
    company, _buddy = two_companies["Acme"]
    company.name = '=HYPERLINK("http://evil")'
    company.save()
    response = logged_in.get(URL + "?per=company&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    names = {row["name"] for row in table}
    assert '\'=HYPERLINK("http://evil")' in names and "Globex" in names
    assert {"hours.hours", "sroi.ratio", "quality.mean_rating", "sdg_goals"} <= set(table[0])


def test_a_company_user_sees_their_company_only(client, program, two_companies):
    company, _buddy = two_companies["Acme"]
    client.force_login(company_user_of(company, username="acme-user"))
    response = client.get(URL)
    assert set(rows(response)) == {"Acme"}
    assert "Globex" not in response.content.decode()
    assert response.context["form"].fields["per"].choices == [("company", "Company")]


def test_a_company_user_may_not_ask_per_volunteer_or_program(client, program, two_companies):
    client.force_login(company_user_of(two_companies["Acme"][0], username="acme-user"))
    assert client.get(URL + "?per=volunteer").status_code == 400  # not a choice for them
    csv_rows = client.get(URL + "?format=csv").content.decode()
    assert "Acme" in csv_rows and "Globex" not in csv_rows


def test_a_company_user_lands_on_the_impact_page_and_sees_only_its_link(
    client, program, two_companies
):
    client.force_login(company_user_of(two_companies["Acme"][0], username="acme-user"))
    assert client.get("/")["Location"] == reverse("enrollments:impact")
    html = client.get(URL).content.decode()
    assert ">Impact</a>" in html and ">People</a>" not in html and ">Imports</a>" not in html


def test_a_viewer_reads_the_aggregates(client, viewer, program, two_companies):
    client.force_login(viewer)
    response = client.get(URL + "?per=company")
    assert response.status_code == 200 and set(rows(response)) == {"Acme", "Globex"}


def test_a_program_out_of_scope_is_not_a_choice(logged_in, program):
    assert logged_in.get(URL + "?program=mentorship").status_code == 400


def test_logins_without_a_role_get_403_and_anonymous_the_login(client, program):
    assert client.get(URL)["Location"].startswith(reverse("login"))
    client.force_login(UserFactory(username="nobody"))
    assert client.get(URL).status_code == 403


def test_the_page_costs_the_same_queries_whatever_the_data_size(
    logged_in, program, two_companies, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    logged_in.get(URL + "?per=company")
    with CaptureQueriesContext(connection) as small:
        logged_in.get(URL + "?per=company")
    for _ in range(5):
        buddy = BuddyFactory(company=CompanyFactory())
        EnrollmentFactory(person=buddy, program=program)
        InformalEventFactory(match=MatchFactory(program=program, buddy=buddy))
    with CaptureQueriesContext(connection) as large:
        logged_in.get(URL + "?per=company")
    assert len(large) == len(small)


@pytest.fixture
def health_of_two_companies(program, two_companies):
    """Acme's match at risk this week after a healthy one; Globex's match healthy."""
    from tests.enrollments.health_rows import scored_match

    scored_match(program, band="at_risk", company=two_companies["Acme"][0], history=("healthy",))
    scored_match(program, band="healthy", company=two_companies["Globex"][0])
    return two_companies


def test_the_impact_page_shows_match_health_per_company_with_a_chart(
    logged_in, program, health_of_two_companies
):
    response = logged_in.get(URL + "?per=company")
    by = rows(response)
    assert by["Acme"]["health"] == {
        "healthy": 1, "watch": 0, "at_risk": 1, "total": 2, "at_risk_share": 0.5,
    }  # fmt: skip
    assert by["Globex"]["health"]["healthy"] == 1
    html = response.content.decode()
    canvas = html.split('data-chart="health"')[1].split(">")[0]
    assert 'role="img"' in canvas and "aria-label=" in canvas
    assert '<caption class="visually-hidden">Match health per week</caption>' in html


def test_the_range_limits_the_health_weeks(logged_in, program, health_of_two_companies):
    today = timezone.localdate().isoformat()
    response = logged_in.get(f"{URL}?per=company&start={today}&end={today}")
    (week,) = response.context["health"]["weeks"]  # this week only: Acme's last week left out
    assert (week["counts"].healthy, week["counts"].at_risk) == (1, 1)


def test_the_csv_carries_the_health_columns(logged_in, program, health_of_two_companies):
    table = list(csv.DictReader(io.StringIO(logged_in.get(URL + "?per=company&format=csv")
                                            .content.decode())))  # fmt: skip
    by = {row["name"]: row for row in table}
    assert by["Acme"]["health.at_risk"] == "1" and by["Acme"]["health.at_risk_share"] == "0.5"


def test_a_company_user_sees_their_companys_match_health_only(
    client, program, health_of_two_companies
):
    client.force_login(company_user_of(health_of_two_companies["Acme"][0], username="acme-user"))
    response = client.get(URL)
    assert response.context["health"]["current"].total == 1
    assert [r["counts"].total for r in response.context["health"]["weeks"]] == [1, 1]
    assert set(rows(response)) == {"Acme"}


def test_the_health_section_is_in_german(logged_in, program, health_of_two_companies):
    html = logged_in.get(URL, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Gesundheit der Matches pro Woche" in html and "Gefährdet (Anteil)" in html


def test_the_page_costs_the_same_queries_whatever_the_number_of_scored_matches(
    logged_in, program, health_of_two_companies
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.enrollments.health_rows import scored_match

    logged_in.get(URL + "?per=company")
    with CaptureQueriesContext(connection) as small:
        logged_in.get(URL + "?per=company")
    for band in ("watch", "at_risk", "healthy"):
        scored_match(program, band=band, company=CompanyFactory(), history=("watch",))
    with CaptureQueriesContext(connection) as large:
        logged_in.get(URL + "?per=company")
    assert len(large) == len(small)
