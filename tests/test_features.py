"""boilerplate.features: the feature matrix of a Document."""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from conftest import PAGES, col, doc_from, features_of, fixture_bytes, html_page, line

from boilerplate import features
from boilerplate.document import Document, Line
from boilerplate.features import (
    FEATURE_NAMES,
    FEATURE_VERSION,
    STAGE2_NAMES,
    featurize,
    line_groups,
    stage2_features,
)
from boilerplate.hints import HINTS
from boilerplate.vocab import VOCABULARY_PATH, cjk_pairs, terms
from boilerplate.segment import from_html, from_text, segment
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


@pytest.mark.parametrize("text, sent_ends, ends", [
    ("東京都は晴れ。次に大阪へ行った。", 2, 1),  # no space after 。: still two sentences
    ("「そうだ。」と言った", 1, 0),
    ("他说：“好的！”", 1, 1),  # the closer after ！ ends the line
    ("هل هذا صحيح؟", 1, 1),  # Arabic question mark
    ("यह एक वाक्य है।", 1, 1),  # Devanagari danda
    ("Τι κάνεις;", 1, 1),  # the Greek question mark (U+037E)
    ("ይህ ነው።", 1, 1),  # Ethiopic full stop
])
def test_sentence_ends_of_other_scripts(text, sent_ends, ends):
    text = text.replace(";", "\u037e")
    _, X = features_of(text)
    assert col(X, "sent_ends")[0] == sent_ends
    assert col(X, "ends_sentence")[0] == ends


@pytest.mark.parametrize("text, bullet", [
    ("1.「見出し」の記事", 1), ("１．東京の話", 1), ("3、第三条", 1), ("② 二つ目", 1), ("・項目", 1),
    ("★ 注目", 1), ("1.5 million", 0), ("2019年の話", 0),
])
def test_bullets_and_numbers_of_cjk_lists(text, bullet):
    _, X = features_of(text)
    assert col(X, "bullet")[0] == bullet


@pytest.mark.parametrize("text, date", [
    ("2024년 10월 13일 오후 3:20", 1), ("3시간 전", 1), ("5分钟前", 1), ("3時間前", 1),
    ("12 декабря 2011", 1), ("5 минут назад", 1), ("vor 5 Minuten", 1), ("12 grudnia 2011 r.", 1),
    ("Декабрь был холодным.", 0),  # a month name without a number
    ("минут назад", 0),
])
def test_dates_in_other_languages(text, date):
    _, X = features_of(text)
    assert col(X, "date")[0] == date


def test_tokens_and_function_share_are_the_same_in_every_script():
    """Words plus CJK characters; prose is dense in function words and characters, a menu is not."""
    _, X = features_of("The council met on Tuesday and it approved the plan.", "Home News Sport Weather",
                       "市议会周二开会，批准了这个计划。", "首页 新闻 体育 天气")
    assert col(X, "log_tokens").tolist() == pytest.approx(np.log1p([10, 4, 14, 8]))
    share = col(X, "function_share")
    assert share[0] > 0.3 and share[2] > 0.2
    assert share[1] == 0 and share[3] < share[2]


def test_lengths_against_the_page():
    _, X = features_of("aa", "bbbb", "bbbb", "cccccccc")
    assert col(X, "len_rank").tolist() == pytest.approx([0, 1.5 / 3, 1.5 / 3, 1])
    assert col(X, "len_vs_median").tolist() == pytest.approx(np.log([0.5, 1, 1, 2]))


