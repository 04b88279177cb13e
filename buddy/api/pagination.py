"""Pagination of every API list: limit/offset with a maximum page size.

``?limit=`` above ``API_MAX_PAGE_SIZE`` is served as that maximum (DRF's ``max_limit``), so
no request reads a whole table; the maximum is in the OpenAPI schema. A ``limit`` or
``offset`` beyond what the database can take is answered 400 naming the parameter.
"""

import base64
import collections
import datetime
import functools
import json
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q
from django.db.models.query import BaseIterable
from rest_framework import pagination
from rest_framework.utils.urls import replace_query_param

from buddy.api.serializers import lean_row_attributes
from core.errors import FieldError, ValidationFailed
from core.pii import personal_field_names

#: PostgreSQL's LIMIT/OFFSET are bigints; anything near that is a mistake, not a page.
_LARGEST = 2**31 - 1


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    @property
    def max_limit(self) -> int:
        return settings.API_MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        for name in (self.limit_query_param, self.offset_query_param):
            raw = request.query_params.get(name, "")
            if raw.isdigit() and (len(raw) > 10 or int(raw) > _LARGEST):
                raise ValidationFailed([FieldError(name, f"must be at most {_LARGEST}")])
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"] = {
                    **parameter["schema"],
                    "minimum": 1,
                    "maximum": self.max_limit,
                }
                parameter["description"] = (
                    f"Number of results to return per page (default {self.default_limit}, "
                    f"at most {self.max_limit})."
                )
        return parameters


class CursorPagination(pagination.CursorPagination):
    """Large, growing tables (people, matches, enrollments, activities, events, deliveries):
    an opaque cursor, ``?limit=`` up to ``API_MAX_PAGE_SIZE``, no ``COUNT``; a page costs the
    same deep in the table as at its start (a keyset: no OFFSET).

    The order is the queryset's (the filter set's ``?ordering=`` or the view's
    ``order_by``), else newest id first, always ending on the id so that every row has one
    place. The cursor holds the values of every ordering column of the row it follows (a
    NULL sorts as the largest value, as in PostgreSQL, on every database) and the ordering
    it was made for; ordered by a personal column (``core.pii``), only the row's id, the
    values read from the row (a name in a URL would be in every access log). A cursor that
    is not one of ours, made for another ordering or after a row since erased is a 400
    naming ``cursor``."""

    ordering = "-id"
    page_size_query_param = "limit"

    def get_ordering(self, request, queryset, view):
        ordering = tuple(str(f) for f in queryset.query.order_by)
        if not ordering:
            return (self.ordering,)
        if not any(f.lstrip("-") in ("id", "pk") for f in ordering):
            ordering += ("-id" if ordering[0].startswith("-") else "id",)
        return ordering

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.model = queryset.model
        self.keys = [_Key.of(queryset.model, name) for name in self.ordering]
        values, self.reverse = self._decode(request)
        queryset = queryset.order_by(*(key.order(self.reverse) for key in self.keys))
        if values is not None:
            queryset = queryset.filter(_after(self.keys, values, self.reverse))
        rows = list(self._rows(queryset, view)[: self.page_size + 1])
        more = len(rows) > self.page_size
        self.page = rows[: self.page_size][:: -1 if self.reverse else 1]
        self.has_next = more if not self.reverse else bool(self.page)
        self.has_previous = more if self.reverse else values is not None and bool(self.page)
        return self.page

    def _rows(self, queryset, view):
        """The page's rows as named tuples of their columns and annotations (``PlainRows``)
        when the view's serializer reads nothing else (``lean_row_attributes``: a lean
        page of plain values, read by the same readers), else as model instances. A model
        instance costs more than its row's values (Django's ``Model.__init__``, a
        descriptor per foreign key: a sixth of a matches request)."""
        serializer_class = view.get_serializer_class() if view is not None else None
        attributes = serializer_class and lean_row_attributes(serializer_class)
        if not attributes or not PlainRows.can_read(queryset):
            return queryset
        columns = {field.attname for field in queryset.model._meta.concrete_fields}
        if not set(attributes) <= columns | set(queryset.query.annotation_select):
            return queryset
        plain = queryset._chain()
        plain._iterable_class = PlainRows
        return plain

    def get_next_link(self):
        return self._link(self.page[-1], reverse=False) if self.has_next else None

    def get_previous_link(self):
        return self._link(self.page[0], reverse=True) if self.has_previous else None

    def _link(self, row, *, reverse: bool) -> str:
        token = cursor_for(row, self.ordering, reverse=reverse, model=self.model)
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def _values_of(self, pk) -> list:
        """The ordering values of the row a cursor follows, read from the row (one statement:
        the values themselves are personal data and stay out of URLs and logs)."""
        names = [key.name for key in self.keys]
        row = self.model._base_manager.filter(pk=pk).values_list(*names).first()
        if row is None:
            raise _RowGone
        return list(row)

    def _decode(self, request) -> tuple[list | None, bool]:
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None, False
        try:
            payload = json.loads(base64.urlsafe_b64decode(raw.encode("ascii")))
            ordering, dumped, reverse = payload["o"], payload["v"], payload["r"]
            if ordering != list(self.ordering):
                raise _OtherOrdering
            if reverse not in (0, 1):
                raise ValueError
            if dumped is None:  # an order by personal values: the row's id only
                values = self._values_of(_Key(self.model._meta.pk, False).load(payload["id"]))
            elif not isinstance(dumped, list) or len(dumped) != len(self.keys):
                raise ValueError
            else:
                values = [key.load(value) for key, value in zip(self.keys, dumped, strict=True)]
        except _OtherOrdering:
            message = "the cursor was made for another ordering: start again without it"
            raise ValidationFailed([FieldError(self.cursor_query_param, message)]) from None
        except _RowGone:
            message = "the row the cursor follows is gone: start again without it"
            raise ValidationFailed([FieldError(self.cursor_query_param, message)]) from None
        except (ValueError, TypeError, KeyError, UnicodeError, DjangoValidationError):
            raise ValidationFailed(
                [FieldError(self.cursor_query_param, "invalid cursor")]
            ) from None
        return values, bool(reverse)

    @property
    def max_page_size(self) -> int:
        return settings.API_MAX_PAGE_SIZE

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    **parameter["schema"],
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
                parameter["description"] = (
                    f"Number of results to return per page (default {self.page_size}, "
                    f"at most {self.max_page_size})."
                )
        return parameters


