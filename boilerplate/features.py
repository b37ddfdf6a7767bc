"""Document -> feature matrix (one row per Line). Owns FEATURE_NAMES and FEATURE_VERSION.

Text mode: the markup features (tag, class/id hints, semantic tags, link
density, container text mass, path repetition) are 0 and ``mode_text`` is 1,
so one model serves both kinds.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from .document import Document, Line
from .segment import ANCESTOR_LEVELS, HINTS, SEM

__all__ = ["FEATURE_VERSION", "FEATURE_NAMES", "featurize"]

#: Bump whenever a feature is added, removed, reordered or computed differently:
#: a model saved with another version refuses to load.
FEATURE_VERSION = 1

_TAG_GROUPS = {
    "p": "p", "div": "div", "li": "li", "h1": "h1", "h2": "h2_6", "h3": "h2_6",
    "h4": "h2_6", "h5": "h2_6", "h6": "h2_6", "td": "td", "th": "td", "tr": "td",
    "blockquote": "quote", "pre": "pre", "dd": "dl", "dt": "dl", "figcaption": "caption",
    "caption": "caption", "button": "control", "label": "control", "option": "control",
    "legend": "control", "article": "section", "section": "section", "main": "section",
    "body": "section", "span": "other",
}
_GROUP_NAMES = ("p", "div", "li", "h1", "h2_6", "td", "quote", "pre", "dl", "caption",
                "control", "section", "other")

_SENT_END = re.compile(r"[.!?。！？…](?:[\"'”’»)\]]*)(?=\s|$)")
_ENDS_SENT = re.compile(r"[.!?。！？…][\"'”’»)\]]*$")
_PUNCT = re.compile(r"[^\w\s]")
_DIGIT = re.compile(r"\d")
_UPPER = re.compile(r"[A-ZÀ-ÞА-Я]")
_LETTER = re.compile(r"[^\W\d_]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_BULLET = re.compile(r"^(?:[-–—•·*▪►»>◦‣○●■□]|\d{1,3}[.)])(?:\s|$)")
_BULLET_ONLY = re.compile(r"^[-–—•·*▪►»>◦‣○●■□|/\d.)\s]{1,4}$")
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|januar|februar|märz|"
    r"mai|juni|juli|oktober|dezember|enero|febrero|marzo|abril|mayo|junio|julio|agosto|"
    r"septiembre|octubre|noviembre|diciembre|janvier|février|mars|avril|juin|juillet|"
    r"août|septembre|octobre|novembre|décembre"
)
_DATE = re.compile(
    rf"\b\d{{1,2}}:\d{{2}}\b|\b\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}\b|"
    rf"\b\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}\b|\b(?:{_MONTHS})\.?\s+\d{{1,2}}\b|"
    rf"\b\d{{1,2}}\.?\s+(?:{_MONTHS})\b|\d+\s*(?:min(?:ute)?s?|hours?|hrs?|days?)\s+ago|"
    rf"\d{{4}}年\d{{1,2}}月|\d{{1,2}}月\d{{1,2}}日|\b(?:JST|GMT|UTC|EST|EDT|PST|PDT|BST|CET)\b",
    re.I,
)
_BOILER_WORDS = re.compile(
    r"\b(?:share|tweet|subscribe|subscription|sign (?:in|up)|log ?in|register|read more|"
    r"advertisement|advertising|cookies?|copyright|all rights reserved|follow us|"
    r"newsletter|comments?|reply|related|popular|ranking|most read|click here|"
    r"terms of (?:use|service)|privacy|contact us|about us|sponsored|recommended|"
    r"trending|photo|image|credit|getty|reuters|afp|editing by|reporting by|"
    r"continue reading|see also|more from|you may also like|load more|back to top)\b|©|"
    r"ランキング|関連|広告|記事一覧|シェア|フォロー|相关|推荐|广告|登录|分享",
    re.I,
)
_BYLINE = re.compile(r"^(?:by|von|por|par|di|door|av|af)\s+\S", re.I)
_SEPARATORS = re.compile(r"\s[|·•/]\s|\s»\s|\s>\s")

_TEXT_COLUMNS = (
    "log_chars", "log_words", "mean_word_len", "punct_ratio", "sent_ends", "ends_sentence",
    "ends_colon", "digit_ratio", "upper_ratio", "title_case", "bullet", "bullet_only",
    "date", "date_only", "cjk_ratio", "separators", "boiler_words", "byline",
    "quote_start", "dup_count",
)
_MARKUP_COLUMNS = (
    "link_density", "depth", "path_repeat", "path_link_share",
    *(f"tag_{g}" for g in _GROUP_NAMES),
    *(f"sem_{s}" for s in SEM),
    *(f"hint_{h}" for h in HINTS),
    *(f"own_{h}" for h in HINTS),
    *(f"mass_{k}" for k in range(1, ANCESTOR_LEVELS + 1)),
)
_POSITION_COLUMNS = ("rel_pos", "rel_char_pos", "log_n_lines", "log_page_chars",
                     "char_share", "mode_text", "p_or_text")
_CONTEXT_SOURCES = ("log_chars", "link_density", "ends_sentence", "bullet_only",
                    "title_case", "date", "p_or_text")
#: +-3 lines: the window boilerpipe's and our own probes found most useful.
_WINDOW = 3
_CONTEXT_COLUMNS = tuple(
    f"{src}_{where}" for src in _CONTEXT_SOURCES for where in ("prev", "next", "win")
)
#: Penalties (characters) for the densest-run search: a line adds its
#: non-link characters minus the penalty, so runs of long lines win.
_REGION_PENALTIES = (40, 120)
_REGION_COLUMNS = tuple(
    f"region{p}_{what}" for p in _REGION_PENALTIES for what in ("in", "dist")
)

FEATURE_NAMES: tuple[str, ...] = (
    _TEXT_COLUMNS + _MARKUP_COLUMNS + _POSITION_COLUMNS + _CONTEXT_COLUMNS + _REGION_COLUMNS
)
_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}


def featurize(doc: Document) -> np.ndarray:
    """Return the (n_lines x len(FEATURE_NAMES)) float32 feature matrix of a page."""
    n = len(doc.lines)
    X = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)
    if n == 0:
        return X
    _text_shape(doc.lines, X)
    if doc.kind == "html":
        _markup(doc.lines, X)
    _position(doc, X)
    _context(X)
    _regions(doc.lines, X)
    return X


def _col(name: str) -> int:
    return _INDEX[name]


def _text_shape(lines: tuple[Line, ...], X: np.ndarray) -> None:
    """Per-line text features: lengths, punctuation, case, bullets, dates."""
    dups = Counter(line.text for line in lines)
    rows = []
    for line in lines:
        t = line.text
        chars = len(t)
        words = t.split()
        n_words = len(words)
        letters = len(_LETTER.findall(t)) or 1
        capitalised = sum(1 for w in words if w[:1].isupper())
        date = _DATE.search(t) is not None
        rows.append((
            math.log1p(chars),
            math.log1p(n_words),
            (chars - n_words + 1) / max(n_words, 1),
            len(_PUNCT.findall(t)) / chars,
            len(_SENT_END.findall(t)),
            _ENDS_SENT.search(t) is not None,
            t.endswith(":"),
            len(_DIGIT.findall(t)) / chars,
            len(_UPPER.findall(t)) / letters,
            capitalised / max(n_words, 1),
            _BULLET.match(t) is not None,
            _BULLET_ONLY.match(t) is not None,
            date,
            date and chars < 60,
            len(_CJK.findall(t)) / chars,
            len(_SEPARATORS.findall(t)),
            len(_BOILER_WORDS.findall(t)),
            _BYLINE.match(t) is not None,
            t[:1] in "\"“„«'‘「",
            dups[t] - 1,
        ))
    X[:, : len(_TEXT_COLUMNS)] = np.asarray(rows, dtype=np.float32)


def _markup(lines: tuple[Line, ...], X: np.ndarray) -> None:
    """Per-line markup features; only called for HTML documents."""
    n = len(lines)
    base = len(_TEXT_COLUMNS)
    chars = np.fromiter((len(l.text) for l in lines), dtype=np.float32, count=n)
    links = np.fromiter((l.link_chars for l in lines), dtype=np.float32, count=n)
    density = np.minimum(links / chars, 1.0)
    X[:, base] = density
    X[:, base + 1] = np.fromiter((l.depth for l in lines), dtype=np.float32, count=n)
    paths = Counter(l.path for l in lines)
    linked = Counter(l.path for l, d in zip(lines, density) if d > 0.5)
    X[:, base + 2] = [math.log1p(paths[l.path] - 1) for l in lines]
    X[:, base + 3] = [linked[l.path] / paths[l.path] for l in lines]
    group_col = {g: _col(f"tag_{g}") for g in _GROUP_NAMES}
    for i, line in enumerate(lines):
        X[i, group_col[_TAG_GROUPS.get(line.tag, "other")]] = 1.0
    _bits(X, [l.sem for l in lines], SEM, "sem_")
    _bits(X, [l.hints for l in lines], HINTS, "hint_")
    _bits(X, [l.own_hints for l in lines], HINTS, "own_")
    _container_mass(lines, chars - links, X)


def _bits(X: np.ndarray, values: list[int], names: dict[str, int], prefix: str) -> None:
    """Spread integer bit masks over one binary column per bit."""
    arr = np.asarray(values, dtype=np.int64)
    for name, bit in names.items():
        X[:, _col(prefix + name)] = (arr & bit) != 0


def _container_mass(lines: tuple[Line, ...], own: np.ndarray, X: np.ndarray) -> None:
    """Share of the page's non-link text inside each of a line's block ancestors."""
    total = float(own.sum()) or 1.0
    for level in range(ANCESTOR_LEVELS):
        keys = [l.ancestors[level] if len(l.ancestors) > level else -1 for l in lines]
        mass: Counter[int] = Counter()
        for key, value in zip(keys, own):
            mass[key] += float(value)
        X[:, _col(f"mass_{level + 1}")] = [
            mass[k] / total if k != -1 else 0.0 for k in keys
        ]


def _position(doc: Document, X: np.ndarray) -> None:
    """Where the line sits on the page, and page-level size."""
    n = len(doc.lines)
    chars = np.fromiter((len(l.text) for l in doc.lines), dtype=np.float64, count=n)
    total = chars.sum()
    X[:, _col("rel_pos")] = np.arange(n) / max(n - 1, 1)
    X[:, _col("rel_char_pos")] = (np.cumsum(chars) - chars) / total
    X[:, _col("log_n_lines")] = math.log1p(n)
    X[:, _col("log_page_chars")] = math.log1p(total)
    X[:, _col("char_share")] = chars / total
    X[:, _col("mode_text")] = doc.kind == "text"
    if doc.kind == "text":
        X[:, _col("p_or_text")] = 1.0
    else:
        X[:, _col("p_or_text")] = X[:, _col("tag_p")]


def _context(X: np.ndarray) -> None:
    """Previous, next and +-window mean of a few columns."""
    n = X.shape[0]
    idx = np.arange(n)
    lo = np.maximum(idx - _WINDOW, 0)
    hi = np.minimum(idx + _WINDOW + 1, n)
    for src in _CONTEXT_SOURCES:
        col = X[:, _col(src)]
        prev = np.zeros_like(col)
        nxt = np.zeros_like(col)
        prev[1:] = col[:-1]
        nxt[:-1] = col[1:]
        X[:, _col(f"{src}_prev")] = prev
        X[:, _col(f"{src}_next")] = nxt
        cs = np.concatenate(([0.0], np.cumsum(col, dtype=np.float64)))
        X[:, _col(f"{src}_win")] = (cs[hi] - cs[lo]) / (hi - lo)


def _regions(lines: tuple[Line, ...], X: np.ndarray) -> None:
    """Membership of and distance to the densest run of long non-link lines."""
    n = len(lines)
    own = np.fromiter((len(l.text) - l.link_chars for l in lines), dtype=np.float64, count=n)
    for penalty in _REGION_PENALTIES:
        start, end = _max_run(own - penalty)
        idx = np.arange(n)
        dist = np.where(idx < start, start - idx, np.where(idx > end, idx - end, 0))
        X[:, _col(f"region{penalty}_in")] = dist == 0
        X[:, _col(f"region{penalty}_dist")] = np.log1p(dist)


def _max_run(values: np.ndarray) -> tuple[int, int]:
    """Kadane: bounds of the contiguous run with the largest sum."""
    best, best_start, best_end = -math.inf, 0, 0
    current, start = 0.0, 0
    for i, v in enumerate(values.tolist()):
        if current <= 0:
            current, start = v, i
        else:
            current += v
        if current > best:
            best, best_start, best_end = current, start, i
    return best_start, best_end
