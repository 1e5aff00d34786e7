"""mlref.interpret against shap, scikit-learn and brute-force Shapley values."""

from itertools import combinations
from math import factorial

import numpy as np
import pytest
import shap
import sklearn.inspection
import xgboost
from sklearn.ensemble import GradientBoostingRegressor as SkGBR
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from mlref.interpret import (
    exact_shapley,
    kernel_shap,
    lime_explanation,
    partial_dependence,
    permutation_importance,
    tree_shap,
)
from mlref.interpret._trees import read_ensemble
from mlref.ltr import LambdaMART
from mlref.models import (
    DecisionTreeRegressor,
    GradientBoostingClassifier,
    RandomForestClassifier,
)


def _data(seed, n=300, d=5, ties=True):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if ties:
        X[:, 0] = np.round(X[:, 0])  # few distinct values: ties at thresholds
    y = X[:, 0] + X[:, 1] * X[:, 2] + 0.3 * rng.normal(size=n)
    return X, y


def _path_dependent_value(ensemble, x, known):
    """E[f | x_S] by walking every tree, both children weighted by cover off S (brute force)."""
    total = ensemble.base
    for tree in ensemble.trees:

        def walk(node, tree=tree):
            f = tree.feature[node]
            if f < 0:
                return tree.value[node]
            if f in known:
                v = x[f]
                left = v < tree.threshold[node] if ensemble.strict else v <= tree.threshold[node]
                return walk(tree.left[node] if left else tree.right[node])
            cl, cr, c = tree.cover[tree.left[node]], tree.cover[tree.right[node]], tree.cover[node]
            return (cl * walk(tree.left[node]) + cr * walk(tree.right[node])) / c

        total += ensemble.scale * walk(0)
    return total


def _brute_force_shap(ensemble, x):
    d = x.size
    phi = np.zeros(d)
    for i in range(d):
        others = [j for j in range(d) if j != i]
        for k in range(d):
            w = factorial(k) * factorial(d - k - 1) / factorial(d)
            for S in combinations(others, k):
                with_i = _path_dependent_value(ensemble, x, {*S, i})
                phi[i] += w * (with_i - _path_dependent_value(ensemble, x, set(S)))
    return phi


@pytest.mark.parametrize("depth", [1, 3, 6])
@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_tree_shap_equals_shap_tree_explainer_on_xgboost(depth, kind):
    X, y = _data(depth)
    if kind == "classifier":
        model = xgboost.XGBClassifier(n_estimators=30, max_depth=depth, n_jobs=1, random_state=0)
        model.fit(X, (y > 0).astype(int))
    else:
        model = xgboost.XGBRegressor(n_estimators=30, max_depth=depth, n_jobs=1, random_state=0)
        model.fit(X, y)
    ours = tree_shap(model, X[:60])
    theirs = shap.TreeExplainer(model).shap_values(X[:60])
    # shap returns float32: equal to 1e-6 plus float32 rounding of the value itself.
    np.testing.assert_allclose(ours.phi, theirs, rtol=1e-6, atol=1e-6)
    margin = model.predict(X[:60], output_margin=True)
    np.testing.assert_allclose(ours.output(), margin, atol=1e-5)


def test_tree_shap_on_an_xgboost_ranker_and_booster():
    X, y = _data(7)
    ranker = xgboost.XGBRanker(n_estimators=20, max_depth=4, n_jobs=1, random_state=0)
    ranker.fit(X, np.digitize(y, [-1, 0, 1]), qid=np.repeat(np.arange(30), 10))
    ours = tree_shap(ranker.get_booster(), X[:40])
    theirs = shap.TreeExplainer(ranker).shap_values(X[:40])
    np.testing.assert_allclose(ours.phi, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "model",
    [
        DecisionTreeRegressor(max_depth=4),
        RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0),
        GradientBoostingClassifier(n_estimators=4, max_depth=3, tree_method="exact"),
    ],
    ids=["tree", "forest", "boosting"],
)
def test_tree_shap_equals_brute_force_on_mlref_trees(model):
    X, y = _data(11, n=200, d=4)
    model.fit(X, y if isinstance(model, DecisionTreeRegressor) else (y > 0).astype(int))
    ours = tree_shap(model, X[:5])
    ensemble, _ = read_ensemble(model, X)
    for row in range(5):
        expected = _brute_force_shap(ensemble, X[row])
        np.testing.assert_allclose(ours.phi[row], expected, atol=1e-10)
    if hasattr(model, "predict_proba"):
        output = model.predict_proba(X[:5])[:, 1]
        if isinstance(model, GradientBoostingClassifier):
            output = model.decision_function(X[:5])
    else:
        output = model.predict(X[:5])
    np.testing.assert_allclose(ours.output(), output, atol=1e-10)


