"""Admin for everything that happens in a program: events, attendances, skill sessions,
check-ins, feedback and milestones. Each searches by id or by its Buddy System id.

A row added or changed here is saved by the service the webhook and the import call
(``buddy.services.activities``), with the values validated by the same schema
(``buddy.schemas``): the same rules and messages, and the same recompute of the people's
enrollments once it commits. Key fields are fixed once the row exists; derived fields
(the unknown weak references) are never edited by hand.
"""

import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin

from buddy.admin.common import AuditReadOnlyMixin, KeySearchMixin, ServiceRefusalMixin
from buddy.models import (
    CheckIn,
    DataSource,
    EventAttendance,
    Feedback,
    InformalEvent,
    MilestoneAchievement,
    SkillSession,
)
from buddy.schemas import (
    AttendanceRecord,
    CheckInRecord,
    FeedbackRecord,
    InformalEventRecord,
    MilestoneRecord,
    Schema,
    SkillSessionRecord,
    validate_record,
)
from buddy.selectors import NEGATIVE_RATING
from buddy.services import activities
from buddy.services.common import person_buddy_system_ids
from core.errors import FieldError, ValidationFailed

NO_BUDDY_SYSTEM_ID = "has no Buddy System id (activities name the Buddy System's ids)"


class RecordForm(forms.ModelForm):
    """Validates the row as the schema of its webhook and import would (``record``)."""

    admin: "ActivityAdmin"

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned

        def value(name: str) -> Any:
            return cleaned[name] if name in cleaned else getattr(self.instance, name)

        try:
            self.record = self.admin.record_of(value)
        except ValidationFailed as exc:
            for error in exc.errors:
                field = self._field_of(error.path)
                self.add_error(field, error.message if field else str_of(error))
        return cleaned

    def _field_of(self, path: str) -> str | None:
        """The form field a schema path names (``feedback.teacher_rating`` → its column)."""
        parts = path.split(".")
        for candidate in (self.admin.paths.get(path), self.admin.paths.get(parts[0])):
            if candidate in self.fields:
                return candidate
        return next((p for p in reversed(parts) if p in self.fields), None)


def str_of(error: FieldError) -> str:
    return f"{error.path}: {error.message}" if error.path else error.message


def match_id(match) -> Any:
    if match is None:
        return None
    if match.external_id is None:
        raise ValidationFailed([FieldError("match", f"This match {NO_BUDDY_SYSTEM_ID}.")])
    return match.external_id


def user_id(person, field: str) -> Any:
    found = person_buddy_system_ids([person.pk]).get(person.pk)
    if found is None:
        raise ValidationFailed([FieldError(field, f"This person {NO_BUDDY_SYSTEM_ID}.")])
    return found


def blank_as_none(data: dict) -> dict:
    """Form fields give "" for an empty optional text; the schemas take None."""
    return {k: (None if v == "" else v) for k, v in data.items()}


