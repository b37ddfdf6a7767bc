"""Benchmark site memory: the single-page model against site memory, out of fold.

    python -m training.benchmarks.bench_site /work/shared/data             # and update docs/benchmarks.md
    python -m training.benchmarks.bench_site /work/shared/data --no-docs   # print only

Site memory (boilerplate/sitememory.py) drops content lines that repeat on
several pages of one site. It is scored here on the training datasets with
*out-of-fold* line probabilities, never with the shipped model: the shipped
model was trained on these pages, and in-sample scores would flatter both
systems. The probabilities are the two-stage OOF results that
``python -m training.evaluate DATA --oof-cache FILE`` keeps in FILE (read
only here): the entry of the current code when there is one, else the newest
two-stage entry whose line counts match the pages (the report names it).

Each page is labelled like the model engine does (``classify.decide`` at the
model's threshold), then site memory runs over all pages of the same site in
the dataset, the way ``declutter --site-memory`` runs over a crawl, through
the same function (``sitememory.site_memory``). A page's site is the host of
its URL (Wayback captures unwrapped), else the host its absolute links name
most (training.corpus.site_of); big9's pages come from nine known sites (the
one of the nine names its URL and links mention most).

The rule's thresholds were chosen on a *dev* half: big9's sites in alphabetical
order, every other one (arstechnica, cnn, foxnews, nymag, yahoo), plus
cleanportaleval (four portals with 11-30 pages each). Everything else is
held out: big9's other four sites and the other seven datasets. The grid
table shows every rule tried on both halves.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import gzip
import pickle
import platform
import re
import shlex
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from boilerplate.classify import decide
from boilerplate.document import Document, Line, LineResult
from boilerplate.estimator import FOLDS
from boilerplate.features import FEATURE_NAMES
from boilerplate.model import load_model
from boilerplate.sitememory import SiteCounts, SiteRule, relabel, site_of
from training.benchmarks.docs import replace_section, shown, shown_path, progress
from training.corpus import TRAIN_DATASETS, iter_dataset
from training.corpus import site_of as link_site
from training.evaluate import KINDS, oof_key, paired_delta
from training.labels import Featurized, code_digest, load_dataset
from training.metrics import Score, averaged, page_pr

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench_site.py:begin -->", "<!-- bench_site.py:end -->"
DEFAULT_OOF = Path("/tmp/declutter-cache/evaluate-oof.pkl.gz")
DEFAULT_CACHE_DIR = Path("/tmp/declutter-cache")
BIG9_SITES = ("arstechnica", "bbc", "cnn", "forbes", "foxnews", "latimes", "nymag", "nypost", "yahoo")
#: The dev half: big9's sites at even positions (alphabetical), and cleanportaleval.
DEV_BIG9 = frozenset(BIG9_SITES[0::2])
DEV_DATASETS = ("cleanportaleval",)
#: Rules tried: (min_pages, min_share).
GRID = tuple((m, s) for m in (2, 3, 4, 5, 6) for s in (0.0, 0.1, 0.2))
#: Sites with at least this many pages are the ones site memory can act on (with the default rule).
MANY = 3


@dataclass
class Subset:
    """Pages scored together: golds and outputs (single page, default rule), page P/R per rule."""

    name: str
    kind: str
    golds: list[str] = field(default_factory=list)
    single: list[str] = field(default_factory=list)
    remembered: list[str] = field(default_factory=list)
    single_pr: list[tuple[float, float]] = field(default_factory=list)
    by_rule: dict[tuple[int, float], list[tuple[float, float]]] = field(default_factory=dict)
    #: Lines dropped by the default rule, and how many of them the gold calls boilerplate.
    dropped: int = 0
    dropped_boiler: int = 0
    pages_on_big_sites: int = 0


def bench_site(dataset: str, page: Any) -> str:
    """The site of a dataset page, for grouping (see the module docstring)."""
    if dataset == "big9":
        blob = (page.url or "") + page.html[:400_000]
        counts = Counter({name: len(re.findall(name, blob, re.I)) for name in BIG9_SITES})
        return counts.most_common(1)[0][0]
    return site_of(page.url) or link_site(None, page.html, f"{dataset}:{page.id}")


@dataclass
class DatasetInfo:
    """What the benchmark needs of a dataset's pages (no HTML kept)."""

    name: str
    ids: list[str]
    sites: dict[str, str]
    years: dict[str, Any]
    golds: dict[str, str]


