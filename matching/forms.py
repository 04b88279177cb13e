"""Forms of the matching board: criteria per program, proposals' decisions, a suggestion's
acceptance. They parse and keep what was typed; the rules are ``matching.services``'."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from matching.engine.criteria import MUST, OFF, PREFER, REGISTRY

RULE_LABELS = {MUST: _("Must"), PREFER: _("Prefer (weighted)"), OFF: _("Off")}


class CriteriaForm(forms.Form):
    """A program's criteria: per criterion of the registry a rule and a weight (0–100), the
    score floor and the two switches. ``initial_from`` fills it from a stored version."""

    score_floor = forms.FloatField(
        label=_("Score floor (0–100)"),
        min_value=0,
        max_value=100,
        help_text=_("Pairs scoring below this are never proposed."),
    )
    coverage_first = forms.BooleanField(
        label=_("Match as many participants as possible first"), required=False
    )
    never_repair_any = forms.BooleanField(
        label=_("Never propose two people who had any earlier match"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, criterion in REGISTRY.items():
            self.fields[f"rule_{name}"] = forms.ChoiceField(
                label=_("Rule"), choices=[(r, RULE_LABELS.get(r, r)) for r in criterion.rules]
            )
            self.fields[f"weight_{name}"] = forms.FloatField(
                label=_("Weight (0–100)"), min_value=0, max_value=100
            )

    @staticmethod
    def initial_from(version, weights: dict | None = None) -> dict:
        """Initial values of a stored version; ``weights`` (name → weight) replace its
        weights (the suggested weights learnt from outcomes)."""
        initial = {
            "score_floor": version.score_floor,
            "coverage_first": version.coverage_first,
            "never_repair_any": version.never_repair_any,
        }
        for name, criterion in REGISTRY.items():
            given = version.criteria.get(name) or {}
            initial[f"rule_{name}"] = given.get("rule", criterion.default_rule)
            initial[f"weight_{name}"] = given.get("weight", criterion.default_weight)
        for name, weight in (weights or {}).items():
            if name in REGISTRY and weight is not None:
                initial[f"weight_{name}"] = weight
        return initial

    def rows(self):
        """(criterion, rule field, weight field) per criterion, for the form's table."""
        return [
            (criterion, self[f"rule_{name}"], self[f"weight_{name}"])
            for name, criterion in REGISTRY.items()
        ]

    def settings(self) -> dict:
        """The cleaned values as ``criteria_save`` / ``criteria_preview`` take them."""
        data = self.cleaned_data
        return {
            "criteria": {
                name: {"rule": data[f"rule_{name}"], "weight": data[f"weight_{name}"]}
                for name in REGISTRY
            },
            "score_floor": data["score_floor"],
            "coverage_first": data["coverage_first"],
            "never_repair_any": data["never_repair_any"],
        }

    def add_service_errors(self, error: DomainError) -> None:
        """A refusal of the service, each error beside its field (``criteria.<name>.rule``)."""
        if not error.errors:
            self.add_error(None, gettext(error.message))
        for e in error.errors:
            parts = e.path.split(".")
            field = None
            if parts[0] == "criteria" and len(parts) == 3 and parts[1] in REGISTRY:
                field = f"{parts[2]}_{parts[1]}"
            elif e.path in self.fields:
                field = e.path
            self.add_error(field if field in self.fields else None, gettext(e.message))


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why this proposal is dismissed."))
        return reason


class BulkAcceptForm(forms.Form):
    """Accept the ticked proposals of a run (ids checked by the service against the run)."""

    proposal = forms.TypedMultipleChoiceField(
        label=_("Proposals"), coerce=int, choices=(), required=True
    )
    confirm = forms.BooleanField(label=_("Yes, propose these matches"), required=True)

    def __init__(self, *args, proposal_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposal"].choices = [(i, str(i)) for i in proposal_ids]
        self.fields["proposal"].error_messages["required"] = _("Tick at least one proposal.")
        self.fields["confirm"].error_messages["required"] = _("Tick the box to confirm.")


class SuggestionAcceptForm(forms.Form):
    program = forms.CharField(max_length=30)
    buddy = forms.IntegerField(min_value=1, max_value=2**31 - 1)
