"""People enrolled in the buddy program, for the matching tests."""

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.factories import BuddyFactory, EnrollmentFactory, ParticipantFactory


@pytest.fixture(autouse=True)
def _fresh_content_types():
    """A transactional test's flush and restore (``test_accept_concurrency``) can leave this
    process's content-type cache naming rows that no longer exist; the admin's log entries
    would then point at them."""
    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()


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
