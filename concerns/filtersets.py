"""django-filter set of the cases list: ordering only. Its filters (program, status, …) are
parsed by the view for ``concerns.selectors.concern_list``; there is no text search, since a
restricted case shows only that it exists and a search hit would tell its text."""

from buddy.filtersets import Ordering, ScopedFilterSet
from concerns.models import Concern


class ConcernFilterSet(ScopedFilterSet):
    ordering = Ordering(fields=["id", "opened_at", "respond_by", "updated_at"])

    class Meta:
        model = Concern
        fields: list[str] = []
