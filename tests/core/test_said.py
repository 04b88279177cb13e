"""A service's refusal says the same in English to the API and in the reader's language on a
page (``core.errors.Message`` / ``said``)."""

import json
import pickle

from django.utils import translation
from django.utils.translation import gettext_noop

from core.errors import FieldError, Message, ValidationFailed, said


def test_a_message_reads_as_its_english_text_everywhere_a_string_goes():
    text = Message(gettext_noop("must be between 1 and %(most)d"), most=90)
    assert text == "must be between 1 and 90"
    assert json.dumps(ValidationFailed([FieldError("days", text)]).as_dict()["errors"]) == (
        '[{"path": "days", "message": "must be between 1 and 90"}]'
    )
    assert pickle.loads(pickle.dumps(text)).params == {"most": 90}  # noqa: S301 - our own bytes


def test_a_page_says_a_message_in_the_readers_language_with_its_values():
    text = Message(gettext_noop("must be between 1 and %(most)d"), most=90)
    with translation.override("de"):
        assert said(text) == "muss zwischen 1 und 90 liegen"
        assert said(gettext_noop("must not be in the future")) == "darf nicht in der Zukunft liegen"
    with translation.override("en"):
        assert said(text) == "must be between 1 and 90"


def test_an_unmarked_message_is_said_as_it_is():
    with translation.override("de"):
        assert said("Unknown match 42.") == "Unknown match 42."
