"""boilerplate.estimator: the two-stage model as one estimator (fit, predict_proba, stages)."""

from __future__ import annotations

import pickle
from collections import defaultdict, deque

import numpy as np
import pytest
from conftest import PAGES, fixture_index, fixture_labels

from boilerplate.estimator import (
    STAGE2_PARAMS,
    TwoStageClassifier,
    build_estimator,
    site_fold,
    stages_proba,
)
from boilerplate.features import featurize, line_groups, stage2_features
from boilerplate.model import load_model, save_model
from boilerplate.segment import from_html

#: Small forests: the tests check the procedure, not accuracy.
SMALL = {"max_iter": 8, "max_leaf_nodes": 7, "min_samples_leaf": 5}
#: Fixture pages without a site: in every fold's training set, like hand-labelled pages.
UNGROUPED = 3


def _labels(name: str, texts: list[str]) -> np.ndarray:
    """The fixture's hand labels of the lines, matched by text in order."""
    queues: dict[str, deque[str]] = defaultdict(deque)
    for rec in fixture_labels(name):
        queues[rec["text"]].append(rec["label"])
    return np.array([queues[t].popleft() == "content" for t in texts], dtype=np.int8)


@pytest.fixture(scope="module")
def rows() -> dict:
    """The fixture pages as training rows: a site per page, the last pages without one."""
    pages = [e for e in fixture_index() if e["kind"] == "html"]
    parts = []
    for i, entry in enumerate(pages):
        doc = from_html((PAGES.parent / entry["page"]).read_bytes())
        groups = line_groups(doc)
        parts.append((featurize(doc, groups), _labels(entry["name"], [ln.text for ln in doc.lines]), groups,
                      None if i >= len(pages) - UNGROUPED else f"site-{i}.example"))
    lengths = [len(y) for _, y, _, _ in parts]
    return {
        "X": np.concatenate([X for X, _, _, _ in parts]),
        "y": np.concatenate([y for _, y, _, _ in parts]),
        "groups": np.repeat(np.array([g for *_, g in parts], dtype=object), lengths),
        "pages": np.repeat(np.arange(len(parts)), lengths),
        "line_groups": np.concatenate([g for _, _, g, _ in parts]),
        "lengths": lengths,
    }


def _fit(rows: dict, **params) -> TwoStageClassifier:
    est = TwoStageClassifier(stage1_params=SMALL, stage2_params=SMALL, **params)
    return est.fit(rows["X"], rows["y"], groups=rows["groups"], pages=rows["pages"],
                   line_groups=rows["line_groups"])


@pytest.fixture(scope="module")
def fitted(rows) -> TwoStageClassifier:
    return _fit(rows)


def _page_slices(rows: dict):
    start = 0
    for n in rows["lengths"]:
        yield slice(start, start + n)
        start += n


def test_fit_and_predict_proba(rows, fitted):
    proba = fitted.predict_proba(rows["X"], line_groups=rows["line_groups"], pages=rows["pages"])
    assert proba.shape == (len(rows["y"]), 2)
    assert np.allclose(proba.sum(axis=1), 1.0) and ((proba >= 0) & (proba <= 1)).all()
    assert fitted.stage1_ is not None and fitted.stage2_ is not None
    assert fitted.n_features_in_ == rows["X"].shape[1] and fitted.classes_.tolist() == [0, 1]
    # Better than chance on the lines it was fitted on.
    assert ((proba[:, 1] >= 0.5) == rows["y"]).mean() > 0.8


def test_predict_proba_scores_each_page_on_its_own(rows, fitted):
    together = fitted.predict_proba(rows["X"], line_groups=rows["line_groups"], pages=rows["pages"])
    for part in _page_slices(rows):
        alone = fitted.predict_proba(rows["X"][part], line_groups=rows["line_groups"][part])
        assert np.array_equal(alone, together[part])
        assert np.array_equal(alone[:, 1], stages_proba(fitted.to_stages(), rows["X"][part],
                                                        rows["line_groups"][part]))