def read_datasets(data_dir: Path, names: Sequence[str]) -> list[DatasetInfo]:
    """Ids, sites and gold bodies of every training dataset, in training order."""
    out = []
    for name in TRAIN_DATASETS:
        ids, sites, years, golds = [], {}, {}, {}
        for page in iter_dataset(data_dir, name):
            ids.append(page.id)
            if name in names:
                sites[page.id] = bench_site(name, page)
                years[page.id] = page.extra.get("year")
                golds[page.id] = page.body or ""
        out.append(DatasetInfo(name, ids, sites, years, golds))
    return out


def pick_oof(path: Path, infos: list[DatasetInfo], data_dir: Path) -> tuple[str, list[np.ndarray], str]:
    """The two-stage OOF probabilities: the current code's entry, else the newest that fits."""
    if not path.is_file():
        raise SystemExit(f"no OOF cache at {path}: run python -m training.evaluate {data_dir} "
                         f"--oof-cache {path} first")
    with gzip.open(path, "rb") as f:
        entries = pickle.load(f)
    views = [SimpleNamespace(dataset=i.name, id=pid, kind=kind)
             for i in infos for pid in i.ids for kind in KINDS]
    key = oof_key(views, FOLDS, 2, load_model(), data_dir)
    if key in entries:
        return key, entries[key]["proba"], "the entry of the current code and model"
    two = [k for k, v in entries.items() if v.get("stages") == 2 and len(v["proba"]) == len(views)]
    if not two:
        raise SystemExit(f"{path} has no two-stage OOF entry for these {len(views)} page views")
    return two[-1], entries[two[-1]]["proba"], (
        f"the newest two-stage entry; the current code's ({key}) is not in the cache yet, so "
        "the probabilities may come from slightly older code")


def load_views(data_dir: Path, name: str, cache_dir: Path,
               lengths: list[int]) -> tuple[list[Featurized], str]:
    """A dataset's featurized views that match the OOF entry's line counts, and where they came from.

    The current code's feature cache (or features computed now) first; when
    their line counts differ from the OOF entry's, or there is no cache for the
    current code, the newest cached features of older code whose line counts
    match (the OOF entry was made from such features).
    """
    current = cache_dir / f"{name}-{'+'.join(KINDS)}-{code_digest()}.pkl"
    candidates = [current] + sorted((p for p in cache_dir.glob(f"{name}-{'+'.join(KINDS)}-*.pkl")
                                     if p != current), key=lambda p: -p.stat().st_mtime)
    for path in candidates:
        if not path.is_file():
            continue
        try:
            with open(path, "rb") as f:
                views = pickle.load(f)
        except (AttributeError, ImportError):  # older code pickled classes that have moved since
            continue
        if [len(v.texts) for v in views] == lengths and all(
                v.X.shape[1] == len(FEATURE_NAMES) for v in views[:1]):
            return views, path.stem.rsplit("-", 1)[1] + ("" if path == current else " (older code)")
        del views
    views = load_dataset(data_dir, name, kinds=KINDS, cache_dir=cache_dir)
    if [len(v.texts) for v in views] != lengths:
        raise SystemExit(f"{name}: no features whose line counts match the OOF entry; run "
                         f"python -m training.evaluate {data_dir} --oof-cache FILE first")
    return views, code_digest()


def decisions(view: Featurized, proba: np.ndarray, threshold: float) -> tuple[LineResult, ...]:
    """The model engine's line decisions for a featurized page (as engines.run_model makes them)."""
    doc = Document(kind=view.kind, lines=tuple(Line(text=t, index=i) for i, t in enumerate(view.texts)))
    d = decide(proba, view.X, doc, threshold=threshold)
    return tuple(LineResult(text=t, label=label, score=round(float(p), 4), reason=reason)
                 for t, label, p, reason in zip(view.texts, d.labels, proba, d.reasons))


def body(lines: Sequence[LineResult]) -> str:
    return "\n".join(line.text for line in lines if line.is_content)


