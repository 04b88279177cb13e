"""A crash mid-import leaves whole batches only; re-running completes it exactly."""

import pytest

from bench.exportgen import ProgramHistory
from buddy.models import InformalEvent
from tests.imports.state import db_state, wipe
from webhooks.imports import writers

#: The writers behave the same with either implementation of their batch statements.
pytestmark = pytest.mark.usefixtures("each_batch_writes")


def test_a_rerun_after_a_crash_ends_in_the_state_of_a_clean_import(
    run_import, tmp_path, monkeypatch
):
    path = ProgramHistory(scale=0.005, seed=11).write(tmp_path / "export")
    real = writers.WRITERS["events"]
    calls = {"n": 0}

    def crash_on_third_batch(items, ctx):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return real(items, ctx)

    monkeypatch.setitem(writers.WRITERS, "events", crash_on_third_batch)
    with pytest.raises(RuntimeError):
        run_import(path, batch_size=10)
    assert InformalEvent.objects.count() == 20  # two whole batches, nothing of the third
    monkeypatch.setitem(writers.WRITERS, "events", real)

    rerun = run_import(path, batch_size=10)
    after_rerun = db_state()
    wipe()
    run_import(path, batch_size=10)

    assert after_rerun == db_state()
    assert rerun.entities["events"]["unchanged"] == 20
    assert rerun.entities["users"]["created"] == 0
