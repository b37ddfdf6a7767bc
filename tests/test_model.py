"""boilerplate.model: the estimator, and saving/loading with checked metadata."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sklearn
from sklearn.pipeline import Pipeline

from boilerplate.document import Document, Line
from boilerplate.errors import BoilerplateError, ModelError
from boilerplate.features import (
    FEATURE_NAMES,
    FEATURE_VERSION,
    STAGE2_NAMES,
    line_groups,
    stage2_features,
)
from boilerplate.estimator import build_estimator
from boilerplate.model import (
    DEFAULT_MODEL_PATH,
    Model,
    export_trees,
    load_model,
    save_model,
    sha256_of,
)
from boilerplate.trees import Forest, export, write_forests

RETRAIN = "python -m training.train"
N = len(FEATURE_NAMES)


def random_data(rows: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((rows, N), dtype=np.float32)
    y = (X[:, 0] + 0.2 * rng.random(rows) > 0.6).astype(np.int8)
    return X, y


def tiny_pipeline(X: np.ndarray, y: np.ndarray):
    return build_estimator(max_iter=5, min_samples_leaf=5, max_leaf_nodes=7).fit(X, y)


def groups_of(rows: int) -> np.ndarray:
    """Line groups of a page of ``rows`` lines that all share containers and path."""
    return line_groups(Document(kind="html", lines=tuple(
        Line(text="x", index=i, path="html>body>p", ancestors=(3, 2, 1)) for i in range(rows))))


def tiny_model(stages: int = 1, seed: int = 0) -> dict:
    """The saved structure: {"stage1": Pipeline, "stage2": Pipeline | None}."""
    X, y = random_data(seed=seed)
    stage1 = tiny_pipeline(X, y)
    stage2 = None
    if stages == 2:
        p = stage1.predict_proba(X)[:, 1]
        stage2 = tiny_pipeline(stage2_features(p, X, groups_of(len(X))), y)
    return {"stage1": stage1, "stage2": stage2}


@pytest.fixture
def saved(tmp_path) -> Path:
    """A tiny model saved as tmp_path/m.joblib (+ m.json), never loaded yet."""
    path = tmp_path / "m.joblib"
    save_model(tiny_model(), path, {"threshold": 0.42, "note": "tiny test model"})
    return path


def meta_of(path: Path) -> dict:
    return json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))


def write_meta(path: Path, meta: dict) -> None:
    path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")


def assert_model_error(path, *fragments: str) -> ModelError:
    with pytest.raises(ModelError) as info:
        load_model(path)
    message = str(info.value)
    assert RETRAIN in message, message
    for fragment in fragments:
        assert fragment in message, message
    assert "\n" not in message
    return info.value


# --------------------------------------------------------------------------- build_estimator


def test_build_estimator_is_a_pipeline_with_random_state():
    est = build_estimator(random_state=7)
    assert isinstance(est, Pipeline)
    clf = est.steps[-1][1]
    assert clf.get_params()["random_state"] == 7
    assert build_estimator().steps[-1][1].get_params()["random_state"] == 0


def test_build_estimator_accepts_parameter_overrides():
    clf = build_estimator(max_iter=3, learning_rate=0.5).steps[-1][1]
    assert clf.get_params()["max_iter"] == 3
    assert clf.get_params()["learning_rate"] == 0.5


def test_build_estimator_is_deterministic():
    X, y = random_data(seed=3)
    a = tiny_pipeline(X, y).predict_proba(X)
    b = tiny_pipeline(X, y).predict_proba(X)
    assert np.array_equal(a, b)


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("stages", [1, 2])
def test_save_and_load_round_trip(tmp_path, stages):
    path = tmp_path / "sub" / "model.joblib"
    est = tiny_model(stages)
    meta_path = save_model(est, path, {"threshold": 0.37, "note": "hello"})
    assert meta_path == tmp_path / "sub" / "model.json"
    assert path.is_file()

    meta = meta_of(path)
    assert meta["feature_version"] == FEATURE_VERSION
    assert meta["feature_names"] == list(FEATURE_NAMES)
    assert meta["stage2_feature_names"] == list(STAGE2_NAMES)
    assert meta["sklearn_version"] == sklearn.__version__
    assert meta["sha256"] == sha256_of(path)
    assert meta["note"] == "hello"
    trees = path.with_suffix(".npz")
    assert meta["trees_file"] == trees.name and meta["trees_sha256"] == sha256_of(trees)

    model = load_model(str(path))  # str paths work too
    assert isinstance(model, Model)
    assert model.path == path.resolve()
    assert model.threshold == 0.37
    assert model.version == f"f{FEATURE_VERSION}-{meta['sha256'][:12]}"
    assert model.metadata == meta
    assert all(isinstance(model.stages[s], Forest) for s in ("stage1", "stage2")[:stages])

    X, _ = random_data(rows=30, seed=9)
    groups = groups_of(len(X))
    expected = est["stage1"].predict_proba(X)[:, 1]
    if stages == 2:
        expected = est["stage2"].predict_proba(stage2_features(expected, X, groups))[:, 1]
    assert np.array_equal(model.content_proba(X, groups), expected)
    empty = np.zeros((0, N), dtype=np.float32)
    assert model.content_proba(empty, groups_of(0)).shape == (0,)


def test_two_stage_model_differs_from_its_first_stage(tmp_path):
    path = tmp_path / "two.joblib"
    est = tiny_model(stages=2)
    save_model(est, path, {})
    X, _ = random_data(rows=30, seed=5)
    proba = load_model(path).content_proba(X, groups_of(len(X)))
    assert not np.array_equal(proba, est["stage1"].predict_proba(X)[:, 1])


def test_threshold_defaults_to_one_half_when_metadata_has_none(tmp_path):
    path = tmp_path / "nothreshold.joblib"
    save_model(tiny_model(), path, {})
    assert load_model(path).threshold == 0.5


def test_same_sklearn_series_with_another_patch_release_loads(saved):
    meta = meta_of(saved)
    major, minor = sklearn.__version__.split(".")[:2]
    meta["sklearn_version"] = f"{major}.{minor}.999"
    write_meta(saved, meta)
    assert isinstance(load_model(saved), Model)


def test_shipped_model_loads():
    model = load_model()
    assert model.path == DEFAULT_MODEL_PATH
    assert model.metadata["feature_version"] == FEATURE_VERSION
    assert 0.0 < model.threshold < 1.0
    assert model.version.startswith(f"f{FEATURE_VERSION}-")
    proba = model.content_proba(np.zeros((3, N), dtype=np.float32), groups_of(3))
    assert proba.shape == (3,)
    assert ((proba >= 0) & (proba <= 1)).all()


# --------------------------------------------------------------------------- load errors


def test_missing_file(tmp_path):
    assert_model_error(tmp_path / "nothing.joblib", "nothing.joblib")


def test_missing_metadata(saved):
    saved.with_suffix(".json").unlink()
    assert_model_error(saved, "m.json")


def test_corrupt_metadata(saved):
    saved.with_suffix(".json").write_text('{"feature_version": 1, "feature', encoding="utf-8")
    assert_model_error(saved, "m.json")


def test_metadata_that_is_not_an_object(saved):
    write_meta(saved, [1, 2, 3])  # type: ignore[arg-type]
    assert_model_error(saved, "not a JSON object")


def test_feature_version_mismatch(saved):
    meta = meta_of(saved)
    meta["feature_version"] = FEATURE_VERSION + 1
    write_meta(saved, meta)
    assert_model_error(saved, str(FEATURE_VERSION + 1))


def test_feature_names_mismatch(saved):
    meta = meta_of(saved)
    meta["feature_names"] = list(reversed(FEATURE_NAMES))
    write_meta(saved, meta)
    assert_model_error(saved)


def test_stage2_feature_names_mismatch(saved):
    meta = meta_of(saved)
    meta["stage2_feature_names"] = list(STAGE2_NAMES)[:-1]
    write_meta(saved, meta)
    assert_model_error(saved)


def test_missing_feature_names(saved):
    meta = meta_of(saved)
    del meta["feature_names"]
    write_meta(saved, meta)
    assert_model_error(saved)


def test_sklearn_series_mismatch(saved):
    meta = meta_of(saved)
    meta["sklearn_version"] = "0.24.2"
    write_meta(saved, meta)
    error = assert_model_error(saved, "0.24.2", sklearn.__version__)
    assert "scikit-learn==0.24.2" in str(error)


def test_sha256_mismatch_truncated_file(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    assert_model_error(saved, "sha256")


def test_sha256_mismatch_one_flipped_byte(saved):
    data = bytearray(saved.read_bytes())
    data[len(data) // 2] ^= 0xFF
    saved.write_bytes(bytes(data))
    assert_model_error(saved, "sha256")


def test_garbage_joblib_file_with_matching_metadata(saved):
    saved.write_bytes(b"this is not a pickle at all\x00\x01\x02")
    meta = meta_of(saved)
    meta["sha256"] = sha256_of(saved)  # metadata checks pass; unpickling must fail cleanly
    write_meta(saved, meta)
    assert_model_error(saved, "m.joblib")


@pytest.mark.parametrize("obj", [
    {"not": "an estimator"},
    {"stage1": "no predict_proba", "stage2": None},
    ["stage1"],
], ids=["dict-without-stage1", "stage1-not-an-estimator", "list"])
def test_object_that_is_not_a_declutter_model(tmp_path, obj):
    path = tmp_path / "notamodel.joblib"
    save_model(obj, path, {})
    assert_model_error(path, "notamodel.joblib")


def test_bare_pipeline_of_the_old_format_is_refused(tmp_path):
    path = tmp_path / "old.joblib"
    save_model(tiny_model()["stage1"], path, {})
    assert_model_error(path, "old.joblib")


def test_failed_load_is_not_cached(saved):
    meta_path = saved.with_suffix(".json")
    good = meta_path.read_text(encoding="utf-8")
    meta_path.unlink()
    with pytest.raises(ModelError):
        load_model(saved)
    meta_path.write_text(good, encoding="utf-8")
    assert isinstance(load_model(saved), Model)


def test_model_error_is_a_boilerplate_error_and_runtime_error(tmp_path):
    with pytest.raises(BoilerplateError):
        load_model(tmp_path / "missing.joblib")
    with pytest.raises(RuntimeError):
        load_model(tmp_path / "missing.joblib")
    assert issubclass(ModelError, BoilerplateError)
    assert issubclass(ModelError, RuntimeError)


# --------------------------------------------------------------------------- trees (.npz)


def fixture_matrices() -> list[tuple[np.ndarray, np.ndarray]]:
    """(X, groups) of every fixture page."""
    from boilerplate.features import featurize
    from boilerplate.segment import segment

    out = []
    for page in sorted((Path(__file__).resolve().parent.parent / "fixtures" / "pages").iterdir()):
        doc = segment(page.read_bytes())
        groups = line_groups(doc)
        out.append((featurize(doc, groups), groups))
    return out


def test_shipped_trees_match_scikit_learn():
    """The numpy trees give scikit-learn's predict_proba (within 1e-9; in fact exactly)."""
    import joblib

    estimator = joblib.load(DEFAULT_MODEL_PATH)
    model = load_model()
    assert isinstance(model.stages["stage1"], Forest) and isinstance(model.stages["stage2"], Forest)
    rng = np.random.default_rng(0)
    for X, groups in fixture_matrices():
        p1 = estimator["stage1"].predict_proba(X)[:, 1]
        expected = estimator["stage2"].predict_proba(stage2_features(p1, X, groups))[:, 1]
        got = model.content_proba(X, groups)
        assert np.abs(got - expected).max() <= 1e-9
        assert np.array_equal(got, expected)
        assert np.array_equal(model.stages["stage1"].proba(X.astype(np.float64)), p1)
        # Missing values go where each split's missing_go_to_left says.
        X_nan = X.copy()
        X_nan[rng.random(X.shape) < 0.2] = np.nan
        assert np.array_equal(model.stages["stage1"].proba(X_nan),
                              estimator["stage1"].predict_proba(X_nan)[:, 1])
    # Extreme values, ties with thresholds and huge pages (several chunks).
    forest = model.stages["stage1"]
    X = rng.choice(np.concatenate([forest.threshold[np.isfinite(forest.threshold)],
                                   [-np.inf, np.inf, np.nan, 0.0, -1e30, 1e30]]),
                   size=(3000, N)).astype(np.float32)
    assert np.array_equal(forest.proba(X), estimator["stage1"].predict_proba(X)[:, 1])


