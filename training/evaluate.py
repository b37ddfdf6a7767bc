"""Step 4 of training: accuracy (and speed) of the model engine against trafilatura, on ../shared/data.

    python -m training.evaluate /work/shared/data                 # writes docs/benchmarks.md
    python -m training.evaluate /work/shared/data --limit 20 --out /tmp/bench.md   # quick check
    python -m training.evaluate /work/shared/data --oof-cache /tmp/declutter-cache/evaluate-oof.pkl.gz

The model is scored on pages it never trained on: out-of-fold (OOF)
predictions from site-grouped folds (the fold models of
boilerplate.estimator.TwoStageClassifier, fitted as training.train fits it,
on the selected pages of every training dataset, trafilatura-eval's snippet
labels included), for HTML, for text mode and for a naive scraper's
flattening (inscriptis). trafilatura runs with
boilerplate.engines.TRAFILATURA_OPTIONS and again with favor_precision=True,
in the same run. Every figure is also given per language (the pages'
``lang``), over all datasets and per dataset, with the characters of Chinese,
Japanese and Korean pages that text mode keeps from lines the gold leaves out.
The script owns the part of the output file between its begin/end markers
and leaves the rest alone.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gzip
import hashlib
import os
import pickle
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from boilerplate import decode as _decode_module
from boilerplate import estimator as _estimator_module
from boilerplate import features as _features_module
from boilerplate import hints as _hints_module
from boilerplate import model as _model_module
from boilerplate import segment as _segment_module
from boilerplate import region as _region_module
from boilerplate import structure as _structure_module
from boilerplate import walk as _walk_module
from boilerplate.api import declutter
from boilerplate.engines import run_trafilatura
from boilerplate.errors import BoilerplateError, InputError, ModelError
from boilerplate.estimator import FOLDS, TwoStageClassifier, site_fold
from boilerplate.features import featurize, line_groups
from boilerplate.model import (
    DEFAULT_MODEL_PATH,
    DEFAULT_THRESHOLD,
    Model,
    load_model,
    require_train_extra,
)
from boilerplate.segment import from_text
from training import corpus as _corpus_module
from training import labels as _labels_module
from training import train as _train_module
from training import weights as _weights_module
from training.benchmarks.docs import replace_section, shown, progress
from training.corpus import GOLD_DATASETS, SNIPPET_DATASET, TRAIN_DATASETS, Page, iter_dataset
from training.labels import Featurized, align_labels, code_digest, featurize_page, labelled_pages, load_dataset
from training.metrics import Score, article_score, normalise, page_pr, snippet_rates
from training.train import FIXTURES, REPO, kept_lines, page_text, training_rows
from training.weights import line_weights

ALL_DATASETS = TRAIN_DATASETS
#: Views of each training page: as HTML, and flattened to text one line per block.
KINDS = ("html", "text")
#: Datasets with with/without snippet gold.
SNIPPET_DATASETS = (SNIPPET_DATASET, "wcxb-articles")
#: Dataset with block labels, and the noise kinds whose leak into the output we measure.
LEAK_DATASET = "l3s-gn1"
LEAK_KINDS = ("related-content", "comments", "not-content")
#: Body kind reported beside the leaks, as the share that is kept (higher is better).
KEPT_KIND = "fulltext"
#: Chinese, Japanese and Korean: text mode's leak is measured on their pages.
CJK_LANGUAGES = ("zh", "ja", "ko")
#: A dataset's pages in one language get a row of their own from this many pages on.
MIN_LANGUAGE_PAGES = 5
DEFAULT_OUT = REPO / "docs" / "benchmarks.md"
DEFAULT_CACHE_DIR = Path("/tmp/declutter-cache")
#: Processes for trafilatura and the naive scraper (the machine has 2 cores).
WORKERS = 2
#: Pages per dataset timed for the speed table (taken from the selected pages).
SPEED_PAGES_PER_DATASET = 20
#: Paired bootstrap over pages for the interval of model F1 minus trafilatura F1;
#: below MIN_CI_PAGES pages the interval means little and is not shown.
BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 0
MIN_CI_PAGES = 20
#: OpenMP threads for the OOF training (--threads): on the shared 2-core machine,
#: under load, one thread fitted faster than two (23 s vs 53 s on l3s-gn1).
TRAIN_THREADS = 1
#: OOF results kept in the --oof-cache file (one per stage and distinct digest).
OOF_CACHE_KEEP = 4
BEGIN = "<!-- evaluate.py:begin -->"
END = "<!-- evaluate.py:end -->"

#: Output columns: key -> label in the tables.
SYSTEMS = {"model": "model", "traf": "trafilatura", "traf_fp": "trafilatura favor_precision"}
TEXT_SYSTEMS = {
    "text_model": "text: model (OOF)", "text_floor": "text: keep all lines",
    "scraper_model": "inscriptis: model (OOF)", "scraper_floor": "inscriptis: keep all lines",
    "scraper_shipped": "inscriptis: shipped model",
}

Outputs = dict[tuple[str, str], dict[str, Any]]


log = progress("evaluate")


# ---------------------------------------------------------------- pages


def select_pages(data_dir: Path, names: Sequence[str], limit: int | None) -> dict[str, list[Page]]:
    """The first ``limit`` pages (all when None) of each dataset."""
    return {name: list(islice(iter_dataset(data_dir, name), limit)) for name in names}


# ---------------------------------------------------------------- trafilatura and the scraper


def trafilatura_text(html: str, url: str | None, **overrides: Any) -> str | None:
    """trafilatura's text, or None when it fails on the page."""
    try:
        return run_trafilatura(html, url=url, **overrides).text
    except BoilerplateError:
        return None


def _scrape(html: str) -> str:
    """A naive scraper's flattening: inscriptis' visible text, one line per block."""
    from inscriptis import get_text

    try:
        return get_text(html)
    except Exception:  # inscriptis fails on a few malformed pages: that is an empty page
        return ""