def test_numbered_headlines_make_a_ranking_run():
    """Items after a bullet or number (or a bullet-only line, or in <li>) form runs:
    their length, the share that end no sentence, the share numbered one after another."""
    texts = ["アクセスランキング", "1.「見出し」の記事", "2. 二つ目の記事", "3. 三つ目の記事",
             "本文の一文です。", "- ", "Story one headline", "-", "Story two ends here."]
    _, X = features_of(*texts, kind="text")
    assert col(X, "item").tolist() == [0, 1, 1, 1, 0, 0, 1, 0, 1]
    assert col(X, "list_run").tolist() == pytest.approx(np.log1p([0, 3, 3, 3, 0, 2, 2, 2, 2]))
    assert col(X, "run_headline_share").tolist() == pytest.approx([0, 1, 1, 1, 0, .5, .5, .5, .5])
    assert col(X, "run_numbered").tolist() == pytest.approx([0, 1, 1, 1, 0, 0, 0, 0, 0])
    html = from_html(html_page("<p>" + PROSE + "</p><ol><li>First headline</li><li>Second one</li></ol>"))
    X = featurize(html)
    assert col(X, "item").tolist() == [0, 1, 1]
    assert col(X, "list_run").tolist() == pytest.approx(np.log1p([0, 2, 2]))


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
    """The mined vocabulary, every language at once: English, Polish, Chinese pairs (版权, 权所, 所有) and ©."""
    _, X = features_of("Privacy | Subscribe | RSS", "Zaloguj · Reklama", "版权所有 ©", PROSE)
    assert col(X, "boiler_words").tolist() == [3.0, 2.0, 4.0, 0.0]
    assert col(X, "separators").tolist() == [2.0, 1.0, 0.0, 0.0]


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


# ------------------------------------------------------------------- text shape: the reference
#
# The text-shape columns as first written: one plain regex per pattern, run
# over the page (its lines joined by "\n", MULTILINE) with re.finditer, each
# match counted for the line holding its start; character classes counted
# range by range. featurize computes them otherwise (per-code-point tables
# scanned with numpy, regexes tried only where a table lets them), and must
# give the very same numbers: the shipped model was trained on these.

MARKS = ".!?。！？…｡‼⁇⁈⁉؟۔।॥።፧။។།։\u037e"
CLOSERS = "\"'”’»)\\]」』）】〕〉》"
SENT_END = re.compile(rf"[{MARKS}](?:[{CLOSERS}]*)(?=\s|$)|[。！？｡]", re.M)
ENDS_SENT = re.compile(rf"[{MARKS}][{CLOSERS}]*$", re.M)
ENDS_COLON = re.compile(r"[:：]$", re.M)
BULLET = re.compile(r"^(?:[-–—•·*▪►»>◦‣○●■□・◆◇★☆▶▷\u2460-\u2473]|\d{1,3}[.)．、）])"
                    r"(?: |$|(?=[「『【《“\"'\u3040-\u30ff\u3400-\u9fff]))", re.M)
BULLET_ONLY = re.compile(r"^[-–—•·*▪►»>◦‣○●■□・◆◇★☆▶▷|/\d.) ]{1,4}$", re.M)
BYLINE = re.compile(r"^(?:by|von|por|par|di|door|av|af) +\S", re.M)
QUOTE_START = re.compile(r"^[\"“„«'‘「]", re.M)
CAPITALISED = re.compile(r"(?:^|(?<= ))[A-ZÀ-ÖØ-ÞА-ЯΑ-Ω]", re.M)
SEPARATORS = re.compile(r" [|·•/] | » | > ")
MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|januar|februar|märz|"
    r"mai|juni|juli|oktober|dezember|enero|febrero|marzo|abril|mayo|junio|julio|agosto|"
    r"septiembre|octubre|noviembre|diciembre|janvier|février|mars|avril|juin|juillet|"
    r"août|septembre|octobre|novembre|décembre"
)
DATE = re.compile(
    rf"\b\d{{1,2}}:\d{{2}}\b|\b\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}\b|"
    rf"\b\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}\b|\b(?:{MONTHS})\.? +\d{{1,2}}\b|"
    rf"\b\d{{1,2}}\.? *(?:{MONTHS})\b|\d+ *(?:min(?:ute)?s?|hours?|hrs?|days?) +ago|"
    rf"\d{{4}}年\d{{1,2}}月|\d{{1,2}}月\d{{1,2}}日|\d{{1,2}}時|"
    r"\d{4}년|\d{1,2}월 ?\d{1,2}일|\d+ ?(?:秒|分钟|分鐘|分|小时|小時|時間|天|日|週間|周|초|분|시간|일|주) ?(?:前|전)"
)
TEXT_COLUMNS = features._TEXT_COLUMNS
VOCABULARY = json.loads(VOCABULARY_PATH.read_text(encoding="utf-8"))


