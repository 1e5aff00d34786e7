"""Bagging and stacking from scratch agree with averaging by hand and with scikit-learn."""

import doctest

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.ensemble import BaggingClassifier as SklearnBagging
from sklearn.ensemble import StackingClassifier as SklearnStacking
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.tree import DecisionTreeClassifier as SklearnTree

from mlref.models import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    GradientBoostingClassifier,
    ensemble,
)
from mlref.models.ensemble import BaggingClassifier, BaggingRegressor, StackingClassifier
from mlref.models.linear import LogisticRegression, SoftmaxRegression


def _draw(seed, n, d=4):
    """A fixed non-linear problem: y = 1[x0 + x1^2 + noise > 0.8], and a real target."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, 0] + X[:, 1] ** 2 + rng.normal(size=n) > 0.8).astype(int)
    y_real = 2 * X[:, 0] + np.sin(3 * X[:, 1]) + 0.3 * rng.normal(size=n)
    return X, y, y_real


@pytest.fixture(scope="module")
def larger_problem():
    X, y = make_classification(
        n_samples=5000, n_features=20, n_informative=8, flip_y=0.05, random_state=1
    )
    return X[:1500], X[1500:], y[:1500], y[1500:]  # a large test set: accuracy to +-0.005


# ------------------------------------------------------------------------------- bagging


def test_bagging_classifier_is_the_average_of_its_members_on_their_samples():
    X, y, _ = _draw(0, 150)
    base = DecisionTreeClassifier(max_features=2)  # random per seed: the member seeds matter
    model = BaggingClassifier(base, n_estimators=6, random_state=3).fit(X, y)
    by_hand = []
    for member, rows in zip(model.estimators_, model.estimators_samples_, strict=True):
        refit = clone(base).set_params(random_state=member.random_state).fit(X[rows], y[rows])
        by_hand.append(refit.predict_proba(X))
    np.testing.assert_allclose(model.predict_proba(X), np.mean(by_hand, axis=0))
    assert len({int(m.random_state) for m in model.estimators_}) == 6
    assert all(rows.size == 150 for rows in model.estimators_samples_)


def test_bagging_regressor_is_the_average_of_its_members_and_any_estimator_works():
    X, _, y = _draw(1, 120)
    model = BaggingRegressor(n_estimators=5, max_samples=0.5, random_state=0).fit(X, y)
    by_hand = [
        DecisionTreeRegressor().fit(X[rows], y[rows]).predict(X)
        for rows in model.estimators_samples_
    ]
    np.testing.assert_allclose(model.predict(X), np.mean(by_hand, axis=0))
    assert all(rows.size == 60 for rows in model.estimators_samples_)
    # a model without randomness nor predict_proba-free quirks: logistic regression
    _, y01, _ = _draw(1, 120)
    logistic = BaggingClassifier(LogisticRegression(), n_estimators=4, random_state=0).fit(X, y01)
    by_hand = [
        LogisticRegression().fit(X[rows], y01[rows]).predict_proba(X)
        for rows in logistic.estimators_samples_
    ]
    np.testing.assert_allclose(logistic.predict_proba(X), np.mean(by_hand, axis=0))


def test_pasting_draws_distinct_rows():
    X, y, _ = _draw(2, 50)
    model = BaggingClassifier(n_estimators=3, max_samples=20, bootstrap=False, random_state=0)
    model.fit(X, y)
    for rows in model.estimators_samples_:
        assert rows.size == np.unique(rows).size == 20
    everything = BaggingClassifier(n_estimators=2, bootstrap=False).fit(X, y)
    np.testing.assert_array_equal(
        everything.predict_proba(X), DecisionTreeClassifier().fit(X, y).predict_proba(X)
    )


def test_bagging_matches_sklearn_on_a_larger_problem(larger_problem):
    X_train, X_test, y_train, y_test = larger_problem
    ours = BaggingClassifier(n_estimators=20, random_state=0).fit(X_train, y_train)
    theirs = SklearnBagging(n_estimators=20, random_state=0).fit(X_train, y_train)
    ours_auc = roc_auc_score(y_test, ours.predict_proba(X_test)[:, 1])
    theirs_auc = roc_auc_score(y_test, theirs.predict_proba(X_test)[:, 1])
    assert abs(ours_auc - theirs_auc) <= 0.01
    assert abs(ours.score(X_test, y_test) - theirs.score(X_test, y_test)) <= 0.01
    single = DecisionTreeClassifier().fit(X_train, y_train).predict_proba(X_test)[:, 1]
    assert ours_auc > roc_auc_score(y_test, single) + 0.05


def test_bagging_reduces_the_variance_of_a_deep_tree():
    """Var over training sets drawn with different seeds of P(y=1 | x), averaged over x."""
    X_test, _, _ = _draw(999, 200)
    tree, bagged = [], []
    for seed in range(6):
        X, y, _ = _draw(seed, 300)
        tree.append(DecisionTreeClassifier().fit(X, y).predict_proba(X_test)[:, 1])
        bagging = BaggingClassifier(n_estimators=15, random_state=seed).fit(X, y)
        bagged.append(bagging.predict_proba(X_test)[:, 1])
    tree_variance = np.var(tree, axis=0).mean()
    bagged_variance = np.var(bagged, axis=0).mean()
    assert bagged_variance < 0.5 * tree_variance


def test_out_of_bag_predictions_by_hand():
    X, y, y_real = _draw(3, 80)
    model = BaggingClassifier(n_estimators=20, oob_score=True, random_state=1).fit(X, y)
    total, count = np.zeros((80, 2)), np.zeros(80)
    for member, rows in zip(model.estimators_, model.estimators_samples_, strict=True):
        out = np.bincount(rows, minlength=80) == 0
        total[out] += member.predict_proba(X[out])
        count[out] += 1
    assert (count > 0).all()
    np.testing.assert_allclose(model.oob_decision_function_, total / count[:, None])
    assert model.oob_score_ == accuracy_score(y, np.argmax(total, axis=1))

    regressor = BaggingRegressor(n_estimators=20, oob_score=True, random_state=1).fit(X, y_real)
    sums, count = np.zeros(80), np.zeros(80)
    for member, rows in zip(regressor.estimators_, regressor.estimators_samples_, strict=True):
        out = np.bincount(rows, minlength=80) == 0
        sums[out] += member.predict(X[out])
        count[out] += 1
    oob = sums / count
    np.testing.assert_allclose(regressor.oob_prediction_, oob)
    r2 = 1 - ((y_real - oob) ** 2).sum() / ((y_real - y_real.mean()) ** 2).sum()
    assert regressor.oob_score_ == pytest.approx(r2)


def test_oob_score_matches_sklearn(larger_problem):
    X_train, X_test, y_train, y_test = larger_problem
    ours = BaggingClassifier(
        DecisionTreeClassifier(max_depth=8), 25, oob_score=True, random_state=0
    )
    theirs = SklearnBagging(
        SklearnTree(max_depth=8, random_state=0), n_estimators=25, oob_score=True, random_state=0
    )
    ours.fit(X_train, y_train)
    theirs.fit(X_train, y_train)
    assert abs(ours.oob_score_ - theirs.oob_score_) <= 0.02
    # each row's OOB vote uses only ~37% of the models, so it is a slightly pessimistic estimate
    assert -0.05 <= ours.oob_score_ - ours.score(X_test, y_test) <= 0.01


def test_oob_warns_when_a_row_is_in_every_sample():
    X, y, _ = _draw(4, 40)
    with pytest.warns(UserWarning, match="no out-of-bag prediction"):
        model = BaggingClassifier(n_estimators=2, oob_score=True, random_state=0).fit(X, y)
    covered = ~np.isnan(model.oob_decision_function_[:, 0])
    assert 0 < covered.sum() < 40
    assert 0.0 <= model.oob_score_ <= 1.0


def test_bagging_tiny_samples_and_string_labels():
    # two rows: many bootstrap samples hold one class; those members predict it with p = 1
    model = BaggingClassifier(n_estimators=10, random_state=0).fit([[0.0], [1.0]], ["a", "b"])
    proba = model.predict_proba([[0.0], [1.0]])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.classes_.tolist() == ["a", "b"]
    assert set(model.predict([[0.0], [1.0]])) <= {"a", "b"}
    one = BaggingRegressor(n_estimators=3, random_state=0).fit([[1.0]], [4.0])
    np.testing.assert_array_equal(one.predict([[0.0], [2.0]]), [4.0, 4.0])


def test_bagging_is_deterministic_per_seed():
    X, y, _ = _draw(5, 100)
    fit = lambda seed: BaggingClassifier(n_estimators=4, random_state=seed).fit(X, y)  # noqa: E731
    np.testing.assert_array_equal(fit(0).predict_proba(X), fit(0).predict_proba(X))
    assert not np.array_equal(fit(0).predict_proba(X), fit(1).predict_proba(X))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: BaggingClassifier(n_estimators=0), "n_estimators"),
        (lambda: BaggingClassifier(max_samples=0.0), "max_samples"),
        (lambda: BaggingClassifier(max_samples=1.5), "max_samples"),
        (lambda: BaggingClassifier(max_samples=0), "max_samples"),
        (lambda: BaggingClassifier(max_samples=7, bootstrap=False), "max_samples"),
        (lambda: BaggingClassifier(bootstrap="yes"), "bootstrap"),
        (lambda: BaggingClassifier(oob_score=True, bootstrap=False), "oob_score"),
        (lambda: BaggingClassifier(estimator=object()), "estimator"),
        (lambda: BaggingRegressor(n_estimators=2.5), "n_estimators"),
    ],
)
def test_bagging_bad_parameters_raise(make, match):
    X = np.arange(6.0).reshape(-1, 1)
    with pytest.raises(ValueError, match=match):
        make().fit(X, [0, 1, 0, 1, 0, 1])


def test_bagging_bad_data_raises():
    X = np.arange(6.0).reshape(-1, 1)
    with pytest.raises(ValueError, match="one class"):
        BaggingClassifier().fit(X, [1] * 6)
    with pytest.raises(ValueError, match="length mismatch"):
        BaggingRegressor().fit(X, [0.0, 1.0])
    with pytest.raises(ValueError, match="NaN"):
        BaggingRegressor().fit(X, [0.0, 1.0, np.nan, 1.0, 2.0, 3.0])
    with pytest.raises(NotFittedError):
        BaggingClassifier().predict(X)
    model = BaggingClassifier(n_estimators=2, random_state=0).fit(X, [0, 1] * 3)
    with pytest.raises(ValueError, match="features"):
        model.predict(np.ones((2, 3)))


# ------------------------------------------------------------------------------ stacking

LEVEL0 = [
    ("lr", LogisticRegression()),
    ("tree", DecisionTreeClassifier(max_depth=4)),
    ("gbdt", GradientBoostingClassifier(n_estimators=8, max_depth=2)),
]


def test_oof_predictions_equal_the_hand_made_ones():
    X, y, _ = _draw(6, 200)
    stack = StackingClassifier(LEVEL0, cv=4, random_state=7).fit(X, y)
    folds = StratifiedKFold(4, shuffle=True, random_state=7).split(X, y)
    by_hand = np.empty((200, 3))
    for train, test in folds:
        for j, (_, estimator) in enumerate(LEVEL0):
            model = clone(estimator).fit(X[train], y[train])
            by_hand[test, j] = model.predict_proba(X[test])[:, 1]
    np.testing.assert_array_equal(stack.oof_predictions_, by_hand)
    meta = LogisticRegression().fit(by_hand, y)
    np.testing.assert_allclose(stack.final_estimator_.coef_, meta.coef_)
    # prediction uses the level-0 models refitted on all rows
    refit = np.column_stack([clone(e).fit(X, y).predict_proba(X)[:, 1] for _, e in LEVEL0])
    np.testing.assert_allclose(stack.transform(X), refit)
    np.testing.assert_allclose(stack.predict_proba(X), meta.predict_proba(refit))


@pytest.mark.parametrize(
    ("level0", "options"),
    [
        (LEVEL0, {}),
        ([LEVEL0[0], LEVEL0[2]], {"stack_method": "decision_function", "passthrough": True}),
    ],
)
def test_stacking_equals_sklearn_with_the_same_folds(larger_problem, level0, options):
    X_train, X_test, y_train, _ = larger_problem
    X_train, y_train = X_train[:600], y_train[:600]
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    ours = StackingClassifier(level0, LogisticRegression(), cv=cv, **options)
    theirs = SklearnStacking(level0, LogisticRegression(), cv=cv, **options)
    ours.fit(X_train, y_train)
    theirs.fit(X_train, y_train)
    np.testing.assert_allclose(ours.transform(X_test), theirs.transform(X_test), atol=1e-12)
    np.testing.assert_allclose(
        ours.predict_proba(X_test), theirs.predict_proba(X_test), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_array_equal(ours.predict(X_test), theirs.predict(X_test))


def test_multiclass_stacking_equals_sklearn():
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=2
    )
    labels = np.array(["cat", "dog", "eel"])[y]
    level0 = [("tree", DecisionTreeClassifier(max_depth=3)), ("softmax", SoftmaxRegression())]
    cv = KFold(3, shuffle=True, random_state=1)
    ours = StackingClassifier(level0, cv=cv).fit(X, labels)
    theirs = SklearnStacking(level0, SoftmaxRegression(), cv=cv).fit(X, labels)
    assert isinstance(ours.final_estimator_, SoftmaxRegression)
    assert ours.oof_predictions_.shape == (300, 6)  # all three probabilities per model
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-10)
    assert ours.predict(X[:5]).tolist() == theirs.predict(X[:5]).tolist()


def test_in_sample_stacking_leaks_and_out_of_fold_does_not():
    """A meta-model fitted on a deep tree's in-sample predictions trusts the tree blindly."""
    X, y = make_classification(
        n_samples=2600,
        n_features=10,
        n_informative=4,
        n_redundant=0,
        flip_y=0.15,
        class_sep=0.8,
        random_state=0,
    )
    X_train, X_test, y_train, y_test = X[:600], X[600:], y[:600], y[600:]
    level0 = [("lr", LogisticRegression()), ("tree", DecisionTreeClassifier())]
    honest = StackingClassifier(level0, cv=5, random_state=0).fit(X_train, y_train)
    prefit = [(name, clone(model).fit(X_train, y_train)) for name, model in level0]
    leaky = StackingClassifier(prefit, cv="prefit").fit(X_train, y_train)
    # in sample, the fully grown tree reproduces the labels exactly
    np.testing.assert_array_equal(leaky.oof_predictions_[:, 1], y_train)

    def tree_share(stack):
        weights = np.abs(stack.final_estimator_.coef_[0])
        return weights[1] / weights.sum()

    assert tree_share(leaky) > 0.8
    assert tree_share(honest) < 0.5
    leaky_loss = log_loss(y_test, leaky.predict_proba(X_test)[:, 1])
    honest_loss = log_loss(y_test, honest.predict_proba(X_test)[:, 1])
    assert leaky_loss > honest_loss + 0.1


