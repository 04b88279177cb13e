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
