"""Training line weights (training/weights.py): comment threads weigh more, cleaneval's comment boxes nothing."""

from __future__ import annotations

import numpy as np

from boilerplate.features import FEATURE_NAMES
from training.labels import Featurized
from training.weights import COMMENT_WEIGHT, line_weights

_DEPTH = FEATURE_NAMES.index("depth_comment")


def _view(dataset, kind="html", depths=(0, 2, 6)):
    X = np.zeros((3, len(FEATURE_NAMES)), np.float32)
    if kind == "html":
        X[:, _DEPTH] = depths
    texts = ["The story says one thing about the council and its vote.",
             "A reader writes that the council was wrong to vote that way.",
             "Another reader agrees with the story and its account of the vote."]
    return Featurized(dataset, "1", "site", kind, texts, X, np.zeros(3, np.int8), np.zeros((3, 5), np.int64))


def test_cleaneval_comment_boxes_weigh_nothing_in_both_views():
    html, text, other = _view("cleaneval"), _view("cleaneval", "text"), _view("big9")
    weights = line_weights([html, text, other], None)
    # Depth 2 is a comment box; depth 6 is a class far up (a page-wide one): not.
    assert weights[0].tolist() == [1, 0, 1] and weights[1].tolist() == [1, 0, 1]
    assert weights[2].tolist() == [1, 1, 1]


def test_annotated_comment_lines_weigh_more(tmp_path):
    import gzip
    import json

    folder = tmp_path / "dragnet"
    folder.mkdir()
    record = {"id": "1", "html": "<p>x</p>", "body": "The story says one thing about the council and its vote.",
              "comments": "A reader writes that the council was wrong to vote that way."}
    with gzip.open(folder / "pages.jsonl.gz", "wt") as f:
        f.write(json.dumps(record) + "\n")
    weights = line_weights([_view("dragnet")], tmp_path)
    assert weights[0].tolist() == [1, COMMENT_WEIGHT, 1]
