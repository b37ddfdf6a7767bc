"""boilerplate.sniff: what kind of page a text is, and what is not a page at all."""

from __future__ import annotations

import pytest

from boilerplate import sniff
from boilerplate.errors import EmptyInputError, InputError


@pytest.mark.parametrize("text", [
    "", " ", "\u3000\u2028\x1c", "\u00a0 {\"a\": 1}", "\n\t[1, 2]", "\u2003<html>", " x", "\u200b{}",
])
def test_check_page_finds_the_first_character_as_strip_did(text):
    """check_page's empty test and first character equal those of text.strip()/lstrip()."""
    assert (not text or text.isspace()) == (not text.strip())
    if text.strip():
        assert sniff._NON_SPACE.search(text).group() == text.lstrip()[:1]


@pytest.mark.parametrize("text, kind, expected", [
    ("<!doctype html><p>x</p>", "auto", "html"),
    ("Just a line of text.\nAnd another.", "auto", "text"),
    ("<p>forced</p>", "text", "text"),
    ("plain words", "html", "html"),
])
def test_page_kind_checks_and_resolves(text, kind, expected):
    assert sniff.page_kind(text, kind) == expected


@pytest.mark.parametrize("text, error", [
    ("   \n", EmptyInputError),
    ('{"a": [1, 2]}', InputError),
    ('<?xml version="1.0"?><rss version="2.0"><channel/></rss>', InputError),
])
def test_page_kind_refuses_what_is_not_a_page(text, error):
    with pytest.raises(error):
        sniff.page_kind(text, "auto")


def test_json_is_text_when_asked():
    assert sniff.page_kind('{"a": 1}', "text") == "text"
