"""Repeated sibling structures: the lists a line sits in (teaser lists, comment threads, rows of cards).

A *record* is one of a line's block ancestors (``features.line_groups``:
levels 1 to 4) and its parent is the *list*. Lines that share their tag path
(tag and first class at each step, ``Line.path``) and their list, but sit
in different records, are items of a repeated structure: a teaser list (each
item a link headline and a short text, often an image), a comment thread
(author, date, text), a row of product cards. A story's paragraphs share one
record, the story's container, so they repeat nothing. The columns say, for
records at three levels and for the whole page, how many records repeat the
line's structure and how many of them hold a link line and a date line, how
much text a record holds and what share of the page the structure is: the
markup decides, whatever the text says. HTML only (text mode has no markup:
the columns stay 0).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from .document import Line
from .hints import HINTS, hints

__all__ = [
    "COLUMN_NAMES",
    "HINT_DEPTH_NAMES",
    "STRUCTURE_NAMES",
    "columns",
    "group_index",
    "group_index_per_column",
    "hint_depth_columns",
    "structure_columns",
]

#: Record levels measured against their parent (0: the line's nearest block
#: ancestor); line_groups has 4 levels, so the last record level is 2.
_LEVELS = 3
#: A link line (a headline, an author's name) has at least this share of link text.
LINK_LINE_SHARE = 0.5
_PER_LEVEL = ("records", "link", "date", "chars", "share")
STRUCTURE_NAMES: tuple[str, ...] = (
    *(f"rep{k + 1}_{what}" for k in range(_LEVELS) for what in _PER_LEVEL),
    *(f"rep_page_{what}" for what in _PER_LEVEL),
)
#: Class hints whose distance up the tag path is measured: a comment box's own
#: class is near its text, a page-wide class on <body> far (hints.py's names).
_DEPTH_HINTS = ("comment", "related", "popular", "nav", "share", "footer", "side", "subscribe", "ad",
                "caption", "content", "list", "meta", "tag", "header", "title")
HINT_DEPTH_NAMES: tuple[str, ...] = tuple(f"depth_{name}" for name in _DEPTH_HINTS)
#: Distinct tag paths whose depths are remembered (they repeat on every page of a site).
_DEPTH_CACHE = 65_536
#: The columns features.py appends for HTML pages (0 in text mode).
COLUMN_NAMES: tuple[str, ...] = STRUCTURE_NAMES + HINT_DEPTH_NAMES


def columns(lines: Sequence[Line], groups: np.ndarray, chars: np.ndarray, links: np.ndarray,
            date: np.ndarray) -> np.ndarray:
    """The COLUMN_NAMES of an HTML page's lines: its repeated structures, then its hint depths."""
    return np.hstack([structure_columns(groups, chars, links, date),
                      hint_depth_columns([line.path for line in lines], groups)])


def structure_columns(groups: np.ndarray, chars: np.ndarray, links: np.ndarray,
                      date: np.ndarray) -> np.ndarray:
    """The (lines x STRUCTURE_NAMES) float32 columns of one HTML page.

    ``groups`` is ``features.line_groups`` (block ancestors at levels 1 to 4,
    then the tag path), ``chars`` and ``links`` each line's characters and
    link characters, ``date`` whether it holds a date.
    """
    n = len(chars)
    width = len(_PER_LEVEL)
    out = np.zeros((n, width * (_LEVELS + 1)), dtype=np.float32)
    if n == 0:
        return out
    own = np.maximum(chars - links, 0.0)
    linked = links >= LINK_LINE_SHARE * np.maximum(chars, 1.0)
    record = _records(groups[:, :_LEVELS + 1])
    # Per record: whether it holds a link line, a date line, and its text.
    flat = record.ravel()
    n_records = int(flat.max()) + 1
    has_link = np.bincount(flat, weights=np.repeat(linked, record.shape[1]), minlength=n_records) > 0
    has_date = np.bincount(flat, weights=np.repeat(date, record.shape[1]), minlength=n_records) > 0
    record_own = np.bincount(flat, weights=np.repeat(own, record.shape[1]), minlength=n_records)
    # The structure of a line at each level: its path under its list; on the
    # whole page, its path alone (records are then its nearest ancestors).
    path = group_index(groups[:, -1])
    # (path, list) pairs numbered per level: codes spread wide, so they are sorted, not tabled.
    codes = np.column_stack([path * (n_records + 1) + record[:, k + 1] for k in range(_LEVELS)]
                            + [path]) + (np.arange(_LEVELS + 1) * (int(path.max()) + 1) * (n_records + 1))
    keys = np.unique(codes, return_inverse=True)[1].reshape(codes.shape)
    items = np.column_stack([record[:, :_LEVELS], record[:, 0]])
    stats = _repeats(keys, items, has_link, has_date, record_own, own)
    out[:] = stats.reshape(n, -1)
    return out


