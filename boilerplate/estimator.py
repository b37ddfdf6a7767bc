"""The two-stage line classifier as one estimator with scikit-learn's conventions.

Stage one scores each line from its own features (``features.featurize``).
Stage two rescores it beside stage one's probabilities of its neighbours and
containers (``features.stage2_features``). Stage two must learn from stage-one
probabilities like those of a page the model never saw, so its training
inputs are cross-fitted: the lines of one site get their stage-one
probabilities from a stage one fitted on the other sites' folds.

A model file keeps only the fitted stages, {"stage1": Pipeline, "stage2":
Pipeline | None} (scikit-learn built-ins; ``to_stages``/``from_stages``,
model.py writes the files). scikit-learn is imported inside the functions
that fit, so importing this module (model.py does) stays cheap.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .features import STAGE2_NAMES, stage2_features
from .trees import Forest

__all__ = [
    "FOLDS",
    "STAGE1_PARAMS",
    "STAGE2_PARAMS",
    "TwoStageClassifier",
    "build_estimator",
    "positive_proba",
    "site_fold",
    "stages_proba",
]

#: One stage's gradient-boosted trees (stage one uses them as they are). Trees
#: need no scaling, handle the binary and count features as they are, and beat
#: a logistic regression by a wide margin in our probes.
STAGE1_PARAMS: Mapping[str, Any] = {
    "max_iter": 200,
    "learning_rate": 0.1,
    "max_leaf_nodes": 63,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "early_stopping": False,
}
#: Stage two's overrides: it sees 30 columns, a small forest is enough.
STAGE2_PARAMS: Mapping[str, Any] = {"max_iter": 100, "max_leaf_nodes": 31, "min_samples_leaf": 100}
#: Site-grouped folds of the cross-fitting. Three rather than five keep a full
#: training run near half an hour on a 2-core machine; each fold model still
#: trains on two thirds of the sites.
FOLDS = 3
_PARAMS = ("stages", "folds", "stage1_params", "stage2_params", "refit", "memory", "random_state",
           "verbose")


def build_estimator(*, random_state: int = 0, **params: Any) -> Any:
    """One stage's pipeline: gradient-boosted trees on the raw matrix (``params`` override STAGE1_PARAMS)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline

    settings = {**STAGE1_PARAMS, **params}
    return Pipeline([("clf", HistGradientBoostingClassifier(random_state=random_state, **settings))])


def site_fold(site: str, folds: int) -> int:
    """The fold of a site: a hash of its name, the same in every run."""
    return int(hashlib.md5(site.encode()).hexdigest(), 16) % folds


def stages_proba(stages: Mapping[str, Any], X: np.ndarray, line_groups: np.ndarray) -> np.ndarray:
    """Content probabilities of one page's lines from a ``{"stage1": ..., "stage2": ... or None}`` pair.

    Each predictor is a numpy ``trees.Forest`` or a fitted scikit-learn
    estimator; ``Model.content_proba`` is this with a loaded model's stages.
    """
    if X.shape[0] == 0:
        return np.zeros(0, dtype=np.float64)
    p = positive_proba(stages["stage1"], X)
    stage2 = stages.get("stage2")
    if stage2 is None:
        return p
    return positive_proba(stage2, stage2_features(p, X, line_groups))


def positive_proba(predictor: Any, X: np.ndarray) -> np.ndarray:
    """Positive-class probabilities of a Forest, or of a scikit-learn estimator."""
    if type(predictor) is Forest:
        return predictor.proba(X)
    # A model the trees module cannot export: scikit-learn itself. One page is
    # a few hundred rows: OpenMP threads only add sync cost, and under load
    # (batch workers) they stalled single calls for seconds.
    with _single_thread():
        return np.asarray(predictor.predict_proba(X)[:, 1])


@functools.lru_cache(maxsize=1)
def _controller() -> Any:
    """threadpoolctl's view of the loaded native thread pools (built once)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _single_thread() -> Any:
    """Context manager limiting OpenMP to one thread (a few microseconds)."""
    return _controller().limit(limits=1, user_api="openmp")


@dataclass(frozen=True)
class _Rows:
    """The checked training rows: pages one after another, a fold per row (-1: in every fold)."""

    X: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    line_groups: np.ndarray
    bounds: np.ndarray
    fold: np.ndarray

    def pages(self) -> Iterator[tuple[int, int]]:
        """(start, stop) of each page's rows."""
        return itertools.pairwise(self.bounds.tolist())


