"""Leave one language out: a model that never saw a language, scored on it, beside the same pages out of fold.

    python -m training.benchmarks.lolo /work/shared/data --oof-cache /tmp/declutter-cache/evaluate-oof.pkl.gz
    python -m training.benchmarks.lolo /work/shared/data --languages ja ko --out /tmp/lolo.md

What a user of a language we never trained on gets. For each language L,
every page of L leaves the training data (in every dataset, snippet pages
and the fixtures' train split included) and the vocabulary is mined again
without them (training/vocab.py; features.recount_vocabulary puts the new
counts in every page's matrix). Stage one is fitted on the other pages'
lines; stage two on the same lines, from their out-of-fold stage-one
probabilities of training.evaluate's cross-validation (site-grouped folds
that did hold L's pages of other sites: a shortcut, which spares a
cross-fitting per language; stage two never sees a line of L). The pages of
L are then scored by this model, HTML and text mode, beside the
out-of-fold model of evaluate.py (trained on L, never on the page's site)
and trafilatura. The script owns the part of the output file between its
begin/end markers.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from boilerplate.estimator import FOLDS, STAGE2_PARAMS, build_estimator, positive_proba
from boilerplate.features import recount_vocabulary, stage2_features
from boilerplate.model import DEFAULT_MODEL_PATH, load_model
from boilerplate.vocab import Vocabulary, build_vocabulary
from training.benchmarks.docs import replace_section, shown, progress
from training.corpus import SNIPPET_DATASET, TRAIN_DATASETS, Page
from training.evaluate import (
    DEFAULT_CACHE_DIR,
    DEFAULT_OUT,
    git_commit,
    language_of,
    load_views,
    oof_predictions,
    select_pages,
    trafilatura_text,
    worker_init,
)
from training.labels import Featurized, labelled_pages
from training.metrics import Score, article_score, snippet_rates
from training.train import FIXTURES, page_text, training_rows
from training.vocab import count_terms, vocabulary

BEGIN = "<!-- lolo.py:begin -->"
END = "<!-- lolo.py:end -->"
#: The languages held out by default: those the issue names.
LANGUAGES = ("zh", "ja", "ko", "ru", "el", "pl", "de")
#: The language of each fixture page that has one other than English.
FIXTURE_LANGUAGES = {"german_news": "de", "spanish_news": "es", "french_news": "fr", "japanese_sjis": "ja"}
WORKERS = 2


log = progress("lolo")


@dataclass(frozen=True)
class Held:
    """One language's figures: out of fold (trained on it) and left out, HTML and text mode."""

    language: str
    pages: int
    oof: Score
    lolo: Score
    traf: Score
    text_oof: Score
    text_lolo: Score
    snippets: tuple[tuple[int, int, int, int], tuple[int, int, int, int]] | None
    seconds: float


def fit_without(views: list[Featurized], proba1: list[np.ndarray], fixtures: list[Featurized]) -> dict[str, Any]:
    """Both stages on these views' lines (and the fixtures'), stage two from ``proba1`` (out of fold)."""
    rows = training_rows(views, fixtures)
    keep = rows.sample_weight > 0
    stage1 = build_estimator()
    stage1.fit(_float64_rows(rows.X, keep), rows.y[keep], clf__sample_weight=rows.sample_weight[keep])
    # The fixtures have no out-of-fold probabilities: the new stage one's, as the estimator does.
    inputs = [*proba1, *(positive_proba(stage1, v.X) for v in fixtures)]
    S = np.concatenate([stage2_features(p, v.X, v.groups) for p, v in zip(inputs, [*views, *fixtures])])
    stage2 = build_estimator(**STAGE2_PARAMS)
    stage2.fit(S[keep], rows.y[keep], clf__sample_weight=rows.sample_weight[keep])
    return {"stage1": stage1, "stage2": stage2}


#: Rows copied at a time into the float64 matrix the trees are fitted on.
_CHUNK_ROWS = 1 << 16


