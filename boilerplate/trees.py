"""Gradient-boosted trees without scikit-learn: export, file format and prediction.

The canonical model is the joblib file of fitted scikit-learn pipelines
(``training.train`` writes it, retraining reads it). Unpickling it means
importing scikit-learn, which costs more than a second, so ``save_model`` also
writes the fitted trees as plain numpy arrays (``line_classifier.npz``, read
with ``allow_pickle=False``: loading it runs no code) and declutter predicts
from those with numpy alone.

Prediction reproduces ``HistGradientBoostingClassifier.predict_proba``
exactly (the same probabilities, bit for bit): ``x <= threshold`` goes left,
NaN goes where ``missing_go_to_left`` says, the leaf values are added tree
after tree onto the baseline in the same order, and the logistic link uses
the C library's ``exp`` like SciPy's ``expit`` (numpy's own ``exp`` differs
in the last bit on about 2 % of inputs).

Only what declutter's models use is supported: binary classification with
numerical features, in a Pipeline with no step before the classifier.
``export`` raises ``ValueError`` for anything else.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ._native import load

#: The optional compiled ``Forest.raw`` (boilerplate/_ctrees.pyx, built by
#: setup.py where a C compiler is available; the same results bit for bit, see
#: tests/test_trees.py). None means numpy: when it is not built, or when
#: DECLUTTER_PURE_PYTHON is set.
_ctrees: Any = load("_ctrees")

__all__ = ["FORMAT", "Forest", "export", "read_forests", "write_forests"]

#: Version of the array layout below; bump it when the layout changes.
FORMAT = 1

#: Rows x trees traversed at once: large enough that numpy's per-call cost is
#: small, small enough that the working arrays stay in the CPU cache and that
#: memory stays flat on huge pages.
_CHUNK_ENTRIES = 1 << 15

_ARRAYS = {
    # name: dtype. Nodes of all trees, each tree in breadth-first order so
    # that the two children of a split are adjacent: ``child`` is the left
    # one, ``child + 1`` the right one; a leaf is its own child.
    "feature": np.int32,          # split feature (0 for leaves)
    "threshold": np.float64,      # x <= threshold goes left (+inf for leaves)
    "missing_left": np.bool_,     # NaN goes left
    "child": np.int64,            # index of the left child (the node itself for a leaf)
    "is_leaf": np.bool_,
    "value": np.float64,          # leaf value (0 for splits)
    "roots": np.int64,            # index of each tree's root, in boosting order
}


def _float32_at_most(threshold: np.ndarray) -> np.ndarray:
    """The largest float32 <= each float64 threshold.

    For a float32 x, ``x <= t`` is then the same as ``x <= t32``: comparing in
    float32 spares converting the feature matrix to float64 on every call.
    """
    t32 = threshold.astype(np.float32)
    over = t32.astype(np.float64) > threshold
    t32[over] = np.nextafter(t32[over], np.float32(-np.inf))
    return t32


#: The largest x whose exp is a finite double (math.exp raises OverflowError above).
_EXP_MAX = 709.782712893384


def _expit(raw: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-raw)) with the C library's exp (math.exp), as SciPy's expit computes it."""
    exp = math.exp
    inf = math.inf
    e = np.array([exp(v) if v <= _EXP_MAX else inf for v in (-raw).tolist()], dtype=np.float64)
    return 1.0 / (1.0 + e)


