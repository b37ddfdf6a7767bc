"""Document -> feature matrix (one row per Line). Owns FEATURE_NAMES and FEATURE_VERSION.

Text mode: the markup features (tag, class/id hints, semantic tags, link
density, container text mass, path repetition) are 0 and ``mode_text`` is 1,
so one model serves both kinds.

One implementation, numpy and re: what looks at every character of a page
(character classes, sentence ends, separators) works on its code points as
numpy arrays, through per-code-point tables; regexes run only where they are
cheap, on the few positions or lines a table lets through.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from itertools import zip_longest

import numpy as np

from .document import Document, Line
from .hints import HINTS
from .region import REGION_NAMES, region_columns
from .structure import COLUMN_NAMES as _STRUCTURE_COLUMNS
from .structure import HINT_DEPTH_NAMES
from .structure import columns as _structure
from .structure import group_index_per_column as _group_index_per_column
from .vocab import Vocabulary, count_lines, load_vocabulary
from .walk import ANCESTOR_LEVELS, SEM

__all__ = ["FEATURE_VERSION", "FEATURE_NAMES", "STAGE2_NAMES", "featurize", "line_groups", "recount_vocabulary",
           "stage2_features"]

#: Bump whenever a feature is added, removed, reordered or computed differently:
#: a model saved with another version refuses to load.
FEATURE_VERSION = 4

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


# --- What the text-shape features look for --------------------------------------
# Each pattern is written once, here. Those scanned on every character are
# character sets, turned into per-code-point tables below and scanned with
# numpy; tests/test_features.py checks each scan against the plain regex it
# stands for.

#: A sentence end: a mark, any closers, then white space or the end of the
#: line (the regex [marks][closers]*(?=\s|$), MULTILINE); the full stops and
#: question and exclamation marks of many scripts (Latin, CJK, Arabic and
#: Urdu, Devanagari, Ethiopic, Myanmar, Khmer, Tibetan, Armenian, Greek).
_MARKS = ".!?。！？…" + "｡‼⁇⁈⁉" + "؟۔" + "।॥" + "።፧" + "။" + "។" + "།" + "։" + "\u037e"
#: Chinese and Japanese put no space after a sentence: their full-width marks
#: end one whatever follows ("…した。次に…").
_WIDE_MARKS = "。！？｡"
_CLOSERS = "\"'”’»)]" + "」』）】〕〉》"
#: A separator: " X " with X one of these ("Home > News", "a | b"); as with
#: re.finditer, two separators never share a space.
_SEPARATOR_MIDDLES = "|·•/»>"
#: Characters that open a quotation at the start of a line.
_QUOTE_MARKS = "\"“„«'‘「"
_BULLET_MARKS = "-–—•·*▪►»>◦‣○●■□" + "・◆◇★☆▶▷"
#: Numbered items: "1." "2)" "１．" "3、", circled numbers; a space or the
#: end follows, or (unspaced scripts) an ideograph, kana or an opening quote.
_CIRCLED = "".join(map(chr, range(0x2460, 0x2474)))
_BULLET = re.compile(rf"^(?:[{_BULLET_MARKS}{_CIRCLED}]|\d{{1,3}}[.)．、）])"
                     r"(?: |$|(?=[「『【《“\"'\u3040-\u30ff\u3400-\u9fff]))", re.MULTILINE)
#: A line of bullets, separators and numbering only, this long at most.
_BULLET_ONLY_CHARS = 4
_BULLET_ONLY = re.compile(rf"^[{_BULLET_MARKS}|/\d.) ]{{1,{_BULLET_ONLY_CHARS}}}$", re.MULTILINE)
_BYLINE_WORDS = ("by", "von", "por", "par", "di", "door", "av", "af")
_BYLINE = re.compile(rf"^(?:{'|'.join(_BYLINE_WORDS)}) +\S", re.MULTILINE)
#: Month names and their abbreviations (English, German, Spanish, French), lower case.
_MONTH_NAMES = (
    "january", "jan", "february", "feb", "march", "mar", "april", "apr", "may", "june", "jun",
    "july", "jul", "august", "aug", "september", "sept", "sep", "october", "oct", "november",
    "nov", "december", "dec", "januar", "februar", "märz", "mai", "juni", "juli", "oktober",
    "dezember", "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
    "septiembre", "octubre", "noviembre", "diciembre", "janvier", "février", "mars", "avril",
    "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)
_MONTHS = "|".join(_MONTH_NAMES)
#: Time units of "N minutes ago" in Chinese, Japanese and Korean (from
#: dateparser's zh, ja and ko data), before 前 or 전: "5分钟前", "3時間前", "2시간 전".
_CJK_UNITS = "秒|分钟|分鐘|分|小时|小時|時間|天|日|週間|周|초|분|시간|일|주"
#: Month names and "ago" in other languages come from the vocabulary
#: (boilerplate.vocab: dateparser's words, counted next to a number).
#: Every alternative holds a digit, so only lines with digits are searched.
#: What a date looks like: the reference for the two regexes below (tests compare them).
_DATE_PATTERN = (
    rf"\b\d{{1,2}}:\d{{2}}\b|\b\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}\b|"
    rf"\b\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}\b|\b(?:{_MONTHS})\.? +\d{{1,2}}\b|"
    rf"\b\d{{1,2}}\.? *(?:{_MONTHS})\b|\d+ *(?:min(?:ute)?s?|hours?|hrs?|days?) +ago|"
    rf"\d{{4}}年\d{{1,2}}月|\d{{1,2}}月\d{{1,2}}日|\d{{1,2}}時|"
    rf"\d{{4}}년|\d{{1,2}}월 ?\d{{1,2}}일|\d+ ?(?:{_CJK_UNITS}) ?(?:前|전)"
)


def _alternation(words: tuple[str, ...], *, word_start: bool) -> str:
    """``words`` (starting with letters) as a regex alternation, one branch per first letter."""
    # re tries only the branch of the letter at hand (m(?:ay|ar|...)). With
    # word_start each branch asks for the \b before the word (m(?<!\wm)...):
    # as every branch then starts with a letter, re skips straight to those.
    rests: dict[str, list[str]] = {}
    for word in words:
        rests.setdefault(word[0], []).append(re.escape(word[1:]))
    start = r"(?<!\w{})" if word_start else ""
    return "|".join(rf"{first}{start.format(first)}(?:{'|'.join(rest)})"
                    for first, rest in rests.items())


# re.search(_DATE_PATTERN, window) is None exactly when both of these find
# nothing in the window, and they are ten times faster: every alternative that
# starts with a digit sits behind one leading \d (re scans straight to the
# digits; "\b" before a digit is "(?<!\w)", then tested once for all), and
# the one that starts with a month name needs a space followed by a digit.
# "N minutes ago" is found from the last digit of N alone: a digit run is
# followed by " min ago" exactly when its last digit is, and matching the
# run itself (\d+) made the search quadratic on long runs of digits (a
# 30,000-digit table cell took 11 s). tests/test_features.py checks the equivalence.
_DATE_FROM_DIGIT = re.compile(
    r"\d(?:(?<!\w\d)(?:\d?:\d{2}\b|\d{3}[-/.]\d{1,2}[-/.]\d{1,2}\b|\d?[-/.]\d{1,2}[-/.]\d{2,4}\b|"
    rf"\d?\.? *(?:{_alternation(_MONTH_NAMES, word_start=False)})\b)|"
    r" *(?:min(?:ute)?s?|hours?|hrs?|days?) +ago|\d{3}年\d{1,2}月|\d?月\d{1,2}日|\d?時|"
    rf"\d{{3}}년|\d?월 ?\d{{1,2}}일| ?(?:{_CJK_UNITS}) ?(?:前|전))"
)
_DATE_FROM_MONTH = re.compile(rf"(?:{_alternation(_MONTH_NAMES, word_start=True)})\.? +\d{{1,2}}\b")
_SPACE_DIGIT = re.compile(r" \d")


def _has_date(lower: str, start: int, end: int) -> bool:
    """``re.compile(_DATE_PATTERN).search(lower, start, end) is not None``, faster."""
    return (_DATE_FROM_DIGIT.search(lower, start, end) is not None
            or (_SPACE_DIGIT.search(lower, start, end) is not None
                and _DATE_FROM_MONTH.search(lower, start, end) is not None))


#: Boilerplate wording: the mined vocabulary of boilerplate.vocab (every
#: language at once), and the copyright sign.
_COPYRIGHT = 0xA9


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
#: Capitals (a word starting with one is title case), as code-point ranges:
#: the class [A-ZÀ-ÖØ-ÞА-ЯΑ-Ω].
_CAPITALS = ((0x41, 0x5A), (0xC0, 0xD6), (0xD8, 0xDE), (0x410, 0x42F), (0x391, 0x3A9))
#: Tables by code point cover the BMP; every code point beyond it shares the
#: last entry (no range above reaches it).
_TABLE_SIZE = 0x10001


def _range_table(ranges: tuple[tuple[int, int], ...]) -> np.ndarray:
    """How many of ``ranges`` hold each code point (uint8, indexed by code point)."""
    table = np.zeros(_TABLE_SIZE, dtype=np.uint8)
    for lo, hi in ranges:
        table[lo:hi + 1] += 1
    return table


#: Per code point, one column per character class, counted per line in one
#: pass: digits, upper case, letters, CJK, punctuation (how many of the class's
#: ranges hold the code point), then 0/1 for capitals and the space, and a
#: last column of zeros (eight make two uint64 of 16-bit lanes, below).
_CLASS_DIGIT, _CLASS_UPPER, _CLASS_LETTER, _CLASS_CJK, _CLASS_PUNCT, _CLASS_CAPITAL, \
    _CLASS_SPACE = range(7)
_CLASS_TABLE = np.stack(
    [_range_table(r) for r in (_DIGITS, _UPPERS, _LETTERS, _CJK, _PUNCTS)]
    + [np.minimum(_range_table(_CAPITALS), 1), _range_table(((0x20, 0x20),)), _range_table(())],
    axis=1,
)


def _code_points(text: str) -> np.ndarray:
    """The code points of ``text`` (uint32). Raises UnicodeEncodeError on a lone surrogate."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _members(char_class: str) -> str:
    """The characters of the BMP that the regex ``char_class`` matches (surrogates aside)."""
    codes = np.arange(_TABLE_SIZE - 1, dtype=np.uint32)
    codes[0xD800:0xE000] = 0  # a str cannot encode them; U+0000 is in no class used here
    return "".join(re.findall(char_class, codes.tobytes().decode("utf-32-le")))