def test_tree_shap_on_histogram_trees_counts_covers_on_data():
    X, y = _data(3, n=200, d=4)
    ranker = LambdaMART(n_estimators=5, max_depth=3, random_state=0)
    ranker.fit(X, np.digitize(y, [-1, 0, 1]), group=np.repeat(np.arange(20), 10))
    with pytest.raises(ValueError, match="data"):
        tree_shap(ranker, X[:3])
    ours = tree_shap(ranker, X[:3], data=X)
    ensemble, _ = read_ensemble(ranker, X)
    ensemble = ensemble.with_covers_from(X)
    np.testing.assert_allclose(ours.phi[0], _brute_force_shap(ensemble, X[0]), atol=1e-10)
    np.testing.assert_allclose(ours.output(), ranker.predict(X[:3]), atol=1e-10)
    assert abs(ours.base_value - ranker.predict(X).mean()) < 1e-10  # covers counted on X


def test_tree_shap_refuses_bad_models_and_inputs():
    X, y = _data(0, n=100, d=3)
    with pytest.raises(ValueError, match="not a supported tree ensemble"):
        tree_shap(LinearRegression().fit(X, y), X)
    model = xgboost.XGBRegressor(n_estimators=3, max_depth=2).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        tree_shap(model, X[:, :2])
    bad = X.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="X"):
        tree_shap(model, bad)
    multi = xgboost.XGBClassifier(n_estimators=2, max_depth=2).fit(X, np.arange(100) % 3)
    with pytest.raises(ValueError, match="multi-output"):
        tree_shap(multi, X)


def _mlp_like(seed, d):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(d, 6))
    v = rng.normal(size=6)
    return lambda Z: np.tanh(Z @ W) @ v + Z[:, 0] * Z[:, -1]


@pytest.mark.parametrize("d", [1, 2, 5, 8])
def test_kernel_shap_over_all_coalitions_is_the_exact_shapley_value(d):
    rng = np.random.default_rng(d)
    f = _mlp_like(d, d)
    X, background = rng.normal(size=(3, d)), rng.normal(size=(7, d))
    exact = exact_shapley(f, X, background)
    kernel = kernel_shap(f, X, background)
    np.testing.assert_allclose(kernel.phi, exact.phi, atol=1e-10)
    np.testing.assert_allclose(exact.output(), f(X), atol=1e-10)  # efficiency
    assert abs(exact.base_value - f(background).mean()) < 1e-12


def test_exact_shapley_of_a_linear_model_is_weight_times_deviation():
    rng = np.random.default_rng(0)
    w = rng.normal(size=4)
    X, background = rng.normal(size=(5, 4)), rng.normal(size=(9, 4))
    phi = exact_shapley(lambda Z: Z @ w, X, background)
    np.testing.assert_allclose(phi.phi, w * (X - background.mean(axis=0)), atol=1e-12)


def test_kernel_shap_equals_shap_kernel_explainer_and_sampling_converges():
    rng = np.random.default_rng(5)
    f = _mlp_like(5, 6)
    X, background = rng.normal(size=(2, 6)), rng.normal(size=(5, 6))
    theirs = shap.KernelExplainer(f, background).shap_values(X, nsamples=2**6, silent=True)
    ours = kernel_shap(f, X, background)
    np.testing.assert_allclose(ours.phi, theirs, atol=1e-8)
    sampled = kernel_shap(f, X, background, n_samples=40, random_state=0)
    again = kernel_shap(f, X, background, n_samples=40, random_state=0)
    np.testing.assert_array_equal(sampled.phi, again.phi)
    np.testing.assert_allclose(sampled.output(), f(X), atol=1e-10)
    assert np.abs(sampled.phi - ours.phi).max() < 0.25 * np.abs(ours.phi).max()


def test_lime_is_reproducible_and_equals_a_weighted_ridge():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 3)) * [1.0, 2.0, 0.5]
    f = _mlp_like(2, 3)
    x = X[0]
    first = lime_explanation(f, x, X, n_samples=500, random_state=4)
    again = lime_explanation(f, x, X, n_samples=500, random_state=4)
    other = lime_explanation(f, x, X, n_samples=500, random_state=5)
    np.testing.assert_array_equal(first.coef, again.coef)
    assert not np.array_equal(first.coef, other.coef)
    eps = np.random.default_rng(4).standard_normal((500, 3))
    weight = np.sqrt(np.exp(-(eps**2).sum(axis=1) / (0.75 * np.sqrt(3)) ** 2))
    ridge = Ridge(alpha=1.0).fit(eps, f(x + eps * X.std(axis=0)), sample_weight=weight)
    np.testing.assert_allclose(first.coef, ridge.coef_, atol=1e-10)
    assert abs(first.intercept - ridge.intercept_) < 1e-10
    linear = lime_explanation(lambda Z: Z @ [1.0, -2.0, 3.0], x, X, alpha=0.0, random_state=0)
    np.testing.assert_allclose(linear.coef, [1.0, -2.0, 3.0] * X.std(axis=0), atol=1e-10)
    assert linear.score == pytest.approx(1.0)


