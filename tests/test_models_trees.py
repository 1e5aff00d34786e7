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
from sklearn.ensemble import RandomForestRegressor as SklearnForestRegressor
from sklearn.exceptions import NotFittedError
from sklearn.metrics import log_loss, mean_squared_error, r2_score

from mlref.models import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    boosting,
    forest,
    trees,
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


def _impurity(y, criterion, n_classes, w):
    if criterion == "squared_error":
        return float(np.average((y - np.average(y, weights=w)) ** 2, weights=w))
    p = np.bincount(y, weights=w, minlength=n_classes) / w.sum()
    if criterion == "gini":
        return 1.0 - (p**2).sum()
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def _decrease(X, y, split, criterion, n_classes, w):
    left = X[:, split[0]] <= split[1]
    return w.sum() * _impurity(y, criterion, n_classes, w) - sum(
        w[side].sum() * _impurity(y[side], criterion, n_classes, w[side]) for side in (left, ~left)
    )


def _compare(ours, theirs, X, y, criterion, n_classes=0, w=None):
    """'same' if the trees agree, 'tie' if they first differ at an equally good split.

    Fails if our tree is a leaf where scikit-learn's splits (or vice versa), or if our split
    at the first difference lowers the (weighted) impurity less than scikit-learn's.
    """
    w = np.ones(len(y)) if w is None else w
    if ours is None and theirs is not None and criterion != "squared_error":
        # scikit-learn splits a pure node whose weighted impurity rounds above its epsilon
        assert np.unique(y).size == 1
        return "tie"
    if ours is None or theirs is None:
        assert ours is None and theirs is None
        return "same"
    if ours[0] != theirs[0] or not np.isclose(ours[1], theirs[1], rtol=1e-12, atol=0):
        ours_gain = _decrease(X, y, ours, criterion, n_classes, w)
        theirs_gain = _decrease(X, y, theirs, criterion, n_classes, w)
        assert ours_gain == pytest.approx(theirs_gain, rel=1e-9, abs=1e-12)
        return "tie"
    left = X[:, ours[0]] <= ours[1]
    results = {
        _compare(ours[2], theirs[2], X[left], y[left], criterion, n_classes, w[left]),
        _compare(ours[3], theirs[3], X[~left], y[~left], criterion, n_classes, w[~left]),
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
    theirs = xgboost.XGBClassifier(tree_method="exact", base_score=0.5, n_jobs=1, **settings_)
    theirs.fit(X_train, y_train)
    ours_loss = log_loss(y_test, ours.predict_proba(X_test))
    theirs_loss = log_loss(y_test, theirs.predict_proba(X_test))
    assert abs(ours_loss - theirs_loss) <= 0.02 * theirs_loss
    # Same trees: probabilities agree up to XGBoost's float32 arithmetic.
    np.testing.assert_allclose(ours.predict_proba(X_test), theirs.predict_proba(X_test), atol=1e-5)


def test_gbdt_regressor_matches_xgboost_exact():
    X, y = make_regression(n_samples=1500, n_features=10, noise=10.0, random_state=1)
    ours = GradientBoostingRegressor(**GBDT, base_score=0.0).fit(X[:1000], y[:1000])
    theirs = xgboost.XGBRegressor(tree_method="exact", base_score=0.0, n_jobs=1, **GBDT)
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
        (lambda: GradientBoostingClassifier(subsample=0.0), "subsample"),
        (lambda: GradientBoostingClassifier(subsample=1.5), "subsample"),
        (lambda: GradientBoostingRegressor(colsample_bytree=0), "colsample_bytree"),
        (lambda: GradientBoostingRegressor(colsample_bytree="all"), "colsample_bytree"),
        (lambda: RandomForestRegressor(n_estimators=0), "n_estimators"),
        (lambda: RandomForestRegressor(criterion="gini"), "criterion"),
        (lambda: RandomForestRegressor(max_features=2.0), "max_features"),
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


@pytest.mark.parametrize("module", [trees, forest, boosting])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


# --------------------------------------------------------------------------- sample weights


def _continuous_data(seed, n=200, d=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32).astype(np.float64)
    y_class = (X[:, 0] + X[:, 1] ** 2 + rng.normal(size=n) > 0.8).astype(int)
    y_real = 2 * X[:, 0] + np.sin(3 * X[:, 1]) + 0.3 * rng.normal(size=n)
    return X, y_class, y_real


def _trees_equal(a, b, *, atol=1e-10):
    np.testing.assert_array_equal(a.feature, b.feature)
    np.testing.assert_allclose(a.threshold, b.threshold, rtol=0, atol=0)
    np.testing.assert_allclose(a.value, b.value, rtol=1e-10, atol=atol)


@pytest.mark.parametrize(
    "make",
    [
        lambda: DecisionTreeClassifier(),
        lambda: DecisionTreeClassifier(criterion="entropy", max_depth=4),
        lambda: DecisionTreeRegressor(max_depth=6),
        lambda: GradientBoostingClassifier(n_estimators=8, max_depth=3),
        lambda: GradientBoostingRegressor(n_estimators=8, max_depth=3, min_child_weight=3.0),
    ],
)
def test_integer_weights_equal_row_duplication(make):
    X, y_class, y_real = _continuous_data(0)
    weight = np.random.default_rng(1).integers(0, 4, size=X.shape[0])
    repeat = np.repeat(np.arange(X.shape[0]), weight)
    y = y_real if isinstance(make(), DecisionTreeRegressor | GradientBoostingRegressor) else y_class
    weighted = make().fit(X, y, sample_weight=weight)
    duplicated = make().fit(X[repeat], y[repeat])
    trees_w = getattr(weighted, "estimators_", None) or [weighted.tree_]
    trees_d = getattr(duplicated, "estimators_", None) or [duplicated.tree_]
    for a, b in zip(trees_w, trees_d, strict=True):
        _trees_equal(a, b)
    predict = "predict_proba" if hasattr(weighted, "predict_proba") else "predict"
    np.testing.assert_allclose(
        getattr(weighted, predict)(X), getattr(duplicated, predict)(X), rtol=1e-10, atol=1e-12
    )


@FEW
@given(
    seed=st.integers(0, 10_000),
    max_depth=st.integers(1, 4),
    criterion=st.sampled_from(["gini", "entropy", "squared_error"]),
)
def test_weighted_tree_matches_sklearn(seed, max_depth, criterion):
    X, y_class, y_real = _continuous_data(seed, n=int(np.random.default_rng(seed).integers(5, 80)))
    weight = np.random.default_rng(seed + 1).uniform(0.1, 3.0, size=X.shape[0])
    if criterion == "squared_error":
        y, ours = y_real, DecisionTreeRegressor(max_depth=max_depth)
        theirs = sk_tree.DecisionTreeRegressor(max_depth=max_depth, random_state=0)
    else:
        y = y_class
        y[:2] = [0, 1]
        ours = DecisionTreeClassifier(criterion=criterion, max_depth=max_depth)
        theirs = sk_tree.DecisionTreeClassifier(
            criterion=criterion, max_depth=max_depth, random_state=0
        )
    ours.fit(X, y, sample_weight=weight)
    theirs.fit(X, y, sample_weight=weight)
    outcome = _compare(*_tree_structures(ours, theirs), X, y, criterion, 2, weight)
    if outcome == "same":
        predict = "predict" if criterion == "squared_error" else "predict_proba"
        np.testing.assert_allclose(
            getattr(ours, predict)(X), getattr(theirs, predict)(X), rtol=1e-9, atol=1e-12
        )
        np.testing.assert_allclose(
            ours.feature_importances_, theirs.feature_importances_, rtol=1e-9, atol=1e-12
        )


def test_weighted_trees_match_sklearn_on_fixed_seeds():
    outcomes = []
    for seed in range(20):
        X, y, y_real = _continuous_data(seed, n=150)
        weight = np.random.default_rng(seed).uniform(0.1, 3.0, size=X.shape[0])
        for criterion, target in [("gini", y), ("squared_error", y_real)]:
            ours = DecisionTreeRegressor if criterion == "squared_error" else DecisionTreeClassifier
            theirs = (
                sk_tree.DecisionTreeRegressor
                if criterion == "squared_error"
                else sk_tree.DecisionTreeClassifier
            )
            ours = ours(max_depth=3).fit(X, target, sample_weight=weight)
            theirs = theirs(max_depth=3, random_state=0).fit(X, target, sample_weight=weight)
            trees_ = _tree_structures(ours, theirs)
            outcomes.append(_compare(*trees_, X, target, criterion, 2, weight))
            if outcomes[-1] == "same":
                np.testing.assert_allclose(ours.feature_importances_, theirs.feature_importances_)
    # ties between features (a small node cut off by several features) are the only exception
    assert outcomes.count("same") >= 30


def test_scaling_all_weights_leaves_the_tree_unchanged():
    X, y, y_real = _continuous_data(3)
    weight = np.random.default_rng(0).uniform(0.1, 2.0, size=X.shape[0])
    for make, target in [(DecisionTreeClassifier, y), (DecisionTreeRegressor, y_real)]:
        # min_samples_leaf counts rows, not weight: tiny weights must not stop the splits
        a = make(min_samples_leaf=3).fit(X, target, sample_weight=weight)
        b = make(min_samples_leaf=3).fit(X, target, sample_weight=weight * 1e-3)
        _trees_equal(a.tree_, b.tree_)
        assert a.get_n_leaves() > 5


def test_zero_weight_rows_take_no_part():
    X, y, y_real = _continuous_data(4)
    weight = np.where(np.arange(X.shape[0]) % 3 == 0, 0.0, 1.0)
    keep = weight > 0
    for make, target in [(DecisionTreeClassifier, y), (DecisionTreeRegressor, y_real)]:
        a = make(max_depth=4).fit(X, target, sample_weight=weight)
        b = make(max_depth=4).fit(X[keep], target[keep])
        _trees_equal(a.tree_, b.tree_)
    # all the weight on one class: a single leaf, scikit-learn agrees
    one_class = np.where(y == 1, 0.0, 1.0)
    ours = DecisionTreeClassifier().fit(X, y, sample_weight=one_class)
    theirs = sk_tree.DecisionTreeClassifier().fit(X, y, sample_weight=one_class)
    assert ours.get_n_leaves() == 1
    np.testing.assert_array_equal(ours.predict_proba(X[:3]), theirs.predict_proba(X[:3]))
    np.testing.assert_array_equal(ours.feature_importances_, np.zeros(X.shape[1]))


@pytest.mark.parametrize(
    ("weight", "match"),
    [
        (np.array([1.0, -1, 1, 1, 1, 1]), "sample_weight must be >= 0"),
        (np.zeros(6), "sums to 0"),
        (np.array([1.0, np.nan, 1, 1, 1, 1]), "NaN"),
        (np.ones(5), "length mismatch"),
        (np.ones((6, 1)), "1-D"),
    ],
)
@pytest.mark.parametrize(
    "make",
    [
        DecisionTreeClassifier,
        DecisionTreeRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
        GradientBoostingClassifier,
        GradientBoostingRegressor,
    ],
)
def test_bad_sample_weight_raises(weight, match, make):
    X = np.arange(6.0).reshape(-1, 1)
    with pytest.raises(ValueError, match=match):
        make().fit(X, [0, 1, 0, 1, 0, 1], sample_weight=weight)


@pytest.mark.parametrize("default_base", [False, True])
def test_weighted_gbdt_matches_xgboost(classification_data, default_base):
    X_train, X_test, y_train, _ = classification_data
    weight = np.random.default_rng(0).uniform(0.2, 3.0, size=y_train.size)
    params = {**GBDT, "n_estimators": 8} | ({} if default_base else {"base_score": 0.5})
    ours = GradientBoostingClassifier(**params).fit(X_train, y_train, sample_weight=weight)
    theirs = xgboost.XGBClassifier(tree_method="exact", n_jobs=1, **params)
    theirs.fit(X_train, y_train, sample_weight=weight)
    np.testing.assert_allclose(ours.predict_proba(X_test), theirs.predict_proba(X_test), atol=1e-5)
    unweighted = GradientBoostingClassifier(**params).fit(X_train, y_train)
    assert np.abs(unweighted.predict_proba(X_test) - ours.predict_proba(X_test)).max() > 1e-3


def test_weighted_gbdt_regressor_matches_xgboost():
    X, y = make_regression(n_samples=800, n_features=6, noise=10.0, random_state=2)
    weight = np.random.default_rng(1).uniform(0.2, 3.0, size=y.size)
    ours = GradientBoostingRegressor(**GBDT).fit(X, y, sample_weight=weight)
    theirs = xgboost.XGBRegressor(tree_method="exact", n_jobs=1, **GBDT)
    theirs.fit(X, y, sample_weight=weight)
    assert ours.base_margin_ == pytest.approx(np.average(y, weights=weight))
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-4, atol=1e-3)