def model_text(data: str, **options: Any) -> str:
    """boilerplate.declutter's text; empty when it refuses the input (e.g. an empty page)."""
    try:
        return declutter(data, **options).text
    except InputError:
        return ""


def worker_init() -> None:
    """One OpenMP thread per worker: WORKERS processes already fill the cores."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def external_outputs(job: tuple[str, str | None, bool, str | None]) -> dict[str, Any]:
    """Pool worker: trafilatura twice, and the scraper if asked."""
    html, url, want_scraper, model_path = job
    out: dict[str, Any] = {
        "traf": trafilatura_text(html, url),
        "traf_fp": trafilatura_text(html, url, favor_precision=True),
    }
    if want_scraper:
        doc = from_text(_scrape(html))
        texts = [line.text for line in doc.lines]
        out["scraper"] = (texts, featurize(doc), line_groups(doc))
        if model_path:
            out["scraper_shipped"] = model_text("\n".join(texts), kind="text", model=model_path)
    return out


def run_external(pages: dict[str, list[Page]], model_path: Path | None) -> Outputs:
    """trafilatura (and the scraper on datasets with a gold body) on every page, in WORKERS processes."""
    keys = [(name, p.id) for name, ps in pages.items() for p in ps]
    jobs = [(p.html, p.url, name in GOLD_DATASETS, str(model_path) if model_path else None)
            for name, ps in pages.items() for p in ps]
    with ProcessPoolExecutor(WORKERS, initializer=worker_init) as pool:
        results = list(pool.map(external_outputs, jobs, chunksize=4))
    return dict(zip(keys, results))


# ---------------------------------------------------------------- out-of-fold predictions


@dataclass
class OutOfFold:
    """Out-of-fold probabilities per view and the fold models that made them."""

    proba: list[np.ndarray]
    models: list[TwoStageClassifier]

    def predict(self, fold: int, X: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """Content probabilities of one page from the model of ``fold`` (as Model.content_proba)."""
        return np.asarray(self.models[fold].predict_proba(X, line_groups=groups)[:, 1])


def oof_digest(views: Sequence[Featurized], folds: int, data_dir: Path) -> str:
    """Digest of what stage-one OOF results depend on: code, settings, fixtures, pages."""
    import sklearn  # type: ignore[import-untyped]

    digest = hashlib.sha256()
    for module in (_train_module, _model_module, _estimator_module, _corpus_module, _labels_module,
                   _features_module, _segment_module, _walk_module, _hints_module, _decode_module,
                   _weights_module, _structure_module, _region_module):
        digest.update(Path(str(module.__file__)).read_bytes())
    digest.update(code_digest().encode())  # the vocabulary file too
    digest.update(f"{folds}|{sklearn.__version__}|{np.__version__}".encode())
    for path in sorted(p for p in FIXTURES.rglob("*") if p.is_file()):
        digest.update(path.name.encode() + path.read_bytes())
    for name in sorted({v.dataset for v in views}):
        stat = (data_dir / name / "pages.jsonl.gz").stat()
        digest.update(f"{name}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    digest.update(repr([(v.dataset, v.id, v.kind) for v in views]).encode())
    return digest.hexdigest()[:16]


def oof_key(views: Sequence[Featurized], folds: int, stages: int, model: Model | None,
            data_dir: Path) -> str:
    """The --oof-cache key of OOF results: two stages also depend on the stage one that scores the fixtures."""
    key1 = oof_digest(views, folds, data_dir)
    if stages == 1:
        return key1
    source = model.metadata.get("sha256") if model is not None else "fitted"
    return hashlib.sha256(f"{key1}|stage2|{source}".encode()).hexdigest()[:16]


def _read_cache(path: Path | None) -> dict[str, Any]:
    """Entries of an OOF cache file (empty when there is none)."""
    if path is None or not path.is_file():
        return {}
    with gzip.open(path, "rb") as f:
        entries: dict[str, Any] = pickle.load(f)
        return entries


def _write_cache(path: Path, entries: dict[str, Any]) -> None:
    """Write the newest OOF_CACHE_KEEP entries atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with gzip.open(tmp, "wb", compresslevel=3) as f:
        pickle.dump(dict(list(entries.items())[-OOF_CACHE_KEEP:]), f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)


def cross_validate(views: list[Featurized], folds: int, stages: int, model: Model | None,
                   threads: int, data_dir: Path | None = None,
                   memory: Path | None = None) -> dict[int, dict[str, Any]]:
    """The fold models of TwoStageClassifier on the views plus the fixtures' train split, as train.py fits it.

    Returns {1: stage one's entry, 2: both stages' entry (two stages only)},
    each {"stages", "proba": per view, "models": the fold models' stages}. The
    fixtures' stage-two inputs come from the given model's stage one (trained
    on all pages, as train.py's is) instead of one fitted here. ``memory`` is
    train.py's cache of stage-one fold fits: the same rows fitted there are not fitted again.
    """
    log(f"out-of-fold: {folds} site-grouped folds, {stages} stage(s), {len(views)} page views")
    rows = training_rows(views, labelled_pages(FIXTURES, split="train"), line_weights(views, data_dir))
    stage1 = model.estimator["stage1"] if model is not None and stages == 2 else None
    est = TwoStageClassifier(stages=stages, folds=folds, refit=False, memory=memory, verbose=1)
    with _threads(threads):
        est.fit(rows.X, rows.y, stage1=stage1, **rows.fit_params())
    fold_stages = [m.to_stages() for m in est.fold_estimators_]
    out = {1: {"stages": 1, "proba": rows.per_page(est.oof_stage1_proba_),
               "models": [{"stage1": s["stage1"], "stage2": None} for s in fold_stages]}}
    if stages == 2:
        out[2] = {"stages": 2, "proba": rows.per_page(est.oof_proba_), "models": fold_stages}
    return out