def _page_bounds(pages: Sequence[Any] | np.ndarray | None, n: int) -> np.ndarray:
    """Row offsets where pages start, plus n: a page is a run of equal page numbers."""
    if pages is None:
        return np.array([0, n] if n else [0], dtype=np.intp)
    keys = np.asarray(pages)
    if keys.shape != (n,):
        raise ValueError(f"pages has {keys.shape[0] if keys.ndim else 0} entries for {n} rows")
    starts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    return np.concatenate(([0] if n else [], starts, [n])).astype(np.intp)


def _check_rows(X: Any, y: Any, groups: Sequence[str | None], pages: Any, line_groups: Any,
                sample_weight: Any, folds: int) -> _Rows:
    """Arrays of the training rows, each checked against the number of rows."""
    X, y, line_groups = np.asarray(X), np.asarray(y), np.asarray(line_groups)
    n = X.shape[0]
    weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    group_array = np.empty(len(groups), dtype=object)
    group_array[:] = list(groups)
    for name, arr in (("y", y), ("groups", group_array), ("line_groups", line_groups),
                      ("sample_weight", weight)):
        if arr.shape[0] != n:
            raise ValueError(f"{name} has {arr.shape[0]} rows, X has {n}")
    bounds = _page_bounds(pages, n)
    first = group_array[bounds[:-1]]
    if np.any(group_array != np.repeat(first, np.diff(bounds))):
        raise ValueError("the rows of one page have different groups")
    page_fold = np.array([-1 if g is None else site_fold(str(g), folds) for g in first], dtype=np.intp)
    fold = np.repeat(page_fold, np.diff(bounds))
    return _Rows(X, y, weight, line_groups, bounds, fold)


