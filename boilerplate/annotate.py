"""A page's lines as declutter sees them, for people: kept and dropped lines, grouped by block, as HTML.

One renderer serves ``declutter show`` (a static page for reports and bug
reports) and ``declutter label`` (the same page plus the labelling script,
served by ``labelserver``). Everything is inline: the page loads nothing
from anywhere.

A *block* is a run of consecutive lines that share their container (in HTML,
``Line.ancestors[0]``, the block element around the line's own one: the
``<ul>`` of a list's items, the widget around a ranking). Flattened text has
no markup: there a block is a run of consecutive lines the model decided
alike.

Labels live beside the page: ``NAME.labels.jsonl`` next to ``NAME.html`` or
``NAME.txt``, one record per line in the ``declutter --format lines`` shape
(text, label, score, reason), matched back to the lines by text, in order.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from .decode import DEFAULT_MAX_BYTES, read
from .document import Document, Extraction, Label, LineResult
from .engines import run_model
from .errors import InputError
from .model import Model, load_model
from .segment import from_text, html_document
from .sniff import page_kind

__all__ = [
    "LABELS_SUFFIX",
    "PAGE_SUFFIXES",
    "PageView",
    "ViewLine",
    "annotate",
    "blocks_of",
    "document_of",
    "labels_path",
    "match_labels",
    "read_labels",
    "render",
    "write_labels",
]

LABELS_SUFFIX = ".labels.jsonl"
#: The page files a labels file can sit beside, in the order they are looked for.
PAGE_SUFFIXES = (".html", ".htm", ".xhtml", ".txt")
_CONTENT, _BOILERPLATE = Label.CONTENT.value, Label.BOILERPLATE.value
#: What a hand-set label's reason says, before the model's own reason.
HAND_REASON = "labelled by hand"


@dataclass(frozen=True, slots=True)
class ViewLine:
    """One line of the view: its text, current label (by hand or the model's) and the model's decision."""

    text: str
    label: str
    model_label: str
    score: float
    reason: str
    block: int


@dataclass(frozen=True)
class PageView:
    """A page's lines ready to show: where it came from, the model that decided, the lines."""

    name: str
    kind: str
    title: str | None
    model_version: str | None
    threshold: float
    lines: tuple[ViewLine, ...]
    #: Lines whose label came from the labels file (the others are the model's).
    from_file: int = 0
    #: Records of the labels file that matched no line (the page or the segmenter changed).
    unmatched: int = 0


def labels_path(page: Path) -> Path:
    """Where a page's labels go: NAME.labels.jsonl beside NAME.html (or NAME.txt)."""
    return page.with_name(page.stem + LABELS_SUFFIX)


def document_of(data: str | bytes, *, kind: str = "auto", max_bytes: int | None = DEFAULT_MAX_BYTES) -> Document:
    """The Document declutter would classify: the page read, its kind resolved, segmented.

    Raises:
        InputError: for input that is not a page (as ``declutter``).
    """
    page = read(data, max_bytes=max_bytes)
    if page_kind(page.text, kind) == "html":
        return html_document(page)
    return from_text(page.text, max_bytes=None)


def blocks_of(doc: Document, decided: Sequence[LineResult] | None = None) -> list[int]:
    """A block number per line: runs of lines sharing ``ancestors[0]`` (text: runs decided alike)."""
    blocks: list[int] = []
    current, previous = 0, None
    for i, line in enumerate(doc.lines):
        if doc.kind == "text":
            key: object = decided[i].label if decided is not None else i
        else:  # a line without a container is a block of its own
            key = line.ancestors[0] if line.ancestors else ("alone", i)
        if i and key != previous:
            current += 1
        blocks.append(current)
        previous = key
    return blocks


def read_labels(path: Path) -> list[dict[str, Any]]:
    """The records of a labels file (empty when there is none).

    Raises:
        InputError: for a record that is not an object with a text and a valid label.
    """
    if not path.is_file():
        return []
    records = []
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                raise InputError(f"{path}:{number}: not JSON") from None
            if (not isinstance(record, dict) or not isinstance(record.get("text"), str)
                    or record.get("label") not in (_CONTENT, _BOILERPLATE)):
                raise InputError(f"{path}:{number}: a label record needs a text and a label "
                                 f"({_CONTENT!r} or {_BOILERPLATE!r})")
            records.append(record)
    return records


def match_labels(texts: Sequence[str], records: Iterable[dict[str, Any]]) -> tuple[list[str | None], int]:
    """Each line's label from the records, matched by text in order; and how many records matched none."""
    queues: dict[str, deque[str]] = defaultdict(deque)
    for record in records:
        queues[record["text"]].append(record["label"])
    labels = [queues[text].popleft() if queues.get(text) else None for text in texts]
    return labels, sum(len(q) for q in queues.values())


def write_labels(path: Path, view: PageView, labels: Sequence[str]) -> Path:
    """Write a page's labels in the ``--format lines`` shape; atomically, so a crash leaves the old file.

    Raises:
        ValueError: when the labels do not fit the view's lines.
    """
    if len(labels) != len(view.lines) or any(label not in (_CONTENT, _BOILERPLATE) for label in labels):
        raise ValueError(f"expected {len(view.lines)} labels, each {_CONTENT!r} or {_BOILERPLATE!r}")
    rows = []
    for line, label in zip(view.lines, labels):
        reason = line.reason if label == line.model_label else f"{HAND_REASON} (model: {line.reason})"
        rows.append(json.dumps({"text": line.text, "label": label, "score": line.score, "reason": reason},
                               ensure_ascii=False))
    handle, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write("".join(row + "\n" for row in rows))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def annotate(data: str | bytes, *, name: str, kind: str = "auto", model: str | Path | None = None,
             threshold: float | None = None, labels: Sequence[dict[str, Any]] = ()) -> PageView:
    """A page's view: every line with the model's decision, its block, and its saved label if any.

    Raises:
        InputError: for input that is not a page.
        ModelError: if the model cannot load.
    """
    doc = document_of(data, kind=kind)
    loaded: Model = load_model(model)
    found: Extraction = run_model(doc, loaded, threshold=threshold)
    blocks = blocks_of(doc, found.lines)
    saved, unmatched = match_labels([line.text for line in found.lines], labels)
    lines = tuple(
        ViewLine(text=r.text, label=s if s is not None else r.label.value, model_label=r.label.value,
                 score=r.score, reason=r.reason, block=b)
        for r, b, s in zip(found.lines, blocks, saved))
    return PageView(name=name, kind=doc.kind, title=found.title, model_version=found.model_version,
                    threshold=loaded.threshold if threshold is None else threshold, lines=lines,
                    from_file=sum(s is not None for s in saved), unmatched=unmatched)


def _template(name: str) -> str:
    """A template file shipped in boilerplate/templates."""
    return resources.files("boilerplate").joinpath("templates").joinpath(name).read_text(encoding="utf-8")


def _line_html(index: int, line: ViewLine) -> str:
    """One line: a mark, the text, the score and the reason."""
    state = "keep" if line.label == _CONTENT else "drop"
    changed = " changed" if line.label != line.model_label else ""
    return (f'<div class="line {state}{changed}" id="l{index}" data-i="{index}" data-label="{line.label}" '
            f'data-model="{line.model_label}" title="{html.escape(line.reason)}">'
            f'<span class="mark" aria-hidden="true"></span><span class="text">{html.escape(line.text)}</span>'
            f'<span class="meta"><span class="score">{line.score:.2f}</span> '
            f'<span class="reason">{html.escape(line.reason)}</span></span></div>')


def _body_html(view: PageView) -> str:
    """The lines, block by block, each block with its flip button."""
    parts: list[str] = []
    for index, line in enumerate(view.lines):
        if index == 0 or line.block != view.lines[index - 1].block:
            if index:
                parts.append("</section>")
            size = sum(1 for other in view.lines if other.block == line.block)
            parts.append(f'<section class="block" data-block="{line.block}"><button class="flip-block" '
                         f'type="button" title="flip the whole block (b)">block {line.block + 1} &middot; '
                         f'{size} line{"s" if size != 1 else ""}</button>')
        parts.append(_line_html(index, line))
    if view.lines:
        parts.append("</section>")
    else:
        parts.append('<p class="empty">This page has no visible text.</p>')
    return "\n".join(parts)


def _summary(view: PageView) -> str:
    """The line under the title: counts, model, threshold, labels loaded."""
    kept = sum(line.label == _CONTENT for line in view.lines)
    text = (f"{len(view.lines)} lines, <b id=\"kept\">{kept}</b> kept &middot; {view.kind} &middot; "
            f"model {html.escape(view.model_version or '?')}, threshold {view.threshold:g}")
    if view.from_file:
        text += f" &middot; {view.from_file} labels loaded from the labels file"
    if view.unmatched:
        text += f" &middot; {view.unmatched} saved labels matched no line"
    return text


def render(view: PageView, *, script: str = "", nav: str = "", token: str = "", save: str = "") -> str:
    """The view as one self-contained HTML document; with ``script``, the labelling page (saving to ``save``)."""
    return Template(_template("view.html")).substitute(
        title=html.escape(view.name), heading=html.escape(view.title or view.name),
        name=html.escape(view.name), summary=_summary(view), nav=nav,
        css=_template("view.css"), body=_body_html(view), mode="label" if script else "show",
        token=html.escape(token), save=html.escape(save), script=f"<script>\n{script}\n</script>" if script else "",
    )
