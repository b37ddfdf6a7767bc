"""Text -> what kind of page it is: HTML or flattened text, or not a page at all (JSON, feeds)."""

from __future__ import annotations

import re
from typing import Literal

from .decode import SNIFF_BYTES
from .errors import EmptyInputError, InputError

__all__ = ["KINDS", "Kind", "check_page", "detect_kind", "page_kind"]

Kind = Literal["auto", "html", "text"]
#: The kinds a caller can ask for.
KINDS: tuple[str, ...] = ("auto", "html", "text")

_HTML_SNIFF = re.compile(
    r"<(?:!doctype\s+html|html|head|body|meta|title|div|p|br|span|a|table|article|"
    r"section|h[1-6]|ul|li|script|link|header|nav|main)\b[^<>]*>",
    re.I,
)

_FEED = re.compile(
    r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--(?:(?!-->).)*-->\s*|<\?[^>]*>\s*|<!doctype[^>]*>\s*)*"
    r"<(rss|feed|rdf:rdf|urlset|sitemapindex|opml|svg)\b", re.S | re.I,
)


_XML_ROOT = re.compile(
    r"^\s*<\?xml[^>]*>\s*(?:<!--(?:(?!-->).)*-->\s*|<\?[^>]*>\s*|<!doctype[^>]*>\s*)*<([\w:.-]+)",
    re.S | re.I,
)


#: Elements that start real pages after an XML declaration (XHTML, and broken
#: pages that open with <meta> or <head>); any other root is a data document,
#: unless an <html> or <body> tag follows soon after it.
_HTML_ROOTS = frozenset({"html", "head", "body", "meta", "title", "link", "base", "script",
                         "style", "div", "p", "table", "form", "center", "font", "frameset"})
_HTML_TAG = re.compile(r"<(?:html|body)[\s>]", re.I)
_NON_SPACE = re.compile(r"\S")


def check_page(text: str, kind: str) -> None:
    """Refuse text that is empty, or JSON or an XML feed where a page was expected.

    Raises:
        EmptyInputError: for empty or whitespace-only input.
        InputError: for JSON or XML documents given as HTML or auto.
    """
    # Neither strip() nor lstrip(): they copy the whole page; isspace() and
    # the search stop at the first character that is not whitespace.
    if not text or text.isspace():
        raise EmptyInputError("empty input")
    if kind == "text":
        return
    first = _NON_SPACE.search(text)  # never None: the text is not all whitespace
    if first is not None and first.group() in ("{", "["):
        import json

        try:
            json.loads(text)
        except ValueError:
            pass
        else:
            raise InputError("JSON data, not a page (use kind 'text' to filter it as text)")
    feed = _FEED.match(text[:SNIFF_BYTES])
    if feed:
        raise InputError(f"an XML document (<{feed.group(1).lower()}>), not a page")
    root = _XML_ROOT.match(text[:SNIFF_BYTES])
    if root and root.group(1).lower() not in _HTML_ROOTS and not _HTML_TAG.search(text[:SNIFF_BYTES]):
        raise InputError(f"an XML document (<{root.group(1)}>), not a page")


#: Elements a fragment of HTML can open with ("<p>Hello</p>", "<body>...</body>").
_FRAGMENT_TAGS = (r"html|head|body|main|article|section|header|footer|nav|aside|div|p|span|a|b|i|em|"
                  r"strong|br|h[1-6]|ul|ol|li|dl|dt|dd|table|tr|td|th|blockquote|pre|figure|"
                  r"figcaption|img|form|title|meta|link|script|style")
#: A text that opens with such a tag (after spaces and comments) ...
_FRAGMENT_START = re.compile(rf"\s*(?:<!--(?:(?!-->).)*-->\s*)*<(?:{_FRAGMENT_TAGS})\b[^<>]*>",
                             re.S | re.I)
#: ... and closes such an element is markup, however few tags it has.
_FRAGMENT_CLOSE = re.compile(rf"</(?:{_FRAGMENT_TAGS})\s*>", re.I)


def detect_kind(text: str) -> Literal["html", "text"]:
    """Tell HTML from flattened text by looking for real tags near the start.

    A page (a doctype, <html>, or three tags or more) or a fragment (it opens
    with an element's tag and closes an element: "<p>Hello</p>") is HTML;
    text that merely mentions a tag ("Use the <p> tag") stays text.
    """
    head = text[:SNIFF_BYTES]
    if _FRAGMENT_START.match(head) and _FRAGMENT_CLOSE.search(head):
        return "html"
    tags = _HTML_SNIFF.findall(head)
    if not tags:
        return "text"
    stripped = head.lstrip().lower()
    if stripped.startswith(("<!doctype html", "<html", "<?xml")):
        return "html"
    # Text that merely mentions a tag or two stays text; markup has many.
    return "html" if len(tags) >= 3 else "text"


def page_kind(text: str, kind: str) -> Literal["html", "text"]:
    """Check that ``text`` is a page (``check_page``) and resolve "auto" (``detect_kind``).

    Raises:
        EmptyInputError, InputError: as ``check_page``.
    """
    check_page(text, kind)
    if kind == "auto":
        return detect_kind(text)
    return "html" if kind == "html" else "text"
