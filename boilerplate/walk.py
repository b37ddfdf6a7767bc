"""HTML text -> lxml tree -> Lines: one per run of visible text, with its markup context."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from ._native import load
from .decode import SNIFF_BYTES
from .document import Line
from .errors import InputError
from .hints import HIDDEN, hints

#: The optional compiled ``_walk`` (boilerplate/_cwalk.pyx, built by setup.py
#: where a C compiler is available; the same Lines, see tests/test_walk.py).
#: None means ``_walk``: when it is not built, or when DECLUTTER_PURE_PYTHON is
#: set. It reads the tables below from this module at every call.
_cwalk: Any = load("_cwalk")

__all__ = ["ANCESTOR_LEVELS", "PATH_LEVELS", "SEM", "clean", "page_title", "parse", "walk"]

#: Elements whose text is never shown to a reader.
_INVISIBLE = frozenset(
    "script style template noscript svg math iframe object embed canvas select "
    "textarea head title audio video map datalist".split()
)
#: Elements that start a new line; everything else is inline.
_BLOCK = frozenset(
    "address article aside blockquote body center dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form frameset h1 h2 h3 h4 h5 h6 header hgroup "
    "hr html li main menu nav ol p pre section summary table tbody thead tfoot tr td "
    "th ul caption legend button option label".split()
)

# Semantic tag bits: a line carries the OR over its block and all ancestors.
SEM = {
    name: 1 << i
    for i, name in enumerate(
        "nav aside footer header form figure article main blockquote button li table "
        "heading h1 a_only pre dl".split()
    )
}
_TAG_SEM = {
    "nav": SEM["nav"], "menu": SEM["nav"], "aside": SEM["aside"], "footer": SEM["footer"],
    "header": SEM["header"], "form": SEM["form"], "figure": SEM["figure"],
    "figcaption": SEM["figure"], "article": SEM["article"], "main": SEM["main"],
    "blockquote": SEM["blockquote"], "button": SEM["button"], "label": SEM["button"],
    "li": SEM["li"], "ul": SEM["li"], "ol": SEM["li"], "table": SEM["table"],
    "td": SEM["table"], "th": SEM["table"], "h1": SEM["heading"] | SEM["h1"],
    "h2": SEM["heading"], "h3": SEM["heading"], "h4": SEM["heading"],
    "h5": SEM["heading"], "h6": SEM["heading"], "pre": SEM["pre"], "dl": SEM["dl"],
    "dd": SEM["dl"], "dt": SEM["dl"],
}

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_WS = re.compile(r"[\s\u00a0\u200b\u200c\u200d\u2060\ufeff]+")
#: The page is parsed as UTF-8 bytes (lxml parses bytes faster than a str, which
#: it converts first), so the repairs before parsing run on bytes too, with the
#: str patterns' meaning: \s is every character str.isspace() calls space, as
#: UTF-8 (bytes' \s is ASCII only, and leaves out \x1c-\x1f).
_SPACE = (rb"(?:[\t\n\x0b\x0c\r\x1c-\x1f ]|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]"
          rb"|\xe2\x81\x9f|\xe3\x80\x80)")
_TITLE_OPEN = re.compile(rb"<title\b[^>]*>", re.I)
_TITLE_CLOSE = re.compile(rb"</title" + _SPACE + rb"*>", re.I)
_DOC_END = re.compile(rb"</(?:html|body)" + _SPACE + rb"*>", re.I)
_XML_DECL = re.compile(r"\s*<\?xml[^>]*\?>", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: The characters that _clean's two regexes treat otherwise than str.split()
#: does (the compiled walk reads them from here too).
_UNUSUAL_CHARS = "".join(map(chr, [*range(0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f, 0x200b,
                                   0x200c, 0x200d, 0x2060, 0xfeff]))
_UNUSUAL = re.compile(f"[{re.escape(_UNUSUAL_CHARS)}]")


def clean(text: str) -> str:
    """Collapse whitespace and drop control characters."""
    if _UNUSUAL.search(text) is None:
        # Without control or zero-width characters this is what the regexes
        # below do (\s is exactly str.isspace), at a fraction of the cost.
        return " ".join(text.split())
    return _WS.sub(" ", _CONTROL.sub("", text)).strip()


def parse(html: str, utf8: bytes | None = None) -> etree._Element | None:
    """Parse HTML text with lxml; None when there is no element at all.

    ``utf8`` is the same text as UTF-8, when the caller has it (``decode.Decoded``).
    """
    # Pages with inlined ads carry nested </body></html>; libxml2 stops at
    # them and loses the article (seen in big9), so end tags of the document
    # elements go: the parser closes everything at the end anyway.
    declaration = _XML_DECL.match(html)
    if utf8 is None:
        utf8 = html.encode("utf-8", "surrogatepass")
    if declaration:
        utf8 = utf8[len(html[:declaration.end()].encode("utf-8", "surrogatepass")):]
        html = html[declaration.end():]
    data = utf8
    if b"\x00" in data:
        data = data.replace(b"\x00", b"")
    data = _DOC_END.sub(b"", data)
    # A <title> that is never closed swallows the whole page as title text
    # (crawl damage seen in l3s-gn1): drop the opening tag instead.
    head = len(html[:SNIFF_BYTES].encode("utf-8", "surrogatepass"))  # SNIFF_BYTES characters
    title = _TITLE_OPEN.search(data, 0, head)
    if title and not _TITLE_CLOSE.search(data, title.end()):
        data = data[: title.start()] + data[title.end():]
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True,
                              no_network=True, collect_ids=False, huge_tree=True,
                              default_doctype=False)
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if any("Excessive depth" in e.message for e in parser.error_log):
        # libxml2 stops at depth ~2048 and silently drops the rest of the page.
        raise InputError("page is nested deeper than the parser's limit (about 2,048 "
                         "elements); refusing a partial result")
    return root


def page_title(root: etree._Element) -> str | None:
    """Text of the page's first <title> element, if any."""
    # Where the parser put it, <head>'s title is the first in document order,
    # and found without a walk over the page (iter("title") cost 0.09 ms a page).
    el = root.find("head/title")
    if el is None:
        el = next(root.iter("title"), None)
    return (clean(el.text or "") or None) if el is not None else None


