"""Imports of Buddy System exports and their reports."""

from django.conf import settings
from django.db import models

from buddy.models.base import TimeStampedModel, choices_check


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ImportRun(TimeStampedModel):
    """One import of an export: who started it, when, which file, its progress and report.

    The report holds counts, warnings as ``file:line: reason`` lines, rejections as
    ``{file, line, path, code, message}`` (the refusing rule's code, as the API's and the
    webhooks') and the post-import flags; none of it carries an email, a name or free text.
    """

    program = models.ForeignKey(
        "buddy.Program", on_delete=models.PROTECT, related_name="import_runs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_runs",
        help_text="Empty when started from the command line.",
    )
    file_name = models.CharField(max_length=255, help_text="The export's file or folder name.")
    file_path = models.CharField(
        max_length=1000,
        blank=True,
        help_text="Where the export waits for the worker; cleared once an upload is imported.",
    )
    dry_run = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    progress = models.JSONField(
        default=dict, blank=True, help_text='{"users": {"done": 10, "total": 20}, …}'
    )
    counts = models.JSONField(
        default=dict, blank=True, help_text="Per entity: created, updated, unchanged, rejected."
    )
    warnings = models.JSONField(default=list, blank=True)
    rejections = models.JSONField(
        default=list,
        blank=True,
        help_text='One {"file", "line", "path", "code", "message"} per rejected row '
        '("index" instead of "line" in the JSON form).',
    )
    merges = models.JSONField(default=list, blank=True, help_text="People merged (ids only).")
    flags = models.JSONField(default=dict, blank=True, help_text="Post-import data-quality flags.")
    enrollments_changed = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=60, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "import run"
        constraints = [choices_check("status", ImportStatus.choices)]
        indexes = [models.Index(fields=["status", "created_at"], name="buddy_importrun_status")]

    def __str__(self) -> str:
        return f"Import #{self.pk} ({self.status})"

    @property
    def rows_done(self) -> int:
        return sum(p.get("done", 0) for p in self.progress.values())

    @property
    def rows_total(self) -> int:
        return sum(p.get("total", 0) for p in self.progress.values())


class ImportedSection(models.Model):
    """What importing one entity of an export into a program last gave, to replay when the
    same section is imported again into an unchanged database (``webhooks.imports.settled``).

    ``digest``: the section's raw bytes, the export's form, the importer's code and
    settings. ``fingerprint``: the tables the section reads and writes, as they were right
    after it (PostgreSQL row versions). ``report``: what a full re-import of the section
    into that state reports (counts, warnings, rejections, the people it names).
    """

    program = models.ForeignKey(
        "buddy.Program", on_delete=models.CASCADE, related_name="imported_sections"
    )
    entity = models.CharField(max_length=40)
    digest = models.BinaryField(max_length=32)
    fingerprint = models.BinaryField(max_length=32)
    report = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "entity"], name="imported_section_program_entity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity} of program {self.program_id}"
