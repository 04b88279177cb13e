"""Admin for everything that happens in a program: events, attendances, skill sessions,
check-ins, feedback and milestones. Each searches by id or by its Buddy System id."""

from django.contrib import admin

from buddy.admin.common import AuditReadOnlyMixin, KeySearchMixin
from buddy.models import (
    CheckIn,
    EventAttendance,
    Feedback,
    InformalEvent,
    MilestoneAchievement,
    SkillSession,
)
from buddy.selectors import NEGATIVE_RATING


class ActivityAdmin(KeySearchMixin, AuditReadOnlyMixin, admin.ModelAdmin):
    """Shared shape: key search, read-only audit columns, the newest first."""

    list_filter = ("source",)
    search_help_text = "An id or a Buddy System id."
    uuid_search_fields = ("external_id",)


@admin.register(InformalEvent)
class InformalEventAdmin(ActivityAdmin):
    list_display = ("id", "event_type", "event_date", "match", "location", "duration_minutes")
    list_filter = ("event_type", "source")
    list_select_related = ("match",)
    date_hierarchy = "event_date"
    search_fields = ("event_type", "location")
    search_help_text = "An id, a Buddy System id, an event type or a location."
    autocomplete_fields = ("match",)


@admin.register(EventAttendance)
class EventAttendanceAdmin(ActivityAdmin):
    list_display = (
        "id",
        "event_title",
        "event_type",
        "event_format",
        "attended_at",
        "person",
        "match",
    )
    list_filter = ("event_type", "event_format", "source")
    list_select_related = ("person", "match")
    date_hierarchy = "attended_at"
    search_fields = ("event_title",)
    search_help_text = "An id, the event's Buddy System id or its title."
    uuid_search_fields = ("event_external_id",)
    autocomplete_fields = ("person", "match")


@admin.register(SkillSession)
class SkillSessionAdmin(ActivityAdmin):
    list_display = (
        "id",
        "skill_name",
        "skill_category",
        "teacher",
        "learner",
        "completed_at",
        "learner_rating",
        "learner_progress",
    )
    list_filter = ("skill_category", "format", "learner_progress", "source")
    list_select_related = ("teacher", "learner")
    date_hierarchy = "completed_at"
    search_fields = ("skill_name",)
    search_help_text = "An id, a Buddy System id or a skill."
    autocomplete_fields = ("teacher", "learner", "match")


@admin.register(CheckIn)
class CheckInAdmin(ActivityAdmin):
    list_display = ("id", "match", "checkin_date", "mood")
    list_filter = ("mood", "source")
    list_select_related = ("match",)
    date_hierarchy = "checkin_date"
    search_fields = ("=mood",)
    autocomplete_fields = ("match",)


class NegativeRatingFilter(admin.SimpleListFilter):
    title = "rating"
    parameter_name = "negative"

    def lookups(self, request, model_admin):
        return (("yes", f"below {NEGATIVE_RATING}"), ("no", f"{NEGATIVE_RATING} or more"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(rating__lt=NEGATIVE_RATING)
        if self.value() == "no":
            return queryset.filter(rating__gte=NEGATIVE_RATING)
        return queryset


@admin.register(Feedback)
class FeedbackAdmin(ActivityAdmin):
    list_display = ("id", "match", "from_role", "rating", "submitted_at", "communication")
    list_filter = ("from_role", NegativeRatingFilter, "source")
    list_select_related = ("match",)
    date_hierarchy = "submitted_at"
    search_fields = ("=from_role",)
    autocomplete_fields = ("match",)


@admin.register(MilestoneAchievement)
class MilestoneAchievementAdmin(ActivityAdmin):
    list_display = (
        "id",
        "milestone_title",
        "milestone_category",
        "person",
        "reached_at",
        "points",
    )
    list_filter = ("milestone_category", "target_role", "source")
    list_select_related = ("person",)
    date_hierarchy = "reached_at"
    search_fields = ("milestone_title",)
    search_help_text = "An id or a milestone title."
    uuid_search_fields = ()
    autocomplete_fields = ("person",)