#: Tag paths keep the innermost levels only: enough to tell repeated sibling
#: structures apart, and bounded on pages nested thousands of levels deep.
PATH_LEVELS = 8


#: How many block ancestors a Line remembers (for container text mass).
ANCESTOR_LEVELS = 4

_SEM_A_ONLY = SEM["a_only"]
_NO_ANCESTORS: tuple[int, ...] = ()
#: An open element while walking: (tag, block, hints, own_hints, sem, path, uid, depth).
Frame = tuple[str, bool, int, int, int, str, int, int]


def walk(root: etree._Element) -> list[Line]:
    """One Line per run of visible text under root, by the compiled walk when it is built.

    A block element (``_BLOCK``), ``<br>`` and ``<hr>`` end the current line;
    a line belongs to the innermost open block. Invisible elements
    (``_INVISIBLE``, ``hidden``, ``aria-hidden``, ``display: none``, hidden
    classes) are skipped with their content, not their tail.
    """
    if _cwalk is not None:
        return _cwalk.walk(root)
    return _walk(root)


# An open element is a tuple, read by index in the loop below (named fields
# cost a lookup each, and the walk runs once per element of every page):
# (tag, block, hints, own_hints, sem, path, uid, depth).


def _walk(root: etree._Element) -> list[Line]:
    """``walk`` in Python: the specification of the compiled walk, and its fallback."""
    state = _Walk()
    buf, stack, blocks, block_uids = state.buf, state.stack, state.blocks, state.block_uids
    in_link = uid = 0  # open <a> elements; elements opened so far
    skipped = False  # the last start event skipped its element's subtree
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if event == "end":
            if tag.__class__ is str:  # not a comment, processing instruction or entity
                if skipped:
                    skipped = False
                elif state.close():
                    in_link -= 1
            tail = el.tail
            if tail:
                buf.append(tail)
                if in_link:
                    state.link_chars += len(tail.strip())
            continue
        if tag.__class__ is not str:
            continue
        tag = tag.lower()
        opened = _opened(tag, el.attrib)
        if opened is None:
            walker.skip_subtree()
            skipped = True
            continue
        block = tag in _BLOCK
        if (block or tag == "br" or tag == "hr") and buf:
            state.flush()
        if tag == "a":
            in_link += 1
        uid += 1
        frame = _frame(tag, block, opened, stack[-1] if stack else None, uid)
        stack.append(frame)
        if block:
            blocks.append(frame)
            block_uids.append(uid)
        text = el.text
        if text:
            buf.append(text)
            if in_link:
                state.link_chars += len(text.strip())
    if buf:
        state.flush()
    return state.lines