def test_gbdt_needs_both_classes_weighted_for_the_default_base_score():
    X = np.arange(6.0).reshape(-1, 1)
    with pytest.raises(ValueError, match="one class"):
        GradientBoostingClassifier().fit(X, [0, 1] * 3, sample_weight=[1, 0] * 3)


# ----------------------------------------------------------------------- feature importances


def test_tree_feature_importances_match_sklearn():
    X_train, y_train, _ = _continuous_data(1, n=500, d=5)
    for criterion in ("gini", "entropy"):
        ours = DecisionTreeClassifier(criterion=criterion, max_depth=4).fit(X_train, y_train)
        theirs = sk_tree.DecisionTreeClassifier(criterion=criterion, max_depth=4, random_state=0)
        theirs.fit(X_train, y_train)
        assert _same_structure(*_tree_structures(ours, theirs))
        np.testing.assert_allclose(
            ours.feature_importances_, theirs.feature_importances_, rtol=1e-9, atol=1e-12
        )
        assert ours.feature_importances_.sum() == pytest.approx(1.0)
    # by hand: one split of {0, 0 | 1, 1} on feature 1 takes all the importance
    X = np.array([[5.0, 0.0], [3.0, 1.0], [4.0, 2.0], [3.0, 3.0]])
    tree = DecisionTreeClassifier().fit(X, [0, 0, 1, 1])
    np.testing.assert_array_equal(tree.feature_importances_, [0.0, 1.0])
    assert tree.tree_.gain[0] == pytest.approx(4 * 0.5)  # n * gini of the root, children pure


