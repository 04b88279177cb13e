"""Importing the same export twice changes nothing and reports every row unchanged."""

import pytest

from bench.exportgen import ProgramHistory
from tests.imports.state import db_state, last_update, row_counts

#: The writers behave the same with either implementation of their batch statements.
pytestmark = pytest.mark.usefixtures("each_batch_writes")


@pytest.mark.parametrize("form", ["folder", "json"])
def test_second_import_reports_every_row_unchanged(run_import, export, form):
    history = ProgramHistory(scale=0.01, seed=3)
    path = history.write(_target(export, form), form=form)
    first = run_import(path, batch_size=20)
    state, counts, updated = db_state(), row_counts(), last_update()

    second = run_import(path, batch_size=20)

    for name, c in second.entities.items():
        done_first = first.entities[name]
        assert c["unchanged"] == done_first["created"] + done_first["updated"], name
        assert (c["created"], c["updated"]) == (0, 0), name
        assert c["rejected"] == done_first["rejected"], name
    assert row_counts() == counts
    assert last_update() == updated
    assert db_state() == state


def test_rows_rejected_the_first_time_are_rejected_again(run_import, export, sample_rows):
    sample_rows["feedback"][0]["rating"] = 1.5
    path = export(sample_rows)
    run_import(path)

    again = run_import(path)

    assert again.entities["feedback"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 1,
        "rejected": 1,
        "total": 2,
    }


def _target(export, form):
    # The export fixture writes rows; the history writes itself: only its target path is needed.
    path = export({}, form=form)
    if path.is_file():
        path.unlink()
    return path