_NO_ATTRIBUTES = (None, 0)


def _opened(tag: str, attrib: Any) -> tuple[str | None, int] | None:
    """(class, own hint bits) of an element that opens, None for one that is invisible."""
    if tag in _INVISIBLE:
        return None
    if not attrib:
        return _NO_ATTRIBUTES
    if "hidden" in attrib or attrib.get("aria-hidden") == "true":
        return None
    style = attrib.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return None
    # The hints of "class id" are those of the class or of the id: the space
    # between them separates tokens.
    cls = attrib.get("class")
    own = hints(cls) if cls else 0
    if own & HIDDEN:
        return None
    ident = attrib.get("id")
    if ident:
        own |= hints(ident)
    return cls, own


def _frame(tag: str, block: bool, opened: tuple[str | None, int], up: Frame | None,
           uid: int) -> Frame:
    """The open-element tuple of an element, inside ``up`` (None at the root of the walk)."""
    cls, own = opened
    label = tag
    if cls:
        first = cls.split(None, 1)
        if first:
            label = f"{tag}.{first[0][:24]}"
    if up is None:
        return (tag, block, own, own, _TAG_SEM.get(tag, 0), label, uid, 0)
    path = f"{up[5]}>{label}"
    if path.count(">") >= PATH_LEVELS:
        path = path.split(">", 1)[1]
    return (tag, block, up[2] | own, own, up[4] | _TAG_SEM.get(tag, 0), path, uid, up[7] + 1)


class _Walk:
    """What ``_walk`` builds: the Lines, the text of the line being built, the open elements."""

    __slots__ = ("block_uids", "blocks", "buf", "lines", "link_chars", "stack")

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.buf: list[str] = []  # pieces of text (.text and .tail values)
        self.link_chars = 0  # non-space characters of the pieces inside links
        self.stack: list[Frame] = []  # the open elements
        self.blocks: list[Frame] = []  # the open block elements
        self.block_uids: list[int] = []  # their uids, for Line.ancestors

    def close(self) -> bool:
        """Close the innermost open element; True when it is a link."""
        frame = self.stack.pop()
        if frame[1]:
            if self.buf:
                self.flush()
            self.blocks.pop()
            self.block_uids.pop()
        return frame[0] == "a"

    def flush(self) -> None:
        """Emit the buffered text as a Line owned by the innermost block (or open element)."""
        text = "".join(self.buf)
        links = self.link_chars
        self.buf.clear()
        self.link_chars = 0
        # Most flushes hold only the whitespace between tags: isspace() is
        # true exactly when clean would return "" through its \s rule.
        if text.isspace():
            return
        text = clean(text)
        if not text:
            return
        lines, blocks, stack = self.lines, self.blocks, self.stack
        owner = blocks[-1] if blocks else (stack[-1] if stack else None)
        if owner is None:
            lines.append(Line(text=text, index=len(lines)))
            return
        sem = owner[4]
        if links >= (len(text) - text.count(" ")) * 0.9:
            sem |= _SEM_A_ONLY
        uids = self.block_uids
        ancestors = tuple(uids[-1 - ANCESTOR_LEVELS:-1][::-1]) if len(uids) > 1 else _NO_ANCESTORS
        lines.append(Line(
            text=text, index=len(lines), tag=owner[0], path=owner[5], depth=owner[7],
            hints=owner[2], own_hints=owner[3], sem=sem, link_chars=min(links, len(text)),
            ancestors=ancestors,
        ))
