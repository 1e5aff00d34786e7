"""tree_shap on scikit-learn's trees, forests and gradient boosting, and on XGBoost with NaN inputs.

Each case is compared with ``shap.TreeExplainer`` (path-dependent, the default) on random models,
with ties at the thresholds and tiny models (a stump, a single leaf), and the attributions must
add up to the model's own output.
"""

import numpy as np
import pytest
import shap
import xgboost
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from mlref.interpret import tree_shap
from mlref.models import GradientBoostingClassifier as MlrefGBC


def _data(seed, n=300, d=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[:, 0] = np.round(X[:, 0])  # few distinct values: ties at thresholds
    X[:, 1] = np.round(X[:, 1], 1)
    y = X[:, 0] + X[:, 1] * X[:, 2] + 0.3 * rng.normal(size=n)
    return X, y


def _shap_values(model, X):
    explainer = shap.TreeExplainer(model)
    values = np.asarray(explainer.shap_values(X))
    expected = np.ravel(explainer.expected_value)
    if values.ndim == 3:  # classifiers: (rows, features, classes); the positive class
        return values[..., 1], expected[1]
    return values, expected[0]


def _model_output(model, X):
    if isinstance(model, GradientBoostingClassifier):
        return model.decision_function(X)  # shap explains the log-odds margin
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, 1]
    return model.predict(X)


SKLEARN_MODELS = {
    "tree classifier": lambda s: DecisionTreeClassifier(max_depth=5, random_state=s),
    "tree regressor": lambda s: DecisionTreeRegressor(max_depth=6, random_state=s),
    "tree, min_samples_leaf": lambda s: DecisionTreeRegressor(min_samples_leaf=7, random_state=s),
    "forest classifier": lambda s: RandomForestClassifier(
        n_estimators=8, max_depth=4, random_state=s
    ),
    "forest regressor": lambda s: RandomForestRegressor(
        n_estimators=8, max_depth=6, random_state=s
    ),
    "boosting classifier": lambda s: GradientBoostingClassifier(
        n_estimators=15, max_depth=3, subsample=0.7, random_state=s
    ),
    "boosting regressor": lambda s: GradientBoostingRegressor(
        n_estimators=15, max_depth=4, learning_rate=0.3, random_state=s
    ),
    "boosting, huber": lambda s: GradientBoostingRegressor(
        n_estimators=10, max_depth=2, loss="huber", random_state=s
    ),
    "stump": lambda s: DecisionTreeRegressor(max_depth=1, random_state=s),
}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", list(SKLEARN_MODELS))
def test_tree_shap_equals_shap_on_scikit_learn_models(name, seed):
    X, y = _data(seed)
    model = SKLEARN_MODELS[name](seed)
    model.fit(X, (y > 0).astype(int) if "classifier" in name else y)
    rows = X[:40]
    ours = tree_shap(model, rows)
    theirs, expected = _shap_values(model, rows)
    np.testing.assert_allclose(ours.phi, theirs, rtol=0, atol=1e-6)
    assert abs(ours.base_value - expected) < 1e-6
    np.testing.assert_allclose(ours.output(), _model_output(model, rows), rtol=0, atol=1e-10)


def test_tree_shap_of_a_single_leaf_is_its_value():
    X = np.random.default_rng(0).normal(size=(20, 3))
    model = DecisionTreeRegressor().fit(X, np.full(20, 2.5))
    assert model.tree_.node_count == 1
    ours = tree_shap(model, X[:4])
    theirs, expected = _shap_values(model, X[:4])
    assert np.all(ours.phi == 0) and np.all(theirs == 0)
    assert ours.base_value == pytest.approx(expected) == 2.5
    forest = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, np.full(20, -1.0))
    np.testing.assert_allclose(tree_shap(forest, X[:2]).output(), -1.0, atol=1e-12)
    with pytest.raises(ValueError, match="1-class"):
        tree_shap(DecisionTreeClassifier().fit(X, np.ones(20, dtype=int)), X)


def test_tree_shap_matches_shap_on_a_wide_random_forest_with_one_row():
    X, y = _data(3, n=120, d=9)
    model = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, y)  # fully grown
    ours = tree_shap(model, X[:1])
    theirs, _ = _shap_values(model, X[:1])
    np.testing.assert_allclose(ours.phi, theirs, atol=1e-6)
    np.testing.assert_allclose(ours.output(), model.predict(X[:1]), atol=1e-10)


