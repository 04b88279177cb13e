"""Records of the personal data rights: erasures done and accesses to personal data.

Both name people by id only (never a name, an email or free text) and are kept apart from
the application log: the access log is its own table, viewed by superusers in the admin.
Neither has a foreign key to ``Person``, so the export and erasure walks (``privacy.graph``)
never treat them as data about the person and they survive whatever happens to the row.
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


class AccessKind(models.TextChoices):
    API_DETAIL = "api_detail", "API detail"
    API_LIST = "api_list", "API list"
    PAGE = "page", "Page"
    EXPORT = "export", "Export"
    ADMIN = "admin", "Admin change view"


class AccessLogEntry(models.Model):
    """Someone viewed or exported a person's personal data (person id only)."""

    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: the command line.",
    )
    kind = models.CharField(max_length=20, choices=AccessKind.choices)
    person_id = models.PositiveIntegerField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"

    def __str__(self) -> str:
        return f"{self.kind} of person #{self.person_id}"
