"""The forms of the case pages: the list's filters and one form per workflow step."""

from django import forms
from django.utils.translation import gettext_lazy as _

from buddy.models import EndReason
from concerns.models import Category, Outcome, Severity, Source, Status

ANY = [("", "—")]


class ConcernFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ANY + Status.choices, required=False)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=ANY + Severity.choices, required=False
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=ANY + Category.choices, required=False
    )
    overdue = forms.ChoiceField(
        label=_("Response overdue"),
        choices=[*ANY, ("true", _("yes")), ("false", _("no"))],
        required=False,
    )


class ConcernOpenForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    source = forms.ChoiceField(
        label=_("Raised by"),
        choices=[c for c in Source.choices if c[0] != Source.AUTOMATIC],
        initial=Source.COORDINATOR,
    )
    description = forms.CharField(
        label=_("What happened"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class ConcernMeetingForm(forms.Form):
    held_at = forms.DateTimeField(
        label=_("Held at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 4})
    )
    agreed_actions = forms.CharField(
        label=_("Agreed actions"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ConcernResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    end_reason = forms.ChoiceField(
        label=_("End reason (when the match ends)"),
        choices=ANY + EndReason.choices,
        required=False,
    )
    violation = forms.BooleanField(
        label=_("A violation: never pair these two again"), required=False
    )
    note = forms.CharField(
        label=_("Resolution note"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


#: The workflow actions of the case page: form class (None: nothing to fill in) and label.
ACTIONS = {
    "acknowledge": (None, _("Acknowledge")),
    "meeting": (ConcernMeetingForm, _("Add a mediation meeting")),
    "resolve": (ConcernResolveForm, _("Resolve")),
}