def oof_predictions(views: list[Featurized], folds: int, stages: int, model: Model | None,
                    data_dir: Path, cache: Path | None, threads: int,
                    memory: Path | None = None) -> OutOfFold:
    """Out-of-fold probabilities and fold models, from the --oof-cache file when its key matches."""
    entries = _read_cache(cache)
    keys = {n: oof_key(views, folds, n, model, data_dir) for n in range(1, stages + 1)}
    if keys[stages] in entries:
        if cache is not None:
            log(f"OOF results from {cache} ({keys[stages]})")
    else:
        fresh = {keys[n]: entry for n, entry in cross_validate(views, folds, stages, model, threads,
                                                               data_dir, memory).items()}
        entries = {**{k: v for k, v in entries.items() if k not in fresh}, **fresh}
        if cache is not None:
            _write_cache(cache, entries)
            log(f"wrote OOF cache {cache} ({', '.join(fresh)})")
    entry = entries[keys[stages]]
    return OutOfFold(entry["proba"], [TwoStageClassifier.from_stages(s) for s in entry["models"]])


def load_views(data_dir: Path, pages: dict[str, list[Page]], cache_dir: Path,
               limit: int | None) -> list[Featurized]:
    """Featurized html and text views of the selected pages of the training datasets.

    Whole datasets come from training.labels.load_dataset's cache; a --limit run
    featurizes just its pages (the same featurize_page call, uncached).
    """
    views: list[Featurized] = []
    for name in TRAIN_DATASETS:
        if name in pages:
            t0 = time.perf_counter()
            if limit is None:
                views += load_dataset(data_dir, name, kinds=KINDS, cache_dir=cache_dir)
            else:
                views += [v for page in pages[name] for v in featurize_page(page, KINDS)]
            log(f"features {name}: {time.perf_counter() - t0:.0f}s")
    return views


def model_outputs(views: list[Featurized], oof: OutOfFold, folds: int, threshold: float,
                  outputs: Outputs) -> None:
    """Add the OOF model's HTML, text-mode and scraper outputs to ``outputs``."""
    from threadpoolctl import threadpool_limits

    fold_of = {(v.dataset, v.id): site_fold(v.site, folds) for v in views}
    for view, proba in zip(views, oof.proba):
        out = outputs[(view.dataset, view.id)]
        if view.kind == "html":
            out["model"] = page_text(view, proba, threshold)
        else:
            kept = kept_lines(view, proba, threshold)
            out["text_model"] = "\n".join(t for t, k in zip(view.texts, kept.tolist()) if k)
            out["text_floor"] = "\n".join(view.texts)
            out["text_kept"] = (view.texts, kept)  # for the CJK leak (languages section)
    with threadpool_limits(1):  # many small predictions: threads only add overhead
        for key, fold in fold_of.items():
            out = outputs[key]
            if "scraper" not in out:  # snippet-gold pages: no scraper run
                continue
            texts, X, groups = out.pop("scraper")
            view = Featurized(key[0], key[1], "", "text", texts, X, np.zeros(len(texts), np.int8), groups)
            out["scraper_model"] = page_text(view, oof.predict(fold, X, groups), threshold)
            out["scraper_floor"] = "\n".join(texts)


# ---------------------------------------------------------------- scores


