"""Match health reasons: stored as a code with its numbers and roles
(``{"code": "no_contact", "days": 24}``, ``enrollments.health``), rendered here in the
active language, the one place that turns them into words (the match page, the matches list,
the attention queue, the API). A reason stored before the codes (prose) is shown as it is.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

TEXTS = {
    "no_contact": _("no contact for %(days)s days"),
    "mood_level": _("mood %(mood)s over the last %(n)s check-ins"),
    "no_mood": _("no mood reported yet"),
    "mood_fell": _("mood fell from %(before)s to %(after)s over the last %(n)s check-ins"),
    "mood_change": _("mood from %(before)s to %(after)s"),
    "few_checkins": _("too few check-ins for a mood trend"),
    "rated": _("%(role)s rated the match %(value)s"),
    "no_rating": _("no rating yet"),
    "rating_fell": _("%(role)s rating fell by %(by)s"),
    "rating_changed": _("%(role)s rating changed by %(change)s"),
    "few_ratings": _("too few ratings for a trend"),
    "category_rated": _("%(role)s rated %(category)s %(value)s"),
    "no_category_ratings": _("no category ratings yet"),
    "no_feedback_for": _("no feedback for %(days)s days"),
    "no_feedback_in": _("no feedback in %(days)s days of the match"),
    "all_healthy": _("all parts healthy"),
    # (singular or plural by ``n``)
    "contacts_recent": ngettext_lazy(
        "%(n)s contact in the last %(window)s days",
        "%(n)s contacts in the last %(window)s days",
        "n",
    ),
    "milestones": ngettext_lazy(
        "%(n)s milestone reached since the match started",
        "%(n)s milestones reached since the match started",
        "n",
    ),
}
MOODS = {
    "great": _("great"),
    "good": _("good"),
    "okay": _("okay"),
    "struggling": _("struggling"),
    "difficult": _("difficult"),
}
ROLES = {"participant": _("participant"), "buddy": _("buddy")}
CATEGORIES = {
    "communication": _("communication"),
    "helpfulness": _("helpfulness"),
    "engagement": _("engagement"),
}


def _words(params: dict) -> dict:
    out = dict(params)
    for name in ("mood", "before", "after"):
        if name in out:
            out[name] = str(MOODS.get(out[name], out[name]))
    if "role" in out:
        out["role"] = str(ROLES.get(out["role"], out["role"]))
    if "category" in out:
        out["category"] = str(CATEGORIES.get(out["category"], out["category"]))
    for name in ("value", "by"):
        if isinstance(out.get(name), int | float):
            out[name] = f"{out[name]:.1f}"
    if isinstance(out.get("change"), int | float):
        out["change"] = f"{out['change']:+.1f}"
    return out


def reason_text(reason) -> str:
    """One reason in the active language (``""`` for none; prose stored before the codes
    as it is; an unknown code as its code)."""
    if not reason:
        return ""
    if isinstance(reason, str):
        return reason
    code = reason.get("code", "")
    params = _words({k: v for k, v in reason.items() if k != "code"})
    try:
        if code in TEXTS:
            return str(TEXTS[code] % params)
    except (KeyError, TypeError, ValueError):
        pass
    return code


def reasons_data(reasons) -> list[dict]:
    """Reasons as the API gives them: each code with its parameters and its ``text``."""
    return [
        {**(r if isinstance(r, dict) else {"code": ""}), "text": reason_text(r)} for r in reasons
    ]
