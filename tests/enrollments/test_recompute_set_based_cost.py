"""The set-based recompute costs a fixed number of statements and rewrites only what changed;
the impact figures read each table once."""

from datetime import timedelta

import pytest
from django.db import connection, transaction

from buddy.models import Enrollment, EnrollmentStatusChange
from enrollments.impact import impact_by_company
from enrollments.models import JourneyFlags
from enrollments.recompute_sql import recompute_set_based
from enrollments.services import (
    PER_PERSON_LIMIT,
    enrollments_recompute,
    enrollments_recompute_program,
)
from tests.enrollments.conftest import build_varied_program


@pytest.mark.parametrize("people", [24, 48])
@pytest.mark.parametrize("scope", ["program", "people"])
def test_statement_count_does_not_grow_with_people(
    program, now, people, scope, django_assert_max_num_queries
):
    build_varied_program(program, now, seed=13, people=people)
    ids = list(Enrollment.objects.filter(program=program).values_list("person_id", flat=True))
    assert len(ids) > PER_PERSON_LIMIT  # the set-based path, one chunk
    # Temporary tables (+ ANALYZE on PostgreSQL), the writes, drops, session settings (20);
    # match health: a grouped or windowed query per fact, its reads and writes (16).
    with django_assert_max_num_queries(36):
        if scope == "program":
            enrollments_recompute_program(program=program, now=now)
        else:
            enrollments_recompute(program=program, person_ids=ids, now=now)


def test_a_steady_state_run_rewrites_no_row(program, now):
    build_varied_program(program, now, seed=17, people=16)
    enrollments_recompute_program(program=program, now=now)
    flags_before = dict(JourneyFlags.objects.values_list("pk", "changed_at"))
    updated_before = dict(Enrollment.objects.values_list("pk", "updated_at"))
    history_before = EnrollmentStatusChange.objects.count()

    later = now + timedelta(seconds=1)  # no threshold is crossed in one second
    assert enrollments_recompute_program(program=program, now=later) == 0

    assert dict(JourneyFlags.objects.values_list("pk", "changed_at")) == flags_before
    assert dict(Enrollment.objects.values_list("pk", "updated_at")) == updated_before
    assert EnrollmentStatusChange.objects.count() == history_before


def test_an_empty_person_list_does_nothing(program, now, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert recompute_set_based(program_id=program.pk, now=now, person_ids=[]) == 0


@pytest.mark.postgres
def test_session_settings_are_restored_after_the_recompute(program, now):
    build_varied_program(program, now, seed=19, people=8)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), current_setting('work_mem')")
        before = cursor.fetchone()
        recompute_set_based(program_id=program.pk, now=now)
        cursor.execute("SELECT current_setting('jit'), current_setting('work_mem')")
        assert cursor.fetchone() == before
        # The temporary tables are gone: a second run in the same transaction works.
        assert recompute_set_based(program_id=program.pk, now=now) == 0


@pytest.mark.postgres
def test_the_program_run_reads_match_health_with_the_recompute_planner_settings(
    program, now, monkeypatch
):
    # Match health's facts statement, planned with JIT on, spent longer compiling than
    # running (bench/recompute): the program-wide run sets the settings once for both.
    from enrollments import health

    build_varied_program(program, now, seed=37, people=8)
    impl, seen = health.health_sql.impl, []
    fact_rows = impl.fact_rows

    def spy(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('jit')")
            seen.append(cursor.fetchone()[0])
        return fact_rows(**kwargs)

    monkeypatch.setattr(impl, "fact_rows", spy)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), current_setting('work_mem')")
        before = cursor.fetchone()
        enrollments_recompute_program(program=program, now=now)
        enrollments_recompute(
            program=program, person_ids=list(range(1, PER_PERSON_LIMIT + 5)), now=now
        )
        cursor.execute("SELECT current_setting('jit'), current_setting('work_mem')")
        assert cursor.fetchone() == before
    assert seen == ["off", "off"]


def test_company_figures_read_each_table_once(program, now, django_assert_max_num_queries):
    build_varied_program(program, now, seed=23, people=12)
    start, end = now - timedelta(days=365), now
    # Sessions, informal events, attendances, feedback, milestones, moods, the companies;
    # on PostgreSQL three more statements switch JIT off and back.
    with django_assert_max_num_queries(10):
        impact_by_company(program=program, start=start, end=end)


def _health_statements(program, now) -> int:
    from django.test.utils import CaptureQueriesContext

    from enrollments import health

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        health.recompute(program=program, now=now)
    return len(queries)


@pytest.mark.postgres
def test_health_recompute_on_postgresql_is_three_statements_whatever_the_size(program, now):
    from enrollments import health
    from enrollments.models import MatchHealth

    build_varied_program(program, now, seed=29, people=12)
    with health.health_sql.forced("postgresql"):
        small = _health_statements(program, now)
        build_varied_program(program, now, seed=31, people=36)
        # The facts in one statement, the removal, the writes in one statement.
        assert small == _health_statements(program, now) == 3
    assert MatchHealth.objects.filter(program=program).count() > 12


def test_health_recompute_statement_count_does_not_grow_with_matches(program, now):
    from enrollments import health

    build_varied_program(program, now, seed=29, people=12)
    with health.health_sql.forced("generic"):
        small = _health_statements(program, now)
        build_varied_program(program, now, seed=31, people=36)
        assert _health_statements(program, now) == small


@pytest.mark.postgres
def test_the_program_run_reads_match_health_before_the_journeys_writes(program, now):
    # Health is judged in Python while the writes' statement runs (``health.start``).
    from django.test.utils import CaptureQueriesContext

    build_varied_program(program, now, seed=41, people=12)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        enrollments_recompute_program(program=program, now=now)
    statements = [q["sql"].lstrip() for q in queries]
    facts = next(i for i, sql in enumerate(statements) if sql.startswith("WITH scope AS"))
    writes = next(i for i, sql in enumerate(statements) if "new_rows AS MATERIALIZED" in sql)
    health_write = next(i for i, sql in enumerate(statements) if "weekly AS" in sql)
    assert facts < writes < health_write


@pytest.mark.postgres
def test_a_first_run_writes_few_index_entries_and_checks_no_derived_key(program):
    # What a program's first recompute writes per row: the index entries of each table
    # (an enrollment's status change is not HOT) and the keys PostgreSQL checks at the
    # commit, one statement per key of each new row (the derived rows': none).
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname,
                (SELECT COUNT(*) FROM pg_index i WHERE i.indrelid = c.oid
                   AND i.indpred IS NULL),
                (SELECT COUNT(*) FROM pg_trigger t JOIN pg_constraint k ON k.oid = t.tgconstraint
                   WHERE t.tgrelid = c.oid AND k.contype = 'f' AND k.conrelid = c.oid
                   AND t.tgtype & 4 = 4)
            FROM pg_class c WHERE c.relname = ANY(%s)""",
            [
                [
                    "enrollments_enrollment",
                    "enrollments_enrollmentstatuschange",
                    "enrollments_journeyflags",
                    "enrollments_matchhealth",
                    "enrollments_matchhealthweek",
                ]
            ],
        )
        written = {name: (indexes, keys) for name, indexes, keys in cursor.fetchall()}
    assert written == {
        "enrollments_enrollment": (3, 2),  # key, (person, program), (program, status)
        "enrollments_enrollmentstatuschange": (2, 2),  # key, (enrollment, at); by: where set
        "enrollments_journeyflags": (1, 0),
        "enrollments_matchhealth": (2, 0),  # key, (program, band)
        "enrollments_matchhealthweek": (3, 0),  # key, (match, week), (program, week)
    }
