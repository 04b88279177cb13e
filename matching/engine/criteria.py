"""The registry of criteria: each one vectorised, with its reasons in words.

A criterion gives every pair a fraction in [0, 1] (``fraction``); as a *prefer*
rule it earns ``weight × fraction`` of the score, as a *must* rule its ``must``
mask rules pairs out. ``p`` and ``b`` are index arrays that broadcast: ``(n, 1)``
against ``(1, B)`` scores a block of rows against every buddy, two ``(n,)`` arrays
score a list of pairs. Adding a criterion is one ``register(Criterion(...))``; the
scoring, the assignment, the explanations and the admin pick it up from here.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from matching.engine.pool import Pool
from matching.engine.words import LABELS, message

MUST, PREFER, OFF = "must", "prefer", "off"

#: How much a shared language other than the participant's preferred one counts.
SECOND_LANGUAGE_SHARE = 0.5
#: Waiting this many days (or more) earns the whole waiting weight.
WAITING_FULL_DAYS = 90


def _multiword(a: np.ndarray, p=None) -> bool:
    """Bitsets of more than 64 codes are (people, words) arrays of uint64."""
    return a.ndim == 2


def _and_any(pa, p, pb, b) -> np.ndarray:
    a, c = pa[p], pb[b]
    return (a & c).any(axis=-1) if _multiword(pa, p) else (a & c) != 0


def _popcount(x: np.ndarray, multiword: bool) -> np.ndarray:
    counts = np.bitwise_count(x)
    return counts.sum(axis=-1, dtype=np.uint8) if multiword else counts


@dataclass(frozen=True)
class Relaxation:
    """A loosening of a must-rule: ``mask`` marks the pairs it would let in."""

    code: str  # a message of ``words.TEXTS`` counting the candidates it adds (``n``)
    mask: Callable[[Pool, np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Criterion:
    name: str
    label: str  # lazy: words in the active language (``words.LABELS``)
    fraction: Callable[[Pool, np.ndarray, np.ndarray], np.ndarray]
    #: The reasons of one pair, as messages (``words.message``).
    reasons: Callable[[Pool, int, int], list[dict]]
    default_rule: str = PREFER
    default_weight: float = 10
    rules: tuple[str, ...] = (MUST, PREFER, OFF)
    must: Callable[[Pool, np.ndarray, np.ndarray], np.ndarray] | None = None
    #: The message for a participant that no buddy passes: f(pool, participant index, excluded).
    exclusion_text: Callable[[Pool, int, int], dict] | None = None
    relaxations: tuple[Relaxation, ...] = field(default_factory=tuple)
    #: False when the value at matching time cannot be rebuilt from an ended match (how long
    #: the participant had waited, the buddy's free places then): left out of the outcomes.
    from_history: bool = True

    def must_mask(self, pool: Pool, p: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.must is not None:
            return self.must(pool, p, b)
        return self.fraction(pool, p, b) > 0

    def excluded_words(self, pool: Pool, p: int, count: int) -> dict:
        if self.exclusion_text is not None:
            return self.exclusion_text(pool, p, count)
        return message("must.excluded", n=count, criterion=self.name)


REGISTRY: dict[str, Criterion] = {}


def register(criterion: Criterion) -> Criterion:
    REGISTRY[criterion.name] = criterion
    return criterion


def default_settings() -> dict[str, dict]:
    return {c.name: {"rule": c.default_rule, "weight": c.default_weight} for c in REGISTRY.values()}


# --- Shared language ------------------------------------------------------------------------


def _speaks_preferred(pool: Pool, p, b):
    return pool.b_knows[b, pool.p_primary[p]]


def _shares_any(pool: Pool, p, b):
    return _and_any(pool.p_lang, p, pool.b_lang, b)


def _as_2d(bits: np.ndarray) -> np.ndarray:
    return bits if bits.ndim == 2 else bits[:, None].astype(np.uint64)


def _language_table(pool: Pool):
    """The fraction for each (participant profile, buddy language set): people have few
    distinct language profiles, so a block is one lookup per pair instead of three passes."""
    if "language" not in pool.cache:
        p_key = np.column_stack([pool.p_primary, _as_2d(pool.p_lang)])
        b_key = _as_2d(pool.b_lang)
        p_profiles, p_id = np.unique(p_key, axis=0, return_inverse=True)
        b_profiles, b_id = np.unique(b_key, axis=0, return_inverse=True)
        b_first = np.unique(b_id, return_index=True)[1]  # a buddy of each language set
        p_first = np.unique(p_id, return_index=True)[1]
        pp, bb = p_first[:, None], b_first[None, :]
        preferred = pool.b_knows[bb, pool.p_primary[pp]]
        other = _shares_any(pool, pp, bb)
        table = np.where(preferred, 1, np.where(other, SECOND_LANGUAGE_SHARE, 0))
        pool.cache["language"] = (
            table.astype(np.float32), p_id.reshape(-1).astype(np.int32),
            b_id.reshape(-1).astype(np.int32),
        )  # fmt: skip
        del p_profiles, b_profiles
    return pool.cache["language"]


def _language_fraction(pool: Pool, p, b):
    table, p_id, b_id = _language_table(pool)
    return table[p_id[p], b_id[b]]


def _language_reasons(pool: Pool, p: int, b: int) -> list[dict]:
    codes = pool.languages.values
    primary = int(pool.p_primary[p])
    if primary < len(codes) and pool.b_knows[b, primary]:
        return [message("language.preferred", language=codes[primary])]
    shared = [
        codes[c] for c in range(len(codes)) if pool.b_knows[b, c] and _has_bit(pool.p_lang[p], c)
    ]
    return [message("language.second", language=shared[0])] if shared else []


def _has_bit(bits, code: int) -> bool:
    """Whether one person's bitset (a scalar, or a row of uint64 words) holds ``code``."""
    if np.ndim(bits):
        return bool((int(bits[code >> 6]) >> (code & 63)) & 1)
    return bool((int(bits) >> code) & 1)


