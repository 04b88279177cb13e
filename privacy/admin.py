"""The access log and the erasure records: read-only, superusers only."""

from django.contrib import admin

from buddy.models import AccessLogEntry
from privacy.models import Erasure


class SuperuserReadOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(SuperuserReadOnly):
    list_display = ("at", "user", "kind", "person_id")
    list_filter = ("kind",)
    search_fields = ("=person_id", "user__username")
    date_hierarchy = "at"
    list_select_related = ("user",)


@admin.register(Erasure)
class ErasureAdmin(SuperuserReadOnly):
    list_display = ("erased_at", "person_id", "erased_by", "via")
    list_filter = ("via",)
    search_fields = ("=person_id",)
    list_select_related = ("erased_by",)
