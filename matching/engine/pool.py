"""The people of one recommendation, as arrays of codes and bitsets.

Built once per run with one pass over the people (never over pairs); every
criterion then works on these arrays with numpy broadcasting.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

#: Names for the language codes the programs use; unknown codes are shown as they are.
LANGUAGE_NAMES = {
    "uk": "Ukrainian", "ru": "Russian", "ar": "Arabic", "fa": "Persian", "prs": "Dari",
    "ps": "Pashto", "en": "English", "de": "German", "tr": "Turkish", "ti": "Tigrinya",
    "so": "Somali", "fr": "French", "es": "Spanish", "pl": "Polish", "ku": "Kurdish",
    "it": "Italian", "pt": "Portuguese", "ro": "Romanian", "sq": "Albanian", "ur": "Urdu",
}  # fmt: skip


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


@dataclass(slots=True)
class PersonRow:
    """What the engine needs of one person (no names, no contact data)."""

    id: int
    languages: Sequence[str] = ()
    interests: Sequence[str] = ()
    location: str = ""
    waiting_days: float = 0.0  # participants
    capacity: int = 1  # buddies
    load: int = 0  # buddies: matches taking a place (proposed, accepted, active)


class Vocabulary:
    """Codes for the distinct values of one attribute, in first-seen order."""

    def __init__(self):
        self.values: list[str] = []
        self.index: dict[str, int] = {}

    def code(self, value: str) -> int:
        if value not in self.index:
            self.index[value] = len(self.values)
            self.values.append(value)
        return self.index[value]

    @property
    def words(self) -> int:
        return max(1, (len(self.values) + 63) // 64)


def _encode(lists, vocabulary: Vocabulary) -> tuple[list[list[int]], list[int]]:
    """Codes and a bitset (a Python int) per row; each distinct list is encoded once (people
    share few language lists, and a top 5 encodes every buddy)."""
    memo: dict[tuple, tuple[list[int], int]] = {}
    codes_out, bits_out = [], []
    for values in lists:
        key = tuple(values)
        hit = memo.get(key)
        if hit is None:
            codes = [vocabulary.code(x) for x in key]
            hit = memo[key] = (codes, sum(1 << c for c in set(codes)))
        codes_out.append(hit[0])
        bits_out.append(hit[1])
    return codes_out, bits_out


def _bitsets(codes: list[list[int]], bits: list[int], n_codes: int) -> np.ndarray:
    """One bitset per row: the smallest unsigned type that holds ``n_codes`` bits (a 1-D
    array: less memory to stream per pair), or (rows, words) of uint64 beyond 64 codes."""
    if n_codes > 64:
        out = np.zeros((len(codes), (n_codes + 63) // 64), dtype=np.uint64)
        for i, row in enumerate(codes):
            for c in row:
                out[i, c >> 6] |= np.uint64(1) << np.uint64(c & 63)
        return out
    dtype = next(t for t, n in ((np.uint8, 8), (np.uint16, 16), (np.uint32, 32), (np.uint64, 64))
                 if n_codes <= n)  # fmt: skip
    return np.array(bits, dtype=np.uint64).astype(dtype)


@dataclass
class Pool:
    """Waiting participants × buddies with free places, as arrays.

    ``excluded`` maps a hard rule (``violation``, ``earlier_pair``, ``dismissed``) to
    the (participant index, buddy index) pairs it rules out.
    """

    participant_ids: np.ndarray
    buddy_ids: np.ndarray
    languages: Vocabulary
    interests: Vocabulary
    cities: Vocabulary
    p_primary: np.ndarray  # (P,) language code, or L (nobody knows it) when none
    p_lang: np.ndarray  # (P,) bitsets (uint8…uint64; (P, W) uint64 beyond 64 codes)
    p_interest: np.ndarray
    p_city: np.ndarray  # (P,) -1 when unknown
    p_waiting: np.ndarray  # (P,) float32 days
    b_knows: np.ndarray  # (B, L + 1) bool: buddy speaks language code
    b_lang: np.ndarray  # (B,) like p_lang
    b_interest: np.ndarray
    b_city: np.ndarray  # (B,) -2 when unknown (never equal to a participant's -1)
    b_free: np.ndarray  # (B,) int free places (> 0)
    b_capacity: np.ndarray
    buddies_full: int = 0  # enrolled buddies left out: no free place
    cache: dict = field(default_factory=dict)  # per-pool tables criteria derive once
    excluded: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.participant_ids), len(self.buddy_ids)

    def participant_index(self, person_id: int) -> int:
        found = np.flatnonzero(self.participant_ids == person_id)
        return int(found[0]) if len(found) else -1


def _index_pairs(
    pairs: Iterable[tuple[int, int]], participant_ids: np.ndarray, buddy_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(participant id, buddy id) pairs → index arrays, keeping only people in the pool."""
    arr = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)
    p_order, b_order = np.argsort(participant_ids), np.argsort(buddy_ids)
    p_sorted, b_sorted = participant_ids[p_order], buddy_ids[b_order]
    pi = np.searchsorted(p_sorted, arr[:, 0]).clip(0, max(len(p_sorted) - 1, 0))
    bi = np.searchsorted(b_sorted, arr[:, 1]).clip(0, max(len(b_sorted) - 1, 0))
    if not len(p_sorted) or not len(b_sorted):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    keep = (p_sorted[pi] == arr[:, 0]) & (b_sorted[bi] == arr[:, 1])
    return p_order[pi[keep]], b_order[bi[keep]]


