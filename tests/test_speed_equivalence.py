"""The speed-ups of issue 4 compute exactly what the code they replaced computed.

Each test pits a fast path against the straightforward code it replaced
(kept here as the reference) on fixture pages and on random inputs built to
hit the edge cases (anchors, word boundaries, control and zero-width
characters, lower-casing that changes lengths, lines holding newlines).
FEATURE_VERSION did not change, so the shipped model must see the same
numbers: "close" is not enough, everything is compared for equality.
"""

from __future__ import annotations

import random
import re
from collections import Counter

import numpy as np
import pytest
from conftest import PAGES

from boilerplate import classify, features
from types import SimpleNamespace  # the old segment module's names, split across rooms

from boilerplate import decode as _decode, hints as _hints_mod, sniff as _sniff, walk as _walk_mod

segment = SimpleNamespace(**{**vars(_decode), **vars(_sniff), **vars(_hints_mod), **vars(_walk_mod)},
                          _hints=_hints_mod.hints, _clean=_walk_mod.clean, _parse=_walk_mod.parse,
                          _HIDDEN_CLASS=_hints_mod.HIDDEN, _walk_fast=_walk_mod.walk)
from boilerplate.document import Document, Line
from boilerplate.features import FEATURE_NAMES, featurize, line_groups
from boilerplate.hints import HINTS
from boilerplate.segment import segment as segment_page

RNG_SEEDS = range(3)


# --------------------------------------------------------------------------- references


def reference_hints(token: str) -> int:
    """Token hint bits the way segment did it before: one regex search per pattern."""
    bits = 0
    for name, pattern in segment._HINT_PATTERNS.items():
        if re.search(pattern, token):
            bits |= HINTS[name]
    return bits


def reference_clean(text: str) -> str:
    return segment._WS.sub(" ", segment._CONTROL.sub("", text)).strip()


_REF_DATE = re.compile(features._DATE_PATTERN)
_REF_CAPITALISED = re.compile(r"(?:^|(?<= ))[A-ZÀ-ÖØ-ÞА-ЯΑ-Ω]", re.M)
_REF_BOILER_WORDS = re.compile(rf"\b(?:{features._BOILER_TERMS})\b|{features._BOILER_SYMBOLS}")


def reference_text_shape(lines: tuple[Line, ...]) -> np.ndarray:
    """features._text_shape as it was before issue 4 (regexes and per-range masks)."""
    F = features
    n = len(lines)
    texts = [line.text for line in lines]
    blob = "\n".join(texts)
    lower = blob.lower()
    lengths = np.fromiter((len(t) for t in texts), dtype=np.float64, count=n)
    starts = np.concatenate(([0], np.cumsum(lengths[:-1] + 1))).astype(np.int64)
    chars = np.maximum(lengths, 1.0)
    cps = np.frombuffer((blob + "\n").encode("utf-32-le"), dtype=np.uint32)

    def per_line(ranges):
        mask = np.zeros(cps.shape, dtype=np.int32)
        for lo, hi in ranges:
            mask += (cps >= lo) & (cps <= hi)
        return np.add.reduceat(mask, starts).astype(np.float64)

    def count(regex, text=blob):
        return F._count_per_line(regex, text, starts, n)

    words = np.add.reduceat((cps == 0x20).astype(np.int32), starts) + 1.0
    digits = per_line(F._DIGITS)
    date = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(digits):
        date[i] = _REF_DATE.search(lower, int(starts[i]), int(starts[i] + chars[i])) is not None
    dups = Counter(texts)
    columns = (
        np.log1p(chars), np.log1p(words), (chars - words + 1) / words,
        per_line(F._PUNCTS) / chars, count(F._SENT_END), count(F._ENDS_SENT) > 0,
        count(F._ENDS_COLON) > 0, digits / chars,
        per_line(F._UPPERS) / np.maximum(per_line(F._LETTERS), 1), count(_REF_CAPITALISED) / words,
        count(F._BULLET) > 0, count(F._BULLET_ONLY) > 0, date, date & (chars < F._DATE_LINE_CHARS),
        per_line(F._CJK) / chars, count(F._SEPARATORS), count(_REF_BOILER_WORDS, lower),
        count(F._BYLINE, lower) > 0, count(F._QUOTE_START) > 0,
        np.fromiter((dups[t] - 1 for t in texts), dtype=np.float64, count=n),
    )
    X = np.zeros((n, len(F._TEXT_COLUMNS)), dtype=np.float32)
    X[:] = np.column_stack(columns)
    return X


