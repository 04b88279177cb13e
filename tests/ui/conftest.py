"""Helpers of the coordinator UI's page tests."""

import pytest

from tests.factories import (
    BuddyFactory,
    CheckInFactory,
    EnrollmentFactory,
    FeedbackFactory,
    MatchFactory,
    ParticipantFactory,
)


def enrolled_match(program, **kwargs):
    """A match whose two people are enrolled in its program (the lists show enrolled people)."""
    match = MatchFactory(program=program, **kwargs)
    for person in (match.participant, match.buddy):
        EnrollmentFactory(person=person, program=program)
    return match


def busy(program, n: int):
    """``n`` matches with a check-in and a feedback each, and ``n`` waiting participants."""
    for _ in range(n):
        match = enrolled_match(program)
        CheckInFactory(match=match, mood="struggling")
        FeedbackFactory(match=match, rating=0.3)
        EnrollmentFactory(person=ParticipantFactory(), program=program)
        EnrollmentFactory(person=BuddyFactory(), program=program)


@pytest.fixture
def logged_in(client, coordinator):
    client.force_login(coordinator)
    return client
