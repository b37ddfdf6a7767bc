"""Batch records: one per input page, holding the page's Extraction or the error that kept it from one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .document import Extraction, LineResult
from .errors import BoilerplateError

__all__ = ["PageRecord", "error_message", "line_dict"]


@dataclass(frozen=True, slots=True)
class PageRecord:
    """The outcome for one page: its ``extraction``, or an ``error`` saying why there is none.

    Read access mirrors Extraction (``text``, ``title``, ``date``, ``author``, ``site_name``, ``engine``,
    ``model_version``, ``kind``, ``warnings``, ``is_article``, ``article_score``), empty or None
    for a failed page.
    A batch run without lines (``declutter_many(lines=False)``) keeps records
    small: their extraction has no lines and ``lines_kept`` is False.
    """

    source: str
    url: str | None = None
    extraction: Extraction | None = None
    error: str | None = None
    #: The site the page was compared with (only with site memory).
    site: str | None = None
    #: False when the extraction's lines were left out (``lines`` is then None).
    lines_kept: bool = True

    def __post_init__(self) -> None:
        if (self.extraction is None) == (self.error is None):
            raise ValueError("a PageRecord holds an extraction or an error, not both or neither")

    @classmethod
    def of(cls, source: str, extraction: Extraction, *, lines: bool) -> PageRecord:
        """The record of a page declutter succeeded on; without its lines unless ``lines``."""
        if not lines:  # the lines are most of a record's bytes, pickled from worker to parent
            extraction = replace(extraction, lines=())
        return cls(source=source, url=extraction.url, extraction=extraction, lines_kept=lines)

    @classmethod
    def failed(cls, source: str, url: str | None, error: str) -> PageRecord:
        """The record of a page that could not be read or decluttered."""
        return cls(source=source, url=url, error=error)

    @property
    def status(self) -> str:
        """'failed' (error), 'empty' (no article text) or 'ok'."""
        if self.error is not None:
            return "failed"
        return "ok" if self.text else "empty"

    @property
    def text(self) -> str:
        """The article body ("" for a failed page)."""
        return self.extraction.text if self.extraction is not None else ""

    @property
    def title(self) -> str | None:
        """The headline, when found."""
        return self.extraction.title if self.extraction is not None else None

    @property
    def date(self) -> str | None:
        """The publication date, when found (YYYY-MM-DD, else the date line as written)."""
        return self.extraction.date if self.extraction is not None else None

    @property
    def author(self) -> str | None:
        """The author, when the page names one."""
        return self.extraction.author if self.extraction is not None else None

    @property
    def site_name(self) -> str | None:
        """The site's name, when the page's metadata states it."""
        return self.extraction.site_name if self.extraction is not None else None

    @property
    def engine(self) -> str | None:
        """The engine that made the extraction."""
        return self.extraction.engine if self.extraction is not None else None

    @property
    def model_version(self) -> str | None:
        """The model's version (model engine)."""
        return self.extraction.model_version if self.extraction is not None else None

    @property
    def kind(self) -> str | None:
        """The page kind it was read as: "html" or "text"."""
        return self.extraction.kind if self.extraction is not None else None

    @property
    def warnings(self) -> tuple[str, ...]:
        """Why a valid page gave no article text."""
        return self.extraction.warnings if self.extraction is not None else ()

    @property
    def is_article(self) -> bool | None:
        """Whether the page is an article (None for a failed page)."""
        return self.extraction.is_article if self.extraction is not None else None

    @property
    def article_score(self) -> float | None:
        """The page-kind model's probability that the page is an article (None when not assessed)."""
        return self.extraction.article_score if self.extraction is not None else None

    @property
    def lines(self) -> tuple[LineResult, ...] | None:
        """Every line's decision, when the batch kept them; else None."""
        if self.extraction is None or not self.lines_kept:
            return None
        return self.extraction.lines

    def to_dict(self) -> dict[str, Any]:
        """The JSON record: the page's fields (site and lines when set), or source, url and error."""
        if self.extraction is None:
            return {"source": self.source, "url": self.url, "error": self.error}
        found = self.extraction
        record: dict[str, Any] = {
            "source": self.source, "url": self.url, "text": found.text, "title": found.title,
            "date": found.date, "author": found.author, "site_name": found.site_name,
            "engine": found.engine, "model_version": found.model_version,
            "kind": found.kind, "is_article": found.is_article, "article_score": found.article_score,
        }
        if self.site is not None:
            record["site"] = self.site
        if self.lines is not None:
            record["lines"] = [line_dict(line) for line in self.lines]
        return record


def line_dict(line: LineResult) -> dict[str, Any]:
    """One line as the label schema of our fixtures: text, label, score, reason."""
    return {"text": line.text, "label": line.label.value, "score": line.score, "reason": line.reason}


def error_message(exc: BaseException) -> str:
    """An exception as one line of text (OSErrors without the errno noise)."""
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror.lower()
    else:
        text = str(exc) or exc.__class__.__name__
        if not isinstance(exc, BoilerplateError | OSError | ValueError | TypeError):
            text = f"internal error: {exc.__class__.__name__}: {text}"
    return " ".join(text.split())
