"""Impact figures against a small program computed by hand (see the comments), with either
implementation of the grouped queries and medians (ORM, PostgreSQL)."""

from collections import Counter
from datetime import timedelta

import pytest
from pytest import approx

from buddy.models import MatchStatus
from enrollments.impact import figures_sql, impact, impact_by_company, program_figures
from tests.factories import (
    BuddyFactory,
    CheckInFactory,
    CompanyFactory,
    EnrollmentFactory,
    EventAttendanceFactory,
    FeedbackFactory,
    InformalEventFactory,
    MatchFactory,
    MilestoneAchievementFactory,
    ParticipantFactory,
    SkillSessionFactory,
)
from tests.seams import implementations

figures_implementation = implementations(figures_sql)
pytestmark = pytest.mark.usefixtures("figures_implementation")

CHECKIN_DAYS = {"m1": [(50, "okay"), (40, "good"), (10, "great")],
                "m3": [(30, "good"), (5, "struggling")], "m2": [(190, "great")]}  # fmt: skip


@pytest.fixture
def small(program, now):
    ago = lambda d: now - timedelta(days=d)  # noqa: E731
    acme, globex = CompanyFactory(name="Acme"), CompanyFactory(name="Globex")
    a, b = BuddyFactory(company=acme), BuddyFactory(company=globex)
    p1, p2, p3, p4, p5 = (ParticipantFactory() for _ in range(5))
    for person, status, days in [
        (p1, "active", 110), (p2, "completed", 230), (p3, "active", 64), (p4, "active", 20),
        (p5, "dropped", 310), (a, "active", 400), (b, "active", 400),
    ]:  # fmt: skip
        EnrollmentFactory(person=person, program=program, status=status, enrolled_at=ago(days))
    m1 = MatchFactory(participant=p1, buddy=a, matched_at=ago(100))
    m2 = MatchFactory(
        participant=p2, buddy=a, matched_at=ago(200), status=MatchStatus.ENDED,
        ended_at=ago(150), end_reason="completed", duration_days=50,
    )  # fmt: skip
    m3 = MatchFactory(participant=p3, buddy=b, matched_at=ago(60))
    MatchFactory(
        participant=p5, buddy=b, matched_at=ago(300), status=MatchStatus.ENDED,
        ended_at=ago(280), end_reason="participant_request", duration_days=20,
    )  # fmt: skip
    # Hours. A: informal 90 min (1.5 h × 0.9) + informal without duration (60 min default
    # × 0.9) + session taught 60 min (1.0) + formal 120 min organised by Acme (× 1.2).
    InformalEventFactory(match=m1, event_date=ago(30), duration_minutes=90)
    InformalEventFactory(match=m2, event_date=ago(180), duration_minutes=None)
    SkillSessionFactory(match=m1, teacher=a, learner=p1, completed_at=ago(20),
                        duration_minutes=60, skill_category="professional",
                        learner_rating=1.0, sdg_goals=[4, 8])  # fmt: skip
    EventAttendanceFactory(person=a, attended_at=ago(15), duration_minutes=120,
                           organizer=" acme ", sdg_goals=[4, 11])  # fmt: skip
    EventAttendanceFactory(person=a, attended_at=ago(800), duration_minutes=600, sdg_goals=[2])
    # B: informal 30 min (× 0.9) + session learned 120 min + session taught 30 min (× 1.0)
    # + formal 60 min organised by another company (× 1.0).
    InformalEventFactory(match=m3, event_date=ago(25), duration_minutes=30)
    SkillSessionFactory(match=m3, teacher=p3, learner=b, completed_at=ago(12),
                        duration_minutes=120, skill_category="language",
                        learner_rating=0.4, sdg_goals=[4])  # fmt: skip
    SkillSessionFactory(match=m3, teacher=b, learner=p3, completed_at=ago(11),
                        duration_minutes=30, skill_category="language",
                        learner_rating=0.6, sdg_goals=[4])  # fmt: skip
    EventAttendanceFactory(person=b, attended_at=ago(14), duration_minutes=60,
                           organizer="Acme", sdg_goals=[17])  # fmt: skip
    EventAttendanceFactory(person=p1, attended_at=ago(14), duration_minutes=60, sdg_goals=[1])
    # Quality: participants' feedback only.
    FeedbackFactory(match=m1, from_role="participant", rating=0.8, communication=0.9,
                    helpfulness=None, engagement=0.7, submitted_at=ago(35))  # fmt: skip
    FeedbackFactory(match=m2, from_role="participant", rating=0.6, communication=0.5,
                    helpfulness=0.6, engagement=None, submitted_at=ago(170))  # fmt: skip
    FeedbackFactory(match=m1, from_role="buddy", rating=0.1, communication=0.1,
                    submitted_at=ago(34))  # fmt: skip
    FeedbackFactory(match=m3, from_role="participant", rating=0.3, communication=0.2,
                    submitted_at=ago(20))  # fmt: skip
    # Outcomes: A's participants reached 3 milestones (2 integration), B's 1 (0).
    for person, category, days in [(p1, "community", 30), (p1, "onboarding", 20),
                                   (p2, "cultural", 150), (p3, "language", 10)]:  # fmt: skip
        MilestoneAchievementFactory(
            person=person, milestone_category=category, reached_at=ago(days)
        )
    matches = {"m1": m1, "m2": m2, "m3": m3}
    for name, rows in CHECKIN_DAYS.items():
        for days, mood in rows:
            CheckInFactory(match=matches[name], checkin_date=ago(days), mood=mood)
    return {"a": a, "b": b, "acme": acme, "globex": globex, "start": ago(365), "end": now}


