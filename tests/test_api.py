"""The public surface: boilerplate.__all__, declutter() and declutter_lines().

These tests use the shipped model (boilerplate/data/line_classifier.joblib),
except where a tiny model in tmp_path is passed explicitly.
"""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from conftest import REPO, fixture_bytes, fixture_labels, html_page

import boilerplate
from boilerplate import (
    BoilerplateError,
    EmptyInputError,
    EncodingError,
    Extraction,
    InputError,
    InputTooLargeError,
    Label,
    LineResult,
    ModelError,
    OptionError,
    declutter,
    declutter_lines,
    from_html,
    from_text,
    load_model,
)
from boilerplate.engines import Engine
from boilerplate.features import FEATURE_NAMES
from boilerplate.estimator import build_estimator
from boilerplate.model import save_model

PUBLIC = [
    "BoilerplateError",
    "Document",
    "EmptyInputError",
    "EncodingError",
    "EngineError",
    "Extraction",
    "InputError",
    "InputTooLargeError",
    "Label",
    "Line",
    "LineResult",
    "Model",
    "ModelError",
    "OptionError",
    "PageRecord",
    "__version__",
    "declutter",
    "declutter_lines",
    "declutter_many",
    "from_html",
    "from_text",
    "load_model",
    "speedups",
]

PROSE = ("The council approved the new budget on Tuesday after a long debate about "
         "schools, roads and the future of the old harbour district.")


def content_text(result: Extraction) -> str:
    return "\n".join(r.text for r in result.lines if r.label is Label.CONTENT)


def assert_well_formed(result: Extraction) -> None:
    assert isinstance(result, Extraction)
    for r in result.lines:
        assert isinstance(r, LineResult)
        assert isinstance(r.text, str) and r.text
        assert r.label in (Label.CONTENT, Label.BOILERPLATE)
        assert 0.0 <= r.score <= 1.0
        assert r.reason.startswith("kept:" if r.is_content else "dropped:")
    assert result.text == content_text(result)
    assert result.paragraphs == [r.text for r in result.lines if r.is_content]


# --------------------------------------------------------------------------- surface


def test_all_is_pinned():
    assert PUBLIC == sorted(PUBLIC)
    assert boilerplate.__all__ == PUBLIC
    for name in PUBLIC:
        assert hasattr(boilerplate, name), name


def test_version_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert boilerplate.__version__ == project["version"]


# --------------------------------------------------------------------------- model engine


def test_html_str_and_bytes_give_the_same_extraction():
    raw = fixture_bytes("wire_service")
    from_bytes = declutter(raw, url="https://example.com/copper")
    from_str = declutter(raw.decode("utf-8"), url="https://example.com/copper")
    assert from_bytes == from_str
    assert_well_formed(from_bytes)
    assert from_bytes.engine == "model"
    assert from_bytes.model_version == load_model().version
    assert from_bytes.kind == "html"
    assert from_bytes.url == "https://example.com/copper"
    assert [r.text for r in from_bytes.lines] == [ln.text for ln in from_html(raw).lines]
    assert from_bytes.text  # an article page has a body


def test_result_text_is_the_content_lines_joined_by_newlines():
    result = declutter(fixture_bytes("japannews_like"))
    assert result.text == "\n".join(r.text for r in result.lines if r.label is Label.CONTENT)
    assert result.text


def test_shift_jis_bytes():
    result = declutter(fixture_bytes("japanese_sjis"))
    assert_well_formed(result)
    assert [r.text for r in result.lines] == [rec["text"] for rec in fixture_labels("japanese_sjis")]


def test_kind_text_treats_markup_as_text():
    page = html_page(f"<p>{PROSE}</p>\n<p>Second paragraph.</p>")
    result = declutter(page, kind="text")
    assert_well_formed(result)
    assert result.kind == "text"
    assert [r.text for r in result.lines] == [ln.text for ln in from_text(page).lines]
    assert any("<p>" in r.text for r in result.lines)


def test_kind_is_detected():
    text_result = declutter(fixture_bytes("text_business_brief"))
    assert text_result.kind == "text"
    assert_well_formed(text_result)
    assert [r.text for r in text_result.lines] == [
        rec["text"] for rec in fixture_labels("text_business_brief")]
    assert declutter(fixture_bytes("german_news")).kind == "html"


FRAGMENT = f"<p>{PROSE}</p>"


@pytest.mark.parametrize("fragment", [FRAGMENT, f"<body>{FRAGMENT}<p>Second paragraph.</p></body>"])
def test_a_fragment_is_read_as_html(fragment):
    result = declutter(fragment)
    assert result.kind == "html"
    assert result.text == declutter(fragment, kind="html").text
    assert "<p>" not in result.text and PROSE in result.text