def score_dataset(info: DatasetInfo, views: list[Featurized], proba: list[np.ndarray],
                  threshold: float, subsets: dict[tuple[str, str], Subset]) -> None:
    """Add one dataset's pages to the subsets it belongs to, for every rule of the grid."""
    default = SiteRule()
    groupings = {"site": lambda pid: info.sites[pid]}
    if info.name == "big9":
        groupings["site x year"] = lambda pid: f"{info.sites[pid]} {info.years[pid]}"
    for grouping, site_fn in groupings.items():
        for kind in KINDS:
            pages = [(v, p) for v, p in zip(views, proba) if v.kind == kind]
            counts = SiteCounts()
            lines = []
            for v, p in pages:
                lines.append(decisions(v, p, threshold))
                counts.add(site_fn(v.id), v.texts)
            for (v, p), page_lines in zip(pages, lines):
                site = site_fn(v.id)
                occ = counts.occurrences(site, v.texts)
                gold, single = info.golds[v.id], body(page_lines)
                single_pr = page_pr(gold, single)
                outputs = {}
                for m, s in GRID:
                    rule = SiteRule(min_pages=m, min_share=s)
                    new = relabel(page_lines, occ, site=site, site_pages=counts.pages(site), rule=rule)
                    text = single if new is page_lines else body(new)
                    outputs[(m, s)] = (text, single_pr if new is page_lines else page_pr(gold, text), new)
                new = outputs[(default.min_pages, default.min_share)][2]
                changed = [i for i, (a, b) in enumerate(zip(page_lines, new)) if a.label is not b.label]
                for name in subset_names(info, v.id, grouping):
                    sub = subsets.setdefault((name, kind), Subset(name, kind))
                    sub.golds.append(gold)
                    sub.single.append(single)
                    sub.single_pr.append(single_pr)
                    sub.remembered.append(outputs[(default.min_pages, default.min_share)][0])
                    sub.pages_on_big_sites += counts.pages(site) >= MANY
                    for rule, (_, pr, _) in outputs.items():
                        sub.by_rule.setdefault(rule, []).append(pr)
                    sub.dropped += len(changed)
                    sub.dropped_boiler += sum(int(v.y[i]) == 0 for i in changed)


def subset_names(info: DatasetInfo, pid: str, grouping: str) -> list[str]:
    """The report rows a page counts in."""
    if info.name != "big9":
        return [info.name]
    if grouping != "site":
        return ["big9 (sites split by year)"]
    half = "dev" if info.sites[pid] in DEV_BIG9 else "held out"
    return ["big9", f"big9 {half} half"]


def is_dev(name: str) -> bool:
    return name == "big9 dev half" or name in DEV_DATASETS


def is_held_out(name: str) -> bool:
    return (name == "big9 held out half"
            or (name in TRAIN_DATASETS and name != "big9" and name not in DEV_DATASETS))


# --------------------------------------------------------------------------- report


def _prf(s: Score) -> str:
    return f"{s.precision:.3f} / {s.recall:.3f} / {s.f1:.3f}"


def grid_rows(subsets: dict[tuple[str, str], Subset]) -> tuple[list[str], tuple[int, float], dict]:
    """The grid table, the rule with the best mean F1 gain on the dev half, and the gains."""
    def mean_gain(rule, keep) -> float:
        gains = [averaged(s.by_rule[rule]).f1 - averaged(s.single_pr).f1
                 for (name, _), s in subsets.items() if keep(name)]
        return float(np.mean(gains)) if gains else 0.0

    table = {rule: (mean_gain(rule, is_dev), mean_gain(rule, is_held_out)) for rule in GRID}
    best = max(GRID, key=lambda r: (round(table[r][0], 6), -r[0], -r[1]))
    default = (SiteRule().min_pages, SiteRule().min_share)
    rows = ["| min pages | min share of the site's pages | dev: mean F1 gain | held out: mean F1 gain | |",
            "| ---: | ---: | ---: | ---: | --- |"]
    for rule in GRID:
        mark = ", ".join(x for x, on in (("best on dev", rule == best), ("shipped default", rule == default)) if on)
        rows.append(f"| {rule[0]} | {rule[1]:.0%} | {table[rule][0]:+.4f} | {table[rule][1]:+.4f} | {mark} |")
    return rows, best, table


def detail_rows(subsets: dict[tuple[str, str], Subset]) -> list[str]:
    """Single page vs site memory (default rule) per subset and kind."""
    default = (SiteRule().min_pages, SiteRule().min_share)
    rows = ["| subset | half | mode | pages | on sites of 3+ pages | single page P / R / F1 | "
            "site memory P / R / F1 | F1 gain [95 % CI] | lines dropped (gold boilerplate) |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    order = ["big9", "big9 dev half", "big9 held out half", "big9 (sites split by year)",
             *[n for n in TRAIN_DATASETS if n != "big9"]]
    for name in order:
        for kind in KINDS:
            s = subsets.get((name, kind))
            if s is None:
                continue
            delta = paired_delta(s.golds, s.remembered, s.single)
            half = "dev" if is_dev(name) else "held out" if is_held_out(name) else "all"
            share = f"{s.dropped_boiler / s.dropped:.0%}" if s.dropped else "-"
            rows.append(
                f"| {name} | {half} | {kind} | {len(s.golds)} | {s.pages_on_big_sites} | "
                f"{_prf(averaged(s.single_pr))} | {_prf(averaged(s.by_rule[default]))} | "
                f"{delta.value:+.4f} [{delta.low:+.4f}, {delta.high:+.4f}] | {s.dropped} ({share}) |")
    return rows


