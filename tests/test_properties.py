"""Issue 5: property tests of ``boilerplate.declutter`` with hypothesis.

- Arbitrary bytes and arbitrary text never raise anything but BoilerplateError
  subclasses (TypeError is only for arguments that are neither str nor bytes).
- Text mode loses nothing and invents nothing: every non-blank input line gets a
  decision, and the output lines are input lines (after whitespace collapsing),
  in input order.
- Idempotence in text mode does not hold in general (see the comment above
  ``test_text_mode_second_pass_keeps_a_subset_of_the_first``); the weaker
  properties that hold are tested.
- HTML built from a small grammar of tags, attributes and text never raises.

These tests use the shipped model (boilerplate/data/line_classifier.joblib).
Example counts are modest so the file runs in well under a minute.
"""

from __future__ import annotations

import codecs
import gzip

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from boilerplate import BoilerplateError, Extraction, declutter, from_text

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
KINDS = st.sampled_from(["auto", "html", "text"])


def run(data, **kw) -> Extraction | None:
    """declutter, with our errors turned into None; anything else propagates."""
    try:
        result = declutter(data, **kw)
    except BoilerplateError:
        return None
    check_well_formed(result)
    return result


def check_well_formed(result: Extraction) -> None:
    assert isinstance(result, Extraction)
    assert result.text == "\n".join(ln.text for ln in result.lines if ln.is_content)
    for ln in result.lines:
        assert ln.text and ln.text == ln.text.strip() and "\n" not in ln.text
        assert 0.0 <= ln.score <= 1.0
    if not result.text:
        assert result.warnings  # an empty result always says why


def output_lines(result: Extraction) -> list[str]:
    return result.text.split("\n") if result.text else []


def is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


# --------------------------------------------------------------------------- no crash


# Bytes that look like what scrapers get: raw noise, text in some encoding,
# gzip, markup with a declared charset, and BOM-prefixed data.
_CODECS = ["utf-8", "utf-16-le", "utf-16-be", "shift_jis", "euc_jp", "gb18030", "big5",
           "cp1251", "cp1252", "iso-8859-2", "koi8_r"]


def _encode(text: str, codec: str) -> bytes:
    return text.encode(codec, errors="replace")


ENCODED_TEXT = st.builds(_encode, st.text(max_size=300), st.sampled_from(_CODECS))
PAGE_BYTES = st.one_of(
    st.binary(max_size=2000),
    ENCODED_TEXT,
    ENCODED_TEXT.map(gzip.compress),
    st.builds(lambda b, cut: gzip.compress(b)[:cut], st.binary(max_size=500),
              st.integers(0, 600)),
    st.builds(lambda bom, b: bom + b,
              st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE,
                               codecs.BOM_UTF32_LE, b"\x1f\x8b", b"%PDF-", b"<?xml "]),
              st.binary(max_size=500)),
    st.builds(lambda cs, b: f'<html><head><meta charset="{cs}"></head><body><p>'.encode() + b,
              st.sampled_from(["utf-8", "shift_jis", "utf-16", "x-bogus", "utf-7",
                               "iso-2022-jp", "hz", "cp037", "rot13", "base64", "idna",
                               "punycode", "undefined", "unicode_escape", "zlib", "hex"]),
              st.binary(max_size=500).map(lambda b: b"\xe9" + b)),
)


@SETTINGS
@given(PAGE_BYTES, KINDS)
# Always tried: a declared charset that Python's codecs know but that is no
# page encoding ("undefined" raises a bare UnicodeError from decode()).
@example(b'<html><head><meta charset="undefined"></head><body><p>caf\xe9</p>', "auto")
def test_arbitrary_bytes_raise_only_our_errors(data, kind):
    run(data, kind=kind)


@SETTINGS
@given(st.text(max_size=2000), KINDS)
def test_arbitrary_text_raises_only_our_errors(text, kind):
    result = run(text, kind=kind)
    if result is not None and kind == "text":
        # For arbitrary text (control characters, zero-width spaces, every line
        # break Python knows) the reference lines are from_text's: every one
        # gets a decision, and the body is a subsequence of them.
        reference = [ln.text for ln in from_text(text).lines]
        assert [ln.text for ln in result.lines] == reference
        assert is_subsequence(output_lines(result), reference)


