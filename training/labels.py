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

Pages with snippet gold instead of a body (trafilatura-eval: ``with`` and
``without`` lists) label only the lines a snippet names: a line holding (part
of) a ``with`` snippet is content, one mostly made of a ``without`` snippet is
boilerplate, and every other line weighs 0 in training (we do not know it).
The body convention above applies to them too, and what it marks weighs 1.

Hand-labelled pages (corpus.iter_labelled) keep their own labels, matched to
the lines by text in order.
"""

from __future__ import annotations

import hashlib
import os
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
from boilerplate import vocab as _vocab_module
from boilerplate import walk as _walk_module
from boilerplate.document import Document
from boilerplate.features import FEATURE_NAMES, featurize, line_groups
from boilerplate.segment import from_html, from_text
from boilerplate.walk import SEM
from training import corpus as _corpus_module
from training import metrics as _metrics_module
from training.corpus import Page, iter_dataset, iter_labelled
from training.metrics import CJK_CHARS, normalise

#: The label rule above, as one line (the model's metadata records it).
LABEL_RULE = " ".join(__doc__.split("\n\n")[1].split())
#: A line is content when this share of its token characters align to the gold.
ALIGN_MIN_SHARE = 0.5
_NGRAM = 3
_TOKEN = re.compile(rf"[{CJK_CHARS}]|(?:(?![{CJK_CHARS}])\w)+")
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


#: A line is boilerplate when a ``without`` snippet covers this share of its
#: characters: a short "without" ("Twitter", "31. Mai") inside a paragraph
#: says nothing about the paragraph.
WITHOUT_MIN_SHARE = 0.5


def snippet_labels(lines: Sequence[str], with_: Sequence[str],
                   without: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(labels, weights) of lines from snippet gold: weight 0 for lines no snippet decides.

    Snippets are matched whitespace-normalised, as the evaluation matches them,
    in the lines joined by spaces (a snippet may span lines). A ``with``
    snippet found more than once decides nothing (the teaser or the story?);
    a line that two snippets call both ways weighs 0.
    """
    normal = [normalise(t) for t in lines]
    starts = np.cumsum([0] + [len(t) + 1 for t in normal])
    joined = " ".join(normal)
    content = np.zeros(len(lines), dtype=bool)
    boiler = np.zeros(len(lines), dtype=bool)
    for snippet, is_with in [(s, True) for s in with_] + [(s, False) for s in without]:
        snippet = normalise(snippet)
        found = _occurrences(joined, snippet) if snippet else []
        if is_with and len(found) != 1:
            continue
        for at in found:
            first = int(np.searchsorted(starts, at, side="right")) - 1
            last = int(np.searchsorted(starts, at + len(snippet) - 1, side="right")) - 1
            for i in range(first, last + 1):
                if is_with:
                    content[i] = True
                else:
                    overlap = min(at + len(snippet), starts[i] + len(normal[i])) - max(at, starts[i])
                    boiler[i] |= overlap >= WITHOUT_MIN_SHARE * max(len(normal[i]), 1)
    weights = (content ^ boiler).astype(np.float64)
    return content.astype(np.int8), weights


def _occurrences(text: str, snippet: str) -> list[int]:
    """Start offsets of every (non-overlapping) occurrence of ``snippet`` in ``text``."""
    out, at = [], text.find(snippet)
    while at >= 0:
        out.append(at)
        at = text.find(snippet, at + len(snippet))
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
    #: Training weight per line (None: every line weighs 1); snippet-gold
    #: pages weigh 0 on the lines no snippet decides.
    weight: np.ndarray | None = None


