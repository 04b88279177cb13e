"""The engine's words as codes with parameters, put into words at display time.

The engine says what it found as a *message*, ``{"code": ..., "params": {...}}`` (stored with
the proposals and a run's unmatched participants), and ``render`` turns one into words in the
active language (German pages show German reasons). Beside each message the engine keeps its
English words (``english``): the API, the commands and the CSV export return those as they
always did. Rows stored before the messages existed hold English words only: ``render``
hands a plain string back as it is.
"""

from django.utils import translation
from django.utils.translation import gettext, gettext_lazy, ngettext_lazy, pgettext_lazy

#: Names of the language codes the programs use (the engine's ``LANGUAGE_NAMES`` in words).
LANGUAGES = {
    "uk": gettext_lazy("Ukrainian"), "ru": gettext_lazy("Russian"),
    "ar": gettext_lazy("Arabic"), "fa": gettext_lazy("Persian"), "prs": gettext_lazy("Dari"),
    "ps": gettext_lazy("Pashto"), "en": gettext_lazy("English"), "de": gettext_lazy("German"),
    "tr": gettext_lazy("Turkish"), "ti": gettext_lazy("Tigrinya"),
    "so": gettext_lazy("Somali"), "fr": gettext_lazy("French"), "es": gettext_lazy("Spanish"),
    "pl": gettext_lazy("Polish"), "ku": gettext_lazy("Kurdish"), "it": gettext_lazy("Italian"),
    "pt": gettext_lazy("Portuguese"), "ro": gettext_lazy("Romanian"),
    "sq": gettext_lazy("Albanian"), "ur": gettext_lazy("Urdu"),
}  # fmt: skip

#: The criteria's labels (``Criterion.label`` is the same lazy text).
LABELS = {
    "language": pgettext_lazy("matching criterion", "language"),
    "interests": pgettext_lazy("matching criterion", "interests"),
    "location": pgettext_lazy("matching criterion", "location"),
    "waiting": pgettext_lazy("matching criterion", "days waiting"),
    "free_capacity": pgettext_lazy("matching criterion", "buddy's free capacity"),
}

#: Every message the engine says. A plural text counts ``n``.
TEXTS = {
    # reasons of a pair
    "language.preferred": gettext_lazy("both speak %(language)s"),
    "language.second": gettext_lazy("both speak %(language)s (a second language)"),
    "interests.shared": ngettext_lazy(
        "%(n)s shared interest: %(names)s", "%(n)s shared interests: %(names)s", "n"
    ),
    "location.same": gettext_lazy("same city: %(city)s"),
    "waiting.days": ngettext_lazy("waiting %(n)s day", "waiting %(n)s days", "n"),
    "free_capacity.places": ngettext_lazy(
        "buddy has %(n)s free place", "buddy has %(n)s free places", "n"
    ),
    # buddies a must-rule rules out
    "language.nobody": gettext_lazy(
        "no buddy speaks %(language)s: %(n)s excluded by the language must-rule"
    ),
    "language.excluded": gettext_lazy(
        "%(n)s buddies do not speak %(language)s (language must-rule)"
    ),
    "interests.excluded": gettext_lazy("%(n)s buddies share no interest (interests must-rule)"),
    "location.nobody": gettext_lazy(
        "no buddy lives in %(city)s: %(n)s excluded by the location must-rule"
    ),
    "location.excluded": gettext_lazy("%(n)s buddies live elsewhere (location must-rule)"),
    "must.excluded": gettext_lazy("%(n)s excluded by the %(criterion)s must-rule"),
    # buddies a hard rule rules out
    "hard.violation": gettext_lazy(
        "%(n)s excluded: an earlier match with them ended in a violation"
    ),
    "hard.earlier_pair": gettext_lazy(
        "%(n)s excluded: they were paired before (never re-pair any earlier pair)"
    ),
    "hard.dismissed": gettext_lazy("%(n)s excluded: a coordinator dismissed the suggestion"),
    # why a participant got no proposal
    "all_at_capacity": ngettext_lazy(
        "all %(n)s buddy is at capacity", "all %(n)s buddies are at capacity", "n"
    ),
    "no_buddy_enrolled": gettext_lazy("no buddy is actively enrolled in the program"),
    "taken.one": gettext_lazy(
        "the only suitable buddy was given to a participant with a higher-scoring pair"
    ),
    "taken.many": gettext_lazy(
        "all %(n)s suitable buddies were given to participants with higher-scoring pairs"
    ),
    "below_floor": ngettext_lazy(
        "%(n)s candidate scores below the floor of %(floor)s (best %(best)s)",
        "%(n)s candidates score below the floor of %(floor)s (best %(best)s)",
        "n",
    ),
    "no_candidates": gettext_lazy("no buddy passes the rules"),
    "buddies_full": ngettext_lazy(
        "%(n)s buddy is at capacity", "%(n)s buddies are at capacity", "n"
    ),
    # relaxations of the settings that would add candidates
    "relax.prefer": ngettext_lazy(
        "turning the %(criterion)s rule into a preference adds %(n)s candidate",
        "turning the %(criterion)s rule into a preference adds %(n)s candidates",
        "n",
    ),
    "relax.second_language": ngettext_lazy(
        "allowing a shared second language adds %(n)s candidate",
        "allowing a shared second language adds %(n)s candidates",
        "n",
    ),
    "relax.floor": ngettext_lazy(
        "lowering the score floor to %(floor)s adds %(n)s candidate",
        "lowering the score floor to %(floor)s adds %(n)s candidates",
        "n",
    ),
}


