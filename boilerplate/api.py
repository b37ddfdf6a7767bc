"""The library entry points: orchestration only."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .decode import DEFAULT_MAX_BYTES, to_text
from .document import Document, Extraction, Line
from .engines import run_model, run_trafilatura
from .errors import InputError
from .model import load_model
from .options import Engine, Options
from .segment import from_html, from_text
from .sniff import Kind, page_kind

__all__ = ["declutter", "declutter_lines", "extract"]


def declutter(
    data: str | bytes,
    *,
    url: str | None = None,
    kind: Kind = "auto",
    engine: Engine | str = Engine.MODEL,
    threshold: float | None = None,
    model: str | Path | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    articles_only: bool = False,
) -> Extraction:
    """Return the article body of one page (HTML or flattened text).

    Args:
        data: the page, as str or bytes (bytes are decoded like a browser would).
        url: the page's URL, if known (kept in the result).
        kind: "html", "text", or "auto" to detect it.
        engine: "model" (default) or "trafilatura" (the baseline; HTML only).
        threshold: content probability from 0 to 1 needed to keep a line
            (model engine); defaults to the threshold stored with the model.
        model: path of a model file made by ``training.train``; default: shipped model.
        max_bytes: refuse larger inputs (None disables the guard).
        articles_only: give an empty body, with a warning, for a page that is
            not an article (``is_article`` False: a section front, a tag
            page, a shop, a forum); model engine only.

    Returns:
        An Extraction: ``text`` (one paragraph per line), every line's decision,
        and whether the page is an article (``is_article``, ``article_score``).

    Raises:
        TypeError: if ``data`` is neither str nor bytes.
        OptionError: for an unknown engine or kind, or a threshold or max_bytes out of range.
        InputError: for input that is empty, binary, JSON or a feed, too large
            or undecodable (all subclasses of InputError).
        ModelError: if the model file is missing, corrupt or incompatible (or,
            with articles_only, has no page-kind model).
        EngineError: if an engine fails.
    """
    options = Options.of(kind=kind, engine=engine, threshold=threshold, model=model,
                         max_bytes=max_bytes, articles_only=articles_only)
    return extract(data, options, url=url)


def extract(data: str | bytes, options: Options, *, url: str | None = None) -> Extraction:
    """``declutter`` with options already checked (batch workers call this for every page).

    Raises:
        TypeError, InputError, ModelError, EngineError: as ``declutter``.
    """
    text = to_text(data, max_bytes=options.max_bytes)
    kind = page_kind(text, options.kind)
    if options.engine is Engine.TRAFILATURA:
        if kind != "html":
            raise InputError("the trafilatura engine needs HTML input, not flattened text")
        return run_trafilatura(text, url=url)
    reader = from_html if kind == "html" else from_text
    doc = reader(text, url=url, max_bytes=None)
    return run_model(doc, load_model(options.model), threshold=options.threshold,
                     articles_only=options.articles_only)


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
