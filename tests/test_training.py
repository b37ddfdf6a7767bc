"""training/: corpus, labels, metrics, deterministic training, and the benchmark scripts' helpers."""

from __future__ import annotations

import os
import json
from pathlib import Path

import numpy as np
import pytest

from boilerplate.segment import from_html
from training.corpus import iter_labelled, site_of
from training.labels import align_labels, match_labels, snippet_labels, tokens
from training.metrics import article_score, page_pr, shingles
from training.train import main as train_main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_tokens_split_cjk_into_characters():
    assert tokens("Tokyo 東京都 2023") == ["tokyo", "東", "京", "都", "2023"]


def test_align_labels_marks_lines_that_align_to_the_gold():
    gold = "The council approved the new budget on Monday.\nIt takes effect in May."
    lines = ["Home", "The council approved the new budget on Monday.", "Most read stories today",
             "It takes effect in May.", "Related: the budget in numbers"]
    assert align_labels(lines, gold).tolist() == [0, 1, 0, 1, 0]


def test_align_labels_uses_each_gold_trigram_once():
    gold = "Prices rose sharply in March."
    lines = ["Prices rose sharply in March.", "Prices rose sharply in March."]
    assert align_labels(lines, gold).tolist() == [1, 0]


def test_short_lines_must_equal_a_whole_gold_paragraph():
    gold = "Background\nThe plan was first proposed in 2019 by the mayor."
    assert align_labels(["Background", "Politics"], gold).tolist() == [1, 0]


def test_site_of_prefers_the_url_then_the_most_linked_host():
    assert site_of("https://www.example.com/a", "", "x") == "example.com"
    html = '<a href="https://news.site.org/1"></a><a href="http://news.site.org/2"></a>'
    assert site_of(None, html, "fallback") == "news.site.org"
    assert site_of(None, "", "fallback") == "fallback"


def test_site_of_takes_daniel_sites_from_the_page_id():
    """daniel's pages mostly have no URL; their id names the host (numbered www hosts are one site)."""
    page_id = "daniel/20111101_www2.rizospastis.gr_6648058818bdb924"
    html = '<a href="http://ads.example.net/1"></a>'
    assert site_of(None, html, "x", page_id) == "rizospastis.gr"
    assert site_of("http://www1.rizospastis.gr/a", html, "x", page_id) == "rizospastis.gr"
    assert site_of(None, html, "x", "fundus/de/Page@1") == "ads.example.net"


def test_snippet_labels_decide_only_the_lines_a_snippet_names():
    lines = ["Home", "Die GEMA dreht völlig am Zeiger! Und so weiter.", "31. Mai", "Impressum",
             "Steuerdarling und viel mehr Text in einem langen Absatz", "first part", "second part"]
    y, weight = snippet_labels(lines, ["Die GEMA dreht völlig am Zeiger!", "part second"],
                               ["31. Mai", "Impressum", "Steuerdarling"])
    assert y.tolist() == [0, 1, 0, 0, 0, 1, 1]
    # "Home" is named by no snippet; "Steuerdarling" is a small part of its paragraph.
    assert weight.tolist() == [0, 1, 1, 1, 0, 1, 1]


def test_snippet_labels_skip_a_with_snippet_found_twice_and_lines_called_both_ways():
    lines = ["Read this story", "Read this story", "Shared line about prices"]
    y, weight = snippet_labels(lines, ["Read this story", "Shared line about prices"],
                               ["Shared line about prices"])
    assert weight.tolist() == [0, 0, 0]


def test_fixture_labels_match_the_segmentation_of_every_page():
    pages = list(iter_labelled(FIXTURES))
    assert len(pages) >= 16
    for page in pages:
        doc = from_html(page.html) if page.extra["kind"] == "html" else None
        if doc is not None:
            labels = match_labels(doc, page.extra["labels"])
            assert labels.sum() > 0, page.id


def test_match_labels_reports_unlabelled_lines():
    doc = from_html("<p>One line here.</p><p>Another line.</p>")
    with pytest.raises(ValueError, match="no label"):
        match_labels(doc, [{"text": "One line here.", "label": "content"}])


def test_shingle_metric_counts_each_cjk_character_as_a_token():
    """A run of Chinese or Japanese is not one token: "東京都は晴れ" has six."""
    assert shingles("東京都は晴れ") == {"東 京 都 は": 1, "京 都 は 晴": 1, "都 は 晴 れ": 1}
    assert shingles("Tokyo 東京 2023") == {"Tokyo 東 京 2023": 1}
    assert page_pr("東京都は晴れ", "東京都は雨") == (0.5, 1 / 3)


