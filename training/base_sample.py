"""Write the base sample beside a model: the training lines ``declutter train`` refits stage one on.

    python -m training.base_sample ../shared/data            # for the shipped model
    python -m training.base_sample ../shared/data --model M.joblib

``training.train`` writes the sample itself (NAME.sample.npz beside NAME.joblib)
whenever it writes a model; this command makes one for a model trained before
that, from the same datasets, fixtures and featurizing cache (lines drawn at
random: ``boilerplate.teach.SAMPLE_LINES``, with their training weights).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from boilerplate.model import DEFAULT_MODEL_PATH
from boilerplate.teach import sample_path, write_sample
from training.corpus import TRAIN_DATASETS
from training.labels import labelled_pages
from training.train import FIXTURES, load_training_pages, training_rows


def main(argv: Sequence[str] | None = None) -> int:
    """Featurize (or load from the cache) the model's training pages; write its sample."""
    parser = argparse.ArgumentParser(prog="python -m training.base_sample", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH)
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/declutter-cache"))
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    meta = json.loads(args.model.with_suffix(".json").read_text(encoding="utf-8"))
    args.datasets = [name for name in TRAIN_DATASETS if name in meta.get("training_data", TRAIN_DATASETS)]
    labelled = labelled_pages(FIXTURES, split="train")
    pages, _, _ = load_training_pages(args, labelled)
    rows = training_rows(pages, labelled)
    path = write_sample(sample_path(args.model), rows.X, rows.y, rows.sample_weight)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) from {len(rows.y)} training lines", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
