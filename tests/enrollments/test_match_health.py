"""Match health: score, parts, reasons in words, bands, program settings, history, attention."""

from datetime import timedelta

import pytest

from enrollments.attention import attention_queue
from enrollments.health import week_of
from enrollments.models import MatchHealth, MatchHealthWeek
from enrollments.selectors import health_band_shares, health_over_time
from enrollments.services import enrollments_recompute_program
from tests.factories import (
    CheckInFactory,
    EnrollmentFactory,
    FeedbackFactory,
    MatchFactory,
    MilestoneAchievementFactory,
)

pytestmark = pytest.mark.django_db


def active_match(program, now, days=60):
    match = MatchFactory(program=program, matched_at=now - timedelta(days=days))
    for person in (match.participant, match.buddy):
        EnrollmentFactory(person=person, program=program, enrolled_at=now - timedelta(days=90))
    return match


def thriving(match, now):
    for week in range(8):
        CheckInFactory(match=match, checkin_date=now - timedelta(days=1 + 7 * week), mood="great")
    for role in ("participant", "buddy"):
        FeedbackFactory(match=match, from_role=role, submitted_at=now - timedelta(days=5),
                        rating=0.9, communication=0.9, helpfulness=0.9, engagement=0.9)  # fmt: skip
    for day in (10, 20, 30):
        MilestoneAchievementFactory(person=match.participant, reached_at=now - timedelta(days=day))


def test_a_match_going_well_is_healthy(program, now):
    match = active_match(program, now)
    thriving(match, now)
    enrollments_recompute_program(program=program, now=now)
    health = MatchHealth.objects.get(match=match)
    assert health.band == "healthy" and health.score >= 90


def test_a_silent_match_is_at_risk_with_the_contact_reason_in_words(program, now):
    match = active_match(program, now, days=24)
    enrollments_recompute_program(program=program, now=now)
    health = MatchHealth.objects.get(match=match)
    assert health.band == "at_risk"
    assert health.band_reason == {"code": "no_contact", "days": 24}
    assert health.band_reason_text == "no contact for 24 days"
    assert health.parts["contact_recency"] < 0.3  # 24 of the 30 days that count


def test_a_falling_mood_is_named_with_its_levels(program, now):
    match = active_match(program, now)
    for day, mood in ((12, "good"), (11, "good"), (10, "good"), (3, "struggling"),
                      (2, "struggling"), (1, "struggling")):  # fmt: skip
        CheckInFactory(match=match, checkin_date=now - timedelta(days=day), mood=mood)
    enrollments_recompute_program(program=program, now=now)
    health = MatchHealth.objects.get(match=match)
    fell = {"code": "mood_fell", "before": "good", "after": "struggling", "n": 3}
    assert fell in health.reasons
    assert "mood fell from good to struggling over the last 3 check-ins" in health.reason_texts


def test_a_low_category_rating_is_named_with_the_side(program, now):
    match = active_match(program, now)
    thriving(match, now)
    FeedbackFactory(match=match, from_role="buddy", submitted_at=now - timedelta(days=1),
                    rating=0.8, communication=0.3)  # fmt: skip
    enrollments_recompute_program(program=program, now=now)
    assert "buddy rated communication 0.3" in MatchHealth.objects.get(match=match).reason_texts


def test_weights_and_bands_are_program_settings(program, now):
    match = active_match(program, now, days=24)
    enrollments_recompute_program(program=program, now=now)
    assert MatchHealth.objects.get(match=match).band == "at_risk"
    program.health_settings = {"BANDS": {"healthy": 10, "watch": 5}}
    program.save()
    enrollments_recompute_program(program=program, now=now)
    assert MatchHealth.objects.get(match=match).band == "healthy"


def test_entering_at_risk_becomes_an_attention_item_with_its_reason(program, now):
    match = active_match(program, now, days=24)
    enrollments_recompute_program(program=program, now=now)
    items = [i for i in attention_queue(program=program, now=now) if i.kind == "match.at_risk"]
    assert [(i.subject_id, i.reason) for i in items] == [
        (match.pk, "At risk: no contact for 24 days.")
    ]


