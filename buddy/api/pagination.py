"""Pagination of every API list: limit/offset with a maximum page size.

``?limit=`` above ``API_MAX_PAGE_SIZE`` is served as that maximum (DRF's ``max_limit``), so
no request reads a whole table; the maximum is in the OpenAPI schema. A ``limit`` or
``offset`` beyond what the database can take is answered 400 naming the parameter.
"""

from django.conf import settings
from rest_framework import pagination
from rest_framework.exceptions import NotFound

from core.errors import FieldError, ValidationFailed

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
    """Large, growing tables (activities, events, deliveries): an opaque cursor, newest
    first, ``?limit=`` up to ``API_MAX_PAGE_SIZE``; a page costs the same deep in the
    table as at its start (no OFFSET).

    The order is the queryset's (the filter set's ``?ordering=`` or the view's
    ``order_by``), else newest id first, always ending on the id so that rows with the same
    value keep one order. The cursor holds the first column's value: the filter sets of
    cursor-paginated lists offer only never-null columns."""

    ordering = "-id"
    page_size_query_param = "limit"

    def decode_cursor(self, request):
        """A cursor that is not one of ours is a 400 naming it (DRF answers 404)."""
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationFailed(
                [FieldError(self.cursor_query_param, "invalid cursor")]
            ) from None

    def get_ordering(self, request, queryset, view):
        ordering = tuple(str(f) for f in queryset.query.order_by)
        if not ordering:
            return (self.ordering,)
        if not any(f.lstrip("-") in ("id", "pk") for f in ordering):
            ordering += ("-id" if ordering[0].startswith("-") else "id",)
        return ordering

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