def test_out_of_fold_probabilities_come_from_the_fold_that_never_saw_the_site(rows, fitted):
    ungrouped = np.array([g is None for g in rows["groups"]])
    assert np.isnan(fitted.oof_proba_[ungrouped]).all()
    assert np.isnan(fitted.oof_stage1_proba_[ungrouped]).all()
    assert np.isfinite(fitted.oof_proba_[~ungrouped]).all()
    assert len(fitted.fold_estimators_) == fitted.folds
    for part in _page_slices(rows):
        site = rows["groups"][part.start]
        if site is None:
            continue
        fold = fitted.fold_estimators_[site_fold(site, fitted.folds)]
        expected = fold.predict_proba(rows["X"][part], line_groups=rows["line_groups"][part])[:, 1]
        assert np.array_equal(fitted.oof_proba_[part], expected)


def test_a_fold_model_does_not_learn_from_its_own_fold(rows, fitted):
    """Flipping the labels of one fold's sites leaves that fold's stage-one scores as they were."""
    folds = np.array([-1 if g is None else site_fold(g, fitted.folds) for g in rows["groups"]])
    flipped = dict(rows, y=np.where(folds == 0, 1 - rows["y"], rows["y"]).astype(np.int8))
    other = _fit(flipped, stages=1, refit=False)
    assert np.array_equal(other.oof_stage1_proba_[folds == 0], fitted.oof_stage1_proba_[folds == 0])
    assert not np.array_equal(other.oof_stage1_proba_[folds == 1], fitted.oof_stage1_proba_[folds == 1])


def test_stage_two_learns_from_out_of_fold_stage_one_scores(rows, fitted):
    """Today's procedure: stage one cross-fitted by site for the grouped rows, the full stage one for the rest."""
    ungrouped = np.array([g is None for g in rows["groups"]])
    inputs = fitted.oof_stage1_proba_.copy()
    inputs[ungrouped] = fitted.stage1_.predict_proba(rows["X"][ungrouped])[:, 1]
    S = np.concatenate([stage2_features(inputs[p], rows["X"][p], rows["line_groups"][p])
                        for p in _page_slices(rows)])
    stage2 = build_estimator(**SMALL).fit(S, rows["y"], clf__sample_weight=np.ones(len(S)))
    assert pickle.dumps(stage2) == pickle.dumps(fitted.stage2_)


def test_stages_round_trip_gives_the_same_probabilities(rows, fitted, tmp_path):
    stages = fitted.to_stages()
    assert set(stages) == {"stage1", "stage2"}
    again = TwoStageClassifier.from_stages(pickle.loads(pickle.dumps(stages)))
    args = (rows["X"],)
    kw = {"line_groups": rows["line_groups"], "pages": rows["pages"]}
    assert again.stages == 2
    assert np.array_equal(again.predict_proba(*args, **kw), fitted.predict_proba(*args, **kw))
    # Saved as a model file (joblib of the stages plus numpy trees) and loaded back.
    save_model(stages, tmp_path / "m.joblib", {"threshold": 0.5})
    model = load_model(tmp_path / "m.joblib")
    expected = fitted.predict_proba(*args, **kw)[:, 1]
    for part in _page_slices(rows):
        got = model.content_proba(rows["X"][part], rows["line_groups"][part])
        assert np.allclose(got, expected[part], rtol=0, atol=1e-12)


def test_fitting_is_deterministic(rows, fitted):
    again = _fit(rows)
    assert pickle.dumps(again.to_stages()) == pickle.dumps(fitted.to_stages())
    assert np.array_equal(again.oof_proba_, fitted.oof_proba_, equal_nan=True)