def _records(ancestors: np.ndarray) -> np.ndarray:
    """Record numbers from 0 for the ancestor keys (element numbers, shared by all levels).

    A missing ancestor (a negative key) is a record of its own for its line
    and level, so that no line or text is counted twice.
    """
    n, levels = ancestors.shape
    keys = ancestors.astype(np.int64)
    missing = keys < 0
    keys[missing] = (-1 - np.arange(n * levels).reshape(n, levels))[missing] - int(keys.max()) - 1
    return group_index(keys)


def _repeats(keys: np.ndarray, items: np.ndarray, has_link: np.ndarray, has_date: np.ndarray,
             record_own: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Per line and structure (a column of ``keys``): its distinct records (``items``) counted
    (log), the share holding a link line and a date line, their mean text (log), the page share."""
    n, width = keys.shape
    n_records = len(has_link)
    pairs = np.unique(keys.ravel() * n_records + items.ravel())
    key, item = np.divmod(pairs, n_records)
    count = np.bincount(key)
    link = np.bincount(key, weights=has_link[item]) / count
    date = np.bincount(key, weights=has_date[item]) / count
    text = np.bincount(key, weights=record_own[item]) / count
    share = np.bincount(keys.ravel(), weights=np.repeat(own, width)) / max(float(own.sum()), 1.0)
    flat = keys.ravel()
    stats = np.stack([np.log1p(count[flat]), link[flat], date[flat], np.log1p(text[flat]), share[flat]],
                     axis=1)
    return stats.reshape(n, width, -1)


def group_index(keys: np.ndarray) -> np.ndarray:
    """``np.unique(keys, return_inverse=True)[1]``: each key's rank among the distinct keys.

    Group keys are small integers (element numbers, path numbers, -1 - line),
    so a table over their range ranks them in linear time; np.unique sorts,
    which made huge pages superlinear. Falls back to np.unique for keys
    spread wider than a few times the number of lines.
    """
    keys = np.asarray(keys)
    if keys.size == 0:
        return np.zeros(keys.shape, dtype=np.intp)
    lo, hi = int(keys.min()), int(keys.max())
    if hi - lo > 8 * keys.size + 1_000_000:
        return np.unique(keys, return_inverse=True)[1].reshape(keys.shape)
    present = np.zeros(hi - lo + 1, dtype=np.intp)
    shifted = keys - lo
    present[shifted] = 1
    return (present.cumsum() - 1)[shifted]


def group_index_per_column(keys: np.ndarray) -> np.ndarray:
    """``group_index`` of each column of a 2-d ``keys`` in one pass (each column's keys apart)."""
    lo = keys.min(axis=0)
    span = keys.max(axis=0) - lo + 1
    return group_index(keys + (span.cumsum() - span - lo))


def hint_depth_columns(paths: Sequence[str], groups: np.ndarray) -> np.ndarray:
    """The (lines x HINT_DEPTH_NAMES) float32 columns: for each hint, how many steps up the
    line's tag path (1: its own block) the nearest class naming it sits, 0 when none does.

    ``paths`` are the lines' tag paths (``Line.path``) and ``groups``
    ``features.line_groups``, whose last column numbers the paths in order of
    first appearance (negative: no path).
    """
    n = len(paths)
    path = groups[:, -1] if n else np.zeros(0, dtype=np.int64)
    has_path = path >= 0
    if not has_path.any():
        return np.zeros((n, len(_DEPTH_HINTS)), dtype=np.float32)
    _, first = np.unique(path[has_path], return_index=True)
    lines = np.flatnonzero(has_path)[first]
    table = np.array([_path_depths(paths[i]) for i in lines.tolist()] + [(0,) * len(_DEPTH_HINTS)],
                     dtype=np.float32)
    return table[np.where(has_path, path, len(lines))]


@functools.lru_cache(maxsize=_DEPTH_CACHE)
def _path_depths(path: str) -> tuple[int, ...]:
    """The hint depths of one tag path ("tag.class>tag.class>...", the line's block last)."""
    depths = [0] * len(_DEPTH_HINTS)
    for depth, step in enumerate(reversed(path.split(">")), start=1):
        _, _, cls = step.partition(".")
        bits = hints(cls) if cls else 0
        if bits:
            for j, name in enumerate(_DEPTH_HINTS):
                if not depths[j] and bits & HINTS[name]:
                    depths[j] = depth
    return tuple(depths)
