"""Batch inputs as Pages: files, folders, globs, standard input, WARC and JSON Lines, read lazily.

``read_inputs`` turns command-line style inputs into a stream of Pages;
``as_page`` turns the page forms ``declutter_many`` accepts (str, bytes,
``(data, url)`` pairs, mappings) into Pages. A page that cannot be read is a
Page with an ``error``: readers never raise for one input.
"""

from __future__ import annotations

import glob
import gzip
import json
import os
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]
from warcio.exceptions import ArchiveLoadFailed  # type: ignore[import-untyped]

from .decode import DEFAULT_MAX_BYTES
from .records import error_message

__all__ = ["INPUT_SUFFIXES", "STDIN", "Page", "as_page", "read_inputs"]

#: Files a folder contributes (matched case-insensitively); a file named
#: explicitly or matched by a glob is read whatever its name.
PAGE_SUFFIXES = (".html", ".htm", ".xhtml", ".txt")
WARC_SUFFIXES = (".warc", ".warc.gz")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
INPUT_SUFFIXES = PAGE_SUFFIXES + WARC_SUFFIXES + JSONL_SUFFIXES
#: HTTP Content-Types of the WARC response records that are pages.
HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml")
STDIN = "-"
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class Page:
    """One input page (its data and URL), or the error that kept it from being read.

    ``site`` is the page's site for site memory when it has no URL (read_inputs:
    the folder of a page file, the WARC or JSON Lines file of a record).
    """

    source: str
    data: str | bytes | None = None
    url: str | None = None
    error: str | None = None
    site: str | None = None


def as_page(index: int, item: Any) -> Page:
    """Any page form ``declutter_many`` accepts as a Page; a malformed one becomes a Page with an error."""
    source = f"<page {index}>"
    if isinstance(item, Page):
        return item
    if isinstance(item, str | bytes | bytearray):
        return Page(source, data=bytes(item) if isinstance(item, bytearray) else item)
    if isinstance(item, tuple) and len(item) == 2:
        data, url = item
        return as_page(index, {"html": data, "url": url})
    if isinstance(item, Mapping):
        source = str(item.get("source") or source)
        data = item["html"] if item.get("html") is not None else item.get("text")
        url = item.get("url") if isinstance(item.get("url"), str) else None
        site = item.get("site") if isinstance(item.get("site"), str) else None
        if not isinstance(data, str | bytes):
            return Page(source, url=url, error="the page has no html or text (str or bytes)",
                        site=site)
        return Page(source, data=data, url=url, site=site)
    return Page(source, error="a page is str, bytes, a (data, url) pair or a mapping, "
                              f"not {type(item).__name__}")


def read_inputs(
    inputs: Iterable[str],
    *,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    exclude: str | Path | None = None,
    on_note: Callable[[str, str], None] | None = None,
) -> Iterator[Page]:
    """Pages from command-line inputs, lazily, in order; unreadable ones carry an error.

    Each input is ``-`` (standard input), a file, a folder (recursive: its
    files named *.html, *.htm, *.xhtml, *.txt, *.warc, *.warc.gz, *.jsonl,
    *.jsonl.gz; hidden files and folders skipped; sorted by name), or a glob
    (``*``, ``?``, ``[...]``, ``**``) when no file has that name. WARC files
    give one page per response record with an HTML Content-Type (source
    ``FILE#record-id``); JSON Lines files one page per record with an
    ``html`` (or ``text``) field and optional ``url`` and ``site`` (source
    ``FILE:LINENO``). Each page's fallback site for site memory (used when it
    has no URL) is the folder of its file (``dir/``), or the WARC or JSON
    Lines file it came from (a JSON record's own ``site`` first).

    Args:
        inputs: the inputs, as given on the command line.
        max_bytes: pages larger than this become errors without being read whole.
        exclude: a file that folders and globs never read (the output file).
        on_note: called with (source, message) for WARC records skipped
            because they are not HTML responses.
    """
    skip = Path(exclude).resolve() if exclude is not None else None
    for arg in inputs:
        if arg == STDIN:
            yield _read_stdin(max_bytes)
        elif os.path.lexists(arg):
            yield from _read_path(Path(arg), max_bytes, skip, on_note)
        elif _GLOB_CHARS & set(arg):
            yield from _read_glob(arg, max_bytes, skip, on_note)
        else:
            yield Page(arg, error="no such file")


def _read_stdin(max_bytes: int | None) -> Page:
    """Standard input, read no further than one byte past ``max_bytes``."""
    data = sys.stdin.buffer.read(-1 if max_bytes is None else max_bytes + 1)
    if max_bytes is not None and len(data) > max_bytes:
        return Page("<stdin>", error=f"input is over the {max_bytes:,}-byte limit (max_bytes)")
    return Page("<stdin>", data=data)


def _read_glob(pattern: str, max_bytes: int | None, skip: Path | None,
               on_note: Callable[[str, str], None] | None) -> Iterator[Page]:
    matches = [m for m in sorted(glob.glob(pattern, recursive=True))
               if skip is None or Path(m).resolve() != skip]
    if not matches:
        yield Page(pattern, error="no files match this pattern")
    for match in matches:
        yield from _read_path(Path(match), max_bytes, skip, on_note)


def _read_path(path: Path, max_bytes: int | None, skip: Path | None,
               on_note: Callable[[str, str], None] | None) -> Iterator[Page]:
    """A file's pages, or those of every input file in a folder."""
    if not path.is_dir():
        yield from _read_file(path, max_bytes, on_note)
        return
    found = False
    for file in _walk(path):
        if skip is not None and file.resolve() == skip:
            continue
        found = True
        yield from _read_file(file, max_bytes, on_note)
    if not found:
        yield Page(str(path), error="folder has no input files (" +
                   ", ".join(f"*{s}" for s in INPUT_SUFFIXES) + ")")


