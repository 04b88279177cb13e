"""After an entity that wrote many rows, PostgreSQL's planner is told its tables grew
(``ANALYZE``): the recompute that follows a first import is planned over real sizes."""

import pytest
from django.db import connection

from webhooks.imports import pipeline
from webhooks.imports.writers import TABLES
from webhooks.imports.writers.batch import batch_writes


@pytest.fixture
def analysed(monkeypatch):
    """The entities whose tables were analysed, in order."""
    calls: list[tuple] = []
    impl = batch_writes.impl
    real = impl.analyze
    monkeypatch.setattr(impl, "analyze", lambda models: calls.append(tuple(models)) or real(models))
    return calls


def test_an_entity_that_wrote_many_rows_has_its_tables_analysed(
    run_import, sample_dir, analysed, monkeypatch
):
    monkeypatch.setattr(pipeline, "ANALYZE_AFTER_ROWS", 1)
    run_import(sample_dir)

    assert TABLES["users"] in analysed
    assert TABLES["matches"] in analysed


def test_entities_that_wrote_few_rows_analyse_nothing(run_import, sample_dir, analysed):
    run_import(sample_dir)

    assert analysed == []


def test_an_unchanged_reimport_analyses_nothing(run_import, sample_dir, analysed, monkeypatch):
    monkeypatch.setattr(pipeline, "ANALYZE_AFTER_ROWS", 1)
    run_import(sample_dir)
    analysed.clear()
    run_import(sample_dir)

    assert analysed == []


@pytest.mark.postgres
def test_on_postgresql_the_analysed_tables_have_planner_statistics(
    run_import, sample_dir, monkeypatch
):
    monkeypatch.setattr(pipeline, "ANALYZE_AFTER_ROWS", 1)
    run_import(sample_dir)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE relname = %s",
            [TABLES["users"][0]._meta.db_table],
        )
        assert cursor.fetchone()[0] > 0