def vocabulary_words(*lists: str) -> set[str]:
    """The words of some lists of the vocabulary file (of every language)."""
    out: set[str] = set()
    for name in lists:
        value = VOCABULARY.get(name, [])
        out.update(w for words in value.values() for w in words) if isinstance(value, dict) else out.update(value)
    return out


BOILER_TERMS = vocabulary_words("boilerplate")
FUNCTION_WORDS = vocabulary_words("function_words")
MONTHS, AGO, UNITS = (vocabulary_words(name) for name in ("months", "ago", "time_units"))


def reference_vocabulary(text: str) -> tuple[float, float, float, bool]:
    """A line's tokens, boilerplate terms (with ©), function words and characters, and
    whether a month name or an "ago" word with a time unit is in it (boilerplate.vocab.terms)."""
    words, cjk = terms(text)
    boiler = sum(w in BOILER_TERMS for w in words) + sum(p in BOILER_TERMS for p in cjk_pairs(text))
    function = sum(w in FUNCTION_WORDS for w in words) + sum(c in VOCABULARY["function_chars"] for c in cjk)
    dated = any(w in MONTHS for w in words) or (any(w in AGO for w in words) and any(w in UNITS for w in words))
    return len(words) + len(cjk), boiler + text.count("©"), function, dated


def reference_text_shape(texts: list[str]) -> np.ndarray:
    """The text-shape columns of a page's lines, as first written."""
    n = len(texts)
    blob = "\n".join(texts)
    lower = blob.lower()
    lengths = np.array([len(t) for t in texts], dtype=np.float64)
    starts = np.concatenate(([0], np.cumsum(lengths[:-1] + 1))).astype(np.int64)
    chars = np.maximum(lengths, 1.0)
    cps = np.frombuffer((blob + "\n").encode("utf-32-le"), dtype=np.uint32)

    def per_line(ranges):
        mask = np.zeros(cps.shape, dtype=np.int64)
        for lo, hi in ranges:
            mask += (cps >= lo) & (cps <= hi)
        return np.add.reduceat(mask, starts).astype(np.float64)

    def count(regex, text=blob):
        found = [m.start() for m in regex.finditer(text)]
        return np.bincount(np.searchsorted(starts, found, side="right") - 1, minlength=n)

    words = per_line(((0x20, 0x20),)) + 1.0
    digits = per_line(features._DIGITS)
    tokens, boiler, function, dated = np.array([reference_vocabulary(t) for t in texts]).T.reshape(4, n)
    date = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(digits):
        date[i] = (DATE.search(lower, int(starts[i]), int(starts[i] + chars[i])) is not None
                   or (dated[i] > 0 and chars[i] <= features._DATE_WORDS_LINE_CHARS))
    dups = Counter(texts)
    columns = (
        np.log1p(chars), np.log1p(words), (chars - words + 1) / words,
        per_line(features._PUNCTS) / chars, count(SENT_END), count(ENDS_SENT) > 0,
        count(ENDS_COLON) > 0, digits / chars,
        per_line(features._UPPERS) / np.maximum(per_line(features._LETTERS), 1),
        count(CAPITALISED) / words, count(BULLET) > 0, count(BULLET_ONLY) > 0, date,
        date & (chars < features._DATE_LINE_CHARS), per_line(features._CJK) / chars,
        count(SEPARATORS), boiler, count(BYLINE, lower) > 0,
        count(QUOTE_START) > 0, np.array([dups[t] - 1 for t in texts], dtype=np.float64),
        np.log1p(tokens), function / np.maximum(tokens, 1.0),
    )
    return np.column_stack(columns).astype(np.float32)


