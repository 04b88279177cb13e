"""PostgreSQL ``timestamptz`` values are parsed in C (``core.db.use_fast_timestamptz``) into
exactly what Django's own loader gives: the same instant, an aware value whose ``tzinfo`` is
``datetime.UTC``; whatever the fast parse does not cover is Django's loader's."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

from buddy.models import Company

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

LITERALS = [
    "2026-03-02 09:00:00+00",
    "2026-03-02 09:00:00.5+00",
    "2026-03-02 09:00:00.123456+00",
    "2026-03-02 10:00:00+01",  # shown in UTC by the session: the same instant
    "0099-12-31 23:59:59.999999+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59+00",
    "2026-03-02 09:00:00+00 BC",
    "infinity",
    "-infinity",
]


def _load(cursor, literal: str):
    try:
        cursor.execute("SELECT %s::timestamptz", [literal])
        return cursor.fetchone()[0]
    except Exception as error:
        return type(error)


def _both(literal: str):
    with connection.cursor() as cursor:
        raw = cursor.cursor
        loader = raw.adapters.get_loader(raw.adapters.types["timestamptz"].oid, 0)
        assert loader.__name__ == "UtcTimestamptzLoader"
        fast = _load(raw, literal)
        register_tzloader(connection.timezone, raw)  # Django's own loader, this cursor only
        careful = _load(raw, literal)
    return fast, careful


@pytest.mark.parametrize("literal", LITERALS)
def test_each_value_loads_as_django_loads_it(literal):
    fast, careful = _both(literal)
    assert fast == careful
    if isinstance(careful, datetime.datetime):
        assert fast.tzinfo is careful.tzinfo is datetime.UTC
        assert (fast.isoformat(), fast.fold) == (careful.isoformat(), careful.fold)


@pytest.mark.parametrize("literal", LITERALS[:5])
def test_a_session_in_another_zone_is_loaded_by_django_loader(literal):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'Europe/Berlin'")
    fast, careful = _both(literal)
    assert fast == careful
    assert fast.tzinfo is careful.tzinfo


def test_a_model_reads_its_timestamps_back_in_utc():
    company = Company.objects.create(name="Globex")
    read = Company.objects.get(pk=company.pk)
    assert read.created_at == company.created_at
    assert read.created_at.tzinfo is datetime.UTC
