"""The compiled steps of the histogram tree grower equal its NumPy steps bit for bit.

``mlref.models._histogram_kernels`` (Numba) does each row-level step of
``grow_histogram_tree`` in one pass; the NumPy steps stay the reference (notebook 04a shows
``best_splits``). Every comparison below is exact: the same floats, the same trees.
"""

import numpy as np
import pytest

from mlref import _compiled
from mlref._compiled import compiled_enabled, numpy_only
from mlref.ltr import LambdaMART
from mlref.models import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from mlref.models import _histogram_kernels as kernels
from mlref.models.histogram_tree import best_splits, grow_histogram_tree, make_bins

pytestmark = pytest.mark.skipif(_compiled.numba is None, reason="numba is not installed")


def _assert_same_tree(a, b):
    for name in ("feature", "threshold", "left", "right", "value", "gain"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def _both(function):
    """``function()`` with the compiled steps, then with the NumPy steps."""
    assert compiled_enabled()
    compiled = function()
    with numpy_only():
        assert not compiled_enabled()
        reference = function()
    return compiled, reference


def _data(rng, n_rows, n_features, kind):
    if kind == "continuous":
        return rng.normal(size=(n_rows, n_features))
    if kind == "ties":  # few distinct values: many rows per bin, equal gains
        return rng.integers(0, 3, size=(n_rows, n_features)).astype(float)
    X = rng.normal(size=(n_rows, n_features))  # a constant column and a binary one
    X[:, 0] = 1.0
    X[:, -1] = rng.random(n_rows) < 0.2
    return X


CASES = [
    # n_rows, n_features, kind, max_bin, params
    (1, 3, "continuous", 256, {}),
    (2, 1, "continuous", 2, {}),
    (7, 4, "ties", 3, {"max_depth": 6}),
    (300, 5, "continuous", 16, {"subsample": 0.5}),
    (300, 5, "mixed", 256, {"feature_mask": [True, False, True, True, True]}),
    (2000, 8, "ties", 256, {"gamma": 0.3, "subsample": 0.8}),
    (2000, 8, "continuous", 64, {"reg_lambda": 0.0, "min_child_weight": 2.0}),
    (2000, 8, "mixed", 256, {"reg_lambda": 0.0, "min_child_weight": 0.0, "zero_hessian": True}),
    (3000, 6, "continuous", 256, {"min_split_weight": 40.0, "leaf_ids": True}),
    (5000, 12, "continuous", 256, {"max_depth": 8, "subsample": 0.7}),
]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("n_rows, n_features, kind, max_bin, params", CASES)
def test_grown_tree_and_row_outputs_are_identical(seed, n_rows, n_features, kind, max_bin, params):
    rng = np.random.default_rng(seed)
    params = dict(params)
    X = _data(rng, n_rows, n_features, kind)
    bins, _ = make_bins(X, max_bin)
    gradient = rng.normal(size=n_rows)
    hessian = rng.random(n_rows) + 0.1
    if params.pop("zero_hessian", False):  # zero-weight rows: empty sides, 0/0 gains
        hessian[rng.random(n_rows) < 0.3] = 0.0
        gradient[hessian == 0] = 0.0
    subsample = params.pop("subsample", 1.0)
    sampled = np.sort(rng.permutation(n_rows)[: max(1, int(subsample * n_rows))])
    if "feature_mask" in params:
        params["feature_mask"] = np.array(params["feature_mask"])
    settings = {"max_depth": 6, "reg_lambda": 1.0, "min_child_weight": 1.0} | params

    def grow():
        return grow_histogram_tree(bins, gradient, hessian, sampled, learning_rate=0.3, **settings)

    (tree, output), (reference_tree, reference_output) = _both(grow)
    _assert_same_tree(tree, reference_tree)
    np.testing.assert_array_equal(output, reference_output)


def test_the_comparison_sees_a_different_tree():
    """The check above can fail: a tree grown with another lambda differs."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 4))
    bins, _ = make_bins(X, 256)
    g, h, rows = rng.normal(size=500), np.ones(500), np.arange(500)
    a, _ = grow_histogram_tree(bins, g, h, rows, max_depth=3, reg_lambda=1.0,
                               min_child_weight=1.0, learning_rate=0.3)  # fmt: skip
    b, _ = grow_histogram_tree(bins, g, h, rows, max_depth=3, reg_lambda=1.5,
                               min_child_weight=1.0, learning_rate=0.3)  # fmt: skip
    with pytest.raises(AssertionError):
        _assert_same_tree(a, b)


@pytest.mark.parametrize("seed", range(4))
def test_split_kernel_equals_best_splits_with_ties_and_masks(seed):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 5, size=(400, 6)).astype(float)
    bins, _ = make_bins(X, 256)
    n_nodes = 5
    hist = rng.integers(0, 3, size=(n_nodes, bins.n_bins, 2)).astype(float)  # many equal gains
    node_g = hist[:, bins.starts[0] : bins.starts[0] + bins.sizes[0], 0].sum(axis=1)
    node_h = hist[:, bins.starts[0] : bins.starts[0] + bins.sizes[0], 1].sum(axis=1)
    allowed = rng.random(bins.n_bins) < 0.7
    for mask in (None, allowed):
        for reg_lambda, min_child_weight in ((1.0, 1.0), (0.0, 1.0), (2.0, 0.0)):
            with np.errstate(divide="ignore", invalid="ignore"):  # empty sides, 0 / 0
                reference = best_splits(
                    hist, node_g, node_h, bins, reg_lambda, min_child_weight, mask
                )
            candidate = bins.candidate if mask is None else bins.candidate & mask
            compiled = kernels.best_splits(hist, np.arange(n_nodes), node_g, node_h, bins.starts,
                                           bins.sizes, candidate, reg_lambda,
                                           min_child_weight)  # fmt: skip
            np.testing.assert_array_equal(compiled[0], reference[0])
            np.testing.assert_array_equal(compiled[1], reference[1])


def _fit_predict(make, X, y, *extra):
    return make().fit(X, y, *extra)


@pytest.mark.parametrize(
    "make",
    [
        lambda: GradientBoostingClassifier(n_estimators=15, tree_method="hist", subsample=0.8,
                                           colsample_bytree=0.7, random_state=0),
        lambda: GradientBoostingRegressor(n_estimators=10, tree_method="hist", random_state=0),
        lambda: RandomForestClassifier(n_estimators=5, splitter="histogram", random_state=0),
        lambda: RandomForestRegressor(n_estimators=5, splitter="histogram", max_features=None,
                                      random_state=0),
    ],
    ids=["gbdt-classifier", "gbdt-regressor", "forest-drawn-features", "forest-all-features"],
)  # fmt: skip
def test_estimators_fit_the_same_model(make):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 6))
    y = (X[:, 0] + rng.normal(size=1500) > 0.3).astype(int)
    compiled, reference = _both(lambda: make().fit(X, y))
    np.testing.assert_array_equal(compiled.predict(X), reference.predict(X))
    if hasattr(compiled, "predict_proba"):
        np.testing.assert_array_equal(compiled.predict_proba(X), reference.predict_proba(X))


def test_lambdamart_fits_the_same_model():
    rng = np.random.default_rng(1)
    qid = np.repeat(np.arange(40), rng.integers(1, 30, size=40))
    X = rng.normal(size=(len(qid), 5))
    y = np.clip(np.round(X[:, 0] + rng.normal(size=len(qid))), 0, 3).astype(int)
    compiled, reference = _both(
        lambda: LambdaMART(n_estimators=15, subsample=0.8, random_state=0).fit(X, y, qid)
    )
    np.testing.assert_array_equal(compiled.predict(X), reference.predict(X))


def test_environment_variable_switches_the_compiled_steps_off(monkeypatch):
    assert compiled_enabled()
    monkeypatch.setenv("MLREF_NUMBA", "0")
    assert not compiled_enabled()
    monkeypatch.setenv("MLREF_NUMBA", "1")
    with numpy_only():
        with numpy_only():
            assert not compiled_enabled()
        assert not compiled_enabled()
    assert compiled_enabled()