@pytest.mark.parametrize("which", ["sk_regressor", "sk_classifier", "mlref_classifier"])
def test_partial_dependence_equals_scikit_learn(which):
    X, y = _data(9, n=150, d=3)
    if which == "sk_regressor":
        model = SkGBR(n_estimators=20, max_depth=2, random_state=0).fit(X, y)
    elif which == "sk_classifier":
        model = SkLogisticRegression().fit(X, (y > 0).astype(int))
    else:
        model = GradientBoostingClassifier(n_estimators=5, max_depth=2).fit(X, (y > 0).astype(int))
    for feature, resolution in ((0, 100), (1, 20)):
        ours = partial_dependence(model, X, feature, grid_resolution=resolution)
        theirs = sklearn.inspection.partial_dependence(
            model, X, [feature], kind="both", method="brute", grid_resolution=resolution
        )
        np.testing.assert_allclose(ours.grid, theirs["grid_values"][0], atol=1e-12)
        np.testing.assert_allclose(ours.average, theirs["average"][0], atol=1e-10)
        np.testing.assert_allclose(ours.individual, theirs["individual"][0], atol=1e-10)


@pytest.mark.parametrize("scoring", [None, "roc_auc", "neg_log_loss"])
def test_permutation_importance_equals_scikit_learn(scoring):
    X, y = _data(4, n=200, d=4)
    labels = (y > 0).astype(int)
    model = SkLogisticRegression().fit(X, labels)
    ours = permutation_importance(model, X, labels, scoring=scoring, n_repeats=3, random_state=7)
    theirs = sklearn.inspection.permutation_importance(
        model, X, labels, scoring=scoring, n_repeats=3, random_state=7
    )
    np.testing.assert_allclose(ours.importances, theirs.importances, atol=1e-12)
    np.testing.assert_allclose(ours.importances_std, theirs.importances_std, atol=1e-12)


def test_interpretation_functions_refuse_bad_input():
    X, y = _data(2, n=50, d=3)
    model = LinearRegression().fit(X, y)
    with pytest.raises(ValueError, match="background"):
        kernel_shap(model.predict, X[:2], np.ones((4, 2)))
    with pytest.raises(ValueError, match="predict"):
        exact_shapley("model", X[:2], X)
    with pytest.raises(ValueError, match="exact enumeration"):
        exact_shapley(lambda Z: Z[:, 0], np.ones((1, 15)), np.zeros((1, 15)))
    with pytest.raises(ValueError, match="features"):
        partial_dependence(model, X[:, :2], 0)
    with pytest.raises(ValueError, match="feature"):
        partial_dependence(model, X, 5)
    with pytest.raises(ValueError, match="random_state"):
        permutation_importance(model, X, y, random_state=np.random.default_rng(0))
    with pytest.raises(ValueError, match="X_train"):
        lime_explanation(model.predict, X[0], X[:, :2])


def test_tree_shap_tabulated_and_row_by_row_paths_agree(monkeypatch):
    import sys

    module = sys.modules["mlref.interpret.tree_shap"]  # the package exports a function of that name
    X, y = _data(8, n=300, d=6)
    model = xgboost.XGBRegressor(n_estimators=10, max_depth=5, n_jobs=1).fit(X, y)
    tabulated = tree_shap(model, X[:60]).phi
    monkeypatch.setattr(module, "_MAX_PATTERN_BITS", 0)
    np.testing.assert_allclose(tree_shap(model, X[:60]).phi, tabulated, atol=1e-12)


def test_tree_shap_explains_a_model_fitted_on_a_dataframe():
    import pandas as pd

    X, y = _data(12, n=200, d=3)
    frame = pd.DataFrame(X, columns=["price", "rating", "ctr"])
    model = xgboost.XGBRegressor(n_estimators=5, max_depth=3, n_jobs=1).fit(frame, y)
    ours = tree_shap(model, frame.iloc[:10])
    np.testing.assert_allclose(
        ours.output(), model.predict(frame.iloc[:10], output_margin=True), atol=1e-5
    )
