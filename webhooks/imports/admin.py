"""Admin list of import runs: who, when, which file, counts, warnings, rejections, flags.

Registered with ``@admin.register``; ``webhooks/admin.py`` imports this module. Runs are
read-only here: imports start from the upload API or the management command. Settled
sections (``webhooks.imports.settled``) are listed read-only too; deleting one makes the next
import of that section run in full.
"""

import json

from django.contrib import admin
from django.utils.html import format_html

from buddy.models import ImportedSection, ImportRun
from webhooks.imports.report import flag_lines, rejection_text


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "created_by",
        "file_name",
        "program",
        "status",
        "dry_run",
        "rows",
        "rejected",
        "warning_count",
        "duration_seconds",
    )
    list_filter = ("status", "program", "dry_run")
    date_hierarchy = "created_at"
    list_select_related = ("program", "created_by")
    search_fields = ("file_name",)
    fields = (
        "status",
        "program",
        "file_name",
        "dry_run",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "duration_seconds",
        "error_code",
        "error",
        "counts_table",
        "flags_list",
        "enrollments_changed",
        "merges_list",
        "warnings_list",
        "rejections_list",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="rows")
    def rows(self, run: ImportRun) -> str:
        return f"{run.rows_done}/{run.rows_total}"

    @admin.display(description="rejected")
    def rejected(self, run: ImportRun) -> int:
        return sum(c.get("rejected", 0) for c in run.counts.values())

    @admin.display(description="warnings")
    def warning_count(self, run: ImportRun) -> int:
        return len(run.warnings)

    @admin.display(description="counts")
    def counts_table(self, run: ImportRun) -> str:
        return _pre(json.dumps(run.counts, indent=2))

    @admin.display(description="flags")
    def flags_list(self, run: ImportRun) -> str:
        return _pre("\n".join(flag_lines(run.flags)) if run.flags else "")

    @admin.display(description="merged people")
    def merges_list(self, run: ImportRun) -> str:
        return _pre("\n".join(run.merges))

    @admin.display(description="warnings")
    def warnings_list(self, run: ImportRun) -> str:
        return _pre("\n".join(run.warnings))

    @admin.display(description="rejections")
    def rejections_list(self, run: ImportRun) -> str:
        return _pre("\n".join(rejection_text(r) for r in run.rejections))


def _pre(text: str) -> str:
    return format_html("<pre>{}</pre>", text)


@admin.register(ImportedSection)
class ImportedSectionAdmin(admin.ModelAdmin):
    """What the last import of each section gave (read only). Delete a record to make the
    next import of that section validate and write every row again."""

    list_display = ("program", "entity", "updated_at", "rows")
    list_filter = ("program", "entity")
    list_select_related = ("program",)
    fields = ("program", "entity", "updated_at", "rows")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="rows")
    def rows(self, section: ImportedSection) -> int:
        return section.report.get("counts", {}).get("total", 0)