def assert_text_shape(texts: list[str], kind: str = "text") -> None:
    """featurize's text-shape columns equal the reference's, to the bit."""
    X = featurize(doc_from(*texts, kind=kind))[:, :len(TEXT_COLUMNS)]
    want = reference_text_shape(texts)
    if not np.array_equal(X, want):
        row, column = np.argwhere(X != want)[0]
        raise AssertionError(f"{TEXT_COLUMNS[column]} of line {row} {texts[row]!r}: "
                             f"{X[row, column]}, reference {want[row, column]}")


#: Lines built to hit the edges of every pattern.
TRICKY = [
    # boiler words and word boundaries
    "share", "Share this", "sharel", "_share", "share_", "1share", "share1", "reshare",
    "cookies", "Cookies!", "cookie", "cookiess", "cookie_", "cookies-policy", "accept cookies.",
    "log in", "login", "log  in", "Login/Register", "sign in", "sign up", "signup", "sign upx",
    "Sign Up!", "terms of use", "terms of service", "terms of", "read more…", "Read More »",
    "© 2024 Reuters", "©2024", "x©y", "getty images", "afp/getty", "editing by", "reporting by",
    "all rights reserved.", "You May Also Like", "back to top", "Ranking", "Most Read",
    "ランキング", "関連記事", "広告", "記事一覧", "シェアする", "フォロー", "相关推荐", "广告", "登录", "分享",
    "shareshare", "share share", "comments comment", "popularity", "privacy_policy", "éshare",
    "most read more from", "read more from x", "(most read more from", "you may also likes",
    "İstanbul share", "İİİ cookies", "ß share", "ﬁ share", "KELVIN \u212a share", "\u212aLIKE",
    # sentence ends and closers
    "End.", "End. ", "End.\"", "End.”", "End.’ ", "End.»", "End.)", "End.]", "End.\")",
    "End.\" next", "End.\"x", "a.b", "a. b", "Wait...", "Wait... what?", "Really?!", "Hm…",
    "。", "終わり。", "文。次", "文。 次", "本当！", "何？", "Yes！", "e.g.", ".", "..", "?", "!\u00a0",
    "End.\u3000", "End.\u2028x", "End.\x1c", "End.\x85", "End.\t", "「文。」", "End.\u200b",
    ".\")) x", "a.\"\"\"", "(.)", "x.)\" .", "\".\"", "!)!)!", ".)x.) .",
    # separators
    "a | b", "a |b", "a| b", " | ", "a | | b", "a · b • c / d » e > f", "a » ", "a >",
    "Home > News > World", "a  |  b", "a | ", " |", "|", "a / b / c", "a ‖ b", "a \u00bb b",
    " | | | | x", "x | | | y | z", "| | |",
    # colons, capitals, digits, spaces
    "Note:", "Note：", "Note: ", "a:b", ":", "：", "The Big Apple", " Lead", "ÀÉÎ Öl Øre Þorn",
    "Яблоко Ωmega", "a  b", " ", "x", "  x  ", "12:30", "٣ ١٢ １２", "a1 b2",
    # bullets, quotes, bylines
    "• item", "1. first", "12) second", "123. third", "1234. no", "1.", "- ", "—", "|/", "٣) x",
    "\U0001d7cf. astral digit", "by Jane Doe", "By Someone", "von  Hans", "by", "by ", "byx",
    "door x", "av\u00a0x", "“Quote”", "„Zitat“", "«Citation»", "'single", "‘curly", "「かぎ」",
    # dates
    "16:20 JST, May 10, 2023", "2024-06-03", "3/4/24", "Updated 2 hours ago", "5mins ago",
    "2024年7月18日 05時00分", "12月3日", "7時", "10 mai 2024", "mai 10", "sept. 5", "décembre 3",
    "x12:30", "a5 may", "may 5x", "12345:67", "on 3 march", "３月", "In 1999 the", "1.5 million",
    # CJK, astral, odd characters
    "日本語のテキスト。", "한국어 문장.", "中文，标点。", "😀 emoji. 😀", "𝐁𝐨𝐥𝐝 text.", "\U0001F600share",
    "share\U0001F600", "\U00020000。", "\ufeffBOM", "\x00nul", "\x07bell", "tab\there",
    "\u2029sep", "zero\u200bwidth", "x\ny", "line\nbreak.\nAnother:", "\n", "a\n\nb",
    "İ", "İ.", "İİ share", "\u0130 cookies \u0130", "ΣΑΣ share", "x\n• y\nby z\n“q", "\nby x",
]


