"""The library entry points: orchestration only."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from .decode import DEFAULT_MAX_BYTES, read
from .document import Document, Extraction, Line
from .engines import run_model, run_trafilatura
from .errors import InputError, InputTooLargeError
from .model import load_model
from .options import Engine, Options
from .segment import from_text, html_document
from .sniff import Kind, page_kind

__all__ = ["FILE_NAME_WARNING", "declutter", "declutter_lines", "extract"]

#: A str this short without a line break may be a file name the caller meant
#: to be read (PATH_MAX on Linux is 4,096 bytes); a page is rarely so short.
FILE_NAME_MAX_CHARS = 4096
#: The warning of a str input that names an existing file: it was read as the text it is.
FILE_NAME_WARNING = ("the input is the name of an existing file, read as text, not as the file: "
                     "pass pathlib.Path({name!r}) to read the file")


def declutter(
    data: str | bytes | os.PathLike[str],
    *,
    url: str | None = None,
    kind: Kind = "auto",
    engine: Engine | str = Engine.MODEL,
    threshold: float | None = None,
    model: str | Path | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> Extraction:
    """Return the article body of one page (HTML or flattened text).

    Args:
        data: the page, as str or bytes (bytes are decoded like a browser would),
            or a ``pathlib.Path`` of a file holding it. A str is always the page
            itself: one that names an existing file gets a warning in ``warnings``.
        url: the page's URL, if known (kept in the result).
        kind: "html", "text", or "auto" to detect it.
        engine: "model" (default) or "trafilatura" (the baseline; HTML only).
        threshold: content probability from 0 to 1 needed to keep a line
            (model engine); defaults to the threshold stored with the model.
        model: path of a model file made by ``training.train``; default: shipped model.
        max_bytes: refuse larger inputs (None disables the guard).

    Returns:
        An Extraction: ``text`` (one paragraph per line) and every line's decision.

    Raises:
        TypeError: if ``data`` is neither str, bytes nor a path.
        OptionError: for an unknown engine or kind, or a threshold or max_bytes out of range.
        InputError: for input that is empty, binary, JSON or a feed, too large
            or undecodable (all subclasses of InputError).
        OSError: if ``data`` is a path that cannot be read (FileNotFoundError...).
        ModelError: if the model file is missing, corrupt or incompatible.
        EngineError: if an engine fails.
    """
    options = Options.of(kind=kind, engine=engine, threshold=threshold, model=model,
                      max_bytes=max_bytes)
    if isinstance(data, os.PathLike):
        data = _read_file(data, options.max_bytes)
    return extract(data, options, url=url)


def _read_file(path: os.PathLike[str], max_bytes: int | None) -> bytes:
    """The bytes of a file, refused unread when it is over ``max_bytes``.

    Raises:
        InputTooLargeError: when the file is larger than ``max_bytes``.
        OSError: when it cannot be read.
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if max_bytes is not None and size > max_bytes:
            raise InputTooLargeError(
                f"input is {size:,} bytes, over the {max_bytes:,}-byte limit (max_bytes)")
        # Special files (FIFOs, /dev/stdin) report size 0: read() refuses what goes past the limit.
        return f.read(-1 if max_bytes is None else max_bytes + 1)


def extract(data: str | bytes, options: Options, *, url: str | None = None) -> Extraction:
    """``declutter`` with options already checked (batch workers call this for every page).

    Raises:
        TypeError, InputError, ModelError, EngineError: as ``declutter``.
    """
    page = read(data, max_bytes=options.max_bytes)
    kind = page_kind(page.text, options.kind)
    if options.engine is Engine.TRAFILATURA:
        if kind != "html":
            raise InputError("the trafilatura engine needs HTML input, not flattened text")
        result = run_trafilatura(page.text, url=url)
    else:
        doc = (html_document(page, url=url) if kind == "html"
               else from_text(page.text, url=url, max_bytes=None))
        result = run_model(doc, load_model(options.model), threshold=options.threshold)
    if _names_a_file(data):
        result = replace(result, warnings=(FILE_NAME_WARNING.format(name=data), *result.warnings))
    return result


def _names_a_file(data: str | bytes) -> bool:
    """True for a short one-line str that is the name of an existing file."""
    return (isinstance(data, str) and len(data) <= FILE_NAME_MAX_CHARS and "\n" not in data
            and os.path.isfile(data))


def declutter_lines(
    lines: Iterable[str],
    *,
    threshold: float | None = None,
    model: str | Path | None = None,
) -> Extraction:
    """Filter already-split lines of flattened text (one Line per item).

    Raises:
        TypeError: if ``lines`` is a single string or holds non-strings.
        OptionError: for a threshold out of range.
    """
    options = Options.of(kind="text", threshold=threshold, model=model)
    if isinstance(lines, str | bytes):
        raise TypeError("declutter_lines() takes an iterable of lines; use declutter() for one text")
    items = []
    for item in lines:
        if not isinstance(item, str):
            raise TypeError(f"lines must be str, not {type(item).__name__}")
        cleaned = " ".join(item.split())
        if cleaned:
            items.append(cleaned)
    doc = Document(kind="text", lines=tuple(Line(text=t, index=i) for i, t in enumerate(items)))
    return run_model(doc, load_model(options.model), threshold=options.threshold)