class PlainRows(BaseIterable):
    """A queryset's rows as named tuples of its model's columns (by attribute name:
    ``participant_id``) and its annotations, converted as for its model instances (the
    same compiler, the same converters) but without making them: what Django's
    ``ModelIterable`` reads, less ``Model.__init__``. For a queryset of the model's own
    columns (``can_read``: no related rows, deferred columns, extra or distinct columns)."""

    @staticmethod
    def can_read(queryset) -> bool:
        query = queryset.query
        return (
            queryset._fields is None
            and not queryset._prefetch_related_lookups
            and not query.select_related
            and not query.extra_select
            and not query.distinct
            and query.deferred_loading == (frozenset(), True)
        )

    def __iter__(self):
        queryset = self.queryset
        compiler = queryset.query.get_compiler(queryset.db)
        results = compiler.execute_sql(chunked_fetch=self.chunked_fetch, chunk_size=self.chunk_size)
        names = [None] * len(compiler.select)
        for index in compiler.klass_info["select_fields"]:
            names[index] = compiler.select[index][0].target.attname
        for name, index in compiler.annotation_col_map.items():
            names[index] = name
        row_class = _row_class(tuple(names))
        make = tuple.__new__
        for row in compiler.results_iter(results):
            yield make(row_class, row)


@functools.lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type:
    return collections.namedtuple("Row", names)


def cursor_for(row, ordering, *, reverse: bool = False, model=None) -> str:
    """The cursor of the page after ``row`` (before it: ``reverse``) in ``ordering`` (the
    paginator's: the id last), e.g. for a client or a benchmark that starts deep. ``row``
    is a model instance or, with its ``model``, a row of its ordering columns."""
    model = model or type(row)
    keys = [_Key.of(model, name) for name in ordering]
    payload = {"o": list(ordering), "v": [key.dump(row) for key in keys], "r": int(reverse)}
    if any(key.personal for key in keys):  # a name in a URL would be in every access log
        pk = getattr(row, model._meta.pk.attname)
        payload = {"o": list(ordering), "v": None, "id": pk, "r": int(reverse)}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


class _OtherOrdering(Exception):
    pass


class _RowGone(Exception):
    pass


class _Key:
    """One ordering column of a keyset page: its name, direction and whether it holds NULLs
    (which sort as its largest value: last ascending, first descending)."""

    def __init__(self, field, descending: bool) -> None:
        self.field, self.name, self.descending = field, field.attname, descending
        self.nullable = field.null
        self.personal = field.name in personal_field_names(field.model)

    @classmethod
    def of(cls, model, spec: str) -> "_Key":
        name = spec.lstrip("-")
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        return cls(field, spec.startswith("-"))

    def _descending(self, reverse: bool) -> bool:
        return self.descending != reverse

    def order(self, reverse: bool):
        descending = self._descending(reverse)
        if not self.nullable:
            return f"-{self.name}" if descending else self.name
        column = F(self.name)  # explicit NULL placement: SQLite's default is the other way
        return column.desc(nulls_first=True) if descending else column.asc(nulls_last=True)

    def dump(self, row):
        value = getattr(row, self.name)
        if isinstance(value, datetime.datetime | datetime.date | datetime.time):
            return value.isoformat()
        if isinstance(value, Decimal | uuid.UUID):
            return str(value)
        return value

    def load(self, value):
        if value is None:
            if not self.nullable:
                raise ValueError
            return None
        if not isinstance(value, str | int | float | bool):
            raise ValueError
        return self.field.to_python(value)

    def equal(self, value) -> Q:
        return Q(**{f"{self.name}__isnull": True}) if value is None else Q(**{self.name: value})

    def after(self, value, reverse: bool) -> Q | None:
        """The rows after ``value`` in this column's order (None: there are none)."""
        descending = self._descending(reverse)
        if value is None:  # the largest: only a descending order has rows after it
            return Q(**{f"{self.name}__isnull": False}) if descending else None
        if descending:
            return Q(**{f"{self.name}__lt": value})
        after = Q(**{f"{self.name}__gt": value})
        return after | Q(**{f"{self.name}__isnull": True}) if self.nullable else after

    def bound(self, value, reverse: bool) -> Q | None:
        """A plain range on the first column (an index condition, so that a deep page does
        not read the rows before it), where one exists."""
        if value is None:
            return None
        if self._descending(reverse):
            return Q(**{f"{self.name}__lte": value})
        return None if self.nullable else Q(**{f"{self.name}__gte": value})


def _after(keys: list[_Key], values: list, reverse: bool) -> Q:
    """The rows after the cursor's row: lexicographically over the ordering columns."""
    condition, equal = None, Q()
    for key, value in zip(keys, values, strict=True):
        after = key.after(value, reverse)
        if after is not None:
            term = equal & after
            condition = term if condition is None else condition | term
        equal &= key.equal(value)
    condition = condition if condition is not None else Q(pk__in=[])
    bound = keys[0].bound(values[0], reverse)
    return condition if bound is None else bound & condition