def _flag_table(classes: tuple[tuple[int, str, bool], ...]) -> np.ndarray:
    """Per code point, the bits of the (bit, characters, and all beyond the BMP) that hold it."""
    # Every code point beyond the BMP shares the last entry: it gets a bit
    # when some of them may match (the _FIRST bits below), else none.
    table = np.zeros(_TABLE_SIZE, dtype=np.uint16)
    for bit, chars, astral in classes:
        table[_code_points(chars)] |= bit
        table[-1] |= bit if astral else 0
    return table


#: Bits of _FLAGS, for the scans of _text_block. The _FIRST bits only say
#: where a regex may start a match, and it is tried there; the others are
#: exact. \s and \d are re's own; beyond the BMP, \s matches nothing, \d some digits.
_MARK, _CLOSER, _SPACE, _SEPARATOR, _QUOTE, _COLON, _BULLET_FIRST, _BYLINE_FIRST, _WIDE = (
    1 << k for k in range(9))
_FLAGS = _flag_table((
    (_MARK, _MARKS, False),
    (_WIDE, _WIDE_MARKS, False),
    (_CLOSER, _CLOSERS, False),
    (_SPACE, _members(r"\s"), False),  # the white space $ and (?=\s) look for ("\n" too)
    (_SEPARATOR, _SEPARATOR_MIDDLES, False),
    (_QUOTE, _QUOTE_MARKS, False),
    (_COLON, ":：", False),  # a colon that ends a line: [:：]$ (MULTILINE)
    (_BULLET_FIRST, _BULLET_MARKS + _CIRCLED + _members(r"\d"), True),
    (_BYLINE_FIRST, "".join(word[0] for word in _BYLINE_WORDS), False),
))
#: The few characters whose positions the scans of a whole text look at.
_IS_EVENT = (_FLAGS & (_MARK | _CLOSER | _SEPARATOR)) != 0
#: A line this short that holds a date is a date line, not prose.
_DATE_LINE_CHARS = 60
#: A month name or "ago" word of the vocabulary, with a number, makes a date
#: on a line this short (in a longer line it is more often prose: "in March 2011").
_DATE_WORDS_LINE_CHARS = 2 * _DATE_LINE_CHARS

