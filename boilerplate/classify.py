"""Probabilities -> labels: the threshold, a few context rules, and the cues of each line's decision."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import reasons
from .document import Document, Label
from .features import FEATURE_NAMES
from .reasons import Cue

__all__ = ["Decision", "decide", "RESCUE_MIN_CHARS"]

#: A page whose kept lines hold fewer characters than this, while its densest
#: run of lines holds more, gets that run back ("never return nothing when the
#: page has a body": empty output cost the most in our probes).
RESCUE_MIN_CHARS = 200
#: Lines in the rescued run must still look like prose this much.
RESCUE_MIN_SCORE = 0.05

_F = {name: i for i, name in enumerate(FEATURE_NAMES)}
#: Flattened text has no <figcaption>: a line of at least this many words
#: that ends no sentence is a caption unless the model is this sure of it.
#: A heuristic from our fixtures (the seed's photo caption), not tuned on the
#: cross-validation scores.
CAPTION_MIN_WORDS = 8
CAPTION_MIN_SCORE = 0.75
#: ...and this sure of it when the lines on both sides end sentences: a photo caption
#: sits between story paragraphs, as the seed's does (the multilingual model of
#: FEATURE_VERSION 4 scores it 0.82). Out of fold this costs at most 0.001 of text-mode
#: F1 per dataset; raising CAPTION_MIN_SCORE itself to 0.85 cost 0.003 of English and
#: 0.012 of German (0.015 on readability).
CAPTION_IN_STORY_SCORE = 0.85
#: A line inside <nav> with at least this share of link text is navigation whatever its
#: score: the element says so. (A page holding only <nav><a>Home</a></nav> scored 0.74
#: with the page-relative features of FEATURE_VERSION 4, its one line being its densest.)
NAV_LINK_SHARE = 0.99
#: A dropped text-mode line without a sentence ending is named caption-like
#: from this score on (below it, its other cues say more).
CAPTION_REASON_MIN_SCORE = 0.3
#: log1p(characters) under which a line without a sentence ending is "short" (80 characters).
SHORT_LOG_CHARS = 4.4
#: Link share from which "mostly link text" is a cue.
LINK_CUE_SHARE = 0.5


@dataclass(frozen=True)
class Decision:
    """Labels, cue codes and the reason for each line of one page."""

    labels: tuple[Label, ...]
    cues: tuple[tuple[Cue, ...], ...]
    reasons: tuple[str, ...]


def decide(proba: np.ndarray, X: np.ndarray, doc: Document, *, threshold: float) -> Decision:
    """Label each line content when its probability reaches the threshold.

    Date-only lines are never body (they are exposed as ``Extraction.date``);
    in text mode, caption-like lines need CAPTION_MIN_SCORE (except at
    threshold 0, which keeps every line but date lines, so that filtering the
    output again gives the same output), and so do lines of link text inside
    <nav> (NAV_LINK_SHARE); an empty result on a page that has a
    dense text run is rescued.
    """
    date_only = X[:, _F["date_only"]] > 0
    keep = (proba >= threshold) & ~date_only
    if threshold > 0:  # threshold 0 asks for every line: no score-based rule then
        keep &= ~_caption_like(proba, X)
        keep &= ~((X[:, _F["sem_nav"]] > 0) & (X[:, _F["link_density"]] >= NAV_LINK_SHARE))
    keep, rescued = _rescue(keep, proba, X, doc, date_only)
    combinations = _COMBINATIONS
    cues = tuple([combinations[c] for c in _cue_codes(keep, rescued, date_only, proba, X).tolist()])
    labels = tuple([Label.CONTENT if k else Label.BOILERPLATE for k in keep.tolist()])
    links = X[:, _F["link_density"]].astype(np.float64).tolist()
    texts = tuple(reasons.describe_all(list(cues), proba.tolist(), links))
    return Decision(labels=labels, cues=cues, reasons=texts)


def _caption_like(proba: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Text-mode lines that read like photo captions: long, no sentence ending."""
    ends = X[:, _F["ends_sentence"]] > 0
    between = np.zeros(len(ends), dtype=bool)
    between[1:-1] = ends[:-2] & ends[2:]
    return ((X[:, _F["mode_text"]] > 0) & ~ends
            & (X[:, _F["ends_colon"]] == 0) & (X[:, _F["log_words"]] >= np.log1p(CAPTION_MIN_WORDS))
            & (proba < np.where(between, CAPTION_IN_STORY_SCORE, CAPTION_MIN_SCORE)))