def test_tricky_lines_give_the_reference_numbers():
    assert_text_shape(TRICKY)
    for text in TRICKY:
        assert_text_shape([text])
        assert_text_shape([text, text + " x", "y " + text])


def test_fixture_pages_give_the_reference_numbers():
    docs = []
    for page in sorted(PAGES.iterdir()):
        docs += [segment(page.read_bytes()), segment(page.read_bytes(), kind="text")]
    assert sum(bool(doc.lines) for doc in docs) >= 30
    for doc in docs:
        if doc.lines:
            assert_text_shape([line.text for line in doc.lines], doc.kind)


PIECES = [
    "a", "x", "The", "İ", "ı", "ß", "ﬁ", "Σ", "\u212a", "é", "_", "1", "٣", "１", " ", "  ", "\t",
    "\u00a0", "\u3000", "\u2028", "\x1c", "\x85", "\u200b", "\n", ".", "!", "?", "。", "！", "？",
    "…", "\"", "'", "”", "’", "»", ")", "]", ":", "：", "|", "·", "•", "/", ">", " | ", " » ",
    " > ", " / ", "share", "cookies", "cookie", "log in", "login", "log", "in", "sign up",
    "sign", "up", "terms of use", "read more", "©", "ランキング", "関連", "シェア", "广告", "分享",
    "文", "😀", "\U00020000", "𝐁", "A", "Ö", "Я", "Ω", "by", "By", "von", "door", "-", "*",
    "1.", "12)", "2024", "12:30", "5/6/2021", "2021-05-06", "may 5", "5 mai", "3 hours ago",
    "2024年5月", "5月6日", "7時", "“", "„", "«", "「", "\U0001d7cf", "00000", " min ago",
    "  hrs  ago", "day ago", "x1",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=12).map("".join), min_size=1,
                max_size=12))
def test_random_lines_give_the_reference_numbers(texts):
    assert_text_shape(texts)


def test_lower_casing_that_changes_the_length():
    """"İ" lower-cases to two characters: the patterns run on lower-cased text
    (boiler words, bylines, dates) are placed by the original positions."""
    for odd in ("İ", "İİİ", "aİ b", "İ\nİ"):
        for text in ("by x", "Share this", "may 5", "12:30", "sign in", "x\nby y", "• by z"):
            assert_text_shape([odd, text, odd + " " + text, text + odd, "von  Hans"])
    assert_text_shape(TRICKY[::-1])


@pytest.mark.parametrize("odd", ["", "İ", "ﬁ"])
def test_long_pages_go_by_blocks_with_the_same_numbers(odd):
    """More than _TEXT_BLOCK_LINES lines go by blocks, or in one block when
    lower-casing changes the text's length ("İ"; "ﬁ" keeps it)."""
    block = features._TEXT_BLOCK_LINES
    texts = [TRICKY[i % len(TRICKY)] + (odd if i % 7 == 3 else "") for i in range(2 * block + 5)]
    texts[block + 1] = texts[3]  # a duplicate in another block still counts
    assert_text_shape(texts)


@pytest.mark.parametrize("block", [1, 3, 7])
def test_small_blocks_give_the_same_numbers(monkeypatch, block):
    monkeypatch.setattr(features, "_TEXT_BLOCK_LINES", block)
    for start in range(0, len(TRICKY) - 20, 20):
        assert_text_shape(TRICKY[start:start + 25])


