"""Word lists for any language: boilerplate vocabulary, function words, date words, counted per line.

The lists live in ``data/vocabulary.json`` (written by ``training/vocab.py``):

- ``boilerplate``: terms over-represented in boilerplate lines, mined per
  language from the training data (words, and character pairs for Chinese
  and Japanese, which have no spaces);
- ``function_words``: the most frequent words of each of jusText's 100
  stoplists, and ``function_chars``: the CJK characters over-represented in
  article prose (的, の, ...), mined from the data: prose is dense in them,
  menus and headlines are not;
- ``date_words``: month names and the words of "N minutes ago" in many
  languages (from dateparser's data).

A page's language is unknown at run time, so every list is one table for all
languages: a line counts the terms of any language it holds. Words are runs
of letters (the regex ``[^\\W\\d_]+``) of the lower-cased text, outside the
Chinese and Japanese characters, which count in pairs and one by one.

The counting is vectorised: one pass of numpy over the page's code points
finds the words, a polynomial hash names each one (64 bits: no collision is
expected among a page's words and the lists), and sorted tables of the
lists' hashes answer with one ``searchsorted``. ``terms`` is the plain
Python statement of the same tokenisation (for mining and tests).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["VOCABULARY_PATH", "LineCounts", "Vocabulary", "count_lines", "load_vocabulary", "terms"]

VOCABULARY_PATH = Path(__file__).resolve().parent / "data" / "vocabulary.json"

#: Chinese and Japanese characters (kana, CJK ideographs and extension A,
#: compatibility ideographs, half-width katakana): written without spaces,
#: so they count one by one and in pairs, not as words. Hangul is spaced: words.
_CJK_RANGES = ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
               (0xF900, 0xFAFF), (0xFF66, 0xFF9F))
_CJK_FIRST = min(lo for lo, _ in _CJK_RANGES)
_CJK_CLASS = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CJK_RANGES)
#: A word: a run of letters (of the BMP) outside _CJK_RANGES.
_WORD = re.compile(rf"(?:(?![{_CJK_CLASS}])(?=[\x00-\uffff])[^\W\d_])+")
_CJK_RUN = re.compile(rf"[{_CJK_CLASS}]+")
#: Code points of the tables (the BMP); every code point beyond it shares the last entry.
_TABLE_SIZE = 0x10001
#: The hash's base (odd, so that it has an inverse modulo 2**64).
_BASE = 0x9E3779B97F4A7C15
#: An odd multiplier that spreads the low bits of a sum to the high ones (splitmix64's).
_MIX = 0xBF58476D1CE4E5B9
#: Category bits of a word in the combined table.
BOILER, FUNCTION, MONTH, AGO, UNIT = (1 << k for k in range(5))
_CATEGORIES = {"boilerplate": BOILER, "function_words": FUNCTION, "months": MONTH,
               "ago": AGO, "time_units": UNIT}


def terms(text: str) -> tuple[list[str], list[str]]:
    """The words and the CJK characters of ``text`` (lower-cased), as ``count_lines`` counts them."""
    lower = text.lower()
    return _WORD.findall(lower), [c for run in _CJK_RUN.findall(lower) for c in run]


def cjk_pairs(text: str) -> list[str]:
    """The pairs of adjacent CJK characters of ``text`` (lower-cased) that ``count_lines`` looks up."""
    return [run[i:i + 2] for run in _CJK_RUN.findall(text.lower()) for i in range(len(run) - 1)]


#: Bits of _char_flags: a word letter (_WORD), a CJK character.
_LETTER, _CJK = 1, 2


@functools.lru_cache(maxsize=1)
def _char_flags() -> np.ndarray:
    """Per code point (the BMP, then one entry for all beyond): its _LETTER and _CJK bits."""
    codes = np.arange(_TABLE_SIZE - 1, dtype=np.uint32)
    codes[0xD800:0xE000] = 0  # a str cannot hold them; U+0000 is in no class
    bmp = codes.tobytes().decode("utf-32-le")
    flags = np.zeros(_TABLE_SIZE, dtype=np.uint8)
    flags[[ord(c) for c in "".join(_WORD.findall(bmp))]] |= _LETTER
    for lo, hi in _CJK_RANGES:
        flags[lo:hi + 1] |= _CJK
    return flags


_POWERS = np.ones(1, dtype=np.uint64)
_INVERSES = np.ones(1, dtype=np.uint64)


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """_BASE ** k and its inverse ** k modulo 2**64 for k in 0..n-1 (tables grown by doubling)."""
    global _POWERS, _INVERSES
    if len(_POWERS) < n:
        size = max(n, 2 * len(_POWERS), 4096)
        steps = np.full(size, _BASE, dtype=np.uint64)
        steps[0] = 1
        _POWERS = np.cumprod(steps)  # uint64 products wrap: arithmetic modulo 2**64
        steps[1:] = pow(_BASE, -1, 1 << 64)
        _INVERSES = np.cumprod(steps)
    return _POWERS, _INVERSES


def _word_hashes(cps: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The hash of each word ``cps[starts[k]:ends[k]]`` (uint64)."""
    powers, inverses = _powers(cps.size + 1)
    prefix = np.zeros(cps.size + 1, dtype=np.uint64)
    np.cumsum(np.multiply(cps, powers[:cps.size]), out=prefix[1:])
    # The sum's top bits are nearly constant for one-letter words (their
    # code point, times base**0): mixed before the table reads the top bits.
    return _mixed((prefix[ends] - prefix[starts]) * inverses[starts])


