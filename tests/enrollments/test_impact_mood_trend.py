"""The mood trend of a match: last mood score minus first, in the range; ties on the date
are ordered by id; moods left empty and matches with a single mood do not count."""

from datetime import timedelta

from pytest import approx

from enrollments.impact import impact
from tests.factories import BuddyFactory, CheckInFactory, MatchFactory, ParticipantFactory


def test_mood_trend_orders_ties_by_id_and_skips_empty_moods(program, now):
    buddy = BuddyFactory()
    same_day = now - timedelta(days=3)
    tied = MatchFactory(program=program, participant=ParticipantFactory(), buddy=buddy)
    CheckInFactory(match=tied, checkin_date=same_day, mood="difficult")  # first (lower id)
    CheckInFactory(match=tied, checkin_date=same_day, mood="great")  # last (higher id)
    CheckInFactory(match=tied, checkin_date=now - timedelta(days=1), mood="")  # no mood
    single = MatchFactory(program=program, participant=ParticipantFactory(), buddy=buddy)
    CheckInFactory(match=single, checkin_date=same_day, mood="okay")  # one mood: no trend
    outside = MatchFactory(program=program, participant=ParticipantFactory(), buddy=buddy)
    CheckInFactory(match=outside, checkin_date=now - timedelta(days=400), mood="great")
    CheckInFactory(match=outside, checkin_date=same_day, mood="difficult")  # one in range

    figures = impact(program=program, per="volunteer", start=now - timedelta(days=30), end=now)

    assert figures[buddy.pk].outcomes.mood_trend == approx(5 - 1)