def test_shipped_trees_are_the_deterministic_export_of_the_shipped_joblib(tmp_path):
    src = DEFAULT_MODEL_PATH
    path = tmp_path / src.name
    path.write_bytes(src.read_bytes())
    meta = json.loads(src.with_suffix(".json").read_text(encoding="utf-8"))
    write_meta(path, {k: v for k, v in meta.items() if not k.startswith("trees_")})
    trees = export_trees(path)
    assert trees.read_bytes() == src.with_suffix(".npz").read_bytes()
    assert meta_of(path) == meta
    assert path.read_bytes() == src.read_bytes()


def test_no_scikit_learn_at_run_time(tmp_path):
    """import boilerplate, loading the shipped model and `declutter page.html` import no scikit-learn."""
    page = Path(__file__).resolve().parent.parent / "fixtures" / "pages" / "wire_service.html"
    heavy = "('sklearn', 'scipy', 'joblib', 'threadpoolctl', 'trafilatura')"
    code = (
        "import sys, runpy\n"
        "import boilerplate\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {heavy}]\n"
        "assert not bad, ('import boilerplate', bad)\n"
        "boilerplate.load_model()\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {heavy}]\n"
        "assert not bad, ('load_model', bad)\n"
        f"sys.argv = ['declutter', {str(page)!r}]\n"
        "try:\n"
        "    runpy.run_module('boilerplate.cli', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {heavy}]\n"
        "assert not bad, ('declutter page.html', bad)\n"
    )
    # This tree's package (the run is in tmp_path, where another install would be found first).
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Reuters" in proc.stdout or len(proc.stdout) > 200