@pytest.mark.parametrize("value", [None, 0, 1.5, ["<p>x</p>"], {"html": "<p>x</p>"}, object()])
def test_type_error_only_for_non_str_bytes(value):
    with pytest.raises(TypeError):
        declutter(value)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- text mode


# Lines like a flattened page's: prose sentences and short menu-like lines, in
# a few scripts, with runs of spaces, tabs and no-break spaces so that
# whitespace collapsing has something to do, and mixed line endings.
_VOCABULARY = (
    "the council approved new budget on tuesday after long debate about schools roads "
    "and future of old harbour district mayor said spending will rise by third next "
    "year residents asked to keep warehouses turn them into cultural centre police "
    "reported that storm closed bridge for hours while engineers inspected damage"
).split()
_MENU = ["Home", "World", "Sport", "Read more", "Share", "Sign in", "© 2024 Example",
         "Next »", "Tags:", "Most read", "12:30", "March 3, 2024", "|", "•", "東京", "Новости"]
_WORD = st.one_of(
    st.sampled_from(_VOCABULARY),
    st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789.,;:!?'\"()-–—«»„“”/@#%&*")
                                     + list("東京都新聞記事日本語中文报道") + list("Приветмирабвгд")),
            min_size=1, max_size=12),
)
_GAP = st.sampled_from([" ", " ", " ", "  ", "\t", "\u00a0", " \t "])


def _join(words: list[str], gaps: list[str]) -> str:
    return "".join(w + g for w, g in zip(words, gaps)).strip(" ") if words else ""


_SENTENCE = st.builds(
    lambda words, gaps, end: (_join(words, gaps).capitalize() + end) if words else "",
    st.lists(_WORD, min_size=6, max_size=30), st.lists(_GAP, min_size=30, max_size=30),
    st.sampled_from([".", ".", "!", "?", "", ":"]),
)
_PROSE_LINE = st.lists(_SENTENCE, min_size=1, max_size=4).map(" ".join)
_SHORT_LINE = st.sampled_from(_MENU) | st.builds(_join, st.lists(_WORD, max_size=4),
                                                 st.lists(_GAP, min_size=4, max_size=4))
_LINE = st.builds(lambda lead, body, tail: lead + body + tail,
                  _GAP | st.just(""), _PROSE_LINE | _SHORT_LINE, _GAP | st.just(""))
_EOL = st.sampled_from(["\n", "\n", "\r\n", "\r", "\n\n", "\n \t\n"])
TEXT_PAGES = st.builds(lambda lines, eols: "".join(l + e for l, e in zip(lines, eols)),
                       st.lists(_LINE, min_size=1, max_size=30),
                       st.lists(_EOL, min_size=30, max_size=30))


def collapse(line: str) -> str:
    """An input line as text mode reports it: whitespace runs collapsed, ends stripped."""
    return " ".join(line.split())


@SETTINGS
@given(TEXT_PAGES)
def test_text_mode_output_lines_are_input_lines_in_order(page):
    result = run(page, kind="text")
    assume(result is not None)  # all-blank pages are EmptyInputError
    inputs = [c for c in (collapse(l) for l in page.splitlines()) if c]
    # Nothing lost: every non-blank input line got a decision, in order...
    assert [ln.text for ln in result.lines] == inputs
    # ...and the body is a subset of the input lines, in input order.
    assert is_subsequence(output_lines(result), inputs)


# Idempotence, declutter(declutter(x).text, kind="text").text == declutter(x).text,
# does NOT hold in general. The classifier scores each line beside its
# neighbours (context windows, position on the page, the densest run of text,
# the empty-page rescue), so the body run again without the boilerplate around
# it can score differently. With the shipped model (at the time of writing)
# hypothesis finds text pages whose body is one short line kept in context
# ("the") and dropped when run alone, and 2 of the 16 HTML fixture pages lose
# a line when their body is run again as text (the 4 text fixtures are stable).
# What holds, and is tested here:
# - a second pass never adds or changes a line, only drops some (it follows
#   from the subset property), and it sees every line of the first body;
# - with threshold 0 (keep every line but date-only lines) it is idempotent.


@SETTINGS
@given(TEXT_PAGES)
def test_text_mode_second_pass_keeps_a_subset_of_the_first(page):
    first = run(page, kind="text")
    assume(first is not None and first.text)
    second = run(first.text, kind="text")
    assert second is not None
    assert is_subsequence(output_lines(second), output_lines(first))
    assert [ln.text for ln in second.lines] == output_lines(first)