def _rescue(keep: np.ndarray, proba: np.ndarray, X: np.ndarray, doc: Document,
            date_only: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Give back the densest run of lines when too little is kept: (keep, rescued)."""
    rescued = np.zeros_like(keep)
    chars = np.fromiter((len(line.text) for line in doc.lines), dtype=np.int64, count=len(doc.lines))
    if chars[keep].sum() < RESCUE_MIN_CHARS:
        region = (X[:, _F["region40_in"]] > 0) & (proba >= RESCUE_MIN_SCORE) & ~date_only
        if chars[region].sum() >= RESCUE_MIN_CHARS:
            rescued = region & ~keep
            keep = keep | region
    return keep, rescued


def _cue_codes(keep: np.ndarray, rescued: np.ndarray, date_only: np.ndarray, proba: np.ndarray,
               X: np.ndarray) -> np.ndarray:
    """Every line's cues as an index into _COMBINATIONS: kept on score or rescued; dropped
    as a date, or by what marks it."""
    codes = np.where(rescued, _RESCUED_CODE, np.where(keep, _SCORE_CODE, _DATE_CODE))
    scored = keep & ~rescued
    codes[scored] = _kept_codes(X[:, _KEPT_COLUMNS][scored])
    dropped = ~keep & ~date_only
    codes[dropped] = _dropped_codes(X[dropped], proba[dropped])
    return codes


def _dropped_codes(X: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """The cues of dropped lines (not date lines) as indexes into _COMBINATIONS, in numpy.

    A caption-like text line says so; otherwise the first two cues of
    _RANKED_CUES that hold, else a note on the missing sentence ending.
    """
    n = len(proba)
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    R = X[:, _REASON_COLUMNS].astype(np.float64)  # compared in double, as Python floats are
    code, has_first = _first_two(_held_cues(R), 0, _SINGLE)
    no_end = R[:, _R_ENDS_SENTENCE] == 0
    # A pair, a single cue, then the fallbacks (see _COMBINATIONS).
    code = np.where(has_first, code, np.where(no_end & (R[:, _R_LOG_CHARS] < SHORT_LOG_CHARS),
                                              _SHORT_NO_END_CODE, np.where(no_end, _NO_END_CODE,
                                                                           _PROSE_CODE)))
    code[(R[:, _R_MODE_TEXT] > 0) & no_end & (proba >= CAPTION_REASON_MIN_SCORE)] = _CAPTION_CODE
    return code


def _kept_codes(K: np.ndarray) -> np.ndarray:
    """The cues of lines kept on their score (their _KEPT_COLUMNS) as indexes into
    _COMBINATIONS: the first two of _KEPT_CUES that hold (the score alone when none does)."""
    held = np.empty((K.shape[0], _N_KEPT), dtype=bool)
    held[:, 0] = (K[:, 0] > 0) & (K[:, 1] >= SHORT_LOG_CHARS)
    np.greater(K[:, 2:], 0, out=held[:, 1:])
    held[:, _K_MAIN] &= ~held[:, _K_ARTICLE]
    code, has_first = _first_two(held, _KEPT_PAIRS, _KEPT_SINGLE)
    return np.where(has_first, code, _SCORE_CODE)


def _first_two(held: np.ndarray, pairs: int, singles: int) -> tuple[np.ndarray, np.ndarray]:
    """The first two held cues of each row as an index into _COMBINATIONS (its pairs start
    at ``pairs``, first * cues + second; its single cues at ``singles``), and whether any is held."""
    rows = np.arange(held.shape[0])
    first = held.argmax(axis=1)
    has_first = held[rows, first]
    held[rows, first] = False
    second = held.argmax(axis=1)
    has_second = has_first & held[rows, second]
    return np.where(has_second, pairs + first * held.shape[1] + second, singles + first), has_first


def _dropped_cues(X: np.ndarray, proba: np.ndarray) -> list[tuple[Cue, ...]]:
    """The cues of dropped lines (not date lines), as tuples (``_dropped_codes`` looked up)."""
    return [_COMBINATIONS[c] for c in _dropped_codes(X, proba).tolist()]


def _held_cues(R: np.ndarray) -> np.ndarray:
    """Which of _RANKED_CUES hold for each row of the reason columns (n x cues, bool)."""
    held = np.empty((R.shape[0], len(_RANKED_CUES)), dtype=bool)
    held[:, 0] = R[:, _R_BULLET] > 0
    held[:, 1] = R[:, _R_LINK] >= LINK_CUE_SHARE
    np.greater(R[:, _R_FIRST_HINT:], 0, out=held[:, 2:-2])
    held[:, -2] = R[:, _R_DUP] > 0
    held[:, -1] = R[:, _R_BOILER] > 0
    return held


#: Markup cues of a dropped line and the feature that marks each, in the order they rank.
_HINT_CUES = (
    ("hint_nav", Cue.NAV_CLASS),
    ("sem_nav", Cue.NAV_TAG),
    ("hint_popular", Cue.POPULAR_CLASS),
    ("hint_related", Cue.RELATED_CLASS),
    ("hint_comment", Cue.COMMENT_CLASS),
    ("hint_share", Cue.SHARE_CLASS),
    ("hint_ad", Cue.AD_CLASS),
    ("hint_subscribe", Cue.SUBSCRIBE_CLASS),
    ("sem_footer", Cue.FOOTER_TAG),
    ("hint_footer", Cue.FOOTER_CLASS),
    ("sem_aside", Cue.ASIDE_TAG),
    ("hint_side", Cue.SIDEBAR_CLASS),
    ("sem_figure", Cue.FIGURE_TAG),
    ("hint_caption", Cue.CAPTION_CLASS),
    ("sem_h1", Cue.HEADLINE),
)
#: The cues of a dropped line in the order they rank.
_RANKED_CUES = (Cue.BULLET, Cue.LINK_TEXT, *(cue for _, cue in _HINT_CUES),
                Cue.REPEATED_ON_PAGE, Cue.WORDING)
_N_RANKED = len(_RANKED_CUES)
#: Every cue tuple a line can get: the pairs of ranked cues (first * _N_RANKED
#: + second), the single ranked cues (from _SINGLE), then the others.
_COMBINATIONS: tuple[tuple[Cue, ...], ...] = (
    *((a, b) for a in _RANKED_CUES for b in _RANKED_CUES), *((a,) for a in _RANKED_CUES),
    (Cue.CAPTION_LIKE,), (Cue.SHORT_NO_SENTENCE_END,), (Cue.NO_SENTENCE_END,), (Cue.UNLIKE_PROSE,),
    (Cue.SCORE,), (Cue.RESCUED,), (Cue.DATE,))
_SINGLE = _N_RANKED * _N_RANKED
(_CAPTION_CODE, _SHORT_NO_END_CODE, _NO_END_CODE, _PROSE_CODE, _SCORE_CODE, _RESCUED_CODE,
 _DATE_CODE) = range(_SINGLE + _N_RANKED, _SINGLE + _N_RANKED + 7)
#: Columns the cues read, in this order (see _R_* below).
_REASON_COLUMNS = [_F[name] for name in ("mode_text", "ends_sentence", "link_density", "bullet_only",
                                         "dup_count", "boiler_words", "log_chars")]
_REASON_COLUMNS += [_F[name] for name, _ in _HINT_CUES]
_R_MODE_TEXT, _R_ENDS_SENTENCE, _R_LINK, _R_BULLET, _R_DUP, _R_BOILER, _R_LOG_CHARS = range(7)
_R_FIRST_HINT = 7  # then the _HINT_CUES columns, in order

#: Markup cues of a line kept on its score and the feature that marks each, in the
#: order they rank, after prose (a sentence-ending line of SHORT_LOG_CHARS or more).
_KEPT_HINTS = (
    ("tag_h2_6", Cue.SUBHEADING),
    ("sem_article", Cue.ARTICLE_TAG),
    ("sem_main", Cue.MAIN_TAG),
    ("hint_content", Cue.CONTENT_CLASS),
    ("region40_in", Cue.DENSE_REGION),
)
_K_ARTICLE, _K_MAIN = 2, 3  # <main> says nothing more about a line inside <article>
#: Columns the kept cues read: ends_sentence and log_chars (prose), then _KEPT_HINTS'.
_KEPT_COLUMNS = [_F["ends_sentence"], _F["log_chars"], *(_F[name] for name, _ in _KEPT_HINTS)]
_KEPT_CUES = (Cue.PROSE, *(cue for _, cue in _KEPT_HINTS))
_N_KEPT = len(_KEPT_CUES)
#: The kept combinations follow _COMBINATIONS' others: pairs (first * _N_KEPT + second), then singles.
_KEPT_PAIRS = len(_COMBINATIONS)
_KEPT_SINGLE = _KEPT_PAIRS + _N_KEPT * _N_KEPT
_COMBINATIONS += (*((Cue.SCORE, a, b) for a in _KEPT_CUES for b in _KEPT_CUES),
                  *((Cue.SCORE, a) for a in _KEPT_CUES))