@dataclass(frozen=True)
class Delta:
    """Model F1 minus a baseline's F1, with a paired-bootstrap 95 % interval."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class ScoreRow:
    """Article-level scores of several systems on one set of pages."""

    name: str
    pages: int
    scores: dict[str, Score | None]
    delta: Delta | None = None
    failures: int = 0


@dataclass(frozen=True)
class SnippetRow:
    """Snippet rates per system: (found, with, kept, without)."""

    name: str
    pages: int
    rates: dict[str, tuple[int, int, int, int] | None]


@dataclass(frozen=True)
class LeakRow:
    """Share of one block kind's characters that ends up in each system's output.

    ``shares`` pools the characters of all pages (a page with a huge comment
    thread weighs as much as its characters); ``page_shares`` is the mean of
    the per-page shares over the ``pages`` that have the kind.
    """

    kind: str
    blocks: int
    chars: int
    shares: dict[str, float]
    pages: int = 0
    page_shares: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SpeedRow:
    """Single-process timing of one engine on the same pages."""

    engine: str
    pages: int
    pages_per_second: float
    median_ms: float
    p90_ms: float
    median_cpu_ms: float


def _f1(pr: np.ndarray) -> np.ndarray:
    """Harmonic mean of mean precision and mean recall (last axis: P, R)."""
    p, r = pr[..., 0], pr[..., 1]
    return np.divide(2 * p * r, p + r, out=np.zeros_like(p), where=(p + r) > 0)


def paired_delta(golds: list[str], ours: list[str], theirs: list[str]) -> Delta:
    """F1(ours) - F1(theirs) with a 95 % paired bootstrap interval over pages."""
    a = np.array([page_pr(g, x) for g, x in zip(golds, ours)])
    b = np.array([page_pr(g, x) for g, x in zip(golds, theirs)])
    idx = np.random.default_rng(BOOTSTRAP_SEED).integers(0, len(golds), (BOOTSTRAP_SAMPLES, len(golds)))
    diffs = _f1(a[idx].mean(axis=1)) - _f1(b[idx].mean(axis=1))
    low, high = np.percentile(diffs, [2.5, 97.5])
    return Delta(float(_f1(a.mean(axis=0)) - _f1(b.mean(axis=0))), float(low), float(high))


def score_row(name: str, pages: list[Page], outputs: Outputs, systems: Sequence[str],
              with_delta: bool = False) -> ScoreRow:
    """Article scores of the given systems on pages with full gold text."""
    golds = [p.body or "" for p in pages]
    outs = [outputs[(p.dataset, p.id)] for p in pages]
    scores = {s: article_score(zip(golds, (o.get(s) or "" for o in outs)))
              if pages and all(s in o for o in outs) else None for s in systems}
    delta = None
    if with_delta and pages and scores.get("model") is not None:
        delta = paired_delta(golds, [o["model"] for o in outs], [o["traf"] or "" for o in outs])
    failures = sum(o["traf"] is None for o in outs)
    return ScoreRow(name, len(pages), scores, delta, failures)


def snippet_row(name: str, pages: list[Page], outputs: Outputs,
                systems: Sequence[str] = tuple(SYSTEMS)) -> SnippetRow:
    """Summed snippet rates of each system over pages with with/without gold."""
    rates: dict[str, tuple[int, int, int, int] | None] = {}
    for system in systems:
        outs = [outputs[(p.dataset, p.id)].get(system, None) for p in pages]
        if any(system not in outputs[(p.dataset, p.id)] for p in pages):
            rates[system] = None
            continue
        per_page = [snippet_rates(p.extra.get("with") or [], p.extra.get("without") or [], o or "")
                    for p, o in zip(pages, outs)]
        rates[system] = tuple(int(sum(col)) for col in zip(*per_page)) if per_page else (0, 0, 0, 0)
    return SnippetRow(name, len(pages), rates)


def leak_rows(pages: list[Page], outputs: Outputs) -> list[LeakRow]:
    """Per block kind: share of its characters whose block appears whole in the output."""
    rows = []
    for kind in (*LEAK_KINDS, KEPT_KIND):
        blocks = [(p, normalise(text)) for p in pages for label, text in p.extra.get("segments", [])
                  if label == kind and normalise(text)]
        total = sum(len(b) for _, b in blocks)
        per_page: dict[str, int] = {}
        for p, b in blocks:
            per_page[p.id] = per_page.get(p.id, 0) + len(b)
        shares, page_shares = {}, {}
        for system in SYSTEMS:
            norm_out = {p.id: normalise(outputs[(p.dataset, p.id)].get(system) or "") for p in pages}
            leaked: dict[str, int] = {}
            for p, b in blocks:
                if b in norm_out[p.id]:
                    leaked[p.id] = leaked.get(p.id, 0) + len(b)
            shares[system] = sum(leaked.values()) / total if total else 0.0
            page_shares[system] = (sum(leaked.get(pid, 0) / n for pid, n in per_page.items())
                                   / len(per_page) if per_page else 0.0)
        rows.append(LeakRow(kind, len(blocks), total, shares, len(per_page), page_shares))
    return rows


def time_engine(run: Callable[[Page], object], pages: list[Page]) -> tuple[list[float], list[float]]:
    """Wall-clock and process CPU milliseconds of ``run`` per page (after one warm-up page)."""
    if pages:
        with contextlib.suppress(BoilerplateError):
            run(pages[0])
    wall, cpu = [], []
    for page in pages:
        t0, c0 = time.perf_counter(), time.process_time()
        with contextlib.suppress(BoilerplateError):
            run(page)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


@contextlib.contextmanager
def _threads(limit: int | None) -> Iterator[None]:
    """Limit OpenMP/BLAS threads inside the block (no limit for None)."""
    from threadpoolctl import threadpool_limits

    if limit is None:
        yield
        return
    with threadpool_limits(limit):
        yield


def speed_rows(pages: dict[str, list[Page]], model_path: Path | None) -> list[SpeedRow]:
    """Pages per second and median/p90 ms per page, one process, the same pages per engine."""
    sample = [p for ps in pages.values() for p in ps[:SPEED_PAGES_PER_DATASET]]
    engines: dict[str, Callable[[Page], object]] = {
        "trafilatura": lambda p: run_trafilatura(p.html, url=p.url),
        "trafilatura favor_precision": lambda p: run_trafilatura(p.html, url=p.url, favor_precision=True),
    }
    if model_path is not None:
        engines = {"model": lambda p: declutter(p.html, url=p.url, model=model_path, max_bytes=None),
                   "model, 1 thread (threadpoolctl)": lambda p: declutter(
                       p.html, url=p.url, model=model_path, max_bytes=None),
                   **engines}
    rows = []
    for name, run in engines.items():
        with _threads(1 if "1 thread" in name else None):
            wall, cpu = time_engine(run, sample)
        if wall:
            rows.append(SpeedRow(name, len(sample), 1000 * len(sample) / sum(wall),
                                 statistics.median(wall), float(np.percentile(wall, 90)),
                                 statistics.median(cpu)))
    return rows


# ---------------------------------------------------------------- languages

#: Systems of the language tables: the HTML ones, then text mode and its floor.
LANGUAGE_SYSTEMS = (*SYSTEMS, "text_model", "text_floor")
#: Text mode's CJK leak at the start of the multilingual round (commit 9973b33,
#: shipped model f2-c029de5f52e6, trained on English datasets only, run on
#: pages it never saw): (characters kept from lines the gold leaves out,
#: characters of those lines) per (dataset, language). Lines and their gold
#: alignment as in cjk_leak_rows.
LEAK_BASELINE = {
    ("cwced", "zh"): (27210, 92329), ("daniel", "zh"): (172989, 528505),
    ("fundus", "ja"): (11546, 41423), ("fundus", "ko"): (5305, 31624), ("fundus", "zh"): (3, 1123),
    ("readability", "ja"): (19, 2337), ("readability", "zh"): (1348, 11001),
}


def language_of(page: Page) -> str:
    """The page's language as its dataset gives it (``unknown`` without one)."""
    return str(page.extra.get("lang") or "unknown")