def test_gbdt_total_gain_importances_match_xgboost(classification_data):
    X_train, _, y_train, _ = classification_data
    ours = GradientBoostingClassifier(**GBDT, base_score=0.5).fit(X_train, y_train)
    theirs = xgboost.XGBClassifier(
        tree_method="exact", base_score=0.5, n_jobs=1, importance_type="total_gain", **GBDT
    ).fit(X_train, y_train)
    np.testing.assert_allclose(ours.feature_importances_, theirs.feature_importances_, atol=1e-6)
    # raw: XGBoost's loss_chg is the bracket without the 1/2
    total_gain = theirs.get_booster().get_score(importance_type="total_gain")
    ours_gain = sum(
        np.bincount(t.feature[t.feature >= 0], t.gain[t.feature >= 0], minlength=20)
        for t in ours.estimators_
    )
    for name, gain in total_gain.items():
        assert 2 * ours_gain[int(name[1:])] == pytest.approx(gain, rel=1e-4)


def test_forest_importances_average_the_trees():
    X, y, _ = _continuous_data(5, n=300, d=5)
    forest = RandomForestClassifier(10, max_depth=3, random_state=0).fit(X, y)
    per_tree = [_single_tree(tree, X.shape[1]).feature_importances_ for tree in forest.estimators_]
    expected = np.mean(per_tree, axis=0)
    np.testing.assert_allclose(forest.feature_importances_, expected / expected.sum())
    # the informative features 0 and 1 lead, as in scikit-learn's forest
    theirs = SklearnRandomForest(50, max_depth=3, random_state=0).fit(X, y).feature_importances_
    ours = RandomForestClassifier(50, max_depth=3, random_state=0).fit(X, y).feature_importances_
    assert set(np.argsort(ours)[-2:]) == set(np.argsort(theirs)[-2:]) == {0, 1}
    np.testing.assert_allclose(ours, theirs, atol=0.05)


