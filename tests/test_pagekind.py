"""Page kind (boilerplate/pagekind.py): hints, page features, the model file, and articles_only end to end."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

import boilerplate
from boilerplate import declutter, declutter_many
from boilerplate.cli import app
from boilerplate.errors import ModelError, OptionError
from boilerplate.model import DEFAULT_MODEL_PATH, load_model
from boilerplate.pagekind import (
    PAGE_FEATURE_NAMES,
    document_features,
    load_page_kind,
    page_hints,
    page_kind_paths,
    save_page_kind,
)
from boilerplate.features import featurize, line_groups
from boilerplate.reasons import Cue
from boilerplate.segment import from_html, from_text
from boilerplate.trees import export
from boilerplate.walk import parse

_N = {name: i for i, name in enumerate(PAGE_FEATURE_NAMES)}
PARAGRAPH = ("The council voted on Tuesday to close the old bridge for repairs, a decision that "
             "residents had asked for since the spring floods damaged its pillars. ")


def article(i: int = 0) -> str:
    """An article page: a headline the title repeats, a few paragraphs of prose."""
    body = "".join(f"<p>{PARAGRAPH * 2}Paragraph {k} of story {i}.</p>" for k in range(6))
    return (f'<html><head><title>Council closes the old bridge for repairs {i} | Daily</title>'
            '<meta property="og:type" content="article">'
            '<script type="application/ld+json">{"@type": "NewsArticle"}</script></head>'
            f'<body><nav><a href="/">Home</a> <a href="/news">News</a></nav><article>'
            f'<h1>Council closes the old bridge for repairs {i}</h1>{body}</article></body></html>')


def listing(i: int = 0) -> str:
    """A section front: a short headline and a list of teasers, each a link and a line of summary."""
    items = "".join(
        f'<li class="teaser"><h3><a href="/story-{k}">Story number {k} of the day {i}</a></h3>'
        f'<p>A short summary of story {k} that reads like the start of a sentence...</p></li>'
        for k in range(12))
    return (f'<html><head><title>News</title><meta property="og:type" content="website"></head>'
            f'<body><h1>News</h1><ul class="teasers">{items}</ul></body></html>')


def _row(html: str, url: str | None) -> np.ndarray:
    model = load_model()
    doc = from_html(html, url=url)
    groups = line_groups(doc)
    X = featurize(doc, groups)
    return document_features(doc, X, model.content_proba(X, groups), groups)


@pytest.fixture(scope="module")
def kind_model(tmp_path_factory):
    """A copy of the shipped line model with a small page-kind model trained beside it."""
    from boilerplate.estimator import build_estimator

    folder = tmp_path_factory.mktemp("model")
    for suffix in (".joblib", ".json", ".npz"):
        shutil.copy(DEFAULT_MODEL_PATH.with_suffix(suffix), folder / f"line_classifier{suffix}")
    rows, y = [], []
    for i in range(8):
        for url in (f"https://example.com/2024/05/council-closes-bridge-{i}", None):
            rows.append(_row(article(i), url))
            y.append(1)
        for url in (f"https://example.com/news/{i}", None):
            rows.append(_row(listing(i), url))
            y.append(0)
    estimator = build_estimator(max_iter=20, max_leaf_nodes=3, min_samples_leaf=2, learning_rate=0.3)
    estimator.fit(np.array(rows, dtype=np.float32), np.array(y))
    path = folder / "line_classifier.joblib"
    save_page_kind(export(estimator), path, {"threshold": 0.5})
    return path


# --- hints and features ----------------------------------------------------------


def test_page_hints_read_og_type_schema_types_and_the_publishing_time():
    html = ('<html><head><meta property="og:type" content=" Article "/>'
            '<meta property="article:published_time" content="2024-05-01"/>'
            '<script type="application/ld+json">{"@context": "https://schema.org", '
            '"@type": ["NewsArticle", "Thing"], "author": {"@type": "Person"}}</script></head>'
            '<body><p>Text</p><script type="application/ld+json">{"@type": "BreadcrumbList"}</script>'
            '</body></html>')
    assert page_hints(parse(html)) == {"og:article", "published_time", "ld:newsarticle", "ld:person",
                                       "ld:breadcrumblist"}
    assert page_hints(parse("<html><body><p>Nothing here</p></body></html>")) == frozenset()


def test_documents_carry_their_hints_and_text_has_none():
    assert "og:article" in from_html(article()).hints
    assert from_text("One line of text.").hints == frozenset()


def test_page_features_tell_an_article_from_a_listing():
    story = _row(article(), "https://example.com/2024/05/council-closes-the-old-bridge")
    front = _row(listing(), "https://example.com/news/")
    assert story.shape == front.shape == (len(PAGE_FEATURE_NAMES),)
    assert story[_N["og_article"]] == 1 and front[_N["og_website"]] == 1
    assert story[_N["ld_news"]] == 1 and front[_N["og_missing"]] == 0
    assert story[_N["h1_in_title"]] == 1 and story[_N["h1_chars"]] > 3 * front[_N["h1_chars"]]
    assert front[_N["teaser_share"]] > 0.9 and story[_N["teaser_share"]] == 0
    assert story[_N["url_date"]] == 1 and story[_N["url_last_hyphens"]] == 4
    assert front[_N["url_list_word"]] == 0 and front[_N["url_depth"]] == 1


def test_without_a_url_its_features_are_missing_not_zero():
    row = _row(article(), None)
    url = [i for name, i in _N.items() if name.startswith("url_")]
    assert np.isnan(row[url]).all() and not np.isnan(np.delete(row, url)).any()


def test_text_mode_features():
    model = load_model()
    doc = from_text(PARAGRAPH + "\n" + PARAGRAPH + "\nMenu")
    groups = line_groups(doc)
    X = featurize(doc, groups)
    row = document_features(doc, X, model.content_proba(X, groups), groups)
    assert row[_N["mode_text"]] == 1 and row[_N["og_missing"]] == 1 and row[_N["teaser_share"]] == 0


# --- the model file --------------------------------------------------------------


def test_a_model_without_page_kind_says_nothing_of_the_page(tmp_path):
    for suffix in (".joblib", ".json", ".npz"):
        shutil.copy(DEFAULT_MODEL_PATH.with_suffix(suffix), tmp_path / f"m{suffix}")
    result = declutter(article(), model=tmp_path / "m.joblib")
    assert result.article_score is None and result.is_article is True
    with pytest.raises(ModelError, match="no page-kind model"):
        declutter(article(), model=tmp_path / "m.joblib", articles_only=True)


def test_page_kind_files_are_checked(kind_model, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(kind_model.parent, folder)
    path = folder / kind_model.name
    trees, meta = page_kind_paths(path)
    assert load_page_kind(load_model(path)) is not None
    data = trees.read_bytes()
    trees.write_bytes(data[:-10] + b"0123456789")
    with pytest.raises(ModelError, match="sha256"):
        declutter(article(), model=path)
    trees.write_bytes(data)
    record = json.loads(meta.read_text())
    meta.write_text(json.dumps({**record, "line_model_sha256": "0" * 64}))
    with pytest.raises(ModelError, match="another line model"):
        declutter(article(), model=path)
    meta.write_text(json.dumps({**record, "feature_names": ["p_max"]}))
    with pytest.raises(ModelError, match="other features"):
        declutter(article(), model=path)


# --- results, records and the command line -------------------------------------------


def test_results_say_whether_the_page_is_an_article(kind_model):
    story = declutter(article(3), model=kind_model, url="https://example.com/2024/05/council-closes-3")
    front = declutter(listing(3), model=kind_model, url="https://example.com/news/")
    assert story.is_article and story.article_score > 0.5
    assert not front.is_article and front.article_score < 0.5
    assert front.text  # without articles_only the body is what the line model keeps


def test_articles_only_empties_the_body_of_a_page_that_is_not_an_article(kind_model):
    front = declutter(listing(3), model=kind_model, url="https://example.com/news/", articles_only=True)
    assert front.text == "" and not front.is_article
    assert front.warnings == (f"not an article (article score {front.article_score:.2f})",)
    assert all(line.cues == (Cue.NOT_ARTICLE,) and not line.is_content for line in front.lines)
    assert front.lines[0].reason.startswith("dropped: the page is not an article (article score ")
    story = declutter(article(3), model=kind_model, articles_only=True)
    assert story.text == declutter(article(3), model=kind_model).text != ""


def test_articles_only_needs_the_model_engine():
    with pytest.raises(OptionError, match="model engine"):
        declutter(article(), engine="trafilatura", articles_only=True)
    with pytest.raises(OptionError):
        declutter_many([article()], engine="trafilatura", articles_only=True)
    with pytest.raises(OptionError, match="True or False"):
        declutter(article(), articles_only=1)


def test_records_carry_the_page_kind(kind_model):
    records = list(declutter_many([listing(1), article(1), b""], model=kind_model, jobs=1,
                                  articles_only=True))
    assert [r.status for r in records] == ["empty", "ok", "failed"]
    front, story, failed = (r.to_dict() for r in records)
    assert front["is_article"] is False and 0 <= front["article_score"] < 0.5
    assert story["is_article"] is True and story["article_score"] >= 0.5
    assert "is_article" not in failed and records[2].is_article is None


def test_cli_articles_only(kind_model, tmp_path):
    (tmp_path / "front.html").write_text(listing(2))
    (tmp_path / "story.html").write_text(article(2))
    runner = CliRunner()
    result = runner.invoke(app, ["--jobs", "1", "--model", str(kind_model), "--articles-only", "-f",
                                 "jsonl", str(tmp_path / "front.html"), str(tmp_path / "story.html")])
    assert result.exit_code == 0, result.output
    front, story = (json.loads(line) for line in result.stdout.splitlines())
    assert front["text"] == "" and front["is_article"] is False
    assert story["text"] and story["is_article"] is True
    assert "front.html: warning: not an article" in result.stderr
    usage = runner.invoke(app, ["--engine", "trafilatura", "--articles-only", str(tmp_path / "story.html")])
    assert usage.exit_code == 2 and "model engine" in usage.stderr


def test_the_score_is_rounded_and_within_0_and_1(kind_model):
    score = declutter(article(5), model=kind_model).article_score
    assert 0.0 <= score <= 1.0 and score == round(score, 4) and not math.isnan(score)
    assert isinstance(boilerplate.Extraction.__dataclass_fields__["is_article"].default, bool)
