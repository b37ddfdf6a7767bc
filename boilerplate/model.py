"""The line classifier: build, save and load a scikit-learn Pipeline with checked metadata.

The joblib file holds only scikit-learn built-ins; feature code stays in
``features.py``. Its JSON sidecar is read and checked *before* unpickling.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError
from .features import FEATURE_NAMES, FEATURE_VERSION, STAGE2_NAMES, stage2_features

__all__ = [
    "DEFAULT_MODEL_PATH",
    "RETRAIN_COMMAND",
    "Model",
    "build_estimator",
    "load_model",
    "save_model",
    "sha256_of",
]

DEFAULT_MODEL_PATH = Path(__file__).parent / "data" / "line_classifier.joblib"
RETRAIN_COMMAND = "python -m training.train ../shared/data"
#: Fallback decision threshold when a model's metadata names none.
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Model:
    """A fitted estimator plus the metadata it was saved with."""

    estimator: Any
    metadata: dict[str, Any]
    path: Path | None = None

    @property
    def threshold(self) -> float:
        """The decision threshold chosen at training time."""
        return float(self.metadata.get("threshold", DEFAULT_THRESHOLD))

    @property
    def version(self) -> str:
        """Short identifier of the model: feature version plus sha256 prefix."""
        return f"f{self.metadata.get('feature_version')}-{str(self.metadata.get('sha256', ''))[:12]}"

    def content_proba(self, X: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """Probability that each line is article content.

        Stage one scores lines from their own features; stage two, when the
        model has one, rescores them beside their neighbours' and containers'
        stage-one scores (see ``features.stage2_features``).
        """
        if X.shape[0] == 0:
            return np.zeros(0, dtype=np.float64)
        stages = self.estimator
        # One page is a few hundred rows: OpenMP threads only add sync cost,
        # and under load (batch workers) they stalled single calls for seconds.
        with _single_thread():
            p = stages["stage1"].predict_proba(X)[:, 1]
            if stages.get("stage2") is None:
                return p
            return stages["stage2"].predict_proba(stage2_features(p, X, groups))[:, 1]


@functools.lru_cache(maxsize=1)
def _controller() -> Any:
    """threadpoolctl's view of the loaded native thread pools (built once)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _single_thread() -> Any:
    """Context manager limiting OpenMP to one thread (a few microseconds)."""
    return _controller().limit(limits=1, user_api="openmp")


def build_estimator(*, random_state: int = 0, **params: Any) -> Any:
    """One stage's pipeline: gradient-boosted trees on the raw feature matrix.

    Trees need no scaling, handle the binary and count features as they are,
    and beat a logistic regression by a wide margin in our probes.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline

    settings = {
        "max_iter": 200,
        "learning_rate": 0.1,
        "max_leaf_nodes": 63,
        "min_samples_leaf": 40,
        "l2_regularization": 1.0,
        "early_stopping": False,
    }
    settings.update(params)
    clf = HistGradientBoostingClassifier(random_state=random_state, **settings)
    return Pipeline([("clf", clf)])


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _meta_path(path: Path) -> Path:
    return path.with_suffix(".json")


def save_model(estimator: dict[str, Any], path: Path, metadata: dict[str, Any]) -> Path:
    """Write the joblib file ({"stage1": Pipeline, "stage2": Pipeline | None}) and its metadata."""
    import joblib
    import sklearn

    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(estimator, path, compress=3)
    meta = dict(metadata)
    meta.update(
        feature_version=FEATURE_VERSION,
        feature_names=list(FEATURE_NAMES),
        stage2_feature_names=list(STAGE2_NAMES),
        sklearn_version=sklearn.__version__,
        sha256=sha256_of(path),
    )
    meta_path = _meta_path(path)
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return meta_path


def _check_metadata(path: Path) -> dict[str, Any]:
    """Read the sidecar JSON and check it against this code before unpickling."""
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
    import sklearn

    saved = str(meta.get("sklearn_version", ""))
    if saved.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        raise ModelError(
            f"model {path.name} was saved with scikit-learn {saved}, installed is "
            f"{sklearn.__version__}; install scikit-learn=={saved} or {hint}"
        )
    threshold = meta.get("threshold", DEFAULT_THRESHOLD)
    if not isinstance(threshold, int | float) or not 0.0 <= threshold <= 1.0:
        raise ModelError(f"model metadata {meta_path} has an invalid threshold {threshold!r}; {hint}")
    if meta.get("sha256") != sha256_of(path):
        raise ModelError(f"model file {path} does not match its metadata sha256 (corrupt?); {hint}")
    return meta


def load_model(path: str | Path | None = None) -> Model:
    """Load a model after checking its metadata; the shipped one is cached per process.

    Only load files you made or the shipped model: joblib runs code on load.

    Raises:
        ModelError: if the file or its metadata is missing, corrupt or made
            for another feature version or scikit-learn series.
    """
    if path is None:
        return _load_shipped()
    resolved = Path(path).resolve()
    if resolved == DEFAULT_MODEL_PATH.resolve():
        return _load_shipped()
    try:
        stat = resolved.stat()
    except OSError:
        return _load_checked(resolved)  # raises a clear ModelError
    return _load_user(resolved, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=1)
def _load_shipped() -> Model:
    """The shipped model, loaded once per process."""
    return _load_checked(DEFAULT_MODEL_PATH)


@functools.lru_cache(maxsize=8)
def _load_user(path: Path, mtime_ns: int, size: int) -> Model:
    """A user's model, cached while its file is unchanged (mtime and size)."""
    return _load_checked(path)


def _load_checked(path: Path) -> Model:
    meta = _check_metadata(path)
    import joblib

    try:
        estimator = joblib.load(path)
    except Exception as exc:  # unpickling can fail in many ways on a bad file
        raise ModelError(
            f"cannot load model {path}: {exc.__class__.__name__}: {exc}; "
            f"retrain with `{RETRAIN_COMMAND}`"
        ) from None
    if not isinstance(estimator, dict) or not hasattr(estimator.get("stage1"), "predict_proba"):
        raise ModelError(f"model {path} is not a declutter model; retrain with `{RETRAIN_COMMAND}`")
    widths = {"stage1": len(FEATURE_NAMES), "stage2": len(STAGE2_NAMES)}
    for stage, width in widths.items():
        fitted = estimator.get(stage)
        if fitted is not None and getattr(fitted, "n_features_in_", width) != width:
            raise ModelError(f"model {path} {stage} expects {fitted.n_features_in_} features, "
                             f"this code computes {width}; retrain with `{RETRAIN_COMMAND}`")
    return Model(estimator=estimator, metadata=meta, path=path)