_TEXT_COLUMNS = (
    "log_chars", "log_words", "mean_word_len", "punct_ratio", "sent_ends", "ends_sentence",
    "ends_colon", "digit_ratio", "upper_ratio", "title_case", "bullet", "bullet_only",
    "date", "date_only", "cjk_ratio", "separators", "boiler_words", "byline",
    "quote_start", "dup_count",
    # The same in every script: words plus CJK characters, and the share of
    # them that are function words (jusText's stoplists) or CJK function
    # characters: prose is dense in them, menus and headlines are not.
    "log_tokens", "function_share",
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
#: Lengths against the page's own (the same in every script), and lists: a
#: line that starts an item (a bullet or number, after a bullet-only line, or
#: an <li>), the items in its run of items, the share of them that end no
#: sentence (headlines), and the share numbered one after the other (a ranking).
_LIST_COLUMNS = ("len_rank", "len_vs_median", "item", "list_run", "run_headline_share",
                 "run_numbered")
_CONTEXT_SOURCES = ("log_chars", "link_density", "ends_sentence", "bullet_only",
                    "title_case", "date", "p_or_text", "function_share")
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
    + _LIST_COLUMNS + _STRUCTURE_COLUMNS
)
_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}
_STRUCTURE_FIRST = len(FEATURE_NAMES) - len(_STRUCTURE_COLUMNS)


def featurize(doc: Document, groups: np.ndarray | None = None) -> np.ndarray:
    """Return the (n_lines x len(FEATURE_NAMES)) float32 feature matrix of a page.

    ``groups`` is ``line_groups(doc)``, when the caller has it already.
    """
    n = len(doc.lines)
    X = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)
    if n == 0:
        return X
    texts = [line.text for line in doc.lines]
    chars = np.fromiter(map(len, texts), dtype=np.float64, count=n)
    links = np.fromiter((line.link_chars for line in doc.lines), dtype=np.float64, count=n)
    _text_shape(texts, X)
    if doc.kind == "html":
        groups = line_groups(doc) if groups is None else groups
        _markup(doc.lines, groups, chars, links, X)
        X[:, _STRUCTURE_FIRST:] = _structure(doc.lines, groups, chars, links, X[:, _col("date")] > 0)
    _position(doc.kind, chars, X)
    _lists(texts, chars, X)
    _context(X)
    _regions(chars - links, X)
    return X