class ActivityAdmin(ServiceRefusalMixin, KeySearchMixin, AuditReadOnlyMixin, admin.ModelAdmin):
    """Shared shape: key search, read-only audit columns, the newest first; saved by
    ``service`` from a ``schema`` record built by ``record_data``."""

    list_filter = ("source",)
    search_help_text = "An id or a Buddy System id."
    uuid_search_fields = ("external_id",)
    form = RecordForm

    schema: type[Schema]
    #: The service that records one row (``buddy.services.activities``).
    service: Callable[..., Any]
    #: The row's key in the contract: fixed once the row exists.
    key_fields: tuple[str, ...] = ("external_id",)
    #: Set by the service from other values: never a form field.
    derived_fields: tuple[str, ...] = ()
    #: Schema path → form field, where their names differ.
    paths: dict[str, str] = {}

    def record_data(self, value: Callable[[str], Any]) -> dict:
        raise NotImplementedError

    def record_of(self, value: Callable[[str], Any]) -> Schema:
        return validate_record(self.schema, blank_as_none(self.record_data(value)))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        fields += [f for f in self.derived_fields if f not in fields]
        if obj is not None:
            fields += [f for f in self.key_fields if f not in fields]
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.admin = self
        return form

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if "external_id" in self.key_fields:  # a new row's own id, as the Buddy System's are
            initial.setdefault("external_id", uuid.uuid4())
        return initial

    def save_model(self, request, obj, form, change):
        saved = self.service(record=form.record, via=DataSource.COORDINATOR).obj
        obj.pk, obj.source = saved.pk, saved.source
        obj._state.adding = False

    # Deleting queues the recompute of the people the rows named (``activities_delete``).
    def delete_model(self, request, obj):
        activities.activities_delete(rows=type(obj).objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        activities.activities_delete(rows=queryset)


@admin.register(InformalEvent)
class InformalEventAdmin(ActivityAdmin):
    list_display = ("id", "event_type", "event_date", "match", "location", "duration_minutes")
    list_filter = ("event_type", "source")
    list_select_related = ("match",)
    date_hierarchy = "event_date"
    search_fields = ("event_type", "location")
    search_help_text = "An id, a Buddy System id, an event type or a location."
    autocomplete_fields = ("match",)
    schema = InformalEventRecord
    service = staticmethod(activities.informal_event_record)
    derived_fields = ("unknown_attendee_ids",)
    paths = {"event_id": "external_id", "match_id": "match", "attendees": "attendee_ids"}

    def record_data(self, value):
        return {
            "event_id": value("external_id"),
            "match_id": match_id(value("match")),
            "event_type": value("event_type"),
            "event_date": value("event_date"),
            "description": value("description"),
            "location": value("location"),
            "duration_minutes": value("duration_minutes"),
            "attendees": value("attendee_ids"),
        }


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
    schema = AttendanceRecord
    service = staticmethod(activities.attendance_record)
    key_fields = ("event_external_id", "person")
    paths = {"event_id": "event_external_id", "user_id": "person", "match_id": "match"}

    def record_data(self, value):
        return {
            "event_id": value("event_external_id"),
            "user_id": user_id(value("person"), "person"),
            "match_id": match_id(value("match")),
            "event_title": value("event_title"),
            "event_type": value("event_type"),
            "event_format": value("event_format"),
            "attended_at": value("attended_at"),
            "location": value("location"),
            "duration_minutes": value("duration_minutes"),
            "attendee_count": value("attendee_count"),
            "organizer": value("organizer"),
            "categories": value("categories"),
            "sdg_goals": value("sdg_goals"),
        }


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
    schema = SkillSessionRecord
    service = staticmethod(activities.skill_session_record)
    paths = {
        "session_id": "external_id",
        "teacher_id": "teacher",
        "learner_id": "learner",
        "match_id": "match",
    }

    def record_data(self, value):
        feedback = {
            name: value(name)
            for name in (
                "teacher_rating",
                "learner_rating",
                "teacher_comment",
                "learner_comment",
                "learner_progress",
            )
        }
        return {
            "session_id": value("external_id"),
            "skill_id": value("skill_id"),
            "skill_name": value("skill_name"),
            "skill_category": value("skill_category"),
            "teacher_id": user_id(value("teacher"), "teacher"),
            "learner_id": user_id(value("learner"), "learner"),
            "match_id": match_id(value("match")),
            "completed_at": value("completed_at"),
            "scheduled_at": value("scheduled_at"),
            "duration_minutes": value("duration_minutes"),
            "format": value("format"),
            "proficiency_level": value("proficiency_level"),
            "feedback": blank_as_none(feedback),
            "sdg_goals": value("sdg_goals"),
            "valuation_points": value("valuation_points"),
        }


@admin.register(CheckIn)
class CheckInAdmin(ActivityAdmin):
    list_display = ("id", "match", "checkin_date", "mood")
    list_filter = ("mood", "source")
    list_select_related = ("match",)
    date_hierarchy = "checkin_date"
    search_fields = ("=mood",)
    autocomplete_fields = ("match",)
    schema = CheckInRecord
    service = staticmethod(activities.checkin_record)
    paths = {"checkin_id": "external_id", "match_id": "match"}

    def record_data(self, value):
        return {
            "checkin_id": value("external_id"),
            "match_id": match_id(value("match")),
            "checkin_date": value("checkin_date"),
            "mood": value("mood"),
            "notes": value("notes"),
            "question_responses": value("question_responses"),
        }


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
    schema = FeedbackRecord
    service = staticmethod(activities.feedback_record)
    paths = {"feedback_id": "external_id", "match_id": "match"}

    def record_data(self, value):
        categories = {n: value(n) for n in ("communication", "helpfulness", "engagement")}
        return {
            "feedback_id": value("external_id"),
            "match_id": match_id(value("match")),
            "from_role": value("from_role"),
            "rating": value("rating"),
            "feedback_text": value("feedback_text"),
            "submitted_at": value("submitted_at"),
            "categories": categories,
        }


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
    schema = MilestoneRecord
    service = staticmethod(activities.milestone_record)
    key_fields = ("milestone_id", "person", "reached_at")
    derived_fields = ("unknown_related_ids",)
    paths = {"user_id": "person"}

    def record_data(self, value):
        return {
            "milestone_id": value("milestone_id"),
            "user_id": user_id(value("person"), "person"),
            "milestone_title": value("milestone_title"),
            "milestone_category": value("milestone_category"),
            "reached_at": value("reached_at"),
            "points": value("points"),
            "badge_icon": value("badge_icon"),
            "target_role": value("target_role"),
            "progress": value("progress") or None,
            "metadata": value("metadata") or None,
        }