def _single_tree(flat_tree, n_features):
    model = DecisionTreeClassifier()
    model.tree_, model.n_features_in_ = flat_tree, n_features
    return model


# ------------------------------------------------------------------------------ forests


@pytest.mark.parametrize("forest_class", [RandomForestClassifier, RandomForestRegressor])
def test_forest_tree_is_the_weighted_tree_of_its_bootstrap(forest_class):
    X, y_class, y_real = _continuous_data(6, n=120)
    y = y_real if forest_class is RandomForestRegressor else y_class
    weight = np.random.default_rng(2).uniform(0.5, 2.0, size=y.size)
    forest = forest_class(4, max_features=2, min_samples_leaf=2, random_state=7)
    forest.fit(X, y, sample_weight=weight)
    tree_class = (
        DecisionTreeRegressor if forest_class is RandomForestRegressor else (DecisionTreeClassifier)
    )
    samples = forest.estimators_samples_
    for t, seed in enumerate(forest._tree_seeds):
        rng = np.random.default_rng(seed)
        drawn = rng.integers(0, y.size, size=y.size)
        np.testing.assert_array_equal(drawn, samples[t])
        counts = np.bincount(drawn, minlength=y.size)
        tree = tree_class(max_features=2, min_samples_leaf=2, random_state=rng)
        _trees_equal(forest.estimators_[t], tree.fit(X, y, sample_weight=counts * weight).tree_)


