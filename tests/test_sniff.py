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


@pytest.mark.parametrize("text", [
    "<p>Hello there, a paragraph a scraper kept with its markup.</p>",
    "<body><p>One</p></body>",
    "<body>Only body text</body>",
    "  \n<!-- saved by a crawler --><div class=\"story\">Text</div>",
    "<article><h2>Heading</h2>Text</article>",
    "<b>Bold</b> and more",
])
def test_a_fragment_of_html_is_html(text):
    """A text that opens with an element's tag and closes an element is markup, however few tags."""
    assert sniff.detect_kind(text) == "html"
    assert sniff.page_kind(text, "auto") == "html"


@pytest.mark.parametrize("text", [
    "Use the <p> tag for paragraphs, like every page does.",  # mentions a tag
    "Write <p>text</p> to make a paragraph.",  # shows markup inside a sentence
    "<p>Hello",  # opens a tag, closes none: a mention as much as markup
    "<Reuters> - Shares rose.</Reuters>",  # not an HTML element
    "Compare a < b and b > c.",
])
def test_text_that_mentions_tags_stays_text(text):
    assert sniff.detect_kind(text) == "text"
