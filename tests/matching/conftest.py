"""People enrolled in the buddy program, for the matching tests."""

import pytest

from tests.factories import BuddyFactory, EnrollmentFactory, ParticipantFactory


@pytest.fixture
def participant_in(program):
    def make(**fields):
        person = ParticipantFactory(**fields)
        EnrollmentFactory(person=person, program=program)
        return person

    return make


@pytest.fixture
def buddy_in(program):
    def make(**fields):
        person = BuddyFactory(**fields)
        EnrollmentFactory(person=person, program=program)
        return person

    return make