def build_pool(
    participants: Sequence[PersonRow],
    buddies: Sequence[PersonRow],
    *,
    excluded: dict[str, Iterable[tuple[int, int]]] | None = None,
) -> Pool:
    """Encode the people; buddies without a free place are counted and left out."""
    languages, interests, cities = Vocabulary(), Vocabulary(), Vocabulary()
    free_buddies = [b for b in buddies if b.capacity - b.load > 0]
    p_lang_codes, p_lang_bits = _encode((p.languages for p in participants), languages)
    b_lang_codes, b_lang_bits = _encode((b.languages for b in free_buddies), languages)
    p_int_codes, p_int_bits = _encode((p.interests for p in participants), interests)
    b_int_codes, b_int_bits = _encode((b.interests for b in free_buddies), interests)
    n_lang, n_int = len(languages.values), len(interests.values)
    b_lang = _bitsets(b_lang_codes, b_lang_bits, n_lang)
    b_knows = np.zeros((len(free_buddies), n_lang + 1), dtype=bool)
    if b_lang.ndim == 1:
        wide = b_lang.astype(np.uint64)
        for code in range(n_lang):
            b_knows[:, code] = (wide >> np.uint64(code)) & np.uint64(1)
    else:
        for i, codes in enumerate(b_lang_codes):
            b_knows[i, codes] = True
    participant_ids = np.array([p.id for p in participants], dtype=np.int64)
    buddy_ids = np.array([b.id for b in free_buddies], dtype=np.int64)
    pool = Pool(
        participant_ids=participant_ids,
        buddy_ids=buddy_ids,
        languages=languages,
        interests=interests,
        cities=cities,
        p_primary=np.array([c[0] if c else n_lang for c in p_lang_codes], dtype=np.int32),
        p_lang=_bitsets(p_lang_codes, p_lang_bits, n_lang),
        p_interest=_bitsets(p_int_codes, p_int_bits, n_int),
        p_city=np.array(
            [cities.code(p.location) if p.location else -1 for p in participants], dtype=np.int32
        ),
        p_waiting=np.array([p.waiting_days for p in participants], dtype=np.float32),
        b_knows=b_knows,
        b_lang=b_lang,
        b_interest=_bitsets(b_int_codes, b_int_bits, n_int),
        b_city=np.array(
            [cities.code(b.location) if b.location else -2 for b in free_buddies], dtype=np.int32
        ),
        b_free=np.array([b.capacity - b.load for b in free_buddies], dtype=np.int32),
        b_capacity=np.array([b.capacity for b in free_buddies], dtype=np.int32),
        buddies_full=len(buddies) - len(free_buddies),
    )
    pool.excluded = {
        rule: _index_pairs(pairs, participant_ids, buddy_ids)
        for rule, pairs in (excluded or {}).items()
    }
    return pool