def message(code: str, **params) -> dict:
    if code not in TEXTS:
        raise KeyError(f"no text for the message {code!r}")
    return {"code": code, "params": params}


def _param(name: str, value):
    if name == "language":
        return LANGUAGES.get(value, value) if value else gettext("their language")
    if name == "city":
        return value or gettext("their city")
    if name == "criterion":
        return LABELS.get(value, value)
    return value


def render(said) -> str:
    """Words for a message in the active language; a string (words stored before the
    messages, or an erased text) as it is; a list of messages joined as the engine joins
    an explanation's details (``"; "``)."""
    if isinstance(said, str):
        return said
    if isinstance(said, list):
        return "; ".join(render(m) for m in said)
    if not isinstance(said, dict) or said.get("code") not in TEXTS:
        return ""
    params = {k: _param(k, v) for k, v in (said.get("params") or {}).items()}
    return str(TEXTS[said["code"]] % params)


def english(said) -> str:
    with translation.override("en"):
        return render(said)


def explanation_words(entry: dict) -> str:
    """An explanation of why a participant got no proposal (``explain.why_not_matched``), in
    words in the active language: its message, then its details after a colon."""
    if "message" not in entry:
        return entry.get("text", "")
    head, details = render(entry["message"]), entry.get("details") or []
    if isinstance(details, list) and details:
        return f"{head}: {render(details)}"
    return head


def relaxations_words(entry: dict) -> list[str]:
    """An explanation's suggested relaxations in words in the active language."""
    said = entry.get("relaxation_messages")
    if isinstance(said, list) and len(said) == len(entry.get("relaxations") or []):
        return [render(m) for m in said]
    return [r.get("text", "") for r in entry.get("relaxations") or [] if isinstance(r, dict)]


#: What the engine keeps beside its English words for the pages (not in the API).
MESSAGE_KEYS = ("message", "details", "relaxation_messages")


def without_messages(entry):
    """An explanation as the API has always returned it: its English words, no messages."""
    if not isinstance(entry, dict):
        return entry
    return {k: v for k, v in entry.items() if k not in MESSAGE_KEYS}


def reasons_words(reasons, reason_codes) -> list[str]:
    """A pair's reasons in the active language (its messages; the stored English words of
    a proposal stored before them)."""
    if reason_codes:
        return [render(m) for m in reason_codes]
    return list(reasons or [])


def explanation_shown(entry: dict) -> dict:
    """An explanation with its words in the active language, for a page (``text`` and the
    relaxations' ``text``)."""
    return {
        **entry,
        "text": explanation_words(entry),
        "relaxations": [{"text": words} for words in relaxations_words(entry)],
    }
