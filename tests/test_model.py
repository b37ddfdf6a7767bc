"""boilerplate.model: the estimator, and saving/loading with checked metadata."""

from __future__ import annotations

import json
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
from boilerplate.model import (
    DEFAULT_MODEL_PATH,
    Model,
    build_estimator,
    load_model,
    save_model,
    sha256_of,
)

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

    model = load_model(str(path))  # str paths work too
    assert isinstance(model, Model)
    assert model.path == path.resolve()
    assert model.threshold == 0.37
    assert model.version == f"f{FEATURE_VERSION}-{meta['sha256'][:12]}"
    assert model.metadata == meta

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
