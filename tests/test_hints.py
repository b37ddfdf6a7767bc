"""Class/id hints: the automaton finds what one regex search per pattern finds, and the caches hold."""

from __future__ import annotations

import random
import re

import pytest
from conftest import PAGES

from boilerplate import hints as hints_module
from boilerplate import walk
from boilerplate.decode import to_text
from boilerplate.hints import HINTS, hints


def reference_hints(token: str) -> int:
    """Token hint bits the straightforward way: one regex search per pattern."""
    bits = 0
    for name, pattern in hints_module._HINT_PATTERNS.items():
        if re.search(pattern, token):
            bits |= HINTS[name]
    return bits


def reference_string_hints(attrs: str) -> int:
    """hints(attrs) the straightforward way: the tokens of the lower-cased string."""
    bits = 0
    for token in hints_module._TOKEN_SPLIT.split(attrs.lower()):
        if token:
            bits |= reference_hints(token)
    return bits


HINT_FRAGMENTS = list("abcdefghijklmnopqrstuvwxyz0123456789_-") + [
    "nav", "ad", "ads", "-ad", "ad-", "top", "top-10", "top10", "hed", "lede", "led", "tag",
    "tags", "tag-", "hidden", "d-none", "gpt", "most-", "most_", "sign-up", "more-",
    "read-more", "sr-only", "col-right", "right-col", "banner", "topbar", "sidebar"]


def random_token(rng: random.Random) -> str:
    return "".join(rng.choice(HINT_FRAGMENTS) for _ in range(rng.randint(1, 5)))


def hint_literals() -> set[str]:
    """Every string a hint pattern matches, without its ^ and $ anchors."""
    return {lit.strip("^$") for p in hints_module._HINT_PATTERNS.values()
            for lit in hints_module._literals(p)} - {""}


def test_hint_automaton_equals_the_regexes():
    rng = random.Random(0)
    tokens = {random_token(rng) for _ in range(30_000)} | hint_literals()
    for token in sorted(tokens):
        assert hints_module._token_hints(token) == reference_hints(token), token


def test_hints_of_every_literal_and_of_the_fixture_classes():
    strings = hint_literals()
    strings |= {f"x-{w}-y" for w in strings} | {f"{w}s" for w in strings}
    strings |= {w.upper() for w in strings} | {f"{w} nav  {w}:x" for w in strings}
    for page in sorted(PAGES.glob("*.html")):
        root = walk.parse(to_text(page.read_bytes()))
        for el in root.iter():
            for name in ("class", "id"):
                value = el.get(name) if isinstance(el.tag, str) else None
                if value:
                    strings.add(value)
    for attrs in sorted(strings):
        assert hints(attrs) == reference_string_hints(attrs), attrs


def test_non_ascii_strings_are_lower_cased_as_python_does():
    # Lower-casing the Kelvin sign gives an ASCII "k": "\u212aicker" reads as "kicker".
    assert hints("\u212aicker") == HINTS["related"]
    assert hints("\u212aicker nav") == reference_string_hints("\u212aicker nav")
    assert hints("größe статья 記事") == 0


def test_hints_are_cached_but_not_long_strings(monkeypatch):
    monkeypatch.setattr(hints_module, "_HINT_CACHE", {})
    short = "article-body share"
    long = "nav " * (hints_module._HINT_CACHE_KEY_MAX // 4 + 1)
    assert hints(short) == HINTS["content"] | HINTS["share"]
    assert hints(long) == HINTS["nav"]
    assert hints_module._HINT_CACHE == {short: HINTS["content"] | HINTS["share"]}


def test_literals_expands_optional_characters():
    assert hints_module._literals("ab?c|^x$") == ["abc", "ac", "^x$"]


@pytest.mark.parametrize("pattern", ["a.b", "a[bc]", "a^b", "(ab)"])
def test_literals_refuses_regex_syntax_it_cannot_expand(pattern):
    with pytest.raises(ValueError):
        hints_module._literals(pattern)
