"""WARC files as pages: every HTML response record, read in bounded memory, damage reported.

``WarcReader(file, max_bytes)`` yields a ``Response`` per HTML response
record (its body, or the error that kept it from one) and a ``Response``
with an error for every stretch of damage, in file order; it never raises
for what the file holds.

Why our own reader rather than warcio's ArchiveIterator: on a crawl's damage
warcio raised AttributeError for a record cut inside its headers, dropped a
record cut at the end of a file without a word, stopped at a damaged gzip
member (every later, intact record lost), read header lines and HTTP chunks
whole however long, and printed decompression errors itself while returning
a cut body. Framing a WARC is small (header lines, Content-Length, a gzip
member per record); owning it lets every limit below hold.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import BinaryIO

__all__ = ["MAX_HEADER_BYTES", "MAX_HEADER_LINE", "Response", "WarcReader"]

#: Longest header line read, WARC or HTTP (http.client's limit, _MAXLINE);
#: a record with a longer one is damaged.
MAX_HEADER_LINE = 65_536
#: All header lines of one record (WARC or HTTP) together: 16 times the
#: longest line, far above real crawls (a few kB).
MAX_HEADER_BYTES = 16 * MAX_HEADER_LINE
#: Raw bytes read from the file at a time, and decompressed bytes made at a
#: time (so a gzip bomb never inflates more than this beyond the limit).
READ_BYTES = 1 << 16
#: HTTP Content-Types of the response records that are pages.
HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml")
_GZIP_MEMBER = b"\x1f\x8b\x08"
_PROBE_BYTES = 512  # raw bytes a candidate gzip member must start a WARC record within


@dataclass(frozen=True, slots=True)
class Response:
    """An HTML response record's body, or an error: the record's, or a damaged stretch's (no id)."""

    record_id: str | None
    url: str | None = None
    body: bytes | None = None
    error: str | None = None


class _Damage(Exception):
    """The file stops making sense at ``offset`` (a raw byte offset)."""

    def __init__(self, offset: int, what: str) -> None:
        super().__init__(what)
        self.offset, self.what = offset, what


