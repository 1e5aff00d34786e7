"""Trees, forests and boosted trees from scratch agree with scikit-learn and XGBoost."""

import doctest

import numpy as np
import pytest
import xgboost
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import tree as sk_tree
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier as SklearnRandomForest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import log_loss, mean_squared_error

from mlref.models import trees
from mlref.models.trees import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
)

FEW = settings(max_examples=15, deadline=None)


def _structure(feature, threshold, left, right, node=0):
    """Nested (feature, threshold, left subtree, right subtree) from the root; None at leaves."""
    if left[node] == -1:
        return None
    return (
        int(feature[node]),
        float(threshold[node]),
        _structure(feature, threshold, left, right, left[node]),
        _structure(feature, threshold, left, right, right[node]),
    )


def _impurity(y, criterion, n_classes):
    if criterion == "squared_error":
        return float(np.var(y))
    p = np.bincount(y, minlength=n_classes) / y.size
    if criterion == "gini":
        return 1.0 - (p**2).sum()
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def _decrease(X, y, split, criterion, n_classes):
    left = X[:, split[0]] <= split[1]
    return y.size * _impurity(y, criterion, n_classes) - sum(
        side.sum() * _impurity(y[side], criterion, n_classes) for side in (left, ~left)
    )


def _compare(ours, theirs, X, y, criterion, n_classes=0):
    """'same' if the trees agree, 'tie' if they first differ at an equally good split.

    Fails if our tree is a leaf where scikit-learn's splits (or vice versa), or if our split
    at the first difference lowers the impurity less than scikit-learn's.
    """
    if ours is None or theirs is None:
        assert ours is None and theirs is None
        return "same"
    if ours[0] != theirs[0] or not np.isclose(ours[1], theirs[1], rtol=1e-12, atol=0):
        ours_gain = _decrease(X, y, ours, criterion, n_classes)
        theirs_gain = _decrease(X, y, theirs, criterion, n_classes)
        assert ours_gain == pytest.approx(theirs_gain, rel=1e-9, abs=1e-12)
        return "tie"
    left = X[:, ours[0]] <= ours[1]
    results = {
        _compare(ours[2], theirs[2], X[left], y[left], criterion, n_classes),
        _compare(ours[3], theirs[3], X[~left], y[~left], criterion, n_classes),
    }
    return "tie" if "tie" in results else "same"


def _same_structure(ours, theirs):
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return (
        ours[0] == theirs[0]
        and np.isclose(ours[1], theirs[1], rtol=1e-12, atol=0)
        and _same_structure(ours[2], theirs[2])
        and _same_structure(ours[3], theirs[3])
    )


def _tree_structures(ours, theirs):
    a, b = ours.tree_, theirs.tree_
    return (
        _structure(a.feature, a.threshold, a.children_left, a.children_right),
        _structure(b.feature, b.threshold, b.children_left, b.children_right),
    )


def _small_data(seed, *, n_classes=2):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    d = int(rng.integers(1, 5))
    # float32-representable values, since scikit-learn splits on float32 copies of X
    X = rng.normal(size=(n, d)).astype(np.float32).astype(np.float64)
    y = rng.integers(0, n_classes, size=n)
    y[:2] = [0, 1]
    return X, y


@FEW
@given(
    seed=st.integers(0, 10_000),
    criterion=st.sampled_from(["gini", "entropy"]),
    max_depth=st.integers(1, 3),
    min_samples_leaf=st.integers(1, 4),
    n_classes=st.integers(2, 3),
)
def test_classification_tree_matches_sklearn_splits(
    seed, criterion, max_depth, min_samples_leaf, n_classes
):
    X, y = _small_data(seed, n_classes=n_classes)
    params = {"criterion": criterion, "max_depth": max_depth, "min_samples_leaf": min_samples_leaf}
    ours = DecisionTreeClassifier(**params).fit(X, y)
    theirs = sk_tree.DecisionTreeClassifier(**params, random_state=0).fit(X, y)
    outcome = _compare(*_tree_structures(ours, theirs), X, y, criterion, n_classes)
    if outcome == "same":
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-12)


def test_classification_tree_structure_matches_sklearn_on_fixed_seeds():
    outcomes = []
    for seed in range(40):
        X, y = _small_data(seed)
        ours = DecisionTreeClassifier(max_depth=3).fit(X, y)
        theirs = sk_tree.DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
        outcomes.append(_compare(*_tree_structures(ours, theirs), X, y, "gini", 2))
        if outcomes[-1] == "same":
            np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    # random 0/1 labels on tiny sets tie often; most trees still match split for split
    assert outcomes.count("same") >= 25


