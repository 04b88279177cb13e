"""Top 5 for one participant, on request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buddy.models import EnrollmentStatus
from core.errors import RuleViolation
from matching.services import criteria_save, recommend_for_participant
from tests.factories import EnrollmentFactory, MatchFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


def test_the_best_five_buddies_come_with_scores_parts_and_reasons(
    program, participant_in, buddy_in
):
    person = participant_in(languages=["uk"], interests=["chess"], location="Berlin")
    best = buddy_in(languages=["uk", "de"], interests=["chess"], location="Berlin")
    for _ in range(6):
        buddy_in(languages=["de"], interests=["hiking"], location="Munich")
    result = recommend_for_participant(program=program, participant=person)
    assert len(result["candidates"]) == 5
    top = result["candidates"][0]
    assert top["buddy_id"] == best.pk
    assert "both speak Ukrainian" in top["reasons"]
    assert top["score"] == max(c["score"] for c in result["candidates"])
    assert result["criteria_version"] == 1


def test_a_participant_with_a_match_in_the_program_is_not_waiting(
    program, participant_in, buddy_in
):
    person = participant_in()
    buddy_in()
    MatchFactory(program=program, participant=person)
    with pytest.raises(RuleViolation) as error:
        recommend_for_participant(program=program, participant=person)
    assert error.value.code == "matching.participant_not_waiting"


def test_buddies_not_actively_enrolled_are_never_suggested(program, participant_in, buddy_in):
    person = participant_in()
    left = buddy_in()
    left.enrollments.update(status=EnrollmentStatus.DROPPED)
    assert recommend_for_participant(program=program, participant=person)["candidates"] == []


def test_without_candidates_the_answer_says_why(program, participant_in, buddy_in):
    person = participant_in(languages=["ti"])
    buddy_in(languages=["de"])
    criteria_save(program=program, criteria={"language": {"rule": "must"}})
    result = recommend_for_participant(program=program, participant=person)
    assert result["candidates"] == []
    assert result["why_not"]["text"].startswith(
        "no buddy passes the rules: no buddy speaks Tigrinya"
    )


def test_the_number_of_queries_does_not_grow_with_the_people(program, participant_in, buddy_in):
    person = participant_in()
    recommend_for_participant(program=program, participant=person)  # criteria version 1

    def queries():
        with CaptureQueriesContext(connection) as captured:
            recommend_for_participant(program=program, participant=person)
        return len(captured)

    buddy_in()
    few = queries()
    for _ in range(15):
        buddy_in()
        EnrollmentFactory(person=ParticipantFactory(), program=program)
    assert queries() == few