def _language_exclusion(pool: Pool, p: int, count: int) -> dict:
    primary = int(pool.p_primary[p])
    codes = pool.languages.values
    language = codes[primary] if primary < len(codes) else ""  # "" : "their language"
    if count >= len(pool.buddy_ids):
        return message("language.nobody", language=language, n=count)
    return message("language.excluded", language=language, n=count)


register(
    Criterion(
        name="language",
        label=LABELS["language"],
        fraction=_language_fraction,
        must=_speaks_preferred,
        reasons=_language_reasons,
        default_rule=PREFER,
        default_weight=40,
        exclusion_text=_language_exclusion,
        relaxations=(
            Relaxation(
                "relax.second_language",
                lambda pool, p, b: _shares_any(pool, p, b) & ~_speaks_preferred(pool, p, b),
            ),
        ),
    )
)


# --- Overlapping interests (Jaccard) --------------------------------------------------------


def _interest_fraction(pool: Pool, p, b):
    a, c = pool.p_interest[p], pool.b_interest[b]
    multiword = _multiword(pool.p_interest, p)
    union = _popcount(a | c, multiword).astype(np.float32)
    shared = _popcount(a & c, multiword).astype(np.float32)
    np.maximum(union, 1, out=union)  # no interests on either side: 0 shared of 0
    return np.divide(shared, union, out=shared)


def _codes(bits) -> list[int]:
    """The codes set in one person's bitset (a scalar, or a row of uint64 words)."""
    words = [int(w) for w in np.ravel(bits)]
    return [i * 64 + j for i, w in enumerate(words) for j in range(w.bit_length()) if w >> j & 1]


def _interest_reasons(pool: Pool, p: int, b: int) -> list[dict]:
    both = pool.p_interest[p] & pool.b_interest[b]
    names = sorted(pool.interests.values[code] for code in _codes(both))
    if not names:
        return []
    return [message("interests.shared", n=len(names), names=", ".join(names))]


register(
    Criterion(
        name="interests",
        label=LABELS["interests"],
        fraction=_interest_fraction,
        reasons=_interest_reasons,
        default_weight=25,
        exclusion_text=lambda pool, p, n: message("interests.excluded", n=n),
    )
)


# --- Same location --------------------------------------------------------------------------


def _city_fraction(pool: Pool, p, b):
    return (pool.p_city[p] == pool.b_city[b]).astype(np.float32)


def _city_reasons(pool: Pool, p: int, b: int) -> list[dict]:
    if pool.p_city[p] >= 0 and pool.p_city[p] == pool.b_city[b]:
        return [message("location.same", city=pool.cities.values[int(pool.p_city[p])])]
    return []


def _city_exclusion(pool: Pool, p: int, count: int) -> dict:
    city = pool.cities.values[int(pool.p_city[p])] if pool.p_city[p] >= 0 else ""
    if count >= len(pool.buddy_ids):
        return message("location.nobody", city=city, n=count)  # "" : "their city"
    return message("location.excluded", n=count)


register(
    Criterion(
        name="location",
        label=LABELS["location"],
        fraction=_city_fraction,
        reasons=_city_reasons,
        default_weight=20,
        exclusion_text=_city_exclusion,
    )
)


# --- Days waiting (fairness) ----------------------------------------------------------------


def _waiting_fraction(pool: Pool, p, b):
    # Depends on the participant only: the (n, 1) column broadcasts in the sum.
    return np.minimum(pool.p_waiting[p], WAITING_FULL_DAYS) / np.float32(WAITING_FULL_DAYS)


def _waiting_reasons(pool: Pool, p: int, b: int) -> list[dict]:
    days = int(pool.p_waiting[p])
    return [message("waiting.days", n=days)] if days > 0 else []


register(
    Criterion(
        name="waiting",
        label=LABELS["waiting"],
        fraction=_waiting_fraction,
        reasons=_waiting_reasons,
        default_weight=10,
        rules=(PREFER, OFF),
        from_history=False,
    )
)


# --- Buddy's free capacity (spread the load) ------------------------------------------------


def _free_fraction(pool: Pool, p, b):
    # Depends on the buddy only: the (1, B) row broadcasts in the sum.
    return (pool.b_free[b] / pool.b_capacity[b]).astype(np.float32)


def _free_reasons(pool: Pool, p: int, b: int) -> list[dict]:
    return [message("free_capacity.places", n=int(pool.b_free[b]))]


register(
    Criterion(
        name="free_capacity",
        label=LABELS["free_capacity"],
        fraction=_free_fraction,
        reasons=_free_reasons,
        default_weight=5,
        rules=(PREFER, OFF),
        from_history=False,
    )
)
