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
import stat
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .decode import DEFAULT_MAX_BYTES, scalar_text
from .records import error_message
from .warc import WarcReader

__all__ = ["INPUT_SUFFIXES", "STDIN", "Page", "as_page", "read_inputs", "shown", "would_read"]

#: Files a folder contributes (matched case-insensitively); a file named
#: explicitly or matched by a glob is read whatever its name.
PAGE_SUFFIXES = (".html", ".htm", ".xhtml", ".txt")
WARC_SUFFIXES = (".warc", ".warc.gz")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
INPUT_SUFFIXES = PAGE_SUFFIXES + WARC_SUFFIXES + JSONL_SUFFIXES
#: How much longer than ``max_bytes`` a JSON Lines record may be: JSON's
#: escapes lengthen a page (json.dumps writes "é" as 6 bytes, 3 times its 2 in
#: UTF-8), and its other fields (url, site) need room too. A longer line is
#: refused before it is parsed, so memory stays bounded by ``max_bytes``.
JSON_ESCAPING = 3
JSON_FIELD_BYTES = 1 << 16
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

    What a folder or glob finds is read only if it is a regular file (a named
    pipe would block the batch); a glob reads each file once; damage in a WARC
    file is an error Page and the records after it are still read
    (``warc.py``); a JSON Lines line over ``JSON_ESCAPING`` x max_bytes +
    ``JSON_FIELD_BYTES`` is an error Page, never parsed. Names that are not
    UTF-8 show their other bytes as ``\\xNN`` (``shown``).

    Args:
        inputs: the inputs, as given on the command line.
        max_bytes: pages larger than this become errors without being read whole.
        exclude: a file that folders and globs never read (the output file).
        on_note: called with (source, message) for WARC records skipped
            because they are not HTML responses.
    """
    skip = _file_id(exclude) if exclude is not None else None
    for arg in inputs:
        if arg == STDIN:
            yield _read_stdin(max_bytes)
        elif os.path.lexists(arg):
            yield from _read_path(Path(arg), max_bytes, set() if skip is None else {skip}, on_note)
        elif _GLOB_CHARS & set(arg):
            yield from _read_glob(arg, max_bytes, skip, on_note)
        else:
            yield Page(shown(arg), error="no such file")


def shown(path: str | os.PathLike[str]) -> str:
    """A path as text that any output can hold: bytes that are not UTF-8 become ``\\xNN``.

    (Python keeps such bytes of a file name as lone surrogates, which no UTF-8
    output can write; GNU ls shows them escaped too.)
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def would_read(inputs: Iterable[str], path: str | os.PathLike[str]) -> bool:
    """True if ``path`` is an existing file that a folder or glob among ``inputs`` reads.

    Conservative (a folder counts when ``path`` lies inside it, whatever the
    symbolic links), so an output file named this way is never overwritten.
    """
    target = _file_id(path)
    if target is None:
        return False
    for arg in inputs:
        if arg == STDIN:
            continue
        globbed = not os.path.lexists(arg)
        if globbed and not _GLOB_CHARS & set(arg):
            continue  # a missing file: it reads nothing
        for match in glob.iglob(arg, recursive=True) if globbed else [arg]:
            if os.path.isdir(match) and _inside(path, match):
                return True
            if globbed and _file_id(match) == target:  # a file given by name is checked by the CLI
                return True
    return False


def _inside(path: str | os.PathLike[str], folder: str) -> bool:
    """True if ``path`` is an input file of ``folder`` by the folder rules (see _walk)."""
    try:
        relative = Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
    except ValueError:
        return False
    hidden = any(part.startswith(".") for part in relative.parts)
    return not hidden and relative.name.lower().endswith(INPUT_SUFFIXES)


def _file_id(path: str | os.PathLike[str], *, follow: bool = True) -> tuple[int, int] | None:
    """The (device, inode) of a file, None if it cannot be reached (missing, symbolic-link loop).

    With ``follow=False``, of a symbolic link itself (one that loops or dangles).
    """
    try:
        info = os.stat(path, follow_symlinks=follow)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def _read_stdin(max_bytes: int | None) -> Page:
    """Standard input, read no further than one byte past ``max_bytes``."""
    data = sys.stdin.buffer.read(-1 if max_bytes is None else max_bytes + 1)
    if max_bytes is not None and len(data) > max_bytes:
        return Page("<stdin>", error=f"input is over the {max_bytes:,}-byte limit (max_bytes)")
    return Page("<stdin>", data=data)


