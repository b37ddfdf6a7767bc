"""Line weights for training: a comment thread is boilerplate even when it is good prose.

Comment threads are few lines of the data but long ones, and they read like
the story: the lines that l3s-gn1 annotates as comments (its ``segments``)
and those of dragnet's comment gold (its ``comments`` field) are boilerplate
by our labels already, and count COMMENT_WEIGHT times a line in training.
cleaneval's gold keeps the comments of a page as text, so its labels would
teach the opposite: its lines inside a comment box (a class naming comments
at most COMMENT_BOX_DEPTH steps up the tag path) are left out (weight 0).
Measured out of fold in docs/benchmarks.md (Article levers).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from boilerplate.features import FEATURE_NAMES
from training.corpus import Page, iter_dataset
from training.labels import Featurized, align_labels

#: A comment line weighs this many dataset lines (3 against 1: the comment
#: leak fell without a loss of article F1; see the levers section).
COMMENT_WEIGHT = 3.0
#: Datasets whose gold keeps user comments as text (their comment boxes weigh 0).
COMMENTS_IN_GOLD = ("cleaneval",)
#: A class naming comments this many steps up the tag path or nearer marks a comment box.
COMMENT_BOX_DEPTH = 4
_DEPTH = FEATURE_NAMES.index("depth_comment")


def comment_gold(page: Page) -> str:
    """The text of a page's comments where the dataset annotates them ("" elsewhere)."""
    if page.dataset == "l3s-gn1":
        return "\n".join(text for label, text in page.extra.get("segments") or () if label == "comments")
    if page.dataset == "dragnet":
        return str(page.extra.get("comments") or "")
    return ""


def line_weights(views: Sequence[Featurized], data_dir: Path | None) -> list[np.ndarray]:
    """A weight per line of each view: COMMENT_WEIGHT for annotated comment lines, 0 for the
    comment boxes of COMMENTS_IN_GOLD, else the view's own weight (1 when it has none)."""
    gold: dict[tuple[str, str], str] = {}
    if data_dir is not None:
        for name in sorted({v.dataset for v in views} & {"l3s-gn1", "dragnet"}):
            gold.update({(name, page.id): comment_gold(page) for page in iter_dataset(data_dir, name)})
    # A text view has its page's lines but no markup: its boxes are those of the HTML view.
    boxes = {(v.dataset, v.id): (v.X[:, _DEPTH] > 0) & (v.X[:, _DEPTH] <= COMMENT_BOX_DEPTH)
             for v in views if v.kind == "html" and v.dataset in COMMENTS_IN_GOLD}
    weights = []
    for view in views:
        # The view's own weights first (snippet gold and list markers weigh 0 where they decide nothing).
        w = np.ones(len(view.y)) if view.weight is None else np.array(view.weight, dtype=np.float64)
        text = gold.get((view.dataset, view.id))
        if text:
            w[align_labels(view.texts, text) > 0] = COMMENT_WEIGHT
        box = boxes.get((view.dataset, view.id))
        if box is not None and len(box) == len(w):
            w[box] = 0.0
        weights.append(w)
    return weights
