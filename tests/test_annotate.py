"""The annotated view (declutter show / label): lines, blocks, labels files, the self-contained page."""

from __future__ import annotations

import json
import re

import pytest
from conftest import PAGES, html_page

from boilerplate import declutter
from boilerplate.annotate import (
    HAND_REASON,
    annotate,
    blocks_of,
    document_of,
    labels_path,
    match_labels,
    read_labels,
    render,
    write_labels,
)
from boilerplate.errors import InputError

WIDGET = html_page(
    "<nav><ul><li><a href='/'>Home</a></li><li><a href='/w'>World</a></li></ul></nav>"
    "<article><h1>A headline</h1><div class='body'><p>" + "The first paragraph of the story is long. " * 6
    + "</p><p>" + "A second paragraph goes on with the story. " * 6 + "</p></div></article>"
    "<aside class='ranking'><ol><li><a href='/a'>Most read one</a></li><li><a href='/b'>Most read two</a>"
    "</li><li><a href='/c'>Most read three</a></li></ol></aside>")


def test_view_lines_are_declutters_decisions() -> None:
    data = (PAGES / "japannews_like.html").read_bytes()
    view = annotate(data, name="japannews_like.html")
    found = declutter(data)
    assert [(v.text, v.label, v.score, v.reason) for v in view.lines] == \
        [(r.text, r.label.value, r.score, r.reason) for r in found.lines]
    assert all(v.label == v.model_label for v in view.lines)
    assert view.kind == "html" and view.from_file == 0 and view.model_version == found.model_version


def test_blocks_are_runs_of_lines_sharing_their_container() -> None:
    doc = document_of(WIDGET)
    blocks = blocks_of(doc)
    texts = [line.text for line in doc.lines]
    ranking = [blocks[texts.index(t)] for t in ("Most read one", "Most read two", "Most read three")]
    menu = [blocks[texts.index(t)] for t in ("Home", "World")]
    assert len(set(ranking)) == 1 and len(set(menu)) == 1 and ranking != menu
    assert blocks == sorted(blocks) and blocks[0] == 0  # numbered in order, contiguous


def test_text_blocks_are_runs_decided_alike() -> None:
    data = (PAGES / "seed_japannews.txt").read_bytes()
    view = annotate(data, name="seed_japannews.txt")
    assert view.kind == "text"
    for before, after in zip(view.lines, view.lines[1:]):
        assert (before.block == after.block) == (before.model_label == after.model_label)


def test_labels_round_trip_and_are_loaded_back(tmp_path) -> None:
    page = tmp_path / "story.html"
    page.write_text(WIDGET, encoding="utf-8")
    view = annotate(page.read_bytes(), name=page.name)
    flipped = ["content" if line.label == "boilerplate" else "boilerplate" for line in view.lines[:2]]
    labels = flipped + [line.label for line in view.lines[2:]]
    path = write_labels(labels_path(page), view, labels)
    assert path == tmp_path / "story.labels.jsonl"
    records = [json.loads(raw) for raw in path.read_text(encoding="utf-8").splitlines()]
    assert [set(r) for r in records] == [{"text", "label", "score", "reason"}] * len(view.lines)
    assert [r["label"] for r in records] == labels
    assert records[0]["reason"].startswith(HAND_REASON) and records[2]["reason"] == view.lines[2].reason
    again = annotate(page.read_bytes(), name=page.name, labels=read_labels(path))
    assert [line.label for line in again.lines] == labels and again.from_file == len(labels)
    assert [line.model_label for line in again.lines] == [line.model_label for line in view.lines]


def test_write_labels_refuses_labels_that_do_not_fit(tmp_path) -> None:
    view = annotate(WIDGET, name="w.html")
    with pytest.raises(ValueError):
        write_labels(tmp_path / "w.labels.jsonl", view, ["content"])
    with pytest.raises(ValueError):
        write_labels(tmp_path / "w.labels.jsonl", view, ["maybe"] * len(view.lines))
    assert not (tmp_path / "w.labels.jsonl").exists()


def test_match_labels_by_text_in_order() -> None:
    records = [{"text": "a", "label": "content"}, {"text": "b", "label": "boilerplate"},
               {"text": "a", "label": "boilerplate"}, {"text": "gone", "label": "content"}]
    labels, unmatched = match_labels(["a", "a", "b", "new"], records)
    assert labels == ["content", "boilerplate", "boilerplate", None] and unmatched == 1


def test_read_labels_refuses_bad_records(tmp_path) -> None:
    path = tmp_path / "p.labels.jsonl"
    assert read_labels(path) == []
    path.write_text('{"text": "a", "label": "content"}\n\n{"text": "b"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=":3:"):
        read_labels(path)


def test_rendered_page_is_self_contained_and_escaped() -> None:
    page = html_page("<p>" + "Tom &amp; Jerry &lt;script&gt;alert(1)&lt;/script&gt; ran far away. " * 5 + "</p>")
    view = annotate(page, name="<odd>.html")
    document = render(view)
    assert "<script>alert" not in document and "&lt;script&gt;alert(1)" in document
    assert "&lt;odd&gt;.html" in document
    assert "<script" not in document  # the static view has no script at all
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", document)  # loads nothing
    assert "default-src 'none'" in document
    labelling = render(view, script="/* labelling */", token="t0k", save="/page/0/save")
    assert "/* labelling */" in labelling and 'data-token="t0k"' in labelling


def test_render_marks_kept_dropped_and_hand_labelled_lines() -> None:
    view = annotate(WIDGET, name="w.html")
    document = render(view)
    assert document.count('class="line keep') == sum(line.label == "content" for line in view.lines)
    assert document.count('class="line drop') == sum(line.label == "boilerplate" for line in view.lines)
    assert document.count('<section class="block"') == len({line.block for line in view.lines})
    labels = ["content"] * len(view.lines)
    changed = annotate(WIDGET, name="w.html", labels=[{"text": line.text, "label": label}
                                                      for line, label in zip(view.lines, labels)])
    assert len(re.findall(r'class="line (keep|drop) changed"', render(changed))) == sum(line.model_label != "content" for line in view.lines)
