"""The line classifier's files: save and load a model, with checked metadata.

A model is three files side by side:

- ``NAME.joblib``: the fitted scikit-learn pipelines, {"stage1": ..., "stage2":
  ...} (``estimator.TwoStageClassifier.to_stages``): the canonical artifact, which training and evaluation use. It holds
  only scikit-learn built-ins; feature code stays in ``features.py``.
- ``NAME.npz``: the same trees as plain arrays (``trees.py``), written by
  ``save_model``. Prediction uses these, with numpy only: loading them imports
  no scikit-learn and runs no code.
- ``NAME.json``: the metadata (feature version and names, threshold, the
  sha256 of both files...), read and checked *before* anything else.

A model saved without its ``.npz`` (by an older declutter, or copied without
it) still loads: from the joblib, converted in memory (slower start-up).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError
from .estimator import stages_proba
from .features import FEATURE_NAMES, FEATURE_VERSION, STAGE2_NAMES
from .trees import FORMAT as TREES_FORMAT
from .trees import export, read_forests, write_forests

__all__ = [
    "DEFAULT_MODEL_PATH",
    "RETRAIN_COMMAND",
    "TRAIN_EXTRA_HINT",
    "Model",
    "export_trees",
    "file_stamp",
    "load_model",
    "require_train_extra",
    "save_model",
    "sha256_of",
]

DEFAULT_MODEL_PATH = Path(__file__).parent / "data" / "line_classifier.joblib"
RETRAIN_COMMAND = "python -m training.train ../shared/data"
#: How to install what training needs (the ``train`` extra: scikit-learn, which brings scipy,
#: and joblib), said in one line; the distribution is declutter-news (pyproject.toml).
TRAIN_EXTRA_HINT = "pip install 'declutter-news[train]' (from a clone of declutter: pip install '.[train]')"
#: Fallback decision threshold when a model's metadata names none.
DEFAULT_THRESHOLD = 0.5
_STAGES = ("stage1", "stage2")


@dataclass(frozen=True)
class Model:
    """A fitted model's predictors plus the metadata it was saved with.

    ``stages`` maps "stage1" and "stage2" to predictors (``trees.Forest``, or
    a scikit-learn pipeline for models that cannot be exported); "stage2" may
    be None.
    """

    stages: Mapping[str, Any]
    metadata: dict[str, Any]
    path: Path | None = None
    #: The unpickled joblib, when loading needed it already (a model without its .npz).
    fitted: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def threshold(self) -> float:
        """The decision threshold chosen at training time."""
        return float(self.metadata.get("threshold", DEFAULT_THRESHOLD))

    @property
    def version(self) -> str:
        """Short identifier of the model: feature version plus sha256 prefix."""
        return f"f{self.metadata.get('feature_version')}-{str(self.metadata.get('sha256', ''))[:12]}"

    @property
    def estimator(self) -> Mapping[str, Any]:
        """The fitted scikit-learn pipelines of the joblib file (unpickled on every call).

        Prediction does not need them (it uses ``stages``); training and
        evaluation code does, once or twice a run. Imports scikit-learn.

        Raises:
            ModelError: if the joblib file cannot be loaded.
        """
        if self.fitted is not None:
            return self.fitted
        if self.path is None:
            raise ModelError("this model has no joblib file")
        if self.metadata.get("sha256") != sha256_of(self.path):
            raise ModelError(f"model file {self.path} changed since it was loaded (sha256 differs); "
                             f"retrain with `{RETRAIN_COMMAND}`")
        return _load_estimator(self.path, self.metadata)

    def content_proba(self, X: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """Probability that each line is article content.

        Stage one scores lines from their own features; stage two, when the
        model has one, rescores them beside their neighbours' and containers'
        stage-one scores (see ``features.stage2_features``).
        """
        return stages_proba(self.stages, X, groups)


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _meta_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _trees_path(path: Path) -> Path:
    return path.with_suffix(".npz")


def _export_stages(estimator: Any) -> dict[str, Any] | None:
    """{"stage1": Forest, "stage2": Forest | None}, or None when the estimator cannot be exported."""
    if not isinstance(estimator, dict) or estimator.get("stage1") is None:
        return None
    try:
        return {stage: None if estimator.get(stage) is None else export(estimator[stage])
                for stage in _STAGES}
    except (ValueError, AttributeError, TypeError):
        return None


def _write_trees(path: Path, forests: dict[str, Any], source_sha256: str) -> dict[str, Any]:
    """Write NAME.npz beside the joblib; return the metadata entries that describe it."""
    trees = _trees_path(path)
    write_forests(trees, forests, source_sha256=source_sha256)
    return {"trees_file": trees.name, "trees_format": TREES_FORMAT, "trees_sha256": sha256_of(trees)}


def require_train_extra(what: str) -> None:
    """Check that scikit-learn and joblib can be imported, for ``what`` (a sentence's subject).

    Raises:
        ModelError: naming the missing package and TRAIN_EXTRA_HINT, in one line.
    """
    try:
        import joblib  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise ModelError(f"{what} needs scikit-learn and joblib ({exc.name} is not installed): "
                         f"{TRAIN_EXTRA_HINT}") from None


def save_model(estimator: dict[str, Any], path: Path, metadata: dict[str, Any]) -> Path:
    """Write the joblib file ({"stage1": Pipeline, "stage2": Pipeline | None}), its trees and metadata.

    The trees (NAME.npz) are what ``load_model`` predicts with; they are
    skipped (and any old NAME.npz removed) for an estimator they cannot
    represent, which then loads from the joblib.
    """
    import joblib
    import sklearn

    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(estimator, path, compress=3)
    meta = {k: v for k, v in metadata.items() if not k.startswith("trees_")}
    meta.update(
        feature_version=FEATURE_VERSION,
        feature_names=list(FEATURE_NAMES),
        stage2_feature_names=list(STAGE2_NAMES),
        sklearn_version=sklearn.__version__,
        sha256=sha256_of(path),
    )
    forests = _export_stages(estimator)
    if forests is not None:
        meta.update(_write_trees(path, forests, meta["sha256"]))
    else:
        _trees_path(path).unlink(missing_ok=True)
    meta_path = _meta_path(path)
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return meta_path


def export_trees(path: Path) -> Path:
    """Write NAME.npz for an existing model and record it in NAME.json; the joblib is left as it is.

    For models saved before the trees existed (the shipped model's npz was
    made this way). Deterministic: the same joblib gives the same bytes.

    Raises:
        ModelError: if the model does not load or cannot be exported.
    """
    path = Path(path)
    meta = _check_metadata(path)
    estimator = _load_estimator(path, meta)
    forests = _export_stages(estimator)
    if forests is None:
        raise ModelError(f"model {path} cannot be exported to trees; retrain with `{RETRAIN_COMMAND}`")
    meta = {k: v for k, v in meta.items() if not k.startswith("trees_")}
    meta.update(_write_trees(path, forests, meta["sha256"]))
    meta_path = _meta_path(path)
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return _trees_path(path)


def _installed_sklearn() -> str | None:
    """The installed scikit-learn version, read from its metadata (without importing it)."""
    from importlib import metadata

    try:
        return metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:
        return None


def _check_metadata(path: Path) -> dict[str, Any]:
    """Read the sidecar JSON and check it against this code before loading anything."""
    meta_path = _meta_path(path)
    hint = f"retrain with `{RETRAIN_COMMAND}`"
    if not path.is_file():
        raise ModelError(f"model file not found: {path}; {hint}")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"model metadata {meta_path} missing or unreadable ({exc}); {hint}") from None
    if not isinstance(meta, dict):
        raise ModelError(f"model metadata {meta_path} is not a JSON object; {hint}")
    if meta.get("feature_version") != FEATURE_VERSION:
        raise ModelError(
            f"model {path.name} was made for feature version {meta.get('feature_version')}, "
            f"this code computes version {FEATURE_VERSION}; {hint}"
        )
    if (meta.get("feature_names") != list(FEATURE_NAMES)
            or meta.get("stage2_feature_names", list(STAGE2_NAMES)) != list(STAGE2_NAMES)):
        raise ModelError(f"model {path.name} lists other feature names than this code; {hint}")
    # The joblib (canonical, used by training and evaluation) only unpickles
    # within the scikit-learn series that saved it: a model that loads must be
    # whole. Read from the installed metadata: importing scikit-learn is slow.
    saved = str(meta.get("sklearn_version", ""))
    installed = _installed_sklearn()
    if installed is not None and saved.split(".")[:2] != installed.split(".")[:2]:
        raise ModelError(
            f"model {path.name} was saved with scikit-learn {saved}, installed is "
            f"{installed}; install scikit-learn=={saved} or {hint}"
        )
    threshold = meta.get("threshold", DEFAULT_THRESHOLD)
    if not isinstance(threshold, int | float) or not 0.0 <= threshold <= 1.0:
        raise ModelError(f"model metadata {meta_path} has an invalid threshold {threshold!r}; {hint}")
    if meta.get("sha256") != sha256_of(path):
        raise ModelError(f"model file {path} does not match its metadata sha256 (corrupt?); {hint}")
    return meta


def load_model(path: str | Path | None = None) -> Model:
    """Load a model (a .joblib path, or a folder holding line_classifier.joblib) after checking its metadata.

    The shipped one is cached per process.
    Only load files you made or the shipped model: a model without its
    ``.npz`` loads from the joblib, and joblib runs code on load.

    Raises:
        ModelError: if a file or the metadata is missing, corrupt or made
            for another feature version or scikit-learn series.
    """
    if path is None:
        return _load_shipped()
    resolved = Path(path).resolve()
    if resolved.is_dir():  # a model folder (``declutter train`` writes one)
        resolved = resolved / DEFAULT_MODEL_PATH.name
    if resolved == DEFAULT_MODEL_PATH.resolve():
        return _load_shipped()
    try:
        stat = resolved.stat()
    except OSError:
        return _load_checked(resolved)  # raises a clear ModelError
    return _load_user(resolved, stat.st_mtime_ns, stat.st_size, file_stamp(_meta_path(resolved)),
                      file_stamp(_trees_path(resolved)))


def file_stamp(path: Path) -> tuple[int, int] | None:
    """(mtime, size) of a file, None when it does not exist."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=1)
def _load_shipped() -> Model:
    """The shipped model, loaded once per process."""
    return _load_checked(DEFAULT_MODEL_PATH)


@functools.lru_cache(maxsize=8)
def _load_user(path: Path, mtime_ns: int, size: int, meta_stamp: Any, trees_stamp: Any) -> Model:
    """A user's model, cached while its files are unchanged (mtime and size)."""
    return _load_checked(path)


def _load_checked(path: Path) -> Model:
    meta = _check_metadata(path)
    trees = _trees_path(path)
    if meta.get("trees_sha256") is not None and trees.is_file():
        return Model(stages=_load_trees(path, trees, meta), metadata=meta, path=path)
    # No tree file (a model saved by an older declutter, or copied without
    # it): load the joblib and convert it in memory.
    estimator = _load_estimator(path, meta)
    stages = _export_stages(estimator) or {stage: estimator.get(stage) for stage in _STAGES}
    return Model(stages=stages, metadata=meta, path=path, fitted=estimator)


def _load_trees(path: Path, trees: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """The forests of NAME.npz, checked against the metadata and this code."""
    hint = f"retrain with `{RETRAIN_COMMAND}`"
    if meta.get("trees_format") != TREES_FORMAT:
        raise ModelError(f"model trees {trees.name} are in format {meta.get('trees_format')}, this "
                         f"code reads format {TREES_FORMAT}; {hint}")
    if meta.get("trees_sha256") != sha256_of(trees):
        raise ModelError(f"model trees {trees} do not match their metadata sha256 (corrupt?); {hint}")
    try:
        header, forests = read_forests(trees)
    except Exception as exc:  # a damaged zip or array fails in many ways
        raise ModelError(f"cannot load model trees {trees}: {exc.__class__.__name__}: {exc}; "
                         f"{hint}") from None
    if header.get("source_sha256") != meta.get("sha256"):
        raise ModelError(f"model trees {trees.name} were not made from this {path.name} (sha256 "
                         f"differs); {hint}")
    if forests.get("stage1") is None or set(forests) - set(_STAGES):
        raise ModelError(f"model trees {trees.name} are not a declutter model; {hint}")
    widths = {"stage1": len(FEATURE_NAMES), "stage2": len(STAGE2_NAMES)}
    for stage, width in widths.items():
        forest = forests.get(stage)
        if forest is not None and forest.n_features != width:
            raise ModelError(f"model {path.name} {stage} expects {forest.n_features} features, "
                             f"this code computes {width}; {hint}")
    return {stage: forests.get(stage) for stage in _STAGES}


def _load_estimator(path: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Unpickle the joblib file (imports scikit-learn) and check what it holds."""
    hint = f"retrain with `{RETRAIN_COMMAND}`"
    require_train_extra(f"model {path.name} has no .npz trees: loading its joblib file")
    import sklearn

    saved = str(meta.get("sklearn_version", ""))
    if saved.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        raise ModelError(
            f"model {path.name} was saved with scikit-learn {saved}, installed is "
            f"{sklearn.__version__}; install scikit-learn=={saved} or {hint}"
        )
    import joblib

    try:
        estimator = joblib.load(path)
    except Exception as exc:  # unpickling can fail in many ways on a bad file
        raise ModelError(
            f"cannot load model {path}: {exc.__class__.__name__}: {exc}; {hint}"
        ) from None
    if not isinstance(estimator, dict) or not hasattr(estimator.get("stage1"), "predict_proba"):
        raise ModelError(f"model {path} is not a declutter model; {hint}")
    widths = {"stage1": len(FEATURE_NAMES), "stage2": len(STAGE2_NAMES)}
    for stage, width in widths.items():
        fitted = estimator.get(stage)
        if fitted is not None and getattr(fitted, "n_features_in_", width) != width:
            raise ModelError(f"model {path} {stage} expects {fitted.n_features_in_} features, "
                             f"this code computes {width}; {hint}")
    return estimator