class TwoStageClassifier:
    """Stage one on line features, stage two on stage one's probabilities of neighbours and containers.

    Parameters (scikit-learn conventions: stored as given, used by ``fit``):
        stages: 2, or 1 for stage one alone.
        folds: site-grouped folds of the cross-fitting (at least 2 to cross-fit).
        stage1_params, stage2_params: ``build_estimator`` overrides per stage
            (default: none, and STAGE2_PARAMS).
        refit: fit the final stages on all rows; False keeps only the
            cross-fitted fold models and their out-of-fold probabilities
            (evaluation), as in GridSearchCV.
        memory: a folder or ``joblib.Memory`` that caches stage one's
            cross-fitting (fold models and probabilities), as in Pipeline; the
            final stages are always fitted afresh.
        random_state: seed of every fitted stage.
        verbose: progress of the fits on stderr when above 0.

    Fitted attributes: ``stage1_``, ``stage2_`` (None for one stage),
    ``fold_estimators_`` (one TwoStageClassifier per fold, fitted without that
    fold's sites), ``oof_stage1_proba_`` and ``oof_proba_`` (each row's
    probability from the fold model that did not see its site; NaN for rows
    without a group), ``n_features_in_``, ``classes_``.
    """

    stage1_: Any
    stage2_: Any
    fold_estimators_: list[TwoStageClassifier]
    oof_stage1_proba_: np.ndarray
    oof_proba_: np.ndarray
    n_features_in_: int | None
    classes_: np.ndarray

    def __init__(self, *, stages: int = 2, folds: int = FOLDS, stage1_params: Mapping[str, Any] | None = None,
                 stage2_params: Mapping[str, Any] | None = None, refit: bool = True, memory: Any = None,
                 random_state: int = 0, verbose: int = 0) -> None:
        self.stages = stages
        self.folds = folds
        self.stage1_params = stage1_params
        self.stage2_params = stage2_params
        self.refit = refit
        self.memory = memory
        self.random_state = random_state
        self.verbose = verbose

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters (as scikit-learn's ``clone`` reads them)."""
        return {name: getattr(self, name) for name in _PARAMS}

    def set_params(self, **params: Any) -> TwoStageClassifier:
        """Set constructor parameters; returns self.

        Raises:
            ValueError: for a name that is not a parameter.
        """
        for name, value in params.items():
            if name not in _PARAMS:
                raise ValueError(f"TwoStageClassifier has no parameter {name!r}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.get_params().items() if v != _DEFAULTS[k]}
        return f"TwoStageClassifier({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def fit(self, X: Any, y: Any, *, groups: Sequence[str | None], pages: Any, line_groups: Any,
            sample_weight: Any = None, stage1: Any = None) -> TwoStageClassifier:
        """Fit both stages, cross-fitting stage one by site for stage two's training rows.

        Args:
            X: line features (lines x ``features.FEATURE_NAMES``), page after page.
            y: 1 for content lines, 0 for boilerplate.
            groups: the site of each row; folds never split a site. None for
                rows that are in every fold's training set and never scored out
                of fold (hand-labelled pages): their stage-two inputs come from
                the stage one fitted on all rows.
            pages: a page number per row (a page's rows are consecutive):
                stage two reads neighbours and containers within a page.
            line_groups: ``features.line_groups`` of each page, stacked like X.
            sample_weight: weight per row (default 1); rows weighted 0 are
                left out of every fit.
            stage1: a stage one already fitted on these rows (a saved model's),
                used instead of fitting one on all rows.

        Returns:
            self.

        Raises:
            ValueError: if the arrays disagree in length, a page has rows of
                two groups, or stage two cannot be cross-fitted (no grouped
                rows, or fewer than 2 folds).
        """
        if self.stages not in (1, 2):
            raise ValueError(f"stages must be 1 or 2, not {self.stages!r}")
        rows = _check_rows(X, y, groups, pages, line_groups, sample_weight, self.folds)
        grouped = rows.fold >= 0
        can_cross = self.folds >= 2 and bool(grouped.any())
        if self.stages == 2 and not can_cross:
            raise ValueError("stage two needs out-of-fold inputs: rows with a group and folds >= 2")
        # The full stage one first, before ``memory`` unpickles any fold model: CPython
        # shares instance dict keys per class, and keys from an unpickled model would
        # change the bytes of the models pickled later (not their predictions).
        self.stage1_ = stage1
        if stage1 is None and (self.refit or (self.stages == 2 and not grouped.all())):
            self.stage1_ = self._fit_stage(1, rows.X, rows)
        fold1, self.oof_stage1_proba_ = self._cross_fit(1, rows.X, rows) if can_cross else ([], _nan(rows))
        self.stage2_, fold2, self.oof_proba_ = None, [None] * len(fold1), self.oof_stage1_proba_
        if self.stages == 2:
            fold2 = self._fit_stage2(rows, grouped)
        self.fold_estimators_ = [type(self).from_stages({"stage1": one, "stage2": two})
                                 for one, two in zip(fold1, fold2)]
        self.n_features_in_ = rows.X.shape[1]
        self.classes_ = np.array([0, 1])
        return self

    def _fit_stage2(self, rows: _Rows, grouped: np.ndarray) -> list[Any]:
        """Stage two on the cross-fitted stage-one inputs: per fold (oof_proba_), then on all rows."""
        inputs = self.oof_stage1_proba_.copy()
        inputs[~grouped] = _proba(self.stage1_, rows.X[~grouped])
        S = np.concatenate([np.zeros((0, len(STAGE2_NAMES)), np.float32)]
                           + [stage2_features(inputs[a:b], rows.X[a:b], rows.line_groups[a:b])
                              for a, b in rows.pages()])
        fold2, self.oof_proba_ = self._cross_fit(2, S, rows)
        if self.refit:
            self.stage2_ = self._fit_stage(2, S, rows)
        return fold2

    def _settings(self, stage: int) -> dict[str, Any]:
        """build_estimator's keyword arguments for one stage."""
        params = self.stage1_params if stage == 1 else self.stage2_params
        if params is None:
            params = {} if stage == 1 else STAGE2_PARAMS
        return {**params, "random_state": self.random_state}

    def _cross_fit(self, stage: int, M: np.ndarray, rows: _Rows) -> tuple[list[Any], np.ndarray]:
        """One stage fitted per fold without the fold's sites; each row scored by its fold's model.

        Stage one's, the costly part of a fit, comes from ``memory`` when set.
        """
        args = (self._settings(stage), M, rows.y, rows.weight, rows.fold, self.folds, stage)
        if stage == 1 and self.memory is not None:
            from joblib import Memory
            from sklearn import __version__

            memory = self.memory if isinstance(self.memory, Memory) else Memory(self.memory, verbose=0)
            cached = memory.cache(_cross_fit, ignore=["verbose"])
            return cached(*args, sklearn_version=__version__, verbose=self.verbose)
        return _cross_fit(*args, verbose=self.verbose)

    def _fit_stage(self, stage: int, M: np.ndarray, rows: _Rows) -> Any:
        """One stage's pipeline fitted on all rows of M (weighted above 0)."""
        return _fit_rows(self._settings(stage), M, rows.y, rows.weight, rows.weight > 0,
                         f"stage {stage}, all rows", self.verbose)

    def predict_proba(self, X: Any, *, line_groups: Any, pages: Any = None) -> np.ndarray:
        """(1 - p, p) per row, p the probability that the line is content.

        Args:
            X: line features, page after page.
            line_groups: ``features.line_groups`` of each page, stacked like X.
            pages: a page number per row; None when all rows are one page.

        Raises:
            ValueError: if the model was fitted with ``refit=False`` (or not at all).
        """
        if getattr(self, "stage1_", None) is None or (self.stages == 2 and self.stage2_ is None):
            raise ValueError("this TwoStageClassifier has no fitted stages (fit it with refit=True)")
        X, line_groups = np.asarray(X), np.asarray(line_groups)
        bounds = _page_bounds(pages, X.shape[0])
        stages = self.to_stages()
        p = np.concatenate([np.zeros(0)] + [stages_proba(stages, X[a:b], line_groups[a:b])
                                            for a, b in itertools.pairwise(bounds.tolist())])
        return np.column_stack([1.0 - p, p])

    def to_stages(self) -> dict[str, Any]:
        """The fitted stages as a model file stores them: {"stage1": ..., "stage2": ... or None}."""
        return {"stage1": self.stage1_, "stage2": self.stage2_}

    @classmethod
    def from_stages(cls, stages: Mapping[str, Any], **params: Any) -> TwoStageClassifier:
        """A fitted estimator from stored stages (Pipelines, or ``trees.Forest``s to predict with)."""
        two = stages.get("stage2") is not None
        est = cls(**{**params, "stages": 2 if two else 1})
        est.stage1_, est.stage2_ = stages["stage1"], stages.get("stage2")
        est.n_features_in_ = getattr(est.stage1_, "n_features_in_", getattr(est.stage1_, "n_features", None))
        est.classes_ = np.array([0, 1])
        return est


_DEFAULTS = TwoStageClassifier().get_params()


def _cross_fit(settings: dict[str, Any], M: np.ndarray, y: np.ndarray, weight: np.ndarray, fold: np.ndarray,
               folds: int, stage: int, sklearn_version: str = "", verbose: int = 0) -> tuple[list[Any], np.ndarray]:
    """Fold models of one stage and each row's probability from the model that did not see its fold.

    ``sklearn_version`` only keys the memory cache (models differ across versions).
    """
    models, oof = [], np.full(M.shape[0], np.nan)
    for k in range(folds):
        models.append(_fit_rows(settings, M, y, weight, (fold != k) & (weight > 0),
                                f"stage {stage}, fold {k + 1}/{folds}", verbose))
        scored = fold == k
        oof[scored] = _proba(models[-1], M[scored])
    return models, oof


def _fit_rows(settings: dict[str, Any], M: np.ndarray, y: np.ndarray, weight: np.ndarray,
              train: np.ndarray, what: str, verbose: int) -> Any:
    """build_estimator(**settings) fitted on the ``train`` rows."""
    t0 = time.perf_counter()
    model = build_estimator(**settings)
    if train.all():  # no copy of a big matrix
        model.fit(M, y, clf__sample_weight=weight)
    else:
        model.fit(M[train], y[train], clf__sample_weight=weight[train])
    if verbose > 0:
        print(f"  {what}: {int(train.sum())} training lines, {time.perf_counter() - t0:.0f}s",
              file=sys.stderr)
    return model


def _nan(rows: _Rows) -> np.ndarray:
    """A probability per row, none known yet."""
    return np.full(rows.X.shape[0], np.nan)


def _proba(model: Any, M: np.ndarray) -> np.ndarray:
    """Positive-class probabilities of a fitted stage on many pages' rows at once (all threads)."""
    if len(M) == 0:
        return np.zeros(0)
    if type(model) is Forest:
        return model.proba(M)
    return np.asarray(model.predict_proba(M)[:, 1])
