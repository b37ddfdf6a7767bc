"""``declutter train``: adapt a model to a few labelled pages of a site, without the training corpus.

How: the boosting goes on. Both stages of the model are gradient-boosted
trees (scikit-learn's HistGradientBoostingClassifier); with ``warm_start``
they keep their trees and add a few more, fitted to what the model still
gets wrong on the user's lines (their raw scores start from the base
model's). The base model's knowledge stays whole in its trees: the new,
small trees only move the scores of lines that look like the labelled
site's. The alternative, a sample of the base training set's feature rows
shipped in the package and a refit on it plus the user's lines, would tie
every retrain and every feature change to a regenerated sample (and
megabytes in the package); it is measured against this in
``training/benchmarks/learning_curve.py`` (docs/benchmarks.md).

Stage two reads stage one's probabilities of a line's neighbours. It goes on
too, on the probabilities of an adapted stage one for pages it did not learn
from (the pages' folds each get theirs from a stage one adapted on the other
folds; one page alone gets the base stage one's), as at prediction time.

An HTML page teaches both modes: its lines are also flattened to text, with
the same labels, as the base model's training does.

scikit-learn is needed here only; declutter itself predicts without it.
"""

from __future__ import annotations

import copy
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .annotate import (
    LABELS_SUFFIX,
    PAGE_SUFFIXES,
    document_of,
    match_labels,
    read_labels,
)
from .document import Document
from .errors import InputError
from .estimator import stages_proba
from .features import featurize, line_groups, stage2_features
from .model import DEFAULT_MODEL_PATH, load_model, save_model
from .segment import from_text

__all__ = [
    "ADAPT_STAGE1",
    "ADAPT_STAGE2",
    "MODEL_FILE",
    "LabelledView",
    "adapt",
    "labelled_files",
    "labelled_views",
    "train_folder",
]

#: The file name of the model inside a model folder (as the shipped one's).
MODEL_FILE = DEFAULT_MODEL_PATH.name
#: Stage one's continuation: ``extra_iter`` more trees, smaller than the base
#: model's (a site has a few thousand lines, not a million), and with the
#: base's shrinkage. Chosen on the learning curve's sites (docs/benchmarks.md).
ADAPT_STAGE1: Mapping[str, Any] = {"extra_iter": 40, "learning_rate": 0.1, "max_leaf_nodes": 15,
                                   "min_samples_leaf": 20, "l2_regularization": 1.0}
#: Stage two learns from stage-one probabilities of pages that stage one was
#: not adapted on: the pages are cut into this many folds (each fold's from a
#: stage one adapted on the others), so training time stays bounded however
#: many pages are labelled.
STAGE2_FOLDS = 5
#: Stage two's continuation: fewer trees, it reads 30 columns.
ADAPT_STAGE2: Mapping[str, Any] = {"extra_iter": 20, "learning_rate": 0.1, "max_leaf_nodes": 7,
                                   "min_samples_leaf": 20, "l2_regularization": 1.0}


@dataclass(frozen=True)
class LabelledView:
    """One page's lines in one mode, with their features and labels (weight 0: no label)."""

    page: str
    kind: str
    X: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    groups: np.ndarray


def labelled_files(folder: Path) -> list[tuple[Path, Path]]:
    """(page, labels) pairs of a folder: each NAME.labels.jsonl with its NAME.html (or .htm, .xhtml, .txt).

    Raises:
        InputError: when the folder holds no labels file, or one without its page.
    """
    if not folder.is_dir():
        raise InputError(f"not a folder: {folder}")
    pairs = []
    for labels in sorted(folder.glob("*" + LABELS_SUFFIX)):
        stem = labels.name[: -len(LABELS_SUFFIX)]
        pages = [folder / (stem + suffix) for suffix in PAGE_SUFFIXES if (folder / (stem + suffix)).is_file()]
        if not pages:
            raise InputError(f"{labels.name} has no page beside it ({stem}.html or {stem}.txt)")
        pairs.append((pages[0], labels))
    if not pairs:
        raise InputError(f"no labelled page in {folder}: label pages with `declutter label {folder}` first "
                         f"(each NAME.html needs NAME{LABELS_SUFFIX} beside it)")
    return pairs


def _view(name: str, doc: Document, labels: Sequence[str | None]) -> LabelledView:
    """A Document's features with its labels."""
    groups = line_groups(doc)
    y = np.array([label == "content" for label in labels], dtype=np.int8)
    weight = np.array([label is not None for label in labels], dtype=np.float64)
    return LabelledView(name, doc.kind, featurize(doc, groups), y, weight, groups)


def labelled_views(data: str | bytes, records: Sequence[dict[str, Any]], *, name: str,
                   kind: str = "auto") -> list[LabelledView]:
    """A labelled page's views: as declutter reads it, and an HTML page also flattened to text.

    Raises:
        InputError: when fewer than half of the page's lines have a label (the
            labels are not this page's, or it changed since).
    """
    doc = document_of(data, kind=kind)
    texts = [line.text for line in doc.lines]
    labels, _ = match_labels(texts, records)
    if sum(label is None for label in labels) * 2 > len(labels):
        raise InputError(f"{name}: most lines have no label (were the labels made for another page? "
                         "label it again with `declutter label`)")
    views = [_view(name, doc, labels)]
    if doc.kind == "html":
        flat = from_text("\n".join(texts), max_bytes=None)
        if len(flat.lines) == len(texts):  # the same lines, so the same labels
            views.append(_view(name, flat, labels))
    return views