def _walk(folder: Path) -> Iterator[Path]:
    """Input files under a folder, sorted, depth first; hidden entries skipped."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(INPUT_SUFFIXES):
                yield Path(root, name)


def _read_file(path: Path, max_bytes: int | None,
               on_note: Callable[[str, str], None] | None) -> Iterator[Page]:
    """One file: a page, or the pages of a WARC or JSON Lines file."""
    name = path.name.lower()
    if name.endswith(WARC_SUFFIXES):
        yield from _read_warc(path, max_bytes, on_note)
    elif name.endswith(JSONL_SUFFIXES):
        yield from _read_jsonl(path)
    else:
        yield _read_page(path, max_bytes)


def _read_page(path: Path, max_bytes: int | None) -> Page:
    """A page file's bytes, checked against ``max_bytes`` before reading it."""
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "is a directory")
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            return Page(str(path), error=f"input is {size:,} bytes, over the "
                                         f"{max_bytes:,}-byte limit (max_bytes)")
        # Special files (/dev/zero, FIFOs) report size 0: read at most the limit.
        with open(path, "rb") as f:
            data = f.read(-1 if max_bytes is None else max_bytes + 1)
        if max_bytes is not None and len(data) > max_bytes:
            return Page(str(path), error=f"input is over the {max_bytes:,}-byte limit (max_bytes)")
        return Page(str(path), data=data, site=os.path.join(str(path.parent), ""))
    except OSError as exc:
        return Page(str(path), error=error_message(exc))


def _read_jsonl(path: Path) -> Iterator[Page]:
    """One page per record of a JSON Lines file (gzipped when named *.gz)."""
    lineno = 0
    try:
        with (gzip.open if path.name.lower().endswith(".gz") else open)(path, "rb") as f:
            for lineno, row in enumerate(f, 1):
                if row.strip():
                    yield _jsonl_page(f"{path}:{lineno}", row, str(path))
    except (OSError, EOFError, zlib.error) as exc:
        yield Page(str(path), error=f"unreadable after line {lineno}: {error_message(exc)}")


def _jsonl_page(source: str, row: bytes, file: str) -> Page:
    """The page of one JSON Lines record (its fallback site: its ``site`` field, else the file)."""
    try:
        record = json.loads(row)
    except ValueError as exc:
        return Page(source, error=f"not a JSON record: {error_message(exc)}")
    if not isinstance(record, dict):
        return Page(source, error="not a JSON object")
    data = record["html"] if record.get("html") is not None else record.get("text")
    url = record.get("url") if isinstance(record.get("url"), str) else None
    if not isinstance(data, str):
        return Page(source, url=url, error="the record has no html or text field (a string)")
    site = record.get("site") if isinstance(record.get("site"), str) and record["site"] else file
    return Page(source, data=data, url=url, site=site)


def _read_warc(path: Path, max_bytes: int | None,
               on_note: Callable[[str, str], None] | None) -> Iterator[Page]:
    """One page per HTML response record of a WARC file (gzipped or not)."""
    skipped = records = 0
    try:
        with open(path, "rb") as f:
            archive = _QuietArchiveIterator(f)
            for records, record in enumerate(archive, 1):
                if record.format != "warc":
                    raise ArchiveLoadFailed("not a WARC file")
                if record.rec_headers.get_header("Content-Length") is None:  # mandatory
                    raise ArchiveLoadFailed(f"record {records} has no Content-Length (damaged?)")
                if record.rec_type != "response":
                    continue  # warcinfo, request, metadata, revisit: not pages
                if not _is_html(record.http_headers):
                    skipped += 1
                    continue
                yield _warc_page(path, record, max_bytes)
        if archive.err_count:
            raise ArchiveLoadFailed(f"{archive.err_count} records are longer or shorter than "
                                    "their Content-Length (their pages may be cut or merged)")
        if not records:
            raise ArchiveLoadFailed("no WARC records")
    except (OSError, EOFError, zlib.error, ArchiveLoadFailed, ValueError) as exc:
        yield Page(str(path), error=f"unreadable WARC: {error_message(exc)}")
    if skipped and on_note is not None:
        on_note(str(path), f"skipped {skipped} response record{'s' * (skipped != 1)} "
                           "that are not HTML")


class _QuietArchiveIterator(ArchiveIterator):  # type: ignore[misc]  # warcio is untyped
    """warcio's reader, minus the warning it prints itself for a damaged record.

    It still counts them in ``err_count``; _read_warc reports that as one error.
    """

    INC_RECORD = ""


def _is_html(http_headers: Any) -> bool:
    if http_headers is None:
        return False
    content_type = http_headers.get_header("Content-Type") or ""
    return content_type.split(";")[0].strip().lower() in HTML_CONTENT_TYPES


def _warc_page(path: Path, record: Any, max_bytes: int | None) -> Page:
    """The page of one WARC response record: its HTTP body, de-chunked and decompressed."""
    record_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<>")
    source = f"{path}#{record_id}"
    url = record.rec_headers.get_header("WARC-Target-URI")
    body = record.content_stream().read(-1 if max_bytes is None else max_bytes + 1)
    if max_bytes is not None and len(body) > max_bytes:
        return Page(source, url=url, error=f"the record's body is over the {max_bytes:,}-byte "
                                           "limit (max_bytes)")
    record.raw_stream.read()  # what the decoders left (chunked trailer...)
    if getattr(record.raw_stream, "limit", 0) > 0:  # warcio reads a cut gzip member silently
        return Page(source, url=url, error="truncated WARC record")
    return Page(source, data=body, url=url, site=str(path))