def test_shingle_metric_counts_multisets():
    assert shingles("a b c d e") == {"a b c d": 1, "b c d e": 1}
    assert page_pr("a b c d e", "a b c d e") == (1.0, 1.0)
    assert page_pr("a b c d e", "") == (0.0, 0.0)
    score = article_score([("a b c d e", "a b c d e"), ("a b c d e f", "x y z w")])
    assert score.precision == pytest.approx(0.5) and score.recall == pytest.approx(0.5)


def test_training_is_deterministic(tmp_path):
    """The same command on the same data gives the same model (fixtures only: fast)."""
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name / "line_classifier.joblib"
        assert train_main(["--out", str(out)]) == 0
        meta = json.loads(out.with_suffix(".json").read_text())
        assert meta["feature_version"] and meta["training_data"]["fixtures"]["pages"] >= 10
        assert meta["trees_sha256"]  # the .npz declutter predicts with, written beside it
        outputs.append((out.read_bytes(), out.with_suffix(".npz").read_bytes()))
    assert outputs[0] == outputs[1]


def test_benchmark_sections_replace_only_their_own_part(tmp_path):
    from training.benchmarks.docs import replace_section

    path = tmp_path / "docs" / "benchmarks.md"
    a = ("<!-- a:begin -->", "<!-- a:end -->")
    b = ("<!-- b:begin -->", "<!-- b:end -->")
    replace_section(path, f"{a[0]}\nfirst A\n{a[1]}\n", *a)
    replace_section(path, f"{b[0]}\nfirst B\n{b[1]}\n", *b)
    replace_section(path, f"{a[0]}\nsecond A\n{a[1]}\n", *a)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n")
    assert "second A" in text and "first A" not in text and "first B" in text
    assert text.index("second A") < text.index("first B")  # a section keeps its place
    assert text.count(a[0]) == text.count(a[1]) == text.count(b[0]) == 1


def test_leak_rows_pool_characters_and_average_pages():
    from training.corpus import Page
    from training.evaluate import SYSTEMS, leak_rows

    def page(pid, segments):
        return Page("l3s-gn1", pid, pid, "", "", None, None, {"segments": segments})

    big = "c" * 900
    pages = [page("a", [("comments", big)]), page("b", [("comments", "short comment x")]),
             page("c", [("fulltext", "the story")])]
    outputs = {("l3s-gn1", "a"): {s: big for s in SYSTEMS},
               ("l3s-gn1", "b"): {s: "" for s in SYSTEMS},
               ("l3s-gn1", "c"): {s: "the story" for s in SYSTEMS}}
    comments = next(r for r in leak_rows(pages, outputs) if r.kind == "comments")
    assert comments.pages == 2 and comments.blocks == 2
    assert comments.shares["model"] == 900 / (900 + len("short comment x"))
    assert comments.page_shares["model"] == 0.5


def test_equivalence_script_finds_no_difference_on_fixture_pages(tmp_path, capsys):
    """training.benchmarks.equivalence runs both paths in child processes and compares their output."""
    import gzip
    import json

    from conftest import PAGES

    from training.benchmarks import equivalence

    folder = tmp_path / "data" / "ours"
    folder.mkdir(parents=True)
    with gzip.open(folder / "pages.jsonl.gz", "wt", encoding="utf-8") as f:
        for i, page in enumerate(sorted(PAGES.iterdir())[:4]):
            html = page.read_bytes().decode("utf-8", "replace")
            f.write(json.dumps({"id": str(i), "html": html}) + "\n")
        f.write(json.dumps({"id": "empty", "html": ""}) + "\n")
    assert equivalence.main([str(tmp_path / "data"), "--no-write"]) == 0
    out = capsys.readouterr().out
    # The empty page is refused as HTML and, flattened to nothing, as text.
    assert "**10 of 10 runs identical** (0 differ; 2 inputs refused alike by both)" in out
    # Against a checkout (this one): the other process runs that checkout's code.
    repo = Path(__file__).resolve().parent.parent
    assert equivalence.main([str(tmp_path / "data"), "--reference", str(repo),
                             "--out", str(tmp_path / "b.md")]) == 0
    out = capsys.readouterr().out
    # (named relative to the repository, as docs/benchmarks.md records paths: here itself)
    assert "one with the code of . " in out and "**10 of 10 runs identical**" in out
    written = (tmp_path / "b.md").read_text(encoding="utf-8")
    assert equivalence.REF_BEGIN in written and equivalence.BEGIN not in written


