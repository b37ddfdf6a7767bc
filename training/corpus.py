"""Step 1 of training: pages, from the datasets of ../shared/data and from hand-labelled folders.

A dataset folder holds ``pages.jsonl.gz``: one JSON record per page with its
``html`` and, depending on the dataset, the gold ``body``, ``title``, ``url``
and more (snippets, block labels, language), kept in ``Page.extra``.

A hand-labelled folder (our fixtures/, or a user's own) holds ``index.json``
(a list of {"name", "page", "labels", "kind", "split"}), the pages, and one
JSON Lines file of labels per page: one record per line, {"text": ...,
"label": "content" | "boilerplate"}, the schema of ``declutter --format
jsonl``, so its output can be corrected by hand. Its records go to
``Page.extra["labels"]``; labels.py matches them to the lines.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from boilerplate.decode import decode

#: Datasets with full gold text that we train on, English first, then the
#: other languages (daniel: zh, el, ru, pl; cwced: zh; fundus: 27 languages).
GOLD_DATASETS = (
    "l3s-gn1", "dragnet", "cleaneval", "cleanportaleval", "readability",
    "google-trends-2017", "big9", "chaos", "wcxb-articles", "daniel", "cwced", "fundus",
)
#: trafilatura's evaluation pages have snippets, not full gold: their lines
#: that hold a snippet are labelled (labels.snippet_labels), the rest weigh 0.
SNIPPET_DATASET = "trafilatura-eval"
TRAIN_DATASETS = (*GOLD_DATASETS, SNIPPET_DATASET)
_HREF_HOST = re.compile(r"""href=["']https?://([^/"'?#:]+)""", re.IGNORECASE)
#: readability's synthetic test cases (ids like 001, rtl-1) test parser
#: corners, not articles: skip them.
SYNTHETIC = re.compile(r"^(?:\d{3}|rtl-\d|base-url.*|replace-.*|svg-.*|.*-\d+)$")


@dataclass(frozen=True)
class Page:
    """One page from a dataset or from a hand-labelled folder."""

    dataset: str
    id: str
    site: str
    html: str
    body: str | None
    title: str | None
    url: str | None
    extra: dict[str, Any]


#: daniel's ids name the page's host (``daniel/20111101_www.express.gr_<hash>``):
#: most of its pages have no URL, and their links often name an ad server.
_DANIEL_HOST = re.compile(r"^daniel/\d+_([^_]+)_")
#: One site under several numbered hosts (www1.rizospastis.gr, www2.rizospastis.gr).
_WWW = re.compile(r"^www\d*\.")


def site_of(url: str | None, html: str, fallback: str, page_id: str = "") -> str:
    """The host a dataset's id names, else the host of the page's URL, else the host its absolute links name most."""
    named = _DANIEL_HOST.match(page_id)
    if named:
        return _WWW.sub("", named.group(1).lower())
    if url:
        host = urlsplit(url).hostname or ""
        if host:
            return host.removeprefix("www.")
    hosts = Counter(h.lower().removeprefix("www.") for h in _HREF_HOST.findall(html[:300_000]))
    return hosts.most_common(1)[0][0] if hosts else fallback


def iter_dataset(data_dir: Path, name: str) -> Iterator[Page]:
    """Pages of one dataset folder, in file order."""
    with gzip.open(data_dir / name / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for raw in f:
            rec = json.loads(raw)
            if name == "readability" and SYNTHETIC.match(rec["id"]) and not rec.get("url"):
                continue
            extra = {k: v for k, v in rec.items() if k not in ("html", "body", "title", "url", "id")}
            yield Page(
                dataset=name, id=rec["id"], url=rec.get("url"), html=rec["html"],
                body=rec.get("body"), title=rec.get("title"),
                site=site_of(rec.get("url"), rec["html"], f"{name}:{rec['id']}", rec["id"]),
                extra=extra,
            )


def read_labels(path: Path) -> list[dict[str, Any]]:
    """The label records of one hand-labelled page."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def iter_labelled(folder: Path, split: str | None = None) -> Iterator[Page]:
    """Hand-labelled pages of a folder, optionally only one split; each page is a site of its own."""
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