def reference_line_groups(doc: Document) -> np.ndarray:
    n = len(doc.lines)
    G = np.empty((n, segment.ANCESTOR_LEVELS + 1), dtype=np.int64)
    paths: dict[str, int] = {}
    for i, line in enumerate(doc.lines):
        for level in range(segment.ANCESTOR_LEVELS):
            G[i, level] = line.ancestors[level] if len(line.ancestors) > level else -1 - i
        G[i, segment.ANCESTOR_LEVELS] = paths.setdefault(line.path, len(paths)) if line.path else -1 - i
    return G


class ReferenceWalker:
    """segment._Walker as it was before issue 4 (one method call per event)."""

    def __init__(self) -> None:
        self.lines, self.buf, self.link_chars, self.in_link = [], [], 0, 0
        self.stack, self.blocks, self.uid = [], [], 0

    def walk(self, root):
        from lxml import etree

        walker = etree.iterwalk(root, events=("start", "end"))
        for event, el in walker:
            tag = el.tag
            if not isinstance(tag, str):
                if event == "end" and el.tail:
                    self._add(el.tail)
                continue
            if event == "start":
                if self._invisible(el, tag):
                    walker.skip_subtree()
                    self.stack.append(None)
                    continue
                self._open(el, tag.lower())
            else:
                self._close()
                if el.tail:
                    self._add(el.tail)
        self._flush()
        return self.lines

    def _invisible(self, el, tag):
        if tag.lower() in segment._INVISIBLE:
            return True
        attrib = el.attrib
        if not attrib:
            return False
        if "hidden" in attrib or attrib.get("aria-hidden") == "true":
            return True
        style = attrib.get("style")
        if style and segment._HIDDEN_STYLE.search(style):
            return True
        cls = attrib.get("class")
        return bool(cls) and bool(self._hints(cls) & segment._HIDDEN_CLASS)

    @staticmethod
    def _hints(attrs):
        bits = 0
        for token in segment._TOKEN_SPLIT.split(attrs.lower()):
            if token:
                bits |= reference_hints(token)
        return bits

    def _open(self, el, tag):
        attrib = el.attrib
        own = self._hints(attrib.get("class", "") + " " + attrib.get("id", "")) if attrib else 0
        block = tag in segment._BLOCK
        if tag in ("br", "hr") or block:
            self._flush()
        if tag == "a":
            self.in_link += 1
        up = next((f for f in reversed(self.stack) if f is not None), None)
        self.uid += 1
        label = tag
        cls = attrib.get("class") if attrib else None
        if cls:
            first = cls.split(None, 1)
            if first:
                label = f"{tag}.{first[0][:24]}"
        if up:
            path = f"{up['path']}>{label}"
            if path.count(">") >= segment.PATH_LEVELS:
                path = path.split(">", 1)[1]
        else:
            path = label
        frame = dict(tag=tag, block=block, hints=(up["hints"] if up else 0) | own, own=own,
                     sem=(up["sem"] if up else 0) | segment._TAG_SEM.get(tag, 0), path=path,
                     uid=self.uid, depth=(up["depth"] + 1) if up else 0)
        self.stack.append(frame)
        if block:
            self.blocks.append(frame)
        if el.text:
            self._add(el.text)

    def _close(self):
        frame = self.stack.pop()
        if frame is None:
            return
        if frame["tag"] == "a":
            self.in_link -= 1
        if frame["block"]:
            self._flush()
            self.blocks.pop()

    def _add(self, text):
        self.buf.append(text)
        if self.in_link:
            self.link_chars += len(text.strip())

    def _flush(self):
        if not self.buf:
            return
        text = reference_clean("".join(self.buf))
        link_chars = self.link_chars
        self.buf, self.link_chars = [], 0
        if not text:
            return
        owner = self.blocks[-1] if self.blocks else next(
            (f for f in reversed(self.stack) if f is not None), None)
        if owner is None:
            self.lines.append(Line(text=text, index=len(self.lines)))
            return
        sem = owner["sem"]
        if link_chars >= len(text.replace(" ", "")) * 0.9:
            sem |= segment.SEM["a_only"]
        ancestors = tuple(f["uid"] for f in self.blocks[-1 - segment.ANCESTOR_LEVELS:-1][::-1])
        self.lines.append(Line(
            text=text, index=len(self.lines), tag=owner["tag"], path=owner["path"],
            depth=owner["depth"], hints=owner["hints"], own_hints=owner["own"], sem=sem,
            link_chars=min(link_chars, len(text)), ancestors=ancestors))


