"""Step 3 of training: fit the two-stage model, choose the threshold, write boilerplate/data/.

    python -m training.train ../shared/data            # the shipped model
    python -m training.train --labels my_labels/       # add your own labelled pages
    python -m training.train ../shared/data --cv-only  # site-grouped CV report only

The model is ``boilerplate.estimator.TwoStageClassifier``, fitted on the lines
of the datasets' pages (grouped by site) and of the hand-labelled pages (in
every fold, LABELLED_WEIGHT times a dataset line). Its fit cross-fits both
stages by site, so every dataset page also gets probabilities from models
that never saw its site: the threshold is chosen on those, and the CV report
is made from them. Deterministic: the same command on the same data gives the
same model.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from boilerplate.classify import decide
from boilerplate.document import Document, Label, Line
from boilerplate.errors import ModelError
from boilerplate.estimator import FOLDS, TwoStageClassifier
from boilerplate.model import (
    DEFAULT_MODEL_PATH,
    DEFAULT_THRESHOLD,
    require_train_extra,
    save_model,
)
from training.benchmarks.docs import shown
from boilerplate.teach import sample_path, write_sample
from training.corpus import TRAIN_DATASETS, iter_dataset
from training.labels import LABEL_RULE, Featurized, labelled_pages, load_dataset
from training.metrics import article_score
from training.weights import line_weights

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
#: Our fixtures and a user's own labelled pages count this many times a
#: dataset line: they are few, carefully labelled, and define our conventions.
LABELLED_WEIGHT = 5.0
#: Thresholds tried when picking the decision threshold on out-of-fold scores.
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.30, 0.71, 0.05))
LICENCES = {
    "l3s-gn1": "research use only", "dragnet": "AGPL-3.0", "cleaneval": "none stated",
    "cleanportaleval": "none stated", "readability": "Apache-2.0",
    "google-trends-2017": "none stated (copy in a GPL-3.0 repository)",
    "big9": "research use only", "chaos": "research use only", "wcxb-articles": "CC-BY-4.0",
    "trafilatura-eval": "Apache-2.0",
    "daniel": "GPL-3.0 (repository); third-party news pages, research use",
    "cwced": "MIT (48 pages are CleanEval inputs: CleanEval research terms)",
    "fundus": "MIT (repository); third-party news pages",
    "fixtures": "ours (repository licence)",
    "labels": "the user's own",
}


@dataclass(frozen=True)
class TrainingRows:
    """Dataset pages, then hand-labelled pages, as the rows ``TwoStageClassifier.fit`` takes."""

    X: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray
    groups: np.ndarray
    pages: np.ndarray
    line_groups: np.ndarray
    #: Row offsets of the dataset pages (page i is rows bounds[i]:bounds[i + 1]).
    bounds: np.ndarray

    def fit_params(self) -> dict[str, Any]:
        """The keyword arguments of ``TwoStageClassifier.fit`` besides X and y."""
        return {"groups": self.groups, "pages": self.pages, "line_groups": self.line_groups,
                "sample_weight": self.sample_weight}

    def per_page(self, values: np.ndarray) -> list[np.ndarray]:
        """A per-row array cut into the dataset pages' parts."""
        return [values[a:b] for a, b in zip(self.bounds[:-1].tolist(), self.bounds[1:].tolist())]


def training_rows(pages: Sequence[Featurized], labelled: Sequence[Featurized],
                  weights: Sequence[np.ndarray] | None = None) -> TrainingRows:
    """The rows of the dataset pages (grouped by site) and of the hand-labelled pages (no group).

    ``weights`` (one array per dataset page) replaces their line weights (the
    page's own ``weight``, else 1); lines weighted 0 are left out of training.
    """
    views = [*pages, *labelled]
    lengths = np.array([len(v.y) for v in views], dtype=np.intp)
    if weights is None:
        weights = [np.ones(len(v.y)) if v.weight is None else v.weight for v in pages]
    dataset_w = np.concatenate([np.zeros(0), *weights])
    return TrainingRows(
        X=_stack_in_place(views, lengths),
        y=np.concatenate([v.y for v in views]),
        sample_weight=np.concatenate([dataset_w, np.full(int(lengths[len(pages):].sum()), LABELLED_WEIGHT)]),
        groups=np.repeat(np.array([p.site for p in pages] + [None] * len(labelled), dtype=object), lengths),
        pages=np.repeat(np.arange(len(views)), lengths),
        line_groups=np.concatenate([v.groups for v in views]),
        bounds=np.concatenate(([0], np.cumsum(lengths[:len(pages)]))).astype(np.intp),
    )