def _read_glob(pattern: str, max_bytes: int | None, skip: tuple[int, int] | None,
               on_note: Callable[[str, str], None] | None) -> Iterator[Page]:
    """The pages of every match of a glob; each file once, though ``**`` meets it again.

    (glob's ``**`` matches folders as well as the files in them, and follows
    symbolic links to folders, round a loop until the system says too many levels.)
    """
    try:
        matches = sorted(glob.glob(pattern, recursive=True))
    except OSError as exc:  # a folder the pattern walks through vanished or loops
        yield Page(shown(pattern), error=error_message(exc))
        return
    seen: set[tuple[int, int]] = set() if skip is None else {skip}
    if not any(_first_time(m, set(seen)) for m in matches):
        yield Page(shown(pattern), error="no files match this pattern")
    for match in matches:
        if not _first_time(match, seen):
            continue
        if os.path.isdir(match):
            yield from _read_path(Path(match), max_bytes, seen, on_note)
        else:
            yield from _read_file(Path(match), max_bytes, on_note, regular_only=True)


def _first_time(path: str | os.PathLike[str], seen: set[tuple[int, int]]) -> bool:
    """False if the file (or the symbolic link, when it loops or dangles) is in ``seen``; adds it."""
    identity = _file_id(path) or _file_id(path, follow=False)
    if identity is None:
        return True
    if identity in seen:
        return False
    seen.add(identity)
    return True


def _read_path(path: Path, max_bytes: int | None, seen: set[tuple[int, int]],
               on_note: Callable[[str, str], None] | None) -> Iterator[Page]:
    """A file's pages, or those of every input file in a folder not ``seen`` yet."""
    if not path.is_dir():
        yield from _read_file(path, max_bytes, on_note, regular_only=False)
        return
    found = False
    for file in _walk(path):
        if isinstance(file, Page):
            yield file
            continue
        found = True
        if _first_time(file, seen):
            yield from _read_file(file, max_bytes, on_note, regular_only=True)
    if not found:
        yield Page(shown(path), error="folder has no input files (" +
                   ", ".join(f"*{s}" for s in INPUT_SUFFIXES) + ")")


def _walk(folder: Path) -> Iterator[Path | Page]:
    """Input files under a folder, sorted, depth first; hidden entries skipped.

    A subfolder that cannot be listed is a Page with its error (os.walk would
    pass over it in silence).
    """
    failed: list[OSError] = []
    for root, dirs, files in os.walk(folder, onerror=failed.append):
        while failed:
            error = failed.pop(0)
            yield Page(shown(error.filename or root), error=f"unreadable folder: {error_message(error)}")
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(INPUT_SUFFIXES):
                yield Path(root, name)
    for error in failed:
        yield Page(shown(error.filename or folder), error=f"unreadable folder: {error_message(error)}")


def _read_file(path: Path, max_bytes: int | None, on_note: Callable[[str, str], None] | None,
               *, regular_only: bool) -> Iterator[Page]:
    """One file: a page, or the pages of a WARC or JSON Lines file.

    With ``regular_only`` (files a folder or glob found), a FIFO, device or
    socket is skipped with an error instead of opened: opening a FIFO waits
    for a writer, forever.
    """
    name = shown(path)
    try:
        f = _open(path, regular_only)
    except OSError as exc:
        yield Page(name, error=error_message(exc))
        return
    with f:
        lower = path.name.lower()
        if lower.endswith(WARC_SUFFIXES):
            yield from _read_warc(f, name, max_bytes, on_note)
        elif lower.endswith(JSONL_SUFFIXES):
            yield from _read_jsonl(f, name, max_bytes)
        else:
            yield _read_page(f, name, max_bytes, site=os.path.join(shown(path.parent), ""))


def _open(path: Path, regular_only: bool) -> BinaryIO:
    """The file open for reading; with ``regular_only``, OSError for anything but a regular file."""
    if path.is_dir():
        raise IsADirectoryError(21, "is a directory")
    if not regular_only:
        return open(path, "rb")
    # O_NONBLOCK: open() of a FIFO returns at once instead of waiting for a writer.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file (a named pipe, device or socket): skipped")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_page(f: BinaryIO, name: str, max_bytes: int | None, *, site: str) -> Page:
    """A page file's bytes, checked against ``max_bytes`` before reading it."""
    try:
        size = os.fstat(f.fileno()).st_size
        if max_bytes is not None and size > max_bytes:
            return Page(name, error=f"input is {size:,} bytes, over the "
                                    f"{max_bytes:,}-byte limit (max_bytes)")
        # Special files (/dev/zero, FIFOs) report size 0: read at most the limit.
        data = f.read(-1 if max_bytes is None else max_bytes + 1)
    except OSError as exc:
        return Page(name, error=error_message(exc))
    if max_bytes is not None and len(data) > max_bytes:
        return Page(name, error=f"input is over the {max_bytes:,}-byte limit (max_bytes)")
    return Page(name, data=data, site=site)


