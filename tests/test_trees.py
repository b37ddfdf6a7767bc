"""The tree traversal: the compiled one (boilerplate/_ctrees.pyx) and numpy give the same bits.

Both are compared with each other and with scikit-learn's predict_proba, on
the shipped forests and on random ones (NaN, infinities, ties with the
thresholds, float32 and float64). Also here: the test that fails when a C
compiler and Python.h exist but the compiled speed-ups were not built, and the
DECLUTTER_PURE_PYTHON switch.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

import boilerplate
from boilerplate import trees
from boilerplate.features import stage2_features
from boilerplate.model import DEFAULT_MODEL_PATH, load_model
from boilerplate.trees import Forest, export

ctrees = trees._ctrees
needs_compiled = pytest.mark.skipif(ctrees is None, reason="boilerplate._ctrees is not built here")


def _can_build_extensions() -> bool:
    include = Path(sysconfig.get_paths()["include"]) / "Python.h"
    return bool(shutil.which("cc") or shutil.which("gcc")) and include.is_file()


@pytest.mark.skipif(os.environ.get("DECLUTTER_PURE_PYTHON") is not None,
                    reason="DECLUTTER_PURE_PYTHON asks for the pure-Python path")
def test_extensions_are_built_where_they_can_be():
    """pip builds every compiled speed-up wherever a C compiler and Python.h exist."""
    if not _can_build_extensions():
        pytest.skip("no C compiler or no Python headers: the pure-Python path is expected")
    missing = [name for name, on in boilerplate.speedups().items() if not on]
    assert not missing, (
        f"compiled speed-ups {missing} are not importable although a C compiler and Python.h "
        "exist: reinstall (pip install .) and read the build warning")


def test_pure_python_switch_turns_every_extension_off():
    code = "import boilerplate; print(boilerplate.speedups())"
    env = {**os.environ, "DECLUTTER_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True,
                         text=True, check=True)
    states = ast.literal_eval(out.stdout)
    assert {"walk", "trees"} <= set(states) and not any(states.values())


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


def hard_rows(rng: np.random.Generator, forest: Forest, rows: int) -> np.ndarray:
    """Random rows with NaN, infinities and ties with the thresholds (where <= and < differ)."""
    X = rng.normal(size=(rows, forest.n_features))
    X[rng.random(X.shape) < 0.15] = np.nan
    X[rng.random(X.shape) < 0.05] = np.inf
    X[rng.random(X.shape) < 0.05] = -np.inf
    ties = rng.random(X.shape) < 0.2
    X[ties] = rng.choice(forest.threshold[~forest.is_leaf], size=int(ties.sum()))
    return X


@needs_compiled
@pytest.mark.parametrize("seed", range(5))
def test_compiled_equals_numpy_on_random_forests(seed):
    rng = np.random.default_rng(seed)
    forest = random_forest(rng, n_trees=int(rng.integers(1, 60)), n_features=7)
    assert (~forest.is_leaf).any()
    for rows in (0, 1, 15, 16, 17, 333):
        X = hard_rows(rng, forest, rows)
        for dtype in (np.float64, np.float32):
            assert np.array_equal(forest.raw(X.astype(dtype)), numpy_raw(forest, X.astype(dtype)))


def shipped_pages():
    """(estimator, model, X, groups) per fixture page: the shipped model both ways."""
    import joblib

    from tests.test_model import fixture_matrices

    estimator, model = joblib.load(DEFAULT_MODEL_PATH), load_model()
    return [(estimator, model, X, groups) for X, groups in fixture_matrices()]


@pytest.fixture(params=["compiled", "numpy"])
def traversal(request, monkeypatch):
    """Run the test with the compiled traversal, then with numpy's."""
    if request.param == "compiled" and ctrees is None:
        pytest.skip("boilerplate._ctrees is not built here")
    monkeypatch.setattr(trees, "_ctrees", ctrees if request.param == "compiled" else None)