# --------------------------------------------------------------------------- random inputs


HINT_FRAGMENTS = list("abcdefghijklmnopqrstuvwxyz0123456789_-") + [
    "nav", "ad", "ads", "-ad", "ad-", "top", "top-10", "top10", "hed", "lede", "led", "tag",
    "tags", "tag-", "hidden", "d-none", "gpt", "most-", "most_", "sign-up", "more-",
    "read-more", "sr-only", "col-right", "right-col", "banner", "topbar", "sidebar"]


def random_token(rng: random.Random) -> str:
    return "".join(rng.choice(HINT_FRAGMENTS) for _ in range(rng.randint(1, 5)))


TEXT_PIECES = [
    "a", "b", "The", "Ölfeld", "Яблоко", "Ωmega", "word", "by", "By", "von", "door", "af",
    " ", "  ", "\t", "\u00a0", "\u200b", "\ufeff", "\x0b", "\x1c", "\x07", "\x85", "\u3000",
    ".", "!", "?", "。", "…", "\"", "”", ")", "]", "»", ":", "：", "-", "•", "*", "1.", "12)",
    "3", "2024", "12:30", "5/6/2021", "2021-05-06", "may 5", "5 mai", "3 hours ago", "2024年5月",
    "5月6日", "7時", "share", "Share", "sign in", "log in", "login", "cookies", "©", "ランキング",
    "関連", "read more", "terms of use", "|", " | ", " » ", " > ", "“", "„", "«", "'", "「",
    "İ", "ß", "ﬁ", "Σ", "x\ny", "٣", "１２", "a1", "_", "é", "ç", "😀",
]


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(TEXT_PIECES) for _ in range(rng.randint(0, 9)))


# --------------------------------------------------------------------------- tests


def test_hint_automaton_equals_the_regexes():
    rng = random.Random(0)
    tokens = {random_token(rng) for _ in range(30_000)}
    tokens |= {lit for p in segment._HINT_PATTERNS.values() for lit in segment._literals(p)}
    tokens = {t.replace("^", "").replace("$", "") for t in tokens} - {""}
    for token in sorted(tokens):
        assert segment._token_hints(token) == reference_hints(token), token


def test_clean_equals_the_regexes():
    rng = random.Random(1)
    for _ in range(30_000):
        text = random_text(rng)
        assert segment._clean(text) == reference_clean(text), repr(text)


def test_date_equals_the_single_regex():
    rng = random.Random(2)
    for _ in range(30_000):
        text = random_text(rng).lower()
        a = rng.randint(0, len(text))
        b = rng.randint(a, len(text))
        assert features._has_date(text, a, b) == (_REF_DATE.search(text, a, b) is not None), (
            text, a, b)


def test_boiler_words_lookahead_finds_the_same_matches():
    rng = random.Random(3)
    for _ in range(20_000):
        text = random_text(rng).lower()
        assert ([m.span() for m in features._BOILER_WORDS.finditer(text)]
                == [m.span() for m in _REF_BOILER_WORDS.finditer(text)]), text


def test_code_point_tables_equal_the_regex_classes():
    capital = re.compile(r"[A-ZÀ-ÖØ-ÞА-ЯΑ-Ω]")
    codes = np.arange(0x110000)
    rows = features._CLASS_TABLE[np.minimum(codes, features._TABLE_SIZE - 1)]
    expected = np.array([capital.fullmatch(chr(c)) is not None for c in range(0x110000)])
    assert np.array_equal(rows[:, features._CLASS_CAPITAL] > 0, expected)
    # The other columns: how many of the class's ranges hold the code point.
    for column, ranges in ((features._CLASS_DIGIT, features._DIGITS),
                           (features._CLASS_UPPER, features._UPPERS),
                           (features._CLASS_LETTER, features._LETTERS),
                           (features._CLASS_CJK, features._CJK),
                           (features._CLASS_PUNCT, features._PUNCTS),
                           (features._CLASS_SPACE, ((0x20, 0x20),)),
                           (features._CLASS_COLON, ((0x3A, 0x3A), (0xFF1A, 0xFF1A)))):
        counts = np.zeros(codes.shape, dtype=np.int64)
        for lo, hi in ranges:
            counts += (codes >= lo) & (codes <= hi)
        assert np.array_equal(rows[:, column], counts), column
    digit = re.compile(r"\d")
    assert all((digit.fullmatch(chr(c)) is not None) == chr(c).isdecimal() for c in range(0x110000))


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_text_shape_equals_the_reference_on_random_lines(seed):
    rng = random.Random(seed)
    for _ in range(400):
        texts = [random_text(rng) or "x" for _ in range(rng.randint(1, 12))]
        lines = tuple(Line(text=t, index=i) for i, t in enumerate(texts))
        X = np.zeros((len(lines), len(FEATURE_NAMES)), dtype=np.float32)
        features._text_shape(lines, X)
        ref = reference_text_shape(lines)
        assert np.array_equal(X[:, :ref.shape[1]], ref), texts


