"""The article as a region: where the story is as a whole, from the first stage's probabilities.

Stage one scores each line on its own. The story is also a place on the page:
the block that holds most of the probable story text (at each ancestor level)
and the densest contiguous run of probable story lines. Stage two reads, for
each line, whether it is inside them and how far from them it is, so that a
line far from the story needs stronger evidence of its own. Flattened text
has no blocks: only the run columns carry information there.
"""

from __future__ import annotations

import numpy as np

__all__ = ["REGION_NAMES", "region_columns"]

#: Ancestor levels whose heaviest block is "the story's container" (line_groups' four).
_LEVELS = 4
#: A line is probable story text from this first-stage probability on (the stage-two span's).
_PROBABLE = 0.5
REGION_NAMES: tuple[str, ...] = (
    *(f"story{k + 1}_{what}" for k in range(_LEVELS) for what in ("in", "share")),
    "story_run_in", "story_run_dist", "story_run_share", "story_span_dist",
)


def region_columns(proba: np.ndarray, groups: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """The (lines x REGION_NAMES) float32 columns of one page.

    ``proba`` is stage one's content probability per line, ``groups``
    ``features.line_groups`` and ``chars`` the lines' characters.
    """
    n = len(proba)
    out = np.zeros((n, len(REGION_NAMES)), dtype=np.float32)
    if n == 0:
        return out
    mass = chars * proba
    total = max(float(mass.sum()), 1e-9)
    for level in range(_LEVELS):
        _, inverse = np.unique(groups[:, level], return_inverse=True)
        sums = np.bincount(inverse, weights=mass)
        heaviest = int(sums.argmax())
        out[:, 2 * level] = inverse == heaviest
        out[:, 2 * level + 1] = sums[heaviest] / total
    start, end = _densest_run(chars * (proba - _PROBABLE))
    idx = np.arange(n)
    dist = np.maximum(start - idx, 0) + np.maximum(idx - end, 0)
    col = 2 * _LEVELS
    out[:, col] = dist == 0
    out[:, col + 1] = np.log1p(dist)
    out[:, col + 2] = float(mass[start:end + 1].sum()) / total
    # Distance to the span of the heaviest deepest container's lines.
    inside = np.flatnonzero(out[:, 0] > 0)
    out[:, col + 3] = np.log1p(np.maximum(inside[0] - idx, 0) + np.maximum(idx - inside[-1], 0))
    return out


def _densest_run(values: np.ndarray) -> tuple[int, int]:
    """Bounds of the contiguous run of lines with the largest sum of ``values``."""
    prefix = np.concatenate(([0.0], values.cumsum()))
    lowest = np.minimum.accumulate(prefix[:-1])
    end = int((prefix[1:] - lowest).argmax())
    return end - int((prefix[end::-1] == lowest[end]).argmax()), end
