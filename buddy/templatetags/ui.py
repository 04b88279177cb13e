"""Template helpers of the coordinator UI: masking for viewers and figures in words."""

from django import template
from django.utils.translation import gettext as _

from core.pii import mask

register = template.Library()

#: What a page shows where a figure has no value.
NONE = "—"


@register.filter
def pii(value, access):
    """A personal value as this login may see it (masked for viewers, ``core.pii``)."""
    return mask(value) if getattr(access, "masked", True) else value


@register.filter
def person_label(person, access):
    """ "Participant #12 · Jane Doe"; for viewers the role and id only."""
    if person is None:
        return NONE
    role = _("Participant") if person.role == "participant" else _("Buddy")
    label = f"{role} #{person.pk}"
    if getattr(access, "masked", True):
        return label
    name = f"{person.first_name} {person.last_name}".strip()
    return f"{label} · {name}" if name else label


@register.filter
def percent(value):
    return NONE if value is None else f"{value:.0%}"


@register.filter
def number(value, digits=1):
    return NONE if value is None else f"{value:.{int(digits)}f}"
