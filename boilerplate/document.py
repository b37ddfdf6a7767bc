"""Frozen dataclasses passed between the stages of the pipeline."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = ["Document", "Extraction", "Label", "Line", "LineResult", "PageMeta"]


class Label(str, enum.Enum):
    """The two classes a line can have."""

    CONTENT = "content"
    BOILERPLATE = "boilerplate"


@dataclass(frozen=True, slots=True)
class Line:
    """One block of visible text with its markup context.

    In text mode only ``text`` and ``index`` carry information; the markup
    fields keep their defaults (documented in ``features.py``).
    """

    text: str
    index: int = 0
    tag: str = ""
    path: str = ""
    depth: int = 0
    hints: int = 0
    own_hints: int = 0
    sem: int = 0
    link_chars: int = 0
    ancestors: tuple[int, ...] = ()


#: A title longer than this is cut in an Extraction's repr (a headline is rarely longer).
REPR_TITLE_CHARS = 80


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What a page's own metadata (JSON-LD, Open Graph, <meta>) says of its article."""

    headline: str | None = None
    date: str | None = None  # YYYY-MM-DD
    author: str | None = None
    site_name: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A page cut into lines, in document order, with its <title> and metadata.

    ``hints`` are what the page's markup says of its kind, read before the
    walk drops the head (``pagekind.page_hints``: "og:article", "ld:newsarticle"...);
    ``meta`` what its metadata says of its article (``metadata.read_meta``);
    both empty for flattened text.
    """

    kind: str
    lines: tuple[Line, ...]
    title: str | None = None
    url: str | None = None
    hints: frozenset[str] = frozenset()
    meta: PageMeta = PageMeta()


@dataclass(frozen=True, slots=True)
class LineResult:
    """The decision for one line: its text, label, content probability and why.

    ``cues`` are the codes of what decided it (``reasons.Cue`` values, stable
    for programs); ``reason`` is the same said in words (for people).
    """

    text: str
    label: Label
    score: float
    reason: str = ""
    cues: tuple[str, ...] = ()

    @property
    def is_content(self) -> bool:
        """True when the line is article body."""
        return self.label is Label.CONTENT


@dataclass(frozen=True, slots=True, repr=False)
class Extraction:
    """What ``declutter`` returns: the article body plus every line's decision.

    ``article_score`` is the page-kind model's probability that the page is
    an article (0 to 1; None when it was not assessed: the trafilatura engine,
    or a model trained without a page-kind model); ``is_article`` is whether
    it reaches that model's threshold (True when not assessed).
    ``title`` is the headline; ``date`` the publication date, YYYY-MM-DD from the
    page's metadata, else the page's date line as it is written; ``author`` and
    ``site_name`` as the page's metadata states them (None when it does not).
    """

    text: str
    lines: tuple[LineResult, ...]
    engine: str
    model_version: str | None = None
    kind: str = "html"
    title: str | None = None
    date: str | None = None
    url: str | None = None
    warnings: tuple[str, ...] = field(default=())
    is_article: bool = True
    article_score: float | None = None
    author: str | None = None
    site_name: str | None = None

    def __repr__(self) -> str:
        """A summary, not the page: title, size of the text, lines and how many were kept."""
        kept = sum(1 for line in self.lines if line.label is Label.CONTENT)
        title = self.title if self.title is None or len(self.title) <= REPR_TITLE_CHARS else (
            self.title[:REPR_TITLE_CHARS - 1] + "\u2026")
        return (f"Extraction(title={title!r}, text={len(self.text)} chars, "
                f"lines={len(self.lines)} ({kept} kept), engine={self.engine!r}, "
                f"date={self.date!r}, warnings={len(self.warnings)})")

    @property
    def paragraphs(self) -> list[str]:
        """The article body as a list of paragraphs."""
        return [line for line in self.text.split("\n") if line]
