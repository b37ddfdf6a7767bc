"""Probabilities -> labels: the threshold, a few context rules, and a reason per line."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .document import Document, Label
from .features import FEATURE_NAMES

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
#: A heuristic from our fixtures (the seed's photo caption), not yet tuned on
#: the cross-validation scores.
CAPTION_MIN_WORDS = 8
CAPTION_MIN_SCORE = 0.75


def _caption_like(proba: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Text-mode lines that read like photo captions: long, no sentence ending."""
    return ((X[:, _F["mode_text"]] > 0) & (X[:, _F["ends_sentence"]] == 0)
            & (X[:, _F["ends_colon"]] == 0) & (X[:, _F["log_words"]] >= np.log1p(CAPTION_MIN_WORDS))
            & (proba < CAPTION_MIN_SCORE))


@dataclass(frozen=True)
class Decision:
    """Labels and the reason for each line of one page."""

    labels: tuple[Label, ...]
    reasons: tuple[str, ...]


def decide(proba: np.ndarray, X: np.ndarray, doc: Document, *, threshold: float) -> Decision:
    """Label each line content when its probability reaches the threshold.

    Date-only lines are never body (they are exposed as ``Extraction.date``);
    in text mode, caption-like lines need CAPTION_MIN_SCORE (except at
    threshold 0, which keeps every line but date lines, so that filtering the
    output again gives the same output); an empty result on a page that has a
    dense text run is rescued.
    """
    keep = proba >= threshold
    date_only = X[:, _F["date_only"]] > 0
    keep &= ~date_only
    if threshold > 0:  # threshold 0 asks for every line: no score-based rule then
        keep &= ~_caption_like(proba, X)
    rescued = np.zeros_like(keep)
    chars = np.fromiter((len(l.text) for l in doc.lines), dtype=np.int64, count=len(doc.lines))
    if chars[keep].sum() < RESCUE_MIN_CHARS:
        region = (X[:, _F["region40_in"]] > 0) & (proba >= RESCUE_MIN_SCORE) & ~date_only
        if chars[region].sum() >= RESCUE_MIN_CHARS:
            rescued = region & ~keep
            keep = keep | region
    keep_list = keep.tolist()
    labels = tuple(Label.CONTENT if k else Label.BOILERPLATE for k in keep_list)
    scores = proba.tolist()
    reasons = [
        f"kept: densest text region of an otherwise empty page (score {p:.2f})" if r
        else f"kept: score {p:.2f}" if k else "dropped: date/time line" if d else ""
        for p, k, r, d in zip(scores, keep_list, rescued.tolist(), date_only.tolist())
    ]
    dropped = np.flatnonzero(~keep & ~date_only)
    for i, reason in zip(dropped.tolist(), _dropped_reasons(X[dropped], proba[dropped])):
        reasons[i] = reason
    return Decision(labels=labels, reasons=tuple(reasons))


def _dropped_reasons(X: np.ndarray, proba: np.ndarray) -> list[str]:
    """The reasons of dropped lines (not date lines), the cue search in numpy.

    A caption-like text line says so; otherwise the first two cues of
    [bullet, link text, the _HINT_REASONS in order, repeated text,
    boilerplate wording] that hold are picked for all lines at once, else a
    note on the missing sentence ending; only the strings are built line by
    line. tests/test_speed_equivalence.py holds the line-by-line definition
    (reference_reason) and checks both agree.
    """
    n = len(proba)
    if n == 0:
        return []
    R = X[:, _REASON_COLUMNS].astype(np.float64)  # compared in double, as Python floats are
    caption = (R[:, _R_MODE_TEXT] > 0) & (R[:, _R_ENDS_SENTENCE] == 0) & (proba >= 0.3)
    cues = np.empty((n, len(_CUE_TEXTS)), dtype=bool)
    cues[:, 0] = R[:, _R_BULLET] > 0
    cues[:, 1] = R[:, _R_LINK] >= 0.5
    np.greater(R[:, _R_FIRST_HINT:], 0, out=cues[:, 2:-2])
    cues[:, -2] = R[:, _R_DUP] > 0
    cues[:, -1] = R[:, _R_BOILER] > 0
    rows = np.arange(n)
    first = cues.argmax(axis=1)
    has_first = cues[rows, first]
    cues[rows, first] = False
    second = cues.argmax(axis=1)
    has_second = has_first & cues[rows, second]
    no_end = R[:, _R_ENDS_SENTENCE] == 0
    short = R[:, _R_LOG_CHARS] < 4.4
    texts, link = _CUE_TEXTS, R[:, _R_LINK].tolist()
    out = []
    for i, p in enumerate(proba.tolist()):
        if caption[i]:
            out.append(f"dropped: reads like a caption (no sentence ending; score {p:.2f})")
            continue
        if has_first[i]:
            a = first[i]
            cue = texts[a] or f"mostly link text ({link[i]:.0%})"
            if has_second[i]:
                b = second[i]
                cue = f"{cue}; {texts[b] or f'mostly link text ({link[i]:.0%})'}"
        elif no_end[i]:
            cue = "short line without a sentence ending" if short[i] else "no sentence ending"
        else:
            cue = "unlike article prose"
        out.append(f"dropped: {cue} (score {p:.2f})")
    return out


_HINT_REASONS = (
    ("hint_nav", "inside navigation (class/id)"),
    ("sem_nav", "inside <nav>"),
    ("hint_popular", "inside a popular/ranking list (class/id)"),
    ("hint_related", "inside a related-content block (class/id)"),
    ("hint_comment", "inside a comment section (class/id)"),
    ("hint_share", "inside a share bar (class/id)"),
    ("hint_ad", "inside an ad (class/id)"),
    ("hint_subscribe", "inside a subscription/cookie/newsletter box (class/id)"),
    ("sem_footer", "inside <footer>"),
    ("hint_footer", "inside a footer (class/id)"),
    ("sem_aside", "inside <aside>"),
    ("hint_side", "inside a sidebar (class/id)"),
    ("sem_figure", "image caption"),
    ("hint_caption", "caption or media credit (class/id)"),
    ("sem_h1", "headline"),
)


#: Columns the reasons read, in this order (see _R_* below).
_REASON_COLUMNS = [_F[name] for name in ("mode_text", "ends_sentence", "link_density", "bullet_only",
                                         "dup_count", "boiler_words", "log_chars")]
_REASON_COLUMNS += [_F[name] for name, _ in _HINT_REASONS]
_R_MODE_TEXT, _R_ENDS_SENTENCE, _R_LINK, _R_BULLET, _R_DUP, _R_BOILER, _R_LOG_CHARS = range(7)
_R_FIRST_HINT = 7  # then the _HINT_REASONS columns, in order
#: The cues of a dropped line in the order they rank ("" is the link-text cue,
#: whose text holds the line's link share).
_CUE_TEXTS = ("list bullet or separator", "", *(text for _, text in _HINT_REASONS),
              "text repeated on the page", "boilerplate wording")