def _words(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the words start and end (runs of letters; ``flags``: _char_flags of each character)."""
    is_letter = np.zeros(flags.size + 2, dtype=np.int8)
    np.bitwise_and(flags, _LETTER, out=is_letter[1:-1], casting="unsafe")
    edges = np.diff(is_letter)
    return (edges == 1).nonzero()[0], (edges == -1).nonzero()[0]


def hash_words(words: list[str]) -> np.ndarray:
    """The hashes ``count_lines`` gives these words (each one run of letters)."""
    if not words:
        return np.zeros(0, dtype=np.uint64)
    cps = np.frombuffer("\n".join(words).encode("utf-32-le"), dtype=np.uint32)
    lengths = np.array([len(w) for w in words])
    starts = np.concatenate(([0], np.cumsum(lengths[:-1] + 1)))
    return _word_hashes(cps, starts, starts + lengths)


def _pair_keys(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """One uint64 per pair of code points, mixed like a word's hash (the table reads its top bits)."""
    keys = (first.astype(np.uint64) << np.uint64(32)) | second.astype(np.uint64)
    return _mixed(keys)


def _mixed(keys: np.ndarray) -> np.ndarray:
    """Keys whose low bits are spread to the high ones (in place: uint64 arithmetic wraps)."""
    keys *= np.uint64(_MIX)
    keys ^= keys >> np.uint64(31)
    return keys


#: Slots of the word table per listed word (at least): two-choice tables
#: fill without trouble below half full.
_SLOTS_PER_WORD = 4
#: Evictions after which an insertion gives up and the table doubles.
_MAX_KICKS = 500


@dataclass(frozen=True)
class Vocabulary:
    """The word lists as tables: a two-choice (cuckoo) table of word hashes and CJK pair keys, function characters."""

    #: Slot -> word hash (0: empty) and its category bits. A word sits in
    #: one of two slots: its hash's top bits, or its low bits.
    slots: np.ndarray
    categories: np.ndarray
    #: Bits of a hash that pick a slot (the table has 2**bits slots).
    bits: int
    #: Per code point, 1 for a CJK function character.
    function_chars: np.ndarray
    #: What the file says about itself (sources, licences, sizes).
    about: dict[str, object]

    def categories_of(self, hashes: np.ndarray) -> np.ndarray:
        """The category bits of each hash (0 for a word in no list): two lookups, no loop."""
        first, second = _choices(hashes, self.bits)
        return np.where(self.slots[first] == hashes, self.categories[first],
                        np.where(self.slots[second] == hashes, self.categories[second], 0))


def _choices(hashes: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The two slots a hash may sit in."""
    return ((hashes >> np.uint64(64 - bits)).astype(np.intp),
            (hashes & np.uint64((1 << bits) - 1)).astype(np.intp))


def build_vocabulary(lists: dict[str, object]) -> Vocabulary:
    """Tables of the lists of a vocabulary file (``lists``: its parsed JSON)."""
    by_hash: dict[int, int] = {}
    for name, bit in _CATEGORIES.items():
        words = sorted({w for w in _flat(lists.get(name, {})) if _WORD.fullmatch(w)})
        for h in hash_words(words).tolist():
            by_hash[h] = by_hash.get(h, 0) | bit
    pairs = sorted({t for t in _flat(lists.get("boilerplate", {})) if len(t) == 2 and _CJK_RUN.fullmatch(t)})
    keys = _pair_keys(np.array([ord(p[0]) for p in pairs], dtype=np.uint32),
                      np.array([ord(p[1]) for p in pairs], dtype=np.uint32))
    for key in keys.tolist():  # CJK pairs share the table (their keys are mixed like word hashes)
        by_hash[key] = by_hash.get(key, 0) | BOILER
    bits = max(8, (len(by_hash) * _SLOTS_PER_WORD - 1).bit_length())
    slots, categories = _cuckoo_table(by_hash, bits)
    chars = np.zeros(_TABLE_SIZE, dtype=np.uint8)
    chars[[ord(c) for c in str(lists.get("function_chars", "")) if ord(c) < _TABLE_SIZE - 1]] = 1
    about = lists.get("about", {})
    return Vocabulary(slots, categories, bits, chars, dict(about) if isinstance(about, dict) else {})


def _cuckoo_table(by_hash: dict[int, int], bits: int) -> tuple[np.ndarray, np.ndarray]:
    """A two-choice table of the hashes: each in one of its two slots (_choices), by cuckoo insertion."""
    while True:
        size = 1 << bits
        slots: list[int] = [0] * size
        categories: list[int] = [0] * size
        if all(_insert(h, cat, slots, categories, bits) for h, cat in sorted(by_hash.items())):
            return np.array(slots, dtype=np.uint64), np.array(categories, dtype=np.uint8)
        bits += 1


def _insert(h: int, cat: int, slots: list[int], categories: list[int], bits: int) -> bool:
    """Put one hash in its table, moving others to their other slot; False when it cannot."""
    slot = h >> (64 - bits)
    for _ in range(_MAX_KICKS):
        if slots[slot] == 0:
            slots[slot], categories[slot] = h, cat
            return True
        # Take the slot; the hash that was there goes to its other slot.
        (h, slots[slot]), (cat, categories[slot]) = (slots[slot], h), (categories[slot], cat)
        first = h >> (64 - bits)
        slot = h & ((1 << bits) - 1) if first == slot else first
    return False


def _flat(value: object) -> list[str]:
    """The strings of a list, or of the lists of a {language: list} mapping."""
    if isinstance(value, dict):
        return [w for words in value.values() for w in words]
    return list(value) if isinstance(value, list) else []


@functools.lru_cache(maxsize=4)
def load_vocabulary(path: Path = VOCABULARY_PATH) -> Vocabulary:
    """The vocabulary file's tables (read once per path)."""
    return build_vocabulary(json.loads(Path(path).read_text(encoding="utf-8")))


@dataclass(frozen=True)
class LineCounts:
    """Per line: its words and CJK characters, and how many of them each list holds."""

    words: np.ndarray
    cjk: np.ndarray
    boiler: np.ndarray
    function: np.ndarray
    months: np.ndarray
    relative: np.ndarray


def count_lines(lower_cps: np.ndarray, vocab: Vocabulary, line_ends: np.ndarray | None = None) -> LineCounts:
    """Count the words of each line of a lower-cased text (``lower_cps``: its code points, each line ending in "\\n").

    ``line_ends``: where each line's "\\n" is, when a line may hold one of its own
    (default: every "\\n" ends a line).

    ``months`` counts month names; ``relative`` is 1 for a line with an
    "ago" word and a time unit ("минут назад", "vor Stunden"): with a number,
    on a short line, they make a date (features.py decides).
    """
    flags = _char_flags().take(lower_cps, mode="clip")
    breaks = (lower_cps == 0x0A).nonzero()[0] if line_ends is None else line_ends
    n = breaks.size
    starts, ends = _words(flags)
    word_line = breaks.searchsorted(starts)
    cats = vocab.categories_of(_word_hashes(lower_cps, starts, ends))
    listed = cats.nonzero()[0]  # most words are in no list: count the others only
    line, cats = word_line[listed], cats[listed]
    # Every category per line in one bincount: (line, bit) pairs.
    bits = np.unpackbits(cats[:, None], axis=1, count=_BITS, bitorder="little")
    per_line = np.bincount((line[:, None] * _BITS + np.arange(_BITS)).ravel(), weights=bits.ravel(),
                           minlength=n * _BITS).reshape(n, _BITS)
    # Every CJK range lies above _CJK_FIRST: most pages need no search for them.
    cjk, pairs, function_chars = (_cjk_counts(lower_cps, flags, breaks, vocab) if lower_cps.max() >= _CJK_FIRST
                                  else (np.zeros(n), np.zeros(n), np.zeros(n)))
    return LineCounts(
        words=np.bincount(word_line, minlength=n).astype(np.float64), cjk=cjk,
        boiler=per_line[:, 0] + pairs, function=per_line[:, 1] + function_chars, months=per_line[:, 2],
        relative=((per_line[:, 3] > 0) & (per_line[:, 4] > 0)).astype(np.float64),
    )


#: The categories, bits 0 to _BITS - 1 (BOILER, FUNCTION, MONTH, AGO, UNIT).
_BITS = 5


def _cjk_counts(cps: np.ndarray, flags: np.ndarray, breaks: np.ndarray,
                vocab: Vocabulary) -> tuple[np.ndarray, ...]:
    """Per line: CJK characters, boilerplate pairs among them, and function characters."""
    n = breaks.size
    cjk_at = (flags & _CJK).nonzero()[0]
    if cjk_at.size == 0:
        return np.zeros(n), np.zeros(n), np.zeros(n)
    cjk_line = breaks.searchsorted(cjk_at)
    follows = cjk_at[:-1] + 1 == cjk_at[1:]  # (a line break between two is no pair: not CJK)
    pair_at = cjk_at[:-1][follows]
    pair_hit = (vocab.categories_of(_pair_keys(cps[pair_at], cps[pair_at + 1])) & BOILER) != 0
    return (np.bincount(cjk_line, minlength=n).astype(np.float64),
            np.bincount(cjk_line[:-1][follows], weights=pair_hit, minlength=n),
            np.bincount(cjk_line, weights=vocab.function_chars.take(cps[cjk_at]), minlength=n))


