"""Free text (check-in notes, feedback text, skill-session comments) into the five Q2Q
dimensions, and its de-identification before any text leaves the system (issue 21).

One interface (``Analyser.analyse(text) -> Analysis``) so another analyser can replace
``LexiconAnalyser``: a transparent rule set, a lexicon of word stems per dimension and
language with a polarity (+1 / -1); a dimension's score is (positive − negative) / hits,
from −1 to 1, and every hit is listed (the explanation). The language is detected with
``langdetect`` (its profiles ship in the package; nothing is downloaded); a text in a
language the lexicon does not cover is ``not analysed`` rather than guessed.
"""

import re
from dataclasses import dataclass, field
from typing import Protocol

from langdetect import DetectorFactory, LangDetectException, detect

DetectorFactory.seed = 0  # deterministic detection

DIMENSIONS = ("confidence", "belonging", "well_being", "job_readiness", "language_comfort")

#: dimension → language → (stem, polarity). Stems match the start of a word.
LEXICON: dict[str, dict[str, list[tuple[str, int]]]] = {
    "confidence": {
        "en": [("confident", 1), ("proud", 1), ("capable", 1), ("brave", 1), ("courage", 1),
               ("insecure", -1), ("afraid", -1), ("unsure", -1), ("doubt", -1), ("nervous", -1)],
        "de": [("selbstbewusst", 1), ("sicher", 1), ("stolz", 1), ("mutig", 1),
               ("unsicher", -1), ("angst", -1), ("zweifel", -1), ("nervös", -1)],
    },
    "belonging": {
        "en": [("welcome", 1), ("friend", 1), ("community", 1), ("included", 1), ("belong", 1),
               ("at home", 1), ("lonely", -1), ("isolated", -1), ("alone", -1),
               ("excluded", -1), ("outsider", -1)],
        "de": [("willkommen", 1), ("freund", 1), ("gemeinschaft", 1), ("zuhause", 1),
               ("dazugehör", 1), ("einsam", -1), ("allein", -1), ("isoliert", -1),
               ("ausgeschlossen", -1)],
    },
    "well_being": {
        "en": [("happy", 1), ("calm", 1), ("relaxed", 1), ("better", 1), ("great", 1),
               ("good", 1), ("stress", -1), ("tired", -1), ("sad", -1), ("anxious", -1),
               ("worried", -1), ("exhausted", -1), ("difficult", -1)],
        "de": [("glücklich", 1), ("ruhig", 1), ("entspannt", 1), ("besser", 1), ("gut", 1),
               ("stress", -1), ("müde", -1), ("traurig", -1), ("sorge", -1), ("schwierig", -1)],
    },
    "job_readiness": {
        "en": [("interview", 1), ("cv", 1), ("resume", 1), ("job offer", 1), ("applied", 1),
               ("application", 1), ("hired", 1), ("internship", 1), ("skills", 1),
               ("rejected", -1), ("unemployed", -1), ("no job", -1)],
        "de": [("bewerbung", 1), ("vorstellungsgespräch", 1), ("lebenslauf", 1),
               ("praktikum", 1), ("eingestellt", 1), ("absage", -1), ("arbeitslos", -1)],
    },
    "language_comfort": {
        "en": [("fluent", 1), ("understand", 1), ("speak", 1), ("vocabulary", 1),
               ("pronunciation", 1), ("language barrier", -1), ("misunderst", -1),
               ("can't understand", -1), ("struggle with german", -1),
               ("struggle with english", -1)],
        "de": [("fließend", 1), ("verstehe", 1), ("spreche", 1), ("wortschatz", 1),
               ("sprachbarriere", -1), ("missverst", -1), ("verstehe nicht", -1)],
    },
}  # fmt: skip
LANGUAGES = ("en", "de")


@dataclass
class Analysis:
    language: str  # detected code, "" when undetectable
    analysed: bool
    scores: dict[str, float] = field(default_factory=dict)  # dimension → −1…1 (hits only)
    hits: dict[str, list[str]] = field(default_factory=dict)  # dimension → matched stems

    def as_dict(self) -> dict:
        return {
            "language": self.language,
            "analysed": self.analysed,
            "status": "analysed" if self.analysed else "not analysed",
            "scores": self.scores,
            "hits": self.hits,
        }


class Analyser(Protocol):
    name: str

    def analyse(self, text: str) -> Analysis: ...


def detect_language(text: str) -> str:
    try:
        return detect(text)
    except LangDetectException:  # no letters, too short
        return ""


class LexiconAnalyser:
    """Word stems per dimension and language (``LEXICON``), counted with their polarity."""

    name = "lexicon-v1"

    def analyse(self, text: str) -> Analysis:
        language = detect_language(text)
        if language not in LANGUAGES:
            return Analysis(language=language, analysed=False)
        lowered = " " + re.sub(r"\s+", " ", text.lower()) + " "
        result = Analysis(language=language, analysed=True)
        for dimension in DIMENSIONS:
            positive = negative = 0
            hits = []
            for stem, polarity in LEXICON[dimension][language]:
                n = len(re.findall(r"(?<![\w])" + re.escape(stem), lowered))
                if n:
                    hits.append(stem)
                    positive += n if polarity > 0 else 0
                    negative += n if polarity < 0 else 0
            if hits:
                result.scores[dimension] = round((positive - negative) / (positive + negative), 3)
                result.hits[dimension] = hits
        return result


def default_analyser() -> Analyser:
    return LexiconAnalyser()


# --- De-identification ----------------------------------------------------------------------

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
PHONE = re.compile(r"(?<!\w)\+?\d[\d ()/.-]{6,}\d(?!\w)")
SNIPPET_CHARS = 200


def deidentify(text: str, *, names: dict[str, str] | None = None) -> str:
    """Emails, URLs, phone numbers and the given names (name → placeholder such as
    ``[participant]``) replaced; whole words, case-insensitive, longest names first."""
    text = EMAIL.sub("[email]", text)
    text = URL.sub("[url]", text)
    text = PHONE.sub("[phone]", text)
    for name in sorted((n for n in (names or {}) if len(n) >= 2), key=len, reverse=True):
        text = re.sub(r"(?<!\w)" + re.escape(name) + r"(?!\w)", names[name], text, flags=re.I)
    return text


def snippet(text: str, *, names: dict[str, str] | None = None) -> str:
    """A short de-identified evidence snippet (whole words, at most ``SNIPPET_CHARS``)."""
    clean = re.sub(r"\s+", " ", deidentify(text, names=names)).strip()
    if len(clean) <= SNIPPET_CHARS:
        return clean
    return clean[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def person_names(person, placeholder: str) -> dict[str, str]:
    """A person's first, last and full name → the placeholder."""
    names = {person.first_name: placeholder, person.last_name: placeholder}
    names[f"{person.first_name} {person.last_name}".strip()] = placeholder
    return {k: v for k, v in names.items() if k}