def test_the_band_reason_is_kept_while_the_band_holds(program, now):
    match = active_match(program, now, days=24)
    enrollments_recompute_program(program=program, now=now)
    later = now + timedelta(days=3)
    enrollments_recompute_program(program=program, now=later)
    health = MatchHealth.objects.get(match=match)
    assert (health.band_reason_text, health.band_since) == ("no contact for 24 days", now)


def test_history_keeps_one_row_per_week_and_feeds_the_program_figures(program, now):
    match = active_match(program, now, days=24)
    enrollments_recompute_program(program=program, now=now)
    enrollments_recompute_program(program=program, now=now + timedelta(days=7))
    weeks = list(MatchHealthWeek.objects.filter(match=match).values_list("week", flat=True))
    assert weeks == [week_of(now), week_of(now + timedelta(days=7))]
    assert health_band_shares(program=program)["at_risk_share"] == 1.0
    trend = health_over_time(program=program, now=now + timedelta(days=7))
    assert [row["matches"] for row in trend] == [1, 1]


def test_an_ended_match_loses_its_current_health(program, now):
    match = active_match(program, now, days=24)
    enrollments_recompute_program(program=program, now=now)
    match.status, match.ended_at, match.end_reason = "ended", now, "completed"
    match.save()
    enrollments_recompute_program(program=program, now=now)
    assert not MatchHealth.objects.filter(match=match).exists()
    assert MatchHealthWeek.objects.filter(match=match).exists()  # the history stays


def test_a_match_active_again_within_the_week_rewrites_its_week_row(program, now):
    match = active_match(program, now, days=24)
    enrollments_recompute_program(program=program, now=now)
    match.status = "inactive"
    match.save()
    enrollments_recompute_program(program=program, now=now)  # its current row removed
    match.status = "active"
    match.save()
    thriving(match, now)
    enrollments_recompute_program(program=program, now=now)
    health = MatchHealth.objects.get(match=match)
    week = MatchHealthWeek.objects.get(match=match, week=week_of(now))
    assert health.band == "healthy"
    assert (week.score, week.band) == (health.score, health.band)


def test_feedback_analysis_flags_a_negative_spike_and_disagreeing_sides(program, now):
    from enrollments.selectors import feedback_analysis

    match = active_match(program, now)
    FeedbackFactory(match=match, from_role="participant", rating=0.9, submitted_at=now)
    FeedbackFactory(match=match, from_role="buddy", rating=0.2, submitted_at=now)
    result = feedback_analysis(program=program)
    assert result["feedback"] == 2 and result["negative"] == 1
    assert result["negative_spike"] is True  # 50 % > 30 %
    assert result["disagreements"] == [
        {"match_id": match.pk, "participant_rating": 0.9, "buddy_rating": 0.2}
    ]


def test_the_feedback_analysis_api_filters_by_company_and_period(client, program, now):
    from tests.factories import coordinator_of

    match = active_match(program, now)
    FeedbackFactory(match=match, from_role="participant", rating=0.1, submitted_at=now)
    FeedbackFactory(match=match, from_role="buddy", rating=0.9,
                    submitted_at=now - timedelta(days=40))  # fmt: skip
    client.force_login(coordinator_of(program))
    url = "/api/feedback-analysis/"
    company = match.buddy.company_id
    body = client.get(url, {"company": company, "since": (now - timedelta(days=7)).date()}).json()
    assert (body["feedback"], body["negative"], body["negative_spike"]) == (1, 1, True)
    assert client.get(url, {"company": company + 999}).json()["feedback"] == 0


def test_the_feedback_analysis_api_refuses_a_bad_date_with_its_field(client, program):
    from tests.factories import coordinator_of

    client.force_login(coordinator_of(program))
    response = client.get("/api/feedback-analysis/", {"since": "yesterday"})
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["since"]


def test_reasons_are_stored_as_codes_and_rendered_in_the_readers_language(program, now):
    from django.utils import translation

    match = active_match(program, now, days=24)
    enrollments_recompute_program(program=program, now=now)
    health = MatchHealth.objects.get(match=match)
    assert all(isinstance(r, dict) and "code" in r for r in health.reasons)
    with translation.override("de"):
        assert health.band_reason_text == "seit 24 Tagen kein Kontakt"


