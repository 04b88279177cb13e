"""The attention queue's refusals are said in the reader's language."""

import pytest
from django.utils import translation

from enrollments.services import SNOOZE_MAX_DAYS, SNOOZE_TOO_FAR
from enrollments.views import gettext


def test_the_too_far_message_names_the_limit_it_enforces():
    assert str(SNOOZE_MAX_DAYS) in SNOOZE_TOO_FAR


@pytest.mark.parametrize(
    "message", ["must be a date after today", SNOOZE_TOO_FAR, "this item has no reminder"]
)
def test_every_refusal_of_the_queue_has_a_german_translation(message):
    with translation.override("de"):
        assert gettext(message) != message
