"""The access log: who viewed or exported which person's personal data, and when.

Its own table (``buddy.AccessLogEntry``), apart from the application log; ids only.
Callers: the people API (``AccessLoggedViewSet``), the Person admin (``AccessLoggedAdmin``),
exports, and the pages that show people (``log_person_access(request, person)``,
``log_people_access(request, people)``: one line in the view).
"""

import functools
from collections.abc import Iterable

from django.db import connections, router
from django.utils import timezone

from buddy.models import AccessKind, AccessLogEntry
from core.db import Seam

_COLUMNS = ("at", "user", "kind", "person_id")


def access_log_record(*, user, kind: str, person_ids: Iterable[int]) -> int:
    """Record one access per person (one INSERT); returns how many were recorded.

    The rows go in as one plain ``INSERT`` of their four columns (``_insert``): ``bulk_create``
    built and read back 50 model instances for a page of people, a fifth of the people
    list's CPU (bench/README.md, API)."""
    user_id = user.pk if user is not None and user.is_authenticated else None
    ids = [int(pk) for pk in dict.fromkeys(person_ids) if pk is not None]
    if not ids:
        return 0
    connection = connections[router.db_for_write(AccessLogEntry)]
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    sql, params = _insert.impl.statement(connection, at, user_id, kind, ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return len(ids)


def _head(connection) -> str:
    table = connection.ops.quote_name(AccessLogEntry._meta.db_table)
    fields = [AccessLogEntry._meta.get_field(name) for name in _COLUMNS]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    return f"INSERT INTO {table} ({columns})"


class _GenericInsert:
    """A multi-row ``VALUES`` list: four parameters a person."""

    def statement(self, connection, at, user_id, kind, ids) -> tuple[str, list]:
        values = ", ".join(["(%s, %s, %s, %s)"] * len(ids))
        return f"{_head(connection)} VALUES {values}", [
            v for pk in ids for v in (at, user_id, kind, pk)
        ]


class _PostgresInsert:
    """The person ids as one array (``unnest``): four parameters whatever the page's size, so
    the statement's text is one (psycopg converts it once and prepares it; a 200-parameter
    ``VALUES`` list was converted anew on every page of people: psycopg caches statements of
    at most 50 parameters)."""

    def statement(self, connection, at, user_id, kind, ids) -> tuple[str, list]:
        return _unnest_sql(connection.alias), [at, user_id, kind, ids]


@functools.cache
def _unnest_sql(alias: str) -> str:
    connection = connections[alias]
    at, user, kind, person = (
        AccessLogEntry._meta.get_field(name).db_type(connection) for name in _COLUMNS
    )
    return f"{_head(connection)} SELECT %s::{at}, %s::{user}, %s::{kind}, unnest(%s::{person}[])"


_insert: "Seam[_GenericInsert | _PostgresInsert]" = Seam(
    "buddy.access_log_insert", generic=_GenericInsert(), postgresql=_PostgresInsert()
)


def log_person_access(request, person, kind: str = AccessKind.PAGE) -> None:
    """The one line a person page calls: ``log_person_access(request, person)``."""
    access_log_record(user=request.user, kind=kind, person_ids=[person.pk])


def log_people_access(request, people: Iterable, kind: str = AccessKind.PAGE) -> None:
    """The one line a page showing several people calls (a list's page, a match's two
    people): one entry per person, one INSERT."""
    access_log_record(user=request.user, kind=kind, person_ids=[p.pk for p in people])


class AccessLoggedViewSet:
    """Mixin for a viewset of people: each person serialized by ``list``/``retrieve`` is
    recorded (a list records the people of the page it answers)."""

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        action = getattr(self, "action", None)
        if args and action in ("list", "retrieve"):
            rows = args[0] if kwargs.get("many") else [args[0]]
            kind = AccessKind.API_LIST if action == "list" else AccessKind.API_DETAIL
            access_log_record(
                user=self.request.user, kind=kind, person_ids=[getattr(r, "pk", None) for r in rows]
            )
        return serializer


class AccessLoggedAdmin:
    """Mixin for the Person admin: opening a person's change view is recorded."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and str(object_id).isdigit():
            access_log_record(user=request.user, kind=AccessKind.ADMIN, person_ids=[int(object_id)])
        return response
