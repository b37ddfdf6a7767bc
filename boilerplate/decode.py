"""Bytes -> text: the one decoding path of every input (``declutter``, ``from_html``, batch).

``to_text`` type-checks and size-checks the input, gunzips compressed pages
(bounded by ``max_bytes``), refuses known binary formats and decodes bytes the
way a browser would: BOM, then strict UTF-8, then the declared charset, then
charset-normalizer's guess.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from .errors import EmptyInputError, EncodingError, InputError, InputTooLargeError

__all__ = ["DEFAULT_MAX_BYTES", "SNIFF_BYTES", "Decoded", "decode", "read", "scalar_text", "to_text",
           "unwrap"]

#: Inputs larger than this are refused (50 MB: ten times the largest page in
#: ../shared/data, and still processed in a few seconds).
DEFAULT_MAX_BYTES = 50_000_000

#: How far into a page we look for a <meta charset> (browsers use 1024 bytes;
#: real pages put scripts first, so we look further).
SNIFF_BYTES = 8192

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)

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
        EncodingError: for images, PDFs, archives and other binary files (no
            text in any encoding, like the binary data ``decode`` refuses).
        InputError: for damaged gzip data.
        InputTooLargeError: when a compressed page inflates beyond ``max_bytes``.
    """
    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(data, max_bytes)
    if data[4:8] == b"ftyp" or (data.startswith(b"RIFF") and data[8:12] in (b"WEBP", b"WAVE", b"AVI ")):
        raise EncodingError("binary data (a media file), not a page")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise EncodingError(f"binary data ({what}), not a page")
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
    controls = sum(sample.count(bytes([b])) for b in (*range(9), 11, 12, *range(14, 32)))
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
    return _decode(data).text


def _decode(data: bytes) -> Decoded:
    """``decode``, keeping the bytes when they are the text's UTF-8 (with or without a BOM)."""
    if not data.strip():
        raise EmptyInputError("empty input")
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return Decoded(data.decode(codec, errors="replace"))
    utf16 = _looks_utf16(data)
    if utf16:
        return Decoded(data.decode(utf16, errors="replace"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _is_binary(data):
            raise EncodingError("binary data (control characters), not a page")
        return Decoded(text, data)
    if _is_binary(data):
        raise EncodingError("binary data (control characters), not a page")
    declared = _declared_charset(data[:SNIFF_BYTES])
    mostly_utf8 = _mostly_utf8(data)
    if mostly_utf8 is not None and (declared is None or declared.startswith("utf-8")):
        return Decoded(mostly_utf8)
    if declared and not declared.startswith(("utf-8", "utf-16", "utf-32")):
        try:
            text = data.decode(declared)
        except (UnicodeError, LookupError):
            pass
        else:
            if not _single_byte(declared) or not _garbled(text):
                return Decoded(text)
    return Decoded(_guess_decode(data))


def _guess_decode(data: bytes) -> str:
    """Decode with charset-normalizer's best guess (imported lazily: it is slow)."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None:
        # No plausible text encoding: still decodable as UTF-8 with
        # replacements, but the caller should know it is probably binary.
        raise EncodingError("input is not text in any known encoding (binary data?)")
    return data.decode(best.encoding, errors="replace")



@dataclass(frozen=True, slots=True)
class Decoded:
    """An input as text, and the same text as UTF-8 when it was at hand (the parser reads that)."""

    text: str
    #: ``text`` encoded as UTF-8, when decoding had it anyway (the input's own
    #: bytes, or the encoding that checked a str): parsing then needs no encode.
    utf8: bytes | None = None


def to_text(data: str | bytes, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> str:
    """Type-check, size-check and decode one input: str passes, bytes are unwrapped and decoded.

    Raises:
        as ``read``.
    """
    return read(data, max_bytes=max_bytes).text


def read(data: str | bytes, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> Decoded:
    """``to_text`` keeping the text's UTF-8 bytes when they were at hand.

    Raises:
        TypeError: if ``data`` is neither str nor bytes (bytearray and memoryview count as bytes).
        InputTooLargeError: over ``max_bytes`` (None: no limit), also once gunzipped.
        InputError: for damaged gzip data.
        EncodingError: for known binary formats (images, PDFs, archives) and bytes
            that are no text in any plausible encoding.
    """
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, str | bytes):
        raise TypeError(f"expected str or bytes, not {type(data).__name__}")
    if max_bytes is not None:
        size = _size(data, max_bytes)
        if size > max_bytes:
            raise InputTooLargeError(
                f"input is {size:,} bytes, over the {max_bytes:,}-byte limit (max_bytes)")
    return _decode(unwrap(data, max_bytes=max_bytes)) if isinstance(data, bytes) else _scalar(data)


def scalar_text(text: str) -> str:
    """The text with its lone surrogates replaced by U+FFFD (a pair of them joined into its character).

    A Python str can hold surrogate code points (json.loads of "\\ud800", file
    names, surrogateescape), which no UTF-8 output or parser takes. Browsers
    do this to such strings (WHATWG's conversion to a scalar value string;
    TextEncoder), and it is what ``decode`` does to invalid bytes: the page
    goes on with a U+FFFD where the broken character was.
    """
    return _scalar(text).text


def _scalar(text: str) -> Decoded:
    """``scalar_text``, keeping the UTF-8 bytes its check made."""
    if text.isascii():
        return Decoded(text)
    try:
        utf8 = text.encode("utf-8")  # fails only on a surrogate; 2.7x faster than a regex search
    except UnicodeEncodeError:
        return Decoded(text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace"))
    return Decoded(text, utf8)


def _size(data: str | bytes, max_bytes: int) -> int:
    """Size in bytes (UTF-8 for str; only encoded when it could matter)."""
    if isinstance(data, bytes) or len(data) > max_bytes or len(data) * 4 <= max_bytes:
        return len(data)
    return len(data.encode("utf-8", "surrogatepass"))
