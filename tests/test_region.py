"""The article as a region (boilerplate/region.py): the story's container and densest run."""

from __future__ import annotations

import numpy as np

from boilerplate.features import line_groups
from boilerplate.region import REGION_NAMES, region_columns
from boilerplate.segment import from_html, from_text

PAGE = """<html><body>
<div class="nav"><p>Home</p><p>World</p></div>
<div class="story"><p>First paragraph of the story, long enough to read as prose here.</p>
<p>Second paragraph of the story, long enough to read as prose as well.</p>
<p>Third paragraph of the story, which also reads as prose from end to end.</p></div>
<div class="related"><p>A related story that the first stage likes a bit too much.</p></div>
</body></html>"""
_R = {name: i for i, name in enumerate(REGION_NAMES)}


def _columns(doc, proba):
    chars = np.array([len(line.text) for line in doc.lines], dtype=np.float64)
    return region_columns(np.asarray(proba, dtype=np.float64), line_groups(doc), chars)


def test_lines_of_the_heaviest_container_are_in_the_story():
    doc = from_html(PAGE)
    R = _columns(doc, [0.1, 0.1, 0.9, 0.9, 0.9, 0.6])
    assert R[:, _R["story1_in"]].tolist() == [0, 0, 1, 1, 1, 0]
    chars = np.array([len(line.text) for line in doc.lines])
    mass = chars * np.array([0.1, 0.1, 0.9, 0.9, 0.9, 0.6])
    assert abs(R[0, _R["story1_share"]] - mass[2:5].sum() / mass.sum()) < 1e-6
    # <body> holds every line: the container two levels up is the whole page.
    assert R[:, _R["story2_in"]].tolist() == [1] * 6


def test_the_densest_run_and_the_distance_to_it():
    doc = from_html(PAGE)
    R = _columns(doc, [0.1, 0.1, 0.9, 0.9, 0.9, 0.6])
    assert R[:, _R["story_run_in"]].tolist() == [0, 0, 1, 1, 1, 1]
    assert np.expm1(R[:, _R["story_run_dist"]]).round().tolist() == [2, 1, 0, 0, 0, 0]
    # The related line sits right after the story's container.
    assert np.expm1(R[:, _R["story_span_dist"]]).round().tolist() == [2, 1, 0, 0, 0, 1]


def test_text_mode_has_only_the_run():
    doc = from_text("Menu\nA long line of the story that reads as prose.\nAnother long line of it.\nFooter")
    R = _columns(doc, [0.1, 0.9, 0.8, 0.1])
    assert R[:, _R["story_run_in"]].tolist() == [0, 1, 1, 0]
    # Each text line is its own container: the heaviest holds one line.
    assert R[:, _R["story1_in"]].sum() == 1


def test_an_empty_page():
    empty = region_columns(np.zeros(0), np.zeros((0, 5), np.int64), np.zeros(0))
    assert empty.shape == (0, len(REGION_NAMES)) and empty.dtype == np.float32
