"""The optional C tree traversal (boilerplate/_ctrees.c) against the numpy reference.

tests/test_model.py already checks whichever path is active against
scikit-learn's predict_proba; here the two paths are compared directly, on
the shipped forests and on random ones, and the C code must refuse malformed
arrays with an exception rather than read out of bounds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from boilerplate import trees
from boilerplate.model import load_model
from boilerplate.trees import Forest

ctrees = trees._ctrees
needs_c = pytest.mark.skipif(ctrees is None, reason="boilerplate._ctrees is not built here")


def _can_build_extensions() -> bool:
    include = Path(sysconfig.get_paths()["include"]) / "Python.h"
    return bool(shutil.which("cc") or shutil.which("gcc")) and include.is_file()


@pytest.mark.skipif(os.environ.get("DECLUTTER_PURE_PYTHON") is not None,
                    reason="DECLUTTER_PURE_PYTHON asks for the pure-Python path")
def test_extensions_are_built_where_they_can_be():
    """pip builds both C extensions wherever a C compiler and Python.h exist."""
    import boilerplate

    if not _can_build_extensions():
        pytest.skip("no C compiler or no Python headers: the pure-Python path is expected")
    missing = [name for name, on in boilerplate.speedups().items() if not on]
    assert not missing, (
        f"C speed-ups {missing} are not importable although a C compiler and Python.h exist: "
        "reinstall (pip install .) and read the build warning")


def test_pure_python_switch_turns_every_extension_off():
    code = "import boilerplate; print(sorted(boilerplate.speedups().items()))"
    env = {**os.environ, "DECLUTTER_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[('trees', False), ('walk', False)]"


def numpy_raw(forest: Forest, X: np.ndarray) -> np.ndarray:
    X = np.ascontiguousarray(X)
    thresholds = forest._threshold32 if X.dtype == np.float32 else forest.threshold
    return forest._raw_numpy(X, thresholds, np.empty(X.shape[0]))


def random_forest(rng: np.random.Generator, n_trees: int, n_features: int) -> Forest:
    """A forest of random, unbalanced trees laid out as trees.py expects."""
    feature, threshold, missing_left, child, is_leaf, value, roots = ([] for _ in range(7))
    for _ in range(n_trees):
        root = len(feature)
        roots.append(root)
        # Breadth first: each split gets two adjacent children appended.
        queue, budget = [root], int(rng.integers(1, 40))
        feature.append(0); threshold.append(np.inf); missing_left.append(False)
        child.append(root); is_leaf.append(True); value.append(float(rng.normal()))
        while queue:
            node = queue.pop(0)
            if budget <= 0 or rng.random() < 0.3:
                continue
            budget -= 1
            left = len(feature)
            feature[node] = int(rng.integers(n_features))
            threshold[node] = float(rng.normal())
            missing_left[node] = bool(rng.random() < 0.5)
            child[node] = left
            is_leaf[node] = False
            value[node] = 0.0
            for _ in range(2):
                feature.append(0); threshold.append(np.inf); missing_left.append(False)
                child.append(len(feature) - 1); is_leaf.append(True)
                value.append(float(rng.normal()))
            queue += [left, left + 1]
    return Forest(feature=np.array(feature, np.int32), threshold=np.array(threshold),
                  missing_left=np.array(missing_left), child=np.array(child, np.int64),
                  is_leaf=np.array(is_leaf), value=np.array(value), roots=np.array(roots, np.int64),
                  baseline=float(rng.normal()), n_features=n_features)


@needs_c
@pytest.mark.parametrize("seed", range(5))
def test_c_equals_numpy_on_random_forests(seed):
    rng = np.random.default_rng(seed)
    forest = random_forest(rng, n_trees=int(rng.integers(1, 60)), n_features=7)
    assert forest._depth.max() >= 1
    for rows in (0, 1, 15, 16, 17, 333):
        X = rng.normal(size=(rows, 7))
        X[rng.random(X.shape) < 0.15] = np.nan
        X[rng.random(X.shape) < 0.05] = np.inf
        # Ties with the thresholds, where <= and < differ.
        ties = rng.random(X.shape) < 0.2
        X[ties] = rng.choice(forest.threshold[~forest.is_leaf], size=int(ties.sum()))
        for dtype in (np.float64, np.float32):
            Xd = X.astype(dtype)
            assert np.array_equal(forest.raw(Xd), numpy_raw(forest, Xd))


@needs_c
def test_c_equals_numpy_on_the_shipped_forests():
    from tests.test_model import fixture_matrices

    model = load_model()
    rng = np.random.default_rng(1)
    for X, _ in fixture_matrices():
        for forest in model.stages.values():
            Xs = X if forest.n_features == X.shape[1] else rng.random((X.shape[0], forest.n_features))
            Xs = Xs.astype(np.float32)
            assert np.array_equal(forest.raw(Xs), numpy_raw(forest, Xs))
            Xn = Xs.astype(np.float64)
            Xn[rng.random(Xn.shape) < 0.2] = np.nan
            assert np.array_equal(forest.raw(Xn), numpy_raw(forest, Xn))


def _args(forest: Forest, rows: np.ndarray, **override):
    X = rows
    args = dict(X=X, feature=forest.feature, threshold=forest._threshold32, child=forest.child,
                is_leaf=forest.is_leaf, nan_right=forest._go_right_if_nan, value=forest.value,
                roots=forest.roots, depth=forest._depth, baseline=forest.baseline,
                out=np.empty(X.shape[0]))
    args.update(override)
    return list(args.values())


@needs_c
@pytest.mark.parametrize("change, error", [
    ({"feature": "out of range"}, ValueError),
    ({"child": "out of range"}, ValueError),
    ({"child": "leaf not its own child"}, ValueError),
    ({"roots": "out of range"}, ValueError),
    ({"nan_right": "at a leaf"}, ValueError),
    ({"threshold": "float64 with float32 X"}, TypeError),
    ({"feature": "int64"}, TypeError),
    ({"out": "too short"}, ValueError),
    ({"out": "read-only"}, (TypeError, ValueError, BufferError)),
    ({"depth": "one short"}, ValueError),
    ({"X": "1-d"}, ValueError),
])
def test_c_refuses_malformed_arrays(change, error):
    forest = random_forest(np.random.default_rng(3), n_trees=5, n_features=4)
    X = np.zeros((10, 4), np.float32)
    (what, how), = change.items()
    split = int(np.flatnonzero(~forest.is_leaf)[0])
    leaf = int(np.flatnonzero(forest.is_leaf)[0])
    arrays = {}
    if how == "out of range":
        bad = getattr(forest, what if what != "feature" else "feature").copy()
        bad[split if what != "roots" else 0] = 10**6 if what != "feature" else 4
        arrays[what] = bad
    elif how == "leaf not its own child":
        bad = forest.child.copy()
        bad[leaf] = 0
        arrays["child"] = bad
    elif how == "at a leaf":
        bad = forest._go_right_if_nan.copy()
        bad[leaf] = True
        arrays["nan_right"] = bad
    elif how == "float64 with float32 X":
        arrays["threshold"] = forest.threshold
    elif how == "int64":
        arrays["feature"] = forest.feature.astype(np.int64)
    elif how == "too short":
        arrays["out"] = np.empty(9)
    elif how == "read-only":
        out = np.empty(10)
        out.flags.writeable = False
        arrays["out"] = out
    elif how == "one short":
        arrays["depth"] = forest._depth[:-1]
    elif how == "1-d":
        arrays["X"] = np.zeros(40, np.float32)
    with pytest.raises(error):
        ctrees.raw(*_args(forest, X, **arrays))


@needs_c
def test_c_calls_hold_no_reference_to_their_arrays():
    """Every buffer taken is released: the arrays' reference counts come back."""
    forest = random_forest(np.random.default_rng(5), n_trees=9, n_features=4)
    X = np.random.default_rng(6).normal(size=(40, 4)).astype(np.float32)
    arrays = [forest.feature, forest._threshold32, forest.child, forest.is_leaf,
              forest._go_right_if_nan, forest.value, forest.roots, forest._depth, X]
    before = [sys.getrefcount(a) for a in arrays]
    for _ in range(50):
        forest.raw(X)
        with pytest.raises(TypeError):
            ctrees.raw(*_args(forest, X, threshold=forest.threshold))
    assert [sys.getrefcount(a) for a in arrays] == before


@needs_c
def test_c_expit_equals_the_python_one():
    rng = np.random.default_rng(4)
    raw = np.concatenate([rng.normal(scale=20, size=20_000),
                          [-709.0, -708.9999, -709.0001, -800.0, 800.0, 0.0, -0.0, np.inf, -np.inf,
                           np.nan, 1e-300, 36.7368005696771, -36.7368005696771]])
    assert np.array_equal(trees._expit(raw), trees._expit_python(raw), equal_nan=True)
    with pytest.raises(ValueError):
        ctrees.expit(raw, np.empty(3))