def fixture_documents() -> list[Document]:
    docs = []
    for page in sorted(PAGES.iterdir()):
        docs.append(segment_page(page.read_bytes()))
        docs.append(segment_page(page.read_bytes(), kind="text"))
    return docs


def test_text_shape_and_groups_equal_the_reference_on_fixtures():
    for doc in fixture_documents():
        if not doc.lines:
            continue
        X = featurize(doc)
        assert np.array_equal(X[:, :len(features._TEXT_COLUMNS)], reference_text_shape(doc.lines))
        assert np.array_equal(line_groups(doc), reference_line_groups(doc))


def fixture_html() -> list[str]:
    pages = [segment.decode(p.read_bytes()) for p in sorted(PAGES.glob("*.html"))]
    rng = random.Random(5)
    tags = ["div", "p", "span", "a", "li", "ul", "nav", "br", "hr", "script", "b", "h1", "td",
            "table", "tr", "figure", "aside", "footer", "section", "article", "button"]
    for _ in range(200):  # random markup: hidden parts, links, nested blocks, odd classes
        parts = []
        for _ in range(rng.randint(1, 40)):
            tag = rng.choice(tags)
            attrs = ""
            if rng.random() < 0.5:
                attrs += f' class="{random_token(rng)} {random_token(rng)}"'
            if rng.random() < 0.2:
                attrs += f' id="{random_token(rng)}"'
            if rng.random() < 0.05:
                attrs += rng.choice([' hidden', ' aria-hidden="true"', ' style="display:none"',
                                     ' class="sr-only"', ' class="a>b c"'])
            parts.append(f"<{tag}{attrs}>{random_text(rng)}")
            if rng.random() < 0.6:
                parts.append(f"{random_text(rng)}</{tag}>{random_text(rng)}")
        pages.append("<html><body>" + "".join(parts) + "</body></html>")
    return pages


def test_walker_equals_the_reference():
    for html in fixture_html():
        root = segment._parse(html)
        if root is None:
            continue
        assert segment._walk(root) == ReferenceWalker().walk(root)


@pytest.mark.parametrize("block", [1, 3, 7])
def test_text_shape_by_blocks_equals_the_reference(monkeypatch, block):
    """Long pages go by blocks of lines: same numbers (duplicates counted over the page)."""
    monkeypatch.setattr(features, "_TEXT_BLOCK_LINES", block)
    rng = random.Random(block)
    docs = [doc.lines for doc in fixture_documents() if doc.lines]
    for _ in range(150):
        texts = [random_text(rng) or "x" for _ in range(rng.randint(1, 25))]
        texts += rng.sample(texts, k=min(3, len(texts)))  # duplicates in other blocks
        docs.append(tuple(Line(text=t, index=i) for i, t in enumerate(texts)))
    for lines in docs:
        X = np.zeros((len(lines), len(FEATURE_NAMES)), dtype=np.float32)
        features._text_shape(lines, X)
        ref = reference_text_shape(lines)
        assert np.array_equal(X[:, :ref.shape[1]], ref), [line.text for line in lines]


@pytest.mark.parametrize("text", [
    "", " ", "\u3000\u2028\x1c", "\u00a0 {\"a\": 1}", "\n\t[1, 2]", "\u2003<html>", " x", "\u200b{}",
])
def test_check_page_finds_the_first_character_as_strip_did(text):
    """check_page's empty test and first character equal those of text.strip()/lstrip()."""
    assert (not text or text.isspace()) == (not text.strip())
    if text.strip():
        assert segment._NON_SPACE.search(text).group() == text.lstrip()[:1]