@pytest.mark.usefixtures("traversal")
def test_both_traversals_give_scikit_learns_predict_proba():
    """Bit for bit, on the shipped forests, as float32 and with missing values."""
    rng = np.random.default_rng(0)
    for estimator, model, X, groups in shipped_pages():
        p1 = estimator["stage1"].predict_proba(X)[:, 1]
        assert np.array_equal(model.stages["stage1"].proba(X), p1)
        X2 = stage2_features(p1, X, groups)
        assert np.array_equal(model.stages["stage2"].proba(X2),
                              estimator["stage2"].predict_proba(X2)[:, 1])
        X_nan = X.astype(np.float64)
        X_nan[rng.random(X.shape) < 0.2] = np.nan
        assert np.array_equal(model.stages["stage1"].proba(X_nan),
                              estimator["stage1"].predict_proba(X_nan)[:, 1])


@pytest.mark.usefixtures("traversal")
def test_both_traversals_give_predict_proba_of_a_fresh_model():
    """A model fitted here, with missing values in training (both NaN directions)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(7)
    X = rng.normal(size=(600, 6))
    y = (X[:, 0] + np.sin(3 * X[:, 1]) + rng.normal(scale=0.5, size=600) > 0).astype(int)
    X[rng.random(X.shape) < 0.1] = np.nan
    clf = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)
    forest = export(clf)
    nan_left = forest.missing_left[~forest.is_leaf]
    assert nan_left.any() and not nan_left.all()
    rows = hard_rows(rng, forest, 500)
    assert np.array_equal(forest.proba(rows), clf.predict_proba(rows)[:, 1])


@needs_compiled
def test_compiled_equals_numpy_on_the_shipped_forests_and_large_pages():
    model = load_model()
    rng = np.random.default_rng(1)
    for forest in model.stages.values():
        for rows in (1, 257, 5000):  # within and across numpy's chunks
            X = hard_rows(rng, forest, rows)
            for dtype in (np.float32, np.float64):
                assert np.array_equal(forest.raw(X.astype(dtype)),
                                      numpy_raw(forest, X.astype(dtype)))


def test_forest_arrays_are_checked_copies_and_read_only():
    """The compiled traversal trusts Forest._check: nothing can change the arrays after it."""
    forest = random_forest(np.random.default_rng(3), n_trees=5, n_features=4)
    child = forest.child.copy()
    rebuilt = Forest(**{name: getattr(forest, name) for name in trees._ARRAYS},
                     baseline=forest.baseline, n_features=forest.n_features)
    assert rebuilt.child is not forest.child
    for name in (*trees._ARRAYS, "_threshold32", "_go_right_if_nan"):
        with pytest.raises(ValueError):
            getattr(forest, name)[0] = 0
    assert np.array_equal(forest.child, child)
    bad = child.copy()
    bad[int(np.flatnonzero(~forest.is_leaf)[0])] = 0  # a split pointing back to the root
    with pytest.raises(ValueError):
        Forest(**{**{name: getattr(forest, name) for name in trees._ARRAYS}, "child": bad},
               baseline=forest.baseline, n_features=forest.n_features)


@needs_compiled
def test_compiled_raw_refuses_mismatched_arrays():
    forest = random_forest(np.random.default_rng(3), n_trees=5, n_features=4)
    X = np.zeros((10, 4), np.float32)
    args = [X, forest.feature, forest._threshold32, forest.child, forest.is_leaf.view(np.uint8),
            forest._go_right_if_nan.view(np.uint8), forest.value, forest.roots, forest.baseline]
    ctrees.raw(*args, np.empty(10))
    with pytest.raises(ValueError):
        ctrees.raw(*args, np.empty(9))  # out too short
    with pytest.raises((TypeError, ValueError)):
        ctrees.raw(*args[:2], forest.threshold, *args[3:], np.empty(10))  # float64 thresholds
    with pytest.raises((TypeError, ValueError)):
        ctrees.raw(*args[:1], forest.feature.astype(np.int64), *args[2:], np.empty(10))


def test_expit_is_scipys():
    """SciPy's expit is what predict_proba applies to the raw log-odds."""
    from scipy.special import expit

    rng = np.random.default_rng(4)
    edges = [-800.0, -709.782712893384, -709.7827128933841, -709.0, -36.7368005696771, -1e-300,
             -0.0, 0.0, 1e-300, 36.7368005696771, 709.782712893384, 800.0, np.inf, -np.inf]
    raw = np.concatenate([rng.normal(scale=20, size=20_000), edges])
    assert np.array_equal(trees._expit(raw), expit(raw))
    assert trees._expit(raw).dtype == np.float64