def test_random_forest_regressor_equals_sklearn_on_the_same_bootstraps():
    X, _, y = _continuous_data(8, n=300)
    params = {"max_depth": 4, "min_samples_leaf": 10}  # no tiny nodes, so no ties
    theirs = SklearnForestRegressor(n_estimators=8, **params, random_state=0).fit(X, y)
    averaged = np.mean(
        [
            DecisionTreeRegressor(**params)
            .fit(X, y, sample_weight=np.bincount(rows, minlength=y.size))
            .predict(X)
            for rows in theirs.estimators_samples_
        ],
        axis=0,
    )
    np.testing.assert_allclose(averaged, theirs.predict(X), rtol=1e-10, atol=1e-12)


def test_random_forest_regressor_r2_matches_sklearn():
    X, y = make_regression(
        n_samples=2000, n_features=10, n_informative=5, noise=20.0, random_state=3
    )
    y = y + 30 * np.sin(X[:, 0] * 2)  # a non-linear part the trees must find
    params = {"n_estimators": 30, "max_depth": 10, "max_features": 0.5}
    ours = RandomForestRegressor(**params, random_state=0).fit(X[:1500], y[:1500])
    theirs = SklearnForestRegressor(**params, random_state=0).fit(X[:1500], y[:1500])
    ours_r2 = r2_score(y[1500:], ours.predict(X[1500:]))
    theirs_r2 = r2_score(y[1500:], theirs.predict(X[1500:]))
    assert ours_r2 > 0.5
    assert abs(ours_r2 - theirs_r2) <= 0.01


def test_random_forest_regressor_tiny_and_deterministic():
    one = RandomForestRegressor(3, random_state=0).fit([[1.0]], [2.5])
    np.testing.assert_array_equal(one.predict([[0.0], [4.0]]), [2.5, 2.5])
    X, _, y = _continuous_data(9, n=60)
    fit = lambda seed: RandomForestRegressor(5, random_state=seed).fit(X, y).predict(X)  # noqa: E731
    np.testing.assert_array_equal(fit(1), fit(1))
    assert not np.array_equal(fit(1), fit(2))
    no_bootstrap = RandomForestRegressor(3, bootstrap=False).fit(X, y)
    single = DecisionTreeRegressor().fit(X, y)
    np.testing.assert_allclose(no_bootstrap.predict(X), single.predict(X))


