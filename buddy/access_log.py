"""The access log: who viewed or exported which person's personal data, and when.

Its own table (``buddy.AccessLogEntry``), apart from the application log; ids only.
Callers: the people API (``AccessLoggedViewSet``), the Person admin (``AccessLoggedAdmin``),
exports, and the pages that show people (``log_person_access(request, person)``,
``log_people_access(request, people)``: one line in the view).
"""

from collections.abc import Iterable

from django.db import connections, router
from django.utils import timezone

from buddy.models import AccessKind, AccessLogEntry


def access_log_record(*, user, kind: str, person_ids: Iterable[int]) -> int:
    """Record one access per person (one INSERT); returns how many were recorded.

    The rows go in as one plain multi-row ``INSERT`` of their four columns: ``bulk_create``
    built and read back 50 model instances for a page of people, a fifth of the people
    list's CPU (bench/README.md, API)."""
    user_id = user.pk if user is not None and user.is_authenticated else None
    ids = [int(pk) for pk in dict.fromkeys(person_ids) if pk is not None]
    if not ids:
        return 0
    connection = connections[router.db_for_write(AccessLogEntry)]
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    table = connection.ops.quote_name(AccessLogEntry._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(ids))
    params = [v for pk in ids for v in (at, user_id, kind, pk)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (at, user_id, kind, person_id) VALUES {values}",  # noqa: S608 - our table, placeholders
            params,
        )
    return len(ids)


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