class _Source:
    """The file's WARC bytes (gunzipped member by member when compressed), read line by line."""

    def __init__(self, raw: BinaryIO, gz: bool) -> None:
        self.raw, self.gz = raw, gz
        self._restart(0)

    def _restart(self, offset: int) -> None:
        """Read on from raw byte ``offset`` (the start of a record, or of a gzip member)."""
        if offset:  # resync: the file must seek (a FIFO fails here, with OSError)
            self.raw.seek(offset)
        self.consumed = offset  # raw bytes taken from the file
        self.member = offset  # where the current gzip member (or record) starts
        self.buf, self.pos = bytearray(), 0
        self.tail = b""  # raw bytes not yet inflated
        self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if self.gz else None
        self.cut = False  # the file ended inside a gzip member

    def where(self) -> int:
        """The raw offset of what is read next (compressed: the start of its gzip member)."""
        return self.member if self.gz else self.consumed - (len(self.buf) - self.pos)

    def readline(self, limit: int) -> bytes:
        """The next line with its newline (at most ``limit`` bytes; b"" at the end)."""
        while True:
            end = self.buf.find(b"\n", self.pos, self.pos + limit)
            if end >= 0 or len(self.buf) - self.pos >= limit or not self._more():
                stop = end + 1 if end >= 0 else min(len(self.buf), self.pos + limit)
                line = bytes(self.buf[self.pos:stop])
                self.pos = stop
                return line

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes (fewer only at the end of the file)."""
        while len(self.buf) - self.pos < size and self._more():
            pass
        data = bytes(self.buf[self.pos:self.pos + size])
        self.pos += len(data)
        return data

    def _more(self) -> bool:
        """Append more bytes to the buffer; False at the end of the file."""
        if self.pos > READ_BYTES:  # drop what was read, so the buffer stays small
            del self.buf[:self.pos]
            self.pos = 0
        if self.inflater is None:
            data = self.raw.read(READ_BYTES)
            self.consumed += len(data)
            self.buf += data
            return bool(data)
        return self._inflate()

    def _inflate(self) -> bool:
        """Inflate more of the current gzip member (or start the next one)."""
        assert self.inflater is not None
        while True:
            if self.inflater.eof:  # the member ended: the next one starts right after it
                self.tail = self.inflater.unused_data
                self.member = self.consumed - len(self.tail)
                self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            if not self.tail:
                self.tail = self.raw.read(READ_BYTES)
                self.consumed += len(self.tail)
                if not self.tail:
                    self.cut = self.consumed > self.member
                    return False
            try:
                out = self.inflater.decompress(self.tail, READ_BYTES)
            except zlib.error as exc:
                raise _Damage(self.member, f"damaged gzip data ({exc})") from None
            self.tail = self.inflater.unconsumed_tail
            if out:
                self.buf += out
                return True

    def resync(self, after: int) -> int | None:
        """Move to the first record that starts after raw offset ``after``; its offset, or None."""
        found = self._find(after + 1)
        if found is not None:
            self._restart(found)
        return found

    def _find(self, offset: int) -> int | None:
        """The raw offset of the next plausible record start from ``offset`` on."""
        marker = _GZIP_MEMBER if self.gz else b"\nWARC/"
        keep = len(marker) - 1  # a marker may straddle two reads
        window, start = b"", offset  # window holds the file's bytes from ``start`` on
        while True:
            self.raw.seek(start + len(window))
            data = self.raw.read(READ_BYTES)
            if not data:
                return None
            window += data
            at = window.find(marker)
            while at >= 0:
                candidate = start + at + (0 if self.gz else 1)
                if self._starts_record(candidate):
                    return candidate
                at = window.find(marker, at + 1)
            start += len(window) - keep
            window = window[-keep:]

    def _starts_record(self, offset: int) -> bool:
        """True if a WARC record (in a gzip member, when compressed) starts at ``offset``."""
        self.raw.seek(offset)
        head = self.raw.read(_PROBE_BYTES)
        if self.gz:
            try:
                head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16)
            except zlib.error:
                return False
        return head.startswith(b"WARC/")


class _Block:
    """A record's block: the next ``length`` bytes of the source."""

    def __init__(self, source: _Source, length: int) -> None:
        self.source, self.left = source, length

    def readline(self, limit: int) -> bytes:
        line = self.source.readline(min(limit, self.left)) if self.left else b""
        self.left -= len(line)
        return line

    def read(self, size: int) -> bytes:
        data = self.source.read(min(size, self.left)) if self.left else b""
        self.left -= len(data)
        return data

    def drain(self) -> bool:
        """Skip the rest of the block; False if the file ends first."""
        while self.left:
            if not self.read(READ_BYTES):
                return False
        return True


class _BadRecord(Exception):
    """One record cannot be read (its framing still holds)."""


class _BadHeaders(Exception):
    """Header lines that cannot be read: too long, too many, or cut by the end of the data."""


def _headers(reader: _Source | _Block) -> dict[str, str]:
    """Header lines up to a blank line, as lower-cased names to values (the first of each name)."""
    headers: dict[str, str] = {}
    total, last = 0, ""
    while True:
        line = reader.readline(MAX_HEADER_LINE)
        total += len(line)
        if not line.endswith(b"\n") and len(line) < MAX_HEADER_LINE:
            raise _BadHeaders("cut short (the data ends inside them)")
        if not line.endswith(b"\n"):
            raise _BadHeaders(f"a line over {MAX_HEADER_LINE:,} bytes")
        if total > MAX_HEADER_BYTES:
            raise _BadHeaders(f"over {MAX_HEADER_BYTES:,} bytes in all")
        text = line.strip()
        if not text:
            return headers
        if line[:1] in (b" ", b"\t") and last:  # a folded line continues the one before
            headers[last] += " " + text.decode("utf-8", "replace")
            continue
        name, colon, value = text.partition(b":")
        if colon:
            last = name.strip().lower().decode("latin-1")
            headers.setdefault(last, value.strip().decode("utf-8", "replace"))


