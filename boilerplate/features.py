"""Document -> feature matrix (one row per Line). Owns FEATURE_NAMES and FEATURE_VERSION.

Text mode: the markup features (tag, class/id hints, semantic tags, link
density, container text mass, path repetition) are 0 and ``mode_text`` is 1,
so one model serves both kinds.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import numpy as np

from ._native import load
from .document import Document, Line
from .hints import HINTS
from .walk import ANCESTOR_LEVELS, SEM

#: The optional C version of the per-line counts of ``_text_block``
#: (boilerplate/_cfeatures.c, built by setup.py where a C compiler is available;
#: same matrices, see tests/test_cfeatures.py). None means numpy and re: when it
#: is not built, or when DECLUTTER_PURE_PYTHON is set.
_cfeatures: Any = load("_cfeatures")

__all__ = ["FEATURE_VERSION", "FEATURE_NAMES", "STAGE2_NAMES", "featurize", "line_groups", "stage2_features"]

#: Bump whenever a feature is added, removed, reordered or computed differently:
#: a model saved with another version refuses to load.
FEATURE_VERSION = 2

_TAG_GROUPS = {
    "p": "p", "div": "div", "li": "li", "h1": "h1", "h2": "h2_6", "h3": "h2_6",
    "h4": "h2_6", "h5": "h2_6", "h6": "h2_6", "td": "td", "th": "td", "tr": "td",
    "blockquote": "quote", "pre": "pre", "dd": "dl", "dt": "dl", "figcaption": "caption",
    "caption": "caption", "button": "control", "label": "control", "option": "control",
    "legend": "control", "article": "section", "section": "section", "main": "section",
    "body": "section", "span": "other",
}
_GROUP_NAMES = ("p", "div", "li", "h1", "h2_6", "td", "quote", "pre", "dl", "caption",
                "control", "section", "other")


def _first_chars(alternation: str) -> str:
    """The first character of each top-level alternative of a regex (literal ones only)."""
    firsts, depth, start = set(), 0, True
    for ch in alternation:
        if start:
            if not ch.isalnum() and ch not in "©":
                raise ValueError(f"alternative starting with {ch!r} is not a literal")
            firsts.add(ch)
            start = False
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            start = True
    return "".join(sorted(firsts))


def _expand(alternation: str) -> list[str]:
    """Every string an alternation of literals matches, in the order ``re`` tries them.

    Supports literal characters, non-capturing groups ``(?:a|b)`` and a greedy
    ``?`` after a character or a group (its longer choice comes first), which
    is all _BOILER_TERMS and _BOILER_SYMBOLS use.

    Raises:
        ValueError: for any other regex syntax (extend this and _cfeatures' tests).
    """

    def alternatives(i: int) -> tuple[list[str], int]:
        options: list[str] = []
        while True:
            words, i = sequence(i)
            options += words
            if i < len(alternation) and alternation[i] == "|":
                i += 1
                continue
            return options, i

    def sequence(i: int) -> tuple[list[str], int]:
        words = [""]
        while i < len(alternation) and alternation[i] not in "|)":
            if alternation.startswith("(?:", i):
                atom, i = alternatives(i + 3)
                if i >= len(alternation) or alternation[i] != ")":
                    raise ValueError(f"unbalanced group in {alternation!r}")
                i += 1
            elif alternation[i] in "\\[]{}().*+?^$":
                raise ValueError(f"unsupported {alternation[i]!r} in {alternation!r}")
            else:
                atom, i = [alternation[i]], i + 1
            if i < len(alternation) and alternation[i] == "?":
                atom, i = atom + [""], i + 1
                if i < len(alternation) and alternation[i] in "?+*{":
                    raise ValueError(f"unsupported quantifier in {alternation!r}")
            # Backtracking varies the last choice fastest.
            words = [w + a for w in words for a in atom]
        return words, i

    out, end = alternatives(0)
    if end != len(alternation):
        raise ValueError(f"unbalanced group in {alternation!r}")
    if "" in out:
        raise ValueError(f"empty alternative in {alternation!r}")
    return out


# Text-shape regexes run once over the whole page (lines joined by "\n", in
# MULTILINE mode), not once per line: per-line calls cost more than the scan.
_SENT_END = re.compile(r"[.!?。！？…](?:[\"'”’»)\]]*)(?=\s|$)", re.M)
_ENDS_SENT = re.compile(r"[.!?。！？…][\"'”’»)\]]*$", re.M)
_ENDS_COLON = re.compile(r"[:：]$", re.M)
_BULLET = re.compile(r"^(?:[-–—•·*▪►»>◦‣○●■□]|\d{1,3}[.)])(?: |$)", re.M)
_BULLET_ONLY = re.compile(r"^[-–—•·*▪►»>◦‣○●■□|/\d.) ]{1,4}$", re.M)
_BYLINE = re.compile(r"^(?:by|von|por|par|di|door|av|af) +\S", re.M)
_QUOTE_START = re.compile(r"^[\"“„«'‘「]", re.M)
_CAPITALISED = re.compile(r"(?:^|(?<= ))[A-ZÀ-ÖØ-ÞА-ЯΑ-Ω]", re.M)
_SEPARATORS = re.compile(r" [|·•/] | » | > ")
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|januar|februar|märz|"
    r"mai|juni|juli|oktober|dezember|enero|febrero|marzo|abril|mayo|junio|julio|agosto|"
    r"septiembre|octubre|noviembre|diciembre|janvier|février|mars|avril|juin|juillet|"
    r"août|septembre|octobre|novembre|décembre"
)
#: Every alternative holds a digit, so only lines with digits are searched.
#: What a date looks like: the reference for the two regexes below (tests compare them).
_DATE_PATTERN = (
    rf"\b\d{{1,2}}:\d{{2}}\b|\b\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}\b|"
    rf"\b\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}\b|\b(?:{_MONTHS})\.? +\d{{1,2}}\b|"
    rf"\b\d{{1,2}}\.? *(?:{_MONTHS})\b|\d+ *(?:min(?:ute)?s?|hours?|hrs?|days?) +ago|"
    rf"\d{{4}}年\d{{1,2}}月|\d{{1,2}}月\d{{1,2}}日|\d{{1,2}}時"
)
# re.search(_DATE_PATTERN, window) is None exactly when both of these find nothing in the
# window, and they are ten times faster: every alternative that starts with a
# digit sits behind one leading \d (a fast scan to the digits; "\b" before a
# digit is "(?<!\w)"), and the one that starts with a month name needs a
# space followed by a digit. tests/test_speed_equivalence.py checks the equivalence.
_DATE_FROM_DIGIT = re.compile(
    r"\d(?:(?<!\w\d)\d?:\d{2}\b|(?<!\w\d)\d{3}[-/.]\d{1,2}[-/.]\d{1,2}\b|"
    r"(?<!\w\d)\d?[-/.]\d{1,2}[-/.]\d{2,4}\b|"
    rf"(?<!\w\d)\d?\.? *(?:{_MONTHS})\b|\d* *(?:min(?:ute)?s?|hours?|hrs?|days?) +ago|"
    r"\d{3}年\d{1,2}月|\d?月\d{1,2}日|\d?時)"
)
_DATE_FROM_MONTH = re.compile(rf"\b(?:{_MONTHS})\.? +\d{{1,2}}\b")
_SPACE_DIGIT = re.compile(r" \d")


def _has_date(lower: str, start: int, end: int) -> bool:
    """``re.compile(_DATE_PATTERN).search(lower, start, end) is not None``, faster."""
    return (_DATE_FROM_DIGIT.search(lower, start, end) is not None
            or (_SPACE_DIGIT.search(lower, start, end) is not None
                and _DATE_FROM_MONTH.search(lower, start, end) is not None))


_BOILER_TERMS = (
    r"share|tweet|subscribe|subscription|sign (?:in|up)|log ?in|register|read more|"
    r"advertisement|advertising|cookies?|copyright|all rights reserved|follow us|"
    r"newsletter|comments?|reply|related|popular|ranking|most read|click here|"
    r"terms of (?:use|service)|privacy|contact us|about us|sponsored|recommended|"
    r"trending|photo|image|credit|getty|reuters|afp|editing by|reporting by|"
    r"continue reading|see also|more from|you may also like|load more|back to top"
)
_BOILER_SYMBOLS = r"©|ランキング|関連|広告|記事一覧|シェア|フォロー|相关|推荐|广告|登录|分享"
#: Boilerplate wording, matched against lower-cased text (re.IGNORECASE is
#: four times slower): rf"\b(?:{_BOILER_TERMS})\b|{_BOILER_SYMBOLS}", behind a
#: lookahead for the first letter of some term, which finds the same matches
#: a fifth faster.
_BOILER_WORDS = re.compile(
    rf"(?=[{_first_chars(_BOILER_TERMS + '|' + _BOILER_SYMBOLS)}])"
    rf"(?:\b(?:{_BOILER_TERMS})\b|{_BOILER_SYMBOLS})"
)
#: _BOILER_WORDS as literals for _cfeatures, in the order re tries them: the
#: first _BOILER_BOUNDED need \b on both sides (the terms), the rest none.
_BOILER_LITERALS = tuple(_expand(_BOILER_TERMS) + _expand(_BOILER_SYMBOLS))
_BOILER_BOUNDED = len(_expand(_BOILER_TERMS))
#: Code-point ranges for per-character classes, counted with numpy.
_DIGITS = ((0x30, 0x39), (0x660, 0x669), (0xFF10, 0xFF19))
_UPPERS = ((0x41, 0x5A), (0xC0, 0xD6), (0xD8, 0xDE), (0x391, 0x3A9), (0x410, 0x42F))
_LETTERS = (
    (0x41, 0x5A), (0x61, 0x7A), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x2AF), (0x370, 0x3FF),
    (0x400, 0x52F), (0x531, 0x58F), (0x5D0, 0x5EA), (0x620, 0x64A), (0x900, 0x97F),
    (0xE00, 0xE7F), (0x1E00, 0x1FFF), (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
)
_CJK = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF))
_PUNCTS = (
    (0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x5E), (0x60, 0x60), (0x7B, 0x7E), (0xA1, 0xBF),
    (0xD7, 0xD7), (0xF7, 0xF7), (0x2010, 0x2027), (0x2030, 0x205E), (0x20A0, 0x20CF),
    (0x2100, 0x214F), (0x2190, 0x23FF), (0x2500, 0x27BF), (0x3000, 0x303F),
    (0xFF01, 0xFF0F), (0xFF1A, 0xFF20), (0xFF3B, 0xFF40), (0xFF5B, 0xFF65),
)

#: _CAPITALISED's character class, as code-point ranges (for numpy).
_CAPITALS = ((0x41, 0x5A), (0xC0, 0xD6), (0xD8, 0xDE), (0x410, 0x42F), (0x391, 0x3A9))
#: Code points beyond the ranges above (all in the BMP) share the last, empty, entry.
_TABLE_SIZE = 0x10001


def _range_table(ranges: tuple[tuple[int, int], ...]) -> np.ndarray:
    """How many of ``ranges`` hold each code point (uint8, indexed by code point)."""
    table = np.zeros(_TABLE_SIZE, dtype=np.uint8)
    for lo, hi in ranges:
        table[lo:hi + 1] += 1
    return table


#: Per code point, one column per character class, counted per line in one
#: pass: digits, upper case, letters, CJK, punctuation (how many of the class's
#: ranges hold the code point), then 0/1 for capitals, the space and colons.
_CLASS_DIGIT, _CLASS_UPPER, _CLASS_LETTER, _CLASS_CJK, _CLASS_PUNCT, _CLASS_CAPITAL, \
    _CLASS_SPACE, _CLASS_COLON = range(8)
_N_CLASSES = 8
_CLASS_TABLE = np.stack(
    [_range_table(r) for r in (_DIGITS, _UPPERS, _LETTERS, _CJK, _PUNCTS)]
    + [np.minimum(_range_table(_CAPITALS), 1), _range_table(((0x20, 0x20),)),
       _range_table(((0x3A, 0x3A), (0xFF1A, 0xFF1A)))],
    axis=1,
)

#: A line this short that holds a date is a date line, not prose.
_DATE_LINE_CHARS = 60

_TEXT_COLUMNS = (
    "log_chars", "log_words", "mean_word_len", "punct_ratio", "sent_ends", "ends_sentence",
    "ends_colon", "digit_ratio", "upper_ratio", "title_case", "bullet", "bullet_only",
    "date", "date_only", "cjk_ratio", "separators", "boiler_words", "byline",
    "quote_start", "dup_count",
)
#: Link density and line count are computed for the nearest three ancestors.
_CONTAINER_DETAIL_LEVELS = 3
_MARKUP_COLUMNS = (
    "link_density", "depth", "path_repeat", "path_link_share",
    *(f"tag_{g}" for g in _GROUP_NAMES),
    *(f"sem_{s}" for s in SEM),
    *(f"hint_{h}" for h in HINTS),
    *(f"own_{h}" for h in HINTS),
    *(f"mass_{k}" for k in range(1, ANCESTOR_LEVELS + 1)),
    *(f"anc_link_{k}" for k in range(1, _CONTAINER_DETAIL_LEVELS + 1)),
    *(f"anc_lines_{k}" for k in range(1, _CONTAINER_DETAIL_LEVELS + 1)),
)
_POSITION_COLUMNS = ("rel_pos", "rel_char_pos", "log_n_lines", "log_page_chars",
                     "char_share", "mode_text", "p_or_text")
_CONTEXT_SOURCES = ("log_chars", "link_density", "ends_sentence", "bullet_only",
                    "title_case", "date", "p_or_text")
#: +-3 lines: the window boilerpipe's and our own probes found most useful.
_WINDOW = 3
_CONTEXT_COLUMNS = tuple(
    f"{src}_{where}" for src in _CONTEXT_SOURCES for where in ("prev", "next", "win")
)
#: Penalties (characters) for the densest-run search: a line adds its
#: non-link characters minus the penalty, so runs of long lines win.
_REGION_PENALTIES = (40, 120)
_REGION_COLUMNS = tuple(
    f"region{p}_{what}" for p in _REGION_PENALTIES for what in ("in", "dist")
)

FEATURE_NAMES: tuple[str, ...] = (
    _TEXT_COLUMNS + _MARKUP_COLUMNS + _POSITION_COLUMNS + _CONTEXT_COLUMNS + _REGION_COLUMNS
)
_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}


def featurize(doc: Document, groups: np.ndarray | None = None) -> np.ndarray:
    """Return the (n_lines x len(FEATURE_NAMES)) float32 feature matrix of a page.

    ``groups`` is ``line_groups(doc)``, when the caller has it already.
    """
    n = len(doc.lines)
    X = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)
    if n == 0:
        return X
    _text_shape(doc.lines, X)
    if doc.kind == "html":
        _markup(doc.lines, line_groups(doc) if groups is None else groups, X)
    _position(doc, X)
    _context(X)
    _regions(doc.lines, X)
    return X


def _col(name: str) -> int:
    return _INDEX[name]


#: Lines per block of _text_shape: its arrays hold a few per character, and
#: on huge pages they would no longer fit in the CPU cache.
_TEXT_BLOCK_LINES = 2048


def _text_shape(lines: tuple[Line, ...], X: np.ndarray) -> None:
    """Per-line text features: lengths, punctuation, case, bullets, dates.

    Lengths are characters, not words, so unspaced scripts (CJK) work.
    Every feature but ``dup_count`` depends on the line alone, so long pages
    go by blocks of lines, with the same result: no pattern matches across
    a line break, and lines hold none (or ``blob.count`` below sees it). The
    exception is text whose lower-casing changes its length ("İ"): there the
    lower-case matches are placed by the original positions over the whole
    page, so it goes in one block.
    """
    texts = [line.text for line in lines]
    dups = Counter(texts)
    n = len(texts)
    step = _TEXT_BLOCK_LINES
    if n > step:
        blob = "\n".join(texts)
        if len(blob.lower()) != len(blob):
            step = n
    for lo in range(0, n, step):
        _text_block(texts[lo:lo + step], dups, X[lo:lo + step])


def _text_block(texts: list[str], dups: Counter[str], X: np.ndarray) -> None:
    """_text_shape for a block of lines (``dups``: every line of the page, counted)."""
    n = len(texts)
    blob = "\n".join(texts)
    lower = blob.lower()
    lengths = np.fromiter((len(t) for t in texts), dtype=np.float64, count=n)
    starts = np.concatenate(([0], np.cumsum(lengths[:-1] + 1))).astype(np.int64)
    chars = np.maximum(lengths, 1.0)  # a Line is never empty, but keep ratios finite
    fast = _cfeatures is not None
    if fast:
        # The class counts, then the matches of _SENT_END, _ENDS_SENT,
        # _SEPARATORS and _BOILER_WORDS per line, as the else branch finds
        # them; False (a lone surrogate) sends the block down that branch.
        found = np.empty((n, _N_CLASSES + 4), dtype=np.int64)
        fast = _cfeatures.counts(blob, lower, starts, _CLASS_TABLE, _CLASS_CAPITAL, _CLASS_COLON,
                                 _BOILER_LITERALS, _BOILER_BOUNDED, found)
    if fast:
        counts = found[:, :_N_CLASSES]
        sent_ends, ends_sentence = found[:, _N_CLASSES], found[:, _N_CLASSES + 1] > 0
        separators, boiler_words = found[:, _N_CLASSES + 2], found[:, _N_CLASSES + 3]
    else:
        counts = _class_counts(blob, starts)
        sent_ends = _count_per_line(_SENT_END, blob, starts, n)
        ends_sentence = _count_per_line(_ENDS_SENT, blob, starts, n) > 0
        separators = _count_per_line(_SEPARATORS, blob, starts, n)
        boiler_words = _count_per_line(_BOILER_WORDS, lower, starts, n)

    def per_line(column: int) -> np.ndarray:
        return counts[:, column].astype(np.float64)

    def count(regex: re.Pattern[str], text: str = blob) -> np.ndarray:
        return _count_per_line(regex, text, starts, n)

    words = counts[:, _CLASS_SPACE] + 1.0
    digits = per_line(_CLASS_DIGIT)
    date = np.zeros(n, dtype=bool)
    candidates = np.flatnonzero(digits)
    if len(lower) == len(blob) and candidates.size > 8:
        # One scan of the block for the digit-led forms (their matches never
        # hold a line break, so a line has one exactly when a search of its
        # window finds one); only the other lines with digits need a search.
        date[:] = count(_DATE_FROM_DIGIT, lower) > 0
        date &= digits > 0
        candidates = np.flatnonzero((digits > 0) & ~date)
        for i in candidates.tolist():
            start, end = int(starts[i]), int(starts[i] + chars[i])
            date[i] = (_SPACE_DIGIT.search(lower, start, end) is not None
                       and _DATE_FROM_MONTH.search(lower, start, end) is not None)
    else:
        for i in candidates.tolist():
            date[i] = _has_date(lower, int(starts[i]), int(starts[i] + chars[i]))
    capitals = counts[:, _CLASS_CAPITAL]
    ends_colon = counts[:, _CLASS_COLON] > 0
    if blob.count("\n") == n - 1:
        # No line holds a newline of its own, so the patterns anchored with ^
        # (MULTILINE) can only match at a line's first character: try them
        # there, on the lines whose first character can start a match.
        same_positions = len(lower) == len(blob)  # lower-casing kept every position
        if _cfeatures is not None:
            flags = np.empty((n, 4), dtype=np.bool_)
            _cfeatures.line_starts(blob, starts, lower if same_positions else None, _BULLET_CHARS,
                                   _BULLET_ONLY_CHARS, _QUOTE_CHARS, _BYLINE_WORDS, flags)
            bullet, bullet_only, quote_start, byline = flags.T
        else:
            at = starts.tolist()
            bullet = _matches_at(_BULLET, blob, at, [
                k for k, t in enumerate(texts) if t[:1] in _BULLET_FIRST or t[:1].isdecimal()], n)
            bullet_only = _matches_at(_BULLET_ONLY, blob, at,
                                      [k for k, t in enumerate(texts) if len(t) <= 4], n)
            quote_start = _matches_at(_QUOTE_START, blob, at,
                                      [k for k, t in enumerate(texts) if t[:1] in _QUOTE_FIRST], n)
            if same_positions:
                byline = _matches_at(_BYLINE, lower, at,
                                     [k for k, s in enumerate(at) if lower[s:s + 1] in _BYLINE_FIRST], n)
        if not same_positions:
            byline = count(_BYLINE, lower) > 0
    else:
        bullet, bullet_only = count(_BULLET) > 0, count(_BULLET_ONLY) > 0
        quote_start, byline = count(_QUOTE_START) > 0, count(_BYLINE, lower) > 0
    columns = (
        np.log1p(chars), np.log1p(words), (chars - words + 1) / words,
        per_line(_CLASS_PUNCT) / chars, sent_ends, ends_sentence,
        ends_colon, digits / chars,
        per_line(_CLASS_UPPER) / np.maximum(per_line(_CLASS_LETTER), 1), capitals / words,
        bullet, bullet_only, date, date & (chars < _DATE_LINE_CHARS),
        per_line(_CLASS_CJK) / chars, separators, boiler_words,
        byline, quote_start,
        np.fromiter((dups[t] - 1 for t in texts), dtype=np.float64, count=n),
    )
    X[:, : len(_TEXT_COLUMNS)] = np.column_stack(columns)


def _class_counts(blob: str, starts: np.ndarray) -> np.ndarray:
    """Per line (``starts``: offsets in ``blob``), the sums of the _CLASS_TABLE
    rows of its characters and line break, capitals and colons masked (numpy)."""
    # A trailing separator makes every line's reduceat segment non-empty.
    cps = np.frombuffer((blob + "\n").encode("utf-32-le"), dtype=np.uint32)
    classes = _CLASS_TABLE.take(np.minimum(cps, _TABLE_SIZE - 1), axis=0)
    # _CAPITALISED's matches: a capital at the start of the text, after a
    # newline (its ^ in MULTILINE mode) or after a space.
    after_break = np.empty(cps.shape, dtype=bool)
    after_break[0] = True
    np.equal(cps[:-1], 0x20, out=after_break[1:])
    after_break[1:] |= cps[:-1] == 0x0A
    classes[:, _CLASS_CAPITAL] &= after_break.view(np.uint8)
    # _ENDS_COLON's matches: a colon before a newline (its $) or the end.
    classes[:-1, _CLASS_COLON] &= (cps[1:] == 0x0A).view(np.uint8)
    return np.add.reduceat(classes, starts, axis=0, dtype=np.int64)


#: First characters that can start a _BULLET (besides digits), _QUOTE_START or _BYLINE match.
_BULLET_FIRST = frozenset("-–—•·*▪►»>◦‣○●■□")
_QUOTE_FIRST = frozenset("\"“„«'‘「")
_BYLINE_FIRST = frozenset("bvpda")
#: The same patterns spelled out for _cfeatures.line_starts (tests/test_cfeatures.py
#: checks them against the regexes on every code point): _BULLET's characters,
#: _BULLET_ONLY's besides digits, _QUOTE_START's, and _BYLINE's words.
_BULLET_CHARS = "-–—•·*▪►»>◦‣○●■□"
_BULLET_ONLY_CHARS = _BULLET_CHARS + "|/.) "
_QUOTE_CHARS = "\"“„«'‘「"
_BYLINE_WORDS = ("by", "von", "por", "par", "di", "door", "av", "af")


def _matches_at(regex: re.Pattern[str], text: str, starts: list[int], lines: list[int],
                n: int) -> np.ndarray:
    """Whether ``regex`` matches at the start of each of ``lines`` (False for the others)."""
    out = np.zeros(n, dtype=bool)
    match = regex.match
    for k in lines:
        if match(text, starts[k]) is not None:
            out[k] = True
    return out


def _count_per_line(regex: re.Pattern[str], text: str, starts: np.ndarray, n: int) -> np.ndarray:
    """Number of regex matches in each line of the joined page text."""
    positions = [m.start() for m in regex.finditer(text)]
    if not positions:
        return np.zeros(n)
    return np.bincount(np.searchsorted(starts, positions, side="right") - 1, minlength=n)


def _markup(lines: tuple[Line, ...], groups: np.ndarray, X: np.ndarray) -> None:
    """Per-line markup features; only called for HTML documents."""
    n = len(lines)
    base = len(_TEXT_COLUMNS)
    chars = np.fromiter((len(l.text) for l in lines), dtype=np.float32, count=n)
    links = np.fromiter((l.link_chars for l in lines), dtype=np.float32, count=n)
    density = np.minimum(links / np.maximum(chars, 1.0), 1.0)
    X[:, base] = density
    X[:, base + 1] = np.fromiter((l.depth for l in lines), dtype=np.float32, count=n)
    # Lines per tag path, and how many of them are mostly links. line_groups'
    # last column numbers the paths; its negative keys are the lines without
    # a path, which count as one path here ("").
    path_key = np.maximum(groups[:, ANCESTOR_LEVELS], -1)
    inverse = _group_index(path_key)
    same_path = np.bincount(inverse)[inverse]
    linked = np.bincount(inverse, weights=density > 0.5)[inverse]
    X[:, base + 2] = _log1p_table(n).take(same_path - 1)
    X[:, base + 3] = linked / same_path
    X[np.arange(n), [_TAG_GROUP_COL.get(l.tag, _OTHER_GROUP_COL) for l in lines]] = 1.0
    _bits(X, [l.sem for l in lines], SEM, "sem_")
    _bits(X, [l.hints for l in lines], HINTS, "hint_")
    _bits(X, [l.own_hints for l in lines], HINTS, "own_")
    _containers(groups, chars, links, X)


def _log1p_table(n: int) -> np.ndarray:
    """``math.log1p(k)`` for k in 0..n-1 (the C library's, as the per-line code had it)."""
    global _LOG1P
    if len(_LOG1P) < n:
        _LOG1P = np.array([math.log1p(k) for k in range(max(n, 2 * len(_LOG1P)))])
    return _LOG1P


_LOG1P = np.array([math.log1p(k) for k in range(1024)])


#: Column of each tag's group (tags of no group are "other").
_TAG_GROUP_COL = {tag: _INDEX[f"tag_{group}"] for tag, group in _TAG_GROUPS.items()}
_OTHER_GROUP_COL = _INDEX["tag_other"]


def _bits(X: np.ndarray, values: list[int], names: dict[str, int], prefix: str) -> None:
    """Spread integer bit masks over one binary column per bit."""
    arr = np.asarray(values, dtype=np.int64)
    cols = [_col(prefix + name) for name in names]
    bits = np.array(list(names.values()), dtype=np.int64)
    if cols == list(range(cols[0], cols[0] + len(cols))):  # always, as FEATURE_NAMES are built
        X[:, cols[0]:cols[0] + len(cols)] = (arr[:, None] & bits) != 0
    else:  # pragma: no cover
        X[:, cols] = (arr[:, None] & bits) != 0


def _containers(groups: np.ndarray, chars: np.ndarray, links: np.ndarray, X: np.ndarray) -> None:
    """Per block ancestor of each line: its share of the page's non-link text,
    its link density and how many lines it holds (teaser lists: many linked lines).
    """
    own = chars - links
    total = float(own.sum()) or 1.0
    for level in range(ANCESTOR_LEVELS):
        inverse = _group_index(groups[:, level])
        own_sum = np.bincount(inverse, weights=own)[inverse]
        X[:, _col(f"mass_{level + 1}")] = own_sum / total
        if level < _CONTAINER_DETAIL_LEVELS:
            char_sum = np.bincount(inverse, weights=chars)[inverse]
            X[:, _col(f"anc_link_{level + 1}")] = 1.0 - own_sum / np.maximum(char_sum, 1.0)
            X[:, _col(f"anc_lines_{level + 1}")] = np.log(np.bincount(inverse)[inverse])


def _position(doc: Document, X: np.ndarray) -> None:
    """Where the line sits on the page, and page-level size."""
    n = len(doc.lines)
    chars = np.fromiter((len(l.text) for l in doc.lines), dtype=np.float64, count=n)
    total = max(float(chars.sum()), 1.0)
    X[:, _col("rel_pos")] = np.arange(n) / max(n - 1, 1)
    X[:, _col("rel_char_pos")] = (np.cumsum(chars) - chars) / total
    X[:, _col("log_n_lines")] = math.log1p(n)
    X[:, _col("log_page_chars")] = math.log1p(total)
    X[:, _col("char_share")] = chars / total
    X[:, _col("mode_text")] = doc.kind == "text"
    if doc.kind == "text":
        X[:, _col("p_or_text")] = 1.0
    else:
        X[:, _col("p_or_text")] = X[:, _col("tag_p")]


def _context(X: np.ndarray) -> None:
    """Previous, next and +-window mean of a few columns."""
    n = X.shape[0]
    idx = np.arange(n)
    lo = np.maximum(idx - _WINDOW, 0)
    hi = np.minimum(idx + _WINDOW + 1, n)
    for src in _CONTEXT_SOURCES:
        col = X[:, _col(src)]
        prev = np.zeros_like(col)
        nxt = np.zeros_like(col)
        prev[1:] = col[:-1]
        nxt[:-1] = col[1:]
        X[:, _col(f"{src}_prev")] = prev
        X[:, _col(f"{src}_next")] = nxt
        cs = np.concatenate(([0.0], np.cumsum(col, dtype=np.float64)))
        X[:, _col(f"{src}_win")] = (cs[hi] - cs[lo]) / (hi - lo)


def _regions(lines: tuple[Line, ...], X: np.ndarray) -> None:
    """Membership of and distance to the densest run of long non-link lines."""
    n = len(lines)
    own = np.fromiter((len(l.text) - l.link_chars for l in lines), dtype=np.float64, count=n)
    for penalty in _REGION_PENALTIES:
        start, end = _max_run(own - penalty)
        idx = np.arange(n)
        dist = np.where(idx < start, start - idx, np.where(idx > end, idx - end, 0))
        X[:, _col(f"region{penalty}_in")] = dist == 0
        X[:, _col(f"region{penalty}_dist")] = np.log1p(dist)


def _max_run(values: np.ndarray) -> tuple[int, int]:
    """Kadane: bounds of the contiguous run with the largest sum."""
    best, best_start, best_end = -math.inf, 0, 0
    current, start = 0.0, 0
    for i, v in enumerate(values.tolist()):
        if current <= 0:
            current, start = v, i
        else:
            current += v
        if current > best:
            best, best_start, best_end = current, start, i
    return best_start, best_end


# --- Second stage: the first stage's probabilities in their page context -------

#: Raw columns the second stage sees again beside the probabilities.
_STAGE2_RAW = ("log_chars", "link_density", "ends_sentence", "mode_text", "date_only",
               "sem_h1", "sem_heading", "bullet_only", "rel_pos", "title_case", "sem_li",
               "tag_td")
#: Window radii (lines) for the smoothed probabilities: jusText's neighbour
#: relabelling, generalised.
_STAGE2_WINDOWS = (1, 2, 5)
STAGE2_NAMES: tuple[str, ...] = (
    "p", "p_prev", "p_next", "p_prev2", "p_next2",
    *(f"p_win{r}" for r in _STAGE2_WINDOWS),
    *(f"p_anc{k}" for k in range(1, ANCESTOR_LEVELS + 1)), "p_path",
    "p_page_max", "p_page_mean", "p_page_share",
    "in_kept_span", "dist_kept", *(f"raw_{name}" for name in _STAGE2_RAW),
)


def line_groups(doc: Document) -> np.ndarray:
    """Integer keys per line: its block ancestors (levels 1..4), then its tag path.

    Lines without such a key get a unique negative one, so they group alone.
    """
    n = len(doc.lines)
    width = ANCESTOR_LEVELS + 1
    if _cfeatures is not None:
        out = np.empty((n, width), dtype=np.int64)
        _cfeatures.groups(doc.lines, ANCESTOR_LEVELS, out)
        return out
    return _line_groups_python(doc)


def _line_groups_python(doc: Document) -> np.ndarray:
    """``line_groups`` in Python: the reference for the C version, and its fallback."""
    n = len(doc.lines)
    width = ANCESTOR_LEVELS + 1
    paths: dict[str, int] = {}
    flat: list[int] = []
    extend = flat.extend
    for i, line in enumerate(doc.lines):
        alone = -1 - i
        ancestors = line.ancestors
        if len(ancestors) >= ANCESTOR_LEVELS:
            extend(ancestors[:ANCESTOR_LEVELS])
        else:
            extend(ancestors)
            extend([alone] * (ANCESTOR_LEVELS - len(ancestors)))
        flat.append(paths.setdefault(line.path, len(paths)) if line.path else alone)
    return np.fromiter(flat, dtype=np.int64, count=n * width).reshape(n, width)


def stage2_features(proba: np.ndarray, X: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Second-stage matrix: each line's probability beside its neighbours' and containers'."""
    n = X.shape[0]
    S = np.zeros((n, len(STAGE2_NAMES)), dtype=np.float32)
    if n == 0:
        return S
    p = proba.astype(np.float64)
    S[:, 0] = p
    S[1:, 1], S[:-1, 2] = p[:-1], p[1:]
    S[2:, 3], S[:-2, 4] = p[:-2], p[2:]
    cs = np.concatenate(([0.0], np.cumsum(p)))
    idx = np.arange(n)
    for j, r in enumerate(_STAGE2_WINDOWS):
        lo, hi = np.maximum(idx - r, 0), np.minimum(idx + r + 1, n)
        S[:, 5 + j] = (cs[hi] - cs[lo]) / (hi - lo)
    col = 5 + len(_STAGE2_WINDOWS)
    for level in range(ANCESTOR_LEVELS + 1):
        S[:, col + level] = _group_mean(groups[:, level], p)
    col += ANCESTOR_LEVELS + 1
    S[:, col] = p.max()
    S[:, col + 1] = p.mean()
    S[:, col + 2] = (p >= 0.5).mean()
    kept = np.flatnonzero(p >= 0.5)
    if kept.size:
        S[:, col + 3] = (idx >= kept[0]) & (idx <= kept[-1])
        pos = np.searchsorted(kept, idx)
        left = np.abs(idx - kept[np.clip(pos - 1, 0, kept.size - 1)])
        right = np.abs(kept[np.clip(pos, 0, kept.size - 1)] - idx)
        S[:, col + 4] = np.log1p(np.minimum(left, right))
    else:
        S[:, col + 4] = np.log1p(n)
    S[:, col + 5:] = X[:, [_col(name) for name in _STAGE2_RAW]]
    return S


def _group_mean(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mean of ``values`` over the lines sharing each line's key."""
    inverse = _group_index(keys)
    sums = np.bincount(inverse, weights=values)
    counts = np.bincount(inverse)
    return (sums / counts)[inverse]


def _group_index(keys: np.ndarray) -> np.ndarray:
    """``np.unique(keys, return_inverse=True)[1]``: each key's rank among the distinct keys.

    Group keys are small integers (element numbers, path numbers, -1 - line),
    so a table over their range ranks them in linear time; np.unique sorts,
    which made huge pages superlinear. Falls back to np.unique for keys
    spread wider than a few times the number of lines.
    """
    keys = np.asarray(keys)
    if keys.size == 0:
        return np.zeros(0, dtype=np.intp)
    lo, hi = int(keys.min()), int(keys.max())
    if hi - lo > 8 * keys.size + 1_000_000:
        return np.unique(keys, return_inverse=True)[1].reshape(keys.shape)
    present = np.zeros(hi - lo + 1, dtype=np.intp)
    shifted = keys - lo
    present[shifted] = 1
    return (np.cumsum(present) - 1)[shifted]
