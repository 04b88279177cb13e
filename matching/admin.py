"""Admin of the matching app: coordinators edit a program's criteria here (for now).

Criteria versions are never edited: the form writes the program's next version
through ``matching.services.criteria_save`` (prefilled from the current one), so each
run keeps pointing at exactly what it used. Runs are read-only; proposals are
accepted, dismissed (with a reason) or locked with actions that call the services.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers

from core.errors import DomainError
from matching import services
from matching.engine.criteria import REGISTRY
from matching.models import MatchingCriteria, Proposal, RecommendationRun


def _rule_field(name: str) -> str:
    return f"{name}__rule"


def _weight_field(name: str) -> str:
    return f"{name}__weight"


class CriteriaFormBase(forms.ModelForm):
    class Meta:
        model = MatchingCriteria
        fields = ("program", "score_floor", "coverage_first", "never_repair_any")

    def criteria(self) -> dict:
        return {
            name: {
                "rule": self.cleaned_data[_rule_field(name)],
                "weight": self.cleaned_data[_weight_field(name)],
            }
            for name in REGISTRY
        }


def _criteria_form() -> type[forms.ModelForm]:
    """One rule and one weight per registered criterion (new criteria appear by themselves)."""
    declared = {}
    for name, criterion in REGISTRY.items():
        declared[_rule_field(name)] = forms.ChoiceField(
            label=f"{criterion.label}: rule",
            choices=[(r, r) for r in criterion.rules],
            initial=criterion.default_rule,
        )
        declared[_weight_field(name)] = forms.FloatField(
            label=f"{criterion.label}: weight",
            min_value=0,
            max_value=100,
            initial=criterion.default_weight,
        )
    return type("CriteriaForm", (CriteriaFormBase,), declared)


CriteriaForm = _criteria_form()


@admin.register(MatchingCriteria)
class MatchingCriteriaAdmin(admin.ModelAdmin):
    """Criteria versions: add one to change a program's settings (prefilled from the
    latest version with ``?program=<id>``); stored versions are read-only."""

    form = CriteriaForm
    list_display = ("program", "version", "score_floor", "coverage_first", "created_at")
    list_filter = ("program",)
    readonly_fields = ("version", "criteria", "created_at", "created_by")

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        program_id = request.GET.get("program")
        latest = (
            MatchingCriteria.objects.filter(program_id=program_id).order_by("-version").first()
            if program_id and program_id.isdigit()
            else None
        )
        if latest is not None:
            initial.update(
                score_floor=latest.score_floor,
                coverage_first=latest.coverage_first,
                never_repair_any=latest.never_repair_any,
            )
            for name, setting in latest.criteria.items():
                if name in REGISTRY:
                    initial[_rule_field(name)] = setting.get("rule")
                    initial[_weight_field(name)] = setting.get("weight")
        return initial

    def get_fields(self, request, obj=None):
        if obj is not None:
            return ("program", "version", "criteria", "score_floor", "coverage_first",
                    "never_repair_any", "created_at", "created_by")  # fmt: skip
        return list(CriteriaForm.base_fields)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = services.criteria_save(
            program=form.cleaned_data["program"],
            criteria=form.criteria(),
            score_floor=form.cleaned_data["score_floor"],
            coverage_first=form.cleaned_data["coverage_first"],
            never_repair_any=form.cleaned_data["never_repair_any"],
            by=request.user,
        )
        obj.pk, obj.version = saved.pk, saved.version
        obj._state.adding = False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RecommendationRun)
class RecommendationRunAdmin(ReadOnlyAdmin):
    """Runs with their figures; ``manage.py match_program`` (or the task) starts them."""

    list_display = (
        "id", "program", "status", "progress", "criteria", "proposals_count",
        "unmatched_count", "total_score", "created_at",
    )  # fmt: skip
    list_filter = ("status", "program")
    list_select_related = ("program", "criteria")


class ProposalActionForm(helpers.ActionForm):
    dismissal_reason = forms.CharField(
        label="Dismissal reason", required=False, max_length=200, help_text="(for “dismiss”)"
    )


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    """Proposals of the runs: accept, dismiss (with a reason) or lock them."""

    list_display = ("id", "run", "participant", "buddy", "score", "status", "locked")
    list_filter = ("status", "locked", "program")
    list_select_related = ("run", "participant", "buddy")
    action_form = ProposalActionForm
    actions = ("accept", "dismiss", "lock", "unlock")

    def has_change_permission(self, request, obj=None):
        return request.user.is_staff  # the actions need it; the form itself stays read-only

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def _each(self, request, queryset, change, done: str):
        done_count, refused = 0, []
        for proposal in queryset.order_by("-score", "id"):
            try:
                change(proposal)
                done_count += 1
            except DomainError as exc:
                refused.append(f"proposal #{proposal.pk}: {exc.message}")
        if done_count:
            self.message_user(request, f"{done_count} proposal(s) {done}.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Refused: " + "; ".join(refused[:10]), messages.ERROR)

    @admin.action(description="Accept selected proposals (creates proposed matches)")
    def accept(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda p: services.proposal_accept(proposal=p, by=request.user),
            "accepted",
        )

    @admin.action(description="Dismiss selected proposals (give a reason)")
    def dismiss(self, request, queryset):
        reason = request.POST.get("dismissal_reason", "").strip()
        if not reason:
            self.message_user(
                request, "Give a dismissal reason next to the action.", messages.ERROR
            )
            return
        self._each(
            request,
            queryset,
            lambda p: services.proposal_dismiss(proposal=p, reason=reason, by=request.user),
            "dismissed",
        )

    @admin.action(description="Lock selected proposals (kept by the next runs)")
    def lock(self, request, queryset):
        self._each(request, queryset, lambda p: services.proposal_lock(proposal=p), "locked")

    @admin.action(description="Unlock selected proposals")
    def unlock(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda p: services.proposal_lock(proposal=p, locked=False),
            "unlocked",
        )
