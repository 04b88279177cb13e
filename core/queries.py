"""Query helpers every app uses: ``among`` (the bulk ``__in``: one array parameter on
PostgreSQL) and ``insert_or_nothing`` (one ``INSERT … ON CONFLICT DO NOTHING``)."""

from collections.abc import Iterable
from uuid import UUID

from django.db import models, transaction
from django.db.models import F, Lookup, Q

from core.db import Seam


class Values:
    """An opaque list of lookup values: Django passes it to the lookup untouched instead of
    resolving every element as a possible expression (``AnyOf``'s right-hand side)."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable):
        self.items = list(items)


def _array_element(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int | UUID):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def array_literal(values: Iterable) -> str:
    """A PostgreSQL array literal of ``values`` (ints, UUIDs, strings; None is NULL), built
    in one pass: the parameter of ``= ANY(%s::type[])`` (psycopg adapts a list item by item)."""
    return "{" + ",".join(map(_array_element, values)) + "}"


class AnyOf(Lookup):
    """``column = ANY(%s::type[])``: one array parameter instead of one placeholder per value.

    The bulk form of ``__in`` on PostgreSQL: a thousand ids cost one parameter (an array
    literal built here in one pass), not a thousand placeholders for Django to resolve
    and build and psycopg to split, adapt and quote.
    """

    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        items = value.items if isinstance(value, Values) else list(value)
        return "%s", [array_literal(items)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        field = self.lhs.output_field
        db_type = (field.target_field if field.is_relation else field).db_type(connection)
        return f"{lhs} = ANY({rhs}::{db_type}[])", [*lhs_params, *rhs_params]


class GenericAmong:
    def among(self, field: str, values: Iterable) -> Q:
        return Q(**{f"{field}__in": list(values)})


class PostgresAmong:
    def among(self, field: str, values: Iterable) -> Q:
        # The lookup used as an expression where it is needed: no field class is patched.
        return Q(AnyOf(F(field), Values(values)))


#: ``among``'s two forms.
among_seam: Seam[GenericAmong | PostgresAmong] = Seam(
    "core.among", generic=GenericAmong(), postgresql=PostgresAmong()
)


def among(field: str, values: Iterable) -> Q:
    """``Q(field__in=values)``, written ``= ANY(array)`` on PostgreSQL (see ``AnyOf``)."""
    return among_seam.impl.among(field, values)


def insert_or_nothing(obj: models.Model, *, conflict_field: str | None = None) -> bool:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING pk`` for one unsaved instance: True (and
    ``obj.pk`` set) when inserted, False when a unique constraint (``conflict_field``'s
    only, when given) already holds the row. One statement where ``create()`` in a
    savepoint is three; PostgreSQL and SQLite >= 3.35. Sends no model signals."""
    meta = obj._meta
    conn = transaction.get_connection()
    quote = conn.ops.quote_name
    # a generated column (``GeneratedField``) is the database's to compute
    fields = [f for f in meta.concrete_fields if not f.primary_key and not f.generated]
    values = [f.get_db_prep_save(f.pre_save(obj, add=True), conn) for f in fields]
    target = f"({quote(meta.get_field(conflict_field).column)}) " if conflict_field else ""
    # only quoted model metadata is formatted in; every value is a parameter
    sql = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT {}DO NOTHING RETURNING {}".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
        target,
        quote(meta.pk.column),
    )
    with conn.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding, obj._state.db = False, conn.alias
    return True
