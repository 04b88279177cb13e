"""Forms of the buddy app's pages."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buddy.models import EndReason, MatchStatus
from buddy.models.matches import END_NOTE_MAX_LENGTH, MATCH_TRANSITIONS
from buddy.services.tokens import MAX_EXPIRY_DAYS


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("Name"), help_text=_("What the token is for."))
    expires_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        label=_("Expires after (days)"),
        help_text=_("Empty: never expires."),
    )


S = MatchStatus

#: The workflow actions of the match page: (label, from → to). ``end`` needs a reason.
MATCH_ACTIONS = {
    "accept": (_("Accept"), S.ACCEPTED),
    "activate": (_("Activate"), S.ACTIVE),
    "pause": (_("Pause"), S.INACTIVE),
    "resume": (_("Resume"), S.ACTIVE),
    "decline": (_("Decline"), S.DECLINED),
    "end": (_("End"), S.ENDED),
}


def actions_for(status: str) -> list[str]:
    """The actions a match in this status offers (the lifecycle of ``MATCH_TRANSITIONS``)."""
    allowed = MATCH_TRANSITIONS[status]
    found = []
    for name, (_label, to) in MATCH_ACTIONS.items():
        if to not in allowed:
            continue
        if name == "resume" and status != S.INACTIVE:
            continue
        if name == "activate" and status == S.INACTIVE:
            continue
        found.append(name)
    return found


class MatchActionForm(forms.Form):
    """One workflow action on a match, confirmed; ending takes a reason and a date."""

    action = forms.ChoiceField(choices=[(k, v[0]) for k, v in MATCH_ACTIONS.items()])
    end_reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", "—"), *EndReason.choices], required=False
    )
    ended_on = forms.DateField(
        label=_("Ended on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=_("Note"),
        help_text=_("Required when declining; optional otherwise."),
        required=False,
        max_length=END_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(label=_("Yes, do this"), required=True)

    def __init__(self, *args, match, **kwargs):
        self.match = match
        super().__init__(*args, **kwargs)

    def clean_action(self):
        action = self.cleaned_data["action"]
        if action not in actions_for(self.match.status):
            raise forms.ValidationError(
                _("A match that is %(status)s cannot do this."),
                params={"status": self.match.get_status_display()},
            )
        return action

    def clean(self):
        data = super().clean()
        if data.get("action") == "decline" and not data.get("note", "").strip():
            self.add_error("note", _("Say why the match is declined."))
        if data.get("action") == "end":
            if not data.get("end_reason"):
                self.add_error("end_reason", _("Choose why the match ends."))
            ended_on = data.get("ended_on")
            if ended_on is None:
                self.add_error("ended_on", _("Give the day the match ended."))
            elif ended_on > timezone.localdate():
                self.add_error("ended_on", _("The day cannot be in the future."))
            elif self.match.matched_at and ended_on < self.match.matched_at.date():
                self.add_error("ended_on", _("The day cannot be before the match started."))
        return data