def test_fragments_in_declutter_many_pairs_are_read_as_html():
    records = list(boilerplate.declutter_many([(FRAGMENT, "https://news.example/a"), FRAGMENT],
                                              jobs=1))
    assert [r.kind for r in records] == ["html", "html"]
    assert all(r.text == PROSE for r in records)


def test_a_path_is_read_as_a_file(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(fixture_bytes("german_news"))
    assert declutter(path) == declutter(fixture_bytes("german_news"))
    with pytest.raises(FileNotFoundError):
        declutter(tmp_path / "missing.html")


def test_a_path_over_max_bytes_is_refused_unread(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(fixture_bytes("german_news"))
    with pytest.raises(InputTooLargeError, match=f"{path.stat().st_size:,} bytes"):
        declutter(path, max_bytes=100)


def test_a_str_that_names_a_file_is_text_with_a_warning(tmp_path, monkeypatch):
    (tmp_path / "page.html").write_bytes(fixture_bytes("german_news"))
    monkeypatch.chdir(tmp_path)
    result = declutter("page.html")
    assert result.kind == "text" and [r.text for r in result.lines] == ["page.html"]
    assert "pathlib.Path('page.html')" in result.warnings[0]
    assert "existing file" in result.warnings[0]
    assert declutter("no-such-page.html").warnings == declutter("other words").warnings


def test_title_and_date_come_from_the_page():
    page = html_page(
        f"<h1>Council approves budget</h1><p>16:20 JST, May 10, 2023</p><p>{PROSE}</p>",
        head="<title>Page title</title>",
    )
    result = declutter(page)
    assert result.title == "Council approves budget"  # the first <h1> wins over <title>
    assert result.date == "16:20 JST, May 10, 2023"  # date-only lines are always dropped
    date_line = next(r for r in result.lines if r.text == result.date)
    assert date_line.label is Label.BOILERPLATE
    assert declutter(html_page(f"<p>{PROSE}</p>", head="<title>Only</title>")).title == "Only"


def test_threshold_zero_keeps_every_line_but_dates():
    result = declutter(fixture_bytes("wordpress_blog"), threshold=0.0)
    for r in result.lines:
        if r.reason != "dropped: date/time line":
            assert r.label is Label.CONTENT, r


def test_lower_threshold_keeps_a_superset():
    raw = fixture_bytes("live_blog")
    strict = declutter(raw, threshold=0.9)
    loose = declutter(raw, threshold=0.1)
    assert [r.text for r in strict.lines] == [r.text for r in loose.lines]
    for s, lo in zip(strict.lines, loose.lines):
        assert s.score == lo.score
        if s.is_content and not s.reason.startswith("kept: densest"):
            assert lo.is_content


def test_explicit_model_path(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((80, len(FEATURE_NAMES)), dtype=np.float32)
    y = (X[:, 0] > 0.5).astype(np.int8)
    path = tmp_path / "tiny.joblib"
    stage1 = build_estimator(max_iter=3, min_samples_leaf=5).fit(X, y)
    save_model({"stage1": stage1, "stage2": None}, path, {"threshold": 0.5})
    result = declutter(html_page(f"<p>{PROSE}</p>"), model=path)
    assert result.model_version == load_model(path).version
    assert result.model_version != load_model().version


def test_bad_model_path(tmp_path):
    with pytest.raises(ModelError):
        declutter("<p>x</p>", model=tmp_path / "missing.joblib")


@pytest.mark.parametrize("data", ["", b"", "   \n\t ", b"\n\n"])
@pytest.mark.parametrize("kind", ["auto", "html", "text"])
def test_empty_input_is_refused(data, kind):
    with pytest.raises(EmptyInputError):
        declutter(data, kind=kind)


def test_a_page_without_visible_text_warns():
    result = declutter(html_page("<script>var x = 1;</script><p hidden>gone</p>"))
    assert result.lines == () and result.text == ""
    assert result.warnings == ("the page has no visible text",)


def test_a_page_with_a_body_has_no_warnings():
    result = declutter(fixture_bytes("wire_service"))
    assert result.text and result.warnings == ()


@pytest.mark.parametrize("data", [
    b"%PDF-1.7\n%...binary",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"PK\x03\x04\x14\x00\x00\x00",
], ids=["pdf", "png", "zip"])
def test_binary_files_are_refused(data):
    # EncodingError, as the README says: no text in any encoding, like other binary data.
    with pytest.raises(EncodingError, match="binary"):
        declutter(data)


def test_json_and_feeds_are_not_pages_but_can_be_read_as_text():
    data = '{"title": "Not a page", "body": "Some text."}'
    with pytest.raises(InputError, match="JSON"):
        declutter(data)
    assert declutter(data, kind="text").kind == "text"
    feed = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    with pytest.raises(InputError, match="rss"):
        declutter(feed)


def test_gzipped_page_is_inflated():
    import gzip

    raw = fixture_bytes("wire_service")
    assert declutter(gzip.compress(raw)) == declutter(raw)
    with pytest.raises(InputTooLargeError):
        declutter(gzip.compress(b"<p>" + b"x" * 10_000 + b"</p>"), max_bytes=5_000)


# --------------------------------------------------------------------------- trafilatura


@pytest.mark.parametrize("engine", ["trafilatura", Engine.TRAFILATURA])
def test_trafilatura_engine(engine):
    result = declutter(fixture_bytes("wire_service"), engine=engine, url="https://example.com/a")
    assert isinstance(result, Extraction)
    assert result.engine == "trafilatura"
    assert result.model_version is None
    assert result.url == "https://example.com/a"
    assert result.text
    assert "Altavista" in result.text
    assert all(r.label is Label.CONTENT and r.score == 1.0 for r in result.lines)
    assert result.text == "\n".join(r.text for r in result.lines)


def test_trafilatura_refuses_text():
    with pytest.raises(InputError, match="trafilatura"):
        declutter(fixture_bytes("wire_service"), engine="trafilatura", kind="text")
    with pytest.raises(InputError):
        declutter(fixture_bytes("text_science_news"), engine="trafilatura")  # detected text


# --------------------------------------------------------------------------- input checks


@pytest.mark.parametrize("value", [42, None, 3.5, ["<p>x</p>"]])
def test_type_error_for_non_str_bytes(value):
    with pytest.raises(TypeError, match="str or bytes"):
        declutter(value)


def test_bytearray_and_memoryview_are_accepted():
    page = html_page(f"<p>{PROSE}</p>").encode()
    expected = declutter(page)
    assert declutter(bytearray(page)) == expected
    assert declutter(memoryview(page)) == expected


def test_input_too_large():
    page = html_page(f"<p>{PROSE}</p>")
    with pytest.raises(InputTooLargeError, match="max_bytes"):
        declutter(page, max_bytes=10)
    with pytest.raises(InputTooLargeError):
        declutter(page.encode(), max_bytes=len(page) - 1)
    assert declutter(page.encode(), max_bytes=len(page.encode())).lines
    assert declutter(page, max_bytes=None).lines


def test_input_too_large_is_an_input_error_and_value_error():
    with pytest.raises(ValueError):
        declutter(b"x" * 100, max_bytes=99)


def test_unknown_kind():
    with pytest.raises(OptionError, match="unknown kind"):
        declutter("<p>x</p>", kind="pdf")  # type: ignore[arg-type]


@pytest.mark.parametrize("options", [
    {"threshold": 2.0}, {"threshold": -0.1}, {"threshold": float("nan")}, {"threshold": "0.5"},
    {"threshold": True}, {"engine": "magic"}, {"kind": "pdf"}, {"max_bytes": -1},
    {"max_bytes": 1.5},
])
def test_bad_options_raise_the_same_option_error_from_every_entry_point(options):
    """Checked once, in Options: declutter and declutter_many refuse them alike, before any page."""
    with pytest.raises(OptionError):
        declutter(html_page(f"<p>{PROSE}</p>"), **options)
    with pytest.raises(OptionError):
        boilerplate.declutter_many([html_page(f"<p>{PROSE}</p>")], jobs=1, **options)
    assert issubclass(OptionError, ValueError) and issubclass(OptionError, BoilerplateError)


def test_threshold_bounds_are_accepted():
    page = html_page(f"<p>{PROSE}</p>")
    assert declutter(page, threshold=0).text
    assert declutter(page, threshold=1.0).lines


# --------------------------------------------------------------------------- declutter_lines


def test_declutter_lines():
    items = ["  Home ", "", PROSE, "   ", "Share this article", PROSE + " Again."]
    result = declutter_lines(items)
    assert_well_formed(result)
    assert result.kind == "text"
    assert result.engine == "model"
    assert result.model_version == load_model().version
    assert [r.text for r in result.lines] == ["Home", PROSE, "Share this article", PROSE + " Again."]


def test_declutter_lines_matches_declutter_on_the_joined_text():
    items = [rec["text"] for rec in fixture_labels("text_match_report")]
    by_lines = declutter_lines(iter(items))  # any iterable
    by_text = declutter("\n".join(items), kind="text")
    assert by_lines.lines == by_text.lines
    assert by_lines.text == by_text.text


def test_declutter_lines_threshold_and_empty():
    assert declutter_lines([]).lines == ()
    result = declutter_lines(["Home", PROSE], threshold=0.0)
    assert [r.label for r in result.lines] == [Label.CONTENT, Label.CONTENT]


def test_speedups_names_the_compiled_parts():
    states = boilerplate.speedups()
    assert set(states) == {"trees", "walk"}
    assert all(isinstance(on, bool) for on in states.values())