def _read_jsonl(f: BinaryIO, name: str, max_bytes: int | None) -> Iterator[Page]:
    """One page per record of a JSON Lines file (gzipped when it starts like gzip).

    A line longer than the record limit is skipped unparsed with an error.
    """
    limit = None if max_bytes is None else JSON_ESCAPING * max_bytes + JSON_FIELD_BYTES
    lineno = 0
    try:
        with _maybe_gunzip(f) as rows:
            while row := rows.readline(-1 if limit is None else limit + 1):
                lineno += 1
                if limit is not None and len(row.rstrip(b"\r\n")) > limit:
                    _skip_line(rows, row)
                    yield Page(f"{name}:{lineno}", error=f"the record is over the {limit:,}-byte "
                               f"limit of a JSON Lines record ({JSON_ESCAPING} x max_bytes + "
                               f"{JSON_FIELD_BYTES:,})")
                elif row.strip():
                    yield _jsonl_page(f"{name}:{lineno}", row, name)
    except (OSError, EOFError, zlib.error) as exc:
        yield Page(name, error=f"unreadable after line {lineno}: {error_message(exc)}")


def _maybe_gunzip(f: BinaryIO) -> BinaryIO:
    """The file, gunzipped when it starts with gzip's magic bytes."""
    gzipped = _peek(f, 2) == b"\x1f\x8b"
    return gzip.GzipFile(fileobj=f, mode="rb") if gzipped else f  # type: ignore[return-value]


def _peek(f: BinaryIO, size: int) -> bytes:
    """The first bytes of a file, still to be read (a FIFO cannot seek back)."""
    peek = getattr(f, "peek", None)
    if peek is not None:
        return bytes(peek(size)[:size])
    head = f.read(size)
    f.seek(0)
    return head


def _skip_line(rows: BinaryIO, row: bytes) -> None:
    """Read on to the end of an over-long line, a bounded piece at a time."""
    while row and not row.endswith(b"\n"):
        row = rows.readline(JSON_FIELD_BYTES)


def _jsonl_page(source: str, row: bytes, file: str) -> Page:
    """The page of one JSON Lines record (its fallback site: its ``site`` field, else the file)."""
    try:
        record = json.loads(row)
    except RecursionError:
        return Page(source, error="not a JSON record: nested too deeply")
    except ValueError as exc:
        return Page(source, error=f"not a JSON record: {error_message(exc)}")
    if not isinstance(record, dict):
        return Page(source, error="not a JSON object")
    data = record["html"] if record.get("html") is not None else record.get("text")
    url = _text_field(record, "url")
    if not isinstance(data, str):
        return Page(source, url=url, error="the record has no html or text field (a string)")
    site = _text_field(record, "site") or file
    return Page(source, data=data, url=url, site=site)


def _text_field(record: dict[str, Any], key: str) -> str | None:
    """A string field of a JSON record, else None; lone surrogates (JSON allows "\\ud800") replaced."""
    value = record.get(key)
    return scalar_text(value) if isinstance(value, str) else None


def _read_warc(f: BinaryIO, name: str, max_bytes: int | None,
               on_note: Callable[[str, str], None] | None) -> Iterator[Page]:
    """One page per HTML response record of a WARC file (gzipped or not), an error per damage."""
    reader = WarcReader(f, max_bytes, gz=_peek(f, 2) == b"\x1f\x8b")
    try:
        for found in reader:
            source = name if found.record_id is None else f"{name}#{found.record_id}"
            yield Page(source, data=found.body, url=found.url, error=found.error, site=name)
    except OSError as exc:
        yield Page(name, error=f"unreadable WARC: {error_message(exc)}")
    if reader.skipped and on_note is not None:
        are = "is" if reader.skipped == 1 else "are"
        on_note(name, f"skipped {reader.skipped} response record{'s' * (reader.skipped != 1)} "
                      f"that {are} not HTML")