class Forest:
    """One fitted binary HistGradientBoostingClassifier as flat numpy arrays."""

    __slots__ = (*_ARRAYS, "baseline", "n_features", "_threshold32", "_go_right_if_nan")

    def __init__(self, *, feature: np.ndarray, threshold: np.ndarray, missing_left: np.ndarray,
                 child: np.ndarray, is_leaf: np.ndarray, value: np.ndarray, roots: np.ndarray,
                 baseline: float, n_features: int) -> None:
        arrays = dict(feature=feature, threshold=threshold, missing_left=missing_left, child=child,
                      is_leaf=is_leaf, value=value, roots=roots)
        for name, dtype in _ARRAYS.items():
            arr = np.asarray(arrays[name])
            if arr.ndim != 1 or arr.dtype != np.dtype(dtype):
                raise ValueError(f"array {name!r} must be 1-d {np.dtype(dtype).name}, "
                                 f"not {arr.ndim}-d {arr.dtype.name}")
            # A copy of our own, read-only once checked: the compiled
            # traversal relies on the checks of _check holding for good.
            arrays[name] = np.array(arr, order="C", copy=True)
        n = arrays["feature"].size
        if any(arrays[name].size != n for name in _ARRAYS if name != "roots"):
            raise ValueError("node arrays of different lengths")
        self.feature: np.ndarray = arrays["feature"]
        self.threshold: np.ndarray = arrays["threshold"]
        self.missing_left: np.ndarray = arrays["missing_left"]
        self.child: np.ndarray = arrays["child"]
        self.is_leaf: np.ndarray = arrays["is_leaf"]
        self.value: np.ndarray = arrays["value"]
        self.roots: np.ndarray = arrays["roots"]
        self.baseline = float(baseline)
        self.n_features = int(n_features)
        self._check()
        self._threshold32 = _float32_at_most(self.threshold)
        self._go_right_if_nan = ~self.missing_left & ~self.is_leaf
        for name in (*_ARRAYS, "_threshold32", "_go_right_if_nan"):
            getattr(self, name).flags.writeable = False

    def _check(self) -> None:
        """Refuse arrays that would index out of bounds or never reach a leaf."""
        n = self.feature.size
        split = ~self.is_leaf
        index = np.arange(n)
        if n == 0 or self.roots.size == 0:
            raise ValueError("no trees")
        if not math.isfinite(self.baseline) or self.n_features < 1:
            raise ValueError("bad baseline or feature count")
        if ((self.roots < 0) | (self.roots >= n)).any():
            raise ValueError("tree root out of range")
        # Children come after their parent (so every path ends at a leaf) and
        # both fit in the arrays; leaves point at themselves.
        if (split & ((self.child <= index) | (self.child + 1 >= n))).any():
            raise ValueError("split node with children out of order or out of range")
        if (self.is_leaf & (self.child != index)).any():
            raise ValueError("leaf that is not its own child")
        if ((self.feature < 0) | (self.feature >= self.n_features)).any():
            raise ValueError("split feature out of range")
        if np.isnan(self.threshold).any() or not np.isfinite(self.value).all():
            raise ValueError("NaN threshold or non-finite leaf value")
        if (self.is_leaf & (self.threshold != np.inf)).any():
            raise ValueError("leaf threshold must be +inf")

    @property
    def n_trees(self) -> int:
        return int(self.roots.size)

    def raw(self, X: np.ndarray) -> np.ndarray:
        """Baseline plus the leaf value of every tree, per row (the raw log-odds)."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected a matrix of {self.n_features} columns, got shape {X.shape}")
        if X.dtype == np.float32:
            thresholds = self._threshold32
        else:
            X = X.astype(np.float64, copy=False)
            thresholds = self.threshold
        X = np.ascontiguousarray(X)
        n = X.shape[0]
        raw = np.empty(n, dtype=np.float64)
        if _ctrees is not None:
            # numpy's bool is one byte of 0 or 1: uint8 to Cython's typed memoryviews.
            _ctrees.raw(X, self.feature, thresholds, self.child, self.is_leaf.view(np.uint8),
                        self._go_right_if_nan.view(np.uint8), self.value, self.roots,
                        self.baseline, raw)
            return raw
        return self._raw_numpy(X, thresholds, raw)

    def _raw_numpy(self, X: np.ndarray, thresholds: np.ndarray, raw: np.ndarray) -> np.ndarray:
        """``raw`` in numpy: the fallback of the compiled traversal, the same numbers."""
        n = X.shape[0]
        has_nan = bool(np.isnan(X).any())
        step = max(1, _CHUNK_ENTRIES // self.n_trees)
        # Chunks of rows, end to end: on a huge page the (rows x trees) arrays
        # would leave the CPU cache (and take gigabytes).
        acc = np.empty((min(step, n), self.n_trees + 1), dtype=np.float64)
        acc[:, 0] = self.baseline
        for lo in range(0, n, step):
            hi = min(lo + step, n)
            part = acc[: hi - lo]
            np.take(self.value, self._leaves(X[lo:hi], thresholds, has_nan), out=part[:, 1:])
            # Summed tree after tree onto the baseline, as scikit-learn does
            # (a cumulative sum is sequential, unlike sum's pairwise summation).
            raw[lo:hi] = np.cumsum(part, axis=1)[:, -1]
        return raw

    def _leaves(self, X: np.ndarray, thresholds: np.ndarray, has_nan: bool) -> np.ndarray:
        """Leaf index reached in every tree by every row of X: (rows, trees).

        All (row, tree) pairs go down one level per step; every other step
        the pairs that reached a leaf are set aside once they are an eighth
        of those left, so the deep trees do not drag the shallow ones along.
        """
        rows, width = X.shape
        trees = self.n_trees
        flat = X.ravel()
        node = np.tile(self.roots, rows)
        offset = np.repeat(np.arange(0, rows * width, width, dtype=np.intp), trees)
        out = np.empty(rows * trees, dtype=np.intp)
        pos: np.ndarray | None = None  # where the pairs still walking go in ``out``
        feature, child, is_leaf = self.feature, self.child, self.is_leaf
        step = 0
        while node.size:
            index = feature.take(node)
            index += offset
            x = flat.take(index)
            right = np.greater(x, thresholds.take(node))
            if has_nan:
                right |= np.isnan(x) & self._go_right_if_nan.take(node)
            node = child.take(node)
            node += right
            step += 1
            if step % 2:
                continue
            done = is_leaf.take(node)
            n_done = int(np.count_nonzero(done))
            if n_done * 8 < node.size:
                continue
            if pos is None:
                pos = np.arange(node.size, dtype=np.intp)
            if n_done == node.size:
                out[pos] = node
                break
            finished = np.flatnonzero(done)
            out[pos.take(finished)] = node.take(finished)
            walking = np.flatnonzero(~done)
            node, offset, pos = node.take(walking), offset.take(walking), pos.take(walking)
        return out.reshape(rows, trees)

    def proba(self, X: np.ndarray) -> np.ndarray:
        """Probability of the positive class per row (``predict_proba(X)[:, 1]``)."""
        return _expit(self.raw(X))

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays that describe this forest (for ``write_forests``)."""
        out = {name: getattr(self, name) for name in _ARRAYS}
        out["baseline"] = np.array([self.baseline], dtype=np.float64)
        out["n_features"] = np.array([self.n_features], dtype=np.int64)
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Forest:
        """Inverse of ``arrays``; raises ValueError (or KeyError) on a malformed set."""
        baseline = np.asarray(arrays["baseline"])
        n_features = np.asarray(arrays["n_features"])
        if baseline.shape != (1,) or n_features.shape != (1,) or n_features.dtype.kind not in "iu":
            raise ValueError("bad baseline or n_features array")
        return cls(**{name: arrays[name] for name in _ARRAYS},
                   baseline=float(baseline[0]), n_features=int(n_features[0]))