def test_every_reason_code_has_a_text_and_prose_stays_as_it_is():
    from enrollments.health_reasons import reason_text

    assert reason_text({"code": "rating_changed", "role": "buddy", "change": 0.2}) == (
        "buddy rating changed by +0.2"
    )
    assert reason_text({"code": "contacts_recent", "n": 1, "window": 28}) == (
        "1 contact in the last 28 days"
    )
    assert reason_text("no contact for 3 days") == "no contact for 3 days"  # kept before codes
    assert reason_text({"code": "unknown_code"}) == "unknown_code"


def test_the_migration_turns_every_prose_reason_into_its_code():
    import importlib

    migration = importlib.import_module("enrollments.migrations.0011_health_reason_codes")
    assert migration.as_code("no contact for 24 days") == {"code": "no_contact", "days": 24}
    assert migration.as_code("buddy rated communication 0.3") == {
        "code": "category_rated", "role": "buddy", "category": "communication", "value": 0.3,
    }  # fmt: skip
    assert migration.as_code("participant rating changed by +0.2") == {
        "code": "rating_changed", "role": "participant", "change": 0.2,
    }  # fmt: skip
    assert migration.as_code("3 milestones reached since the match started") == {
        "code": "milestones", "n": 3,
    }  # fmt: skip
    assert migration.as_code("something else") == "something else"


def test_the_health_api_gives_each_reason_as_code_parameters_and_text(
    client, coordinator, program, now
):
    match = active_match(program, now, days=24)
    enrollments_recompute_program(program=program, now=now)
    client.force_login(coordinator)
    body = client.get("/api/health/?program=buddy", HTTP_ACCEPT_LANGUAGE="de").json()
    (row,) = body["at_risk"]
    assert row["match_id"] == match.pk
    assert row["band_reason"] == {
        "code": "no_contact", "days": 24, "text": "seit 24 Tagen kein Kontakt",
    }  # fmt: skip
    assert all({"code", "text"} <= set(reason) for reason in row["reasons"])


def test_the_health_as_of_an_instant_ignores_later_activity(program, now):
    from enrollments.health import health_as_of

    match = active_match(program, now, days=60)
    cut = now - timedelta(days=30)
    CheckInFactory(match=match, checkin_date=cut - timedelta(days=25), mood="difficult")
    before = health_as_of(match, at=cut)
    for day in (1, 8, 15, 22, 29):  # after the cut: contact, great moods, good feedback
        CheckInFactory(match=match, checkin_date=now - timedelta(days=day), mood="great")
    FeedbackFactory(match=match, from_role="buddy", submitted_at=now - timedelta(days=5),
                    rating=0.9, communication=0.9)  # fmt: skip
    MilestoneAchievementFactory(person=match.participant, reached_at=now - timedelta(days=2))
    after = health_as_of(match, at=cut)
    assert (after.score, after.parts, after.reasons) == (before.score, before.parts, before.reasons)
    assert after.parts["contact_recency"] < 1 and after.parts["mood_level"] < 0.5
    assert health_as_of(match, at=now).score > after.score


def test_the_at_risk_items_own_reason_is_english_whatever_the_language(program, now):
    from django.utils import translation

    active_match(program, now, days=24)
    with translation.override("de"):
        enrollments_recompute_program(program=program, now=now)
        items = [i for i in attention_queue(program=program, now=now) if i.kind == "match.at_risk"]
    assert [i.reason for i in items] == ["At risk: no contact for 24 days."]


def test_the_at_risk_item_reads_in_german_on_the_pages(program, now):
    from django.utils import translation

    from enrollments.views import item_words

    active_match(program, now, days=24)
    enrollments_recompute_program(program=program, now=now)
    (item,) = [i for i in attention_queue(program=program, now=now) if i.kind == "match.at_risk"]
    with translation.override("de"):
        assert item_words(item)[1] == "Gefährdet: seit 24 Tagen kein Kontakt."