def featurize_page(page: Page, kinds: tuple[str, ...] = ("html",)) -> list[Featurized]:
    """Segment, featurize and label a page, as HTML and/or flattened to text.

    Text mode sees the page flattened one block per line, as a scraper
    would (``flatten``: list items sometimes marked), with the labels of the
    HTML lines they come from. Hand-labelled pages (``extra["labels"]``) keep
    their own kind and labels.
    """
    if page.extra.get("labels") is not None:
        return [_hand_labelled(page)]
    doc = from_html(page.html, url=page.url)
    groups = line_groups(doc)
    X = featurize(doc, groups)
    texts = [line.text for line in doc.lines]
    y, weight = page_labels(page, doc, X)
    out = []
    for kind in kinds:
        if kind == "text":
            flat, source = flatten(doc, page.id)
            tdoc = from_text("\n".join(flat), url=page.url)
            assert len(tdoc.lines) == len(flat)
            flat_y, flat_weight = _carried(y, weight, source)
            out.append(Featurized(page.dataset, page.id, page.site, kind, flat, featurize(tdoc), flat_y,
                                  line_groups(tdoc), flat_weight))
        else:
            out.append(Featurized(page.dataset, page.id, page.site, kind, texts, X, y, groups, weight))
    return out


#: How list items come out of a scraper, one style per page (by a hash of its
#: id, so half the pages stay plain): as they are, after "* ", numbered "1. "
#: per list (Markdown and inscriptis), or after a "-" of their own line (the
#: seed's flattening). Without them, text mode never sees a numbered ranking.
FLATTEN_STYLES = ("plain", "plain", "plain", "star", "number", "dash_line")


def flatten(doc: Document, page_id: str) -> tuple[list[str], np.ndarray]:
    """The page's lines as flattened text, and the HTML line each comes from (-1: a "-" line)."""
    style = FLATTEN_STYLES[int(hashlib.md5(page_id.encode()).hexdigest(), 16) % len(FLATTEN_STYLES)]
    texts: list[str] = []
    source: list[int] = []
    numbers: dict[int, int] = {}  # per list element: the last number given
    for i, line in enumerate(doc.lines):
        text = line.text
        if line.tag == "li" and style != "plain":
            if style == "star":
                text = "* " + text
            elif style == "number":
                parent = line.ancestors[0] if line.ancestors else -1
                numbers[parent] = numbers.get(parent, 0) + 1
                text = f"{numbers[parent]}. {text}"
            else:
                texts.append("-")
                source.append(-1)
        texts.append(text)
        source.append(i)
    return texts, np.array(source, dtype=np.intp)


def _carried(y: np.ndarray, weight: np.ndarray | None, source: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Labels and weights of the flattened lines from their HTML lines ("-" lines: boilerplate, weight 0)."""
    if (source >= 0).all():
        return y[source], None if weight is None else weight[source]
    flat_y = np.where(source >= 0, y[source], 0).astype(y.dtype)
    flat_w = np.where(source >= 0, 1.0 if weight is None else weight[source], 0.0)
    return flat_y, flat_w


def page_labels(page: Page, doc: Document, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Labels of a dataset page's lines, and their weights (None: all 1) for snippet gold."""
    texts = [line.text for line in doc.lines]
    if page.body is None and ("with" in page.extra or "without" in page.extra):
        y, weight = snippet_labels(texts, page.extra.get("with") or [], page.extra.get("without") or [])
        convention = body_only(np.ones_like(y), doc, X, page.title) == 0
        weight[convention] = 1.0
        y[convention] = 0
        return y, weight
    return body_only(align_labels(texts, page.body or ""), doc, X, page.title), None


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
    for module in (_features_module, _vocab_module, _segment_module, _walk_module, _hints_module,
                   _decode_module, _corpus_module, _metrics_module, _structure_module):
        digest.update(Path(str(module.__file__)).read_bytes())
    digest.update(_vocab_module.VOCABULARY_PATH.read_bytes())
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
    if cache is not None:  # written aside, then renamed: a reader never sees half a file
        cache.parent.mkdir(parents=True, exist_ok=True)
        part = cache.with_suffix(f".{os.getpid()}.part")
        with open(part, "wb") as f:
            pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
        part.replace(cache)
    return result


def labelled_pages(folder: Path, split: str | None = None) -> list[Featurized]:
    """Featurized hand-labelled pages of a folder (corpus.iter_labelled)."""
    return [f for page in iter_labelled(folder, split=split) for f in featurize_page(page)]
