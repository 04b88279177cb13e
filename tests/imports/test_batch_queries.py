"""Writing a batch costs a fixed number of queries, whatever the number of rows in it."""

import copy
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.exportgen import ProgramHistory
from tests.imports.state import wipe
from webhooks.imports import pipeline, settled


def _with_activities(rows, n):
    out = copy.deepcopy(rows)
    for name in ("events", "checkins", "feedback", "skill_sessions", "event_attendance"):
        base = out[name][0]
        out[name] = []
        for _ in range(n):
            row = dict(base)
            key = {
                "events": "event_id",
                "checkins": "checkin_id",
                "feedback": "feedback_id",
                "skill_sessions": "session_id",
                "event_attendance": "event_id",
            }[name]
            row[key] = str(uuid.uuid4())
            out[name].append(row)
    return out


def _queries(run_import, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        run_import(path, batch_size=1000)
    return len(captured.captured_queries)


@pytest.fixture
def no_recompute(monkeypatch):
    # The enrollment recompute picks its own strategy by size (enrollments app); leave it out.
    monkeypatch.setattr(pipeline._Import, "finish", lambda self: None)


def test_queries_do_not_grow_with_rows(run_import, export, sample_rows, no_recompute):
    few = _queries(run_import, export(_with_activities(sample_rows, 5)))
    wipe()
    many = _queries(run_import, export(_with_activities(sample_rows, 40)))

    assert many == few


@pytest.fixture
def no_settled(monkeypatch):
    # Every section read in full (a replayed section reads no batch: test_settled_sections).
    monkeypatch.setattr(settled, "begin", lambda *args, **kwargs: None)


def test_a_reimport_reads_each_batch_with_a_fixed_number_of_queries(
    run_import, export, sample_rows, no_recompute, no_settled
):
    small, large = (
        export(_with_activities(sample_rows, 5)),
        export(_with_activities(sample_rows, 40)),
    )
    run_import(small)
    run_import(large)

    assert _queries(run_import, large) == _queries(run_import, small)


@pytest.mark.postgres
def test_a_generated_program_costs_the_same_queries_per_batch(run_import, tmp_path, no_recompute):
    small = ProgramHistory(scale=0.01, seed=5).write(tmp_path / "small")
    large = ProgramHistory(scale=0.03, seed=6).write(tmp_path / "large")

    few = _queries(run_import, small)
    wipe()
    many = _queries(run_import, large)

    assert many == few
