"""The library entry points: orchestration only."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .document import Document, Extraction, Line
from .engines import Engine, run_model, run_trafilatura
from .errors import InputError
from .model import load_model
from .decode import DEFAULT_MAX_BYTES, to_text
from .segment import from_html, from_text
from .sniff import Kind, check_page, detect_kind

__all__ = ["declutter", "declutter_lines"]


def declutter(
    data: str | bytes,
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
        data: the page, as str or bytes (bytes are decoded like a browser would).
        url: the page's URL, if known (kept in the result).
        kind: "html", "text", or "auto" to detect it.
        engine: "model" (default) or "trafilatura" (the baseline; HTML only).
        threshold: content probability needed to keep a line (model engine);
            defaults to the threshold stored with the model.
        model: path of a model file made by ``training.train``; default: shipped model.
        max_bytes: refuse larger inputs (None disables the guard).

    Returns:
        An Extraction: ``text`` (one paragraph per line) and every line's decision.

    Raises:
        TypeError: if ``data`` is neither str nor bytes.
        InputError: for input that is empty, binary, JSON or a feed, too large,
            undecodable, or of an unknown kind (all subclasses of InputError).
        ModelError: if the model file is missing, corrupt or incompatible.
        EngineError: if an engine fails.
    """
    if not isinstance(data, str | bytes | bytearray | memoryview):
        raise TypeError(f"declutter() takes str or bytes, not {type(data).__name__}")
    text = to_text(data, max_bytes=max_bytes)
    check_page(text, kind)
    kind = detect_kind(text) if kind == "auto" else kind
    engine = _engine(engine)
    if engine is Engine.TRAFILATURA:
        if kind != "html":
            raise InputError("the trafilatura engine needs HTML input, not flattened text")
        return run_trafilatura(text, url=url)
    doc = _document(text, kind, url)
    return run_model(doc, load_model(model), threshold=threshold)


def declutter_lines(
    lines: Iterable[str],
    *,
    threshold: float | None = None,
    model: str | Path | None = None,
) -> Extraction:
    """Filter already-split lines of flattened text (one Line per item).

    Raises:
        TypeError: if ``lines`` is a single string or holds non-strings.
    """
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
    return run_model(doc, load_model(model), threshold=threshold)


def _engine(engine: Engine | str) -> Engine:
    try:
        return Engine(engine)
    except ValueError:
        names = ", ".join(e.value for e in Engine)
        raise InputError(f"unknown engine {engine!r}: expected one of {names}") from None


def _document(text: str, kind: str, url: str | None) -> Document:
    if kind == "html":
        return from_html(text, url=url, max_bytes=None)
    if kind == "text":
        return from_text(text, url=url, max_bytes=None)
    raise InputError(f"unknown kind {kind!r}: expected auto, html or text")
