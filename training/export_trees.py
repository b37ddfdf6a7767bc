"""Write a model's trees file (NAME.npz) from its joblib, without retraining.

    python -m training.export_trees                       # the shipped model
    python -m training.export_trees mymodel/line_classifier.joblib

``training.train`` (``save_model``) writes the .npz itself; this is for models
saved before it did. The joblib file is not touched (its sha256, and so the
model version, stay the same); NAME.json gains the trees' sha256.
Deterministic: the same joblib gives the same .npz bytes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from boilerplate.errors import ModelError
from boilerplate.model import DEFAULT_MODEL_PATH, export_trees, sha256_of


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.export_trees", description=__doc__.split("\n")[0])
    parser.add_argument("model", type=Path, nargs="?", default=DEFAULT_MODEL_PATH,
                        help="the model's joblib file [default: the shipped model]")
    args = parser.parse_args(argv)
    before = sha256_of(args.model) if args.model.is_file() else None
    try:
        trees = export_trees(args.model)
    except ModelError as exc:
        print(f"export_trees: {exc}", file=sys.stderr)
        return 1
    assert sha256_of(args.model) == before, "the joblib file changed"
    print(f"wrote {trees} ({trees.stat().st_size:,} bytes, sha256 {sha256_of(trees)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
