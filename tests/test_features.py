"""boilerplate.features: the feature matrix of a Document."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from conftest import col, doc_from, features_of, fixture_bytes, html_page, line

from boilerplate.document import Document
from boilerplate.features import (
    FEATURE_NAMES,
    FEATURE_VERSION,
    STAGE2_NAMES,
    featurize,
    line_groups,
    stage2_features,
)
from boilerplate.hints import HINTS
from boilerplate.segment import from_html, from_text
from boilerplate.walk import ANCESTOR_LEVELS, SEM

N = len(FEATURE_NAMES)

#: Columns that only HTML markup can set (and their context columns).
MARKUP_PREFIXES = ("link_density", "depth", "path_repeat", "path_link_share", "tag_", "sem_",
                   "hint_", "own_", "mass_")
MARKUP_COLUMNS = [n for n in FEATURE_NAMES if n.startswith(MARKUP_PREFIXES)]

PROSE = "The council approved the new budget on Tuesday after a long debate."


# --------------------------------------------------------------------------- names and shape


def test_feature_names_are_unique_strings():
    assert isinstance(FEATURE_NAMES, tuple)
    assert all(isinstance(n, str) and n for n in FEATURE_NAMES)
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)


def test_feature_version_is_an_int():
    assert type(FEATURE_VERSION) is int
    assert FEATURE_VERSION >= 1


def test_every_sem_and_hint_bit_has_columns():
    for name in SEM:
        assert f"sem_{name}" in FEATURE_NAMES
    for name in HINTS:
        assert f"hint_{name}" in FEATURE_NAMES
        assert f"own_{name}" in FEATURE_NAMES
    assert len(MARKUP_COLUMNS) > len(SEM) + 2 * len(HINTS)


def test_matrix_shape_and_dtype():
    doc = from_html(html_page("<h1>Title</h1><p>One.</p><p>Two.</p><ul><li>Item</li></ul>"))
    X = featurize(doc)
    assert X.shape == (4, N)
    assert X.dtype == np.float32
    assert np.isfinite(X).all()


@pytest.mark.parametrize("kind", ["html", "text"])
def test_empty_document(kind):
    X = featurize(Document(kind=kind, lines=()))
    assert X.shape == (0, N)
    assert X.dtype == np.float32


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("kind", ["html", "text"])
def test_one_and_two_line_documents(kind, n):
    doc = doc_from(*[PROSE] * n, kind=kind)
    X = featurize(doc)
    assert X.shape == (n, N)
    assert np.isfinite(X).all()
    assert col(X, "rel_pos")[0] == 0.0
    if n == 2:
        assert col(X, "rel_pos")[1] == 1.0


def test_fixture_page_matrix_is_finite():
    doc = from_html(fixture_bytes("wordpress_blog"))
    X = featurize(doc)
    assert X.shape == (len(doc.lines), N)
    assert np.isfinite(X).all()


# --------------------------------------------------------------------------- text mode


def test_text_mode_has_all_markup_columns_zero_and_mode_text_one():
    # Even when the Lines carry markup fields, a text document ignores them.
    _, X = features_of(
        line("Home", tag="li", sem=SEM["nav"], hints=HINTS["nav"], own_hints=HINTS["nav"],
             link_chars=4, depth=5, path="html>body>nav>ul>li", ancestors=(3, 2, 1)),
        line(PROSE, tag="p", depth=3, path="html>body>p"),
        line("Share this", tag="a", link_chars=10, hints=HINTS["share"]),
        kind="text",
    )
    for name in MARKUP_COLUMNS:
        assert not col(X, name).any(), name
    assert (col(X, "mode_text") == 1).all()
    assert (col(X, "p_or_text") == 1).all()


def test_text_mode_from_text_document():
    doc = from_text("Home\nNews\n" + PROSE + "\n")
    X = featurize(doc)
    assert X.shape == (3, N)
    for name in MARKUP_COLUMNS:
        assert not col(X, name).any(), name
    assert (col(X, "mode_text") == 1).all()


def test_html_mode_has_mode_text_zero_and_markup_columns_set():
    doc = from_html(html_page("<nav><a href='/'>Home</a></nav><p>" + PROSE + "</p>"))
    X = featurize(doc)
    assert (col(X, "mode_text") == 0).all()
    assert col(X, "sem_nav").tolist() == [1.0, 0.0]
    assert col(X, "tag_p").tolist() == [0.0, 1.0]
    assert col(X, "p_or_text").tolist() == [0.0, 1.0]


# --------------------------------------------------------------------------- per-line features


def test_link_density():
    _, X = features_of(
        line("0123456789", link_chars=0),
        line("0123456789", link_chars=4),
        line("0123456789", link_chars=10),
        line("0123456789", link_chars=25),  # clipped to 1
    )
    assert col(X, "link_density").tolist() == pytest.approx([0.0, 0.4, 1.0, 1.0])


@pytest.mark.parametrize("text, expected", [
    ("A full sentence.", 1),
    ("Is it a question?", 1),
    ("What a day!", 1),
    ("He said “it is over.”", 1),
    ("東京都内で会見した。", 1),
    ("No ending here", 0),
    ("Read more:", 0),
    ("v1.2 released", 0),
])
def test_ends_sentence(text, expected):
    _, X = features_of(text)
    assert col(X, "ends_sentence")[0] == expected


def test_ends_colon():
    _, X = features_of("Read more:", "Not a colon")
    assert col(X, "ends_colon").tolist() == [1.0, 0.0]


@pytest.mark.parametrize("text, bullet, bullet_only", [
    ("•", 1, 1),
    ("|", 0, 1),
    ("1.", 1, 1),
    ("- a dashed item", 1, 0),
    ("3) third point", 1, 0),
    ("Plain words", 0, 0),
])
def test_bullets(text, bullet, bullet_only):
    _, X = features_of(text)
    assert col(X, "bullet")[0] == bullet
    assert col(X, "bullet_only")[0] == bullet_only


@pytest.mark.parametrize("text, date, date_only", [
    ("16:20 JST, May 10, 2023", 1, 1),
    ("2024-06-03", 1, 1),
    ("Updated 2 hours ago", 1, 1),
    ("2024年7月18日 05時00分", 1, 1),
    ("On May 10, 2023 the council approved the new budget after a long and heated debate.",
     1, 0),
    ("The council approved the budget.", 0, 0),
])
def test_date_and_date_only(text, date, date_only):
    _, X = features_of(text)
    assert col(X, "date")[0] == date
    assert col(X, "date_only")[0] == date_only


def test_cjk_ratio():
    _, X = features_of("日本語の記事", "東京都内で会見した。", "English only", "Mixed 日本")
    assert col(X, "cjk_ratio").tolist() == pytest.approx([1.0, 0.9, 0.0, 2 / 8])


def test_lengths_are_counted_in_characters_for_cjk():
    ja = "利用者の減少が続く私鉄氷見川線の存続をめぐり、沿線の３市町は支援案を示した。"
    _, X = features_of(ja)
    assert col(X, "log_chars")[0] == pytest.approx(math.log1p(len(ja)), rel=1e-6)
    assert col(X, "log_chars")[0] != pytest.approx(math.log1p(len(ja.encode("utf-8"))))
    assert col(X, "log_words")[0] == pytest.approx(math.log1p(1))  # no spaces: one "word"


def test_word_and_char_counts():
    _, X = features_of("three short words")
    assert col(X, "log_chars")[0] == pytest.approx(math.log1p(17))
    assert col(X, "log_words")[0] == pytest.approx(math.log1p(3))


def test_dup_count_and_byline_and_quote_start():
    _, X = features_of("Share", "By Jane Doe", "Share", "“A quote,” she said.", "Share")
    assert col(X, "dup_count").tolist() == [2.0, 0.0, 2.0, 0.0, 2.0]
    assert col(X, "byline").tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]
    assert col(X, "quote_start").tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]


def test_boiler_words_and_separators():
    _, X = features_of("Share | Tweet | Subscribe", PROSE)
    assert col(X, "boiler_words").tolist() == [3.0, 0.0]
    assert col(X, "separators").tolist() == [2.0, 0.0]


def test_sem_hint_and_tag_columns_follow_the_line_bits():
    _, X = features_of(
        line("In nav", tag="li", sem=SEM["nav"] | SEM["li"], hints=HINTS["nav"] | HINTS["list"],
             own_hints=HINTS["list"]),
        line("Caption", tag="figcaption", sem=SEM["figure"]),
        line("Heading", tag="h2", sem=SEM["heading"]),
        line("Unknown tag", tag="span"),
    )
    assert col(X, "sem_nav").tolist() == [1, 0, 0, 0]
    assert col(X, "sem_li").tolist() == [1, 0, 0, 0]
    assert col(X, "sem_figure").tolist() == [0, 1, 0, 0]
    assert col(X, "hint_nav").tolist() == [1, 0, 0, 0]
    assert col(X, "own_nav").tolist() == [0, 0, 0, 0]
    assert col(X, "own_list").tolist() == [1, 0, 0, 0]
    assert col(X, "tag_li").tolist() == [1, 0, 0, 0]
    assert col(X, "tag_caption").tolist() == [0, 1, 0, 0]
    assert col(X, "tag_h2_6").tolist() == [0, 0, 1, 0]
    assert col(X, "tag_other").tolist() == [0, 0, 0, 1]
    tag_cols = [n for n in FEATURE_NAMES if n.startswith("tag_")]
    assert (X[:, [FEATURE_NAMES.index(n) for n in tag_cols]].sum(axis=1) == 1).all()


def test_path_repeat_and_depth():
    _, X = features_of(
        line("a", path="html>body>ul>li", depth=3),
        line("b", path="html>body>ul>li", depth=3),
        line("c", path="html>body>ul>li", depth=3),
        line("d", path="html>body>p", depth=2),
    )
    assert col(X, "path_repeat").tolist() == pytest.approx([math.log1p(2)] * 3 + [0.0])
    assert col(X, "depth").tolist() == [3, 3, 3, 2]


def test_position_columns():
    _, X = features_of("aa", "bbbb", "cccccc")
    assert col(X, "rel_pos").tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert col(X, "rel_char_pos").tolist() == pytest.approx([0.0, 2 / 12, 6 / 12])
    assert col(X, "char_share").tolist() == pytest.approx([2 / 12, 4 / 12, 6 / 12])
    assert col(X, "log_n_lines").tolist() == pytest.approx([math.log1p(3)] * 3)
    assert col(X, "log_page_chars").tolist() == pytest.approx([math.log1p(12)] * 3)


def test_context_columns_on_a_three_line_document():
    _, X = features_of(
        line("Home", link_chars=4),
        line(PROSE),
        line("Short", link_chars=0),
    )
    lc = col(X, "log_chars")
    assert col(X, "log_chars_prev").tolist() == pytest.approx([0.0, lc[0], lc[1]])
    assert col(X, "log_chars_next").tolist() == pytest.approx([lc[1], lc[2], 0.0])
    # With three lines, a +-3 window covers the whole page for every line.
    assert col(X, "log_chars_win").tolist() == pytest.approx([lc.mean()] * 3)
    assert col(X, "link_density_prev").tolist() == pytest.approx([0.0, 1.0, 0.0])
    assert col(X, "link_density_next").tolist() == pytest.approx([0.0, 0.0, 0.0])
    assert col(X, "ends_sentence_prev").tolist() == [0.0, 0.0, 1.0]
    assert col(X, "ends_sentence_next").tolist() == [1.0, 0.0, 0.0]
    assert col(X, "ends_sentence_win").tolist() == pytest.approx([1 / 3] * 3)


def test_densest_region_columns():
    long = PROSE * 2  # well over the region penalties
    _, X = features_of(
        line("Home", link_chars=4), line("News", link_chars=4),
        line(long), line(long), line(long),
        line("Related story headline", link_chars=22),
    )
    assert col(X, "region40_in").tolist() == [0, 0, 1, 1, 1, 0]
    assert col(X, "region40_dist").tolist() == pytest.approx(
        [math.log1p(2), math.log1p(1), 0, 0, 0, math.log1p(1)])


# --------------------------------------------------------------------------- determinism


def test_deterministic():
    raw = fixture_bytes("captions_quotes")
    first = featurize(from_html(raw))
    second = featurize(from_html(raw))
    assert np.array_equal(first, second)
    doc = doc_from("One.", "Two", "Three!", kind="text")
    assert np.array_equal(featurize(doc), featurize(doc))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=80).filter(str.strip), max_size=12),
       st.sampled_from(["html", "text"]))
def test_any_document_gives_a_finite_matrix(items, kind):
    doc = from_text("\n".join(items)) if kind == "text" else from_html(
        html_page("".join(f"<p>{t}</p>" for t in items)))
    X = featurize(doc)
    assert X.shape == (len(doc.lines), N)
    assert X.dtype == np.float32
    assert np.isfinite(X).all()


# --------------------------------------------------------------------------- second stage


def s2col(S: np.ndarray, name: str) -> np.ndarray:
    return S[:, STAGE2_NAMES.index(name)]


def test_stage2_names_are_unique():
    assert len(set(STAGE2_NAMES)) == len(STAGE2_NAMES)
    assert STAGE2_NAMES[0] == "p"


def test_line_groups():
    doc = from_html(html_page(
        "<div><p>One.</p><p>Two.</p></div><section><p>Three.</p></section>"))
    G = line_groups(doc)
    assert G.shape == (3, ANCESTOR_LEVELS + 1)
    assert G.dtype == np.int64
    one, two = doc.lines[0], doc.lines[1]
    assert len(one.ancestors) == len(two.ancestors) == 3  # div, body, html
    assert (G[0, :3] == G[1, :3]).all()  # same containers
    assert G[0, -1] == G[1, -1]  # same tag path
    assert G[0, 3] < 0 and G[1, 3] < 0 and G[0, 3] != G[1, 3]  # no 4th container: alone
    assert G[0, 0] != G[2, 0]  # different parent blocks
    assert G[0, -1] != G[2, -1]  # different tag paths
    # Lines without markup context group alone (text mode).
    T = line_groups(from_text("a\nb\nc"))
    for level in range(T.shape[1]):
        assert len(set(T[:, level])) == 3
        assert (T[:, level] < 0).all()


def test_stage2_features():
    doc = from_html(html_page(
        "<nav><a href='/'>Home</a></nav><p>" + PROSE + "</p><p>" + PROSE + " Again.</p>"
        "<footer>Footer</footer>"))
    X = featurize(doc)
    p = np.array([0.1, 0.9, 0.8, 0.2])
    S = stage2_features(p, X, line_groups(doc))
    assert S.shape == (4, len(STAGE2_NAMES))
    assert S.dtype == np.float32
    assert s2col(S, "p") == pytest.approx(p)
    assert s2col(S, "p_prev") == pytest.approx([0.0, 0.1, 0.9, 0.8])
    assert s2col(S, "p_next") == pytest.approx([0.9, 0.8, 0.2, 0.0])
    assert s2col(S, "p_page_max") == pytest.approx([0.9] * 4)
    assert s2col(S, "p_page_mean") == pytest.approx([p.mean()] * 4)
    assert s2col(S, "in_kept_span").tolist() == [0, 1, 1, 0]
    assert s2col(S, "raw_log_chars") == pytest.approx(col(X, "log_chars"))
    assert np.isfinite(S).all()


def test_stage2_features_of_an_empty_page():
    S = stage2_features(np.zeros(0), np.zeros((0, N), np.float32), np.zeros((0, 5), np.int64))
    assert S.shape == (0, len(STAGE2_NAMES))
