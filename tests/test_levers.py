"""The lever columns of training/benchmarks/levers.py on small pages whose answers are known."""

from __future__ import annotations

import numpy as np

from boilerplate.features import FEATURE_NAMES, STAGE2_NAMES, featurize, line_groups
from boilerplate.region import REGION_NAMES
from boilerplate.segment import from_html
from boilerplate.structure import COLUMN_NAMES
from training.benchmarks.levers import (
    STAGE1_COLUMNS, STAGE2_COLUMNS, VARIANTS, container_mass_columns, page_rank_columns,
    path_fanout_columns, trafilatura_columns,
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


def test_issue_11s_design_is_the_shipped_one_without_issue_13s_columns():
    before = [FEATURE_NAMES[i] for i in STAGE1_COLUMNS["before"]]
    assert before == [name for name in FEATURE_NAMES if name not in COLUMN_NAMES]
    # 130 columns after issue 11, 141 with issue 12's (languages, lists); 30 and 34 in stage two.
    assert len(before) == 141 and len(STAGE1_COLUMNS["shipped"]) == len(FEATURE_NAMES)
    stage2 = [STAGE2_NAMES[i] for i in STAGE2_COLUMNS["before"]]
    assert len(stage2) == 34 and not set(stage2) & set(REGION_NAMES)
    assert not any(name.startswith("raw_depth_") for name in stage2)
    assert VARIANTS["shipped"].weights and not VARIANTS["before"].weights