@FEW
@given(seed=st.integers(0, 10_000), max_depth=st.integers(1, 3))
def test_regression_tree_matches_sklearn(seed, max_depth):
    X, _ = _small_data(seed)
    y = np.random.default_rng(seed + 1).normal(size=X.shape[0])
    ours = DecisionTreeRegressor(max_depth=max_depth).fit(X, y)
    theirs = sk_tree.DecisionTreeRegressor(max_depth=max_depth, random_state=0).fit(X, y)
    outcome = _compare(*_tree_structures(ours, theirs), X, y, "squared_error")
    if outcome == "same":
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10, atol=1e-12)


@pytest.fixture(scope="module")
def classification_data():
    X, y = make_classification(n_samples=2000, n_features=20, random_state=0)
    return X[:1500], X[1500:], y[:1500], y[1500:]


@pytest.mark.parametrize("criterion", ["gini", "entropy"])
def test_full_tree_accuracy_matches_sklearn(classification_data, criterion):
    X_train, X_test, y_train, y_test = classification_data
    ours = DecisionTreeClassifier(criterion=criterion).fit(X_train, y_train)
    theirs = sk_tree.DecisionTreeClassifier(criterion=criterion, random_state=0)
    theirs.fit(X_train, y_train)
    assert ours.score(X_train, y_train) == 1.0
    assert abs(ours.score(X_test, y_test) - theirs.score(X_test, y_test)) <= 0.01
    assert abs(ours.get_depth() - theirs.get_depth()) <= 1


def test_random_forest_accuracy_matches_sklearn(classification_data):
    X_train, X_test, y_train, y_test = classification_data
    params = {"n_estimators": 40, "max_depth": 8, "max_features": "sqrt"}
    ours = RandomForestClassifier(**params, random_state=0).fit(X_train, y_train)
    theirs = SklearnRandomForest(**params, random_state=0).fit(X_train, y_train)
    assert abs(ours.score(X_test, y_test) - theirs.score(X_test, y_test)) <= 0.02
    proba = ours.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert len(ours.estimators_) == 40


def test_random_forest_is_deterministic_per_seed(classification_data):
    X_train, X_test, y_train, _ = classification_data
    fit = lambda seed: RandomForestClassifier(5, random_state=seed).fit(X_train, y_train)  # noqa: E731
    np.testing.assert_array_equal(fit(3).predict_proba(X_test), fit(3).predict_proba(X_test))
    assert not np.array_equal(fit(3).predict_proba(X_test), fit(4).predict_proba(X_test))


def test_feature_subsampling_uses_only_drawn_features():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6))
    y = (X[:, 0] > 0).astype(int)
    full = DecisionTreeClassifier(max_depth=1).fit(X, y)
    assert full.tree_.feature[0] == 0
    stumps = [
        DecisionTreeClassifier(max_depth=1, max_features=1, random_state=s) for s in range(20)
    ]
    roots = {int(stump.fit(X, y).tree_.feature[0]) for stump in stumps}
    assert len(roots) > 1


GBDT = {
    "n_estimators": 20,
    "max_depth": 3,
    "learning_rate": 0.3,
    "reg_lambda": 1.0,
    "min_child_weight": 1.0,
}


@pytest.mark.parametrize("settings_", [GBDT, {**GBDT, "reg_lambda": 5.0, "max_depth": 2}])
def test_gbdt_classifier_matches_xgboost_exact(classification_data, settings_):
    X_train, X_test, y_train, y_test = classification_data
    ours = GradientBoostingClassifier(**settings_, base_score=0.5).fit(X_train, y_train)
    theirs = xgboost.XGBClassifier(tree_method="exact", base_score=0.5, **settings_)
    theirs.fit(X_train, y_train)
    ours_loss = log_loss(y_test, ours.predict_proba(X_test))
    theirs_loss = log_loss(y_test, theirs.predict_proba(X_test))
    assert abs(ours_loss - theirs_loss) <= 0.02 * theirs_loss
    # Same trees: probabilities agree up to XGBoost's float32 arithmetic.
    np.testing.assert_allclose(ours.predict_proba(X_test), theirs.predict_proba(X_test), atol=1e-5)


def test_gbdt_regressor_matches_xgboost_exact():
    X, y = make_regression(n_samples=1500, n_features=10, noise=10.0, random_state=1)
    ours = GradientBoostingRegressor(**GBDT, base_score=0.0).fit(X[:1000], y[:1000])
    theirs = xgboost.XGBRegressor(tree_method="exact", base_score=0.0, **GBDT)
    theirs.fit(X[:1000], y[:1000])
    ours_mse = mean_squared_error(y[1000:], ours.predict(X[1000:]))
    theirs_mse = mean_squared_error(y[1000:], theirs.predict(X[1000:]))
    assert abs(ours_mse - theirs_mse) <= 0.02 * theirs_mse
    np.testing.assert_allclose(ours.predict(X[1000:]), theirs.predict(X[1000:]), rtol=1e-4)


