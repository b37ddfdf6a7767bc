"""``declutter train``: adapt a model to a few labelled pages of a site, without the training corpus.

How: stage one is refitted on a compact sample of the base model's own
training lines, shipped beside it (``line_classifier.sample.npz``: SAMPLE_LINES
lines drawn at random by ``training.train``), plus the user's lines weighted
as training.train weighs hand-labelled pages; stage two stays the base's. The
learning curve (``training/benchmarks/learning_curve.py``, docs/benchmarks.md)
measured this against continuing the base's boosting on the user's lines alone
(``warm_start``: a few more trees): the sample generalises from one or three
pages where the continued boosting over-fits them (one labelled page made
some sites worse by 0.05 to 0.2 F1). The adapted model folder carries the
sample with the user's lines added, so adapting it again keeps them.

A base model without a sample (an older model file) is adapted the other
way, by continued boosting (``adapt``), and the command says so.

In that fallback stage two reads stage one's probabilities of a line's
neighbours, and its boosting goes on too, on the probabilities of an adapted stage one for pages it did not learn
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
from .estimator import build_estimator, stages_proba
from .features import (
    FEATURE_NAMES,
    FEATURE_VERSION,
    featurize,
    line_groups,
    stage2_features,
)
from .model import DEFAULT_MODEL_PATH, load_model, save_model
from .segment import from_text

__all__ = [
    "ADAPT_STAGE1",
    "ADAPT_STAGE2",
    "MODEL_FILE",
    "SAMPLE_LINES",
    "BaseSample",
    "LabelledView",
    "adapt",
    "labelled_files",
    "labelled_views",
    "load_sample",
    "refit",
    "sample_path",
    "train_folder",
    "write_sample",
]

#: The file name of the model inside a model folder (as the shipped one's).
MODEL_FILE = DEFAULT_MODEL_PATH.name
#: Base training lines shipped beside a model for ``refit``: 2.1 MB compressed for
#: the shipped model's 130 features, and a refit of 10 to 30 s on one core. Not
#: tuned: the learning curve measured this size only.
SAMPLE_LINES = 30_000
#: A labelled line weighs this many base lines in ``refit`` (training.train's LABELLED_WEIGHT).
LABELLED_WEIGHT = 5.0
#: Stage one's continuation (``adapt``, the fallback): ``extra_iter`` more trees,
#: smaller than the base model's (a site has a few thousand lines, not a million),
#: with the base's shrinkage. Not tuned beyond the learning curve's one setting.
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
class BaseSample:
    """Training lines shipped beside a model: features, labels, weights."""

    X: np.ndarray
    y: np.ndarray
    weight: np.ndarray


def sample_path(model_path: Path) -> Path:
    """Where a model's base sample lives: NAME.sample.npz beside NAME.joblib."""
    return model_path.with_name(model_path.stem + ".sample.npz")


def write_sample(path: Path, X: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None,
                 lines: int | None = SAMPLE_LINES, seed: int = 0) -> Path:
    """Write a base sample: ``lines`` rows of X drawn at random (all of them with None), compressed."""
    if weight is None:
        weight = np.ones(len(y))
    else:  # lines that weigh 0 teach nothing (snippet pages' undecided lines, list markers)
        used = weight > 0
        X, y, weight = X[used], y[used], weight[used]
    if lines is not None and len(y) > lines:
        keep = np.sort(np.random.default_rng(seed).choice(len(y), lines, replace=False))
        X, y, weight = X[keep], y[keep], weight[keep]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        np.savez_compressed(f, X=X.astype(np.float32), y=y.astype(np.int8), weight=weight.astype(np.float32),
                            feature_version=np.int64(FEATURE_VERSION))
    return path


def load_sample(model_path: Path) -> BaseSample | None:
    """The base sample beside a model file; None when there is none or it is for other features."""
    path = sample_path(model_path)
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as data:
        sample = BaseSample(data["X"], data["y"], data["weight"])
        version = int(data["feature_version"])
    if version != FEATURE_VERSION or sample.X.shape[1] != len(FEATURE_NAMES):
        return None
    return sample


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


def with_labels(sample: BaseSample, views: Sequence[LabelledView]) -> BaseSample:
    """The sample plus the labelled lines (weighted LABELLED_WEIGHT): what an adapted model carries."""
    labelled = [v.weight > 0 for v in views]
    return BaseSample(np.concatenate([sample.X, *[v.X[m] for v, m in zip(views, labelled)]]),
                      np.concatenate([sample.y, *[v.y[m] for v, m in zip(views, labelled)]]),
                      np.concatenate([sample.weight, *[v.weight[m] * LABELLED_WEIGHT
                                                       for v, m in zip(views, labelled)]]))