def test_stacking_options_and_labels():
    X, y, _ = _draw(8, 120)
    labels = np.where(y == 1, "click", "skip")
    stack = StackingClassifier(LEVEL0[:2], cv=3, passthrough=True, random_state=0).fit(X, labels)
    assert stack.transform(X).shape == (120, 2 + 4)
    assert set(stack.predict(X)) <= {"click", "skip"}
    assert stack.stack_method_ == ["predict_proba", "predict_proba"]
    assert stack.decision_function(X).shape == (120,)
    assert set(stack.named_estimators_) == {"lr", "tree"}
    again = StackingClassifier(LEVEL0[:2], cv=3, passthrough=True, random_state=0).fit(X, labels)
    np.testing.assert_array_equal(stack.predict_proba(X), again.predict_proba(X))
    auto = StackingClassifier([("gbdt", LEVEL0[2][1])], stack_method="decision_function", cv=2)
    assert auto.fit(X, y).oof_predictions_.min() < 0  # margins, not probabilities
    folds = list(KFold(3).split(X))
    by_list = StackingClassifier(LEVEL0[:1], cv=folds).fit(X, y)
    by_splitter = StackingClassifier(LEVEL0[:1], cv=KFold(3)).fit(X, y)
    np.testing.assert_array_equal(by_list.oof_predictions_, by_splitter.oof_predictions_)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: StackingClassifier(LEVEL0, cv=1), "cv must be an integer >= 2"),
        (lambda: StackingClassifier(LEVEL0, cv=0), "cv must be an integer >= 2"),
        (lambda: StackingClassifier(LEVEL0, cv=4), "fewer than cv=4"),
        (lambda: StackingClassifier(LEVEL0, cv="loo"), "cv"),
        (lambda: StackingClassifier(LEVEL0, cv=[([0, 1], [2, 3])] * 2), "exactly one test fold"),
        (lambda: StackingClassifier(LEVEL0, cv=3.5), "cv must be"),
        (lambda: StackingClassifier(LEVEL0, stack_method="predict"), "stack_method"),
        (lambda: StackingClassifier([("reg", DecisionTreeRegressor())]), "neither predict_proba"),
        (
            lambda: StackingClassifier(
                [("t", DecisionTreeClassifier())], stack_method="decision_function"
            ),
            "decision_function",
        ),
        (lambda: StackingClassifier([]), "non-empty"),
        (lambda: StackingClassifier([LEVEL0[0], LEVEL0[0]]), "unique"),
        (lambda: StackingClassifier([LogisticRegression()]), "pair"),
        (lambda: StackingClassifier(LEVEL0, cv="prefit"), "not fitted"),
        (lambda: StackingClassifier(LEVEL0, passthrough="yes"), "passthrough"),
        (lambda: StackingClassifier(LEVEL0, object(), cv=3), "final_estimator"),
    ],
)
def test_stacking_bad_parameters_raise(make, match):
    X = np.arange(18.0).reshape(-1, 1)
    y = [0] * 15 + [1] * 3  # three positives: fine for 3 folds, too few for 4
    with pytest.raises(ValueError, match=match):
        make().fit(X, y)


def test_stacking_bad_data_and_unfitted():
    X, y, _ = _draw(9, 30)
    with pytest.raises(ValueError, match="one class"):
        StackingClassifier(LEVEL0).fit(X, np.zeros(30))
    with pytest.raises(ValueError, match="length mismatch"):
        StackingClassifier(LEVEL0).fit(X, y[:10])
    with pytest.raises(NotFittedError):
        StackingClassifier(LEVEL0).predict(X)
    other = LogisticRegression().fit(X, np.where(y == 1, 2, 0))
    with pytest.raises(ValueError, match="classes"):
        StackingClassifier([("lr", other)], cv="prefit").fit(X, y)
    stack = StackingClassifier(LEVEL0[:1], cv=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        stack.predict(X[:, :2])


def test_docstring_examples_run():
    result = doctest.testmod(ensemble, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