class WarcReader:
    """The pages of one WARC file, gzipped (``gz``: each record or the whole file) or not.

    After iteration, ``skipped`` counts the response records that are not
    HTML and ``records`` the WARC records read.
    """

    def __init__(self, raw: BinaryIO, max_bytes: int | None, *, gz: bool) -> None:
        self.source = _Source(raw, gz)
        self.max_bytes = max_bytes
        self.skipped = self.records = 0

    def __iter__(self) -> Iterator[Response]:
        while True:
            try:
                yield from self._records()
                return
            except _Damage as damage:
                resumed = self.source.resync(damage.offset)
                yield Response(None, error=_damage_message(damage, resumed, self.records))
                if resumed is None:
                    return

    def _records(self) -> Iterator[Response]:
        """Record after record until the end of the file; _Damage where the framing breaks."""
        while True:
            start = self.source.where()
            line = self.source.readline(MAX_HEADER_LINE)
            while line and not line.strip():  # blank lines between records
                start = self.source.where()
                line = self.source.readline(MAX_HEADER_LINE)
            if not line:
                if self.source.cut:
                    raise _Damage(self.source.member, "the file ends inside a gzip member")
                if not self.records:
                    raise _Damage(0, _NO_RECORDS)
                return
            if not line.startswith(b"WARC/"):
                raise _Damage(start, _NO_RECORD_HERE)
            try:
                headers = _headers(self.source)
            except _BadHeaders as exc:
                cut = "the file ends inside a gzip member, in" if self.source.cut else ""
                raise _Damage(start, f"{cut} record headers: {exc}".lstrip()) from None
            self.records += 1
            response = self._record(start, headers)
            if response is not None:
                yield response
            if response is not None and response.error == TRUNCATED:
                return  # the file ends inside the record: nothing follows

    def _record(self, start: int, headers: dict[str, str]) -> Response | None:
        """One record's page, error or None (not a page); its block is read to the end."""
        length = headers.get("content-length", "")
        if not length.isdigit():
            raise _Damage(start, "a record without a valid Content-Length")
        block = _Block(self.source, int(length))
        record_id = headers.get("warc-record-id", "").strip("<>")
        url = headers.get("warc-target-uri")
        response = None
        if headers.get("warc-type") == "response":
            response = self._response(record_id, url, block)
        if not block.drain():
            return Response(record_id, url, error=TRUNCATED)
        return response

    def _response(self, record_id: str, url: str | None, block: _Block) -> Response | None:
        """A response record's page (None when it is not an HTML page)."""
        if not block.left or not (url or "").lower().startswith(("http:", "https:")):
            self.skipped += 1  # dns:, whois: and empty responses hold no HTTP page
            return None
        try:
            if not block.readline(MAX_HEADER_LINE).startswith(b"HTTP/"):
                raise _BadRecord("the record holds no HTTP response (no status line)")
            try:
                http = _headers(block)
            except _BadHeaders as exc:
                raise _BadRecord(f"the record's HTTP headers: {exc}") from None
            content_type = http.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in HTML_CONTENT_TYPES:
                self.skipped += 1
                return None
            return Response(record_id, url, body=_body(block, http, self.max_bytes))
        except _BadRecord as exc:
            return Response(record_id, url, error=str(exc))


#: The error of a record the file ends inside.
TRUNCATED = "truncated WARC record"
_NO_RECORDS = "no WARC records"
_NO_RECORD_HERE = "no WARC record starts there"


