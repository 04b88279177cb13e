"""After a first program-wide run, the next one recomputes only the people whose facts
changed or whose state turns with time (``enrollments.recompute_scope``), with the results
a full run gives on the same data. PostgreSQL (rows written since a run are told by their
transaction), with commits: rows written inside a test's open transaction would all count
as written since."""

from datetime import timedelta

import pytest

from buddy.models import CheckIn, Match, MatchStatus
from enrollments import recompute_scope
from enrollments.models import JourneyFlags
from enrollments.services import enrollments_recompute_program
from tests.enrollments.conftest import build_varied_program
from tests.enrollments.test_recompute_equivalence import snapshot
from tests.factories import (
    BuddyFactory,
    CheckInFactory,
    EnrollmentFactory,
    EventAttendanceFactory,
    MatchFactory,
    MilestoneAchievementFactory,
    ParticipantFactory,
    buddy_program,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scopes(monkeypatch):
    """The scope each run chose (``recompute_scope.scope_since_mark``)."""
    seen = []
    real = recompute_scope.scope_since_mark

    def spy(**kwargs):
        seen.append(real(**kwargs))
        return seen[-1]

    monkeypatch.setattr(recompute_scope, "scope_since_mark", spy)
    return seen


def run(program, now, scopes, **kwargs):
    """A program run; returns (status changes, the people it recomputed: "all" or a count)."""
    scopes.clear()
    changed = enrollments_recompute_program(program=program, now=now, **kwargs)
    people = scopes[0].person_ids if scopes else None
    return changed, "all" if people is None else len(people)


def change_some_facts(program, now):
    """New activity of several kinds, a match ended, a mood edited in place by a bulk
    update (no ``updated_at``, no service): what an incremental run has to see."""
    matches = list(Match.objects.filter(program=program, status=MatchStatus.ACTIVE)[:4])
    CheckInFactory(match=matches[0], checkin_date=now - timedelta(hours=1), mood="difficult")
    EventAttendanceFactory(
        person=matches[1].buddy, match=matches[1], attended_at=now - timedelta(hours=2)
    )
    MilestoneAchievementFactory(person=matches[2].participant, reached_at=now)
    Match.objects.filter(pk=matches[3].pk).update(
        status=MatchStatus.ENDED, ended_at=now - timedelta(hours=3), end_reason="completed"
    )
    newest = CheckIn.objects.exclude(mood="").order_by("-checkin_date").first()
    CheckIn.objects.filter(pk=newest.pk).update(mood="struggling")


@pytest.mark.parametrize("days_later", [0, 9, 40])
def test_an_incremental_run_gives_the_results_of_a_full_run(now, scopes, days_later, monkeypatch):
    monkeypatch.setattr(recompute_scope, "INCREMENTAL_MAX_SHARE", 1.0)  # however many turn
    program = buddy_program()
    build_varied_program(program, now, seed=41, people=40)
    assert run(program, now, scopes)[1] == "all"  # no mark yet: a full run
    change_some_facts(program, now)
    later = now + timedelta(days=days_later)

    _changed, people = run(program, later, scopes)
    assert people != "all" and people > 0
    incremental = snapshot(program)
    # A full run on the same data finds nothing left to change.
    assert run(program, later, scopes, full=True) == (0, "all")
    assert snapshot(program) == incremental


def test_a_run_with_nothing_changed_recomputes_nobody(now, scopes):
    program = buddy_program()
    build_varied_program(program, now, seed=43, people=30)
    run(program, now, scopes)  # (its own writes to enrollments are no changes)
    flags_before = dict(JourneyFlags.objects.values_list("pk", "changed_at"))

    assert run(program, now, scopes) == (0, 0)
    assert dict(JourneyFlags.objects.values_list("pk", "changed_at")) == flags_before


def test_a_run_with_nothing_changed_is_a_fixed_handful_of_statements(
    now, scopes, django_assert_num_queries
):
    program = buddy_program()
    build_varied_program(program, now, seed=47, people=30)
    run(program, now, scopes)
    # BEGIN, the program lock, the mark taken and read, the people since it, the mark left,
    # COMMIT; the planner settings read, set and restored. No activity table read twice.
    with django_assert_num_queries(10):
        enrollments_recompute_program(program=program, now=now)


def test_time_alone_turns_a_flag_in_an_incremental_run(now, scopes, monkeypatch):
    monkeypatch.setattr(recompute_scope, "INCREMENTAL_MAX_SHARE", 1.0)  # two people in all
    program = buddy_program()
    participant, buddy = ParticipantFactory(), BuddyFactory()
    for person in (participant, buddy):
        EnrollmentFactory(person=person, program=program, enrolled_at=now - timedelta(days=90))
    match = MatchFactory(
        program=program,
        participant=participant,
        buddy=buddy,
        status=MatchStatus.ACTIVE,
        matched_at=now - timedelta(days=60),
    )
    CheckInFactory(match=match, checkin_date=now - timedelta(days=13), mood="good")
    run(program, now, scopes)
    flags = JourneyFlags.objects.get(enrollment__person=participant)
    assert not flags.no_contact_14
    assert flags.checkin_due
    assert flags.due_at == now - timedelta(days=13) + timedelta(days=14)  # no contact for 14

    assert run(program, now + timedelta(days=2), scopes)[1] == 2  # the pair, nobody else
    assert JourneyFlags.objects.get(enrollment__person=participant).no_contact_14


def test_other_settings_make_a_full_run(now, scopes, settings):
    program = buddy_program()
    build_varied_program(program, now, seed=53, people=12)
    run(program, now, scopes)
    settings.ENROLLMENTS = {**settings.ENROLLMENTS, "CHECKIN_DUE_DAYS": 3}
    assert run(program, now, scopes)[1] == "all"


def test_a_run_for_an_earlier_instant_is_a_full_run(now, scopes):
    program = buddy_program()
    build_varied_program(program, now, seed=59, people=12)
    run(program, now, scopes)
    assert run(program, now - timedelta(days=1), scopes)[1] == "all"
