"""Cut a page into Lines: HTML via lxml, or text that a scraper already flattened.

Decoding bytes lives here too: BOM, then strict UTF-8, then the declared
charset, then charset-normalizer's guess.
"""

from __future__ import annotations

import codecs
import functools
import re
from array import array
from typing import Any, Literal

from lxml import etree

from ._native import load
from .document import Document, Line
from .errors import EmptyInputError, EncodingError, InputError, InputTooLargeError

#: The optional C version of ``_walk`` (boilerplate/_cwalk.c, built by setup.py
#: where a C compiler is available; same Lines, see tests/test_cwalk.py). None
#: means ``_walk``: when it is not built, or when DECLUTTER_PURE_PYTHON is set.
_cwalk: Any = load("_cwalk")

__all__ = [
    "DEFAULT_MAX_BYTES",
    "check_page",
    "unwrap",
    "HINTS",
    "SEM",
    "decode",
    "detect_kind",
    "from_html",
    "from_text",
    "segment",
]

Kind = Literal["auto", "html", "text"]

#: Inputs larger than this are refused (50 MB: ten times the largest page in
#: ../shared/data, and still processed in a few seconds).
DEFAULT_MAX_BYTES = 50_000_000

#: How far into a page we look for a <meta charset> (browsers use 1024 bytes;
#: real pages put scripts first, so we look further).
_SNIFF_BYTES = 8192

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

