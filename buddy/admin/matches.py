"""Admin for matches and their audit trail.

Status changes never happen by editing a field: they are admin actions that call
``buddy.services.matches`` (the one writer of ``Match.status``), so each lands in
``MatchTransition`` with the coordinator as actor. A match added here is proposed
through ``match_propose``. The audit trail itself is read-only.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.utils import timezone

from buddy.admin.common import AuditReadOnlyMixin, KeySearchMixin, ServiceRefusalMixin, as_uuid
from buddy.models import (
    DataSource,
    EndReason,
    Match,
    MatchStatus,
    MatchTransition,
    Program,
    ProgramType,
)
from buddy.models.matches import END_NOTE_MAX_LENGTH
from buddy.services.matches import (
    match_details_update,
    match_end,
    match_propose,
    match_transition,
)
from core.errors import DomainError

S = MatchStatus

#: Set by the lifecycle service only.
LIFECYCLE_FIELDS = ("status", "matched_at", "ended_at", "end_reason", "duration_days")
#: Who is matched with whom, in which program: fixed once the match exists.
IDENTITY_FIELDS = ("external_id", "program", "participant", "buddy")
#: Derived by the match service from the other matches: never edited by hand.
DERIVED_FIELDS = ("concurrent_active",)
#: How many refusals an error message lists before it summarises.
MAX_LISTED_REFUSALS = 10


class MatchActionForm(helpers.ActionForm):
    end_reason = forms.ChoiceField(
        label="End reason",
        required=False,
        choices=[("", "(for “end”)"), *EndReason.choices],
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=END_NOTE_MAX_LENGTH,
        help_text="Required to decline; kept with each change (personal data).",
    )


class MatchTransitionInline(admin.TabularInline):
    """The match's audit trail, read-only."""

    model = MatchTransition
    fields = ("at", "from_status", "to_status", "via", "actor", "reason", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("at", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Match)
class MatchAdmin(ServiceRefusalMixin, KeySearchMixin, AuditReadOnlyMixin, admin.ModelAdmin):
    """Matches. Search takes a match id, a UUID (the match's or a person's Buddy System
    id) or a participant's or buddy's name."""

    list_display = (
        "id",
        "status",
        "program",
        "participant",
        "buddy",
        "source",
        "matched_at",
        "ended_at",
        "end_reason",
        "concurrent_active",
    )
    list_filter = ("status", "source", "program", "end_reason", "concurrent_active")
    list_select_related = ("program", "participant", "buddy")
    date_hierarchy = "matched_at"
    search_fields = (
        "participant__last_name",
        "participant__first_name",
        "buddy__last_name",
        "buddy__first_name",
    )
    search_help_text = "A match id, a Buddy System id (match or person) or a name."
    uuid_search_fields = (
        "external_id",
        "participant__external_ids__external_id",
        "buddy__external_ids__external_id",
    )
    autocomplete_fields = ("participant", "buddy")
    inlines = (MatchTransitionInline,)
    action_form = MatchActionForm
    actions = ("accept", "activate", "deactivate", "decline", "end")

    add_fieldsets = ((None, {"fields": ("program", "participant", "buddy", "matching_criteria")}),)
    change_fieldsets = (
        (None, {"fields": (*IDENTITY_FIELDS, "source")}),
        ("Lifecycle (change it with the actions of the match list)", {"fields": LIFECYCLE_FIELDS}),
        (
            "Activity",
            {
                "fields": (
                    "sessions_completed",
                    "events_attended",
                    "matching_criteria",
                    "concurrent_active",
                )
            },
        ),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    def get_fieldsets(self, request, obj=None):
        return self.change_fieldsets if obj else self.add_fieldsets

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj), *DERIVED_FIELDS]
        if obj is not None:
            fields += [*IDENTITY_FIELDS, *LIFECYCLE_FIELDS]
        return fields

    def get_inlines(self, request, obj):
        return self.inlines if obj else ()

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        program = Program.objects.filter(program_type=ProgramType.BUDDY).first()
        if program is not None:
            initial.setdefault("program", program.pk)
        return initial

    def has_delete_permission(self, request, obj=None):
        # Deleting a match would delete its audit trail; end or decline it instead.
        return False

    # --- Saving: a new match is a coordinator's proposal; an edit never writes the lifecycle
    # (a refusal of the service is shown on the form: ``ServiceRefusalMixin``)

    def save_model(self, request, obj, form, change):
        if change:
            # Only the fields this form may edit: a concurrent status change is never undone.
            match_details_update(
                match=obj, values={name: getattr(obj, name) for name in form.changed_data}
            )
            return
        proposed = match_propose(
            program=obj.program,
            participant=obj.participant,
            buddy=obj.buddy,
            criteria=obj.matching_criteria,
            via=DataSource.COORDINATOR,
            by=request.user,
        )
        obj.pk, obj.status, obj.source = proposed.pk, proposed.status, proposed.source
        obj._state.adding = False

    # --- Lifecycle actions ----------------------------------------------------------------

    def _apply(self, request, queryset, done_message, change):
        """Run ``change`` on every selected match in one transaction: all or nothing."""
        changed, refused = [], []
        with transaction.atomic():
            for match in queryset.order_by("pk"):
                try:
                    changed.append(change(match))
                except DomainError as exc:
                    refused.append(f"match #{match.pk}: {exc}")  # "code: message"
            if refused:
                transaction.set_rollback(True)
            else:
                for match in changed:
                    self.log_change(request, match, f"Status → {match.status} (admin action).")
        if refused:
            listed = "; ".join(refused[:MAX_LISTED_REFUSALS])
            more = len(refused) - MAX_LISTED_REFUSALS
            if more > 0:
                listed += f"; and {more} more"
            self.message_user(
                request, f"Nothing was changed. Refused: {listed}.", level=messages.ERROR
            )
        else:
            self.message_user(request, f"{len(changed)} {done_message}.", level=messages.SUCCESS)

    def _move(self, request, queryset, to_status, done_message):
        def change(match):
            return match_transition(
                match=match,
                to_status=to_status,
                via=DataSource.COORDINATOR,
                by=request.user,
                reason="admin action",
                note=request.POST.get("note", "").strip(),
            )

        self._apply(request, queryset, done_message, change)

    @admin.action(description="Accept selected proposals", permissions=["change"])
    def accept(self, request, queryset):
        self._move(request, queryset, S.ACCEPTED, "match(es) accepted")

    @admin.action(description="Activate selected matches", permissions=["change"])
    def activate(self, request, queryset):
        self._move(request, queryset, S.ACTIVE, "match(es) activated")

    @admin.action(description="Mark selected matches inactive", permissions=["change"])
    def deactivate(self, request, queryset):
        self._move(request, queryset, S.INACTIVE, "match(es) marked inactive")

    @admin.action(description="Decline selected proposals", permissions=["change"])
    def decline(self, request, queryset):
        self._move(request, queryset, S.DECLINED, "proposal(s) declined")

    @admin.action(description="End selected matches (choose an end reason)", permissions=["change"])
    def end(self, request, queryset):
        end_reason = request.POST.get("end_reason", "")
        if end_reason not in EndReason.values:
            self.message_user(
                request,
                "Choose an end reason next to the action to end matches. Nothing was changed.",
                level=messages.ERROR,
            )
            return
        ended_at = timezone.now()

        def change(match):
            return match_end(
                match=match,
                ended_at=ended_at,
                end_reason=end_reason,
                via=DataSource.COORDINATOR,
                by=request.user,
                note=request.POST.get("note", "").strip(),
            )

        self._apply(request, queryset, "match(es) ended", change)


@admin.register(MatchTransition)
class MatchTransitionAdmin(admin.ModelAdmin):
    """The audit trail of match status changes: read-only, written by the lifecycle service.

    Search takes a match id or a match's Buddy System id."""

    list_display = ("id", "match", "from_status", "to_status", "at", "via", "actor", "reason")
    list_filter = ("to_status", "via")
    list_select_related = ("match", "actor")
    date_hierarchy = "at"
    search_fields = ("reason",)
    search_help_text = "A match id, a match's Buddy System id or a reason."

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().lstrip("#")
        if term.isdigit():
            return queryset.filter(match_id=int(term)), False
        uuid = as_uuid(term)
        if uuid is not None:
            return queryset.filter(match__external_id=uuid), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
