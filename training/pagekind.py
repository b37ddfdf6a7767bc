"""The page-kind model: is a page an article? Trained on article datasets against wcxb-other.

    python -m training.pagekind ../shared/data                       # beside the shipped model
    python -m training.pagekind ../shared/data --model my/line_classifier.joblib

``training.train`` runs it after fitting the line model (with that fit's
out-of-fold probabilities); run alone, it takes the line model's out-of-fold
probabilities from ``training.evaluate``'s cross-validation (``--oof-cache``).

Positives: every page of the article datasets (the training datasets, plus
fundus, daniel and cwced when the data folder has them); negatives: the
listing, collection, service and forum pages of wcxb-other. Each page counts
as HTML and as flattened text, and again without its URL (a caller may not
have one), so that the model learns the no-URL case from the same pages. The
line probabilities it reads are out of fold for pages the line model trained
on, so they look like those of a page it never saw. Cross-validation is
grouped by site (5 folds); the threshold is the article score under which at
most MAX_ARTICLE_MISSES of the article pages (HTML, with their URL) fall.
The script owns its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from boilerplate.document import Document
from boilerplate.estimator import site_fold
from boilerplate.model import DEFAULT_MODEL_PATH, Model, load_model
from boilerplate.pagekind import PAGE_FEATURE_NAMES, document_features, page_kind_paths, save_page_kind
from boilerplate.segment import from_html, from_text
from boilerplate.trees import Forest, export
from training.benchmarks.docs import replace_section, shown
from training.corpus import SNIPPET_DATASET, TRAIN_DATASETS, Page, iter_dataset
from training.labels import Featurized, load_dataset

#: Article datasets besides the line model's training data, used when present.
MORE_ARTICLES = ("fundus", "daniel", "cwced")
#: The pages that are not articles.
OTHER_PAGES = "wcxb-other"
#: The kinds of wcxb-other whose pages the target is about (listing pages, collections).
LIST_KINDS = ("listing", "collection")
#: Share of article pages allowed under the threshold (the issue's target: 1%).
MAX_ARTICLE_MISSES = 0.01
FOLDS = 5
#: Small trees: a few thousand pages. Seven leaves and 300 rounds were as good as or
#: better than 15 or 31 leaves in site-grouped CV (docs/benchmarks.md, page kind).
PARAMS: dict[str, Any] = {"max_iter": 300, "learning_rate": 0.05, "max_leaf_nodes": 7,
                          "min_samples_leaf": 20, "l2_regularization": 1.0, "early_stopping": False}
BEGIN = "<!-- pagekind.py:begin -->"
END = "<!-- pagekind.py:end -->"
Proba = Callable[[Featurized], np.ndarray]


@dataclass
class KindRows:
    """One row per page view: its features, whether it is an article, and what it is."""

    X: list[np.ndarray] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    site: list[str] = field(default_factory=list)
    dataset: list[str] = field(default_factory=list)
    page_type: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    #: The row of the page as given (with its URL when it has one), and whether the row has a URL.
    given: list[bool] = field(default_factory=list)
    url: list[bool] = field(default_factory=list)

    def add(self, row: np.ndarray, page: Page, kind: str, with_url: bool) -> None:
        """One page view's row, with or without the page's URL."""
        self.X.append(row)
        self.y.append(int(page.dataset != OTHER_PAGES))
        self.site.append(page.site)
        self.dataset.append(page.dataset)
        self.page_type.append(str(page.extra.get("page_type") or "article"))
        self.kind.append(kind)
        self.given.append(with_url or not page.url)
        self.url.append(with_url)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The feature matrix (float32, as the trees compare) and the labels."""
        return np.array(self.X, dtype=np.float32).reshape(-1, len(PAGE_FEATURE_NAMES)), np.array(self.y)


def view_document(page: Page, view: Featurized) -> Document:
    """The Document a view was made from (as training.labels.featurize_page segments it)."""
    if view.kind == "text":
        return from_text("\n".join(view.texts), url=page.url)
    return from_html(page.html, url=page.url)


def add_page(rows: KindRows, page: Page, views: Sequence[Featurized], proba: Proba) -> None:
    """The rows of one page: each view, with its URL and without."""
    for view in views:
        doc = view_document(page, view)
        if [line.text for line in doc.lines] != view.texts:
            raise ValueError(f"{page.dataset}/{page.id}: the segmentation changed since the view was made")
        p = proba(view)
        for with_url in (True, False) if page.url else (False,):
            shown = doc if with_url else replace(doc, url=None)
            rows.add(document_features(shown, view.X, p, view.groups), page, view.kind, with_url)


