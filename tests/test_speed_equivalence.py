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

import pytest
from conftest import PAGES

from types import SimpleNamespace  # the old segment module's names, split across rooms

from boilerplate import decode as _decode, hints as _hints_mod, sniff as _sniff, walk as _walk_mod

segment = SimpleNamespace(**{**vars(_decode), **vars(_sniff), **vars(_hints_mod), **vars(_walk_mod)},
                          _hints=_hints_mod.hints, _clean=_walk_mod.clean, _parse=_walk_mod.parse,
                          _HIDDEN_CLASS=_hints_mod.HIDDEN, _walk_fast=_walk_mod.walk)
from boilerplate.document import Line
from boilerplate.hints import HINTS

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


@pytest.mark.parametrize("text", [
    "", " ", "\u3000\u2028\x1c", "\u00a0 {\"a\": 1}", "\n\t[1, 2]", "\u2003<html>", " x", "\u200b{}",
])
def test_check_page_finds_the_first_character_as_strip_did(text):
    """check_page's empty test and first character equal those of text.strip()/lstrip()."""
    assert (not text or text.isspace()) == (not text.strip())
    if text.strip():
        assert segment._NON_SPACE.search(text).group() == text.lstrip()[:1]