def report(subsets: dict[tuple[str, str], Subset], args: argparse.Namespace, setup: dict) -> str:
    grid, best, table = grid_rows(subsets)
    rule = SiteRule()
    shipped = (rule.min_pages, rule.min_share)
    held_best = max(GRID, key=lambda r: (round(table[r][1], 6), -r[0], -r[1]))
    lines = [
        "## Site memory (`training/benchmarks/bench_site.py`)",
        "",
        f"{datetime.date.today().isoformat()}. Command: `{setup['command']}`. Model "
        f"`{setup['model']}`, threshold {setup['threshold']}; out-of-fold two-stage "
        f"probabilities ({FOLDS} site-grouped folds) from `{shown_path(args.oof_cache)}`, entry "
        f"`{setup['entry']}` ({setup['entry_note']}); features from the cache of code "
        f"{setup['features']}. Python {platform.python_version()}.",
        "",
        "Every page is labelled on its own (single page), then `declutter --site-memory` "
        "relabels the content lines that repeat on other pages of the same site in the "
        "dataset (site: URL host, else the host the page links to most; big9: its nine "
        "known sites). Shingle metric (training/metrics.py); the interval is a paired "
        "bootstrap over pages. *Lines dropped*: content lines site memory turned into "
        "boilerplate, and the share of them that the gold labels call boilerplate.",
        "",
        f"Shipped rule: a content line is dropped when it occurs on at least "
        f"{rule.min_pages} pages of its site"
        + (f" and on at least {rule.min_share:.0%} of them" if rule.min_share else "")
        + ", unless that would empty the page.",
        "",
        "### Single page vs site memory",
        "",
        *detail_rows(subsets),
        "",
        "### Choosing the rule",
        "",
        "Mean F1 gain over the dev half (big9's arstechnica, cnn, foxnews, nymag and yahoo; "
        "cleanportaleval; HTML and text) and over the held-out half (big9's bbc, forbes, "
        "latimes and nypost; the seven other datasets; HTML and text), for each rule tried.",
        "",
        *grid,
        "",
    ]
    if best != shipped:
        lines += [f"The dev half prefers min pages {best[0]}, share {best[1]:.0%}: the "
                  "shipped default differs (see boilerplate/sitememory.py for why).", ""]
    if held_best != shipped:
        lines += [f"The held-out half would have preferred min pages {held_best[0]}, share "
                  f"{held_best[1]:.0%} (mean gain {table[held_best][1]:+.4f} against "
                  f"{table[shipped][1]:+.4f} for the shipped rule); it was not used to choose. "
                  + ("Two pages is where the dev half loses: two stories of a site that share "
                     "a paragraph (a series intro, a quoted statement) both lose it. "
                     if held_best[0] == 2 else "")
                  + "`--site-min-pages` changes the rule.", ""]
    return "\n".join(lines)


def write_docs(section: str, path: Path = DOCS) -> None:
    """Put the section between the markers of docs/benchmarks.md, keeping the rest."""
    replace_section(path, f"{BEGIN}\n{section}{END}\n", BEGIN, END)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m training.benchmarks.bench_site", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path, help="folder of datasets (/work/shared/data)")
    parser.add_argument("--datasets", nargs="+", default=list(TRAIN_DATASETS), choices=TRAIN_DATASETS)
    parser.add_argument("--oof-cache", type=Path, default=DEFAULT_OOF,
                        help="training.evaluate's OOF cache file (read only)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help="feature cache")
    parser.add_argument("--no-docs", action="store_true", help="print only, leave docs/ alone")
    return parser.parse_args(argv)


log = progress("bench_site")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = shown("python -m training.benchmarks.bench_site "
                    + shlex.join(sys.argv[1:] if argv is None else argv))
    infos = read_datasets(args.data_dir, args.datasets)
    entry, proba, note = pick_oof(args.oof_cache, infos, args.data_dir)
    log(f"OOF entry {entry}: {note}")
    model = load_model()
    subsets: dict[tuple[str, str], Subset] = {}
    feature_digests: set[str] = set()
    offset = 0
    for info in infos:
        n = len(info.ids) * len(KINDS)
        if info.name in args.datasets:
            mine = proba[offset:offset + n]
            views, digest = load_views(args.data_dir, info.name, args.cache_dir,
                                       [len(p) for p in mine])
            feature_digests.add(digest)
            score_dataset(info, views, mine, model.threshold, subsets)
            log(f"{info.name}: {len(views)} page views scored")
            del views, mine
            gc.collect()
        offset += n
    setup = {"command": command, "model": model.version, "threshold": model.threshold,
             "entry": entry, "entry_note": note, "features": ", ".join(sorted(feature_digests))}
    text = report(subsets, args, setup)
    print(text)
    if not args.no_docs:
        write_docs(text)
        log(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