def test_memory_caches_the_cross_fitting_and_not_the_final_stages(rows, fitted, tmp_path):
    first = _fit(rows, memory=tmp_path / "fits")
    assert any((tmp_path / "fits").rglob("output.pkl"))
    second = _fit(rows, memory=tmp_path / "fits")
    assert np.array_equal(second.oof_proba_, fitted.oof_proba_, equal_nan=True)
    # The final stages are fitted afresh: the same bytes as without a cache.
    assert pickle.dumps(first.to_stages()) == pickle.dumps(second.to_stages()) == pickle.dumps(
        fitted.to_stages())


def test_refit_false_keeps_only_the_fold_models(rows):
    est = _fit(rows, refit=False)
    assert est.stage2_ is None and len(est.fold_estimators_) == est.folds
    assert np.isfinite(est.oof_proba_[[g is not None for g in rows["groups"]]]).all()
    with pytest.raises(ValueError, match="no fitted stages"):
        est.predict_proba(rows["X"], line_groups=rows["line_groups"], pages=rows["pages"])


def test_a_given_stage_one_replaces_the_full_fit(rows, fitted):
    est = TwoStageClassifier(stage1_params=SMALL, stage2_params=SMALL, refit=False)
    est.fit(rows["X"], rows["y"], groups=rows["groups"], pages=rows["pages"],
            line_groups=rows["line_groups"], stage1=fitted.stage1_)
    assert est.stage1_ is fitted.stage1_
    assert np.array_equal(est.oof_proba_, fitted.oof_proba_, equal_nan=True)


def test_rows_weighted_zero_are_left_out(rows):
    keep = np.arange(len(rows["y"])) % 4 != 0
    weight = keep.astype(float)
    est = TwoStageClassifier(stages=1, stage1_params=SMALL).fit(
        rows["X"], rows["y"], groups=[None] * len(weight), pages=rows["pages"],
        line_groups=rows["line_groups"], sample_weight=weight)
    alone = build_estimator(**SMALL).fit(rows["X"][keep], rows["y"][keep],
                                         clf__sample_weight=np.ones(int(keep.sum())))
    assert np.array_equal(est.stage1_.predict_proba(rows["X"]), alone.predict_proba(rows["X"]))
    assert np.isnan(est.oof_proba_).all() and est.fold_estimators_ == []


def test_parameters_follow_scikit_learn_conventions():
    from sklearn.base import clone

    est = TwoStageClassifier(stages=5, folds=4, random_state=3)  # __init__ only stores
    assert est.get_params()["stages"] == 5 and est.get_params()["random_state"] == 3
    assert clone(est).get_params() == est.get_params()
    assert est.set_params(stages=1) is est and est.stages == 1
    assert repr(est) == "TwoStageClassifier(stages=1, folds=4, random_state=3)"
    with pytest.raises(ValueError, match="no parameter"):
        est.set_params(depth=3)
    assert TwoStageClassifier()._settings(2) == {**STAGE2_PARAMS, "random_state": 0}


def test_fit_refuses_inconsistent_rows(rows):
    X, y, lg, pages = rows["X"], rows["y"], rows["line_groups"], rows["pages"]
    with pytest.raises(ValueError, match="stages must be 1 or 2"):
        TwoStageClassifier(stages=3).fit(X, y, groups=rows["groups"], pages=pages, line_groups=lg)
    with pytest.raises(ValueError, match="out-of-fold"):
        TwoStageClassifier().fit(X, y, groups=[None] * len(y), pages=pages, line_groups=lg)
    with pytest.raises(ValueError, match="out-of-fold"):
        TwoStageClassifier(folds=1).fit(X, y, groups=rows["groups"], pages=pages, line_groups=lg)
    with pytest.raises(ValueError, match="y has"):
        TwoStageClassifier().fit(X, y[:-1], groups=rows["groups"], pages=pages, line_groups=lg)
    mixed = rows["groups"].copy()
    mixed[1] = "another.example"
    with pytest.raises(ValueError, match="different groups"):
        TwoStageClassifier().fit(X, y, groups=mixed, pages=pages, line_groups=lg)