def test_volunteer_hours_are_weighted_by_kind(program, small):
    figures = impact(program=program, per="volunteer", start=small["start"], end=small["end"])
    a, b = figures[small["a"].pk].hours, figures[small["b"].pk].hours
    assert (a.informal_event, a.skill_session, a.formal_event) == approx((2.5, 1.0, 2.0))
    assert (a.hours, a.weighted_hours) == approx((5.5, 1.35 + 0.9 + 1.0 + 2.4))
    assert (b.informal_event, b.skill_session, b.formal_event) == approx((0.5, 2.5, 1.0))
    assert (b.hours, b.weighted_hours) == approx((4.0, 0.45 + 2.0 + 0.5 + 1.0))


def test_quality_is_participant_feedback_and_learner_ratings(program, small):
    figures = impact(program=program, per="volunteer", start=small["start"], end=small["end"])
    a, b = figures[small["a"].pk].quality, figures[small["b"].pk].quality
    assert a.feedback_count == 2
    assert (a.mean_rating, a.communication, a.helpfulness, a.engagement) == approx(
        (0.7, 0.7, 0.6, 0.7)
    )
    assert a.learner_rating == approx(1.0)
    assert (b.feedback_count, b.mean_rating, b.learner_rating) == (1, approx(0.3), approx(0.6))


def test_outcomes_are_milestones_and_mood_trend(program, small):
    figures = impact(program=program, per="volunteer", start=small["start"], end=small["end"])
    a, b = figures[small["a"].pk].outcomes, figures[small["b"].pk].outcomes
    assert (a.milestones, a.integration_milestones, a.mood_trend) == (3, 2, approx(2.0))
    assert (b.milestones, b.integration_milestones, b.mood_trend) == (1, 0, approx(-2.0))


def test_sroi_investment_value_and_ratio(program, small):
    figures = impact(program=program, per="volunteer", start=small["start"], end=small["end"])
    a, b = figures[small["a"].pk].sroi, figures[small["b"].pk].sroi
    assert a.investment == approx(5.5 * 29.95)
    assert (a.integration_points, a.language_points, a.job_readiness_points) == approx(
        (0.2, 0.0, 0.1)
    )
    assert a.social_value == approx(0.3 * 5000)
    assert a.ratio == approx(1500 / 164.725)
    assert b.investment == approx(4.0 * 29.95)
    assert (b.language_points, b.social_value) == approx((0.02, 100.0))


def test_per_company_adds_up_its_volunteers(program, small):
    rows = impact_by_company(program=program, start=small["start"], end=small["end"])
    by_name = {company.name: figures for company, figures in rows}
    assert set(by_name) == {"Acme", "Globex"}
    assert by_name["Acme"].hours.weighted_hours == approx(5.65)
    assert by_name["Globex"].sroi.social_value == approx(100.0)


def test_per_program_totals(program, small):
    [figures] = impact(
        program=program, per="program", start=small["start"], end=small["end"]
    ).values()
    assert (figures.hours.hours, figures.hours.weighted_hours) == approx((9.5, 9.6))
    assert figures.quality.feedback_count == 3
    assert figures.quality.mean_rating == approx((0.8 + 0.6 + 0.3) / 3)
    assert figures.quality.learner_rating == approx(0.8)
    assert (figures.outcomes.milestones, figures.outcomes.integration_milestones) == (4, 2)
    assert figures.outcomes.mood_trend == approx(0.0)
    assert figures.sroi.social_value == approx(0.32 * 5000)
    assert figures.sroi.ratio == approx(1600 / (9.5 * 29.95))


def test_the_date_range_limits_every_figure(program, small, now):
    figures = impact(program=program, per="volunteer", start=now - timedelta(days=16), end=now)
    a = figures[small["a"].pk]
    assert (a.hours.hours, a.hours.weighted_hours) == approx((2.0, 2.4))  # the organised event
    assert a.quality.feedback_count == 0
    assert a.outcomes.mood_trend is None


def test_program_figures(program, small, now):
    figures = program_figures(program=program, start=small["start"], end=small["end"])
    assert (figures.enrolled, figures.active, figures.completed, figures.dropped) == (7, 5, 1, 1)
    assert figures.completion_rate == approx(1 / 7)
    assert figures.match_rate == approx(2 / 3)  # p1 and p3 of the active p1, p3, p4
    assert figures.median_days_to_match == approx(10.0)  # 4, 10, 10, 30
    assert figures.median_match_duration_days == approx(35.0)  # 20, 50
    assert figures.sdg_goals == [1, 4, 8, 11, 17]
    expected = Counter()
    for rows in CHECKIN_DAYS.values():
        for days, mood in rows:
            expected[((now - timedelta(days=days)).date().replace(day=1), mood)] += 1
    assert {(r["month"], r["mood"]): r["count"] for r in figures.mood_distribution} == expected


def test_figures_take_a_fixed_number_of_queries(program, small, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        impact_by_company(program=program, start=small["start"], end=small["end"])
    with django_assert_max_num_queries(10):
        program_figures(program=program)
