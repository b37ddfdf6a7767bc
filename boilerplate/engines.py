"""The engines: our line classifier ("model") and the trafilatura baseline.

This is the only module that imports trafilatura. There is no silent fallback
from one engine to the other: a failing engine raises EngineError.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import metadata, reasons
from .classify import decide
from .document import Document, Extraction, Label, LineResult, PageMeta
from .errors import EngineError, InputError, ModelError
from .features import FEATURE_NAMES, featurize, line_groups
from .model import RETRAIN_COMMAND, Model
from .options import Engine
from .pagekind import article_score
from .reasons import Cue
from .walk import SEM, clean, page_title, parse

__all__ = ["TRAFILATURA_OPTIONS", "Engine", "run_model", "run_trafilatura"]


#: The fixed option set of the baseline: plain text of the main content,
#: tables kept, comments and metadata off, trafilatura's default balance
#: between precision and recall (evaluate.py also runs favor_precision=True).
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "output_format": "txt",
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "with_metadata": False,
    "favor_precision": False,
    "favor_recall": False,
    "deduplicate": False,
}


def run_model(doc: Document, model: Model, *, threshold: float | None = None,
              articles_only: bool = False) -> Extraction:
    """Classify every line of a Document with the trained model, and the page as an article or not.

    With ``articles_only``, a page that is not an article keeps no line.

    Raises:
        ModelError: with ``articles_only``, for a model without a page-kind model.
    """
    groups = line_groups(doc)
    X = featurize(doc, groups)
    proba = model.content_proba(X, groups)
    decision = decide(proba, X, doc, threshold=model.threshold if threshold is None else threshold)
    scored = article_score(model, doc, X, proba, groups)
    if scored is None and articles_only:
        raise ModelError(f"model {model.version} has no page-kind model, which articles_only needs; "
                         f"retrain with `{RETRAIN_COMMAND}`")
    is_article = scored is None or scored[1]
    texts = [line.text for line in doc.lines]
    scores = [round(p, 4) for p in proba.tolist()]
    # Positional, through map: keyword calls in a generator cost half as much again.
    results = tuple(map(LineResult, texts, decision.labels, scores, decision.reasons, decision.cues))
    meta = doc.meta
    date = metadata.date_of(meta.date, _date(doc, results))
    if articles_only and not is_article and scored is not None:
        results = _not_article(texts, scores, scored[0])
    body = "\n".join(r.text for r in results if r.label is Label.CONTENT)
    return Extraction(
        text=body, lines=results, engine=Engine.MODEL.value, model_version=model.version,
        kind=doc.kind, title=metadata.headline(meta, doc.title, *_headlines(doc, decision.labels)),
        date=date, url=doc.url,
        warnings=_warnings(doc, body, None if is_article or scored is None else scored[0]),
        author=meta.author or _byline(doc, X, decision.labels), site_name=meta.site_name,
        is_article=is_article, article_score=None if scored is None else round(scored[0], 4),
    )


_NOT_ARTICLE = (Cue.NOT_ARTICLE,)


def _not_article(texts: list[str], scores: list[float], score: float) -> tuple[LineResult, ...]:
    """Every line dropped: the page is not an article (``articles_only``)."""
    return tuple(LineResult(text, Label.BOILERPLATE, p, reasons.not_article(score, p), _NOT_ARTICLE)
                 for text, p in zip(texts, scores))


def _warnings(doc: Document, body: str, not_article: float | None) -> tuple[str, ...]:
    """Why a result is empty, when it is (``not_article``: the article score of a page that is not one)."""
    if body:
        return ()
    if not doc.lines:
        return ("the page has no visible text",)
    if not_article is not None:
        return (f"not an article (article score {not_article:.2f})",)
    return ("no article text found",)


def _headlines(doc: Document, labels: tuple[Label, ...]) -> tuple[list[str], str | None]:
    """Lines that may show the headline (the lines just before the first kept line, nearest
    first, the <h1>s, the other headings), and the <h1> nearest the story."""
    start = next((i for i, label in enumerate(labels) if label is Label.CONTENT), len(labels))
    near = [line.text for line in reversed(doc.lines[max(0, start - HEADLINE_LOOKBACK):start])]
    h1 = [line for line in doc.lines if line.sem & _H1]
    headings = [line.text for line in doc.lines if line.tag in _HEADING_TAGS]
    before = [line.text for line in h1 if line.index <= start]
    nearest = before[-1] if before else h1[0].text if h1 else None
    return [*near, *(line.text for line in h1), *headings], nearest


#: How many lines before the story may hold its headline (a date or byline often sits between).
HEADLINE_LOOKBACK = 4
_H1 = SEM["h1"]
_HEADING_TAGS = frozenset({"h1", "h2", "h3"})


def _byline(doc: Document, X: np.ndarray, labels: tuple[Label, ...]) -> str | None:
    """The names of the first byline line ("By Ann Lee") near the start of the story."""
    start = next((i for i, label in enumerate(labels) if label is Label.CONTENT), 0)
    lines = range(max(0, start - HEADLINE_LOOKBACK), min(len(labels), start + BYLINE_LOOKAHEAD))
    for i in lines:
        if X[i, _BYLINE_COLUMN] > 0:
            found = metadata.byline_author(doc.lines[i].text)
            if found:
                return found
    return None


#: How far into the story a byline may sit (after a lede or a photo).
BYLINE_LOOKAHEAD = 8
_BYLINE_COLUMN = FEATURE_NAMES.index("byline")


#: A date line inside these is someone else's (an embedded tweet's "— Name (@name) May 1").
_QUOTED = SEM["blockquote"] | SEM["figure"] | SEM["aside"]


def _date(doc: Document, results: tuple[LineResult, ...]) -> str | None:
    """The first line dropped as a date/time line that is not a quote's attribution."""
    for line, r in zip(doc.lines, results):
        if Cue.DATE in r.cues and not line.sem & _QUOTED and "@" not in r.text:
            return r.text
    return None


