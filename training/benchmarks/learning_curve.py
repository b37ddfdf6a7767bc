"""The learning curve of ``declutter train``: label k pages of a site, adapt, score its other pages.

    python -m training.benchmarks.learning_curve ../shared/data --base-every 2
    python -m training.benchmarks.learning_curve ../shared/data --base-every 10 --every 4 --no-write  # quick

Sites: big9's nine news sites, fundus publishers with several pages, and the
hosts repeated in dragnet and l3s-gn1 (at least ``--min-pages`` pages). For
each site, its pages in a fixed pseudo-random order (a hash of their ids):
the first k (1, 3, 10) are labelled with the gold-derived labels of
``training.labels`` (both views: HTML, and the page flattened to text), the
model is adapted with ``boilerplate.teach.adapt`` (exactly what ``declutter
train`` runs), and the site's other pages are scored in HTML and in text mode
beside the base model (article F1 against the gold, training/metrics.py). A
k is used only where at least ``MIN_TEST`` pages are left to score.

An honest base never saw the site: the shipped model trained on big9, dragnet
and l3s-gn1. So the base of each site is a fold model: a TwoStageClassifier
fitted (``refit=False``) on the training datasets with site-grouped folds, the
sites named here (a Wayback capture counts for the site it archived; big9's
pages for its nine sites), and each site is adapted from the fold model that
did not see it. With ``--base-every N`` the fold models train on every Nth
page of the training data only (cheaper; a weaker base than the shipped one).

Other sites: each site's most-adapted model also scores a sample of other
sites' pages from its fold (pages its base never saw), beside the base: the
cost of using an adapted model elsewhere.

Methods (``--method``): ``sample`` is what ``declutter train`` runs
(``boilerplate.teach.refit``: stage one refitted on a sample of the base's own
training lines, SAMPLE_LINES of them as training.train ships, plus the labelled
lines weighted as training.train weighs labelled pages; the base's stage two);
``warm`` continues the base's boosting on the labelled lines alone
(``boilerplate.teach.adapt``, what declutter train falls back to for a model
without a sample).

Bounded runs: ``--every N`` takes every Nth site, ``--sites big9,fundus/abc``
only the sites named (a dataset, or dataset/site), ``--base-every N`` fits the
fold models on every Nth training page (cached in ``--cache-dir``: a second
run with the same code and N reuses them).

The script owns the part of docs/benchmarks.md between its markers.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import hashlib
import re
import shlex
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from boilerplate.estimator import (
    FOLDS,
    TwoStageClassifier,
    site_fold,
    stages_proba,
)
from boilerplate.model import load_model
from boilerplate.sitememory import site_of
from boilerplate.teach import (
    ADAPT_STAGE1,
    ADAPT_STAGE2,
    SAMPLE_LINES,
    BaseSample,
    LabelledView,
    adapt,
    refit,
)
from boilerplate.trees import export
from training.benchmarks.docs import replace_section
from training.corpus import TRAIN_DATASETS, iter_dataset
from training.evaluate import DEFAULT_OUT, git_commit
from training.labels import Featurized, code_digest, labelled_pages, load_dataset
from training.metrics import Score, page_pr
from training.train import FIXTURES, page_text, training_rows

BEGIN = "<!-- learning_curve.py:begin -->"
END = "<!-- learning_curve.py:end -->"
#: Labelled pages per site, the points of the curve.
KS = (1, 3, 10)
#: A k is scored only where this many of the site's pages are left to score.
MIN_TEST = 2
#: Datasets whose repeated sites make the curve.
SITE_DATASETS = ("big9", "fundus", "dragnet", "l3s-gn1")
#: big9's nine sites, as their hosts name them (Vulture and Grub Street are New York magazine's).
BIG9 = {"arstechnica": "arstechnica", "bbc": "bbc", "cnn": "cnn", "forbes": "forbes", "fox": "foxnews",
        "latimes": "latimes", "calendarlive": "latimes", "nymag": "nymag", "vulture": "nymag", "grubstreet": "nymag",
        "nypost": "nypost", "yahoo": "yahoo"}
#: Other sites' pages each adapted model is scored on (from its fold).
OTHER_PAGES = 60
#: The adaptation methods (see the module's docstring).
METHODS = ("sample", "warm")
#: The goals of issue 14.
GOAL_HALVED, GOAL_F1, GOAL_OTHERS = 0.5, 0.98, 0.005
_LINKED = re.compile(r"""href=["']https?://(?:www\.)?([^/"'?#:]+)""", re.IGNORECASE)
_ARCHIVED = re.compile(r"""href=["']https?://(?:web|web-beta|wayback)\.archive\.org/web/[^/]*/"""
                       r"""(?:https?://)?(?:www\.)?([^/"'?#:]+)""", re.IGNORECASE)


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def bench_site(dataset: str, url: str | None, html: str, fallback: str) -> str:
    """A page's site: its URL's (an archived page's own), else the site its archive links name most.

    A big9 page counts for the first of the nine sites that its URL, or else
    the most linked host naming one of them, names.
    """
    site = site_of(url) or fallback
    hosts = Counter(h.lower() for h in _ARCHIVED.findall(html[:500_000]))
    if ("archive.org" in site or not url) and hosts:
        site = hosts.most_common(1)[0][0]
    if dataset != "big9":
        return site
    for host in [site] + [h for h, _ in hosts.most_common()] + [h for h, _ in _linked_hosts(html).most_common()]:
        name = next((name for key, name in BIG9.items() if key in host), None)
        if name is not None:
            return name
    return site


def _linked_hosts(html: str) -> Counter[str]:
    return Counter(h.lower() for h in _LINKED.findall(html[:500_000]))


def page_sites(data_dir: Path, datasets: Sequence[str]) -> dict[tuple[str, str], str]:
    """(dataset, page id) -> bench_site, for every page of the datasets."""
    return {(name, p.id): bench_site(name, p.url, p.html, p.site)
            for name in datasets for p in iter_dataset(data_dir, name)}


@dataclass
class Corpus:
    """The featurized pages (both views) with their sites and gold bodies."""

    views: dict[str, list[Featurized]]
    golds: dict[tuple[str, str], str]


def load_corpus(data_dir: Path, datasets: Sequence[str], cache_dir: Path) -> Corpus:
    """Featurized views of the datasets, re-sited by bench_site, and the gold bodies."""
    sites = page_sites(data_dir, datasets)
    views: dict[str, list[Featurized]] = {}
    golds: dict[tuple[str, str], str] = {}
    for name in datasets:
        t0 = time.perf_counter()
        views[name] = [dataclasses.replace(f, site=sites[(name, f.id)])
                       for f in load_dataset(data_dir, name, cache_dir=cache_dir)]
        golds.update({(name, p.id): p.body or "" for p in iter_dataset(data_dir, name)})
        log(f"{name}: {len(views[name])} views, {time.perf_counter() - t0:.0f}s")
    return Corpus(views, golds)


def fold_models(corpus: Corpus, every: int, cache_dir: Path) -> list[dict[str, Any]]:
    """The fold models' stages ({"stage1", "stage2"} each), fitted once and cached by code and sampling."""
    import sklearn

    key = hashlib.sha256(f"{code_digest()}-{every}-{sklearn.__version__}-{FOLDS}".encode()).hexdigest()[:16]
    path = cache_dir / f"learning-curve-folds-{key}.joblib"
    if path.is_file():
        cached: list[dict[str, Any]] = joblib.load(path)
        return cached
    pages = [view for name in TRAIN_DATASETS if name in corpus.views
             for i, page in enumerate(_by_page(corpus.views[name])) if i % every == 0 for view in page]
    rows = training_rows(pages, labelled_pages(FIXTURES, split="train"))
    log(f"fold models: {len(rows.y)} training lines ({len(pages)} views), {FOLDS} folds")
    model = TwoStageClassifier(refit=False, memory=cache_dir / "fits", verbose=1)
    model.fit(rows.X, rows.y, **rows.fit_params())
    stages = [est.to_stages() for est in model.fold_estimators_]
    cache_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(stages, path, compress=3)
    return stages


def _by_page(views: list[Featurized]) -> list[list[Featurized]]:
    """A dataset's views grouped by page (HTML and text of one page together), in order."""
    groups: dict[str, list[Featurized]] = {}
    for view in views:
        groups.setdefault(view.id, []).append(view)
    return list(groups.values())


def _order(page_id: str) -> str:
    """A fixed pseudo-random order of a site's pages."""
    return hashlib.md5(page_id.encode()).hexdigest()


def site_pages(corpus: Corpus, min_pages: int) -> dict[tuple[str, str], list[list[Featurized]]]:
    """(dataset, site) -> its pages (each a list of views), for sites with at least min_pages pages."""
    out: dict[tuple[str, str], list[list[Featurized]]] = defaultdict(list)
    for name in SITE_DATASETS:
        for page in _by_page(corpus.views.get(name, [])):
            out[(name, page[0].site)].append(page)
    return {key: sorted(pages, key=lambda p: _order(p[0].id))
            for key, pages in sorted(out.items()) if len(pages) >= min_pages}


def as_labelled(page: list[Featurized]) -> list[LabelledView]:
    """A featurized page's views as ``declutter train`` sees a labelled page."""
    return [LabelledView(f.id, f.kind, f.X, f.y.astype(np.int8), np.ones(len(f.y)), f.groups) for f in page]


def forests(stages: dict[str, Any]) -> dict[str, Any]:
    """Fitted stages as numpy forests (fast scoring, the same probabilities)."""
    return {name: None if stage is None else export(stage) for name, stage in stages.items()}


@dataclass
class Scores:
    """Per-page (precision, recall) of one model on some pages, by kind ("html", "text")."""

    pr: dict[str, list[tuple[float, float]]] = dataclasses.field(default_factory=lambda: defaultdict(list))

    def f1(self, kind: str) -> float:
        """Article F1 (the benchmark's averaging) over the pages of one kind."""
        return _averaged(self.pr[kind]).f1


def _averaged(prs: Sequence[tuple[float, float]]) -> Score:
    from training.metrics import averaged

    return averaged(prs)


class Scorer:
    """Scores pages with a model's forests; the base's scores are kept per page (they never change)."""

    def __init__(self, corpus: Corpus, threshold: float) -> None:
        self.golds, self.threshold = corpus.golds, threshold
        self.cache: dict[tuple[int, str, str], tuple[float, float]] = {}

    def page(self, model: dict[str, Any], view: Featurized, key: int | None = None) -> tuple[float, float]:
        """(precision, recall) of one view; cached under ``key`` (a base model's id) when given."""
        slot = (key, view.id, view.kind) if key is not None else None
        if slot is not None and slot in self.cache:
            return self.cache[slot]
        proba = stages_proba(model, view.X, view.groups)
        pr = page_pr(self.golds[(view.dataset, view.id)], page_text(view, proba, self.threshold))
        if slot is not None:
            self.cache[slot] = pr
        return pr

    def pages(self, model: dict[str, Any], pages: Sequence[list[Featurized]], key: int | None = None) -> Scores:
        """Scores of every view of the pages."""
        scores = Scores()
        for page in pages:
            for view in page:
                scores.pr[view.kind].append(self.page(model, view, key))
        return scores

    def ceiling(self, pages: Sequence[list[Featurized]]) -> Scores:
        """The gold-derived labels taken as the output: the best a model of these labels can score."""
        scores = Scores()
        for page in pages:
            for view in page:
                text = "\n".join(t for t, y in zip(view.texts, view.y.tolist()) if y)
                scores.pr[view.kind].append(page_pr(self.golds[(view.dataset, view.id)], text))
        return scores


def others_sample(sites: dict[tuple[str, str], list[list[Featurized]]], key: tuple[str, str],
                  fold: int) -> list[list[Featurized]]:
    """Pages of other sites of the same fold (never seen by the base), a fixed spread sample."""
    pool = [page for other, pages in sites.items() if other != key and site_fold(other[1], FOLDS) == fold
            for page in pages]
    pool.sort(key=lambda p: _order(p[0].id))
    return pool[:OTHER_PAGES]


def base_sample(corpus: Corpus, fold: int, every: int) -> BaseSample:
    """A base sample as training.train ships one (SAMPLE_LINES lines), from a fold model's own training pages."""
    views = [view for name in TRAIN_DATASETS if name in corpus.views
             for i, page in enumerate(_by_page(corpus.views[name])) if i % every == 0
             for view in page if site_fold(view.site, FOLDS) != fold]
    X, y = np.concatenate([v.X for v in views]), np.concatenate([v.y for v in views])
    keep = np.sort(np.random.default_rng(fold).choice(len(y), min(SAMPLE_LINES, len(y)), replace=False))
    return BaseSample(X[keep].astype(np.float32), y[keep].astype(np.int8), np.ones(len(keep), np.float32))


def _adapted(method: str, base: dict[str, Any], sample: BaseSample | None,
             views: list[LabelledView]) -> dict[str, Any]:
    """The base adapted to labelled views by one method."""
    if method == "sample":
        assert sample is not None
        return refit(base, sample, views)[0]
    return adapt(base, views)


def run_site(key: tuple[str, str], pages: list[list[Featurized]], base: dict[str, Any], base_id: int,
             scorer: Scorer, others: list[list[Featurized]], methods: Sequence[str],
             sample: BaseSample | None) -> dict[str, Any]:
    """The curve of one site: per k, base and adapted (per method) scores on the pages left, and the cost elsewhere."""
    result: dict[str, Any] = {"dataset": key[0], "site": key[1], "pages": len(pages), "k": {}}
    base_f = forests(base)
    last: dict[str, Any] = {}
    for k in KS:
        if len(pages) - k < MIN_TEST:
            continue
        labelled, test = pages[:k], pages[k:]
        views = [v for page in labelled for v in as_labelled(page)]
        point: dict[str, Any] = {"test": len(test), "base": scorer.pages(base_f, test, base_id),
                                 "ceiling": scorer.ceiling(test), "seconds": {}}
        for method in methods:
            t0 = time.perf_counter()
            last[method] = forests(_adapted(method, base, sample, views))
            point["seconds"][method] = time.perf_counter() - t0
            point[method] = scorer.pages(last[method], test)
        result["k"][k] = point
    if last:
        result["others"] = {"base": scorer.pages(base_f, others, base_id), "k": max(result["k"]),
                            **{method: scorer.pages(model, others) for method, model in last.items()}}
    return result


def write_labelled_folder(data_dir: Path, pages: list[list[Featurized]], folder: Path) -> None:
    """Pages as a user's folder: NAME.html (UTF-8) and NAME.labels.jsonl (gold-derived labels)."""
    import json

    wanted = {page[0].id: page[0] for page in pages}
    folder.mkdir(parents=True, exist_ok=True)
    for raw in iter_dataset(data_dir, pages[0][0].dataset):
        view = wanted.get(raw.id)
        if view is None or view.kind != "html":
            continue
        name = f"page{len(list(folder.glob('*.html'))):02d}"
        (folder / f"{name}.html").write_text(raw.html, encoding="utf-8")
        rows = [json.dumps({"text": t, "label": "content" if y else "boilerplate"}, ensure_ascii=False)
                for t, y in zip(view.texts, view.y.tolist())]
        (folder / f"{name}.labels.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")


def time_train(folder: Path, runs: int) -> list[tuple[float, float]]:
    """(wall seconds, peak MB) of ``declutter train FOLDER`` in a new process (this checkout), per run."""
    import subprocess
    import tempfile

    out = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as model_dir:
            command = ["/usr/bin/time", "-v", sys.executable, "-m", "boilerplate.cli", "train", str(folder),
                       "-o", model_dir]
            done = subprocess.run(command, capture_output=True, text=True, check=True,
                                  cwd=Path(__file__).resolve().parents[2])
        wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        assert wall is not None and rss is not None, done.stderr
        seconds = int(wall[1] or 0) * 3600 + int(wall[2]) * 60 + float(wall[3])
        out.append((seconds, int(rss[1]) / 1024))
    return out


def group_rows(results: list[dict[str, Any]], group: str, k: int) -> list[dict[str, Any]]:
    """The results of one dataset (or all: "all") that have a point at k."""
    return [r for r in results if k in r["k"] and group in ("all", r["dataset"])]


def curve_line(rows: list[dict[str, Any]], group: str, k: int, method: str) -> str:
    """One row of the curve table: mean site F1 of base and adapted, the error left, the goals met."""
    cells = [group, method, str(k), str(len(rows)), str(sum(r["k"][k]["test"] for r in rows))]
    for kind in ("html", "text"):
        base = float(np.mean([r["k"][k]["base"].f1(kind) for r in rows]))
        adapted = float(np.mean([r["k"][k][method].f1(kind) for r in rows]))
        left = (1 - adapted) / (1 - base) if base < 1 else 1.0
        cells += [f"{base:.3f}", f"{adapted:.3f}", f"{left:.2f}"]
    halved = sum((1 - r["k"][k][method].f1("html")) <= GOAL_HALVED * (1 - r["k"][k]["base"].f1("html"))
                 for r in rows)
    reached = sum(r["k"][k][method].f1("html") >= GOAL_F1 for r in rows)
    ceiling = float(np.mean([r["k"][k]["ceiling"].f1("html") for r in rows]))
    cells += [f"{halved}/{len(rows)}", f"{reached}/{len(rows)}", f"{ceiling:.3f}"]
    return "| " + " | ".join(cells) + " |"


def others_line(results: list[dict[str, Any]], group: str, method: str) -> str:
    """One row of the other-sites table: adapted minus base, mean and worst over the adapted models."""
    rows = [r for r in results if "others" in r and group in ("all", r["dataset"])]
    cells = [group, method, str(len(rows)), str(sum(len(r["others"]["base"].pr["html"]) for r in rows))]
    for kind in ("html", "text"):
        deltas = [r["others"][method].f1(kind) - r["others"]["base"].f1(kind) for r in rows]
        cells += [f"{np.mean(deltas):+.4f}", f"{min(deltas):+.4f}"] if deltas else ["", ""]
    return "| " + " | ".join(cells) + " |"


def report(results: list[dict[str, Any]], timing: list[tuple[float, float]], args: argparse.Namespace,
           seconds: float) -> str:
    """The markdown section: the curve, the cost on other sites, the time and memory of declutter train."""
    groups = ["all", *SITE_DATASETS]
    curve = [curve_line(group_rows(results, g, k), g, k, m) for g in groups for m in args.methods for k in KS
             if group_rows(results, g, k)]
    others = [others_line(results, g, m) for g in groups for m in args.methods
              if any("others" in r and g in ("all", r["dataset"]) for r in results)]
    fits = {m: [r["k"][k]["seconds"][m] for r in results for k in r["k"] if k == max(KS)] for m in args.methods}
    lines = [
        BEGIN, "## Learning curve: teaching declutter a site (`declutter train`)", "",
        f"`python -m training.benchmarks.learning_curve {shlex.join(args.argv)}` ({datetime.date.today()}, "
        f"commit {git_commit()}, {seconds / 60:.0f} min). For each site, k of its pages are labelled with the "
        "gold-derived labels of `training.labels` (what a careful user would click), the base model is "
        f"adapted, and the site's other pages are scored (at least {MIN_TEST}). Base: the fold model that never saw the site "
        f"({FOLDS} site-grouped folds over the training datasets"
        + (f", every {args.base_every}th page" if args.base_every > 1 else "")
        + "; big9's pages count for its nine sites, Wayback captures for the site archived). Methods: "
        f"*sample* is what `declutter train` runs (`boilerplate.teach.refit`: stage one refitted on "
        f"{SAMPLE_LINES:,} lines drawn from the base's own training pages, as training.train ships them, "
        "plus the labelled lines; the base's stage two); *warm* continues the base's boosting on the "
        f"labelled lines alone (`boilerplate.teach.adapt`: stage one +{ADAPT_STAGE1['extra_iter']} trees, "
        f"stage two +{ADAPT_STAGE2['extra_iter']}; declutter train's fallback for a model without a sample). "
        "F1: mean over "
        "sites of the article F1 of their scored pages; *error left*: (1 - adapted) / (1 - base); "
        "*ceiling*: the gold-derived labels themselves as output (headlines, captions and the like are "
        "not body in our convention, so some gold is out of reach).", "",
        ("| sites | method | k | sites | pages scored | HTML base | HTML adapted | error left | text base | "
         "text adapted | error left | sites halving HTML error | sites at F1 >= 0.98 | ceiling (HTML) |"),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|", *curve, "",
        (f"Adapted models on other sites (each site's most-adapted model on up to {OTHER_PAGES} pages of "
         "other sites of its fold, which its base never saw either); adapted minus base, article F1, "
         f"mean and worst over the models (goal: no worse than -{GOAL_OTHERS}):"), "",
        "| sites | method | models | pages | HTML mean | HTML worst | text mean | text worst |",
        "|---|---|---:|---:|---:|---:|---:|---:|", *others, "",
    ]
    for method, fit_seconds in fits.items():
        if fit_seconds:
            lines.append(f"Adapting to {max(KS)} pages inside this run ({method}): median "
                         f"{np.median(fit_seconds):.1f} s (max {max(fit_seconds):.1f} s).")
    if timing:
        walls, peaks = [t for t, _ in timing], [m for _, m in timing]
        lines.append(f"`declutter train` on {max(KS)} labelled pages of one site (a new process: start-up, "
                     f"model load, featurizing, adapting, writing the model folder; `/usr/bin/time -v`, "
                     f"{len(timing)} runs): median {np.median(walls):.1f} s wall (max {max(walls):.1f} s), "
                     f"peak memory median {np.median(peaks):.0f} MB (max {max(peaks):.0f} MB).")
    return "\n".join([*lines, END])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m training.benchmarks.learning_curve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--base-every", type=int, default=1,
                        help="fold models train on every Nth page of the training data (default: all)")
    parser.add_argument("--min-pages", type=int, default=5, help="sites with at least this many pages")
    parser.add_argument("--every", type=int, default=1, help="every Nth of those sites (quick runs)")
    parser.add_argument("--sites", default="",
                        help="only these sites: comma-separated datasets or dataset/site (big9,fundus/bbc)")
    parser.add_argument("--method", default="sample", choices=(*METHODS, "both"),
                        help="sample: what declutter train runs; warm: boosting continued (its fallback); both")
    parser.add_argument("--time-runs", type=int, default=3, help="runs of the declutter train timing (0: none)")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/declutter-cache"))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--no-write", action="store_true", help="print the section, write nothing")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.methods = METHODS if args.method == "both" else (args.method,)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Fit (or load) the fold models, run every site's curve, time declutter train, write the section."""
    import tempfile

    args = parse_args(argv)
    t0 = time.perf_counter()
    corpus = load_corpus(args.data_dir, sorted(set(TRAIN_DATASETS) | set(SITE_DATASETS)), args.cache_dir)
    folds = fold_models(corpus, args.base_every, args.cache_dir)
    sites = site_pages(corpus, args.min_pages)
    wanted = [name for name in args.sites.split(",") if name]
    chosen = [(key, pages) for key, pages in sites.items()
              if not wanted or key[0] in wanted or f"{key[0]}/{key[1]}" in wanted][::args.every]
    log(f"{len(chosen)} sites: " + ", ".join(f"{d}/{s} ({len(p)})" for (d, s), p in chosen))
    scorer = Scorer(corpus, load_model().threshold)
    samples = {fold: base_sample(corpus, fold, args.base_every) for fold in range(FOLDS)} \
        if "sample" in args.methods else {}
    results = []
    for key, pages in chosen:
        fold = site_fold(key[1], FOLDS)
        results.append(run_site(key, pages, folds[fold], fold, scorer, others_sample(sites, key, fold),
                                args.methods, samples.get(fold)))
        done = results[-1]["k"]
        log(f"{key[0]}/{key[1]}: " + ", ".join(
            f"k={k} {v['base'].f1('html'):.3f}->" + "/".join(f"{v[m].f1('html'):.3f}" for m in args.methods)
            for k, v in done.items()))
    timing: list[tuple[float, float]] = []
    big = [pages for (d, _), pages in sites.items() if d == "big9" and len(pages) > max(KS)]
    if args.time_runs and big:
        with tempfile.TemporaryDirectory() as folder:
            write_labelled_folder(args.data_dir, big[0][:max(KS)], Path(folder))
            timing = time_train(Path(folder), args.time_runs)
    section = report(results, timing, args, time.perf_counter() - t0)
    print(section)
    if not args.no_write:
        replace_section(args.out, section, BEGIN, END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