# ------------------------------------------------------------ boosting: row and column sampling


def test_gbdt_defaults_use_no_randomness(classification_data):
    X_train, X_test, y_train, _ = classification_data
    params = {**GBDT, "n_estimators": 5}
    reference = GradientBoostingClassifier(**params).fit(X_train, y_train)
    for seed in (0, 1):
        model = GradientBoostingClassifier(
            **params, subsample=1.0, colsample_bytree=1.0, random_state=seed
        ).fit(X_train, y_train)
        np.testing.assert_array_equal(
            model.decision_function(X_test), reference.decision_function(X_test)
        )


def test_gbdt_subsample_grows_each_tree_on_the_drawn_rows():
    X, _, y = _continuous_data(10, n=100)
    params = {"n_estimators": 1, "max_depth": 3, "learning_rate": 1.0, "base_score": 0.0}
    model = GradientBoostingRegressor(**params, subsample=0.6, random_state=4).fit(X, y)
    drawn = np.sort(np.random.default_rng(4).permutation(100)[:60])
    mask = np.isin(np.arange(100), drawn).astype(float)
    by_weight = GradientBoostingRegressor(**params).fit(X, y, sample_weight=mask)
    _trees_equal(model.estimators_[0], by_weight.estimators_[0])
    assert model.estimators_[0].n_node_samples[0] == 60  # Hessian 1 per drawn row


def test_gbdt_colsample_splits_on_the_drawn_features_only():
    X, y, _ = _continuous_data(11, n=300, d=8)
    model = GradientBoostingClassifier(
        n_estimators=12, max_depth=3, colsample_bytree=0.25, random_state=5
    ).fit(X, y)
    first = np.random.default_rng(5).permutation(8)[:2]
    assert set(model.estimators_[0].feature[model.estimators_[0].feature >= 0]) <= set(first)
    used = [set(t.feature[t.feature >= 0]) for t in model.estimators_]
    assert all(len(u) <= 2 for u in used)
    assert len(set().union(*used)) > 2


def test_gbdt_sampling_is_seeded_and_close_to_xgboost(classification_data):
    X_train, X_test, y_train, y_test = classification_data
    params = {**GBDT, "n_estimators": 12, "base_score": 0.5}
    fit = lambda seed, **kw: GradientBoostingClassifier(  # noqa: E731
        **params, **kw, random_state=seed
    ).fit(X_train, y_train)
    both = {"subsample": 0.7, "colsample_bytree": 0.5}
    np.testing.assert_array_equal(
        fit(0, **both).predict_proba(X_test), fit(0, **both).predict_proba(X_test)
    )
    assert not np.array_equal(
        fit(0, **both).predict_proba(X_test), fit(1, **both).predict_proba(X_test)
    )
    # Row subsampling: XGBoost draws other rows, so compare mean test log-loss over seeds
    # (seed-to-seed spread here is about 2%; column sampling spreads far more at 12 trees).
    ours = np.mean(
        [log_loss(y_test, fit(s, subsample=0.7).predict_proba(X_test)) for s in range(3)]
    )
    theirs = np.mean(
        [
            log_loss(
                y_test,
                xgboost.XGBClassifier(
                    tree_method="exact", n_jobs=1, random_state=s, subsample=0.7, **params
                )
                .fit(X_train, y_train)
                .predict_proba(X_test),
            )
            for s in range(3)
        ]
    )
    assert abs(ours - theirs) <= 0.05 * theirs


# --------------------------------------------------------------------------------------------
# tree_method="hist": histogram split finding (shared with LambdaMART)
# --------------------------------------------------------------------------------------------


