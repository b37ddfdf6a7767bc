"""Whole datasets held out: a model that never saw them against trafilatura, in one run.

    python -m training.train ../shared/data --datasets dragnet cleaneval google-trends-2017 \\
        big9 chaos wcxb-articles --threshold 0.3 --out /tmp/holdout/line_classifier.joblib
    python -m training.benchmarks.holdout ../shared/data --model /tmp/holdout/line_classifier.joblib \\
        --datasets l3s-gn1 cleanportaleval readability

training.evaluate scores the model out of fold (site-grouped folds of each
dataset); this script answers the stricter question "how does it do on a dataset
it never trained on?". It refuses a dataset that the model's metadata lists among
its training data. Every page is run through the model engine (HTML, and the page
flattened to one line per block in text mode) and through trafilatura with
boilerplate.engines.TRAFILATURA_OPTIONS and with favor_precision=True, in the same
worker processes, and scored with the shingle metric of training/metrics.py. The
script owns the part of the output file between its begin/end markers.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from boilerplate.api import declutter
from boilerplate.errors import InputError
from boilerplate.model import load_model
from training.benchmarks.docs import replace_section, shown, shown_path, progress
from training.corpus import iter_dataset
from training.evaluate import (
    DEFAULT_OUT,
    Delta,
    git_commit,
    model_text,
    paired_delta,
    trafilatura_text,
    worker_init,
)
from training.metrics import Score, article_score

BEGIN = "<!-- holdout.py:begin -->"
END = "<!-- holdout.py:end -->"
WORKERS = 2
#: Language subsets reported on their own: (dataset, languages).
CJK_SUBSETS = (("readability", ("zh",)), ("readability", ("ja",)), ("readability", ("zh", "ja")))
SYSTEMS = {
    "model": "model (HTML)",
    "traf": "trafilatura",
    "traf_fp": "trafilatura favor_precision",
    "text_model": "model, text mode",
    "text_floor": "text: keep all lines",
}


log = progress("holdout")


def run_page(job: tuple[str, str | None, str]) -> dict[str, Any]:
    """Pool worker: every system on one page; a system that fails gives an empty text."""
    from boilerplate.segment import from_html

    html, url, model_path = job
    t0 = time.process_time()
    try:
        result = declutter(html, url=url, model=model_path, max_bytes=None)
    except InputError:  # a refused page: empty output
        result = None
    model_cpu = time.process_time() - t0
    t0 = time.process_time()
    traf = trafilatura_text(html, url)
    traf_cpu = time.process_time() - t0
    # The model engine's lines are all the page's lines: its text view, without parsing again.
    lines = result.lines if result is not None else from_html(html, url=url).lines
    flat = "\n".join(line.text for line in lines)
    return {
        "model": result.text if result is not None else "",
        "traf": traf or "",
        "traf_fp": trafilatura_text(html, url, favor_precision=True) or "",
        "text_model": model_text(flat, kind="text", model=model_path) if flat.strip() else "",
        "text_floor": flat,
        "cpu": (model_cpu, traf_cpu),
    }


def _prf(score: Score) -> str:
    return f"{score.precision:.3f} / {score.recall:.3f} / **{score.f1:.3f}**"


def _delta(delta: Delta) -> str:
    return f"{delta.value:+.3f} [{delta.low:+.3f}, {delta.high:+.3f}]"


def table(rows: list[tuple[str, list[str], list[dict[str, Any]]]]) -> str:
    """One row per page set: every system's P / R / F1 and the model's paired delta."""
    header = ["pages", "n", *(f"{label} P / R / F1" for label in SYSTEMS.values()),
              "model - trafilatura F1 (95 % CI)"]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for name, golds, outs in rows:
        cells = [name, str(len(golds))]
        for key in SYSTEMS:
            cells.append(_prf(article_score(zip(golds, [o[key] for o in outs]))))
        delta = paired_delta(golds, [o["model"] for o in outs], [o["traf"] for o in outs])
        cells.append(_delta(delta))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def score_datasets(data_dir: Path, names: Sequence[str], model_path: Path,
                   limit: int | None) -> tuple[list[tuple[str, list[str], list[dict[str, Any]]]], list]:
    """(name, golds, outputs) per dataset, language subset and all pages; each page's CPU times."""
    rows, cpu = [], []
    with ProcessPoolExecutor(WORKERS, initializer=worker_init) as pool:
        for name in names:
            pages = [p for p in list(iter_dataset(data_dir, name))[:limit] if p.body]
            outs = list(pool.map(run_page, [(p.html, p.url, str(model_path)) for p in pages], chunksize=4))
            golds = [p.body or "" for p in pages]
            rows.append((name, golds, outs))
            cpu += [o["cpu"] for o in outs]
            for label, langs in CJK_SUBSETS:
                if label == name and len(langs) > 1:
                    keep = [i for i, p in enumerate(pages) if p.extra.get("lang") in langs]
                    if keep:
                        rows.append((f"{name} ({'+'.join(langs)})", [golds[i] for i in keep],
                                     [outs[i] for i in keep]))
            log(f"{name}: {len(pages)} pages")
    golds_all = [g for name, golds, _ in rows if "(" not in name for g in golds]
    outs_all = [o for name, _, outs in rows if "(" not in name for o in outs]
    rows.append(("all held-out pages", golds_all, outs_all))
    return rows, cpu


