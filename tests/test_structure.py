"""Repeated sibling structures (boilerplate/structure.py) on small pages whose answers are known."""

from __future__ import annotations

import math

import numpy as np

from boilerplate.features import FEATURE_NAMES, featurize, line_groups
from boilerplate.segment import from_html, from_text
from boilerplate.structure import STRUCTURE_NAMES, structure_columns

PAGE = """<html><body>
<div class="story"><p>First paragraph of the story, long enough to read as prose.</p>
<p>Second paragraph of the story, also long enough to read as prose here.</p></div>
<ul class="teasers">
<li class="item"><h3><a href="/a">Headline one</a></h3><p>Summary one of a story that reads like prose...</p></li>
<li class="item"><h3><a href="/b">Headline two</a></h3><p>Summary two of a story that reads like prose...</p></li>
<li class="item"><h3><a href="/c">Headline three</a></h3><p>Summary three of a story that reads like prose...</p></li>
</ul>
<ol class="comments">
<li class="comment"><p>Ann, 12 May 2024</p><p>A reader says the story is wrong about many things.</p></li>
<li class="comment"><p>Bob, 13 May 2024</p><p>Another reader disagrees with the first reader here.</p></li>
</ol></body></html>"""
_F = {name: i for i, name in enumerate(FEATURE_NAMES)}
_S = {name: i for i, name in enumerate(STRUCTURE_NAMES)}


def _columns(doc):
    groups = line_groups(doc)
    X = featurize(doc, groups)
    chars = np.array([len(line.text) for line in doc.lines], dtype=np.float64)
    links = np.array([line.link_chars for line in doc.lines], dtype=np.float64)
    return structure_columns(groups, chars, links, X[:, _F["date"]] > 0)


def _col(S, name):
    return S[:, _S[name]].round(3).tolist()


def test_teaser_items_repeat_their_structure_and_story_paragraphs_do_not():
    S = _columns(from_html(PAGE))
    # Each teaser's headline and summary sit in one <li> of three under one <ul>.
    records = [round(math.expm1(v)) for v in _col(S, "rep1_records")]
    assert records[:2] == [1, 1]
    assert records[2:8] == [3] * 6
    assert _col(S, "rep1_link")[2:8] == [1.0] * 6
    assert _col(S, "rep1_link")[:2] == [0.0, 0.0]


def test_comment_records_hold_a_date_line():
    S = _columns(from_html(PAGE))
    assert [round(math.expm1(v)) for v in _col(S, "rep1_records")[8:]] == [2] * 4
    assert _col(S, "rep1_date")[8:] == [1.0] * 4
    assert _col(S, "rep1_link")[8:] == [0.0] * 4
    # Each comment holds its date line and its text.
    chars = len("Ann, 12 May 2024") + len("A reader says the story is wrong about many things.")
    assert math.expm1(S[8, _S["rep1_chars"]]) > chars - 5


def test_page_wide_columns_count_the_records_of_a_path_wherever_they_sit():
    page = ("<html><body>" + "".join(
        f'<div class="row"><div class="card"><div class="inner"><div class="name"><a href="/{i}">'
        f'Product {i}</a></div><div class="price">$ {i}9.00</div></div></div></div>'
        for i in range(5)) + "</body></html>")
    S = _columns(from_html(page))
    # Cards in rows of one: no list repeats them at levels 1-3 under one parent...
    assert round(math.expm1(S[0, _S["rep1_records"]])) == 1
    # ...but the page holds five records of the same path.
    assert [round(math.expm1(v)) for v in _col(S, "rep_page_records")] == [5] * 10
    # Each record (the card's inner block) holds the name's link line.
    assert set(_col(S, "rep_page_link")) == {1.0}


def test_text_mode_and_empty_pages():
    doc = from_text("One line.\nAnother line.")
    S = _columns(doc)
    assert S.shape == (2, len(STRUCTURE_NAMES)) and S.dtype == np.float32
    empty = structure_columns(np.zeros((0, 5), np.int64), np.zeros(0), np.zeros(0), np.zeros(0, bool))
    assert empty.shape == (0, len(STRUCTURE_NAMES))


def test_shares_of_the_page_sum_over_a_structure():
    S = _columns(from_html(PAGE))
    doc = from_html(PAGE)
    own = np.array([len(line.text) - line.link_chars for line in doc.lines], dtype=np.float64)
    summaries = own[[3, 5, 7]].sum() / own.sum()
    assert abs(S[3, _S["rep1_share"]] - summaries) < 1e-6


def test_hint_depth_counts_steps_up_to_the_nearest_named_class():
    from boilerplate.structure import HINT_DEPTH_NAMES, hint_depth_columns

    page = """<html><body><div class="story"><p>First paragraph of the story.</p></div>
    <ol class="commentlist"><li class="comment"><p>A reader says so.</p></li>
    <li><p>Another reader disagrees.</p></li></ol><p>Loose line</p></body></html>"""
    doc = from_html(page)
    depth = hint_depth_columns([line.path for line in doc.lines], line_groups(doc))
    comment = HINT_DEPTH_NAMES.index("depth_comment")
    content = HINT_DEPTH_NAMES.index("depth_content")
    assert depth[:, comment].tolist() == [0, 2, 3, 0]
    assert depth[:, content].tolist() == [2, 0, 0, 0]  # "story" names content, a step above <p>
    assert depth.shape == (4, len(HINT_DEPTH_NAMES)) and depth.dtype == np.float32
    assert hint_depth_columns([], np.zeros((0, 5), np.int64)).shape == (0, len(HINT_DEPTH_NAMES))
