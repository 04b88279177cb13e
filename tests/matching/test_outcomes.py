"""Learn from outcomes: the evidence of ended matches and suggested weights, never applied."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from matching.outcomes import MIN_GROUP, outcome_evidence
from matching.services import criteria_current
from tests.factories import (
    BuddyFactory,
    CheckInFactory,
    FeedbackFactory,
    MatchFactory,
    ParticipantFactory,
)

pytestmark = pytest.mark.django_db


def ended(program, *, same_city: bool, reason: str, days: int):
    participant = ParticipantFactory(location="Berlin")
    buddy = BuddyFactory(location="Berlin" if same_city else "Munich")
    match = MatchFactory(program=program, participant=participant, buddy=buddy, ended=True,
                         end_reason=reason, duration_days=days)  # fmt: skip
    match.ended_at = match.matched_at + timedelta(days=days)
    match.save()
    return match


@pytest.fixture
def history(program):
    """Same-city pairs mostly completed; other-city pairs mostly ended early."""
    for i in range(MIN_GROUP + 2):
        ended(program, same_city=True, reason="completed" if i % 6 else "inactivity", days=120)
        ended(program, same_city=False, reason="inactivity" if i % 4 else "completed", days=40)


def row(evidence, name):
    return next(c for c in evidence["criteria"] if c["criterion"] == name)


def test_a_criterion_that_predicted_good_outcomes_gets_a_higher_suggested_weight(program, history):
    evidence = outcome_evidence(program=program)
    location = row(evidence, "location")
    assert (location["met"], location["not_met"]) == (MIN_GROUP + 2, MIN_GROUP + 2)
    assert location["good_rate_met"] > location["good_rate_not_met"]
    assert location["early_rate_met"] < location["early_rate_not_met"]
    assert location["effect"] > 0.4
    assert location["suggested_weight"] > location["weight"]


def test_without_enough_matches_on_both_sides_there_is_no_suggestion(program, history):
    language = row(outcome_evidence(program=program), "language")  # every pair shares English
    assert language["not_met"] == 0
    assert (language["effect"], language["suggested_weight"]) == (None, None)


def test_low_ratings_and_struggling_check_ins_make_a_completed_match_not_good(program):
    match = ended(program, same_city=True, reason="completed", days=120)
    FeedbackFactory(match=match, rating=0.3)
    assert outcome_evidence(program=program)["good"] == 0
    match.feedback.all().delete()
    for _ in range(2):
        CheckInFactory(match=match, mood="struggling")
    assert outcome_evidence(program=program)["good"] == 0


def test_criteria_that_history_cannot_rebuild_are_named(program):
    assert outcome_evidence(program=program)["not_measurable"] == ["waiting", "free_capacity"]


def test_the_command_prints_suggestions_and_never_changes_the_settings(program, history, capsys):
    before = criteria_current(program=program)
    call_command("suggest_weights", "--program", "buddy")
    out = capsys.readouterr().out
    assert "location: good" in out and "suggested" in out and "not applied" in out
    assert criteria_current(program=program).pk == before.pk