def _damage_message(damage: _Damage, resumed: int | None, records: int) -> str:
    """One line on a damaged stretch: where, what, and where reading went on."""
    if damage.what == _NO_RECORDS:
        return _NO_RECORDS
    if damage.what == _NO_RECORD_HERE and not records and resumed is None and damage.offset == 0:
        return "not a WARC file"
    then = (f"; read on from the next record, at byte {resumed:,}" if resumed is not None
            else "; no record after it")
    return f"damaged WARC data at byte {damage.offset:,}: {damage.what}{then}"


def _body(block: _Block, http: dict[str, str], limit: int | None) -> bytes:
    """The HTTP body: de-chunked, decompressed, at most ``limit`` bytes (else _BadRecord)."""
    chunked = http.get("transfer-encoding", "").split(",")[-1].strip().lower() == "chunked"
    pieces = _dechunk(block) if chunked else _pieces(block)
    encoding = http.get("content-encoding", "").strip().lower()
    if encoding in _INFLATERS:
        pieces = _inflate(pieces, encoding)
    body = bytearray()
    for piece in pieces:
        body += piece
        if limit is not None and len(body) > limit:
            raise _BadRecord(f"the record's body is over the {limit:,}-byte limit (max_bytes)")
    return bytes(body)


def _pieces(block: _Block) -> Iterator[bytes]:
    """The rest of a block, a piece at a time."""
    while piece := block.read(READ_BYTES):
        yield piece


#: The longest chunk-size line read (warcio's limit, 64 bytes, plus CRLF).
_CHUNK_LINE = 66


def _dechunk(block: _Block) -> Iterator[bytes]:
    """A chunked body's data; the rest as it is from the first line that is no chunk size.

    Servers do send plain bodies labelled chunked: like warcio, read them as
    they are rather than lose the page.
    """
    while True:
        line = block.readline(_CHUNK_LINE)
        try:
            size = int(line[:-2].split(b";")[0], 16) if line.endswith(b"\r\n") else -1
        except ValueError:
            size = -1
        if size < 0:
            yield line
            yield from _pieces(block)
            return
        if size == 0:
            return  # trailers, if any, are not the page
        while size:
            piece = block.read(min(size, READ_BYTES))
            if not piece:
                return
            size -= len(piece)
            yield piece
        block.read(2)  # the CRLF after the chunk


#: zlib window bits per Content-Encoding (deflate is tried as zlib, then raw).
_INFLATERS = {"gzip": (16 + zlib.MAX_WBITS,), "x-gzip": (16 + zlib.MAX_WBITS,),
              "deflate": (zlib.MAX_WBITS, -zlib.MAX_WBITS)}


def _inflate(pieces: Iterator[bytes], encoding: str) -> Iterator[bytes]:
    """A compressed body, inflated a bounded piece at a time.

    When the first piece does not inflate, the body was never compressed
    (servers mislabel): it is passed as it is, as warcio does. Damage after
    that, or a body that ends early, is an error: a page is never cut silently.
    """
    first = next(pieces, b"")
    inflater = _opening(first, _INFLATERS[encoding])
    if inflater is None:
        yield first
        yield from pieces
        return
    for data in chain([first], pieces):
        while data:
            try:
                out = inflater.decompress(data, READ_BYTES)
            except zlib.error:
                raise _BadRecord(f"the record's body is damaged ({encoding} data)") from None
            yield out
            data = inflater.unconsumed_tail
            if inflater.eof:
                return
    if not inflater.eof and first:
        raise _BadRecord(f"the record's body is cut short ({encoding} data ends early)")


def _opening(first: bytes, wbits: tuple[int, ...]) -> zlib._Decompress | None:
    """A fresh inflater for the first of ``wbits`` that reads the first piece, or None."""
    for bits in wbits:
        try:
            zlib.decompressobj(bits).decompress(first[:READ_BYTES], 1)
        except zlib.error:
            continue
        return zlib.decompressobj(bits)
    return None
