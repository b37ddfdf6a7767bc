"""Cut a page into a Document of Lines: HTML through the walk, or text that a scraper already flattened."""

from __future__ import annotations

from .decode import DEFAULT_MAX_BYTES, Decoded, read, to_text
from .document import Document, Line
from .errors import InputError
from .pagekind import page_hints
from .metadata import read_meta
from .sniff import Kind, detect_kind
from .walk import clean, page_title, parse, walk

__all__ = ["from_html", "from_text", "html_document", "segment"]


def from_html(html: str | bytes, *, url: str | None = None,
              max_bytes: int | None = DEFAULT_MAX_BYTES) -> Document:
    """Visible text blocks of an HTML page as Lines, in document order.

    Bytes take the same road as in ``declutter``: gunzipped, size-checked and
    decoded (``decode.read``).

    Raises:
        TypeError: when ``html`` is neither str nor bytes.
        InputError: for bytes that are binary, damaged gzip, too large or undecodable.
    """
    return html_document(read(html, max_bytes=max_bytes), url=url)


def html_document(page: Decoded, *, url: str | None = None) -> Document:
    """``from_html`` of an input already read (its UTF-8 bytes go to the parser when at hand)."""
    root = parse(page.text, page.utf8)
    if root is None:
        return Document(kind="html", lines=(), url=url)
    meta = read_meta(root, page.text)  # before the walk, which may drop elements
    return Document(kind="html", lines=tuple(walk(root)), title=page_title(root), url=url,
                    hints=page_hints(root), meta=meta)


def from_text(text: str | bytes, *, url: str | None = None,
              max_bytes: int | None = DEFAULT_MAX_BYTES) -> Document:
    """One Line per non-empty line of flattened text.

    Raises:
        TypeError: when ``text`` is neither str nor bytes.
        InputError: for bytes that are binary, damaged gzip, too large or undecodable.
    """
    lines: list[Line] = []
    for raw in to_text(text, max_bytes=max_bytes).splitlines():
        cleaned = clean(raw)
        if cleaned:
            lines.append(Line(text=cleaned, index=len(lines)))
    return Document(kind="text", lines=tuple(lines), url=url)


def segment(data: str | bytes, *, kind: Kind = "auto", url: str | None = None,
            max_bytes: int | None = DEFAULT_MAX_BYTES) -> Document:
    """Dispatch to ``from_html`` or ``from_text``; ``auto`` sniffs the input.

    Raises:
        TypeError: for input that is neither str nor bytes.
        InputError: for an unknown ``kind``, or bytes that cannot be read.
    """
    page = read(data, max_bytes=max_bytes)
    if kind == "auto":
        kind = detect_kind(page.text)
    if kind == "html":
        return html_document(page, url=url)
    if kind == "text":
        return from_text(page.text, url=url, max_bytes=None)
    raise InputError(f"unknown kind {kind!r}: expected auto, html or text")