_TRAFILATURA = (Cue.TRAFILATURA,)


def run_trafilatura(html: str, *, url: str | None = None, **overrides: Any) -> Extraction:
    """Extract with trafilatura using TRAFILATURA_OPTIONS (plus explicit overrides).

    Raises:
        EngineError: if trafilatura is missing or fails on the page.
    """
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise EngineError(f"the trafilatura engine needs trafilatura installed: {exc}") from None
    if not isinstance(html, str):
        raise InputError("the trafilatura engine needs decoded HTML text")
    options = {**TRAFILATURA_OPTIONS, **overrides}
    try:
        text = trafilatura.extract(html, url=url, **options) or ""
    except Exception as exc:  # trafilatura raises many kinds on odd pages
        raise EngineError(f"trafilatura failed: {exc.__class__.__name__}: {exc}") from None
    texts = [t for t in (s.strip() for s in text.splitlines()) if t]
    meta, title = _page_metadata(html, texts[:1])
    if texts and title and metadata.same_text(texts[0], title):
        texts = texts[1:]  # the headline is the title, not the first line of the body
    lines = tuple(LineResult(text=t, label=Label.CONTENT, score=1.0,
                             reason=reasons.describe(_TRAFILATURA, 1.0), cues=_TRAFILATURA)
                  for t in texts)
    return Extraction(
        text="\n".join(texts), lines=lines, engine=Engine.TRAFILATURA.value, kind="html",
        url=url, warnings=() if lines else ("no article text found",), title=title,
        date=meta.date, author=meta.author, site_name=meta.site_name,
    )


def _page_metadata(html: str, first: list[str]) -> tuple[PageMeta, str | None]:
    """The page's metadata and headline for the trafilatura engine, from a parse of our own
    (its headline candidates: the body's first line, then the page's <h1>s)."""
    try:
        root = parse(html)
    except InputError:  # a page the walk refuses still has trafilatura's body
        root = None
    if root is None:
        return PageMeta(), None
    meta = metadata.read_meta(root, html)
    h1 = [clean("".join(el.itertext())) for el in root.iter("h1")]
    return meta, metadata.headline(meta, page_title(root), [*first, *h1], h1[0] if h1 else None)
