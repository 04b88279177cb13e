"""``recommend`` and ``match_program``, as operators and scripts use them."""

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from matching.models import Proposal, RecommendationRun
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_recommend_takes_a_buddy_system_id_and_prints_json(program, participant_in, buddy_in):
    person = participant_in()
    buddy = buddy_in()
    out = json.loads(
        command("recommend", "--program", "buddy", "--participant",
                PersonFactory.buddy_uuid(person), "--json")
    )  # fmt: skip
    assert out["participant"] == PersonFactory.buddy_uuid(person)
    (candidate,) = out["candidates"]
    assert candidate["buddy"] == PersonFactory.buddy_uuid(buddy)
    assert candidate["reasons"][0] == "both speak English (a second language)"


def test_recommend_takes_our_id_and_prints_the_reasons(program, participant_in, buddy_in):
    person = participant_in(external_id=False)
    buddy_in(languages=["uk"])
    out = command("recommend", "--program", "buddy", "--participant", str(person.pk))
    assert f"Participant {person.pk}" in out and "both speak Ukrainian" in out


def test_recommend_refuses_an_unknown_participant_with_a_precise_message(program):
    with pytest.raises(CommandError, match="participant: no participant with this id"):
        command("recommend", "--program", "buddy", "--participant", "12345")


def test_a_dry_run_prints_proposals_unmatched_and_figures_and_stores_nothing(
    program, participant_in, buddy_in
):
    participant_in(), participant_in()
    buddy_in()
    out = json.loads(command("match_program", "--program", "buddy", "--dry-run", "--json"))
    assert (out["figures"]["proposals"], out["figures"]["unmatched"]) == (1, 1)
    assert out["unmatched"][0]["code"] == "taken"
    assert set(out["proposals"][0]) == {
        "participant",
        "buddy",
        "score",
        "parts",
        "reasons",
        "locked",
    }
    assert not RecommendationRun.objects.exists() and not Proposal.objects.exists()


def test_a_run_is_stored_and_coverage_first_can_be_asked_for(program, participant_in, buddy_in):
    participant_in()
    buddy_in()
    out = json.loads(command("match_program", "--program", "buddy", "--coverage-first", "--json"))
    run = RecommendationRun.objects.get()
    assert (out["figures"]["run"], run.coverage_first, run.proposals.count()) == (run.pk, True, 1)


def test_the_explain_csv_has_every_eligible_pair_with_its_score_and_parts(
    program, participant_in, buddy_in, tmp_path
):
    participant_in(), participant_in()
    buddy_in(), buddy_in(), buddy_in()
    path = tmp_path / "explain.csv"
    command("match_program", "--program", "buddy", "--dry-run", "--explain-csv", str(path))
    rows = list(csv.DictReader(path.read_text().splitlines()))
    assert len(rows) == 6
    assert sum(int(r["proposed"]) for r in rows) == 2
    first = rows[0]
    assert float(first["score"]) == pytest.approx(
        sum(float(first[c]) for c in ("language", "interests", "location", "waiting",
                                      "free_capacity")), abs=0.3
    )  # fmt: skip


def test_the_explain_csv_neutralises_ids_a_spreadsheet_would_run(
    program, participant_in, buddy_in, tmp_path, monkeypatch
):
    """Imported external ids are the export's text: ``=1+1`` is written as ``'=1+1``, by
    the app's one CSV writer (``buddy.csv_output``)."""
    from matching import selectors

    participant_in(), buddy_in()
    monkeypatch.setattr(selectors, "public_ids", lambda people: dict.fromkeys(people, "=1+1"))
    path = tmp_path / "explain.csv"
    command("match_program", "--program", "buddy", "--dry-run", "--explain-csv", str(path))
    rows = list(csv.DictReader(path.read_text().splitlines()))
    assert [(r["participant"], r["buddy"]) for r in rows] == [("'=1+1", "'=1+1")]
