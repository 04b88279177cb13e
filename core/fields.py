"""Model fields that mark personal data.

Every column that may hold personal data (names, emails, free text written by
participants and buddies) uses one of these fields. ``core.pii`` finds them by
introspection, so logging, exports and erasure have one list to work from and a
new column cannot be forgotten there.
"""

from django.db import models


class PersonalDataMixin:
    """Marks a field as holding personal data (GDPR)."""

    contains_personal_data = True


class PersonalCharField(PersonalDataMixin, models.CharField):
    """A short text that identifies or describes a person (names)."""


class PersonalEmailField(PersonalDataMixin, models.EmailField):
    """An email address."""


class PersonalTextField(PersonalDataMixin, models.TextField):
    """Free text written by or about a person (notes, feedback, comments, descriptions)."""


class PersonEntriesJSONField(models.JSONField):
    """A JSON list of objects, each about one person named by id under ``person_key``, with
    free text under ``text_keys`` (at any depth): ``RecommendationRun.unmatched``.

    ``privacy.graph`` finds the rows with an entry about a person by this type, as it finds
    foreign keys to ``Person``: the export hands the person their entries only, the erasure
    replaces the texts of their entries (ids, codes and counts stay). For migrations and the
    database it is a plain ``JSONField`` (``deconstruct``): nothing to migrate.
    """

    def __init__(self, *args, person_key: str = "person_id", text_keys=("text",), **kwargs):
        self.person_key = person_key
        self.text_keys = tuple(text_keys)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs

    def entries_about(self, value, person_id: int) -> list:
        """The entries of ``value`` (the column's value) about the person."""
        if not isinstance(value, list):
            return []
        return [e for e in value if isinstance(e, dict) and e.get(self.person_key) == person_id]

    def texts_replaced(self, value, person_id: int, placeholder: str) -> list:
        """``value`` with the free texts of the person's entries replaced by ``placeholder``."""
        if not isinstance(value, list):
            return value
        return [
            self._replace(e, placeholder)
            if isinstance(e, dict) and e.get(self.person_key) == person_id
            else e
            for e in value
        ]

    def _replace(self, value, placeholder: str):
        if isinstance(value, dict):
            return {
                k: placeholder
                if k in self.text_keys and isinstance(v, str) and v
                else self._replace(v, placeholder)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._replace(v, placeholder) for v in value]
        return value
