"""The access log: who viewed or exported which person's personal data, and when.

Person id only (never a name, an email or free text), its own table apart from the
application log, viewed by superusers in the admin; no foreign key to ``Person``, so it
survives whatever happens to the person's row. (It moved here from ``privacy`` so that the
people pages and API, which write it, need nothing above the buddy app; the table keeps its
name.)
"""

from django.conf import settings
from django.db import models


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
        db_table = "privacy_accesslogentry"
        ordering = ["-at", "-id"]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"

    def __str__(self) -> str:
        return f"{self.kind} of person #{self.person_id}"