def language_rows(pages: dict[str, list[Page]], outputs: Outputs) -> list[ScoreRow]:
    """Every system per language, pooled over the datasets with a gold body (most pages first).

    Languages with fewer than MIN_LANGUAGE_PAGES pages share one row.
    """
    by_lang: dict[str, list[Page]] = {}
    for name in GOLD_DATASETS:
        for page in pages.get(name, []):
            by_lang.setdefault(language_of(page), []).append(page)
    big = sorted((lang for lang, ps in by_lang.items() if len(ps) >= MIN_LANGUAGE_PAGES),
                 key=lambda lang: (-len(by_lang[lang]), lang))
    rows = [score_row(lang, by_lang[lang], outputs, LANGUAGE_SYSTEMS, True) for lang in big]
    small = sorted(lang for lang in by_lang if lang not in big)
    if small:
        rest = [p for lang in small for p in by_lang[lang]]
        rows.append(score_row(f"{len(small)} others ({', '.join(small)})", rest, outputs,
                              LANGUAGE_SYSTEMS, True))
    return rows


def language_dataset_rows(pages: dict[str, list[Page]], outputs: Outputs) -> list[ScoreRow]:
    """Every system per dataset and language, for the datasets that hold more than one language."""
    rows = []
    for name in GOLD_DATASETS:
        by_lang: dict[str, list[Page]] = {}
        for page in pages.get(name, []):
            by_lang.setdefault(language_of(page), []).append(page)
        if len(by_lang) < 2:  # the dataset's own row says it all
            continue
        for lang in sorted(by_lang, key=lambda lang: (-len(by_lang[lang]), lang)):
            if len(by_lang[lang]) >= MIN_LANGUAGE_PAGES:
                rows.append(score_row(f"{name} / {lang}", by_lang[lang], outputs, LANGUAGE_SYSTEMS, True))
    return rows


def language_snippet_rows(pages: dict[str, list[Page]], outputs: Outputs) -> list[SnippetRow]:
    """Snippet rates of trafilatura-eval per language, HTML and text mode."""
    by_lang: dict[str, list[Page]] = {}
    for page in pages.get(SNIPPET_DATASET, []):
        by_lang.setdefault(language_of(page), []).append(page)
    systems = (*SYSTEMS, "text_model")
    return [snippet_row(f"{SNIPPET_DATASET} / {lang}", by_lang[lang], outputs, systems)
            for lang in sorted(by_lang, key=lambda lang: (-len(by_lang[lang]), lang))
            if len(by_lang[lang]) >= MIN_LANGUAGE_PAGES]


@dataclass(frozen=True)
class LeakCount:
    """Characters that text mode keeps from lines the gold leaves out, on one set of pages."""

    name: str
    pages: int
    leaked: int
    non_gold: int
    page_mean: float
    baseline: tuple[int, int] | None


def cjk_leak_rows(pages: dict[str, list[Page]], outputs: Outputs) -> list[LeakCount]:
    """Text-mode leak per dataset and CJK language, then pooled over all of them.

    A line is gold when it aligns to the gold body (labels.align_labels, before
    our headline/date convention); the leak is the share of the other lines'
    characters that the out-of-fold text-mode model keeps.
    """
    counts: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for name in GOLD_DATASETS:
        for page in pages.get(name, []):
            lang, out = language_of(page), outputs[(page.dataset, page.id)]
            if lang not in CJK_LANGUAGES or "text_kept" not in out or not page.body:
                continue
            texts, kept = out["text_kept"]
            gold = align_labels(texts, page.body).astype(bool)
            sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
            counts.setdefault((name, lang), []).append((int(sizes[kept & ~gold].sum()),
                                                        int(sizes[~gold].sum())))
    rows = [_leak_count(f"{name} / {lang}", found, LEAK_BASELINE.get((name, lang)))
            for (name, lang), found in sorted(counts.items())]
    base = [LEAK_BASELINE[key] for key in counts if key in LEAK_BASELINE]
    total = (sum(b[0] for b in base), sum(b[1] for b in base)) if base else None
    rows.append(_leak_count("all CJK pages", [c for found in counts.values() for c in found], total))
    return rows


def _leak_count(name: str, found: list[tuple[int, int]], baseline: tuple[int, int] | None) -> LeakCount:
    """One LeakCount from per-page (leaked, non-gold) characters."""
    shares = [leaked / non_gold for leaked, non_gold in found if non_gold]
    return LeakCount(name, len(found), sum(f[0] for f in found), sum(f[1] for f in found),
                     float(np.mean(shares)) if shares else 0.0, baseline)


def language_table(rows: Sequence[ScoreRow]) -> str:
    """Per language (or dataset and language): HTML systems with the paired delta, then text mode."""
    header = ["pages of", "pages", *(f"{label} P / R / F1" for label in SYSTEMS.values()),
              "model − trafilatura F1 [95 % CI]", "text: model F1", "text: keep all lines F1"]
    body = [[r.name, str(r.pages), *(_prf(r.scores[s]) for s in SYSTEMS), _delta(r.delta, r.pages),
             *(_f1_cell(r.scores.get(s)) for s in ("text_model", "text_floor"))] for r in rows]
    return _table(header, body)


def _f1_cell(score: Score | None) -> str:
    """'0.912' (n/a without a score)."""
    return "n/a" if score is None else f"{score.f1:.3f}"


def cjk_leak_table(rows: Sequence[LeakCount]) -> str:
    """The CJK text-mode leak now and at the start of the round."""
    header = ["pages of", "pages", "characters of non-gold lines", "kept (pooled) ↓",
              "kept (mean per page) ↓", "at the start of the round (pooled)"]
    body = [[r.name, str(r.pages), f"{r.non_gold:,}", f"{r.leaked / r.non_gold:.1%}" if r.non_gold else "n/a",
             f"{r.page_mean:.1%}", f"{r.baseline[0] / r.baseline[1]:.1%}" if r.baseline else "n/a"]
            for r in rows]
    return _table(header, body)


# ---------------------------------------------------------------- the report