def test_scikit_learn_models_tree_shap_refuses():
    X, y = _data(0, n=90, d=3)
    three = np.arange(90) % 3
    cases = [
        (DecisionTreeClassifier(max_depth=2).fit(X, three), "3-class"),
        (RandomForestClassifier(n_estimators=2, max_depth=2).fit(X, three), "3-class"),
        (GradientBoostingClassifier(n_estimators=2, max_depth=2).fit(X, three), "3-class"),
        (DecisionTreeRegressor(max_depth=2).fit(X, np.c_[y, -y]), "multi-output"),
    ]
    for model, message in cases:
        with pytest.raises(ValueError, match=message):
            tree_shap(model, X)
    regressor = GradientBoostingRegressor(n_estimators=2, max_depth=2).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features"):
        tree_shap(regressor, X[:, :2])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        tree_shap(GradientBoostingRegressor(), X)
    from sklearn.ensemble import ExtraTreesRegressor

    with pytest.raises(ValueError, match="not a supported tree ensemble"):
        tree_shap(ExtraTreesRegressor(n_estimators=2).fit(X, y), X)


def _with_missing(X, share, seed):
    rng = np.random.default_rng(seed)
    X = X.copy()
    X[rng.random(X.shape) < share] = np.nan
    X[0] = np.nan  # a row with every value missing
    return X


@pytest.mark.parametrize("depth", [1, 3, 6])
@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_tree_shap_equals_shap_on_xgboost_with_missing_values(depth, kind):
    X, y = _data(depth)
    X = _with_missing(X, 0.25, depth)
    if kind == "classifier":
        model = xgboost.XGBClassifier(n_estimators=25, max_depth=depth, n_jobs=1, random_state=0)
        model.fit(X, (y > 0).astype(int))
    else:
        model = xgboost.XGBRegressor(n_estimators=25, max_depth=depth, n_jobs=1, random_state=0)
        model.fit(X, y)
    rows = X[:60]
    ours = tree_shap(model, rows)
    theirs = shap.TreeExplainer(model).shap_values(rows)
    # shap returns float32: equal to 1e-6 plus float32 rounding of the value itself.
    np.testing.assert_allclose(ours.phi, theirs, rtol=1e-6, atol=1e-6)
    margin = model.predict(rows, output_margin=True)
    np.testing.assert_allclose(ours.output(), margin, atol=1e-5)


def test_missing_values_seen_only_when_explaining_follow_the_default_direction():
    X, y = _data(5)
    model = xgboost.XGBRegressor(n_estimators=20, max_depth=4, n_jobs=1, random_state=0)
    model.fit(X, y)  # no missing value in training: XGBoost's default direction is left
    rows = _with_missing(X[:50], 0.3, 1)
    ours = tree_shap(model, rows)
    np.testing.assert_allclose(ours.phi, shap.TreeExplainer(model).shap_values(rows), atol=2e-6)
    np.testing.assert_allclose(ours.output(), model.predict(rows, output_margin=True), atol=1e-5)


def test_nan_is_refused_for_models_that_do_not_route_it():
    X, y = _data(0, n=100, d=3)
    rows = _with_missing(X[:5], 0.0, 0)
    for model in (
        DecisionTreeRegressor(max_depth=2).fit(X, y),
        GradientBoostingRegressor(n_estimators=2).fit(X, y),
        MlrefGBC(n_estimators=2, max_depth=2, tree_method="exact").fit(X, (y > 0).astype(int)),
    ):
        with pytest.raises(ValueError, match="X holds NaN"):
            tree_shap(model, rows)
    booster = xgboost.XGBRegressor(n_estimators=2, max_depth=2).fit(X, y).get_booster()
    infinite = X[:3].copy()
    infinite[1, 2] = -np.inf
    with pytest.raises(ValueError, match="X holds infinite"):
        tree_shap(booster, infinite)
    assert np.isfinite(tree_shap(booster, rows).phi).all()


@pytest.mark.parametrize("m", [1, 2, 5, 8])
def test_pattern_table_equals_the_readable_polynomial(m):
    import sys

    module = sys.modules["mlref.interpret.tree_shap"]  # the package exports a function of that name
    rng = np.random.default_rng(m)
    n_leaves = 7
    zero = rng.random((n_leaves, m))
    zero[0] = 1.0  # a slot every coalition takes (cover fraction 1)
    zero[1, 0] = 0.0  # an empty branch
    zero[2] = rng.choice([0.25, 0.5], size=m)  # ties between slots
    group = module._LeafGroup(
        m,
        rng.normal(size=n_leaves),
        zero,
        np.tile(np.arange(m), (n_leaves, 1)),
        np.full((n_leaves, m), -np.inf),
        np.full((n_leaves, m), np.inf),
        np.ones((n_leaves, m), dtype=bool),
    )
    table = module._pattern_table(group).reshape(n_leaves, 1 << m, m)
    bits = ((np.arange(1 << m)[:, None] >> np.arange(m)) & 1).astype(np.float64)
    one = np.broadcast_to(bits[:, None, :], (1 << m, n_leaves, m))
    readable = module._group_contributions(group, one)  # (patterns, leaves, m)
    np.testing.assert_allclose(table, readable.transpose(1, 0, 2), rtol=0, atol=1e-13)
