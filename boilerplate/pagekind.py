"""Page kind: is the page an article at all, or a section front, a tag page, a shop, a forum?

A small page-level model over what the line model already computed (its
probabilities, the line features, the repeated structures), what the markup
says of the page (``page_hints``: og:type, schema.org types) and the shape of
its URL. Its trees are exported like the line model's (``trees.py``), in
``NAME.pagekind.npz`` beside the line model ``NAME.joblib``, with the metadata
in ``NAME.pagekind.json``: checked (format, sha256 of the trees, the line
model it was trained over) before anything is used, so running declutter
never imports scikit-learn. ``training/pagekind.py`` trains it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from .document import Document
from .errors import ModelError
from .features import FEATURE_NAMES
from .model import RETRAIN_COMMAND, Model, file_stamp, sha256_of
from .structure import STRUCTURE_NAMES
from .trees import FORMAT as TREES_FORMAT
from .trees import Forest, read_forests, write_forests

__all__ = [
    "PAGE_FEATURE_NAMES",
    "PageKindModel",
    "article_score",
    "document_features",
    "load_page_kind",
    "page_features",
    "page_hints",
    "page_kind_paths",
    "save_page_kind",
]

#: Markup read for hints: JSON-LD scripts (at most this many, and this many characters of each).
_MAX_LD_SCRIPTS = 4
_LD_CHARS = 20_000
_LD_TYPE = re.compile(r'"@type"\s*:\s*\[?\s*"(?:https?://schema\.org/)?([A-Za-z]{1,40})"')


def page_hints(root: Any) -> frozenset[str]:
    """What a parsed page's markup says of its kind (lxml root): "og:" + its og:type, "ld:" +
    each schema.org type of its JSON-LD, "published_time" for an article:published_time
    meta tag (all lower case). The walk skips these elements: they are read here, once.
    """
    hints: set[str] = set()
    scripts = 0
    for element in root.iter("meta", "script"):
        if element.tag == "meta":
            name = element.get("property") or element.get("name")
            if name == "og:type":
                hints.add("og:" + (element.get("content") or "").strip().lower()[:40])
            elif name == "article:published_time":
                hints.add("published_time")
        elif scripts < _MAX_LD_SCRIPTS and element.get("type") == "application/ld+json" and element.text:
            scripts += 1
            hints.update("ld:" + found.lower() for found in _LD_TYPE.findall(element.text, 0, _LD_CHARS))
    return frozenset(hints)


#: A line counts as kept for the page's view of its story from this probability (the shipped line threshold).
KEPT_PROBABILITY = 0.3
#: Repeated structures of at least this many records are lists (teasers, comments).
_LIST_RECORDS = np.log1p(3)
#: ...with a link line (teasers) or a date line (comments, posts) in this share of records.
_LIST_SHARE = 0.5
_F = {name: i for i, name in enumerate(FEATURE_NAMES)}
_S = {name: i for i, name in enumerate(STRUCTURE_NAMES)}
#: The repeated-structure columns of the line features (structure.py; 0 in text mode).
_STRUCTURE = [_F[name] for name in STRUCTURE_NAMES]
_LIST_LEVELS = ("1", "2", "3", "_page")
#: Record-count and share columns of the structure matrix, for teaser lists and comment threads.
_TEASER = ([_S[f"rep{k}_records"] for k in _LIST_LEVELS], [_S[f"rep{k}_link"] for k in _LIST_LEVELS])
_COMMENT = ([_S[f"rep{k}_records"] for k in _LIST_LEVELS], [_S[f"rep{k}_date"] for k in _LIST_LEVELS])
#: Line flags summed by _content, in this order (the link flag is set from link_density).
_FLAG_COLUMNS = [_F[name] for name in ("sem_heading", "sem_li", "date", "sem_article", "ends_sentence",
                                        "link_density")]
_HEADING, _LI, _DATE, _ARTICLE, _ENDS, _LINKED = range(6)
#: schema.org types that say "an article" (lower case), and the kinds that say otherwise.
_LD_KINDS = {
    "article": ("article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
                "opinionnewsarticle", "liveblogposting", "backgroundnewsarticle", "report",
                "reviewnewsarticle", "techarticle", "scholarlyarticle"),
    "news": ("newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
             "liveblogposting", "backgroundnewsarticle", "reviewnewsarticle"),
    "collection": ("collectionpage", "itemlist", "searchresultspage"),
    "product": ("product", "offer", "aggregateoffer", "productgroup"),
    "forum": ("discussionforumposting", "qapage", "question"),
}
_LD_HINTS = {kind: frozenset("ld:" + t for t in types) for kind, types in _LD_KINDS.items()}
_URL_LIST_WORDS = re.compile(
    r"(?:^|/)(?:tags?|category|categories|topics?|sections?|search|authors?|archives?|page|index|"
    r"latest|list|collections?|shop|products?|forums?|threads?|community|help|support|about|contact|"
    r"pricing|services?|features?)(?:/|$|\.)", re.I)
_URL_DATE = re.compile(r"/(?:19|20)\d\d[/-](?:0?[1-9]|1[0-2])(?:[/-]|$)")
_URL_ID = re.compile(r"\d{5,}")
_URL_EXT = re.compile(r"\.(?:s?html?|php|aspx?|cms)$")

_CONTENT_NAMES = (
    "p_max", "p_mean", "kept_share", "kept_chars", "kept_lines", "run_chars", "run_share",
    "link_page", "link_kept", "lines", "chars", "kept_sentence_end", "kept_mean_chars", "li_share",
    "headings", "heading_links", "date_lines", "article_tag", "mode_text", "longest_kept",
    "kept_concentration", "teaser_share", "teaser_kept", "comment_share", "comment_kept",
)
_TITLE_NAMES = ("h1_chars", "h1_in_title", "title_chars", "h1_count")
_HINT_NAMES = ("og_article", "og_website", "og_product", "og_missing", "published_time",
               *(f"ld_{kind}" for kind in _LD_KINDS))
_URL_NAMES = ("url_depth", "url_last_chars", "url_last_hyphens", "url_date", "url_id", "url_query",
              "url_list_word", "url_home", "url_longest")
PAGE_FEATURE_NAMES: tuple[str, ...] = _CONTENT_NAMES + _TITLE_NAMES + _HINT_NAMES + _URL_NAMES


def page_features(texts: Sequence[str], X: np.ndarray, proba: np.ndarray, groups: np.ndarray,
                  structure: np.ndarray, *, title: str | None, url: str | None,
                  hints: frozenset[str], links: np.ndarray) -> np.ndarray:
    """The PAGE_FEATURE_NAMES row of one page (float64; NaN for the URL's when there is none).

    ``X``, ``groups`` and ``proba`` are the line model's features, line
    groups and content probabilities, ``structure`` the page's
    ``structure.structure_columns`` and ``links`` each line's link characters.
    """
    chars = np.fromiter(map(len, texts), dtype=np.float64, count=len(texts))
    row = [*_content(X, proba, groups, structure, chars, links), *_titles(texts, X, title),
           *_hint_values(hints), *_url_values(url)]
    return np.array(row, dtype=np.float64)


def _content(X: np.ndarray, proba: np.ndarray, groups: np.ndarray, structure: np.ndarray,
             chars: np.ndarray, links: np.ndarray) -> list[float]:
    """What the line model made of the page: how much it keeps, how concentrated, of what kind.

    The per-line flags go into one matrix, summed in one product (a page
    feature costs a few microseconds: 25 small numpy calls each would cost more).
    """
    n = len(chars)
    if n == 0:
        return [0.0] * len(_CONTENT_NAMES)
    kept = proba >= KEPT_PROBABILITY
    own = np.maximum(chars - links, 0.0)
    kept_chars = chars * kept
    flags = X[:, _FLAG_COLUMNS] > 0
    flags[:, _LINKED] = X[:, _F["link_density"]] > 0.5
    heading = flags[:, _HEADING]
    lines = np.column_stack([kept, flags, heading & flags[:, _LINKED], kept & flags[:, _ENDS],
                             _in_lists(structure, _TEASER), _in_lists(structure, _COMMENT)])
    count, char, kept_char, own_char, link = (
        np.column_stack([np.ones(n), chars, kept_chars, own, links]).T @ lines)
    total, kept_total = max(float(chars.sum()), 1.0), float(kept_chars.sum())
    kept_lines, denominator = int(count[0]), max(kept_total, 1.0)
    own_total = max(float(own.sum()), 1.0)
    run = _densest_run(chars * (proba - 0.5), kept_chars)
    return [
        float(proba.max()), float(proba @ chars) / total, kept_total / total, np.log1p(kept_total),
        np.log1p(kept_lines), np.log1p(run), run / denominator, float(links.sum()) / total,
        float(link[0]) / denominator, np.log1p(n), np.log1p(total), count[-3] / max(kept_lines, 1),
        np.log1p(kept_total / max(kept_lines, 1)), char[1 + _LI] / total, np.log1p(count[1 + _HEADING]),
        count[-4] / max(count[1 + _HEADING], 1.0), np.log1p(count[1 + _DATE]), count[1 + _ARTICLE] / n,
        float(X[0, _F["mode_text"]]), np.log1p(float(kept_chars.max())),
        _concentration(groups, kept_chars) / denominator,
        own_char[-2] / own_total, kept_char[-2] / denominator, own_char[-1] / own_total,
        kept_char[-1] / denominator,
    ]


def _densest_run(values: np.ndarray, kept_chars: np.ndarray) -> float:
    """The kept characters of the contiguous run of lines with the largest sum of ``values``."""
    prefix = np.concatenate(([0.0], values.cumsum()))
    lowest = np.minimum.accumulate(prefix[:-1])
    end = int((prefix[1:] - lowest).argmax())
    start = end - int((prefix[end::-1] == lowest[end]).argmax())
    return float(kept_chars[start:end + 1].sum())


def _in_lists(structure: np.ndarray, columns: tuple[list[int], list[int]]) -> np.ndarray:
    """Lines in a repeated structure (at any record level) whose records mostly hold a link line
    (teasers: ``_TEASER``) or a date line (comments, posts: ``_COMMENT``)."""
    records, share = columns
    return ((structure[:, records] >= _LIST_RECORDS) & (structure[:, share] >= _LIST_SHARE)).any(axis=1)


def _concentration(groups: np.ndarray, kept_chars: np.ndarray) -> float:
    """The kept characters inside the heaviest second-level block ancestor (the story's container)."""
    keys = groups[:, 1]
    _, inverse = np.unique(keys, return_inverse=True)
    return float(np.bincount(inverse, weights=kept_chars).max())


def _titles(texts: Sequence[str], X: np.ndarray, title: str | None) -> list[float]:
    """The headline: an article's is a sentence that the <title> repeats, a section's a word or two."""
    h1 = np.flatnonzero(X[:, _F["sem_h1"]] > 0) if len(texts) else np.zeros(0, dtype=np.intp)
    headline = texts[int(h1[0])] if len(h1) else ""
    page_title = (title or "").lower()
    repeated = bool(headline) and headline.lower()[:30] in page_title
    return [float(len(headline)), float(repeated), float(len(page_title)), float(len(h1))]


def _hint_values(hints: frozenset[str]) -> list[float]:
    """The markup's own word for the page's kind (og:type, schema.org types)."""
    og = [h for h in hints if h.startswith("og:")]
    return [float("og:article" in hints), float(any(h in ("og:website", "og:webpage") for h in og)),
            float(any(h.startswith("og:product") for h in og)), float(not og),
            float("published_time" in hints), *(float(bool(hints & _LD_HINTS[kind])) for kind in _LD_KINDS)]


def _url_values(url: str | None) -> list[float]:
    """The shape of the URL: an article's ends in a long slug or an id, a section's in a word."""
    if not url:
        return [np.nan] * len(_URL_NAMES)
    parts = urlsplit(url)
    path = parts.path or "/"
    steps = [step for step in path.split("/") if step]
    last = _URL_EXT.sub("", steps[-1]) if steps else ""
    return [float(len(steps)), float(len(last)), float(last.count("-") + last.count("_")),
            float(_URL_DATE.search(path) is not None), float(_URL_ID.search(path) is not None),
            float(bool(parts.query)), float(_URL_LIST_WORDS.search(path) is not None),
            float(not steps), float(max(map(len, steps), default=0))]


def document_features(doc: Document, X: np.ndarray, proba: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``page_features`` of a Document the line model has scored (X, its probabilities, line groups)."""
    texts = [line.text for line in doc.lines]
    links = np.fromiter((line.link_chars for line in doc.lines), dtype=np.float64, count=len(texts))
    return page_features(texts, X, proba, groups, X[:, _STRUCTURE], title=doc.title, url=doc.url,
                         hints=doc.hints, links=links)


def article_score(model: Model, doc: Document, X: np.ndarray, proba: np.ndarray,
                  groups: np.ndarray) -> tuple[float, bool] | None:
    """The page's article score and whether it reaches the threshold; None for a model without page kind.

    Raises:
        ModelError: if the model's page-kind files are damaged or do not belong to it.
    """
    kind = load_page_kind(model)
    if kind is None:
        return None
    score = kind.score(document_features(doc, X, proba, groups))
    return score, score >= kind.threshold


# --- The model file -----------------------------------------------------------

#: Fallback for a page-kind model whose metadata names no threshold.
DEFAULT_ARTICLE_THRESHOLD = 0.5
_STAGE = "pagekind"


@dataclass(frozen=True)
class PageKindModel:
    """The page-kind trees and their metadata (threshold, feature names, the line model they go with)."""

    forest: Forest
    metadata: dict[str, Any]
    path: Path | None = None

    @property
    def threshold(self) -> float:
        """The article score from which a page is an article."""
        return float(self.metadata.get("threshold", DEFAULT_ARTICLE_THRESHOLD))

    def score(self, row: np.ndarray) -> float:
        """The probability that the page of a ``page_features`` row is an article."""
        return float(self.forest.proba(row.reshape(1, -1).astype(np.float32))[0])


def page_kind_paths(model_path: Path) -> tuple[Path, Path]:
    """The page-kind trees and metadata files beside a line model ``NAME.joblib``."""
    return (model_path.with_name(model_path.stem + ".pagekind.npz"),
            model_path.with_name(model_path.stem + ".pagekind.json"))


def save_page_kind(forest: Forest, model_path: Path, metadata: dict[str, Any]) -> Path:
    """Write the page-kind trees and metadata beside the line model at ``model_path``; returns the json path."""
    trees, meta_path = page_kind_paths(Path(model_path))
    write_forests(trees, {_STAGE: forest}, source_sha256=sha256_of(Path(model_path)))
    meta = {**metadata, "feature_names": list(PAGE_FEATURE_NAMES), "trees_format": TREES_FORMAT,
            "trees_sha256": sha256_of(trees), "line_model_sha256": sha256_of(Path(model_path))}
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return meta_path


def load_page_kind(model: Model) -> PageKindModel | None:
    """The page-kind model beside a loaded line model, None when it has none (cached per files).

    Raises:
        ModelError: if its files are damaged, made for other features, or for another line model.
    """
    if model.path is None:
        return None
    trees, meta_path = page_kind_paths(model.path)
    return _load(trees, meta_path, str(model.metadata.get("sha256")), file_stamp(trees), file_stamp(meta_path))


@functools.lru_cache(maxsize=8)
def _load(trees: Path, meta_path: Path, line_sha256: str, trees_stamp: Any,
          meta_stamp: Any) -> PageKindModel | None:
    """Read and check the page-kind files (None when there are none)."""
    if meta_stamp is None:
        return None
    hint = f"retrain with `{RETRAIN_COMMAND}`"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"page-kind metadata {meta_path} unreadable ({exc}); {hint}") from None
    if not isinstance(meta, dict) or meta.get("feature_names") != list(PAGE_FEATURE_NAMES):
        raise ModelError(f"page-kind model {meta_path.name} lists other features than this code; {hint}")
    if meta.get("trees_format") != TREES_FORMAT or trees_stamp is None:
        raise ModelError(f"page-kind trees {trees.name} missing or in another format; {hint}")
    if meta.get("line_model_sha256") != line_sha256:
        raise ModelError(f"page-kind model {meta_path.name} was trained over another line model; {hint}")
    if meta.get("trees_sha256") != sha256_of(trees):
        raise ModelError(f"page-kind trees {trees} do not match their metadata sha256 (corrupt?); {hint}")
    try:
        _, forests = read_forests(trees)
    except Exception as exc:  # a damaged zip or array fails in many ways
        raise ModelError(f"cannot load page-kind trees {trees}: {exc.__class__.__name__}; {hint}") from None
    forest = forests.get(_STAGE)
    if forest is None or forest.n_features != len(PAGE_FEATURE_NAMES):
        raise ModelError(f"page-kind trees {trees.name} are not a page-kind model of this code; {hint}")
    return PageKindModel(forest=forest, metadata=meta, path=trees)