# ------------------------------------------------------------------ export from scikit-learn


def export(estimator: Any) -> Forest:
    """The trees of a fitted binary HistGradientBoostingClassifier (or a Pipeline ending in one).

    Raises:
        ValueError: for anything else (other estimators, steps before the
            classifier, categorical features, more than two classes).
    """
    clf = estimator
    steps = getattr(estimator, "steps", None)
    if steps is not None:
        for name, step in steps[:-1]:
            if step is not None and step != "passthrough":
                raise ValueError(f"pipeline step {name!r} before the classifier is not supported")
        clf = steps[-1][1]
    if type(clf).__name__ != "HistGradientBoostingClassifier" or not hasattr(clf, "_predictors"):
        raise ValueError(f"not a fitted HistGradientBoostingClassifier: {type(clf).__name__}")
    if getattr(clf, "n_trees_per_iteration_", None) != 1 or len(getattr(clf, "classes_", ())) != 2:
        raise ValueError("only binary classifiers are supported")
    if type(clf._loss).__name__ != "HalfBinomialLoss":
        raise ValueError(f"unsupported loss {type(clf._loss).__name__}")
    if getattr(clf, "_preprocessor", None) is not None or (
            clf.is_categorical_ is not None and np.any(clf.is_categorical_)):
        raise ValueError("categorical features are not supported")
    baseline = np.asarray(clf._baseline_prediction, dtype=np.float64).ravel()
    if baseline.shape != (1,):
        raise ValueError("unexpected baseline shape")
    parts: dict[str, list[np.ndarray]] = {name: [] for name in _ARRAYS if name != "roots"}
    roots = []
    offset = 0
    for iteration in clf._predictors:
        if len(iteration) != 1:
            raise ValueError("only binary classifiers are supported")
        nodes = iteration[0].nodes
        if np.any(nodes["is_categorical"]):
            raise ValueError("categorical splits are not supported")
        tree = _breadth_first(nodes, offset)
        for name in parts:
            parts[name].append(tree[name])
        roots.append(offset)
        offset += len(nodes)
    return Forest(**{name: np.concatenate(values).astype(_ARRAYS[name]) for name, values in parts.items()},
                  roots=np.array(roots, dtype=np.int64), baseline=float(baseline[0]),
                  n_features=int(clf.n_features_in_))