@SETTINGS
@given(TEXT_PAGES)
@example(
    page=' 12:30 \n Новости \n The the the the tuesday hours. \nNext »\n Home \n Home\n The the the the the the. The the the the the the. The the the the the the the the the the the the council council. The the the the the the the the the council council residents asked turn into centre \nThe council police that bridge ,l”/-d0. The the the the the council spending р«»apgzbeвf;. \nHome\n The the the the the the. The the the the council council. \n',
)  # found by hypothesis: the caption rule once broke this
def test_text_mode_idempotence_at_threshold_zero(page):
    first = run(page, kind="text", threshold=0.0)
    assume(first is not None and first.text)
    second = run(first.text, kind="text", threshold=0.0)
    assert second is not None
    assert second.text == first.text


# --------------------------------------------------------------------------- HTML grammar


_TAGS = ["div", "p", "span", "a", "b", "i", "em", "ul", "ol", "li", "table", "tr", "td",
         "th", "h1", "h2", "h3", "nav", "header", "footer", "aside", "article", "main",
         "section", "figure", "figcaption", "blockquote", "pre", "code", "form", "button",
         "label", "select", "option", "textarea", "script", "style", "noscript", "template",
         "svg", "math", "iframe", "br", "hr", "img", "html", "body", "head", "title",
         "meta", "dl", "dt", "dd", "font", "center", "xmp", "plaintext", "frameset",
         "custom-element", "o:p", "svg:rect"]
_ATTRS = st.sampled_from([
    "", ' class="content"', ' class="nav menu"', ' class="related-articles teaser"',
    ' class="sr-only"', ' class="hidden"', ' id="main"', ' id="sidebar"', " hidden",
    ' style="display:none"', ' style="visibility: hidden"', ' aria-hidden="true"',
    ' href="/x"', ' class=""', " class", ' class="' + "x" * 300 + '"',
    ' data-x="<p>not a tag</p>"', " onclick='a<b'", ' class="a\x00b"', ' lang="ja"',
    ' charset="shift_jis"', ' http-equiv="refresh" content="0; url=/"',
])
_TEXTS = st.one_of(
    st.sampled_from([
        "The council approved the budget.", "Home", "Read more »", "© 2024", "12:30",
        "March 3, 2024", "東京都は十日、発表した。", "Новости дня.", "&amp;", "&nbsp;",
        "&#0;", "&#x110000;", "&#xD800;", "&bogus;", "&lt;script&gt;", "<", ">", "&",
        "]]>", "<!--", "-->", "<![CDATA[x]]>", "\x00", "\r\n", "\u2028", "\ufeff", " ",
        "\u200b", "a" * 500, "word " * 50,
    ]),
    st.text(max_size=40),
)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda tag, attrs, kids, close: f"<{tag}{attrs}>{''.join(kids)}"
                                        + (f"</{tag}>" if close else ""),
        st.sampled_from(_TAGS), _ATTRS, st.lists(children, max_size=5), st.booleans(),
    )


_NODES = st.recursive(
    _TEXTS | st.sampled_from(["<br>", "<hr/>", "</p>", "</div>", "</body>", "</html>",
                              "<!-- comment -->", "<?php echo 1; ?>", "<!DOCTYPE html>",
                              '<?xml version="1.0"?>', "<p", "<a href='", "</"]),
    _element, max_leaves=40,
)
HTML_PAGES = st.builds(lambda prefix, nodes: prefix + "".join(nodes),
                       st.sampled_from(["", "<!DOCTYPE html>", "<html><body>",
                                        '<?xml version="1.0" encoding="utf-8"?>',
                                        "\ufeff<!doctype html><html>", "  \n"]),
                       st.lists(_NODES, max_size=8))


@SETTINGS
@given(HTML_PAGES, KINDS)
def test_arbitrary_html_never_raises_anything_but_our_errors(html, kind):
    run(html, kind=kind)


@SETTINGS
@given(HTML_PAGES, st.sampled_from(["utf-8", "utf-16", "shift_jis", "gb18030", "cp1251"]))
def test_arbitrary_html_as_encoded_bytes_never_raises(html, codec):
    run(html.encode(codec, errors="replace"))


@SETTINGS
@given(HTML_PAGES)
def test_arbitrary_html_is_deterministic(html):
    assert run(html, kind="html") == run(html, kind="html")
