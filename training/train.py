"""Train the line classifier and write boilerplate/data/ (model + metadata).

    python -m training.train ../shared/data            # the shipped model
    python -m training.train --labels my_labels/       # add your own labelled pages
    python -m training.train ../shared/data --cv-only  # site-grouped CV report only

Deterministic: the same command on the same data gives the same model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from boilerplate import features as _features_module
from boilerplate import decode as _decode_module
from boilerplate import hints as _hints_module
from boilerplate import segment as _segment_module
from boilerplate import walk as _walk_module
from boilerplate.classify import decide
from boilerplate.document import Document, Label, Line
from boilerplate.features import FEATURE_NAMES, STAGE2_NAMES, stage2_features
from boilerplate.model import DEFAULT_MODEL_PATH, build_estimator, save_model
from training import corpus as _corpus_module
from training.corpus import TRAIN_DATASETS, Featurized, Page, featurize_page, iter_dataset
from training.labelled import iter_labelled
from training.metrics import article_score

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
#: Our fixtures and a user's own labelled pages count this many times a
#: dataset line: they are few, carefully labelled, and define our conventions.
LABELLED_WEIGHT = 5.0
#: Site-grouped folds for cross-validation. Three rather than five to keep a
#: full training run near half an hour on a 2-core machine; each fold model
#: still trains on two thirds of the sites.
FOLDS = 3
#: Thresholds tried when picking the decision threshold on out-of-fold scores.
#: The second stage sees 30 columns: a small forest is enough.
STAGE2_PARAMS = {"max_iter": 100, "max_leaf_nodes": 31, "min_samples_leaf": 100}
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.30, 0.71, 0.05))
LICENCES = {
    "l3s-gn1": "research use only", "dragnet": "AGPL-3.0", "cleaneval": "none stated",
    "cleanportaleval": "none stated", "readability": "Apache-2.0",
    "google-trends-2017": "none stated (copy in a GPL-3.0 repository)",
    "big9": "research use only", "chaos": "research use only", "wcxb-articles": "CC-BY-4.0",
    "trafilatura-eval": "Apache-2.0", "fixtures": "ours (repository licence)",
    "labels": "the user's own",
}


def _code_digest() -> str:
    """Digest of the code that shapes cached features and labels."""
    digest = hashlib.sha256()
    for module in (_features_module, _segment_module, _walk_module, _hints_module, _decode_module,
                   _corpus_module):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def _featurize_all(pages: list[Page], kinds: tuple[str, ...], jobs: int) -> list[Featurized]:
    if jobs <= 1:
        return [f for page in pages for f in featurize_page(page, kinds)]
    with ProcessPoolExecutor(jobs) as pool:
        chunks = pool.map(featurize_page, pages, [kinds] * len(pages), chunksize=8)
        return [f for chunk in chunks for f in chunk]


def load_dataset(data_dir: Path, name: str, *, kinds: tuple[str, ...] = ("html", "text"),
                 cache_dir: Path | None = None, jobs: int = 2) -> list[Featurized]:
    """Featurized, labelled pages of one dataset (cached by code digest)."""
    cache = None
    if cache_dir is not None:
        cache = cache_dir / f"{name}-{'+'.join(kinds)}-{_code_digest()}.pkl"
        if cache.is_file():
            with open(cache, "rb") as f:
                return pickle.load(f)
    pages = list(iter_dataset(data_dir, name))
    result = _featurize_all(pages, kinds, jobs)
    if cache is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with open(cache, "wb") as f:
            pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
    return result


def stack(pages: Sequence[Featurized], weight: float = 1.0):
    """Concatenate pages into X, y, sample weights and a row -> page index."""
    X = np.concatenate([p.X for p in pages]) if pages else np.zeros((0, len(FEATURE_NAMES)), np.float32)
    y = np.concatenate([p.y for p in pages]) if pages else np.zeros(0, np.int8)
    owner = np.concatenate([np.full(len(p.y), i) for i, p in enumerate(pages)]) if pages else np.zeros(0, int)
    w = np.full(len(y), weight, dtype=np.float64)
    return X, y, w, owner


def site_folds(pages: Sequence[Featurized], folds: int) -> np.ndarray:
    """Fold number per page, grouped by site (deterministic)."""
    sites = sorted({p.site for p in pages})
    order = {s: int(hashlib.md5(s.encode()).hexdigest(), 16) % folds for s in sites}
    return np.array([order[p.site] for p in pages])


def page_text(page: Featurized, proba: np.ndarray, threshold: float) -> str:
    """The body text the model engine would output for a featurized page."""
    doc = Document(kind=page.kind, lines=tuple(Line(text=t, index=i) for i, t in enumerate(page.texts)))
    decision = decide(proba, page.X, doc, threshold=threshold)
    return "\n".join(t for t, l in zip(page.texts, decision.labels) if l is Label.CONTENT)


def out_of_fold(pages: list[Featurized], extra: list[Featurized], folds: int,
                params: dict | None = None, log=print,
                weights: Sequence[np.ndarray] | None = None) -> list[np.ndarray]:
    """Stage-one probabilities per page from models that never saw the page's site.

    ``weights`` (one array per page) replaces the pages' line weights of 1;
    lines weighted 0 are left out of training.
    """
    fold_of = site_folds(pages, folds)
    X, y, w, owner = stack(pages)
    if weights is not None:
        w = np.concatenate(weights) if len(weights) else w
    Xe, ye, we, _ = stack(extra, LABELLED_WEIGHT)
    row_fold = fold_of[owner]
    out: list[np.ndarray | None] = [None] * len(pages)
    for k in range(folds):
        t0 = time.perf_counter()
        train = row_fold != k
        if weights is not None:
            train &= w > 0
        est = build_estimator(**(params or {}))
        est.fit(np.concatenate([X[train], Xe]), np.concatenate([y[train], ye]),
                clf__sample_weight=np.concatenate([w[train], we]))
        for i in np.flatnonzero(fold_of == k):
            out[i] = _proba(est, pages[i].X)
        log(f"  fold {k + 1}/{folds}: {int(train.sum())} training lines, "
            f"{time.perf_counter() - t0:.0f}s")
    return out  # type: ignore[return-value]


def _proba(est, X: np.ndarray) -> np.ndarray:
    return est.predict_proba(X)[:, 1] if len(X) else np.zeros(0)


def stage2_stack(pages: Sequence[Featurized], probas: Sequence[np.ndarray], weight: float = 1.0):
    """Second-stage rows of pages, given their stage-one probabilities."""
    if not pages:
        return np.zeros((0, len(STAGE2_NAMES)), np.float32), np.zeros(0, np.int8), np.zeros(0)
    S = np.concatenate([stage2_features(p, page.X, page.groups) for page, p in zip(pages, probas)])
    y = np.concatenate([page.y for page in pages])
    return S, y, np.full(len(y), weight)


def out_of_fold_stage2(pages: list[Featurized], oof1: list[np.ndarray], extra: list[Featurized],
                       extra_p: list[np.ndarray], folds: int) -> list[np.ndarray]:
    """Two-stage probabilities per page, stage two also trained on other sites only."""
    fold_of = site_folds(pages, folds)
    Se, ye, we = stage2_stack(extra, extra_p, LABELLED_WEIGHT)
    out: list[np.ndarray | None] = [None] * len(pages)
    for k in range(folds):
        train = [i for i in range(len(pages)) if fold_of[i] != k]
        S, y, w = stage2_stack([pages[i] for i in train], [oof1[i] for i in train])
        est = build_estimator(**STAGE2_PARAMS)
        est.fit(np.concatenate([S, Se]), np.concatenate([y, ye]), clf__sample_weight=np.concatenate([w, we]))
        for i in np.flatnonzero(fold_of == k):
            out[i] = _proba(est, stage2_features(oof1[i], pages[i].X, pages[i].groups))
    return out  # type: ignore[return-value]


def best_threshold(pages: list[Featurized], oof: list[np.ndarray], golds: list[str]) -> tuple[float, dict]:
    """Threshold with the best mean article F1 over datasets (HTML pages)."""
    table = {}
    for t in THRESHOLDS:
        per_ds: dict[str, list[tuple[str, str]]] = {}
        for page, proba, gold in zip(pages, oof, golds):
            if page.kind == "html":
                per_ds.setdefault(page.dataset, []).append((gold, page_text(page, proba, t)))
        table[t] = float(np.mean([article_score(v).f1 for v in per_ds.values()]))
    return max(table, key=table.get), table


def cached_out_of_fold(pages, labelled, folds: int, cache_dir: Path | None) -> list[np.ndarray]:
    """out_of_fold, cached by a digest of the code, estimator settings and data."""
    key = hashlib.sha256(repr((_code_digest(), repr(build_estimator()), folds,
                               [(p.dataset, p.id, p.kind) for p in pages],
                               [(p.id, p.y.tobytes()) for p in labelled])).encode()).hexdigest()[:16]
    path = cache_dir / f"oof-{key}.pkl" if cache_dir is not None else None
    if path is not None and path.is_file():
        with open(path, "rb") as f:
            return pickle.load(f)
    oof = out_of_fold(pages, labelled, folds, log=lambda m: print(m, file=sys.stderr))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            pickle.dump(oof, f, protocol=pickle.HIGHEST_PROTOCOL)
    return oof


def main(argv: Sequence[str] | None = None) -> int:
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
    args = parser.parse_args(argv)

    labelled = [f for page in iter_labelled(FIXTURES, split="train") for f in featurize_page(page)]
    for folder in args.labels:
        labelled += [f for page in iter_labelled(folder) for f in featurize_page(page)]
    pages, golds, used = load_training_pages(args, labelled)
    if not pages and not labelled:
        parser.error("nothing to train on: give a data folder and/or --labels")

    stage1 = build_estimator()
    X, y, w, _ = stack(pages)
    Xl, yl, wl, _ = stack(labelled, LABELLED_WEIGHT)
    stage1.fit(np.concatenate([X, Xl]), np.concatenate([y, yl]), clf__sample_weight=np.concatenate([w, wl]))
    labelled_p = [_proba(stage1, page.X) for page in labelled]
    metrics: dict = {}
    threshold = args.threshold if args.threshold is not None else 0.5
    stage2 = None
    if pages and args.folds > 1:
        print(f"cross-validation: {args.folds} folds grouped by site", file=sys.stderr)
        oof1 = cached_out_of_fold(pages, labelled, args.folds, args.cache_dir)
        oof = oof1
        if args.stages == 2:
            oof = out_of_fold_stage2(pages, oof1, labelled, labelled_p, args.folds)
        if args.threshold is None:
            threshold, table = best_threshold(pages, oof, golds)
            metrics["threshold_search"] = {str(k): round(v, 4) for k, v in table.items()}
        metrics["cv_stage1"] = cv_report(pages, oof1, golds, threshold)
        metrics["cv"] = cv_report(pages, oof, golds, threshold)
        print(json.dumps(metrics, indent=1), file=sys.stderr)
        if args.stages == 2 and not args.cv_only:
            S, y2, w2 = stage2_stack(pages, oof1)
            Sl, yl2, wl2 = stage2_stack(labelled, labelled_p, LABELLED_WEIGHT)
            stage2 = build_estimator(**STAGE2_PARAMS)
            stage2.fit(np.concatenate([S, Sl]), np.concatenate([y2, yl2]),
                       clf__sample_weight=np.concatenate([w2, wl2]))
    if args.cv_only:
        return 0
    meta = {
        "threshold": threshold,
        "training_data": used,
        "training_lines": int(len(y) + len(yl)),
        "metrics": metrics,
        "estimator": {"stage1": repr(stage1), "stage2": repr(stage2)},
        "command": "python -m training.train " + " ".join(sys.argv[1:] if argv is None else argv),
        "label_rule": " ".join(_corpus_module.__doc__.split("\n\n")[1].split()),
    }
    meta_path = save_model({"stage1": stage1, "stage2": stage2}, args.out, meta)
    trees = args.out.with_suffix(".npz")
    print(f"wrote {args.out}, {meta_path.name}" + (f" and {trees.name}" if trees.is_file() else "")
          + f" (threshold {threshold})", file=sys.stderr)
    return 0


def load_training_pages(args, labelled) -> tuple[list[Featurized], list[str], dict]:
    """Featurized dataset pages, their gold bodies, and what was used (with licences)."""
    pages: list[Featurized] = []
    golds: list[str] = []
    used = {"fixtures": {"pages": len(labelled), "licence": LICENCES["fixtures"]}}
    if args.data_dir is None:
        return pages, golds, used
    for name in args.datasets:
        t0 = time.perf_counter()
        ds = load_dataset(args.data_dir, name, cache_dir=args.cache_dir, jobs=args.jobs)
        bodies = {p.id: p.body or "" for p in iter_dataset(args.data_dir, name)}
        pages += ds
        golds += [bodies[p.id] for p in ds]
        used[name] = {"pages": len({p.id for p in ds}), "licence": LICENCES.get(name, "unknown")}
        print(f"{name}: {len(ds)} page views, {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    return pages, golds, used


def cv_report(pages: list[Featurized], oof: list[np.ndarray], golds: list[str], threshold: float) -> dict:
    """Article-level P/R/F1 per dataset and kind from out-of-fold scores."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for page, proba, gold in zip(pages, oof, golds):
        groups.setdefault(f"{page.dataset}/{page.kind}", []).append((gold, page_text(page, proba, threshold)))
    report = {}
    for key in sorted(groups):
        s = article_score(groups[key])
        report[key] = {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
                       "f1": round(s.f1, 4), "pages": s.pages}
    return report


if __name__ == "__main__":
    raise SystemExit(main())