def _continue(fitted: Any, X: np.ndarray, y: np.ndarray, weight: np.ndarray,
              settings: Mapping[str, Any]) -> Any:
    """A copy of a fitted stage (a Pipeline ending in HistGradientBoostingClassifier) with more trees."""
    from threadpoolctl import threadpool_limits

    model = copy.deepcopy(fitted)
    name, clf = model.steps[-1]
    params = {key: value for key, value in settings.items() if key != "extra_iter"}
    clf.set_params(warm_start=True, max_iter=clf.n_iter_ + int(settings["extra_iter"]), **params)
    keep = weight > 0
    # One thread: a few thousand rows gain nothing from OpenMP, and on a busy
    # machine its waiting threads made one fit 30 s instead of 0.7 s.
    with threadpool_limits(limits=1, user_api="openmp"):
        model.fit(X[keep], y[keep], **{f"{name}__sample_weight": weight[keep]})
    clf.set_params(warm_start=False)
    return model


def _stack(views: Sequence[LabelledView]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X, y and weights of views, one after another."""
    return (np.concatenate([v.X for v in views]), np.concatenate([v.y for v in views]),
            np.concatenate([v.weight for v in views]))


def _held_out_stage1(base_stage1: Any, views: Sequence[LabelledView], held_out: set[str],
                     settings: Mapping[str, Any]) -> Any:
    """Stage one adapted on the other pages' views; the base's (which never saw these either) without them."""
    others = [v for v in views if v.page not in held_out]
    if others:
        X, y, weight = _stack(others)
        if len(np.unique(y[weight > 0])) == 2:
            return _continue(base_stage1, X, y, weight, settings)
    return base_stage1


def adapt(base: Mapping[str, Any], views: Sequence[LabelledView], *,
          stage1: Mapping[str, Any] = ADAPT_STAGE1, stage2: Mapping[str, Any] | None = ADAPT_STAGE2) -> dict[str, Any]:
    """Base stages ({"stage1": Pipeline, "stage2": Pipeline | None}) adapted to labelled views.

    ``stage2`` None keeps the base's stage two as it is.

    Raises:
        InputError: when the labels are all of one class.
    """
    X, y, weight = _stack(views)
    if len(np.unique(y[weight > 0])) < 2:
        raise InputError("the labelled lines need both kinds: some content and some boilerplate")
    adapted = {"stage1": _continue(base["stage1"], X, y, weight, stage1), "stage2": base.get("stage2")}
    if adapted["stage2"] is None or stage2 is None:
        return adapted
    inputs = []
    pages = sorted({v.page for v in views})
    for fold in range(min(STAGE2_FOLDS, len(pages))):
        held_out = set(pages[fold::STAGE2_FOLDS])
        source = _held_out_stage1(base["stage1"], views, held_out, stage1)
        for view in (v for v in views if v.page in held_out):
            proba = stages_proba({"stage1": source, "stage2": None}, view.X, view.groups)
            inputs.append((view, stage2_features(proba, view.X, view.groups)))
    S = np.concatenate([s for _, s in inputs])
    y2 = np.concatenate([v.y for v, _ in inputs])
    w2 = np.concatenate([v.weight for v, _ in inputs])
    adapted["stage2"] = _continue(base["stage2"], S, y2, w2, stage2)
    return adapted


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def train_folder(folder: Path, output: Path, *, base: Path | None = None,
                 log: Callable[[str], None] = lambda text: None) -> str:
    """Adapt a model (default: the shipped one) to a folder's labelled pages; write it as a model folder.

    Returns:
        A one-line report of what was written.

    Raises:
        InputError: for a folder without labelled pages, or labels that do not fit.
        ModelError: if the base model cannot load.
        OSError: when a file cannot be read or the folder written.
    """
    t0 = time.perf_counter()
    if output.exists() and not output.is_dir():
        raise InputError(f"{output} is a file: -o names the model folder to write")
    model = load_model(base)
    fitted = model.estimator  # the scikit-learn stages (imports scikit-learn)
    views: list[LabelledView] = []
    pages: list[dict[str, Any]] = []
    for page, labels in labelled_files(folder):
        data = page.read_bytes()
        page_views = labelled_views(data, read_labels(labels), name=page.name)
        views += page_views
        first = page_views[0]
        pages.append({"name": page.name, "sha256": _sha256(data), "kind": first.kind, "lines": len(first.y),
                      "labelled": int(first.weight.sum()), "content": int(first.y[first.weight > 0].sum())})
        log(f"declutter: {page.name}: {pages[-1]['labelled']} labelled lines, {pages[-1]['content']} content")
    adapted = adapt(fitted, views)
    meta = _metadata(model.metadata, model.version, base, pages)
    save_model(adapted, output / MODEL_FILE, meta)
    lines = sum(int(p["labelled"]) for p in pages)
    return (f"declutter: adapted model {model.version} to {len(pages)} page{'s' if len(pages) != 1 else ''} "
            f"({lines} labelled lines) in {time.perf_counter() - t0:.1f} s: wrote {output}/ "
            f"(use it: declutter --model {output} PAGE)")


def _metadata(base_meta: Mapping[str, Any], base_version: str, base: Path | None,
              pages: list[dict[str, Any]]) -> dict[str, Any]:
    """The adapted model's metadata: the base's, plus what it was adapted from and on."""
    kept = ("threshold", "training_data", "label_rule")
    meta = {key: base_meta[key] for key in kept if key in base_meta}
    meta["adapted_from"] = {"model_version": base_version, "sha256": base_meta.get("sha256"),
                            "model": "shipped" if base is None else str(base),
                            "training_lines": base_meta.get("training_lines")}
    meta["adapted_on"] = pages
    meta["adaptation"] = {"method": "boosting continued (warm start) on the labelled lines",
                          "stage1": dict(ADAPT_STAGE1), "stage2": dict(ADAPT_STAGE2)}
    meta["command"] = "declutter train"
    return meta