def test_a_line_longer_than_16_bit_counts():
    """The class counts add 16-bit lanes; a line of 2 ** 16 characters needs wider ones."""
    long = "A b. " * (2 ** 16 // 5 + 1) + "x" * 7
    assert_text_shape(["Short one.", long, "Z"])
    assert_text_shape(["é" * (2 ** 16 - 2), "É" * (2 ** 16 - 1), "Ö" * 2 ** 16])


def test_lone_surrogates_raise():
    with pytest.raises(UnicodeEncodeError):
        featurize(doc_from("ok", "bad \ud800 here"))


def test_text_shape_holds_the_expected_values():
    """Not only equal to the reference: right (a reference bug would show here too)."""
    _, X = features_of("Accept privacy. Share | subscribe", "privacy_ subscribes", "A.\" B?” C…", "End:",
                       kind="text")
    assert col(X, "boiler_words").tolist() == [2, 1, 0, 0]  # privacy, subscribe; privacy (at "_")
    assert col(X, "sent_ends").tolist() == [1, 0, 3, 0]  # "cookies." ; A." B?” C…
    assert col(X, "ends_sentence").tolist() == [0, 0, 1, 0]
    assert col(X, "separators").tolist() == [1, 0, 0, 0]
    assert col(X, "ends_colon").tolist() == [0, 0, 0, 1]
    assert col(X, "title_case").tolist() == pytest.approx([2 / 5, 0, 3 / 3, 1])
    assert col(X, "log_words").tolist() == pytest.approx(np.log1p([5, 2, 3, 1]))


# ----------------------------------------------------------------------- text shape: the parts


def every_code_point() -> str:
    """Every code point but the surrogates, in order."""
    return "".join(map(chr, [*range(0xD800), *range(0xE000, 0x110000)]))


def test_flag_tables_equal_the_character_classes_on_every_code_point():
    text = every_code_point()
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    flags = features._FLAGS.take(cps, mode="clip")
    for bit, char_class in ((features._MARK, f"[{MARKS}]"), (features._CLOSER, f"[{CLOSERS}]"),
                            (features._WIDE, "[。！？｡]"),
                            (features._SPACE, r"\s"), (features._SEPARATOR, r"[|·•/»>]"),
                            (features._QUOTE, r"[\"“„«'‘「]"), (features._COLON, "[:：]")):
        want = np.zeros(cps.size, dtype=bool)
        want[[m.start() for m in re.finditer(char_class, text)]] = True
        assert np.array_equal((flags & bit) != 0, want), char_class
    # The "first" bits may let more through (the regex decides), never fewer.
    for bit, char_class in ((features._BULLET_FIRST, r"[-–—•·*▪►»>◦‣○●■□・◆◇★☆▶▷\u2460-\u2473\d]"),
                            (features._BYLINE_FIRST, "[bvpda]")):
        starts = [m.start() for m in re.finditer(char_class, text)]
        assert ((flags[starts] & bit) != 0).all(), char_class


def test_class_table_equals_the_ranges_and_the_capital_class():
    codes = np.arange(0x110000)
    rows = features._CLASS_TABLE[np.minimum(codes, features._TABLE_SIZE - 1)]
    capital = re.compile(r"[A-ZÀ-ÖØ-ÞА-ЯΑ-Ω]")
    want = np.array([capital.fullmatch(chr(c)) is not None for c in range(0x110000)])
    assert np.array_equal(rows[:, features._CLASS_CAPITAL] > 0, want)
    for column, ranges in ((features._CLASS_DIGIT, features._DIGITS),
                           (features._CLASS_UPPER, features._UPPERS),
                           (features._CLASS_LETTER, features._LETTERS),
                           (features._CLASS_CJK, features._CJK),
                           (features._CLASS_PUNCT, features._PUNCTS),
                           (features._CLASS_SPACE, ((0x20, 0x20),)),
                           (len(features._CLASS_TABLE[0]) - 1, ())):
        counts = np.zeros(codes.shape, dtype=np.int64)
        for lo, hi in ranges:
            counts += (codes >= lo) & (codes <= hi)
        assert np.array_equal(rows[:, column], counts), column


@pytest.mark.parametrize("role", [
    "{} ", "{}", ".{}", ".{} x", ". {}A", "a {} b", "{}:", "share{}", "{}login", "{}. x",
    "by{}x", "1{}", "{} {} {}",
])
def test_every_code_point_in_every_role(role):
    """Each code point of the BMP (and every 97th beyond) where a pattern looks at it."""
    cps = [*range(0xD800), *range(0xE000, 0x10000), *range(0x10000, 0x110000, 97)]
    texts = [role.format(*[chr(c)] * role.count("{}")) for c in cps if c != 0x0A]
    for lo in range(0, len(texts), 0x4000):
        assert_text_shape(texts[lo:lo + 0x4000])


def test_dates_equal_the_single_regex():
    """_has_date (fast regexes) is a search for _DATE_PATTERN, which is DATE, on random windows."""
    rng = random.Random(2)
    pattern = re.compile(features._DATE_PATTERN)
    for _ in range(30_000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 9))).lower()
        a = rng.randint(0, len(text))
        b = rng.randint(a, len(text))
        want = DATE.search(text, a, b) is not None
        assert (pattern.search(text, a, b) is not None) == want, (text, a, b)
        assert features._has_date(text, a, b) == want, (text, a, b)