def _few_valued_data(seed, n=600, d=6, levels=12):
    """Features with at most ``levels`` distinct values: one histogram bin per value."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, levels, size=(n, d)).astype(float)
    logit = X[:, 0] - X[:, 1] * 0.5 + (X[:, 2] > 6) * 2 - 3
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


@pytest.mark.parametrize("seed", [0, 1])
def test_hist_gbdt_equals_exact_when_every_value_has_its_bin(seed):
    X, y = _few_valued_data(seed)
    params = {**GBDT, "base_score": 0.5}
    exact = GradientBoostingClassifier(**params).fit(X, y)
    hist = GradientBoostingClassifier(**params, tree_method="hist").fit(X, y)
    # Exact places thresholds between values, hist at the upper value: same partition of X.
    np.testing.assert_allclose(hist.decision_function(X), exact.decision_function(X), atol=1e-10)
    np.testing.assert_allclose(hist.feature_importances_, exact.feature_importances_, atol=1e-10)


def test_hist_gbdt_matches_xgboost_hist():
    X, y = _few_valued_data(2, n=1000)
    params = {**GBDT, "base_score": 0.5}
    ours = GradientBoostingClassifier(**params, tree_method="hist").fit(X, y)
    theirs = xgboost.XGBClassifier(tree_method="hist", n_jobs=1, **params).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-5)


def test_hist_gbdt_close_to_xgboost_with_quantile_bins(classification_data):
    X_train, X_test, y_train, y_test = classification_data
    params = {**GBDT, "base_score": 0.5}
    ours = GradientBoostingClassifier(**params, tree_method="hist").fit(X_train, y_train)
    theirs = xgboost.XGBClassifier(tree_method="hist", n_jobs=1, **params).fit(X_train, y_train)
    ours_loss = log_loss(y_test, ours.predict_proba(X_test))
    theirs_loss = log_loss(y_test, theirs.predict_proba(X_test))
    assert abs(ours_loss - theirs_loss) <= 0.02 * theirs_loss  # cut points differ slightly
    assert len(ours.bin_edges_) == X_train.shape[1]
    assert max(len(e) for e in ours.bin_edges_) <= 255


def test_hist_gbdt_gamma_colsample_weights_and_determinism():
    X, y = _few_valued_data(3)
    base = {"n_estimators": 8, "max_depth": 3, "tree_method": "hist"}
    loose = GradientBoostingClassifier(**base).fit(X, y)
    strict = GradientBoostingClassifier(**base, gamma=5.0).fit(X, y)
    n_splits = lambda m: sum(int((t.feature >= 0).sum()) for t in m.estimators_)  # noqa: E731
    assert n_splits(strict) < n_splits(loose)
    assert all(t.gain[t.feature >= 0].min() > 5.0 for t in strict.estimators_ if t.depth)
    sampled = GradientBoostingClassifier(**base, colsample_bytree=0.34, random_state=1).fit(X, y)
    assert all(len(set(t.feature[t.feature >= 0])) <= 2 for t in sampled.estimators_)
    again = GradientBoostingClassifier(**base, colsample_bytree=0.34, random_state=1).fit(X, y)
    np.testing.assert_array_equal(sampled.decision_function(X), again.decision_function(X))
    doubled = GradientBoostingClassifier(**base).fit(np.vstack([X, X[:50]]), np.r_[y, y[:50]])
    weighted = GradientBoostingClassifier(**base).fit(
        X, y, sample_weight=np.r_[np.full(50, 2.0), np.ones(len(y) - 50)]
    )
    np.testing.assert_allclose(
        weighted.decision_function(X), doubled.decision_function(X), atol=1e-10
    )


@pytest.mark.parametrize(
    "params, match",
    [
        ({"tree_method": "approx"}, "tree_method"),
        ({"tree_method": "hist", "max_bin": 1}, "max_bin"),
        ({"tree_method": "hist", "reg_lambda": 0.0, "min_child_weight": 0.0}, "reg_lambda"),
    ],
)
def test_hist_gbdt_bad_parameters(params, match):
    X, y = _few_valued_data(4, n=50)
    with pytest.raises(ValueError, match=match):
        GradientBoostingClassifier(**params).fit(X, y)