def _breadth_first(nodes: np.ndarray, offset: int) -> dict[str, np.ndarray]:
    """One tree's nodes renumbered breadth-first (children adjacent), from ``offset``."""
    order = [0]
    i = 0
    while i < len(order):
        j = order[i]
        i += 1
        if not nodes["is_leaf"][j]:
            order += [int(nodes["left"][j]), int(nodes["right"][j])]
    if len(order) != len(nodes) or len(set(order)) != len(nodes):
        raise ValueError("tree nodes do not form a binary tree")
    new = np.empty(len(nodes), dtype=np.int64)
    new[order] = offset + np.arange(len(order))
    ordered = nodes[order]
    leaf = ordered["is_leaf"].astype(bool)
    child = np.where(leaf, offset + np.arange(len(order)), new[ordered["left"]])
    if (new[ordered["right"]][~leaf] != child[~leaf] + 1).any():  # pragma: no cover - by construction
        raise ValueError("children not adjacent")
    return {
        "feature": np.where(leaf, 0, ordered["feature_idx"]),
        "threshold": np.where(leaf, np.inf, ordered["num_threshold"]),
        "missing_left": ordered["missing_go_to_left"].astype(bool) & ~leaf,
        "child": child,
        "is_leaf": leaf,
        "value": np.where(leaf, ordered["value"], 0.0),
    }


# ------------------------------------------------------------------ the .npz file


def write_forests(path: Path, forests: Mapping[str, Forest | None], *, source_sha256: str) -> None:
    """Write forests (by stage name) as a deterministic .npz (same input, same bytes).

    ``source_sha256`` names the joblib file the trees come from.
    """
    header = {"format": FORMAT, "source_sha256": source_sha256,
              "stages": {name: forest is not None for name, forest in forests.items()}}
    entries = {"header": np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8)}
    for name, forest in forests.items():
        if forest is not None:
            for key, arr in forest.arrays().items():
                entries[f"{name}.{key}"] = arr
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for key, arr in entries.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue(), compresslevel=6)
    tmp.replace(path)


def read_forests(path: Path) -> tuple[dict[str, Any], dict[str, Forest | None]]:
    """(header, forests by stage name) of a file made by ``write_forests``.

    Raises:
        ValueError: (or OSError, KeyError, zipfile.BadZipFile) on a malformed file.
    """
    # Our own handle: numpy leaves the file open when it rejects a non-npz file.
    with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
        header = json.loads(bytes(data["header"]).decode("utf-8"))
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError(f"tree file format {header.get('format') if isinstance(header, dict) else '?'}"
                             f", expected {FORMAT}")
        stages = header.get("stages")
        if not isinstance(stages, dict):
            raise ValueError("tree file lists no stages")
        forests: dict[str, Forest | None] = {}
        for name, present in stages.items():
            if present:
                forests[name] = Forest.from_arrays(
                    {key: data[f"{name}.{key}"] for key in (*_ARRAYS, "baseline", "n_features")})
            else:
                forests[name] = None
    return header, forests