def test_newton_leaf_value_and_gain_by_hand():
    # Squared error, base 0: g = -y, h = 1. One split of {0, 0 | 4, 6} with lambda = 1:
    # left w = 0 / 3 = 0, right w = 10 / 3; gain = 1/2 (0 + 100/3 - 100/5) > 0.
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0.0, 0.0, 4.0, 6.0])
    model = GradientBoostingRegressor(
        n_estimators=1, max_depth=1, learning_rate=1.0, reg_lambda=1.0, base_score=0.0
    ).fit(X, y)
    tree = model.estimators_[0]
    assert tree.threshold[0] == 1.5
    np.testing.assert_allclose(model.predict(X), [0.0, 0.0, 10 / 3, 10 / 3])
    # gamma above the gain (1/2 * (100/3 - 20) = 6.67) stops the split
    stopped = GradientBoostingRegressor(
        n_estimators=1, max_depth=1, learning_rate=1.0, gamma=7.0, base_score=0.0
    ).fit(X, y)
    np.testing.assert_allclose(stopped.predict(X), np.full(4, 10 / 5))


def test_gini_split_by_hand_and_tiny_inputs():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    model = DecisionTreeClassifier().fit(X, ["a", "a", "b", "b"])
    assert model.tree_.threshold[0] == 1.5
    assert model.predict([[1.4], [1.6]]).tolist() == ["a", "b"]
    # two samples, two classes: one split; constant features: a single leaf
    assert DecisionTreeClassifier().fit([[0.0], [1.0]], [0, 1]).get_n_leaves() == 2
    constant = DecisionTreeClassifier().fit([[1.0], [1.0], [1.0]], [0, 1, 1])
    assert constant.get_n_leaves() == 1
    np.testing.assert_allclose(constant.predict_proba([[5.0]]), [[1 / 3, 2 / 3]])
    one = DecisionTreeRegressor().fit([[2.0]], [3.0])
    assert one.predict([[0.0], [9.0]]).tolist() == [3.0, 3.0]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: DecisionTreeClassifier(criterion="mse"), "criterion"),
        (lambda: DecisionTreeClassifier(max_depth=0), "max_depth"),
        (lambda: DecisionTreeClassifier(min_samples_leaf=0), "min_samples_leaf"),
        (lambda: DecisionTreeClassifier(min_samples_split=1), "min_samples_split"),
        (lambda: DecisionTreeClassifier(max_features=0), "max_features"),
        (lambda: DecisionTreeClassifier(max_features=1.5), "max_features"),
        (lambda: DecisionTreeClassifier(max_features="half"), "max_features"),
        (lambda: RandomForestClassifier(n_estimators=0), "n_estimators"),
        (lambda: RandomForestClassifier(bootstrap="yes"), "bootstrap"),
        (lambda: GradientBoostingClassifier(learning_rate=0), "learning_rate"),
        (lambda: GradientBoostingClassifier(reg_lambda=-1), "reg_lambda"),
        (lambda: GradientBoostingClassifier(min_child_weight=-1), "min_child_weight"),
        (lambda: GradientBoostingClassifier(gamma=-1), "gamma"),
        (lambda: GradientBoostingClassifier(base_score=1.0), "base_score"),
        (lambda: GradientBoostingRegressor(max_depth=None), "max_depth"),
    ],
)
def test_bad_parameters_raise(make, match):
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    with pytest.raises(ValueError, match=match):
        make().fit(X, [0, 1, 0, 1, 0, 1])


def test_bad_data_raises():
    X = np.array([[0.0], [1.0], [2.0]])
    with pytest.raises(ValueError, match="one class"):
        DecisionTreeClassifier().fit(X, [1, 1, 1])
    with pytest.raises(ValueError, match="exactly two classes"):
        GradientBoostingClassifier().fit(X, [0, 1, 2])
    with pytest.raises(ValueError, match="length mismatch"):
        RandomForestClassifier().fit(X, [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        DecisionTreeRegressor().fit([[np.nan], [1.0]], [0.0, 1.0])
    model = DecisionTreeClassifier().fit(X, [0, 1, 1])
    with pytest.raises(ValueError, match="features"):
        model.predict([[0.0, 1.0]])
    with pytest.raises(NotFittedError):
        GradientBoostingRegressor().predict(X)


def test_docstring_examples_run():
    result = doctest.testmod(trees, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