# Class/id hint categories: a token of an element's class or id that matches
# the pattern sets the bit. Names follow the cues the field uses (boilerpipe,
# readability's unlikelyCandidates, trafilatura's xpaths).
_HINT_PATTERNS = {
    "nav": r"nav|menu|breadcrumb|masthead|topbar|skip|dropdown",
    "side": r"sidebar|aside|rail|widget|sidebox|col-right|right-col|secondary",
    "related": r"related|recommend|teaser|promo|outbrain|taboola|suggest|readmore|"
    r"read-more|more-|also|next|prev|other|kicker",
    "popular": r"popular|ranking|rank|trending|mostread|most-|most_|top-?10|hot",
    "share": r"share|social|sharing|facebook|twitter|tweet|whatsapp|email|print|tool",
    "footer": r"footer|foot|copyright|legal|bottom|colophon",
    "header": r"header|masthead|banner|brand|logo|top",
    "comment": r"comment|reply|replies|disqus|discussion|respond|reaction|forum|review",
    "ad": r"^ads?$|^ad-|-ad$|advert|sponsor|dfp|adslot|adunit|commercial|partner|^gpt",
    "subscribe": r"subscri|newsletter|signup|sign-up|paywall|premium|register|login|"
    r"cookie|consent|gdpr|modal|popup|overlay|notice|alert|banner",
    "meta": r"byline|author|date|time|meta|dateline|timestamp|publish|posted|info|"
    r"updated|source",
    "caption": r"caption|credit|photo|image|img|media|gallery|video|figure|pic",
    "title": r"title|headline|heading|hed$|standfirst|subtitle|deck|summary|lede?$|"
    r"intro|description",
    "content": r"article|content|story|body|post|entry|text|main|prose|paragraph|"
    r"richtext|detail|blog",
    "tag": r"^tags?$|tag-|keyword|topic|categor|label",
    "list": r"list|item|card|tile|grid|feed|stream|river|collection|headlines",
    "hidden": r"^hidden$|sr-only|visually-hidden|screen-reader|^d-none$|offscreen",
}
HINTS = {name: 1 << i for i, name in enumerate(_HINT_PATTERNS)}
_HIDDEN_CLASS = HINTS["hidden"]
_TOKEN_SPLIT = re.compile(r"[^a-z0-9_-]+")
_HINT_CACHE: dict[str, int] = {}
_TOKEN_CACHE: dict[str, int] = {}
_HINT_CACHE_MAX = 100_000
#: Longer class/id strings are not cached (they are rare and would bloat it).
_HINT_CACHE_KEY_MAX = 256

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_WS = re.compile(r"[\s\u00a0\u200b\u200c\u200d\u2060\ufeff]+")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I
)
_TITLE_OPEN = re.compile(r"<title\b[^>]*>", re.I)
_TITLE_CLOSE = re.compile(r"</title\s*>", re.I)
_DOC_END = re.compile(r"</(?:html|body)\s*>", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""", re.I)
_HTML_SNIFF = re.compile(
    r"<(?:!doctype\s+html|html|head|body|meta|title|div|p|br|span|a|table|article|"
    r"section|h[1-6]|ul|li|script|link|header|nav|main)\b[^<>]*>",
    re.I,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Characters that _clean's two regexes treat otherwise than str.split() does.
_UNUSUAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff]")

#: WHATWG encoding labels that Python spells differently or that browsers
#: decode as a superset.
_CHARSET_ALIASES = {
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "windows-31j": "cp932", "ms_kanji": "cp932",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "us-ascii": "cp1252", "ascii": "cp1252", "big5": "big5hkscs",
    "x-user-defined": "cp1252", "unicode": "utf-16",
}


def _normalise_charset(name: str) -> str | None:
    """Return a Python codec name for a declared charset, or None if unknown."""
    label = name.strip().lower()
    label = _CHARSET_ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    # Only real text encodings that pages use: not unicode_escape, rot13,
    # undefined, base64... which Python knows but a browser does not.
    if not getattr(info, "_is_text_encoding", True) or _NOT_PAGE_CODECS.search(info.name):
        return None
    return info.name


_NOT_PAGE_CODECS = re.compile(r"escape|undefined|idna|punycode|raw|rot|hex|base64|uu|zlib|bz2|"
                              r"quopri|mbcs|oem|palmos|charmap|utf[-_]?7")


def _declared_charset(head: bytes) -> str | None:
    """The charset a page declares in an XML declaration or <meta>, if any."""
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return _normalise_charset(match.group(1).decode("ascii", "replace")) if match else None


#: File signatures of things that are not pages, with what to call them.
_MAGIC = (
    (b"%PDF-", "a PDF document"), (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"), (b"GIF87a", "a GIF image"), (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or office document)"), (b"\x7fELF", "an executable"),
    (b"BZh", "a bzip2 archive"), (b"\xfd7zXZ\x00", "an xz archive"), (b"OggS", "Ogg media"),
    (b"ID3", "an MP3 file"), (b"\x00\x00\x01\x00", "an icon"), (b"\x00asm", "WebAssembly"),
    (b"wOFF", "a web font"), (b"wOF2", "a web font"), (b"\xd0\xcf\x11\xe0", "an OLE document"),
)
_GZIP_MAGIC = b"\x1f\x8b"
#: Share of NUL and other control bytes above which bytes are binary, not text.
_BINARY_CONTROL_SHARE = 0.05


def unwrap(data: bytes, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> bytes:
    """Gunzip gzip-compressed pages (bounded by ``max_bytes``); refuse known binary formats.

    Raises:
        InputError: for images, PDFs, archives and other binary files.
        InputTooLargeError: when a compressed page inflates beyond ``max_bytes``.
    """
    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(data, max_bytes)
    if data[4:8] == b"ftyp" or (data.startswith(b"RIFF") and data[8:12] in (b"WEBP", b"WAVE", b"AVI ")):
        raise InputError("binary data (a media file), not a page")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputError(f"binary data ({what}), not a page")
    return data


def _gunzip(data: bytes, max_bytes: int | None) -> bytes:
    """Decompress gzip data, refusing output over ``max_bytes`` (gzip bombs)."""
    import zlib

    limit = max_bytes if max_bytes is not None else -1
    parts: list[bytes] = []
    size = 0
    while data:  # one gzip member after another (``cat a.gz b.gz``)
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            part = inflater.decompress(data, (limit - size + 1) if limit >= 0 else 0)
        except zlib.error as exc:
            raise InputError(f"corrupt gzip data: {exc}") from None
        size += len(part)
        parts.append(part)
        if limit >= 0 and size > limit:
            raise InputTooLargeError(
                f"gzip input inflates beyond the {max_bytes:,}-byte limit (max_bytes)")
        if not inflater.eof:
            raise InputError("truncated gzip data; refusing a partial page")
        data = inflater.unused_data
    return b"".join(parts)


def _looks_utf16(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' for BOM-less UTF-16, else None.

    Markup is mostly ASCII (every other byte NUL); CJK or Cyrillic text is
    not, but its spaces and line breaks still pair with a NUL byte.
    """
    sample = head[:4096]
    if len(sample) < 16:
        return None
    sample = sample[: len(sample) // 2 * 2]
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    for codec, low, high in (("utf-16-le", even, odd), ("utf-16-be", odd, even)):
        spaces = sum(1 for a, b in zip(low, high) if b == 0 and a in (0x20, 0x0A, 0x0D))
        if spaces >= max(2, len(low) // 200):
            try:
                sample.decode(codec)
            except UnicodeDecodeError:
                continue
            return codec
    return None


#: Share of invalid sequences up to which a page is UTF-8 with a few damaged
#: bytes (a cut-off last character, one stray byte) rather than another charset.
_UTF8_DAMAGE_SHARE = 0.002


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 text with replacement characters when only a few bytes are invalid."""
    text = data.decode("utf-8", errors="replace")
    damaged = text.count("\ufffd")
    non_ascii = sum(1 for b in data[:200_000] if b >= 0x80)
    if non_ascii and damaged <= max(2, _UTF8_DAMAGE_SHARE * len(text)) and damaged < non_ascii / 4:
        return text
    return None


def _single_byte(codec: str) -> bool:
    """True for single-byte charsets, where every byte decodes to something."""
    return codec.startswith(("cp125", "iso8859", "latin", "mac", "koi8", "cp437", "cp850"))


def _garbled(text: str) -> bool:
    """True when charset-normalizer finds the decoded text to be mojibake."""
    from charset_normalizer.md import mess_ratio

    return mess_ratio(text[:50_000], maximum_threshold=1.0) > _MESS_MAX


#: charset-normalizer's mess ratio above which a decoding is garbage: 0.0 on
#: real Russian, Chinese and French pages, 1.2-3.4 on them decoded as cp1252.
_MESS_MAX = 0.2


def _is_binary(head: bytes) -> bool:
    """True when the bytes hold too many control characters to be text."""
    sample = head[:8192]
    if not sample:
        return False
    controls = sum(sample.count(bytes([b])) for b in (*range(0, 9), 11, 12, *range(14, 32)))
    return controls > _BINARY_CONTROL_SHARE * len(sample)


def decode(data: bytes) -> str:
    """Decode page bytes the way a browser would, with a detector as fallback.

    Order: byte-order mark; strict UTF-8 (a page that is valid UTF-8 is UTF-8
    whatever it declares); the declared charset; BOM-less UTF-16; then
    charset-normalizer's guess.

    Raises:
        TypeError: if ``data`` is not bytes.
        EncodingError: for bytes that are no text in any plausible encoding.
    """
    if not isinstance(data, bytes):
        raise TypeError(f"decode() takes bytes, not {type(data).__name__}")
    if not data.strip():
        raise EmptyInputError("empty input")
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    utf16 = _looks_utf16(data)
    if utf16:
        return data.decode(utf16, errors="replace")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _is_binary(data):
            raise EncodingError("binary data (control characters), not a page")
        return text
    if _is_binary(data):
        raise EncodingError("binary data (control characters), not a page")
    declared = _declared_charset(data[:_SNIFF_BYTES])
    mostly_utf8 = _mostly_utf8(data)
    if mostly_utf8 is not None and (declared is None or declared.startswith("utf-8")):
        return mostly_utf8
    if declared and not declared.startswith(("utf-8", "utf-16", "utf-32")):
        try:
            text = data.decode(declared)
        except (UnicodeError, LookupError):
            pass
        else:
            if not _single_byte(declared) or not _garbled(text):
                return text
    return _guess_decode(data)


def _guess_decode(data: bytes) -> str:
    """Decode with charset-normalizer's best guess (imported lazily: it is slow)."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None:
        # No plausible text encoding: still decodable as UTF-8 with
        # replacements, but the caller should know it is probably binary.
        raise EncodingError("input is not text in any known encoding (binary data?)")
    return data.decode(best.encoding, errors="replace")


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
    head = _NON_SPACE.search(text).group()
    if head in ("{", "["):
        import json

        try:
            json.loads(text)
        except ValueError:
            pass
        else:
            raise InputError("JSON data, not a page (use kind 'text' to filter it as text)")
    feed = _FEED.match(text[:_SNIFF_BYTES])
    if feed:
        raise InputError(f"an XML document (<{feed.group(1).lower()}>), not a page")
    root = _XML_ROOT.match(text[:_SNIFF_BYTES])
    if root and root.group(1).lower() not in _HTML_ROOTS and not _HTML_TAG.search(text[:_SNIFF_BYTES]):
        raise InputError(f"an XML document (<{root.group(1)}>), not a page")


def detect_kind(text: str) -> Literal["html", "text"]:
    """Tell HTML from flattened text by looking for real tags near the start."""
    head = text[:_SNIFF_BYTES]
    tags = _HTML_SNIFF.findall(head)
    if not tags:
        return "text"
    stripped = head.lstrip().lower()
    if stripped.startswith(("<!doctype html", "<html", "<?xml")):
        return "html"
    # Text that merely mentions a tag or two stays text; markup has many.
    return "html" if len(tags) >= 3 else "text"


def _to_str(data: str | bytes, what: str) -> str:
    """Check the input type and decode bytes."""
    if isinstance(data, bytes | bytearray | memoryview):
        return decode(bytes(data))
    if isinstance(data, str):
        return data
    raise TypeError(f"{what} must be str or bytes, not {type(data).__name__}")


def _clean(text: str) -> str:
    """Collapse whitespace and drop control characters."""
    if _UNUSUAL.search(text) is None:
        # Without control or zero-width characters this is what the regexes
        # below do (\s is exactly str.isspace), at a fraction of the cost.
        return " ".join(text.split())
    return _WS.sub(" ", _CONTROL.sub("", text)).strip()


def from_text(text: str | bytes, *, url: str | None = None) -> Document:
    """One Line per non-empty line of flattened text.

    Raises:
        TypeError: when ``text`` is neither str nor bytes.
    """
    text = _to_str(text, "text")
    lines = []
    for raw in text.splitlines():
        cleaned = _clean(raw)
        if cleaned:
            lines.append(Line(text=cleaned, index=len(lines)))
    return Document(kind="text", lines=tuple(lines), url=url)


def _hints(attrs: str) -> int:
    """Hint bits of one class+id string (cached: the same strings repeat a lot).

    A string not seen before goes through the automaton as a table in C
    (``_cwalk.hint_bits``) when the extension is built and the string is ASCII;
    otherwise token by token in Python, with its own cache of tokens (new class
    strings are mostly known tokens in a new combination).
    """
    bits = _HINT_CACHE.get(attrs)
    if bits is None:
        if _cwalk is not None and attrs.isascii():
            # The same bits from the automaton as a table, in C (no token cache needed).
            _load_hint_dfa()
            bits = _cwalk.hint_bits(attrs)
        else:
            bits = _token_bits(attrs)
        if len(attrs) <= _HINT_CACHE_KEY_MAX:
            if len(_HINT_CACHE) > _HINT_CACHE_MAX:
                _HINT_CACHE.clear()
            _HINT_CACHE[attrs] = bits
    return bits


def _token_bits(attrs: str) -> int:
    """``_hints`` without its cache of whole strings, token by token in Python."""
    bits = 0
    for token in _TOKEN_SPLIT.split(attrs.lower()):
        if token:
            token_bits = _TOKEN_CACHE.get(token)
            if token_bits is None:
                token_bits = _token_hints(token)
                if len(token) <= _HINT_CACHE_KEY_MAX:
                    if len(_TOKEN_CACHE) > _HINT_CACHE_MAX:
                        _TOKEN_CACHE.clear()
                    _TOKEN_CACHE[token] = token_bits
            bits |= token_bits
    return bits


#: The symbols of the hint automaton as a table (``_hint_dfa``): the characters
#: tokens are made of, then the ^ and $ markers. _cwalk.c relies on this order.
_DFA_SYMBOLS = "abcdefghijklmnopqrstuvwxyz0123456789_-^$"


def _hint_dfa() -> tuple[array, array]:
    """The hint automaton (``_matcher``) with its failure links resolved.

    Returns the transition table (int32, ``len(_DFA_SYMBOLS)`` entries per
    state, row-major) and the hint bits of each state (uint64).
    """
    goto, fail, out, _ = _matcher()
    width = len(_DFA_SYMBOLS)
    table = [[0] * width for _ in goto]
    order = [0]
    for state in order:  # breadth first: a failure link points to a state seen before
        order.extend(goto[state].values())
        for k, ch in enumerate(_DFA_SYMBOLS):
            nxt = goto[state].get(ch)
            table[state][k] = nxt if nxt is not None else (table[fail[state]][k] if state else 0)
    return array("i", [t for row in table for t in row]), array("Q", out)


@functools.lru_cache(maxsize=1)
def _load_hint_dfa() -> None:
    """Hand the table to the C module, once (on the first class string not cached)."""
    _cwalk.set_hint_dfa(*_hint_dfa())


def _token_hints(token: str) -> int:
    """The bits of the _HINT_PATTERNS that ``re.search`` finds in a token.

    One pass of an Aho-Corasick automaton over "^" + token + "$" finds every
    literal of every pattern at once (a pattern's ^ and $ become these
    markers, which tokens never hold): four times faster than a search per
    pattern, which mattered on every page of a new site. tests/test_speed_equivalence.py
    checks that both agree.
    """
    matcher = _matcher()
    goto, fail, out, moves = matcher
    state = bits = 0
    for ch in f"^{token}$":
        nxt = moves[state].get(ch)
        if nxt is None:  # first time this move is taken: follow the failure links
            back = state
            while True:
                nxt = goto[back].get(ch)
                if nxt is not None or back == 0:
                    nxt = nxt or 0
                    break
                back = fail[back]
            moves[state][ch] = nxt
        state = nxt
        bits |= out[state]
    return bits


def _literals(pattern: str) -> list[str]:
    """The strings a hint pattern matches: |-separated terms of [a-z0-9_-] characters,
    each optionally followed by ?, with ^ and $ at their ends only.

    Raises:
        ValueError: for any other regex syntax (extend this, or the automaton is wrong).
    """
    out = []
    for term in pattern.split("|"):
        words = [""]
        i = 0
        while i < len(term):
            ch = term[i]
            if not ("a" <= ch <= "z" or "0" <= ch <= "9" or ch in "-_^$"):
                raise ValueError(f"hint pattern term {term!r}: unsupported {ch!r}")
            if i + 1 < len(term) and term[i + 1] == "?":
                words = [w + ch for w in words] + words
                i += 2
            else:
                words = [w + ch for w in words]
                i += 1
        if any("^" in w[1:] or "$" in w[:-1] for w in words):
            raise ValueError(f"hint pattern term {term!r}: ^ or $ inside")
        out += words
    return out


@functools.lru_cache(maxsize=1)
def _matcher() -> tuple[list[dict[str, int]], list[int], list[int], list[dict[str, int]]]:
    """The Aho-Corasick automaton of all hint literals: (goto, fail, out bits, moves cache)."""
    goto: list[dict[str, int]] = [{}]
    out = [0]
    for name, pattern in _HINT_PATTERNS.items():
        for literal in _literals(pattern):
            state = 0
            for ch in literal:
                nxt = goto[state].get(ch)
                if nxt is None:
                    goto.append({})
                    out.append(0)
                    nxt = goto[state][ch] = len(goto) - 1
                state = nxt
            out[state] |= HINTS[name]
    fail = [0] * len(goto)
    queue = list(goto[0].values())
    for state in queue:  # breadth first: a node's failure link is known before its children's
        for ch, child in goto[state].items():
            back = fail[state]
            while back and ch not in goto[back]:
                back = fail[back]
            target = goto[back].get(ch, 0)
            fail[child] = target if target != child else 0
            out[child] |= out[fail[child]]
            queue.append(child)
    return goto, fail, out, [dict(g) for g in goto]


def _parse(html: str) -> etree._Element | None:
    """Parse HTML text with lxml; None when there is no element at all."""
    # Pages with inlined ads carry nested </body></html>; libxml2 stops at
    # them and loses the article (seen in big9), so end tags of the document
    # elements go: the parser closes everything at the end anyway.
    html = _DOC_END.sub("", _XML_DECL.sub("", html, count=1).replace("\x00", ""))
    # A <title> that is never closed swallows the whole page as title text
    # (crawl damage seen in l3s-gn1): drop the opening tag instead.
    title = _TITLE_OPEN.search(html, 0, _SNIFF_BYTES)
    if title and not _TITLE_CLOSE.search(html, title.end()):
        html = html[: title.start()] + html[title.end():]
    options = dict(remove_comments=True, remove_pis=True, no_network=True,
                   collect_ids=False, huge_tree=True, default_doctype=False)
    parser = etree.HTMLParser(**options)
    try:
        root = etree.fromstring(html, parser)
    except ValueError:
        # lxml refuses str input that still carries an encoding declaration
        # (a damaged <?xml ...> our regex did not match): parse UTF-8 bytes.
        parser = etree.HTMLParser(encoding="utf-8", **options)
        try:
            root = etree.fromstring(html.encode("utf-8", "surrogatepass"), parser)
        except (etree.XMLSyntaxError, ValueError):
            return None
    except etree.XMLSyntaxError:
        return None
    if any("Excessive depth" in e.message for e in parser.error_log):
        # libxml2 stops at depth ~2048 and silently drops the rest of the page.
        raise InputError("page is nested deeper than the parser's limit (about 2,048 "
                         "elements); refusing a partial result")
    return root


def _page_title(root: etree._Element) -> str | None:
    """Text of the <title> element, if any."""
    for el in root.iter("title"):
        title = _clean(el.text or "")
        return title or None
    return None


def from_html(html: str | bytes, *, url: str | None = None) -> Document:
    """Visible text blocks of an HTML page as Lines, in document order.

    Raises:
        TypeError: when ``html`` is neither str nor bytes.
        EncodingError: when bytes cannot be decoded.
    """
    text = _to_str(html, "html")
    root = _parse(text)
    if root is None:
        return Document(kind="html", lines=(), url=url)
    lines = _walk_fast(root)
    return Document(kind="html", lines=tuple(lines), title=_page_title(root), url=url)


def segment(data: str | bytes, *, kind: Kind = "auto", url: str | None = None) -> Document:
    """Dispatch to ``from_html`` or ``from_text``; ``auto`` sniffs the input.

    Raises:
        TypeError: for input that is neither str nor bytes.
        InputError: for an unknown ``kind``.
    """
    if kind == "auto":
        data = _to_str(data, "input")
        kind = detect_kind(data)
    if kind == "html":
        return from_html(data, url=url)
    if kind == "text":
        return from_text(data, url=url)
    raise InputError(f"unknown kind {kind!r}: expected auto, html or text")


#: Tag paths keep the innermost levels only: enough to tell repeated sibling
#: structures apart, and bounded on pages nested thousands of levels deep.
PATH_LEVELS = 8


#: How many block ancestors a Line remembers (for container text mass).
ANCESTOR_LEVELS = 4

_SEM_A_ONLY = SEM["a_only"]
_NO_ANCESTORS: tuple[int, ...] = ()


def _walk_fast(root: etree._Element) -> list[Line]:
    """``_walk(root)``, by the C walker when it is built and takes the tree.

    The C walker returns None on anything it does not handle (see the top of
    _cwalk.c); ``_walk`` then does the work. The tables and constants are
    passed at every call so that this module stays their one source.
    """
    if _cwalk is not None:
        lines = _cwalk.walk(
            root, Line, _hints, _HINT_CACHE, _HIDDEN_STYLE.search, _clean, _INVISIBLE,
            _BLOCK, _TAG_SEM, _HIDDEN_CLASS, _SEM_A_ONLY, PATH_LEVELS, ANCESTOR_LEVELS)
        if lines is not None:
            return lines
    return _walk(root)


def _walk(root: etree._Element) -> list[Line]:
    """One pass over the tree that emits a Line per run of visible text.

    A block element (``_BLOCK``), ``<br>`` and ``<hr>`` end the current line;
    a line belongs to the innermost open block. Invisible elements
    (``_INVISIBLE``, ``hidden``, ``aria-hidden``, ``display: none``, hidden
    classes) are skipped with their content, not their tail.

    Written as one loop over local variables: it runs once per element of
    every page, and method calls and attribute lookups were most of its cost.
    Open elements are tuples (tag, block, hints, own_hints, sem, path, uid,
    depth).
    """
    lines: list[Line] = []
    buf: list[str] = []
    link_chars = 0
    in_link = 0
    stack: list[tuple] = []
    blocks: list[tuple] = []
    block_uids: list[int] = []  # the uid of each open block, for Line.ancestors
    uid = 0
    skipped = False  # the last start event skipped its element's subtree
    invisible, block_tags, tag_sem = _INVISIBLE, _BLOCK, _TAG_SEM
    hints_of, hidden_class, hidden_style = _hints, _HIDDEN_CLASS, _HIDDEN_STYLE.search
    path_levels = PATH_LEVELS

    def flush() -> None:
        """Emit the buffered text as a Line owned by the innermost block."""
        nonlocal buf, link_chars
        text = "".join(buf)
        links = link_chars
        buf = []
        link_chars = 0
        # Most flushes hold only the whitespace between tags: isspace() is
        # true exactly when _clean would return "" through its \s rule.
        if text.isspace():
            return
        text = _clean(text)
        if not text:
            return
        owner = blocks[-1] if blocks else (stack[-1] if stack else None)
        if owner is None:
            lines.append(Line(text=text, index=len(lines)))
            return
        sem = owner[4]
        if links >= (len(text) - text.count(" ")) * 0.9:
            sem |= _SEM_A_ONLY
        if len(block_uids) > 1:
            ancestors = tuple(block_uids[-1 - ANCESTOR_LEVELS:-1][::-1])
        else:
            ancestors = _NO_ANCESTORS
        lines.append(Line(
            text=text, index=len(lines), tag=owner[0], path=owner[5], depth=owner[7],
            hints=owner[2], own_hints=owner[3], sem=sem, link_chars=min(links, len(text)),
            ancestors=ancestors,
        ))

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if event == "end":
            if tag.__class__ is str:
                if skipped:
                    skipped = False
                else:
                    frame = stack.pop()
                    if frame[0] == "a":
                        in_link -= 1
                    if frame[1]:
                        if buf:
                            flush()
                        blocks.pop()
                        block_uids.pop()
            tail = el.tail
            if tail:
                buf.append(tail)
                if in_link:
                    link_chars += len(tail.strip())
            continue
        if tag.__class__ is not str:  # a comment or processing instruction
            continue
        tag = tag.lower()
        attrib = el.attrib
        if tag in invisible:
            walker.skip_subtree()
            skipped = True
            continue
        if attrib:
            cls = attrib.get("class")
            if "hidden" in attrib or attrib.get("aria-hidden") == "true":
                walker.skip_subtree()
                skipped = True
                continue
            style = attrib.get("style")
            if style and hidden_style(style):
                walker.skip_subtree()
                skipped = True
                continue
            # The hints of "class id" are those of the class or of the id:
            # the space between them separates tokens.
            own = hints_of(cls) if cls else 0
            if own & hidden_class:
                walker.skip_subtree()
                skipped = True
                continue
            ident = attrib.get("id")
            if ident:
                own |= hints_of(ident)
        else:
            cls = None
            own = 0
        block = tag in block_tags
        if (block or tag == "br" or tag == "hr") and buf:
            flush()
        if tag == "a":
            in_link += 1
        uid += 1
        label = tag
        if cls:
            first = cls.split(None, 1)
            if first:
                label = f"{tag}.{first[0][:24]}"
        if stack:
            up = stack[-1]
            path = f"{up[5]}>{label}"
            if path.count(">") >= path_levels:
                path = path.split(">", 1)[1]
            frame = (tag, block, up[2] | own, own, up[4] | tag_sem.get(tag, 0), path, uid, up[7] + 1)
        else:
            frame = (tag, block, own, own, tag_sem.get(tag, 0), label, uid, 0)
        stack.append(frame)
        if block:
            blocks.append(frame)
            block_uids.append(uid)
        text = el.text
        if text:
            buf.append(text)
            if in_link:
                link_chars += len(text.strip())
    if buf:
        flush()
    return lines