def _col(name: str) -> int:
    return _INDEX[name]


#: Lines per block of _text_shape: its arrays hold a few per character, and
#: on huge pages they would no longer fit in the CPU cache.
_TEXT_BLOCK_LINES = 2048


def _text_shape(texts: list[str], X: np.ndarray) -> None:
    """Per-line text features: lengths (in characters, for CJK), punctuation, case, bullets, dates."""
    # Every feature but dup_count depends on the line alone, so long pages go
    # by blocks of lines, with the same result: no pattern matches across a
    # line break, and lines hold none (or _line_edges sees it). The exception
    # is text whose lower-casing changes its length ("İ"): there the
    # lower-case matches are placed by the original positions over the whole
    # page, so it goes in one block.
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
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    starts = np.zeros(n, dtype=np.int64)
    (lengths[:-1] + 1).cumsum(out=starts[1:])
    chars = np.maximum(lengths, 1).astype(np.float64)  # a Line is never empty; ratios stay finite
    # The code points of the text and of its lower-cased copy, each with a
    # final "\n" that ends the last line like the others.
    cps = _code_points(blob + "\n")
    lower_cps = cps if lower == blob else _code_points(lower + "\n")
    counts = _class_counts(cps, starts, int(lengths.max()))
    words = counts[:, _CLASS_SPACE] + 1.0
    digits = counts[:, _CLASS_DIGIT].astype(np.float64)
    # The words of every language's lists, per line.
    vocab = count_lines(lower_cps, load_vocabulary(), _line_ends(texts, starts, lengths, len(lower) == len(blob)))
    # Other languages' month names and "N minutes ago": a number and such a
    # word on a line short enough to be a date line, not prose.
    date = _dates(lower, starts, chars, digits) | (
        ((vocab.months > 0) | (vocab.relative > 0)) & (digits > 0) & (chars <= _DATE_WORDS_LINE_CHARS))
    # Where each pattern matches, placed on the lines by the original text's
    # positions (also those found in the lower-cased text), then counted.
    sent_ends, line_ends, separators, copyright, colon, bullet, bullet_only, quote_start, byline = (
        _per_line((*_marks(cps), (cps == _COPYRIGHT).nonzero()[0],
                   *_line_edges(blob, cps, lower, lower_cps, starts, lengths)), starts))
    boiler_words = vocab.boiler + copyright
    tokens = vocab.words + vocab.cjk
    columns = (
        np.log1p(chars), np.log1p(words), (chars - words + 1) / words,
        counts[:, _CLASS_PUNCT] / chars, sent_ends, line_ends > 0, colon > 0, digits / chars,
        counts[:, _CLASS_UPPER] / np.maximum(counts[:, _CLASS_LETTER], 1),
        counts[:, _CLASS_CAPITAL] / words,
        bullet > 0, bullet_only > 0, date, date & (chars < _DATE_LINE_CHARS),
        counts[:, _CLASS_CJK] / chars, separators, boiler_words, byline > 0, quote_start > 0,
        np.array(list(map(dups.__getitem__, texts)), dtype=np.float64) - 1,
        np.log1p(tokens), vocab.function / np.maximum(tokens, 1.0),
    )
    X[:, : len(_TEXT_COLUMNS)] = np.array(columns).T


def _line_ends(texts: list[str], starts: np.ndarray, lengths: np.ndarray, same_length: bool) -> np.ndarray:
    """Where each line's "\\n" is in the lower-cased text (a line may hold one of its
    own; lower-casing may change lengths, rarely: ``same_length`` False)."""
    if same_length:
        return starts + lengths
    return np.cumsum([len(t.lower()) + 1 for t in texts]) - 1


def recount_vocabulary(texts: list[str], X: np.ndarray, vocabulary: Vocabulary) -> None:
    """Recompute in place the columns of a page's matrix that come from the mined word lists
    (boiler_words, function_share and its context) with another vocabulary.

    training/benchmarks/lolo.py scores a language as never seen with the
    lists mined without it; the other columns stay as featurize made them.
    """
    blob = "\n".join(texts)
    lower = blob.lower()
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts), dtype=np.int64)
    (lengths[:-1] + 1).cumsum(out=starts[1:])
    counts = count_lines(_code_points(lower + "\n"), vocabulary,
                         _line_ends(texts, starts, lengths, len(lower) == len(blob)))
    copyright = np.fromiter((t.count(chr(_COPYRIGHT)) for t in texts), dtype=np.float64, count=len(texts))
    X[:, _col("boiler_words")] = counts.boiler + copyright
    X[:, _col("function_share")] = counts.function / np.maximum(counts.words + counts.cjk, 1.0)
    _context(X)


