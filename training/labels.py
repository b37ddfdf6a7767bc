"""Step 2 of training: a page's lines, their features and their labels (gold alignment, our body convention, hand labels).

Label rule (documented in training/README.md): a line is content when at
least half of its token characters are covered by word trigrams that also
occur in the gold text (each gold trigram can be used as often as it occurs
there, in document order). Lines of fewer than three tokens are content only
when they equal a whole gold paragraph. Whatever the gold says, headlines
(the page title in an <h1>/first heading), date-only lines and bylines are
boilerplate: our ``text`` is the article body, and those are exposed as
separate fields. So are image captions and photo credits (lines inside
<figure>/<figcaption> or a block whose class names a caption or credit).

Hand-labelled pages (corpus.iter_labelled) keep their own labels, matched to
the lines by text in order.
"""

from __future__ import annotations

import hashlib
import pickle
import re
from collections import Counter, defaultdict, deque
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from boilerplate import decode as _decode_module
from boilerplate import features as _features_module
from boilerplate import hints as _hints_module
from boilerplate import segment as _segment_module
from boilerplate import structure as _structure_module
from boilerplate import walk as _walk_module
from boilerplate.document import Document
from boilerplate.features import FEATURE_NAMES, featurize, line_groups
from boilerplate.segment import from_html, from_text
from boilerplate.walk import SEM
from training import corpus as _corpus_module
from training.corpus import Page, iter_dataset, iter_labelled

#: The label rule above, as one line (the model's metadata records it).
LABEL_RULE = " ".join(__doc__.split("\n\n")[1].split())
#: A line is content when this share of its token characters align to the gold.
ALIGN_MIN_SHARE = 0.5
_NGRAM = 3
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])\w)+")
_F = {name: i for i, name in enumerate(FEATURE_NAMES)}
#: The last step of a tag path (tag.first-class) of a caption or photo credit.
_CAPTION_CLASS = re.compile(r"caption|credit", re.IGNORECASE)
#: Bylines of at most this many words are not body (longer lines starting "By ..." are prose).
_BYLINE_MAX_WORDS = 8


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
    """Apply our convention: headline, date-only lines, bylines and captions are not body."""
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
    labels[(X[:, _F["byline"]] > 0) & (X[:, _F["log_words"]] < np.log1p(_BYLINE_MAX_WORDS))] = 0
    return labels


def match_labels(doc: Document, records: list[dict[str, Any]]) -> np.ndarray:
    """Hand labels for the document's lines, matched by text in order.

    Raises:
        ValueError: when a line has no label (the page or the segmenter changed).
    """
    queues: dict[str, deque[str]] = defaultdict(deque)
    for rec in records:
        queues[rec["text"]].append(rec["label"])
    out = np.zeros(len(doc.lines), dtype=np.int8)
    missing = []
    for i, line in enumerate(doc.lines):
        if not queues[line.text]:
            missing.append(line.text)
            continue
        out[i] = queues[line.text].popleft() == "content"
    if missing:
        raise ValueError(f"{len(missing)} lines have no label, first: {missing[0][:80]!r}")
    return out


@dataclass
class Featurized:
    """A page cut into lines, with features and labels: one view (HTML or text) of a page."""

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
        return [_hand_labelled(page)]
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


def _hand_labelled(page: Page) -> Featurized:
    """A hand-labelled page in its own kind, with its own labels."""
    kind = page.extra.get("kind", "html")
    doc = (from_text if kind == "text" else from_html)(page.html, url=page.url)
    groups = line_groups(doc)
    X = featurize(doc, groups)
    y = match_labels(doc, page.extra["labels"])
    return Featurized(page.dataset, page.id, page.site, kind, [line.text for line in doc.lines], X, y,
                      groups)


def code_digest() -> str:
    """Digest of the code that shapes features and labels (the key of cached datasets)."""
    digest = hashlib.sha256()
    for module in (_features_module, _segment_module, _walk_module, _hints_module, _decode_module,
                   _corpus_module, _structure_module):
        digest.update(Path(str(module.__file__)).read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def _featurize_all(pages: Sequence[Page], kinds: tuple[str, ...], jobs: int) -> list[Featurized]:
    """featurize_page over pages, in ``jobs`` processes when above 1."""
    if jobs <= 1:
        return [f for page in pages for f in featurize_page(page, kinds)]
    with ProcessPoolExecutor(jobs) as pool:
        chunks = pool.map(featurize_page, pages, [kinds] * len(pages), chunksize=8)
        return [f for chunk in chunks for f in chunk]


def load_dataset(data_dir: Path, name: str, *, kinds: tuple[str, ...] = ("html", "text"),
                 cache_dir: Path | None = None, jobs: int = 2) -> list[Featurized]:
    """Featurized, labelled views of one dataset's pages (cached by code_digest)."""
    cache = None
    if cache_dir is not None:
        cache = cache_dir / f"{name}-{'+'.join(kinds)}-{code_digest()}.pkl"
        if cache.is_file():
            with open(cache, "rb") as f:
                cached: list[Featurized] = pickle.load(f)
                return cached
    result = _featurize_all(list(iter_dataset(data_dir, name)), kinds, jobs)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with open(cache, "wb") as f:
            pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
    return result


def labelled_pages(folder: Path, split: str | None = None) -> list[Featurized]:
    """Featurized hand-labelled pages of a folder (corpus.iter_labelled)."""
    return [f for page in iter_labelled(folder, split=split) for f in featurize_page(page)]