def refit(base: Mapping[str, Any], sample: BaseSample, views: Sequence[LabelledView]) -> tuple[dict[str, Any], BaseSample]:
    """Stage one refitted on the base sample plus the labelled lines; the base's stage two. And the new sample.

    Raises:
        InputError: when the labels are all of one class.
    """
    from threadpoolctl import threadpool_limits

    if len(np.unique(np.concatenate([v.y[v.weight > 0] for v in views]))) < 2:
        raise InputError("the labelled lines need both kinds: some content and some boilerplate")
    rows = with_labels(sample, views)
    keep = rows.weight > 0
    rows = BaseSample(rows.X[keep], rows.y[keep], rows.weight[keep])
    stage1 = build_estimator()
    # One thread, as in _continue: on a busy machine OpenMP's waiting threads cost more than they give.
    with threadpool_limits(limits=1, user_api="openmp"):
        stage1.fit(rows.X, rows.y, clf__sample_weight=rows.weight)
    return {"stage1": stage1, "stage2": base.get("stage2")}, rows


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_folder(folder: Path, log: Callable[[str], None]) -> tuple[list[LabelledView], list[dict[str, Any]]]:
    """The labelled views of a folder's pages, and a record of each page for the metadata."""
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
    return views, pages


def train_folder(folder: Path, output: Path, *, base: Path | None = None,
                 log: Callable[[str], None] = lambda text: None) -> str:
    """Adapt a model (default: the shipped one) to a folder's labelled pages; write it as a model folder.

    Returns:
        A one-line report of what was written.

    Raises:
        InputError: for a folder without labelled pages, or labels that do not fit.
        ModelError: if the base model cannot load.
        OSError: when a file cannot be read or the folder written.
        ImportError: without scikit-learn.
    """
    t0 = time.perf_counter()
    if output.exists() and not output.is_dir():
        raise InputError(f"{output} is a file: -o names the model folder to write")
    model = load_model(base)
    fitted = model.estimator  # the scikit-learn stages (imports scikit-learn)
    views, pages = _read_folder(folder, log)
    sample = load_sample(model.path) if model.path is not None else None
    if sample is None:
        log(f"declutter: model {model.version} has no base sample of its features: its boosting is "
            "continued on your lines instead (retrain the base with training.train to get one)")
        adapted, method = adapt(fitted, views), "warm"
    else:
        adapted, sample = refit(fitted, sample, views)
        method = "sample"
    save_model(adapted, output / MODEL_FILE, _metadata(model.metadata, model.version, base, pages, method))
    if sample is not None:
        write_sample(sample_path(output / MODEL_FILE), sample.X, sample.y, sample.weight, lines=None)
    lines = sum(int(p["labelled"]) for p in pages)
    return (f"declutter: adapted model {model.version} to {len(pages)} page{'s' if len(pages) != 1 else ''} "
            f"({lines} labelled lines) in {time.perf_counter() - t0:.1f} s: wrote {output}/ "
            f"(use it: declutter --model {output} PAGE)")


#: How the metadata describes each adaptation method.
_METHODS = {
    "sample": {"method": "stage one refitted on the base's sample plus the labelled lines (weight "
               f"{LABELLED_WEIGHT:g}); the base's stage two"},
    "warm": {"method": "boosting continued (warm start) on the labelled lines",
             "stage1": dict(ADAPT_STAGE1), "stage2": dict(ADAPT_STAGE2)},
}


def _metadata(base_meta: Mapping[str, Any], base_version: str, base: Path | None,
              pages: list[dict[str, Any]], method: str) -> dict[str, Any]:
    """The adapted model's metadata: the base's, plus what it was adapted from and on."""
    kept = ("threshold", "training_data", "label_rule")
    meta = {key: base_meta[key] for key in kept if key in base_meta}
    meta["adapted_from"] = {"model_version": base_version, "sha256": base_meta.get("sha256"),
                            "model": "shipped" if base is None else str(base),
                            "training_lines": base_meta.get("training_lines")}
    if "adapted_on" in base_meta:  # an adapted model adapted again: its pages stay in its sample
        meta["adapted_from"]["adapted_on"] = base_meta["adapted_on"]
    meta["adapted_on"] = pages
    meta["adaptation"] = _METHODS[method]
    meta["command"] = "declutter train"
    return meta
