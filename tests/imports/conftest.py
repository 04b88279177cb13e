"""Fixtures of the import tests: the contract's sample export and an import runner."""

from pathlib import Path

import pytest

from tests.contract import SAMPLE_DIR, SAMPLE_JSON
from webhooks.imports.pipeline import import_export
from webhooks.imports.writers.batch import batch_writes


@pytest.fixture
def sample_dir() -> Path:
    return SAMPLE_DIR


@pytest.fixture
def sample_json() -> Path:
    return SAMPLE_JSON


@pytest.fixture
def run_import(program):
    """Import an export into the buddy program and return the report."""

    def run(path, **kwargs):
        return import_export(path=path, program=program, **kwargs)

    return run


@pytest.fixture
def sample_rows() -> dict[str, list[dict]]:
    """The sample export's rows (JSON form), fresh copies for each test to change."""
    import json

    data = json.loads(SAMPLE_JSON.read_text())
    data.pop("export_metadata")
    return data


@pytest.fixture
def export(tmp_path):
    """Write an export from rows: ``export({"users": [...]}, form="zip")`` → its path."""
    from bench.exportgen import write_export

    counter = iter(range(1000))

    def write(entities, *, form="folder", **kwargs):
        n = next(counter)
        name = {"folder": f"export{n}", "zip": f"export{n}.zip", "json": f"export{n}.json"}[form]
        return write_export(tmp_path / name, entities, form=form, **kwargs)

    return write


@pytest.fixture(params=["generic", pytest.param("postgresql", marks=pytest.mark.postgres)])
def each_batch_writes(request):
    """Run the test with each implementation of the importer's batch statements (the ORM's
    and PostgreSQL's): the writers behave the same on both."""
    with batch_writes.forced(request.param):
        yield request.param