def test_equivalence_compare_reports_differing_pages():
    from training.benchmarks import equivalence

    fast = {"speedups": {}, "rows": [("d", "1", "html", "aa", 0.001), ("d", "2", "html", "bb", 0.002),
                                     ("d", "1", "text", "cc", 0.001), ("d", "2", "text", "dd", 0.001)]}
    pure = {"speedups": {}, "rows": [("d", "1", "html", "aa", 0.002), ("d", "2", "html", "XX", 0.004),
                                     ("d", "1", "text", "cc", 0.001), ("d", "2", "text", "dd", 0.002)]}
    result = equivalence.compare(fast, pure)
    assert result["differ"] == [("d", "2", "html")]
    assert result["pages"] == 2 and result["runs"] == 4
    assert result["html"][1:3] == (1.5, 3.0)


def test_flatten_marks_list_items_as_scrapers_do_and_carries_the_labels():
    from training.labels import FLATTEN_STYLES, _carried, flatten

    doc = from_html("<p>Intro text here.</p><ol><li>First headline</li><li>Second one</li></ol>"
                    "<ul><li>Other list</li></ul>")
    seen = {}
    for n in range(60):  # the style comes from a hash of the page id
        texts, source = flatten(doc, f"page-{n}")
        seen[tuple(texts)] = source.tolist()
    assert ["Intro text here.", "First headline", "Second one", "Other list"] in map(list, seen)
    assert ["Intro text here.", "* First headline", "* Second one", "* Other list"] in map(list, seen)
    assert ["Intro text here.", "1. First headline", "2. Second one", "1. Other list"] in map(list, seen)
    dashed = ("Intro text here.", "-", "First headline", "-", "Second one", "-", "Other list")
    assert seen[dashed] == [0, -1, 1, -1, 2, -1, 3]
    assert len(set(FLATTEN_STYLES)) == 4
    y, weight = _carried(np.array([1, 1, 0, 0], dtype=np.int8), None, np.array(seen[dashed]))
    assert y.tolist() == [1, 0, 1, 0, 0, 0, 0] and weight.tolist() == [1, 0, 1, 0, 1, 0, 1]


def test_benchmark_commands_are_recorded_relative_to_the_repository():
    """docs/benchmarks.md shows commands a reader can run from a clone: no machine paths."""
    from training.benchmarks.docs import REPO, shown, shown_path

    data = REPO.parent / "shared" / "data"
    # A scratch path in the temporary folder stays as it is, unless the clone itself lives there.
    scratch = "/tmp/c/oof.pkl.gz"
    if Path(scratch).resolve().is_relative_to(REPO.parent):
        scratch_shown = os.path.relpath(scratch, REPO)
    else:
        scratch_shown = scratch
    assert shown(f"python -m training.evaluate {data} --oof-cache {scratch} --threads 2") == \
        f"python -m training.evaluate ../shared/data --oof-cache {scratch_shown} --threads 2"
    assert shown(f"python -m training.train ../shared/data --out={REPO / 'm' / 'x.joblib'}") == \
        "python -m training.train ../shared/data --out=m/x.joblib"
    assert shown_path(REPO.parent / "ref") == "../ref"
    assert shown_path("relative/as/given") == "relative/as/given"


def test_docs_benchmarks_records_no_machine_paths():
    from training.benchmarks.docs import REPO

    text = (REPO / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    # Neither the clone's own place nor its data folder's (a clone in /tmp shares "/tmp/" with scratch paths).
    assert str(REPO) + "/" not in text and str(REPO.parent / "shared") not in text
    assert "/work/" not in text and "/home/" not in text


def test_train_refuses_a_labels_folder_without_labelled_pages(tmp_path, capsys):
    """A labels folder without index.json once trained on the fixtures alone and reported success."""
    from training.train import main

    (tmp_path / "page.html").write_text("<p>Some page.</p>", encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        main(["--labels", str(tmp_path), "--out", str(tmp_path / "m.joblib")])
    assert stop.value.code == 2
    assert "no labelled pages" in capsys.readouterr().err
    assert not (tmp_path / "m.joblib").exists()