def class_weights(y: np.ndarray) -> np.ndarray:
    """Both classes weigh the same in total (there are ten times more article pages)."""
    return np.where(y == 0, (y == 1).sum() / max(int((y == 0).sum()), 1), 1.0)


def fit(X: np.ndarray, y: np.ndarray, random_state: int = 0) -> Any:
    """The page-kind trees fitted on the rows (a scikit-learn pipeline, as trees.export takes)."""
    from boilerplate.estimator import build_estimator

    model = build_estimator(random_state=random_state, **PARAMS)
    model.fit(X, y, clf__sample_weight=class_weights(y))
    return model


def cross_validate(rows: KindRows, folds: int = FOLDS) -> np.ndarray:
    """Each row's article score from the model fitted without its site's fold."""
    X, y = rows.arrays()
    fold = np.array([site_fold(site, folds) for site in rows.site])
    oof = np.zeros(len(y))
    for k in range(folds):
        model = fit(X[fold != k], y[fold != k])
        oof[fold == k] = model.predict_proba(X[fold == k])[:, 1]
    return oof


def choose_threshold(rows: KindRows, oof: np.ndarray) -> float:
    """The score under which MAX_ARTICLE_MISSES of the article pages fall (HTML, as given)."""
    y, kind, given = np.array(rows.y), np.array(rows.kind), np.array(rows.given)
    articles = oof[(y == 1) & (kind == "html") & given]
    return float(np.quantile(articles, MAX_ARTICLE_MISSES))


def datasets(data_dir: Path) -> tuple[list[str], list[str]]:
    """The article datasets and the non-article one present in the data folder."""
    # Snippet pages (trafilatura-eval) are of every kind, articles or not: they teach nothing here.
    names = dict.fromkeys(name for name in (*TRAIN_DATASETS, *MORE_ARTICLES, OTHER_PAGES)
                          if name != SNIPPET_DATASET)
    present = [name for name in names if (data_dir / name / "pages.jsonl.gz").is_file()]
    return [name for name in present if name != OTHER_PAGES], [name for name in present if name == OTHER_PAGES]