def _stack_in_place(views: Sequence[Featurized], lengths: np.ndarray) -> np.ndarray:
    """The views' feature rows in one matrix; each view's X becomes a slice of it.

    The views keep their features (page_text reads them) without a second
    copy of every row: the largest matrix of a training run, held once.
    """
    width = views[0].X.shape[1] if views else 0
    X = np.empty((int(lengths.sum()), width), dtype=np.float32)
    offset = 0
    for view, n in zip(views, lengths.tolist()):
        X[offset:offset + n] = view.X
        view.X = X[offset:offset + n]
        offset += n
    return X


def kept_lines(page: Featurized, proba: np.ndarray, threshold: float) -> np.ndarray:
    """Which lines of a featurized page the model engine would keep (bool per line)."""
    doc = Document(kind=page.kind, lines=tuple(Line(text=t, index=i) for i, t in enumerate(page.texts)))
    decision = decide(proba, page.X, doc, threshold=threshold)
    return np.array([label is Label.CONTENT for label in decision.labels], dtype=bool)


def page_text(page: Featurized, proba: np.ndarray, threshold: float) -> str:
    """The body text the model engine would output for a featurized page."""
    kept = kept_lines(page, proba, threshold).tolist()
    return "\n".join(t for t, k in zip(page.texts, kept) if k)


def best_threshold(pages: list[Featurized], oof: list[np.ndarray],
                   golds: list[str | None]) -> tuple[float, dict[float, float]]:
    """Threshold with the best mean article F1 over datasets (HTML pages with a gold body)."""
    table = {}
    for t in THRESHOLDS:
        per_ds: dict[str, list[tuple[str, str]]] = {}
        for page, proba, gold in zip(pages, oof, golds):
            if page.kind == "html" and gold is not None:
                per_ds.setdefault(page.dataset, []).append((gold, page_text(page, proba, t)))
        table[t] = float(np.mean([article_score(v).f1 for v in per_ds.values()]))
    return max(table, key=lambda t: table[t]), table


def cv_report(pages: list[Featurized], oof: list[np.ndarray], golds: list[str | None],
              threshold: float) -> dict[str, dict[str, float]]:
    """Article-level P/R/F1 per dataset and kind from out-of-fold scores (pages with a gold body)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for page, proba, gold in zip(pages, oof, golds):
        if gold is not None:
            key = f"{page.dataset}/{page.kind}"
            groups.setdefault(key, []).append((gold, page_text(page, proba, threshold)))
    report = {}
    for key in sorted(groups):
        s = article_score(groups[key])
        report[key] = {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
                       "f1": round(s.f1, 4), "pages": s.pages}
    return report


def cv_metrics(model: TwoStageClassifier, rows: TrainingRows, pages: list[Featurized], golds: list[str | None],
               threshold: float | None) -> tuple[float, dict[str, Any]]:
    """The threshold (searched when None) and the CV report of a fitted model's out-of-fold scores."""
    oof1 = rows.per_page(model.oof_stage1_proba_)
    oof = rows.per_page(model.oof_proba_)
    metrics: dict[str, Any] = {}
    if threshold is None:
        threshold, table = best_threshold(pages, oof, golds)
        metrics["threshold_search"] = {str(k): round(v, 4) for k, v in table.items()}
    metrics["cv_stage1"] = cv_report(pages, oof1, golds, threshold)
    metrics["cv"] = cv_report(pages, oof, golds, threshold)
    return threshold, metrics