def _float64_rows(X: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The kept rows of X in float64, copied by chunks: scikit-learn's trees fit on float64, and a
    float32 copy of the rows first would cost a third more memory."""
    index = np.flatnonzero(keep)
    out = np.empty((index.size, X.shape[1]), dtype=np.float64)
    for lo in range(0, index.size, _CHUNK_ROWS):
        out[lo:lo + _CHUNK_ROWS] = X[index[lo:lo + _CHUNK_ROWS]]
    return out


def predict(stages: dict[str, Any], view: Featurized) -> np.ndarray:
    """Content probabilities of one view's lines."""
    p = positive_proba(stages["stage1"], view.X)
    return positive_proba(stages["stage2"], stage2_features(p, view.X, view.groups))


def mined_without(views: list[Featurized], language: dict[tuple[str, str], str], held: str,
                  datasets: Sequence[str]) -> Vocabulary:
    """The vocabulary as training/vocab.py mines it, from the pages of every language but ``held``."""
    counts = count_terms((v for v in views if language[(v.dataset, v.id)] != held), language)
    return build_vocabulary(vocabulary(counts, datasets))


def hold_out(held: str, views: list[Featurized], fixtures: list[Featurized], ref: Any, ref1: Any,
             language: dict[tuple[str, str], str], pages: dict[tuple[str, str], Page],
             traf: dict[tuple[str, str], str], threshold: float) -> Held:
    """Train without one language and score its pages."""
    t0 = time.perf_counter()
    vocab = mined_without(views, language, held, TRAIN_DATASETS)
    for v in [*views, *fixtures]:
        recount_vocabulary(v.texts, v.X, vocab)
    inside = [i for i, v in enumerate(views) if language[(v.dataset, v.id)] == held]
    outside = [i for i, v in enumerate(views) if language[(v.dataset, v.id)] != held]
    kept = [v for v in fixtures if FIXTURE_LANGUAGES.get(v.id) != held]
    log(f"{held}: {len(inside)} page views held out, training on {len(outside)}")
    stages = fit_without([views[i] for i in outside], [ref1.proba[i] for i in outside], kept)
    gold: dict[str, list[tuple[str, str]]] = {k: [] for k in ("oof", "lolo", "traf", "text_oof", "text_lolo")}
    snip = [np.zeros(4, dtype=np.int64), np.zeros(4, dtype=np.int64)]
    for i in inside:
        v = views[i]
        page = pages[(v.dataset, v.id)]
        ours, theirs = page_text(v, predict(stages, v), threshold), page_text(v, ref.proba[i], threshold)
        if page.body is None:  # snippet gold: HTML only
            if v.kind == "html":
                for k, out in enumerate((theirs, ours)):
                    snip[k] += snippet_rates(page.extra.get("with") or [], page.extra.get("without") or [], out)
            continue
        prefix = "" if v.kind == "html" else "text_"
        gold[f"{prefix}oof"].append((page.body, theirs))
        gold[f"{prefix}lolo"].append((page.body, ours))
        if v.kind == "html":
            gold["traf"].append((page.body, traf.get((v.dataset, v.id), "")))
    scores = {k: article_score(pairs) for k, pairs in gold.items()}
    snippets = (tuple(snip[0].tolist()), tuple(snip[1].tolist())) if snip[0][1] else None
    return Held(held, scores["oof"].pages, scores["oof"], scores["lolo"], scores["traf"], scores["text_oof"],
                scores["text_lolo"], snippets, time.perf_counter() - t0)


def _traf_job(job: tuple[str, str | None]) -> str:
    """Pool worker: trafilatura's text of one page (empty when it fails)."""
    return trafilatura_text(*job) or ""


def trafilatura_outputs(pages: list[Page]) -> dict[tuple[str, str], str]:
    """trafilatura on the held-out languages' pages with a gold body."""
    with ProcessPoolExecutor(WORKERS, initializer=worker_init) as pool:
        texts = pool.map(_traf_job, [(p.html, p.url) for p in pages], chunksize=4)
        return {(p.dataset, p.id): t for p, t in zip(pages, texts)}


def table(rows: Sequence[Held]) -> str:
    """One row per held-out language."""
    header = ["language", "pages", "HTML: trained on (OOF) F1", "HTML: never seen F1", "difference",
              "trafilatura F1", "text: trained on (OOF) F1", "text: never seen F1", "difference",
              "snippets (trafilatura-eval): with found / without kept, OOF → never seen"]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for r in rows:
        snip = "n/a"
        if r.snippets is not None:
            (f0, w0, k0, n0), (f1, _, k1, _) = r.snippets
            snip = f"{f0 / w0:.1%} / {k0 / max(n0, 1):.1%} → {f1 / w0:.1%} / {k1 / max(n0, 1):.1%}"
        lines.append(f"| {r.language} | {r.pages} | {r.oof.f1:.3f} | {r.lolo.f1:.3f} | "
                     f"{r.lolo.f1 - r.oof.f1:+.3f} | {r.traf.f1:.3f} | {r.text_oof.f1:.3f} | "
                     f"{r.text_lolo.f1:.3f} | {r.text_lolo.f1 - r.text_oof.f1:+.3f} | {snip} |")
    return "\n".join(lines)


def render(command: str, rows: Sequence[Held], threshold: float, model_version: str) -> str:
    """The markdown section this script owns."""
    return "\n\n".join([
        BEGIN,
        "## Leave one language out (`training/benchmarks/lolo.py`)",
        f"Generated on {datetime.date.today().isoformat()} by `{command}`; code: commit {git_commit()}; "
        f"threshold {threshold} (model `{model_version}`).",
        "For each language, a model trained without any of its pages (every dataset, the fixtures "
        "too) and with the vocabulary mined without them, scored on its pages; beside it the "
        "out-of-fold model of the Accuracy section (site-grouped folds: trained on the language, "
        "never on the page's site) and trafilatura. Stage two of the held-out model learns from "
        "the out-of-fold stage-one probabilities of that cross-validation (a shortcut that spares a "
        "cross-fitting per language; no line of the language is in its training). Shingle metric "
        "with CJK per-character tokens.",
        table(rows),
        END,
    ]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Hold out each language in turn and write the section."""
    parser = argparse.ArgumentParser(prog="python -m training.benchmarks.lolo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--languages", nargs="+", default=list(LANGUAGES))
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help="threshold and OOF cache key")
    parser.add_argument("--oof-cache", type=Path, default=None, help="evaluate.py's --oof-cache file")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help=f"markdown file [default: {DEFAULT_OUT.name}]")
    args = parser.parse_args(argv)
    command = shown("python -m training.benchmarks.lolo " + shlex.join(sys.argv[1:] if argv is None else argv))
    model = load_model(args.model)
    selected = select_pages(args.data_dir, TRAIN_DATASETS, None)
    pages = {(p.dataset, p.id): p for ps in selected.values() for p in ps}
    language = {key: language_of(p) for key, p in pages.items()}
    views = load_views(args.data_dir, selected, args.cache_dir, None)
    ref = oof_predictions(views, FOLDS, 2, model, args.data_dir, args.oof_cache, args.threads)
    ref1 = oof_predictions(views, FOLDS, 1, model, args.data_dir, args.oof_cache, args.threads)
    fixtures = labelled_pages(FIXTURES, split="train")
    traf = trafilatura_outputs([p for p in pages.values() if language_of(p) in args.languages
                                and p.body is not None and p.dataset != SNIPPET_DATASET])
    rows = [hold_out(lang, views, fixtures, ref, ref1, language, pages, traf, model.threshold)
            for lang in args.languages]
    print(table(rows))
    replace_section(args.out or DEFAULT_OUT, render(command, rows, model.threshold, model.version), BEGIN, END)
    log(f"wrote {args.out or DEFAULT_OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
