"""The lever columns of training/benchmarks/levers.py on small pages whose answers are known."""

from __future__ import annotations

import numpy as np

from boilerplate.features import featurize, line_groups
from boilerplate.segment import from_html
from training.corpus import Page
from training.benchmarks.levers import (
    DEPTH_HINTS, comment_mask, container_mass_columns, hint_depths, page_hint_depths,
    page_rank_columns, path_fanout_columns, trafilatura_columns,
)

PAGE = """<html><body>
<div class="story"><p>First paragraph of the story, long enough to read as prose.</p>
<p>Second paragraph of the story, also long enough to read as prose here.</p></div>
<ol class="commentlist">
<li class="comment"><p>A reader says the story is wrong about many things.</p></li>
<li class="comment"><p>Another reader disagrees with the first reader here.</p></li>
<li class="comment"><p>A third reader wants a word with the editor now.</p></li>
</ol></body></html>"""


def _doc():
    doc = from_html(PAGE)
    return doc, featurize(doc), line_groups(doc)


def test_hint_depth_counts_levels_up_to_the_nearest_named_class():
    comment = DEPTH_HINTS.index("comment")
    assert hint_depths("div.story>p")[comment] == 0
    assert hint_depths("ol.commentlist>li.comment>p")[comment] == 2
    assert hint_depths("ol.commentlist>li>p")[comment] == 3
    assert hint_depths("")[comment] == 0


def test_page_hint_depths_follow_the_segmentation():
    doc, _, _ = _doc()
    depths = page_hint_depths(Page("d", "1", "s", PAGE, "", None, None, {}))
    comment = DEPTH_HINTS.index("comment")
    assert depths.shape == (len(doc.lines), len(DEPTH_HINTS))
    assert [int(d) for d in depths[:, comment]] == [0, 0, 2, 2, 2]


def test_path_fanout_tells_comment_threads_from_paragraphs():
    doc, X, groups = _doc()
    cols = path_fanout_columns(np.full(len(doc.lines), 0.5), X, groups)
    # The story's two paragraphs share one path under one container; the
    # three comments share one path under three <li> containers.
    assert np.expm1(cols[:, 0]).round().tolist() == [1, 1, 3, 3, 3]


def test_page_rank_puts_the_most_probable_text_first():
    doc, X, _ = _doc()
    p = np.array([0.9, 0.8, 0.4, 0.3, 0.2])
    cols = page_rank_columns(p, X)
    assert cols[0, 0] == 0.0 and (np.diff(cols[:, 0]) > 0).all()
    assert page_rank_columns(np.zeros(0), X[:0]).shape == (0, 10)


def test_container_mass_shares_sum_to_one_per_level():
    doc, X, groups = _doc()
    p = np.array([0.9, 0.8, 0.4, 0.3, 0.2])
    cols = container_mass_columns(p, X, groups)
    inverse = groups[:, 0]
    share = {g: s for g, s in zip(inverse.tolist(), cols[:, 0].tolist())}
    assert abs(sum(share.values()) - 1.0) < 1e-5


def test_trafilatura_columns_mark_lines_in_its_output():
    cols = trafilatura_columns(["a  b", "c", "d"], "x a b y\nd")
    assert cols[:, 0].tolist() == [1.0, 0.0, 1.0]
    assert (trafilatura_columns(["a"], None) == -1).all()


def test_comment_mask_drops_only_cleaneval_comment_lines():
    class V:
        def __init__(self, dataset):
            self.dataset, self.id, self.y = dataset, "1", np.zeros(3)

    comment = DEPTH_HINTS.index("comment")
    depths = np.zeros((3, len(DEPTH_HINTS)), np.float32)
    depths[1, comment] = 2
    masks = comment_mask([V("cleaneval"), V("dragnet")], {("cleaneval", "1"): depths, ("dragnet", "1"): depths})
    assert masks[0].tolist() == [1, 0, 1] and masks[1].tolist() == [1, 1, 1]
