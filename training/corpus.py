"""Load ../shared/data and our fixtures, and derive line labels by aligning to gold text.

Label rule (documented in training/README.md): a line is content when at
least half of its token characters are covered by word trigrams that also
occur in the gold text (each gold trigram can be used as often as it occurs
there, in document order). Lines of fewer than three tokens are content only
when they equal a whole gold paragraph. Whatever the gold says, headlines
(the page title in an <h1>/first heading), date-only lines and bylines are
boilerplate: our ``text`` is the article body, and those are exposed as
separate fields. So are image captions and photo credits (lines inside
<figure>/<figcaption> or a block whose class names a caption or credit).
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from boilerplate.document import Document
from boilerplate.features import FEATURE_NAMES, featurize, line_groups
from boilerplate.segment import from_html, from_text
from boilerplate.walk import SEM

#: Datasets with full gold text that we train on; trafilatura-eval has only
#: snippets and is kept for evaluation.
TRAIN_DATASETS = (
    "l3s-gn1", "dragnet", "cleaneval", "cleanportaleval", "readability",
    "google-trends-2017", "big9", "chaos", "wcxb-articles",
)
#: A line is content when this share of its token characters align to the gold.
ALIGN_MIN_SHARE = 0.5
_NGRAM = 3
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])\w)+")
_HREF_HOST = re.compile(r"""href=["']https?://([^/"'?#:]+)""", re.I)
_F = {name: i for i, name in enumerate(FEATURE_NAMES)}
#: The last step of a tag path (tag.first-class) of a caption or photo credit.
_CAPTION_CLASS = re.compile(r"caption|credit", re.I)
#: readability's synthetic test cases (ids like 001, rtl-1) test parser
#: corners, not articles: skip them.
_SYNTHETIC = re.compile(r"^(?:\d{3}|rtl-\d|base-url.*|replace-.*|svg-.*|.*-\d+)$")


@dataclass(frozen=True)
class Page:
    """One labelled page from a dataset or from our fixtures."""

    dataset: str
    id: str
    site: str
    html: str
    body: str | None
    title: str | None
    url: str | None
    extra: dict


def site_of(url: str | None, html: str, fallback: str) -> str:
    """Host of the page's URL, else the host its absolute links name most."""
    if url:
        host = urlsplit(url).hostname or ""
        if host:
            return host.removeprefix("www.")
    hosts = Counter(h.lower().removeprefix("www.") for h in _HREF_HOST.findall(html[:300_000]))
    return hosts.most_common(1)[0][0] if hosts else fallback


def iter_dataset(data_dir: Path, name: str) -> Iterator[Page]:
    """Pages of one dataset folder."""
    with gzip.open(data_dir / name / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for raw in f:
            rec = json.loads(raw)
            if name == "readability" and _SYNTHETIC.match(rec["id"]) and not rec.get("url"):
                continue
            extra = {k: v for k, v in rec.items() if k not in ("html", "body", "title", "url", "id")}
            yield Page(
                dataset=name, id=rec["id"], url=rec.get("url"), html=rec["html"],
                body=rec.get("body"), title=rec.get("title"),
                site=site_of(rec.get("url"), rec["html"], f"{name}:{rec['id']}"), extra=extra,
            )


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens; each CJK character is a token of its own."""
    return _TOKEN.findall(text.lower())


def align_labels(lines: list[str], gold: str) -> np.ndarray:
    """1 for lines whose text aligns to the gold (see module docstring), else 0."""
    gold_tokens = tokens(gold)
    grams = Counter(zip(*(gold_tokens[i:] for i in range(_NGRAM))))
    paragraphs = {" ".join(tokens(p)) for p in gold.splitlines() if p.strip()}
    out = np.zeros(len(lines), dtype=np.int8)
    for i, text in enumerate(lines):
        toks = tokens(text)
        if len(toks) < _NGRAM:
            out[i] = bool(toks) and " ".join(toks) in paragraphs
            continue
        covered = [False] * len(toks)
        for j in range(len(toks) - _NGRAM + 1):
            gram = tuple(toks[j:j + _NGRAM])
            if grams[gram] > 0:
                grams[gram] -= 1
                covered[j:j + _NGRAM] = [True] * _NGRAM
        total = sum(len(t) for t in toks)
        hit = sum(len(t) for t, c in zip(toks, covered) if c)
        out[i] = hit >= ALIGN_MIN_SHARE * total
    return out


def body_only(labels: np.ndarray, doc: Document, X: np.ndarray, title: str | None) -> np.ndarray:
    """Apply our convention: headline, date-only lines and bylines are not body."""
    labels = labels.copy()
    title_toks = " ".join(tokens(title or doc.title or ""))
    first_heading_seen = False
    for i, line in enumerate(doc.lines):
        is_heading = bool(line.sem & SEM["heading"])
        line_toks = " ".join(tokens(line.text))
        if line.sem & SEM["h1"] or (is_heading and not first_heading_seen and line_toks
                                    and title_toks and line_toks in title_toks):
            labels[i] = 0
        first_heading_seen |= is_heading
        if title_toks and line_toks == title_toks:
            labels[i] = 0
        if line.sem & SEM["figure"] or _CAPTION_CLASS.search(line.path.rsplit(">", 1)[-1]):
            labels[i] = 0
    labels[X[:, _F["date_only"]] > 0] = 0
    labels[(X[:, _F["byline"]] > 0) & (X[:, _F["log_words"]] < np.log1p(8))] = 0
    return labels


@dataclass
class Featurized:
    """A page cut into lines, with features and labels."""

    dataset: str
    id: str
    site: str
    kind: str
    texts: list[str]
    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray


def featurize_page(page: Page, kinds: tuple[str, ...] = ("html",)) -> list[Featurized]:
    """Segment, featurize and label a page, as HTML and/or flattened to text.

    Text mode sees the same lines (the page flattened one block per line, as
    a naive scraper would), so it reuses the HTML labels. Hand-labelled pages
    (``extra["labels"]``) keep their own kind and labels.
    """
    if page.extra.get("labels") is not None:
        from training.labelled import match_labels

        kind = page.extra.get("kind", "html")
        doc = (from_text if kind == "text" else from_html)(page.html, url=page.url)
        groups = line_groups(doc)
        X = featurize(doc, groups)
        y = match_labels(doc, page.extra["labels"])
        return [Featurized(page.dataset, page.id, page.site, kind, [l.text for l in doc.lines], X, y,
                           groups)]
    doc = from_html(page.html, url=page.url)
    groups = line_groups(doc)
    X = featurize(doc, groups)
    texts = [line.text for line in doc.lines]
    y = body_only(align_labels(texts, page.body or ""), doc, X, page.title)
    out = []
    for kind in kinds:
        if kind == "text":
            tdoc = from_text("\n".join(texts), url=page.url)
            assert len(tdoc.lines) == len(texts)
            out.append(Featurized(page.dataset, page.id, page.site, kind, texts, featurize(tdoc), y,
                                  line_groups(tdoc)))
        else:
            out.append(Featurized(page.dataset, page.id, page.site, kind, texts, X, y, groups))
    return out
