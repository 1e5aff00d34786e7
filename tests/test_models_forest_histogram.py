"""The histogram split search's fast paths and the random forest's ``splitter="histogram"``.

``best_splits`` is the readable search notebook 04a shows; the grower runs ``_best_splits_fast``
(same floats, fewer passes) and, for a forest's per-node feature draws, ``_drawn_feature_splits``
(only the drawn features' histograms). Both are checked against it, and the histogram forest
against the exact CART trees and scikit-learn.
"""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, make_regression
from sklearn.ensemble import RandomForestClassifier as SklearnForest

from mlref.metrics import auc_roc
from mlref.models import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from mlref.models.histogram_tree import (
    _best_splits_fast,
    _drawn_feature_splits,
    _drawn_features,
    _histograms,
    best_splits,
    make_bins,
)


def _level(seed, n=300, d=5, n_nodes=4, integer=False):
    """Bins of tied features, per-row (g, h), rows spread over ``n_nodes`` nodes."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 7, size=(n, d)).astype(float)
    X[:, -1] = rng.normal(size=n)  # one feature with a bin per row
    bins, _ = make_bins(X, max_bin=32)
    if integer:  # a forest's statistics: h = bootstrap count, g = -count * y
        h = rng.integers(0, 3, size=n).astype(float)
        g = -h * rng.integers(0, 2, size=n)
    else:
        g, h = rng.normal(size=n), rng.uniform(0.0, 1.0, n)
        h[rng.random(n) < 0.2] = 0.0  # empty bins and zero-Hessian rows
    rows = np.arange(n)
    node = rng.integers(0, n_nodes, size=n)
    hist = _histograms(bins, rows, node, n_nodes, g, h)
    node_g = np.bincount(node, g, minlength=n_nodes)
    node_h = np.bincount(node, h, minlength=n_nodes)
    return rng, bins, g, h, rows, node, hist, node_g, node_h


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("reg_lambda", "min_child_weight"), [(1.0, 0.0), (0.0, 1.0), (0.5, 2.0)])
def test_fast_split_search_returns_the_readable_searchs_splits_bit_for_bit(
    seed, reg_lambda, min_child_weight
):
    rng, bins, _, _, _, _, hist, node_g, node_h = _level(seed)
    masks = [None, rng.random(bins.n_bins) < 0.6, rng.random((len(node_g), bins.n_bins)) < 0.5]
    for allowed in masks:
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = best_splits(
                hist.copy(), node_g, node_h, bins, reg_lambda, min_child_weight, allowed
            )
        got = _best_splits_fast(hist, node_g, node_h, bins, reg_lambda, min_child_weight, allowed)
        assert got[0].tolist() == expected[0].tolist()
        np.testing.assert_array_equal(got[1], expected[1])


def test_fast_split_search_breaks_ties_at_the_lowest_bin_like_the_readable_one():
    _, bins, _, _, _, _, hist, node_g, node_h = _level(0)
    hist[:] = 0.0  # every cut of every feature ties (gain 0 or invalid)
    hist[:, bins.starts, 1] = 1.0
    hist[:, bins.starts + bins.sizes - 1, 1] = 1.0
    node_h = np.full(len(node_g), 2.0 * bins.n_features)
    expected = best_splits(hist.copy(), node_g * 0, node_h, bins, 1.0, 0.0)
    got = _best_splits_fast(hist, node_g * 0, node_h, bins, 1.0, 0.0)
    assert got[0].tolist() == expected[0].tolist() == [0] * len(node_g)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("integer", [True, False])
def test_drawn_feature_search_equals_the_full_search_masked_to_the_drawn_features(seed, integer):
    rng, bins, g, h, rows, node, hist, node_g, node_h = _level(seed, integer=integer)
    searched = np.array([0, 2, 3]) if seed % 2 else np.arange(len(node_g))
    chosen = _drawn_features(rng, len(searched), bins.n_features, 2)
    drawn = np.zeros((len(searched), bins.n_features), dtype=bool)
    np.put_along_axis(drawn, chosen, True, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected_bin, expected_gain = best_splits(
            hist[searched], node_g[searched], node_h[searched], bins, 0.0, 1.0,
            drawn[:, bins.feature],
        )  # fmt: skip
    got_bin, got_gain = _drawn_feature_splits(
        bins, rows, node, searched, chosen, g, h, node_g, node_h, 0.0, 1.0
    )
    splittable = np.isfinite(expected_gain)
    assert np.isfinite(got_gain).tolist() == splittable.tolist()
    assert got_bin[splittable].tolist() == expected_bin[splittable].tolist()
    if integer:  # integer sums are exact whichever way they are added up
        np.testing.assert_array_equal(got_gain, expected_gain)
    else:
        np.testing.assert_allclose(got_gain[splittable], expected_gain[splittable], rtol=1e-9)


def test_drawn_features_are_distinct_sorted_and_within_the_mask():
    rng = np.random.default_rng(0)
    chosen = _drawn_features(rng, 500, 10, 3)
    assert chosen.shape == (500, 3) and (np.diff(chosen, axis=1) > 0).all()
    assert set(np.bincount(chosen.ravel(), minlength=10) > 100) == {True}  # every feature drawn
    mask = np.arange(10) % 3 == 0
    masked = _drawn_features(rng, 200, 10, 8, feature_mask=mask)
    assert masked.shape == (200, 4) and mask[masked].all()


def _tied_data(seed, n=400, d=4):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 6, size=(n, d)).astype(float)
    X[:, 0] += rng.normal(scale=0.01, size=n).round(2)
    y = (X[:, 0] + X[:, 1] + rng.normal(size=n) > 5).astype(int)
    return X, y


@pytest.mark.parametrize("seed", range(6))
def test_histogram_forest_tree_equals_the_exact_cart_tree_when_every_value_has_a_bin(seed):
    # One tree, no bootstrap, all features: the forest reduces to one CART tree, and with fewer
    # distinct values than bins the histogram search sees every exact threshold.
    X, y = _tied_data(seed)
    settings = {"max_depth": 6, "min_samples_leaf": 5, "max_features": None}
    forest = RandomForestClassifier(
        n_estimators=1, bootstrap=False, splitter="histogram", random_state=seed, **settings
    ).fit(X, y)
    tree = DecisionTreeClassifier(**settings).fit(X, y)
    ours, exact = forest.estimators_[0], tree.tree_
    np.testing.assert_allclose(forest.predict_proba(X), tree.predict_proba(X), atol=1e-12)
    np.testing.assert_allclose(forest.feature_importances_, tree.feature_importances_, atol=1e-9)
    if exact.gain[exact.feature >= 0].min() < 1e-9:
        # CART (as scikit-learn) also splits an impure node whose best split gains nothing (both
        # children keep the parent's class shares); the histogram grower requires a gain, as
        # XGBoost. Such splits change no prediction.
        assert ours.node_count < exact.node_count
        return
    assert ours.feature.tolist() == exact.feature.tolist()
    np.testing.assert_allclose(ours.value, exact.value, atol=1e-12)
    assert ours.n_node_samples.tolist() == exact.n_node_samples.tolist()
    np.testing.assert_allclose(ours.gain, exact.gain, atol=1e-9)  # Gini decrease, not Newton's
    # thresholds differ (the cut point of a bin, not the midpoint of the node's two values), but
    # every training row reaches the same leaf:
    assert ours.apply(X).tolist() == exact.apply(X).tolist()


def test_histogram_regression_forest_tree_equals_the_exact_regression_tree():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 8, size=(300, 3)).astype(float)
    y = X[:, 0] * 2 - X[:, 2] + rng.normal(size=300)
    settings = {"max_depth": 5, "min_samples_leaf": 3, "max_features": None}
    forest = RandomForestRegressor(
        n_estimators=1, bootstrap=False, splitter="histogram", **settings
    ).fit(X, y)
    tree = DecisionTreeRegressor(**settings).fit(X, y)
    assert forest.estimators_[0].feature.tolist() == tree.tree_.feature.tolist()
    np.testing.assert_allclose(forest.predict(X), tree.predict(X), atol=1e-9)
    np.testing.assert_allclose(forest.estimators_[0].gain, tree.tree_.gain, rtol=1e-9, atol=1e-9)


def test_histogram_forest_matches_scikit_learn_on_breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    test = rng.random(len(y)) < 0.3
    settings = {"n_estimators": 60, "min_samples_leaf": 2, "random_state": 0}
    ours = RandomForestClassifier(splitter="histogram", max_bins=64, **settings)
    p = ours.fit(X[~test], y[~test]).predict_proba(X[test])[:, 1]
    p_sk = SklearnForest(n_jobs=1, **settings).fit(X[~test], y[~test]).predict_proba(X[test])[:, 1]
    ours_auc, sk_auc = auc_roc(y[test], p), auc_roc(y[test], p_sk)
    print(f"test AUC: histogram forest {ours_auc:.4f}, scikit-learn {sk_auc:.4f}")
    assert abs(ours_auc - sk_auc) < 0.01
    assert abs(np.mean((p > 0.5) == y[test]) - np.mean((p_sk > 0.5) == y[test])) < 0.03
    assert len(ours.bin_edges_) == X.shape[1] and max(map(len, ours.bin_edges_)) <= 63


def test_histogram_regression_forest_is_close_to_the_exact_one():
    X, y = make_regression(n_samples=400, n_features=6, noise=5.0, random_state=0)
    exact = RandomForestRegressor(n_estimators=30, random_state=0).fit(X[:300], y[:300])
    hist = RandomForestRegressor(n_estimators=30, splitter="histogram", random_state=0)
    hist.fit(X[:300], y[:300])
    error_exact = np.mean((exact.predict(X[300:]) - y[300:]) ** 2)
    error_hist = np.mean((hist.predict(X[300:]) - y[300:]) ** 2)
    print(f"test MSE: exact {error_exact:.1f}, histogram {error_hist:.1f}")
    assert error_hist < 1.1 * error_exact


def test_histogram_forest_is_reproducible_and_weights_act_as_copies():
    X, y = _tied_data(0)
    forest = RandomForestClassifier(n_estimators=5, splitter="histogram", random_state=3)
    p1 = forest.fit(X, y).predict_proba(X)
    p2 = RandomForestClassifier(n_estimators=5, splitter="histogram", random_state=3)
    np.testing.assert_array_equal(p1, p2.fit(X, y).predict_proba(X))
    one = {"n_estimators": 1, "bootstrap": False, "splitter": "histogram", "max_features": None}
    doubled = RandomForestClassifier(**one).fit(np.vstack([X, X[:50]]), np.r_[y, y[:50]])
    weight = np.r_[np.full(50, 2.0), np.ones(350)]
    weighted = RandomForestClassifier(**one).fit(X, y, sample_weight=weight)
    np.testing.assert_allclose(doubled.predict_proba(X), weighted.predict_proba(X), atol=1e-12)


@pytest.mark.parametrize(
    ("params", "y", "message"),
    [
        ({"splitter": "fast"}, None, "splitter"),
        ({"splitter": 1}, None, "splitter"),
        ({"splitter": "histogram", "max_bins": 1}, None, "max_bins"),
        ({"splitter": "histogram", "max_bins": "many"}, None, "max_bins"),
        ({"splitter": "histogram", "criterion": "entropy"}, None, "criterion"),
        ({"splitter": "histogram", "min_samples_leaf": 0}, None, "min_samples_leaf"),
        ({"splitter": "histogram", "min_samples_split": 1}, None, "min_samples_split"),
        ({"splitter": "histogram", "max_features": 9}, None, "max_features"),
        ({"splitter": "histogram"}, np.arange(400) % 3, "splitter='exact'"),
    ],
)
def test_histogram_forest_refuses_bad_settings(params, y, message):
    X, y01 = _tied_data(0)
    with pytest.raises((ValueError, TypeError), match=message):
        RandomForestClassifier(n_estimators=2, **params).fit(X, y01 if y is None else y)


def test_histogram_forest_refuses_a_tree_without_weighted_rows():
    X, y = _tied_data(0, n=10)
    weight = np.r_[1.0, np.zeros(9)]
    forest = RandomForestClassifier(n_estimators=20, splitter="histogram", random_state=0)
    with pytest.raises(ValueError, match="sample_weight"):
        forest.fit(X, np.r_[0, 1, y[2:]], sample_weight=weight)