def load_training_pages(args: argparse.Namespace,
                        labelled: list[Featurized]) -> tuple[list[Featurized], list[str | None], dict[str, Any]]:
    """Featurized dataset pages, their gold bodies (None for snippet gold), and what was used (with licences)."""
    pages: list[Featurized] = []
    golds: list[str | None] = []
    used: dict[str, Any] = {"fixtures": {"pages": len(labelled), "licence": LICENCES["fixtures"]}}
    if args.data_dir is None:
        return pages, golds, used
    for name in args.datasets:
        t0 = time.perf_counter()
        ds = load_dataset(args.data_dir, name, cache_dir=args.cache_dir, jobs=args.jobs)
        bodies = {p.id: p.body for p in iter_dataset(args.data_dir, name)}
        pages += ds
        golds += [bodies[p.id] for p in ds]
        used[name] = {"pages": len({p.id for p in ds}), "licence": LICENCES.get(name, "unknown")}
        print(f"{name}: {len(ds)} page views, {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    return pages, golds, used


def fit_page_kind(args: argparse.Namespace, pages: list[Featurized], rows: TrainingRows,
                  model: TwoStageClassifier, command: str) -> None:
    """The page-kind model beside the line model (training/pagekind.py), from this fit's
    out-of-fold probabilities (the fitted model's own for pages it never trained on)."""
    from boilerplate.pagekind import save_page_kind
    from training import pagekind

    articles, others = pagekind.datasets(args.data_dir)
    if not others:
        print(f"no {pagekind.OTHER_PAGES} in {args.data_dir}: no page-kind model", file=sys.stderr)
        return
    oof = {(v.dataset, v.id, v.kind): p for v, p in zip(pages, rows.per_page(model.oof_proba_))}

    def proba(view: Featurized) -> np.ndarray:
        found = oof.get((view.dataset, view.id, view.kind))
        return found if found is not None else model.predict_proba(view.X, line_groups=view.groups)[:, 1]

    trained = pagekind.train(pagekind.collect(args.data_dir, [*articles, *others], proba, args.cache_dir,
                                              args.jobs))
    path = save_page_kind(trained.forest, args.out, trained.metadata(command))
    print(f"wrote {path.name}: {json.dumps(trained.summary())}", file=sys.stderr)


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """Command-line options (and the parser, for its errors)."""
    parser = argparse.ArgumentParser(prog="python -m training.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", nargs="?", type=Path, help="folder of datasets (../shared/data)")
    parser.add_argument("--datasets", nargs="*", default=list(TRAIN_DATASETS))
    parser.add_argument("--labels", type=Path, action="append", default=[],
                        help="folder of your own labelled pages (index.json, pages/, labels/)")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH)
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--stages", type=int, choices=(1, 2), default=2)
    parser.add_argument("--cv-only", action="store_true", help="report CV, write no model")
    parser.add_argument("--threshold", type=float, default=None, help="fix the threshold")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/declutter-cache"))
    parser.add_argument("--jobs", type=int, default=2)
    return parser, parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Fit the model on the datasets and hand-labelled pages, report CV, write the model files."""
    parser, args = parse_args(argv)
    try:
        require_train_extra("training")
    except ModelError as exc:
        print(f"training.train: {exc}", file=sys.stderr)
        return 1
    labelled = labelled_pages(FIXTURES, split="train")
    for folder in args.labels:
        found = labelled_pages(folder)
        if not found:  # a folder without index.json (or an empty one) must not train on the fixtures alone
            parser.error(f"--labels {folder}: no labelled pages (it needs an index.json listing them, as "
                         "fixtures/ has; for NAME.html + NAME.labels.jsonl pairs use `declutter train`)")
        labelled += found
    pages, golds, used = load_training_pages(args, labelled)
    if not pages and not labelled:
        parser.error("nothing to train on: give a data folder and/or --labels")
    # Out-of-fold scores need dataset pages (grouped by site) and two folds;
    # without them there is no stage two either (its inputs are out of fold).
    cross = bool(pages) and args.folds > 1
    model = TwoStageClassifier(stages=args.stages if cross else 1, folds=args.folds, refit=not args.cv_only,
                               memory=args.cache_dir / "fits" if args.cache_dir else None, verbose=1)
    rows = training_rows(pages, labelled, line_weights(pages, args.data_dir))
    if cross:
        print(f"cross-validation: {args.folds} folds grouped by site", file=sys.stderr)
    model.fit(rows.X, rows.y, **rows.fit_params())
    threshold = args.threshold if args.threshold is not None else DEFAULT_THRESHOLD
    metrics: dict[str, Any] = {}
    if cross:
        threshold, metrics = cv_metrics(model, rows, pages, golds, args.threshold)
        print(json.dumps(metrics, indent=1), file=sys.stderr)
    if args.cv_only:
        return 0
    meta = {
        "threshold": threshold,
        "training_data": used,
        "training_lines": len(rows.y),
        "metrics": metrics,
        "estimator": {"stage1": repr(model.stage1_), "stage2": repr(model.stage2_)},
        "command": shown("python -m training.train " + shlex.join(sys.argv[1:] if argv is None else argv)),
        "label_rule": LABEL_RULE,
    }
    meta_path = save_model(model.to_stages(), args.out, meta)
    write_sample(sample_path(args.out), rows.X, rows.y, rows.sample_weight)  # for declutter train (teach.py)
    if cross:
        fit_page_kind(args, pages, rows, model, meta["command"])
    trees = args.out.with_suffix(".npz")
    print(f"wrote {args.out}, {meta_path.name}" + (f" and {trees.name}" if trees.is_file() else "")
          + f" (threshold {threshold})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