@dataclass
class Report:
    """All tables and the facts needed to reproduce them."""

    command: str
    date: str
    setup: list[str]
    accuracy: list[ScoreRow] = field(default_factory=list)
    snippets: list[SnippetRow] = field(default_factory=list)
    leaks: list[LeakRow] = field(default_factory=list)
    text_mode: list[ScoreRow] = field(default_factory=list)
    languages: list[ScoreRow] = field(default_factory=list)
    language_datasets: list[ScoreRow] = field(default_factory=list)
    language_snippets: list[SnippetRow] = field(default_factory=list)
    cjk_leak: list[LeakCount] = field(default_factory=list)
    speed: list[SpeedRow] = field(default_factory=list)
    load: float = 0.0
    notes: list[str] = field(default_factory=list)


def build_report(pages: dict[str, list[Page]], outputs: Outputs, report: Report) -> Report:
    """Fill the report's tables from the outputs."""
    for name in GOLD_DATASETS:
        if name in pages:
            report.accuracy.append(score_row(name, pages[name], outputs, tuple(SYSTEMS), True))
            report.text_mode.append(score_row(name, pages[name], outputs, ("model", *TEXT_SYSTEMS)))
    for name in SNIPPET_DATASETS:
        if name in pages:
            report.snippets.append(snippet_row(name, pages[name], outputs))
    if LEAK_DATASET in pages:
        report.leaks = leak_rows(pages[LEAK_DATASET], outputs)
    report.languages = language_rows(pages, outputs)
    report.language_datasets = language_dataset_rows(pages, outputs)
    report.language_snippets = language_snippet_rows(pages, outputs)
    report.cjk_leak = cjk_leak_rows(pages, outputs)
    return report


def _prf(score: Score | None) -> str:
    """'P / R / F1' cell."""
    if score is None:
        return "n/a"
    return f"{score.precision:.3f} / {score.recall:.3f} / {score.f1:.3f}"


def _delta(delta: Delta | None, pages: int) -> str:
    """'+0.012 [-0.004, +0.030]' cell (no interval for few pages)."""
    if delta is None:
        return "n/a"
    if pages < MIN_CI_PAGES:
        return f"{delta.value:+.3f} (too few pages for an interval)"
    return f"{delta.value:+.3f} [{delta.low:+.3f}, {delta.high:+.3f}]"


def _rate(rates: tuple[int, int, int, int] | None, which: int) -> str:
    """Share of with-snippets found (which=0) or without-snippets kept (which=2)."""
    if rates is None:
        return "n/a"
    hit, total = rates[which], rates[which + 1]
    return f"{hit / total:.1%} ({hit}/{total})" if total else "n/a"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right_from: int = 1) -> str:
    """A markdown table; columns from ``right_from`` on are right-aligned."""
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(str(c) for c in line) + " |" for line in lines)


def accuracy_table(rows: Sequence[ScoreRow], mean: bool = True) -> str:
    """The main table: P/R/F1 per system and model - trafilatura (plus the mean of rows)."""
    header = ["dataset", "pages", *(f"{label} P / R / F1" for label in SYSTEMS.values()),
              "model − trafilatura F1 [95 % CI]"]
    body = [[r.name, str(r.pages), *(_prf(r.scores[s]) for s in SYSTEMS), _delta(r.delta, r.pages)]
            for r in rows]
    if mean and len(rows) > 1:
        body.append(["**mean of datasets**", str(sum(r.pages for r in rows)),
                     *(_mean_prf(rows, s) for s in SYSTEMS), _mean_delta(rows)])
    return _table(header, body)


def _mean_prf(rows: Sequence[ScoreRow], system: str) -> str:
    """Unweighted mean of per-dataset P, R and F1."""
    scores = [r.scores[system] for r in rows]
    if any(s is None for s in scores):
        return "n/a"
    means = (np.mean([getattr(s, a) for s in scores]) for a in ("precision", "recall", "f1"))
    return " / ".join(f"{m:.3f}" for m in means)


def _mean_delta(rows: Sequence[ScoreRow]) -> str:
    """Unweighted mean of per-dataset F1 differences."""
    deltas = [r.delta.value for r in rows if r.delta is not None]
    return f"{np.mean(deltas):+.3f}" if deltas else "n/a"


def snippet_table(rows: Sequence[SnippetRow], systems: dict[str, str] = SYSTEMS) -> str:
    """with found (higher is better) and without kept (lower is better) per system."""
    header = ["subset", "pages", "rate", *systems.values()]
    body = []
    for r in rows:
        body.append([r.name, str(r.pages), "*with* found ↑", *(_rate(r.rates.get(s), 0) for s in systems)])
        body.append(["", "", "*without* kept ↓", *(_rate(r.rates.get(s), 2) for s in systems)])
    return _table(header, body, right_from=3)


#: The news datasets among the training datasets (issue 13's "news dev sets").
NEWS_DATASETS = ("l3s-gn1", "cleanportaleval", "readability", "google-trends-2017", "big9", "wcxb-articles")


def precision_table(rows: Sequence[ScoreRow]) -> str:
    """Model precision beside trafilatura's with favor_precision=True, news datasets first."""
    header = ["dataset", "news", "model P", "trafilatura favor_precision P", "model − it",
              "model R", "trafilatura favor_precision R"]
    body = []
    for r in sorted(rows, key=lambda r: r.name not in NEWS_DATASETS):
        ours, theirs = r.scores["model"], r.scores["traf_fp"]
        if ours is None or theirs is None:
            continue
        body.append([r.name, "yes" if r.name in NEWS_DATASETS else "", f"{ours.precision:.3f}",
                     f"{theirs.precision:.3f}", f"{ours.precision - theirs.precision:+.3f}",
                     f"{ours.recall:.3f}", f"{theirs.recall:.3f}"])
    return _table(header, body, right_from=2)