def test_model_estimator_loads_the_joblib_lazily(saved):
    model = load_model(saved)
    assert "estimator" not in vars(model)
    assert hasattr(model.estimator["stage1"], "predict_proba")
    assert model.estimator["stage2"] is None


def test_model_without_trees_loads_from_the_joblib(tmp_path):
    """A model saved before the trees existed (no .npz, no trees_* metadata) still works."""
    path = tmp_path / "old.joblib"
    est = tiny_model(stages=2)
    save_model(est, path, {"threshold": 0.4})
    path.with_suffix(".npz").unlink()
    write_meta(path, {k: v for k, v in meta_of(path).items() if not k.startswith("trees_")})
    model = load_model(path)
    assert isinstance(model.stages["stage1"], Forest)  # converted in memory
    X, _ = random_data(rows=25, seed=4)
    groups = groups_of(len(X))
    expected = est["stage2"].predict_proba(
        stage2_features(est["stage1"].predict_proba(X)[:, 1], X, groups))[:, 1]
    assert np.array_equal(model.content_proba(X, groups), expected)


def test_trees_file_missing_falls_back_to_the_joblib(saved):
    saved.with_suffix(".npz").unlink()
    model = load_model(saved)
    assert isinstance(model.stages["stage1"], Forest)


def test_trees_are_deterministic(tmp_path):
    est = tiny_model(stages=2)
    save_model(est, tmp_path / "a.joblib", {})
    save_model(est, tmp_path / "b.joblib", {})
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_trees_truncated(saved):
    trees = saved.with_suffix(".npz")
    trees.write_bytes(trees.read_bytes()[:1000])
    assert_model_error(saved, "sha256", "m.npz")


