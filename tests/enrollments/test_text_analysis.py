"""The free-text analyser, de-identification and the Q2Q export."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from enrollments.text_analysis import LexiconAnalyser, deidentify, snippet
from tests.factories import CheckInFactory, FeedbackFactory, MatchFactory


def test_an_english_text_is_scored_on_the_dimensions_it_mentions():
    result = LexiconAnalyser().analyse(
        "I feel more confident now and I had my first job interview, but I am still lonely."
    )
    assert result.language == "en" and result.analysed
    assert result.scores["confidence"] == 1.0
    assert result.scores["job_readiness"] == 1.0
    assert result.scores["belonging"] == -1.0
    assert "language_comfort" not in result.scores


def test_a_text_in_an_uncovered_language_is_not_analysed():
    result = LexiconAnalyser().analyse("Я відчуваю себе впевнено, у мене була співбесіда.")
    assert not result.analysed and result.scores == {}
    assert result.as_dict()["status"] == "not analysed"


def test_deidentification_replaces_contacts_and_known_names():
    text = "Olena wrote to max@example.org, call +49 170 1234567 or see https://x.example/p."
    assert deidentify(text, names={"Olena": "[participant]"}) == (
        "[participant] wrote to [email], call [phone] or see [url]"
    )


def test_snippets_are_short():
    assert len(snippet("word " * 200)) <= 202


@pytest.mark.django_db
def test_export_q2q_writes_deidentified_json_lines(program):
    match = MatchFactory(program=program)
    # a fixed name: a generated one changes the language detected for this short English text
    name = "Oksana"
    match.participant.first_name = name
    match.participant.save(update_fields=["first_name"])
    CheckInFactory(match=match, notes=f"{name} feels happy and confident, mail {name}@x.org")
    FeedbackFactory(match=match, feedback_text="")  # empty texts are skipped
    out = StringIO()
    call_command("export_q2q", "--program", "buddy", stdout=out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(records) == 1
    record = records[0]
    assert record["match_id"] == match.pk and record["program_id"] == program.pk
    assert name not in record["snippet"] and "[participant]" in record["snippet"]
    assert record["scores"]["well_being"] == 1.0