def leak_table(rows: Sequence[LeakRow]) -> str:
    """Share of characters of each l3s-gn1 block kind that ends up in the output."""
    header = ["block kind", "blocks", "chars", *SYSTEMS.values(), "pages",
              *(f"{name}, mean per page" for name in SYSTEMS.values())]
    body = [[f"{r.kind} ({'kept ↑' if r.kind == KEPT_KIND else 'leaked ↓'})", str(r.blocks),
             f"{r.chars:,}", *(f"{r.shares[s]:.1%}" for s in SYSTEMS), str(r.pages),
             *(f"{r.page_shares[s]:.1%}" for s in SYSTEMS)] for r in rows]
    return _table(header, body)


def text_table(rows: Sequence[ScoreRow]) -> str:
    """Text-mode scores beside the keep-everything floors and the HTML model."""
    header = ["dataset", "pages", "HTML: model F1",
              *(f"{label} P / R / F1" for label in TEXT_SYSTEMS.values())]
    body = [[r.name, str(r.pages), f"{r.scores['model'].f1:.3f}" if r.scores["model"] else "n/a",
             *(_prf(r.scores[s]) for s in TEXT_SYSTEMS)] for r in rows]
    return _table(header, body)


def speed_table(rows: Sequence[SpeedRow]) -> str:
    """Pages per second and per-page latency."""
    header = ["engine", "pages", "pages / s", "median ms / page", "p90 ms / page",
              "median CPU ms / page"]
    body = [[r.engine, str(r.pages), f"{r.pages_per_second:.1f}", f"{r.median_ms:.1f}", f"{r.p90_ms:.1f}",
             f"{r.median_cpu_ms:.1f}"] for r in rows]
    return _table(header, body)


def render_section(report: Report) -> str:
    """The whole markdown section this script owns (between BEGIN and END)."""
    parts = [
        BEGIN,
        "## Accuracy",
        f"Generated on {report.date} by `{report.command}`.",
        "\n".join(f"- {line}" for line in report.setup),
        "### Article extraction (HTML)",
        "Shingle metric (training/metrics.py: 4-token shingles, precision and recall averaged "
        "over pages, F1 of the averages). The model's numbers are out-of-fold: each page is "
        "scored by a model that never saw its site. The interval is a paired bootstrap over pages.",
        accuracy_table(report.accuracy),
        "### Precision beside trafilatura's favor_precision",
        "The same out-of-fold scores: precision first (issue 13 asks for at least trafilatura's "
        "with favor_precision=True on every news dataset).",
        precision_table(report.accuracy),
        "### Snippets",
        "Share of *with* snippets found in the output and of *without* snippets wrongly kept "
        f"(whitespace-normalised substring match), out-of-fold model. {SNIPPET_DATASET} is trained "
        "on through its snippets (the lines that hold one), like every dataset out of fold.",
        snippet_table(report.snippets),
        f"### Leaks by block kind ({LEAK_DATASET})",
        "Share of the characters of each annotated block kind whose whole block (whitespace-"
        "normalised) appears in the output, pooled over all pages, then the mean of the same "
        "share per page over the pages that have the kind (one page with a huge comment thread "
        "weighs less there); the model is out-of-fold.",
        leak_table(report.leaks),
        "### Text mode",
        "*text*: each page flattened to its visible text one line per block (our segmenter), "
        "filtered by the model in text mode (out-of-fold). *inscriptis*: the page flattened by "
        "a naive scraper (`inscriptis.get_text`), filtered by the out-of-fold fold models; the "
        "*shipped model* column uses the shipped model, which saw these pages' sites in "
        "training (optimistic, for reference). *keep all lines* is the floor a filter must beat.",
        text_table(report.text_mode),
        "### Languages",
        "Every page of the datasets with a gold body, by the language its dataset gives it "
        f"(`lang`), pooled over datasets; languages with fewer than {MIN_LANGUAGE_PAGES} pages "
        "share the last row. Out-of-fold model, HTML beside trafilatura, then text mode (the "
        "page flattened one line per block) and its keep-everything floor. Chinese and Japanese "
        "count one token per character (training/metrics.py).",
        language_table(report.languages),
        "#### Per dataset and language",
        "The datasets that hold more than one language, one row per language with at least "
        f"{MIN_LANGUAGE_PAGES} pages.",
        language_table(report.language_datasets),
        f"#### {SNIPPET_DATASET} by language",
        f"Snippet rates of {SNIPPET_DATASET} per language (at least {MIN_LANGUAGE_PAGES} pages), "
        "HTML and text mode, out-of-fold model.",
        snippet_table(report.language_snippets, {**SYSTEMS, "text_model": "text: model (OOF)"}),
        "#### Chinese, Japanese and Korean in text mode: what leaks",
        "Characters of the lines the gold leaves out (lines that do not align to the gold body, "
        "training/labels.align_labels) that the out-of-fold text-mode model keeps, pooled over "
        "the pages and as the mean of the per-page shares. The last column is the shipped model "
        "at the start of the multilingual round (commit 9973b33, model f2-c029de5f52e6, trained "
        "on English pages only) on the same pages and lines.",
        cjk_leak_table(report.cjk_leak),
        "### Speed",
        "One process, end to end from an HTML string, the same pages for every engine "
        f"(the first {SPEED_PAGES_PER_DATASET} selected pages of each dataset; one warm-up page); "
        f"{os.cpu_count()} cores, 1-minute load average {report.load:.1f} when timing started. "
        "*model* runs as a caller gets it (numpy trees: a model with its .npz uses no OpenMP); "
        "the 1-thread row also limits native thread pools with threadpoolctl. Wall-clock times depend on the load; "
        "CPU time (all threads of the process) much less so.",
        speed_table(report.speed),
        "### Notes",
        "\n".join(f"- {note}" for note in report.notes),
        END,
    ]
    return "\n\n".join(parts) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace this script's section of ``path`` (or append it; create the file if needed)."""
    replace_section(path, section, BEGIN, END)


# ---------------------------------------------------------------- main


