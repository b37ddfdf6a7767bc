"""The engines: our line classifier ("model") and the trafilatura baseline.

This is the only module that imports trafilatura. There is no silent fallback
from one engine to the other: a failing engine raises EngineError.
"""

from __future__ import annotations

from typing import Any

from . import reasons
from .classify import decide
from .document import Document, Extraction, Label, LineResult
from .errors import EngineError, InputError, ModelError
from .features import featurize, line_groups
from .model import RETRAIN_COMMAND, Model
from .options import Engine
from .pagekind import article_score
from .reasons import Cue
from .walk import SEM

__all__ = ["Engine", "TRAFILATURA_OPTIONS", "run_model", "run_trafilatura"]


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
    date = _date(results)
    if articles_only and not is_article and scored is not None:
        results = _not_article(texts, scores, scored[0])
    body = "\n".join(r.text for r in results if r.label is Label.CONTENT)
    return Extraction(
        text=body, lines=results, engine=Engine.MODEL.value, model_version=model.version,
        kind=doc.kind, title=_headline(doc), date=date, url=doc.url,
        warnings=_warnings(doc, body, None if is_article or scored is None else scored[0]),
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


def _headline(doc: Document) -> str | None:
    """The first <h1> line, else the page <title>."""
    for line in doc.lines:
        if line.sem & SEM["h1"]:
            return line.text
    return doc.title


def _date(results: tuple[LineResult, ...]) -> str | None:
    """The first line dropped as a date/time line."""
    for r in results:
        if Cue.DATE in r.cues:
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
    lines = tuple(
        LineResult(text=t, label=Label.CONTENT, score=1.0, reason=reasons.describe(_TRAFILATURA, 1.0),
                   cues=_TRAFILATURA)
        for t in (s.strip() for s in text.splitlines()) if t
    )
    return Extraction(
        text="\n".join(r.text for r in lines), lines=lines, engine=Engine.TRAFILATURA.value,
        kind="html", url=url, warnings=() if lines else ("no article text found",),
    )
