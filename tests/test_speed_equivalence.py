"""The speed-ups of issue 4 compute exactly what the code they replaced computed.

Each test pits a fast path against the straightforward code it replaced
(kept here as the reference) on fixture pages and on random inputs built to
hit the edge cases (anchors, word boundaries, control and zero-width
characters, lower-casing that changes lengths, lines holding newlines).
FEATURE_VERSION did not change, so the shipped model must see the same
numbers: "close" is not enough, everything is compared for equality.
"""

from __future__ import annotations

import pytest

from types import SimpleNamespace  # the old segment module's names, split across rooms

from boilerplate import decode as _decode, hints as _hints_mod, sniff as _sniff, walk as _walk_mod

segment = SimpleNamespace(**{**vars(_decode), **vars(_sniff), **vars(_hints_mod), **vars(_walk_mod)},
                          _hints=_hints_mod.hints, _clean=_walk_mod.clean, _parse=_walk_mod.parse,
                          _HIDDEN_CLASS=_hints_mod.HIDDEN, _walk_fast=_walk_mod.walk)


@pytest.mark.parametrize("text", [
    "", " ", "\u3000\u2028\x1c", "\u00a0 {\"a\": 1}", "\n\t[1, 2]", "\u2003<html>", " x", "\u200b{}",
])
def test_check_page_finds_the_first_character_as_strip_did(text):
    """check_page's empty test and first character equal those of text.strip()/lstrip()."""
    assert (not text or text.isspace()) == (not text.strip())
    if text.strip():
        assert segment._NON_SPACE.search(text).group() == text.lstrip()[:1]
