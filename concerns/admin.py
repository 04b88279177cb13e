"""Cases in the admin: read and filter; every change goes through the API's service calls."""

from django.contrib import admin

from concerns.models import Concern, ConcernMeeting, ConcernStep


class MeetingInline(admin.TabularInline):
    model = ConcernMeeting
    extra = 0
    can_delete = False
    readonly_fields = ["held_at", "notes", "agreed_actions", "by"]


class StepInline(admin.TabularInline):
    model = ConcernStep
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "at", "by", "detail"]


@admin.register(Concern)
class ConcernAdmin(admin.ModelAdmin):
    list_display = ["id", "program", "category", "severity", "status", "respond_by", "outcome"]
    list_filter = ["program", "status", "category", "severity", "source"]
    inlines = [MeetingInline, StepInline]
    readonly_fields = [f.name for f in Concern._meta.fields]

    def has_add_permission(self, request):
        return False
