"""Two coordinators accepting competing proposals at once (PostgreSQL, real transactions):
a buddy is never overfilled and a participant never gets two matches.

The first acceptance holds its transaction open after writing its match; the second starts
then, so without the row locks it would read the buddy's places before the first commits.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from buddy.models import Match
from core.errors import RuleViolation
from matching.models import Proposal, ProposalStatus
from matching.services import proposal_accept, run_create
from tests.factories import BuddyFactory, EnrollmentFactory, ParticipantFactory, buddy_program

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

HOLD_SECONDS = 0.5


def proposals(pairs):
    """One proposal per pair, each from its own run (two coordinators, two runs)."""
    program = buddy_program()
    for person in {p for pair in pairs for p in pair}:
        EnrollmentFactory(person=person, program=program)
    return [
        Proposal.objects.create(
            run=run_create(program=program),
            program=program,
            participant=p,
            buddy=b,
            score=50,
            parts={},
            reasons=[],
        )
        for p, b in pairs
    ]


def accept_while_the_other_holds(first, second):
    """Accept ``first`` and keep its transaction open; accept ``second`` meanwhile."""
    written = threading.Event()
    outcomes = {}

    def hold():
        try:
            with transaction.atomic():
                proposal_accept(proposal=first)
                written.set()
                time.sleep(HOLD_SECONDS)
            outcomes["first"] = "accepted"
        finally:
            written.set()
            connection.close()

    def race():
        try:
            written.wait(5)
            proposal_accept(proposal=second)
            outcomes["second"] = "accepted"
        except RuleViolation as exc:
            outcomes["second"] = exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(hold), pool.submit(race)]:
            future.result()
    return outcomes


def test_two_acceptances_for_one_buddy_place_never_overfill_the_buddy():
    buddy = BuddyFactory(capacity=1)
    first, second = proposals([(ParticipantFactory(), buddy), (ParticipantFactory(), buddy)])
    outcomes = accept_while_the_other_holds(first, second)
    assert outcomes == {"first": "accepted", "second": "match.buddy_at_capacity"}
    assert Match.objects.filter(buddy=buddy).count() == 1
    assert Proposal.objects.get(pk=second.pk).status == ProposalStatus.PROPOSED


def test_two_acceptances_for_one_participant_never_double_match_them():
    participant = ParticipantFactory()
    first, second = proposals([(participant, BuddyFactory()), (participant, BuddyFactory())])
    outcomes = accept_while_the_other_holds(first, second)
    assert outcomes == {"first": "accepted", "second": "match.participant_already_matched"}
    assert Match.objects.filter(participant=participant).count() == 1
