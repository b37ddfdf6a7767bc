"""Hand-labelled pages: our fixtures/ and any folder a user labels the same way.

A folder holds ``index.json`` (a list of {"name", "page", "labels", "kind",
"split"}), the pages, and one JSON Lines file of labels per page: one record
per line, {"text": ..., "label": "content" | "boilerplate"} — the schema of
``declutter --format jsonl``, so its output can be corrected by hand.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from boilerplate.document import Document
from boilerplate.decode import decode
from training.corpus import Page


def read_labels(path: Path) -> list[dict]:
    """The label records of one page."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def match_labels(doc: Document, records: list[dict]) -> np.ndarray:
    """Labels for the document's lines, matched by text in order.

    Raises:
        ValueError: when a line has no label (the page or the segmenter changed).
    """
    queues: dict[str, deque] = defaultdict(deque)
    for rec in records:
        queues[rec["text"]].append(rec["label"])
    out = np.zeros(len(doc.lines), dtype=np.int8)
    missing = []
    for i, line in enumerate(doc.lines):
        if not queues[line.text]:
            missing.append(line.text)
            continue
        out[i] = queues[line.text].popleft() == "content"
    if missing:
        raise ValueError(f"{len(missing)} lines have no label, first: {missing[0][:80]!r}")
    return out


def iter_labelled(folder: Path, split: str | None = None) -> Iterator[Page]:
    """Labelled pages of a folder, optionally only one split."""
    index_path = folder / "index.json"
    if not index_path.is_file():
        return
    for entry in json.loads(index_path.read_text(encoding="utf-8")):
        if split is not None and entry.get("split", "train") != split:
            continue
        raw = (folder / entry["page"]).read_bytes()
        yield Page(
            dataset=folder.name, id=entry["name"], site=f"{folder.name}:{entry['name']}",
            html=decode(raw), body=None, title=None, url=entry.get("url"),
            extra={"kind": entry.get("kind", "html"),
                   "labels": read_labels(folder / entry["labels"]),
                   "split": entry.get("split", "train")},
        )
