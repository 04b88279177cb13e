"""Program-wide runs: the hard rules, the stored draft, its figures and the criteria version;
the draft stored with either implementation of the bulk insert (ORM, PostgreSQL COPY)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buddy.models import DataSource, EnrollmentStatus, MatchStatus
from matching.models import Proposal, ProposalStatus, RecommendationRun, RunStatus
from matching.services import (
    criteria_current,
    criteria_save,
    proposal_dismiss,
    proposal_lock,
    proposal_writer,
    run_compute,
    run_create,
    run_execute,
    run_start,
)
from tests.factories import MatchFactory
from tests.seams import implementations

proposal_insert = implementations(proposal_writer)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("proposal_insert")]


def run(program, **kwargs):
    created = run_create(program=program, **kwargs)
    run_execute(run_id=created.pk)
    created.refresh_from_db()
    return created


def pairs(run_row):
    return {(p.participant_id, p.buddy_id) for p in run_row.proposals.all()}


def test_a_run_stores_its_proposals_figures_and_the_criteria_version(
    program, coordinator, participant_in, buddy_in
):
    people = [participant_in() for _ in range(3)]
    buddy_in(capacity=2)
    criteria_save(program=program, criteria={}, score_floor=10)
    done = run(program, by=coordinator)
    assert (done.status, done.progress, done.criteria.version) == (RunStatus.DONE, 100, 1)
    assert (done.participants_waiting, done.proposals_count, done.unmatched_count) == (3, 2, 1)
    assert done.total_score == pytest.approx(sum(p.score for p in done.proposals.all()), abs=0.2)
    assert {"load_ms", "scoring_ms", "assignment_ms", "store_ms", "total_ms"} <= set(done.timings)
    (left,) = done.unmatched
    assert left["participant_id"] in {p.pk for p in people} and left["code"] == "taken"
    proposal = done.proposals.first()
    assert proposal.reasons and set(proposal.parts) == {
        "language", "interests", "location", "waiting", "free_capacity"
    }  # fmt: skip


def test_new_settings_are_a_new_version_and_old_runs_keep_theirs(program, participant_in, buddy_in):
    participant_in()
    buddy_in()
    first = run(program)
    criteria_save(program=program, criteria={"location": {"rule": "must"}})
    second = run(program)
    assert (first.criteria.version, second.criteria.version) == (1, 2)
    assert first.criteria.criteria["location"]["rule"] == "prefer"


def test_a_buddys_proposed_accepted_and_active_matches_fill_their_places(
    program, participant_in, buddy_in
):
    buddy = buddy_in(capacity=3)
    for status in (MatchStatus.PROPOSED, MatchStatus.ACCEPTED, MatchStatus.ACTIVE):
        MatchFactory(program=program, buddy=buddy, status=status, source=DataSource.COORDINATOR)
    participant_in()
    done = run(program)
    assert done.proposals_count == 0
    assert done.unmatched[0]["code"] == "all_at_capacity"


def test_only_waiting_participants_actively_enrolled_are_proposed(
    program, participant_in, buddy_in
):
    waiting = participant_in()
    matched = participant_in()
    MatchFactory(program=program, participant=matched, status=MatchStatus.PROPOSED)
    dropped = participant_in()
    dropped.enrollments.update(status=EnrollmentStatus.DROPPED)
    buddies = [buddy_in() for _ in range(3)]
    assert {p for p, _b in pairs(run(program))} == {waiting.pk}
    assert len(buddies) == 3


def test_a_pair_whose_match_ended_in_a_violation_is_never_proposed_again(
    program, participant_in, buddy_in
):
    person, buddy = participant_in(), buddy_in()
    MatchFactory(
        program=program, participant=person, buddy=buddy, ended=True, end_reason="violation"
    )
    assert pairs(run(program)) == set()


def test_the_program_setting_never_re_pairs_any_earlier_pair(program, participant_in, buddy_in):
    person, buddy = participant_in(), buddy_in()
    MatchFactory(program=program, participant=person, buddy=buddy, ended=True)
    assert pairs(run(program)) == {(person.pk, buddy.pk)}
    criteria_save(program=program, criteria={}, never_repair_any=True)
    assert pairs(run(program)) == set()


def test_a_dismissed_suggestion_stays_dismissed(program, participant_in, buddy_in):
    person, first, second = participant_in(), buddy_in(), buddy_in()
    (proposal,) = run(program).proposals.all()
    proposal_dismiss(proposal=proposal, reason="they know each other")
    (again,) = run(program).proposals.all()
    assert again.buddy_id == ({first.pk, second.pk} - {proposal.buddy_id}).pop()
    assert again.participant_id == person.pk


def test_a_locked_proposal_is_kept_as_it_is_by_the_next_run(program, participant_in, buddy_in):
    participant_in(location="Berlin")
    buddy_in(location="Munich")
    (proposal,) = run(program).proposals.all()
    proposal_lock(proposal=proposal)
    better = buddy_in(location="Berlin")
    (kept,) = run(program).proposals.all()
    assert (kept.buddy_id, kept.score, kept.locked) == (proposal.buddy_id, proposal.score, True)
    assert kept.buddy_id != better.pk


def test_a_dry_run_stores_nothing(program, participant_in, buddy_in):
    participant_in()
    buddy_in()
    result = run_compute(program=program, criteria=criteria_current(program=program))
    assert len(result.proposals) == 1
    assert not Proposal.objects.exists() and not RecommendationRun.objects.exists()


def test_starting_a_run_executes_it_at_once_without_a_broker(
    program, participant_in, buddy_in, django_capture_on_commit_callbacks, settings
):
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("a broker is configured: the worker runs it")
    participant_in()
    buddy_in()
    with django_capture_on_commit_callbacks(execute=True):
        started = run_start(program=program)
    started.refresh_from_db()
    assert (started.status, started.proposals_count) == (RunStatus.DONE, 1)


def test_a_run_is_executed_once(program, participant_in, buddy_in):
    participant_in()
    buddy_in()
    done = run(program)
    assert run_execute(run_id=done.pk) is None
    assert Proposal.objects.filter(run=done).count() == 1


def test_the_number_of_queries_of_a_run_does_not_grow_with_the_people(
    program, participant_in, buddy_in
):
    criteria_current(program=program)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            run(program)
        return len(captured)

    participant_in()
    buddy_in()
    few = queries()
    for _ in range(12):
        participant_in()
        buddy_in(capacity=2)
    assert queries() == few
    assert Proposal.objects.filter(status=ProposalStatus.PROPOSED).count() == 1 + 13
