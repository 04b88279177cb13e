"""Program-level match health figures (``enrollments.health_figures``): matches per band now
and week by week, per program, company (the buddy's) or volunteer, scoped to a company for
its users; a fixed number of queries whatever the number of matches."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buddy.access import access_for
from enrollments.health import week_of
from enrollments.health_figures import health_figures, health_figures_for
from tests.enrollments.health_rows import scored_match
from tests.factories import CompanyFactory, company_user_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_companies(program):
    acme, globex = CompanyFactory(name="Acme"), CompanyFactory(name="Globex")
    scored_match(program, band="healthy", company=acme, history=("healthy",))
    scored_match(program, band="at_risk", company=acme, history=("watch",))
    scored_match(program, band="watch", company=globex)
    scored_match(program, band="at_risk")  # a buddy without a company
    return acme, globex


def test_current_counts_every_scored_match_in_its_band(program, two_companies):
    current = health_figures(program=program).current
    assert (current.healthy, current.watch, current.at_risk) == (1, 1, 2)
    assert current.at_risk_share == 0.5 and current.mean_score == (85 + 60 + 30 + 30) / 4


def test_per_company_groups_by_the_buddys_company(program, two_companies):
    acme, globex = two_companies
    figures = health_figures(program=program, per="company")
    assert figures.current_per[acme.pk].as_dict()["at_risk_share"] == 0.5
    assert figures.current_per[globex.pk].watch == 1
    assert figures.current_per[None].at_risk == 1
    assert figures.names[acme.pk] == "Acme" and figures.names[None] is None


def test_weeks_count_each_weeks_bands_oldest_first(program, two_companies):
    weeks = health_figures(program=program).weeks
    this_week = week_of(timezone.now())
    assert [week for week, _ in weeks] == [this_week - timedelta(weeks=1), this_week]
    last_week = weeks[0][1]
    assert (last_week.healthy, last_week.watch, last_week.at_risk) == (1, 1, 0)


def test_a_range_counts_the_match_weeks_in_it(program, two_companies):
    acme, _globex = two_companies
    now = timezone.now()
    whole = health_figures(program=program, per="company", start=now - timedelta(days=30))
    assert whole.over_range[acme.pk].as_dict() == {
        "healthy": 2, "watch": 1, "at_risk": 1, "total": 4, "at_risk_share": 0.25,
    }  # fmt: skip
    this_week = health_figures(
        program=program, per="company", start=now, end=now + timedelta(days=1)
    )
    assert this_week.over_range[acme.pk].total == 2 and len(this_week.weeks) == 1


def test_per_volunteer_and_per_program_key_by_buddy_and_program(program, two_companies):
    match = scored_match(program, band="healthy")
    assert health_figures(program=program, per="volunteer").current_per[match.buddy_id].healthy
    assert health_figures(program=program, per="program").current_per[program.pk].total == 5


def test_a_company_user_reads_their_companys_matches_only(program, two_companies):
    acme, _globex = two_companies
    access = access_for(company_user_of(acme, username="acme-user"))
    figures = health_figures_for(access=access, program=program)
    assert set(figures.current_per) == {acme.pk} and figures.current.total == 2
    assert sum(counts.total for _, counts in figures.weeks) == 4


def test_the_figures_cost_the_same_queries_whatever_the_number_of_matches(program):
    company = CompanyFactory()
    scored_match(program, band="healthy", company=company)
    with CaptureQueriesContext(connection) as small:
        health_figures(program=program, per="company")
    for band in ("watch", "at_risk", "healthy", "at_risk"):
        scored_match(program, band=band, company=CompanyFactory(), history=("watch",))
    with CaptureQueriesContext(connection) as large:
        figures = health_figures(program=program, per="company")
    assert len(large) == len(small) == 3 and figures.current.total == 5
