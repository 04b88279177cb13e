"""Admin of the enrollments app: programs (tunable), enrollments (read-only states).

Enrollment status and journey flags are derived data: never edited here. The
"record that the person left" and "recompute" actions go through the services.
"""

from django.contrib import admin, messages

from buddy.models import Enrollment, EnrollmentStatusChange, PendingRecompute, Program
from core.errors import DomainError
from enrollments import services
from enrollments.models import JourneyFlags


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "program_type", "supports_matching", "match_rate_target"]
    readonly_fields = ["program_type", "created_at", "updated_at"]
    search_fields = ["name", "program_type"]

    def has_add_permission(self, request):
        return False  # the four programs come from the templates (data migration)

    def has_delete_permission(self, request, obj=None):
        return False


class StatusChangeInline(admin.TabularInline):
    model = EnrollmentStatusChange
    fields = ["at", "from_status", "to_status", "reason", "by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    def has_add_permission(self, request, obj=None):
        return False


class JourneyFlagsInline(admin.StackedInline):
    model = JourneyFlags
    can_delete = False
    extra = 0

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in JourneyFlags._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["id", "person", "program", "status", "enrolled_at", "completed_at", "left_at"]
    list_filter = ["program", "status"]
    list_select_related = ["person", "program"]
    search_fields = ["=id", "=person__id", "person__external_ids__external_id"]
    readonly_fields = [
        "person",
        "program",
        "status",
        "enrolled_at",
        "completed_at",
        "left_at",
        "created_at",
        "updated_at",
    ]
    inlines = [JourneyFlagsInline, StatusChangeInline]
    actions = ["record_left", "recompute"]

    def has_add_permission(self, request):
        return False  # people are enrolled by the services (webhook, import, matching)

    @admin.action(description="Record that the person left the program (now)")
    def record_left(self, request, queryset):
        for enrollment in queryset:
            try:
                services.enrollment_record_left(enrollment=enrollment, by=request.user)
            except DomainError as error:
                self.message_user(request, f"#{enrollment.pk}: {error.message}", messages.ERROR)
                return
        self.message_user(request, f"{queryset.count()} enrollment(s) recorded as left.")

    @admin.action(description="Recompute status and journey flags")
    def recompute(self, request, queryset):
        changed = 0
        for program_id in queryset.values_list("program_id", flat=True).distinct():
            ids = queryset.filter(program_id=program_id).values_list("person_id", flat=True)
            changed += services.enrollments_recompute(
                program=Program.objects.get(pk=program_id), person_ids=list(ids)
            )
        self.message_user(request, f"Recomputed; {changed} status change(s).")


@admin.register(PendingRecompute)
class PendingRecomputeAdmin(admin.ModelAdmin):
    """The recompute queue, read-only: how many people wait and since when. A worker
    drains it moments after each change; rows that stay say the worker is not running."""

    list_display = ["id", "person_id", "program", "queued_at"]
    list_filter = ["program"]
    list_select_related = ["program"]
    date_hierarchy = "queued_at"
    actions = ["drain"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Drain the queue now (recompute the waiting people)")
    def drain(self, request, queryset):
        drained = services.enrollments_recompute_pending()
        self.message_user(request, f"Drained {drained} queued row(s).")
