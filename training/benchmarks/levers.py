"""Accuracy levers, measured out of fold before they go into the shipped model.

    python -m training.benchmarks.levers /work/shared/data --oof-cache /tmp/declutter-cache/evaluate-oof.pkl.gz

Each variant is a design of the two stages, scored on pages the model never
saw (3 site-grouped folds, as training.evaluate). The first four add issue
13's levers one at a time, from issue 11's design to the shipped one:

- ``before``: issue 11's design: stage one without the columns of
  boilerplate/structure.py, stage two without those of boilerplate/region.py
  and the hint depths, every line weighing 1;
- ``structure``: stage one with the repeated sibling structures and the hint
  depths of structure.py (teaser lists, comment threads, how far up the
  class naming comments, related, nav... sits);
- ``weights``: ``structure`` with training/weights.py's line weights
  (comment threads count three times, cleaneval's comment boxes not at all);
- ``shipped``: ``weights`` with stage two reading the article as a region
  (region.py) and the hint depths: the shipped design.

Then the shipped design plus a lever that did not go in (stage two only):

- ``page_rank``: page-relative scores (the line's rank among the page's
  characters by probability, probability over the page's 90th percentile,
  wider and character-weighted windows, page size);
- ``container_mass``: each container's share of the page's probable text
  and whether it is the page's heaviest container, per ancestor level;
- ``path_fanout``: how many distinct containers share the line's tag path;
- ``ensemble``: trafilatura's own decision per line (is the line in
  trafilatura's output, and the share of its +-3 neighbours that are): the
  ``ensemble`` engine issue 13 allows if it wins 0.01 mean F1, HTML only.

Stage one of the shipped design is training.evaluate's (the --oof-cache);
the others are fitted here, the same way (fixtures in every fold). Stage two
of every variant is trained on the datasets' out-of-fold stage-one scores
alone (no fixtures), so the variants compare with each other, not with the
accuracy table of training.evaluate. The script owns its section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import re
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from boilerplate.estimator import (
    FOLDS,
    STAGE2_PARAMS,
    TwoStageClassifier,
    build_estimator,
    site_fold,
)
from boilerplate.features import FEATURE_NAMES, STAGE2_NAMES, stage2_features
from boilerplate.region import REGION_NAMES
from boilerplate.structure import COLUMN_NAMES, HINT_DEPTH_NAMES
from training.benchmarks.docs import replace_section, shown
from training.corpus import TRAIN_DATASETS, Page
from training.evaluate import (
    DEFAULT_CACHE_DIR,
    LEAK_DATASET,
    LEAK_KINDS,
    leak_rows,
    load_views,
    log,
    oof_predictions,
    select_pages,
    trafilatura_text,
)
from training.labels import Featurized, labelled_pages
from training.metrics import article_score
from training.train import FIXTURES, REPO, page_text, training_rows
from training.weights import line_weights

BEGIN = "<!-- levers.py:begin -->"
END = "<!-- levers.py:end -->"
DEFAULT_OUT = REPO / "docs" / "benchmarks.md"
THRESHOLD = 0.3


@dataclass(frozen=True)
class Variant:
    """A design: which stage-one columns ("before": issue 11's; "shipped": all), whether lines
    are weighted, which stage-two columns, and an extra stage-two lever (a VARIANT_COLUMNS key)."""

    stage1: str
    weights: bool
    stage2: str
    extra: str = ""


VARIANTS = {
    "before": Variant("before", False, "before"),
    "structure": Variant("shipped", False, "before"),
    "weights": Variant("shipped", True, "before"),
    "shipped": Variant("shipped", True, "shipped"),
    "page_rank": Variant("shipped", True, "shipped", "page_rank"),
    "container_mass": Variant("shipped", True, "shipped", "container_mass"),
    "path_fanout": Variant("shipped", True, "shipped", "path_fanout"),
    "ensemble": Variant("shipped", True, "shipped", "ensemble"),
}
#: The columns of each stage in issue 11's design (the shipped ones without issue 13's).
_NEW_STAGE2 = {*REGION_NAMES, *(f"raw_{name}" for name in HINT_DEPTH_NAMES)}
STAGE1_COLUMNS = {"before": [i for i, name in enumerate(FEATURE_NAMES) if name not in COLUMN_NAMES],
                  "shipped": list(range(len(FEATURE_NAMES)))}
STAGE2_COLUMNS = {"before": [i for i, name in enumerate(STAGE2_NAMES) if name not in _NEW_STAGE2],
                  "shipped": list(range(len(STAGE2_NAMES)))}
NEWS = ("big9", "cleanportaleval", "google-trends-2017", "l3s-gn1", "wcxb-articles", "readability")
_F = {name: i for i, name in enumerate(FEATURE_NAMES)}
_WS = re.compile(r"\s+")


# ---------------------------------------------------------------- extra stage-two columns


def _rank(keys: np.ndarray) -> np.ndarray:
    """Each key's rank among the distinct keys (group numbers from 0)."""
    return np.unique(keys, return_inverse=True)[1].reshape(keys.shape)


def _chars(X: np.ndarray) -> np.ndarray:
    return np.expm1(X[:, _F["log_chars"]].astype(np.float64)) + 1.0


def _window_mean(values: np.ndarray, weights: np.ndarray, radius: int) -> np.ndarray:
    n = len(values)
    idx = np.arange(n)
    cv = np.concatenate(([0.0], np.cumsum(values * weights)))
    cw = np.concatenate(([0.0], np.cumsum(weights)))
    lo, hi = np.maximum(idx - radius, 0), np.minimum(idx + radius + 1, n)
    return (cv[hi] - cv[lo]) / np.maximum(cw[hi] - cw[lo], 1e-9)


def page_rank_columns(p: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Page-relative scores: rank by characters, ratio to the 90th percentile, wide windows."""
    n = len(p)
    if n == 0:
        return np.zeros((0, 10), np.float32)
    c = _chars(X)
    total = c.sum()
    order = np.argsort(-p, kind="stable")
    cum = np.cumsum(c[order])
    rank = np.empty(n)
    rank[order] = (cum - c[order]) / total
    q90 = p[order][min(np.searchsorted(cum, 0.1 * total), n - 1)]
    share = c[p >= 0.5].sum() / total
    ones = np.ones(n)
    cols = [rank, p / max(q90, 1e-3), np.full(n, q90), np.full(n, share),
            _window_mean(p, c, 5), _window_mean(p, c, 20), _window_mean(p, ones, 10),
            _window_mean(p, ones, 25), np.full(n, np.log1p(n)), np.full(n, np.log1p(total))]
    return np.column_stack(cols).astype(np.float32)


def container_mass_columns(p: np.ndarray, X: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per grouping level: the group's share of probable text, heaviest-group flag, line share."""
    width = groups.shape[1]
    if len(p) == 0:
        return np.zeros((0, 3 * width), np.float32)
    c = _chars(X)
    mass = c * p
    total = max(mass.sum(), 1e-9)
    cols = []
    for level in range(width):
        inverse = _rank(groups[:, level])
        sums = np.bincount(inverse, weights=mass)
        cols += [sums[inverse] / total, (inverse == np.argmax(sums)).astype(np.float64),
                 c / np.bincount(inverse, weights=c)[inverse]]
    return np.column_stack(cols).astype(np.float32)


def path_fanout_columns(p: np.ndarray, X: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Distinct ancestors per tag path and level, the path's size and text shares."""
    width = groups.shape[1]
    if len(p) == 0:
        return np.zeros((0, width + 2), np.float32)
    c = _chars(X)
    path = _rank(groups[:, -1])
    cols = []
    for level in range(width - 1):
        pairs = np.unique(np.stack([path, _rank(groups[:, level])], axis=1), axis=0)
        cols.append(np.log1p(np.bincount(pairs[:, 0], minlength=path.max() + 1)[path]))
    cols.append(np.log1p(np.bincount(path)[path]))
    cols.append(np.bincount(path, weights=c)[path] / c.sum())
    cols.append(np.bincount(path, weights=c * p)[path] / max((c * p).sum(), 1e-9))
    return np.column_stack(cols).astype(np.float32)


def trafilatura_columns(texts: Sequence[str], extracted: str | None) -> np.ndarray:
    """1 where the line is in trafilatura's output, and the share of its +-3 neighbours that are."""
    n = len(texts)
    if n == 0:
        return np.zeros((0, 2), np.float32)
    if extracted is None:
        return np.full((n, 2), -1.0, np.float32)
    out = _WS.sub(" ", extracted)
    inside = np.array([1.0 if _WS.sub(" ", t).strip() in out else 0.0 for t in texts])
    return np.column_stack([inside, _window_mean(inside, np.ones(n), 3)]).astype(np.float32)


# ---------------------------------------------------------------- out-of-fold runs


def stage_one(views: list[Featurized], columns: list[int], weights: list[np.ndarray] | None,
              folds: int) -> list[np.ndarray]:
    """Stage one out of fold on some columns, with per-line weights (fixtures added as train.py adds them)."""
    fixtures = labelled_pages(FIXTURES, split="train")
    rows = training_rows(views, fixtures, weights)
    model = TwoStageClassifier(stages=1, folds=folds, refit=False, verbose=1)
    model.fit(rows.X[:, columns], rows.y, **rows.fit_params())
    return rows.per_page(model.oof_stage1_proba_)


def stage_two(views: list[Featurized], proba1: list[np.ndarray], variant: Variant, extra: Callable,
              weights: list[np.ndarray] | None, folds: int) -> list[np.ndarray]:
    """Stage two out of fold on the variant's stage2_features columns plus ``extra(p, view)``."""
    fold_of = np.array([site_fold(v.site, folds) for v in views])
    keep = STAGE2_COLUMNS[variant.stage2]
    S = [np.hstack([stage2_features(p, v.X, v.groups)[:, keep], extra(p, v)]) for p, v in zip(proba1, views)]
    html_only = variant.extra == "ensemble"
    out: list[np.ndarray] = [np.zeros(0)] * len(views)
    for k in range(folds):
        train = [i for i in range(len(views))
                 if fold_of[i] != k and (views[i].kind == "html" or not html_only)]
        w = np.concatenate([weights[i] if weights else np.ones(len(views[i].y)) for i in train])
        est = build_estimator(**STAGE2_PARAMS)
        est.fit(np.concatenate([S[i] for i in train])[w > 0],
                np.concatenate([views[i].y for i in train])[w > 0], clf__sample_weight=w[w > 0])
        for i in np.flatnonzero(fold_of == k):
            out[i] = est.predict_proba(S[i])[:, 1] if len(S[i]) else np.zeros(0)
    return out


def _traf_job(page: tuple[str, str | None]) -> str | None:
    return trafilatura_text(*page)


# ---------------------------------------------------------------- scores and report


def scores(views: list[Featurized], proba: list[np.ndarray], golds: dict, pages: dict) -> dict:
    """Article F1 per (dataset, kind), and l3s-gn1 leak shares per block kind (HTML)."""
    pairs: dict[tuple[str, str], list[tuple[str, str]]] = {}
    outputs = {}
    for v, p in zip(views, proba):
        text = page_text(v, p, THRESHOLD)
        pairs.setdefault((v.dataset, v.kind), []).append((golds[(v.dataset, v.id)], text))
        if v.dataset == LEAK_DATASET and v.kind == "html":
            outputs[(v.dataset, v.id)] = {"model": text}
    f1 = {key: article_score(values).f1 for key, values in pairs.items()}
    leaks = {row.kind: row.shares["model"] for row in leak_rows(pages.get(LEAK_DATASET, []), outputs)}
    return {"f1": f1, "leaks": leaks}


def render(results: dict[str, dict], datasets: Sequence[str], command: str, seconds: dict) -> str:
    """The markdown section."""
    short = {d: d.replace("google-trends-2017", "g-trends").replace("cleanportaleval", "cleanport")
             .replace("wcxb-articles", "wcxb") for d in datasets}
    lines = [BEGIN, "## Accuracy levers (out of fold)", "",
             f"Generated on {datetime.date.today().isoformat()} by `{command}`. Article F1 (shingle "
             f"metric, threshold {THRESHOLD}) per dataset on pages whose site the model never saw "
             f"({FOLDS} site-grouped folds); stage two of every variant is trained without the "
             "fixtures, so compare rows with each other: `before` is issue 11's design, `shipped` "
             "the shipped one, the rows between add its levers one at a time, the rows after try "
             "one more each. Leaks: share of l3s-gn1's annotated block characters that reach the "
             "output (whole blocks, pooled over pages). See training/benchmarks/levers.py for what "
             "each variant adds.", ""]
    head = ["variant", *(short[d] for d in datasets), "mean (HTML)", "news mean", "mean (text)",
            "related leak", "comment leak", "not-content leak", "seconds"]
    lines += ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    for name, r in results.items():
        html = [r["f1"].get((d, "html"), float("nan")) for d in datasets]
        text = [r["f1"][(d, "text")] for d in datasets if (d, "text") in r["f1"]]
        news = [r["f1"][(d, "html")] for d in datasets if d in NEWS and (d, "html") in r["f1"]]
        cells = [f"{v:.3f}" for v in html]
        cells += [f"{np.mean(html):.4f}", f"{np.mean(news):.4f}" if news else "n/a",
                  f"{np.mean(text):.4f}" if text else "n/a"]
        cells += [f"{100 * r['leaks'][k]:.1f}%" for k in LEAK_KINDS]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {seconds[name]:.0f} |")
    lines += ["", "The ensemble variant scores HTML only (trafilatura does not run on flattened "
              "text), so its text mean is that of its html-only stage two applied to text views.",
              END, ""]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--oof-cache", type=Path, default=None,
                        help="stage-one out-of-fold results shared with training.evaluate")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    return parser.parse_args(argv)


def variant_columns(extracted: dict) -> dict[str, Callable]:
    """Each lever's extra stage-two columns, ``columns(p, view)``."""

    def traf(v: Featurized) -> np.ndarray:
        if v.kind != "html":
            return np.full((len(v.y), 2), np.nan, np.float32)
        return trafilatura_columns(v.texts, extracted[(v.dataset, v.id)])

    return {
        "": lambda p, v: np.zeros((len(p), 0), np.float32),
        "page_rank": lambda p, v: page_rank_columns(p, v.X),
        "container_mass": lambda p, v: container_mass_columns(p, v.X, v.groups),
        "path_fanout": lambda p, v: path_fanout_columns(p, v.X, v.groups),
        "ensemble": lambda p, v: traf(v),
    }


def trafilatura_outputs(variants: Sequence[str], pages: dict[str, list[Page]]) -> dict:
    """trafilatura's text of every page, when a variant needs it."""
    if not any(VARIANTS[name].extra == "ensemble" for name in variants):
        return {}
    page_of = [(name, p) for name, ps in pages.items() for p in ps]
    with ProcessPoolExecutor(2) as pool:
        texts = pool.map(_traf_job, [(p.html, p.url) for _, p in page_of], chunksize=8)
        return {(name, p.id): text for (name, p), text in zip(page_of, texts)}


def stage_ones(variants: Sequence[str], views: list[Featurized], shipped: list[np.ndarray],
               weights: list[np.ndarray]) -> dict[tuple[str, bool], list[np.ndarray]]:
    """The stage-one out-of-fold probabilities each variant needs (the shipped one is given)."""
    out = {("shipped", True): shipped}
    for name in variants:
        key = (VARIANTS[name].stage1, VARIANTS[name].weights)
        if key not in out:
            t0 = time.perf_counter()
            out[key] = stage_one(views, STAGE1_COLUMNS[key[0]], weights if key[1] else None, FOLDS)
            log(f"stage one {key}: {time.perf_counter() - t0:.0f}s")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Every variant out of fold on the training datasets; writes the section."""
    args = parse_args(argv)
    command = shown("python -m training.benchmarks.levers "
                    + shlex.join(sys.argv[1:] if argv is None else argv))
    pages = select_pages(args.data_dir, list(TRAIN_DATASETS), None)
    golds = {(name, p.id): p.body or "" for name, ps in pages.items() for p in ps}
    views = load_views(args.data_dir, pages, args.cache_dir, None)
    weights = line_weights(views, args.data_dir)
    shipped = oof_predictions(views, FOLDS, 1, None, args.data_dir, args.oof_cache, args.threads).proba
    ones = stage_ones(args.variants, views, shipped, weights)
    columns = variant_columns(trafilatura_outputs(args.variants, pages))
    results, seconds = {}, {}
    for name in args.variants:
        t0 = time.perf_counter()
        variant = VARIANTS[name]
        proba = stage_two(views, ones[(variant.stage1, variant.weights)], variant, columns[variant.extra],
                          weights if variant.weights else None, FOLDS)
        results[name] = scores(views, proba, golds, pages)
        seconds[name] = time.perf_counter() - t0
        f1 = results[name]["f1"]
        log(f"{name}: HTML mean {np.mean([f1[(d, 'html')] for d in pages]):.4f}, "
            f"{time.perf_counter() - t0:.0f}s")
    section = render(results, list(pages), command, seconds)
    print(section)
    replace_section(args.out, section, BEGIN, END)
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