def render(command: str, seconds: float, model: Any, model_path: Path, held_out: Sequence[str],
           rows: list[tuple[str, list[str], list[dict[str, Any]]]], cpu: list) -> str:
    """The markdown section this script owns."""
    from importlib.metadata import version

    trained_on = sorted(model.metadata.get("training_data", {}))
    model_ms = sorted(c[0] for c in cpu)[len(cpu) // 2] * 1000
    traf_ms = sorted(c[1] for c in cpu)[len(cpu) // 2] * 1000
    return "\n\n".join([
        BEGIN,
        "## Datasets held out whole",
        f"Generated on {datetime.date.today().isoformat()} by `{command}` "
        f"({seconds:.0f} s, {WORKERS} worker processes).",
        "\n".join([
            f"- model: `{model.version}` ({shown_path(model_path)}), threshold {model.threshold}, trained by "
            f"`{shown(model.metadata.get('command', '?'))}`: on {', '.join(trained_on)}; "
            f"never on {', '.join(held_out)}",
            f"- trafilatura {version('trafilatura')} with boilerplate.engines.TRAFILATURA_OPTIONS, "
            f"and again with favor_precision=True; code: commit {git_commit()}",
            "- Shingle metric (training/metrics.py); *text mode*: the page flattened to its visible "
            "text one line per block, then filtered by the model with kind=\"text\"; *keep all lines* "
            "is that flattened text unfiltered. The interval is a paired bootstrap over pages.",
            f"- median CPU per page in the workers: model {model_ms:.1f} ms, trafilatura "
            f"{traf_ms:.1f} ms (ratio {traf_ms / model_ms:.2f}x; see the Speed sections for the "
            "controlled timing)",
        ]),
        table(rows),
        END,
    ]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Score the held-out datasets and write the section."""
    parser = argparse.ArgumentParser(prog="python -m training.benchmarks.holdout", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path, help="folder of datasets (../shared/data)")
    parser.add_argument("--model", type=Path, required=True, help="a model trained without --datasets")
    parser.add_argument("--datasets", nargs="+", required=True)
    parser.add_argument("--limit", type=int, default=None, help="first N pages per dataset (quick run)")
    parser.add_argument("--out", type=Path, default=None,
                        help="markdown file to update [default: docs/benchmarks.md; none with --limit]")
    args = parser.parse_args(argv)
    command = shown("python -m training.benchmarks.holdout "
                    + shlex.join(sys.argv[1:] if argv is None else argv))

    model = load_model(args.model)
    overlap = sorted(set(model.metadata.get("training_data", {})) & set(args.datasets))
    if overlap:
        parser.error(f"the model trained on {', '.join(overlap)}: not held out")
    started = time.perf_counter()
    rows, cpu = score_datasets(args.data_dir, args.datasets, args.model, args.limit)
    print(table(rows))
    section = render(command, time.perf_counter() - started, model, args.model, args.datasets, rows, cpu)
    out = args.out or (None if args.limit else DEFAULT_OUT)
    if out is not None:
        replace_section(out, section, BEGIN, END)
        log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
