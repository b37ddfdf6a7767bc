"""Shared factories and paths for the test suite.

Tests that need a trained model use the shipped one
(boilerplate/data/line_classifier.joblib); tests of model loading train a tiny
model on random data in ``tmp_path``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # plain `pytest` from elsewhere, package not installed
    sys.path.insert(0, str(REPO))

from boilerplate.document import Document, Line
from boilerplate.features import FEATURE_NAMES, featurize

FIXTURES = REPO / "fixtures"
PAGES = FIXTURES / "pages"


def line(text: str = "A line of text.", **kw) -> Line:
    """A Line with defaults for every field that is not given."""
    return Line(text=text, **kw)


def doc_from(*items: str | Line, kind: str = "html", title: str | None = None,
             url: str | None = None) -> Document:
    """A Document from texts or Lines; indices are renumbered in order."""
    lines = tuple(
        dataclasses.replace(item if isinstance(item, Line) else line(item), index=i)
        for i, item in enumerate(items)
    )
    return Document(kind=kind, lines=lines, title=title, url=url)


def html_page(body: str, head: str = "") -> str:
    """A minimal HTML page around a body fragment."""
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


def texts(doc: Document) -> list[str]:
    """The texts of a document's lines, in order."""
    return [ln.text for ln in doc.lines]


def col(X: np.ndarray, name: str) -> np.ndarray:
    """One named column of a feature matrix."""
    return X[:, FEATURE_NAMES.index(name)]


def features_of(*items: str | Line, kind: str = "html") -> tuple[Document, np.ndarray]:
    """A document built with ``doc_from`` and its feature matrix."""
    doc = doc_from(*items, kind=kind)
    return doc, featurize(doc)


def fixture_index() -> list[dict]:
    """The entries of fixtures/index.json."""
    return json.loads((FIXTURES / "index.json").read_text(encoding="utf-8"))


def fixture_entry(name: str) -> dict:
    """One entry of fixtures/index.json by name."""
    for entry in fixture_index():
        if entry["name"] == name:
            return entry
    raise KeyError(name)


def fixture_bytes(name: str) -> bytes:
    """The raw bytes of a fixture page, by its index name."""
    return (FIXTURES / fixture_entry(name)["page"]).read_bytes()


def fixture_labels(name: str) -> list[dict]:
    """The label records (text, label) of a fixture page, by its index name."""
    path = FIXTURES / fixture_entry(name)["labels"]
    with open(path, encoding="utf-8") as f:
        return [json.loads(row) for row in f if row.strip()]


def fixture_documents() -> list[Document]:
    """Every fixture page segmented as detected, and again read as flattened text."""
    from boilerplate.segment import segment

    docs = []
    for page in sorted((FIXTURES / "pages").iterdir()):
        docs.append(segment(page.read_bytes()))
        docs.append(segment(page.read_bytes(), kind="text"))
    return docs