# --------------------------------------------------------------------------- groups and regions


def reference_line_groups(doc: Document) -> np.ndarray:
    """line_groups as first written: a key per level and line, paths numbered as they come."""
    n = len(doc.lines)
    G = np.empty((n, ANCESTOR_LEVELS + 1), dtype=np.int64)
    paths: dict[str, int] = {}
    for i, ln in enumerate(doc.lines):
        for level in range(ANCESTOR_LEVELS):
            G[i, level] = ln.ancestors[level] if len(ln.ancestors) > level else -1 - i
        G[i, ANCESTOR_LEVELS] = paths.setdefault(ln.path, len(paths)) if ln.path else -1 - i
    return G


def test_line_groups_equal_the_reference_on_the_fixture_pages():
    for page in sorted(PAGES.iterdir()):
        for kind in ("html", "text"):
            doc = segment(page.read_bytes(), kind=kind)
            assert np.array_equal(line_groups(doc), reference_line_groups(doc)), page.name


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(0, 2**40), max_size=7).map(tuple),
                          st.sampled_from(["", "div", "div>p", "ul.x>li", "p", "é>ß"])),
                max_size=40))
def test_line_groups_equal_the_reference_on_random_lines(specs):
    doc = Document(kind="html", lines=tuple(
        Line(text="x", index=i, path=path, ancestors=ancestors)
        for i, (ancestors, path) in enumerate(specs)))
    G = line_groups(doc)
    assert G.shape == (len(specs), ANCESTOR_LEVELS + 1) and G.dtype == np.int64
    assert np.array_equal(G, reference_line_groups(doc))
    featurize(doc, G)  # any keys: the container features cope


def kadane(values: list[float]) -> tuple[int, int]:
    """The densest run as first written: a Kadane scan, first best end, its start."""
    best, best_start, best_end = -math.inf, 0, 0
    current, start = 0.0, 0
    for i, v in enumerate(values):
        if current <= 0:
            current, start = v, i
        else:
            current += v
        if current > best:
            best, best_start, best_end = current, start, i
    return best_start, best_end


@settings(max_examples=500, deadline=None)
@given(st.lists(st.integers(-300, 300), min_size=1, max_size=60))
def test_densest_run_is_the_one_kadane_finds(values):
    assert features._max_run(np.array(values, dtype=np.float64)) == kadane(values)


def test_densest_run_ties_and_zeros():
    for values in ([0, 0, 0], [-5], [3, -3, 3], [-1, 0, -1], [2, -2, 0, 2], [5, -9, 5]):
        assert features._max_run(np.array(values, dtype=np.float64)) == kadane(values), values