def _per_line(found: tuple[np.ndarray | list[int], ...], starts: np.ndarray) -> np.ndarray:
    """Per group of positions in the block's text (one row each), how many each line holds."""
    n = len(starts)
    positions = np.concatenate([np.asarray(group, dtype=np.int64) for group in found])
    line = starts.searchsorted(positions, side="right") - 1
    line += (np.arange(len(found)) * n).repeat([len(group) for group in found])
    return np.bincount(line, minlength=len(found) * n).reshape(len(found), n)


#: _CLASS_TABLE's rows as four 16-bit lanes in each of two uint64: one
#: reduceat adds all eight classes, lane by lane, while no lane overflows,
#: that is over fewer than _LANE_CHARS characters.
_CLASS_LANES = _CLASS_TABLE.astype(np.uint16).view(np.uint64)
_LANE_CHARS = (2 ** 16 - 1) // int(_CLASS_TABLE.max())


def _class_counts(cps: np.ndarray, starts: np.ndarray, longest: int) -> np.ndarray:
    """Per line, the _CLASS_TABLE rows of its characters and line break, added up."""
    rows = _CLASS_LANES.take(cps, axis=0, mode="clip")
    classes: np.ndarray = rows.view(np.uint16)
    # Capitals at the start of the text, or after a space or a newline (the
    # regex (?:^|(?<= ))[A-ZÀ-ÖØ-ÞА-ЯΑ-Ω], MULTILINE).
    classes[1:, _CLASS_CAPITAL] *= (cps[:-1] == 0x20) | (cps[:-1] == 0x0A)
    if longest < _LANE_CHARS:  # a line and its line break fill no lane
        return np.add.reduceat(rows, starts, axis=0).view(np.uint16)
    # Longer lines are added up in pieces that fit, then the pieces per line.
    cuts = np.unique(np.concatenate((starts, np.arange(0, cps.size, _LANE_CHARS))))
    pieces = np.add.reduceat(rows, cuts, axis=0).view(np.uint16).astype(np.int64)
    return np.add.reduceat(pieces, cuts.searchsorted(starts), axis=0)


