"""The record of erasures done: person id only (never a name, an email or free text), and no
foreign key to ``Person``, so the export and erasure walks (``privacy.graph``) never treat it
as data about the person. (The access log is ``buddy.models.access_log``.)
"""

from django.conf import settings
from django.db import models


class Erasure(models.Model):
    """One erasure of a person's personal data (irreversible): who, when, which person."""

    person_id = models.PositiveIntegerField(unique=True, help_text="The erased person's id.")
    erased_at = models.DateTimeField()
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: the command line or a retention rule.",
    )
    via = models.CharField(max_length=20, help_text="api, page, command or retention.")
    rows = models.JSONField(default=dict, help_text="Rows changed per model (counts only).")

    class Meta:
        ordering = ["-erased_at", "-id"]
        permissions = [("erase_person", "Can erase a person's personal data")]

    def __str__(self) -> str:
        return f"Erasure of person #{self.person_id}"