def collect(data_dir: Path, names: Sequence[str], proba: Callable[[Featurized], np.ndarray],
            cache_dir: Path | None, jobs: int) -> KindRows:
    """The rows of every page of the named datasets (views from training.labels' cache)."""
    rows = KindRows()
    for name in names:
        t0 = time.perf_counter()
        views: dict[str, list[Featurized]] = {}
        for view in load_dataset(data_dir, name, kinds=("html", "text"), cache_dir=cache_dir, jobs=jobs):
            views.setdefault(view.id, []).append(view)
        for page in iter_dataset(data_dir, name):
            add_page(rows, page, views[page.id], proba)
        print(f"page kind: {name} {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    return rows


@dataclass(frozen=True)
class Trained:
    """A fitted page-kind model, its threshold and its cross-validated scores."""

    forest: Forest
    threshold: float
    rows: KindRows
    oof: np.ndarray

    def metadata(self, command: str) -> dict[str, Any]:
        """What the model file says of itself."""
        counts: dict[str, int] = {}
        for dataset, kind in zip(self.rows.dataset, self.rows.kind):
            if kind == "html":
                counts[dataset] = counts.get(dataset, 0) + 1
        return {"threshold": round(self.threshold, 6), "params": PARAMS, "folds": FOLDS,
                "max_article_misses": MAX_ARTICLE_MISSES, "page_views": counts, "command": command,
                "cv": report_rows(self.rows, self.oof, self.threshold), "summary": self.summary()}

    def summary(self) -> dict[str, float]:
        """The target's two numbers: article pages marked not an article, listings and collections caught."""
        y, kind, given = np.array(self.rows.y), np.array(self.rows.kind), np.array(self.rows.given)
        html = (kind == "html") & given
        lists = html & np.isin(np.array(self.rows.page_type), LIST_KINDS)
        return {"articles_marked": round(float((self.oof[html & (y == 1)] < self.threshold).mean()), 4),
                "lists_caught": round(float((self.oof[lists] < self.threshold).mean()), 4)}


def train(rows: KindRows) -> Trained:
    """Cross-validate, choose the threshold, fit on every row."""
    oof = cross_validate(rows)
    threshold = choose_threshold(rows, oof)
    X, y = rows.arrays()
    return Trained(export(fit(X, y)), threshold, rows, oof)


def report_rows(rows: KindRows, oof: np.ndarray, threshold: float) -> dict[str, dict[str, Any]]:
    """Per dataset (and wcxb-other page type): pages and the share marked not an article,
    as HTML as given (with the URL when there is one) and without a URL, and as text as given."""
    y = np.array(rows.y)
    groups = np.array([f"{d} ({t})" if d == OTHER_PAGES else d for d, t in zip(rows.dataset, rows.page_type)])
    kind, given, url = np.array(rows.kind), np.array(rows.given), np.array(rows.url)
    table: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(groups.tolist()):
        cells: dict[str, Any] = {"article": bool(y[groups == name][0])}
        for label, mask in (("html", (kind == "html") & given), ("html, no URL", (kind == "html") & ~url),
                            ("text", (kind == "text") & given)):
            chosen = (groups == name) & mask
            cells[label] = [int(chosen.sum()), round(float((oof[chosen] < threshold).mean()), 4)
                            if chosen.any() else None]
        table[name] = cells
    return table


def render(meta: dict[str, Any], command: str) -> str:
    """The markdown section, from a page-kind model's metadata: per set of pages, the share
    marked not an article at the threshold (out of fold)."""
    lines = [BEGIN, "## Page kind (out of fold)", "",
             f"Generated on {datetime.date.today().isoformat()} by `{command}`; the model: "
             f"`{meta['command']}`. Page-kind trees ({len(PAGE_FEATURE_NAMES)} page features, "
             f"boilerplate/pagekind.py) scored by {meta['folds']} site-grouped folds: each page by a "
             "model that never saw its site; the line probabilities they read are out of fold for "
             f"the line model's training datasets. Threshold {meta['threshold']:.3f}: the article "
             f"score under which {meta['max_article_misses']:.0%} of the article datasets' pages fall "
             "(HTML, as given). Share of each set's pages marked *not an article* (lower is better "
             "for article datasets, higher for wcxb-other):", "",
             "| pages | article? | HTML (as given) | HTML without URL | flattened text |",
             "| --- | --- | ---: | ---: | ---: |"]
    for name, cells in meta["cv"].items():
        shown = [f"{share:.1%} of {n}" if share is not None else "n/a"
                 for n, share in (cells["html"], cells["html, no URL"], cells["text"])]
        lines.append(f"| {name} | {'yes' if cells['article'] else 'no'} | " + " | ".join(shown) + " |")
    summary = meta["summary"]
    lines += ["", f"All article pages (HTML, as given): {summary['articles_marked']:.1%} marked not an "
              f"article; wcxb-other's listing and collection pages: {summary['lists_caught']:.1%} marked "
              "not an article (target: at most 1% and at least 90%).", END, ""]
    return "\n".join(lines)


def line_probabilities(data_dir: Path, model: Model, oof_cache: Path | None, cache_dir: Path,
                       threads: int) -> Callable[[Featurized], np.ndarray]:
    """Out-of-fold line probabilities of the training datasets' views (training.evaluate's
    cross-validation), the model's own for the others (it never saw them)."""
    from training.evaluate import load_views, model_stages, oof_predictions, select_pages

    pages = select_pages(data_dir, [n for n in TRAIN_DATASETS if (data_dir / n).is_dir()], None)
    views = load_views(data_dir, pages, cache_dir, None)
    oof = oof_predictions(views, 3, model_stages(model), model, data_dir, oof_cache, threads)
    known = {(v.dataset, v.id, v.kind): p for v, p in zip(views, oof.proba)}

    def proba(view: Featurized) -> np.ndarray:
        found = known.get((view.dataset, view.id, view.kind))
        return found if found is not None else model.content_proba(view.X, view.groups)

    return proba


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m training.pagekind", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH,
                        help="the line model the page-kind model goes beside")
    parser.add_argument("--oof-cache", type=Path, default=None, help="training.evaluate's OOF cache")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/declutter-cache"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md")
    parser.add_argument("--docs-only", action="store_true",
                        help="write the docs section from the page-kind model beside --model, no training")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Train the page-kind model beside a line model, write its files and its docs section."""
    args = parse_args(argv)
    command = shown("python -m training.pagekind " + shlex.join(sys.argv[1:] if argv is None else argv))
    model = load_model(args.model)
    meta_path = page_kind_paths(args.model)[1]
    if not args.docs_only:
        proba = line_probabilities(args.data_dir, model, args.oof_cache, args.cache_dir, args.threads)
        articles, others = datasets(args.data_dir)
        trained = train(collect(args.data_dir, [*articles, *others], proba, args.cache_dir, args.jobs))
        save_page_kind(trained.forest, args.model, trained.metadata(command))
    section = render(json.loads(meta_path.read_text(encoding="utf-8")), command)
    print(section)
    replace_section(args.out, section, BEGIN, END)
    print(f"wrote {meta_path} and {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
