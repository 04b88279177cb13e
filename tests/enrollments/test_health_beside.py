"""A program run reads match health's facts on a connection of its own, on the judging
thread, while its own connection runs the journey's statements (``health.start_beside``),
when its transaction wrote nothing yet: with the results of the facts read on the run's own
connection. PostgreSQL, with commits (a test's open transaction has written its data)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from enrollments import health
from enrollments.models import MatchHealth, MatchHealthWeek
from enrollments.services import enrollments_recompute_program
from tests.enrollments.conftest import build_varied_program
from tests.enrollments.test_recompute_equivalence import snapshot
from tests.factories import buddy_program

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

#: The facts statement (``health._PG_FACTS``) as it starts.
FACTS = "WITH scope AS ("


@pytest.fixture
def beside(monkeypatch):
    """Whether each ``start_beside`` of a run read beside (True) or could not (False)."""
    seen = []
    real = health.start_beside

    def spy(**kwargs):
        pending = real(**kwargs)
        seen.append(pending is not None)
        return pending

    monkeypatch.setattr(health, "start_beside", spy)
    return seen


def test_facts_read_beside_give_the_results_of_facts_read_on_the_run_connection(now, beside):
    program = buddy_program()
    build_varied_program(program, now, seed=23, people=40)
    with CaptureQueriesContext(connection) as run_statements:
        enrollments_recompute_program(program=program, now=now)
    assert beside == [True]
    assert not [q for q in run_statements if q["sql"].startswith(FACTS)]
    read_beside = snapshot(program)
    assert read_beside[4], "no match health was written"

    MatchHealth.objects.all().delete()
    MatchHealthWeek.objects.all().delete()
    with transaction.atomic():
        # A row written first: the run's transaction has an id, the facts are read on it.
        program.save(update_fields=["name"])
        enrollments_recompute_program(program=program, now=now, full=True)
    assert beside == [True, False]
    assert snapshot(program) == read_beside


def test_a_transaction_that_wrote_reads_the_facts_itself(now):
    program = buddy_program()
    with transaction.atomic():
        program.save(update_fields=["name"])
        assert health.start_beside(program=program, now=now) is None
