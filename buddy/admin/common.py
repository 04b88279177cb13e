"""Building blocks shared by the buddy admin classes."""

from uuid import UUID

from django.db.models import Q

from buddy.models import DataSource
from core.errors import DomainError


def as_uuid(term: str) -> UUID | None:
    try:
        return UUID(term)
    except ValueError:
        return None


class KeySearchMixin:
    """Search a changelist by key first, by text second.

    A number finds the row with that id; a UUID finds the rows whose
    ``uuid_search_fields`` hold it (indexed, exact). Anything else falls back to
    Django's ``search_fields``. An exact id never needs a name to be typed.
    """

    uuid_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().lstrip("#")
        if term.isdigit():
            return queryset.filter(pk=int(term)), False
        uuid = as_uuid(term)
        if uuid is not None and self.uuid_search_fields:
            condition = Q()
            for name in self.uuid_search_fields:
                condition |= Q(**{name: uuid})
            joins = any("__" in name for name in self.uuid_search_fields)
            return queryset.filter(condition), joins
        return super().get_search_results(request, queryset, search_term)


class AuditReadOnlyMixin:
    """Audit columns are never edited by hand."""

    audit_fields: tuple[str, ...] = ("source", "created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        names = {f.name for f in self.model._meta.get_fields()}
        return fields + [f for f in self.audit_fields if f in names and f not in fields]

    def save_model(self, request, obj, form, change):
        # A row typed in by staff is a coordinator's row; its source is not a form field.
        if not change and hasattr(obj, "source") and not obj.source:
            obj.source = DataSource.COORDINATOR
        super().save_model(request, obj, form, change)


class ServiceRefusalMixin:
    """A refusal raised by the service that saves the form (a ``DomainError``) is shown on
    the form the coordinator submitted, input kept, instead of an error page.

    The admin's transaction has rolled back whole when the refusal comes out of the view;
    the view then runs once more with a form that carries the service's message as its
    error (so it is not valid and nothing is saved the second time)."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as refusal:
            request.service_refusal = refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "service_refusal", None)
        if refusal is None:
            return form

        class Refused(form):
            def clean(self):
                cleaned = super().clean()
                for field, message in refusal_errors(refusal, self.fields):
                    self.add_error(field, message)
                return cleaned

        Refused.__name__ = form.__name__
        return Refused


def refusal_errors(refusal: DomainError, fields) -> list[tuple[str | None, str]]:
    """A refusal as form errors: each field error on the form field its path starts with
    (or on the form, path included), else the refusal's code and message on the form."""
    if not refusal.errors:
        return [(None, str(refusal))]  # "code: message", as the admin's actions show it
    # a rule's refusal names its code (as the API's body does); a validation error its field
    code = "" if refusal.code == "validation.failed" else f"{refusal.code}: "
    found = []
    for error in refusal.errors:
        head = error.path.split(".")[0]
        if head in fields and head == error.path:
            found.append((head, code + error.message))
        elif head in fields:
            found.append((head, f"{code}{error.path.removeprefix(head + '.')}: {error.message}"))
        else:
            where = f"{error.path}: " if error.path else ""
            found.append((None, f"{code}{where}{error.message}"))
    return found