def _marks(cps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the sentence ends start, those that end a line, and where the separators start."""
    events = _IS_EVENT.take(cps, mode="clip").nonzero()[0]  # beyond the BMP: the last entry
    kinds = _FLAGS.take(cps[events], mode="clip")
    sentence_ends, line_ends = _sentence_ends(cps, events[(kinds & _MARK) != 0],
                                              events[(kinds & _CLOSER) != 0],
                                              (kinds[(kinds & _MARK) != 0] & _WIDE) != 0)
    return sentence_ends, line_ends, _separators(cps, events[(kinds & _SEPARATOR) != 0])


def _sentence_ends(cps: np.ndarray, marks: np.ndarray, closers: np.ndarray, wide: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Of the sentence marks, those that end a sentence, and those that end a line (``wide``: the _WIDE_MARKS)."""
    # Where a mark's run of closers ends, the regex's lookahead passes or it
    # cannot (backtracking into the run puts a closer, not a space, there);
    # a match holds no other mark, so every mark that passes is a match.
    after = marks + 1
    on_closer = (_FLAGS.take(cps[after], mode="clip") & _CLOSER) != 0
    if on_closer.any():
        run_last = closers[closers + 1 != np.append(closers[1:], -1)]
        after[on_closer] = run_last[run_last.searchsorted(after[on_closer])] + 1
    follows = cps[after]
    return marks[((_FLAGS.take(follows, mode="clip") & _SPACE) != 0) | wide], marks[follows == 0x0A]


def _separators(cps: np.ndarray, middle: np.ndarray) -> np.ndarray:
    """Where the separators start: " X " with X one of _SEPARATOR_MIDDLES (at ``middle``)."""
    # (A middle at 0 compares the final "\n" with a space.)
    start = middle[(cps[middle - 1] == 0x20) & (cps[middle + 1] == 0x20)] - 1
    if start.size > 1 and (start[1:] - start[:-1] == 2).any():
        # Two separators two apart share a space (" | | "); re.finditer
        # resumes after a match, so of a chain of them it finds every other one.
        index = np.arange(start.size)
        chained = np.zeros(start.size, dtype=bool)
        chained[1:] = start[1:] - start[:-1] == 2
        chain_start = np.maximum.accumulate(np.where(chained, 0, index))
        start = start[(index - chain_start) % 2 == 0]
    return start


def _line_edges(blob: str, cps: np.ndarray, lower: str, lower_cps: np.ndarray, starts: np.ndarray,
               lengths: np.ndarray) -> tuple[np.ndarray | list[int], ...]:
    """Where a colon ends a line; _BULLET, _BULLET_ONLY, a quote, _BYLINE (in lower) start one."""
    # Their ^ and $ (MULTILINE) match where the text or a line within it
    # starts or ends: the block's lines, unless one holds a "\n".
    at, length = (starts, lengths) if blob.count("\n") == len(starts) - 1 else _anchors(cps)
    last = at + length - 1  # (for an empty line: the line break before it, or the final one)
    first = _FLAGS.take(cps[at], mode="clip")
    found = (
        last[(_FLAGS.take(cps[last], mode="clip") & _COLON) != 0],
        _matching(_BULLET, blob, at[(first & _BULLET_FIRST) != 0]),
        _matching(_BULLET_ONLY, blob, at[(length > 0) & (length <= _BULLET_ONLY_CHARS)]),
        at[(first & _QUOTE) != 0],
    )
    if len(lower) != len(blob):
        at, _ = _anchors(lower_cps)
    first = _FLAGS.take(lower_cps[at], mode="clip")
    return (*found, _matching(_BYLINE, lower, at[(first & _BYLINE_FIRST) != 0]))


def _anchors(cps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the lines of a text (``cps``: code points, ending in "\\n") start, and their lengths."""
    newlines = (cps == 0x0A).nonzero()[0]
    at = np.concatenate(([0], newlines[:-1] + 1))
    return at, newlines - at


def _matching(regex: re.Pattern[str], text: str, at: np.ndarray) -> list[int]:
    """Those of the positions ``at`` where ``regex`` matches ``text``."""
    match = regex.match
    return [p for p in at.tolist() if match(text, p) is not None]


def _dates(lower: str, starts: np.ndarray, chars: np.ndarray, digits: np.ndarray) -> np.ndarray:
    """Per line: whether its window in ``lower`` (original positions) holds a date (``_has_date``)."""
    # Every form of a date holds a digit of _DIGITS: only those lines are
    # searched, each on its own (a search stops at the first date; one scan
    # of them all, joined, measured slower even with a thousand of them).
    at, ends = starts.tolist(), (starts + chars.astype(np.int64)).tolist()
    date = np.zeros(len(starts), dtype=bool)
    date[[i for i in digits.nonzero()[0].tolist() if _has_date(lower, at[i], ends[i])]] = True
    return date


def _markup(lines: tuple[Line, ...], groups: np.ndarray, chars64: np.ndarray, links64: np.ndarray,
            X: np.ndarray) -> None:
    """Per-line markup features; only called for HTML documents."""
    n = len(lines)
    base = len(_TEXT_COLUMNS)
    # In float32, as the model was trained: the density and the page total
    # (a float32 sum) round as they did.
    chars, links = chars64.astype(np.float32), links64.astype(np.float32)
    density = np.minimum(links / np.maximum(chars, 1.0), 1.0)
    X[:, base] = density
    X[:, base + 1] = [line.depth for line in lines]
    X[np.arange(n), [_TAG_GROUP_COL.get(line.tag, _OTHER_GROUP_COL) for line in lines]] = 1.0
    masks = np.array([[line.sem for line in lines], [line.hints for line in lines],
                      [line.own_hints for line in lines]], dtype=np.int64)
    X[:, _BITS_FIRST:_BITS_FIRST + len(_BIT_MASKS)] = (masks[_BIT_FIELDS].T & _BIT_MASKS) != 0
    # Per group of lines (block ancestors at each level, then tag path): how
    # many lines, their characters and their characters outside links. Lines
    # without a path count as one path here ("").
    keys = groups.copy()
    keys[:, ANCESTOR_LEVELS] = np.maximum(keys[:, ANCESTOR_LEVELS], -1)
    inverse = _group_index_per_column(keys)
    flat = inverse.ravel()
    own = chars - links
    size = np.bincount(flat)[inverse]
    own_sum = np.bincount(flat, weights=own.repeat(keys.shape[1]))[inverse]
    char_sum = np.bincount(flat, weights=chars.repeat(keys.shape[1]))[inverse]
    same_path, path = size[:, ANCESTOR_LEVELS], inverse[:, ANCESTOR_LEVELS]
    X[:, base + 2] = _log1p_table(n).take(same_path - 1)
    X[:, base + 3] = np.bincount(path, weights=density > 0.5)[path] / same_path
    _containers(size, own_sum, char_sum, float(own.sum()) or 1.0, X)


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
#: The sem_, hint_ and own_ columns follow each other: one per bit of
#: Line.sem, Line.hints and Line.own_hints (the field, 0 to 2, and its bit).
_BITS_FIRST = _INDEX[f"sem_{next(iter(SEM))}"]
_BIT_FIELDS = np.array([0] * len(SEM) + [1] * len(HINTS) + [2] * len(HINTS))
_BIT_MASKS = np.array([*SEM.values(), *HINTS.values(), *HINTS.values()], dtype=np.int64)


def _containers(size: np.ndarray, own_sum: np.ndarray, char_sum: np.ndarray, total: float,
                X: np.ndarray) -> None:
    """Per block ancestor of each line: its share of the page's non-link text, links, lines."""
    # size, own_sum and char_sum: per line, of its group at each level (a
    # column each). Teaser lists show as many lines, mostly links.
    detail = _CONTAINER_DETAIL_LEVELS
    X[:, _MASS_FIRST:_MASS_FIRST + ANCESTOR_LEVELS] = own_sum[:, :ANCESTOR_LEVELS] / total
    X[:, _ANC_LINK_FIRST:_ANC_LINK_FIRST + detail] = (
        1.0 - own_sum[:, :detail] / np.maximum(char_sum[:, :detail], 1.0))
    X[:, _ANC_LINES_FIRST:_ANC_LINES_FIRST + detail] = np.log(size[:, :detail])


#: Where _containers writes: each family of columns follows level 1 in order.
_MASS_FIRST, _ANC_LINK_FIRST, _ANC_LINES_FIRST = (_INDEX[f"{family}_1"]
                                                   for family in ("mass", "anc_link", "anc_lines"))


def _position(kind: str, chars: np.ndarray, X: np.ndarray) -> None:
    """Where the line sits on the page, and page-level size."""
    n = len(chars)
    total = max(float(chars.sum()), 1.0)
    X[:, _col("rel_pos")] = np.arange(n) / max(n - 1, 1)
    X[:, _col("rel_char_pos")] = (chars.cumsum() - chars) / total
    X[:, _col("log_n_lines")] = math.log1p(n)
    X[:, _col("log_page_chars")] = math.log1p(total)
    X[:, _col("char_share")] = chars / total
    X[:, _col("mode_text")] = kind == "text"
    if kind == "text":
        X[:, _col("p_or_text")] = 1.0
    else:
        X[:, _col("p_or_text")] = X[:, _col("tag_p")]


def _lists(texts: list[str], chars: np.ndarray, X: np.ndarray) -> None:
    """Lengths against the page's, and runs of list items (_LIST_COLUMNS)."""
    n = len(texts)
    ordered = np.sort(chars)
    # The mean rank of the line's length among the page's (ties share one).
    rank = ordered.searchsorted(chars, "left") + ordered.searchsorted(chars, "right") - 1
    median = max(float(ordered[(n - 1) // 2] + ordered[n // 2]) / 2, 1.0)
    X[:, _LIST_FIRST] = rank / (2 * max(n - 1, 1))
    X[:, _LIST_FIRST + 1] = np.log(np.maximum(chars, 1.0) / median)  # (a Line is never empty)
    bullet, bullet_only = X[:, _col("bullet")] > 0, X[:, _col("bullet_only")] > 0
    item = bullet | (X[:, _col("tag_li")] > 0)
    item[1:] |= bullet_only[:-1]  # "-" on a line of its own, then the item
    item &= ~bullet_only
    if not item.any():
        return
    # Runs of items (bullet-only lines do not break one): each line's run, then per run its items.
    in_run = np.flatnonzero(item | bullet_only)
    run_of = np.cumsum(np.diff(in_run, prepend=-2) > 1) - 1
    flags = item[in_run]
    items = np.bincount(run_of, weights=flags)[run_of]
    headlines = np.bincount(run_of, weights=flags & (X[in_run, _col("ends_sentence")] == 0))[run_of]
    marked = (flags & bullet[in_run]).nonzero()[0]  # items with a bullet or number in their text
    numbered = np.zeros(in_run.size)
    numbered[marked] = _numbered(texts, in_run[marked], run_of[marked])
    numbered = np.bincount(run_of, weights=numbered)[run_of]
    X[in_run, _LIST_FIRST + 2:_LIST_FIRST + 6] = np.column_stack(
        (flags, np.log1p(items), headlines / np.maximum(items, 1), numbered / np.maximum(items - 1, 1)))


#: The number that starts a numbered item ("1.", "１．", "12)").
_LEADING_NUMBER = re.compile(r"\d{1,3}")


def _numbered(texts: list[str], lines: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """Per marked item (``lines``, in ``runs``): 1 when numbered one more than the numbered item before it in its run."""
    out = np.zeros(len(lines))
    previous: tuple[int, int] | None = None  # (run, number) of the last numbered item
    for k, (i, run) in enumerate(zip(lines.tolist(), runs.tolist())):
        found = _LEADING_NUMBER.match(texts[i])
        if found is not None:
            number = int(found.group())
            out[k] = previous == (run, number - 1)
            previous = (run, number)
    return out


#: Where _lists writes: _LIST_COLUMNS follow each other in FEATURE_NAMES.
_LIST_FIRST = _INDEX[_LIST_COLUMNS[0]]


def _context(X: np.ndarray) -> None:
    """Previous, next and +-window mean of a few columns."""
    n = X.shape[0]
    idx = np.arange(n)
    lo = np.maximum(idx - _WINDOW, 0)
    hi = np.minimum(idx + _WINDOW + 1, n)
    sources = X[:, _CONTEXT_SOURCE_COLUMNS]
    out = np.zeros((n, len(_CONTEXT_SOURCES), 3), dtype=np.float32)  # prev, next, win
    out[1:, :, 0] = sources[:-1]
    out[:-1, :, 1] = sources[1:]
    sums = np.zeros((n + 1, len(_CONTEXT_SOURCES)))
    sources.cumsum(axis=0, dtype=np.float64, out=sums[1:])
    out[:, :, 2] = (sums[hi] - sums[lo]) / (hi - lo)[:, None]
    X[:, _CONTEXT_FIRST:_CONTEXT_FIRST + len(_CONTEXT_COLUMNS)] = out.reshape(n, -1)


#: Where _context reads and writes: _CONTEXT_COLUMNS follow each other in FEATURE_NAMES.
_CONTEXT_SOURCE_COLUMNS = [_INDEX[src] for src in _CONTEXT_SOURCES]
_CONTEXT_FIRST = _INDEX[_CONTEXT_COLUMNS[0]]


def _regions(own: np.ndarray, X: np.ndarray) -> None:
    """Membership of and distance to the densest run of long lines (``own``: non-link characters)."""
    idx = np.arange(len(own))
    for penalty in _REGION_PENALTIES:
        start, end = _max_run(own - penalty)
        dist = np.maximum(start - idx, 0) + np.maximum(idx - end, 0)
        X[:, _col(f"region{penalty}_in")] = dist == 0
        X[:, _col(f"region{penalty}_dist")] = np.log1p(dist)


def _max_run(values: np.ndarray) -> tuple[int, int]:
    """Bounds of the contiguous run with the largest sum, as Kadane's scan finds them."""
    # A run ending at i sums to prefix[i + 1] - prefix[start], so the best ends
    # at the first i where that minus the lowest prefix up to i is largest, and
    # starts at the last prefix that low (Kadane restarts at every new low).
    # The values are whole numbers of characters: every sum is exact.
    prefix = np.empty(values.size + 1)
    prefix[0] = 0.0
    values.cumsum(out=prefix[1:])
    lowest = np.minimum.accumulate(prefix[:-1])
    end = int((prefix[1:] - lowest).argmax())
    return end - int((prefix[end::-1] == lowest[end]).argmax()), end


# --- Second stage: the first stage's probabilities in their page context -------

#: Raw columns the second stage sees again beside the probabilities.
_STAGE2_RAW = ("log_chars", "link_density", "ends_sentence", "mode_text", "date_only",
               "sem_h1", "sem_heading", "bullet_only", "rel_pos", "title_case", "sem_li",
               "tag_td", "item", "list_run", "run_headline_share", "function_share", *HINT_DEPTH_NAMES)
#: Window radii (lines) for the smoothed probabilities: jusText's neighbour
#: relabelling, generalised.
_STAGE2_WINDOWS = (1, 2, 5)
STAGE2_NAMES: tuple[str, ...] = (
    "p", "p_prev", "p_next", "p_prev2", "p_next2",
    *(f"p_win{r}" for r in _STAGE2_WINDOWS),
    *(f"p_anc{k}" for k in range(1, ANCESTOR_LEVELS + 1)), "p_path",
    "p_page_max", "p_page_mean", "p_page_share",
    "in_kept_span", "dist_kept", *(f"raw_{name}" for name in _STAGE2_RAW), *REGION_NAMES,
)


def line_groups(doc: Document) -> np.ndarray:
    """Integer keys per line: its block ancestors (levels 1..4), then its tag path.

    Paths are numbered in order of first appearance. Lines without such a
    key get a unique negative one (-1 - line number), so they group alone.
    """
    n = len(doc.lines)
    keys = np.full((n, ANCESTOR_LEVELS + 1), _NO_KEY, dtype=np.int64)
    # Level by level: zip_longest turns the lines' ancestors into columns.
    levels = list(zip_longest(*[line.ancestors[:ANCESTOR_LEVELS] for line in doc.lines],
                              fillvalue=_NO_KEY))
    if levels:
        keys[:, :len(levels)] = np.array(levels, dtype=np.int64).T
    paths = {"": _NO_KEY}
    keys[:, ANCESTOR_LEVELS] = [paths.setdefault(line.path, len(paths) - 1) for line in doc.lines]
    return np.where(keys == _NO_KEY, np.arange(-1, -1 - n, -1, dtype=np.int64)[:, None], keys)


#: No ancestor that far up, or no path (element numbers are never negative).
_NO_KEY = np.iinfo(np.int64).min


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
    # The mean probability of the lines sharing each key of line_groups.
    col = 5 + len(_STAGE2_WINDOWS)
    inverse = _group_index_per_column(groups)
    flat = inverse.ravel()
    means = np.bincount(flat, weights=p.repeat(groups.shape[1])) / np.bincount(flat)
    S[:, col:col + groups.shape[1]] = means[inverse]
    col += groups.shape[1]
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
    raw = col + 5 + len(_STAGE2_RAW)
    S[:, col + 5:raw] = X[:, [_col(name) for name in _STAGE2_RAW]]
    S[:, raw:] = region_columns(p, groups, np.rint(np.expm1(X[:, _col("log_chars")].astype(np.float64))))
    return S