def test_trees_one_flipped_byte(saved):
    trees = saved.with_suffix(".npz")
    data = bytearray(trees.read_bytes())
    data[len(data) // 2] ^= 0xFF
    trees.write_bytes(bytes(data))
    assert_model_error(saved, "sha256", "m.npz")


@pytest.mark.parametrize("content", [b"", b"not a zip file at all", b"PK\x03\x04garbage"],
                         ids=["empty", "text", "bad-zip"])
def test_trees_garbage_with_matching_metadata(saved, content):
    trees = saved.with_suffix(".npz")
    trees.write_bytes(content)
    meta = meta_of(saved)
    meta["trees_sha256"] = sha256_of(trees)
    write_meta(saved, meta)
    assert_model_error(saved, "m.npz")


def _rewrite_trees(path: Path, forests: dict, source: str | None = None) -> None:
    trees = path.with_suffix(".npz")
    write_forests(trees, forests, source_sha256=source or meta_of(path)["sha256"])
    meta = meta_of(path)
    meta["trees_sha256"] = sha256_of(trees)
    write_meta(path, meta)


def test_trees_made_from_another_joblib(saved, tmp_path):
    other = tmp_path / "other.joblib"
    save_model(tiny_model(seed=1), other, {})
    trees = saved.with_suffix(".npz")
    trees.write_bytes(other.with_suffix(".npz").read_bytes())
    meta = meta_of(saved)
    meta["trees_sha256"] = sha256_of(trees)
    write_meta(saved, meta)
    assert_model_error(saved, "m.npz", "m.joblib")


def test_trees_for_other_features(saved):
    """Trees over 7 features, signed and claiming the current feature version."""
    rng = np.random.default_rng(0)
    X = rng.random((60, 7))
    stage1 = build_estimator(max_iter=2, min_samples_leaf=5).fit(X, (X[:, 0] > 0.5).astype(int))
    _rewrite_trees(saved, {"stage1": export(stage1), "stage2": None})
    assert_model_error(saved, "7 features")


def test_trees_without_stage1(saved):
    _rewrite_trees(saved, {"stage2": None})
    assert_model_error(saved, "m.npz")


@pytest.mark.parametrize("damage", ["child-loop", "feature-out-of-range", "nan-threshold"])
def test_trees_with_malformed_arrays(saved, damage):
    """Arrays that would loop forever or index out of bounds are refused, not run."""
    forest = export(tiny_model()["stage1"])
    arrays = {k: v.copy() for k, v in forest.arrays().items()}
    split = np.flatnonzero(~arrays["is_leaf"])[0]
    if damage == "child-loop":
        arrays["child"][split] = split
    elif damage == "feature-out-of-range":
        arrays["feature"][split] = N + 5
    else:
        arrays["threshold"][split] = np.nan
    with pytest.raises(ValueError):
        Forest.from_arrays(arrays)
    # Written anyway (by hand) and signed: a ModelError, not a hang or a crash.
    import io
    import zipfile

    trees = saved.with_suffix(".npz")
    with zipfile.ZipFile(trees) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    key = {"child-loop": "child", "feature-out-of-range": "feature", "nan-threshold": "threshold"}[damage]
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arrays[key], allow_pickle=False)
    entries[f"stage1.{key}.npy"] = buf.getvalue()
    with zipfile.ZipFile(trees, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    meta = meta_of(saved)
    meta["trees_sha256"] = sha256_of(trees)
    write_meta(saved, meta)
    assert_model_error(saved, "m.npz")


def test_trees_format_mismatch(saved):
    meta = meta_of(saved)
    meta["trees_format"] = 99
    write_meta(saved, meta)
    assert_model_error(saved, "99")


def test_export_refuses_what_it_cannot_represent():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = random_data()
    with pytest.raises(ValueError):
        export(LogisticRegression().fit(X, y))
    scaled = Pipeline([("scale", StandardScaler()), ("clf", build_estimator(max_iter=2).steps[-1][1])])
    with pytest.raises(ValueError, match="scale"):
        export(scaled.fit(X, y))


def test_unexportable_model_is_saved_without_trees_and_still_loads(tmp_path):
    """A pipeline the trees cannot represent: no .npz; it loads (and predicts) from the joblib."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = random_data()
    stage1 = Pipeline([("scale", StandardScaler()),
                       ("clf", build_estimator(max_iter=3, min_samples_leaf=5).steps[-1][1])]).fit(X, y)
    path = tmp_path / "scaled.joblib"
    (tmp_path / "scaled.npz").write_bytes(b"stale")
    save_model({"stage1": stage1, "stage2": None}, path, {})
    assert not path.with_suffix(".npz").exists()
    assert "trees_sha256" not in meta_of(path)
    model = load_model(path)
    assert np.array_equal(model.content_proba(X, groups_of(len(X))), stage1.predict_proba(X)[:, 1])