def git_commit() -> str:
    """Short commit of the repository (with '+dirty' when there are local changes)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def _shown(path: Path | None) -> str:
    """A path relative to the repository when it is inside it."""
    if path is None:
        return "?"
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def model_stages(model: Model | None) -> int:
    """2 when the model has a second stage (and by default, as training.train), else 1."""
    if model is None:
        return 2
    return 1 if model.estimator.get("stage2") is None else 2


def setup_lines(model: Model | None, threshold: float, folds: int, stages: int,
                limit: int | None) -> list[str]:
    """What the numbers were produced with."""
    from importlib.metadata import version

    return [
        f"model: `{model.version}` ({_shown(model.path)}), threshold {threshold}" if model
        else f"model: none found, threshold {threshold} (trafilatura-eval, speed and shipped columns n/a)",
        f"out-of-fold: {folds} site-grouped folds, {stages} stage(s) (the fold models of "
        "boilerplate.estimator.TwoStageClassifier); the fixtures' train split is added to every fold",
        f"trafilatura {version('trafilatura')} (boilerplate.engines.TRAFILATURA_OPTIONS; "
        f"favor_precision=True for the third system), inscriptis {version('inscriptis')}, "
        f"scikit-learn {version('scikit-learn')}, Python {sys.version.split()[0]}",
        f"code: commit {git_commit()}",
        f"pages: {'first ' + str(limit) + ' pages of each dataset (quick run)' if limit else 'all pages'}",
    ]


def standing_notes(pages: dict[str, list[Page]], outputs: Outputs, model: Model | None,
                   threshold: float) -> list[str]:
    """Caveats that belong next to the numbers."""
    failures = sum(o["traf"] is None for o in outputs.values())
    failures_fp = sum(o["traf_fp"] is None for o in outputs.values())
    searched = model is not None and "threshold_search" in model.metadata.get("metrics", {})
    notes = [
        f"The threshold ({threshold}) was picked by training.train on out-of-fold predictions of "
        "these same pages (best mean F1 over a small grid): a slight optimism for the model."
        if searched else f"The threshold ({threshold}) was fixed, not tuned on these pages.",
        "Gold conventions differ: every gold but readability's includes the headline (and some "
        "include bylines, dates, captions or, in cleaneval, all running text); our model drops "
        "headline, date and byline lines by design (they are separate fields), and trafilatura's "
        "text output has no title either. readability's gold is Readability.js output. Compare "
        "systems within a row, not datasets with each other.",
        f"{SNIPPET_DATASET} is trafilatura's own evaluation corpus (its home ground).",
        f"trafilatura failed (empty output) on {failures} pages with default options and "
        f"{failures_fp} with favor_precision.",
    ]
    if SNIPPET_DATASET in pages:
        gold_sites = {p.site for name, ps in pages.items() if name in GOLD_DATASETS for p in ps}
        shared = sum(p.site in gold_sites for p in pages[SNIPPET_DATASET])
        notes.append(f"{shared} of {len(pages[SNIPPET_DATASET])} {SNIPPET_DATASET} pages come from a site "
                     "that also occurs in the datasets with a gold body (the same fold, as folds go by site).")
    return notes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path, help="folder of datasets (/work/shared/data)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"markdown file to update [default: {DEFAULT_OUT.relative_to(REPO)}; "
                        "a --limit run writes only when --out is given]")
    parser.add_argument("--datasets", nargs="+", default=list(ALL_DATASETS), choices=ALL_DATASETS)
    parser.add_argument("--limit", type=int, default=None, help="first N pages per dataset")
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--stages", type=int, choices=(1, 2), default=None,
                        help="model stages for the OOF predictions [default: as the model; 2 without one]")
    parser.add_argument("--model", type=Path, default=None,
                        help="model file for trafilatura-eval, the threshold and speed [default: shipped]")
    parser.add_argument("--oof-cache", type=Path, default=None,
                        help="file of OOF probabilities and fold models, reused when code and "
                        "settings match")
    parser.add_argument("--threads", type=int, default=TRAIN_THREADS,
                        help="OpenMP threads for the out-of-fold training")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help="feature cache")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every system on the selected pages, score them, and write the markdown section."""
    args = parse_args(argv)
    try:
        require_train_extra("evaluation")  # it trains a model per fold
    except ModelError as exc:
        print(f"training.evaluate: {exc}", file=sys.stderr)
        return 1
    command = shown("python -m training.evaluate " + shlex.join(sys.argv[1:] if argv is None else argv))
    model_path = (args.model or DEFAULT_MODEL_PATH).resolve()
    model_path = model_path if model_path.is_file() else None
    model = load_model(model_path) if model_path else None
    threshold = model.threshold if model else DEFAULT_THRESHOLD
    stages = args.stages or model_stages(model)
    out = args.out or (None if args.limit else DEFAULT_OUT)
    log(f"model {model_path or 'none'}, threshold {threshold}, {stages} stage(s)")

    pages = select_pages(args.data_dir, args.datasets, args.limit)
    t0 = time.perf_counter()
    outputs = run_external(pages, model_path)
    log(f"trafilatura x2 + scraper on {len(outputs)} pages: {time.perf_counter() - t0:.0f}s")
    views = load_views(args.data_dir, pages, args.cache_dir, args.limit)
    if views:
        oof = oof_predictions(views, args.folds, stages, model, args.data_dir, args.oof_cache,
                              args.threads, args.cache_dir / "fits")
        model_outputs(views, oof, args.folds, threshold, outputs)
        del views, oof

    report = Report(command=command, date=datetime.date.today().isoformat(),
                    setup=setup_lines(model, threshold, args.folds, stages, args.limit))
    build_report(pages, outputs, report)
    log("scored; timing engines")
    report.load = os.getloadavg()[0]
    report.speed = speed_rows(pages, model_path)
    report.notes = standing_notes(pages, outputs, model, threshold)
    print(accuracy_table(report.accuracy))
    if out is not None:
        write_section(out, render_section(report))
        log(f"wrote {out}")
    else:
        log("quick run: no file written (give --out to write one)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
