"""Logistic and softmax regression from scratch agree with scikit-learn and SciPy."""

import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlref.models.linear import (
    LogisticRegression,
    SoftmaxRegression,
    _binary_objective_and_gradient,
    _softmax_objective_and_gradient,
)
from mlref.nn import log_softmax, sigmoid, softmax
from mlref.nn.gradcheck import numerical_gradient

PROB_TOL = 1e-4
TIGHT = {"tol": 1e-10, "max_iter": 100_000}
SK_TIGHT = {"tol": 1e-10, "max_iter": 10_000}
FEW = settings(max_examples=12, deadline=None)


def _binary_data(seed, n=None, d=None, *, signal=1.0):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(50, 301)) if n is None else n
    d = int(rng.integers(2, 11)) if d is None else d
    X = rng.normal(size=(n, d))
    logits = signal * X @ rng.normal(size=d) + 0.5
    y = (rng.random(n) < scipy.special.expit(logits)).astype(int)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    return X, y


def _multiclass_data(seed, n_classes):
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(50, 301)), int(rng.integers(2, 11))
    X = rng.normal(size=(n, d))
    probs = scipy.special.softmax(X @ rng.normal(size=(d, n_classes)), axis=1)
    y = (rng.random((n, 1)) > np.cumsum(probs, axis=1)).sum(axis=1)
    y[:n_classes] = np.arange(n_classes)  # every class present
    return X, y


def _sklearn(penalty, C, **kwargs):
    """scikit-learn 1.9's spelling of each penalty (``penalty=`` is deprecated since 1.8)."""
    if penalty is None:
        return SklearnLogisticRegression(C=np.inf, **SK_TIGHT, **kwargs)
    if penalty == "l1":
        kwargs.setdefault("solver", "saga")
        return SklearnLogisticRegression(C=C, l1_ratio=1.0, **SK_TIGHT, **kwargs)
    return SklearnLogisticRegression(C=C, l1_ratio=0.0, **SK_TIGHT, **kwargs)


def _max_prob_diff(ours, theirs, X):
    return np.abs(ours.predict_proba(X) - theirs.predict_proba(X)).max()


# ---------------------------------------------------------------------------------------------
# sigmoid, log_softmax, softmax
# ---------------------------------------------------------------------------------------------

finite_logits = st.floats(-1e4, 1e4, allow_nan=False)


@given(arrays(np.float64, st.integers(1, 30), elements=finite_logits))
@settings(max_examples=60, deadline=None)
def test_sigmoid_matches_scipy_expit_without_warnings(z):
    z[0] = 1e4 if z.size % 2 else -1e4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            ours = sigmoid(z)
    np.testing.assert_allclose(ours, scipy.special.expit(z), rtol=1e-14, atol=1e-300)


def test_sigmoid_extremes_and_scalars():
    assert sigmoid(0.0) == 0.5
    assert isinstance(sigmoid(0.0), float)
    assert sigmoid(np.inf) == 1.0
    assert sigmoid(-np.inf) == 0.0
    assert sigmoid(-1e4) == 0.0
    assert sigmoid(-700.0) == pytest.approx(scipy.special.expit(-700.0), rel=1e-14)
    assert sigmoid([[1, 2]]).shape == (1, 2)
    # 1 - sigmoid(z) == sigmoid(-z): the symmetry predict_proba relies on
    z = np.linspace(-40, 40, 81)
    np.testing.assert_allclose(sigmoid(-z), 1 - sigmoid(z), atol=1e-16)


@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 8), st.integers(1, 6)),
        elements=st.floats(-1e4, 1e4, allow_nan=False),
    ),
    st.sampled_from([0, 1, -1]),
)
@settings(max_examples=60, deadline=None)
def test_log_softmax_matches_scipy_without_warnings(z, axis):
    z.flat[0] = 1e4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            ours = log_softmax(z, axis=axis)
            probs = softmax(z, axis=axis)
    np.testing.assert_allclose(ours, scipy.special.log_softmax(z, axis=axis), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(probs, scipy.special.softmax(z, axis=axis), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(probs.sum(axis=axis), 1.0, rtol=1e-12)


def test_log_softmax_hand_values_and_masked_logits():
    np.testing.assert_allclose(log_softmax([0.0, 0.0]), np.log([0.5, 0.5]))
    np.testing.assert_allclose(softmax([1e4, 0.0, -1e4]), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(softmax([np.log(1.0), np.log(3.0)]), [0.25, 0.75])
    masked = log_softmax([0.0, -np.inf, 0.0])
    assert masked[1] == -np.inf
    np.testing.assert_allclose(np.exp(masked), [0.5, 0.0, 0.5])
    assert softmax([7.0]).tolist() == [1.0]


@pytest.mark.parametrize(
    ("z", "message"),
    [
        ([0.0, np.nan], "NaN"),
        ([0.0, np.inf], r"\+inf"),
        ([[-np.inf, -np.inf], [0.0, 1.0]], "all -inf"),
        (3.0, "at least 1-D"),
        (["a", "b"], "z must hold numbers"),
    ],
)
def test_log_softmax_rejects_bad_input(z, message):
    with pytest.raises(ValueError, match=message):
        log_softmax(z)
    with pytest.raises(ValueError, match=message):
        softmax(z)


def test_sigmoid_rejects_nan_and_text():
    with pytest.raises(ValueError, match="NaN"):
        sigmoid([0.0, np.nan])
    with pytest.raises(ValueError, match="z must hold numbers"):
        sigmoid(["x"])


# ---------------------------------------------------------------------------------------------
# Objectives: analytic gradients against central finite differences
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("penalty", ["l2", "l1", None])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_binary_gradient_matches_finite_differences(penalty, fit_intercept, weighted, seed):
    rng = np.random.default_rng(seed)
    X, y = _binary_data(seed, n=40, d=4)
    X1 = np.hstack([X, np.ones((40, 1))]) if fit_intercept else X
    params = rng.normal(size=X1.shape[1])  # no coordinate near 0, where |w| has a kink
    params += np.sign(params) * 0.1
    # sample weights with zeros, or none (every row weighs 1)
    weight = rng.exponential(size=40) * (rng.random(40) > 0.2) if weighted else np.ones(40)
    kwargs = {"C": 0.7, "penalty": penalty, "fit_intercept": fit_intercept,
              "sample_weight": weight if weighted else None}  # fmt: skip
    value, grad = _binary_objective_and_gradient(params, X1, y.astype(float), **kwargs)

    def objective(p):
        return _binary_objective_and_gradient(p, X1, y.astype(float), **kwargs)[0]

    np.testing.assert_allclose(
        grad, numerical_gradient(lambda: objective(params), params), rtol=1e-6, atol=1e-6
    )
    # the value itself, written the long way round
    p = scipy.special.expit(X1 @ params)
    w = params[:-1] if fit_intercept else params
    expected = -0.7 * np.sum(weight * (y * np.log(p) + (1 - y) * np.log(1 - p)))
    expected += {"l2": 0.5 * w @ w, "l1": np.abs(w).sum(), None: 0.0}[penalty]
    assert value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("seed", range(3))
def test_softmax_gradient_matches_finite_differences(fit_intercept, seed):
    rng = np.random.default_rng(seed)
    X, y = _multiclass_data(seed, n_classes=4)
    X1 = np.hstack([X, np.ones((len(X), 1))]) if fit_intercept else X
    Y = np.eye(4)[y]
    params = rng.normal(size=(4, X1.shape[1]))
    value, grad = _softmax_objective_and_gradient(params, X1, Y, C=2.5, fit_intercept=fit_intercept)

    def objective(p):
        return _softmax_objective_and_gradient(p, X1, Y, C=2.5, fit_intercept=fit_intercept)[0]

    np.testing.assert_allclose(
        grad, numerical_gradient(lambda: objective(params), params), rtol=1e-6, atol=1e-5
    )
    W = params[:, :-1] if fit_intercept else params
    logp = scipy.special.log_softmax(X1 @ params.T, axis=1)
    expected = -2.5 * logp[np.arange(len(y)), y].sum() + 0.5 * np.sum(W**2)
    assert value == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# LogisticRegression against scikit-learn
# ---------------------------------------------------------------------------------------------


@given(
    seed=st.integers(0, 2**32 - 1),
    C=st.sampled_from([0.01, 0.1, 1.0, 10.0, 100.0]),
    penalty=st.sampled_from(["l2", None]),
)
@FEW
def test_logistic_matches_sklearn_lbfgs(seed, C, penalty):
    # Without a penalty the data must not be linearly separable (no finite solution then):
    # enough samples and a weak signal make that practically certain.
    n = int(np.random.default_rng(seed).integers(150, 301)) if penalty is None else None
    X, y = _binary_data(seed, n=n, signal=0.5 if penalty is None else 1.0)
    ours = LogisticRegression(penalty=penalty, C=C, **TIGHT).fit(X, y)
    theirs = _sklearn(penalty, C).fit(X, y)
    assert _max_prob_diff(ours, theirs, X) < PROB_TOL
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-4)


@given(seed=st.integers(0, 2**32 - 1), C=st.sampled_from([0.3, 1.0, 10.0, 100.0]))
@FEW
def test_logistic_l1_matches_sklearn_saga(seed, C):
    # saga's stopping rule (relative change of the weights) stops early, with a wrong
    # intercept, when the solution is all zeros: that regime is checked against liblinear and
    # the optimality conditions below instead.
    X, y = _binary_data(seed)
    ours = LogisticRegression(penalty="l1", C=C, **TIGHT).fit(X, y)
    assume(np.count_nonzero(ours.coef_) > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            theirs = _sklearn("l1", C).fit(X, y)
        except ConvergenceWarning:
            # Nearly separable data with a weak penalty: saga stops at max_iter far from the
            # optimum. liblinear (penalised intercept, made negligible by a huge scaling) is
            # then the reference.
            theirs = _sklearn("l1", C, solver="liblinear", intercept_scaling=1e4).fit(X, y)
    assert _max_prob_diff(ours, theirs, X) < PROB_TOL


@given(seed=st.integers(0, 2**32 - 1), C=st.sampled_from([0.01, 0.05, 0.3, 3.0]))
@FEW
def test_logistic_l1_without_intercept_matches_liblinear(seed, C):
    # liblinear penalises the intercept, so it is only comparable without one.
    X, y = _binary_data(seed)
    ours = LogisticRegression(penalty="l1", C=C, fit_intercept=False, **TIGHT).fit(X, y)
    theirs = _sklearn("l1", C, solver="liblinear", fit_intercept=False).fit(X, y)
    assert _max_prob_diff(ours, theirs, X) < PROB_TOL
    np.testing.assert_array_equal(ours.coef_ == 0, theirs.coef_ == 0)
    assert ours.intercept_.tolist() == [0.0]


@pytest.mark.parametrize("C", [0.005, 0.05, 0.5, 5.0])
@pytest.mark.parametrize("seed", range(4))
def test_logistic_l1_solution_satisfies_optimality_conditions(C, seed):
    """Subgradient (KKT) conditions of the lasso objective, independent of any reference."""
    X, y = _binary_data(seed)
    model = LogisticRegression(penalty="l1", C=C, **TIGHT).fit(X, y)
    w, b = model.coef_[0], model.intercept_[0]
    residual = scipy.special.expit(X @ w + b) - y
    loss_grad = C * X.T @ residual
    zero = w == 0
    assert abs(C * residual.sum()) < 1e-6  # intercept: plain stationarity
    np.testing.assert_allclose(loss_grad[~zero], -np.sign(w[~zero]), atol=1e-6)
    assert np.all(np.abs(loss_grad[zero]) <= 1 + 1e-6)


def test_logistic_l1_gives_exact_zeros_and_all_zero_for_tiny_C():
    X, y = _binary_data(0, n=200, d=8)
    X[:, 4:] = np.random.default_rng(1).normal(size=(200, 4))  # pure-noise features
    sparse_model = LogisticRegression(penalty="l1", C=0.05, **TIGHT).fit(X, y)
    assert 0 < np.count_nonzero(sparse_model.coef_) < 8
    empty = LogisticRegression(penalty="l1", C=1e-4, **TIGHT).fit(X, y)
    assert np.count_nonzero(empty.coef_) == 0
    # with all coefficients at 0, the intercept is the log-odds of the base rate
    assert empty.intercept_[0] == pytest.approx(np.log(y.mean() / (1 - y.mean())), abs=1e-8)


def test_logistic_matches_sklearn_without_intercept():
    X, y = _binary_data(5)
    ours = LogisticRegression(C=0.3, fit_intercept=False, **TIGHT).fit(X, y)
    theirs = _sklearn("l2", 0.3, fit_intercept=False).fit(X, y)
    assert _max_prob_diff(ours, theirs, X) < PROB_TOL
    assert ours.intercept_.tolist() == [0.0]


@pytest.mark.parametrize("penalty", ["l2", None, "l1"])
def test_logistic_converges_on_badly_scaled_features(penalty):
    """Means of 100 and scales from 0.01 to 1000: the preconditioning keeps this fast."""
    rng = np.random.default_rng(0)
    n = 500
    X = np.column_stack(
        [rng.normal(100, 1, n), rng.normal(0, 1000, n), rng.normal(0, 0.01, n), rng.normal(size=n)]
    )
    logits = (X[:, 0] - 100) + X[:, 1] / 1000 + 50 * X[:, 2] + X[:, 3]
    y = (rng.random(n) < scipy.special.expit(logits)).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = LogisticRegression(penalty=penalty, max_iter=5000, tol=1e-10).fit(X, y)
    assert ours.n_iter_ < 5000
    if penalty != "l1":  # saga does not converge on this scaling
        theirs = _sklearn(penalty, 1.0).fit(X, y)
        assert _max_prob_diff(ours, theirs, X) < PROB_TOL


def test_logistic_any_two_labels_and_label_order():
    X, y = _binary_data(3)
    numeric = LogisticRegression(**TIGHT).fit(X, y)
    text = LogisticRegression(**TIGHT).fit(X, np.where(y == 1, "spam", "ham"))
    assert text.classes_.tolist() == ["ham", "spam"]
    np.testing.assert_allclose(text.predict_proba(X), numeric.predict_proba(X), atol=1e-12)
    np.testing.assert_array_equal(text.predict(X) == "spam", numeric.predict(X) == 1)
    # swapping which label sorts first flips the sign of the model
    flipped = LogisticRegression(**TIGHT).fit(X, np.where(y == 1, "a", "b"))
    np.testing.assert_allclose(flipped.coef_, -numeric.coef_, atol=1e-9)
    np.testing.assert_allclose(flipped.predict_proba(X)[:, ::-1], numeric.predict_proba(X))
    booleans = LogisticRegression(**TIGHT).fit(X, y == 1)
    assert booleans.classes_.tolist() == [False, True]
    assert LogisticRegression().fit(X, y.astype(float)).classes_.tolist() == [0.0, 1.0]


def test_logistic_prediction_methods_are_consistent():
    X, y = _binary_data(7)
    model = LogisticRegression(C=2.0).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    z = model.decision_function(X)
    assert z.shape == (len(X),)
    np.testing.assert_allclose(z, X @ model.coef_[0] + model.intercept_[0])
    np.testing.assert_allclose(proba[:, 1], scipy.special.expit(z), rtol=1e-14)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(proba), rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), model.classes_[(z > 0).astype(int)])
    assert model.score(X, y) == pytest.approx(np.mean(model.predict(X) == y))
    assert model.coef_.shape == (1, X.shape[1])
    assert model.intercept_.shape == (1,)
    assert model.n_features_in_ == X.shape[1]
    assert isinstance(model.n_iter_, int) and model.n_iter_ >= 1


def test_logistic_extreme_inputs_do_not_overflow():
    X = np.array([[-1e4], [-1e3], [1e3], [1e4], [5.0], [-5.0]])
    y = np.array([0, 0, 1, 1, 0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            model = LogisticRegression(C=1.0).fit(X, y)
            proba = model.predict_proba([[1e6], [-1e6]])
            log_proba = model.predict_log_proba([[1e6], [-1e6]])
    np.testing.assert_allclose(proba, [[0.0, 1.0], [1.0, 0.0]])
    assert np.all(np.isfinite(log_proba[:, 1][:1])) and log_proba[1, 1] < -100


def test_logistic_tiny_samples():
    model = LogisticRegression(C=1.0, **TIGHT).fit([[0.0], [1.0]], [0, 1])
    theirs = _sklearn("l2", 1.0).fit([[0.0], [1.0]], [0, 1])
    assert _max_prob_diff(model, theirs, [[0.0], [1.0]]) < PROB_TOL
    # two identical points with different labels: probability exactly 1/2
    same = LogisticRegression(**TIGHT).fit([[3.0], [3.0]], ["a", "b"])
    np.testing.assert_allclose(same.predict_proba([[3.0]]), [[0.5, 0.5]], atol=1e-9)


def test_logistic_constant_feature_gets_zero_weight():
    X, y = _binary_data(2, n=100, d=3)
    X[:, 1] = 4.0
    ours = LogisticRegression(penalty=None, **TIGHT).fit(X, y)
    assert ours.coef_[0, 1] == 0.0
    dropped = LogisticRegression(penalty=None, **TIGHT).fit(X[:, [0, 2]], y)
    np.testing.assert_allclose(
        ours.predict_proba(X), dropped.predict_proba(X[:, [0, 2]]), atol=1e-8
    )


def test_logistic_explicit_small_learning_rate_reaches_the_same_solution():
    X, y = _binary_data(4, n=100, d=3)
    default = LogisticRegression(C=1.0, **TIGHT).fit(X, y)
    slow = LogisticRegression(C=1.0, learning_rate=0.05, **TIGHT).fit(X, y)
    assert slow.n_iter_ > default.n_iter_
    np.testing.assert_allclose(slow.predict_proba(X), default.predict_proba(X), atol=1e-8)


def test_logistic_warns_when_not_converged():
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0, 0, 1, 1])  # separable: without penalty there is no finite solution
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        model = LogisticRegression(penalty=None, max_iter=200, solver="fista").fit(X, y)
    assert model.n_iter_ == 200
    assert model.coef_[0, 0] > 5
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        model = LogisticRegression(penalty=None, max_iter=3, solver="lbfgs").fit(X, y)
    assert model.n_iter_ == 3
    with pytest.warns(ConvergenceWarning):
        SoftmaxRegression(max_iter=1).fit(X, y)


# ---------------------------------------------------------------------------------------------
# SoftmaxRegression against scikit-learn
# ---------------------------------------------------------------------------------------------


@given(
    seed=st.integers(0, 2**32 - 1),
    C=st.sampled_from([0.01, 0.1, 1.0, 10.0, 100.0]),
    n_classes=st.integers(3, 5),
)
@FEW
def test_softmax_matches_sklearn_multinomial(seed, C, n_classes):
    X, y = _multiclass_data(seed, n_classes)
    ours = SoftmaxRegression(C=C, **TIGHT).fit(X, y)
    theirs = SklearnLogisticRegression(C=C, **SK_TIGHT).fit(X, y)
    assert _max_prob_diff(ours, theirs, X) < PROB_TOL
    # the same (symmetric, zero-sum) representative of the over-parameterised model
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-4)
    np.testing.assert_allclose(ours.coef_.sum(axis=0), 0.0, atol=1e-12)
    assert abs(ours.intercept_.sum()) < 1e-12


def test_softmax_matches_sklearn_without_intercept_and_with_text_labels():
    X, y = _multiclass_data(11, 3)
    labels = np.array(["navigational", "category", "product"])[y]
    ours = SoftmaxRegression(C=0.5, fit_intercept=False, **TIGHT).fit(X, labels)
    theirs = SklearnLogisticRegression(C=0.5, fit_intercept=False, **SK_TIGHT).fit(X, labels)
    assert ours.classes_.tolist() == ["category", "navigational", "product"]
    assert _max_prob_diff(ours, theirs, X) < PROB_TOL
    np.testing.assert_array_equal(ours.intercept_, 0.0)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_softmax_with_two_classes_is_logistic_with_double_C():
    X, y = _binary_data(8)
    soft = SoftmaxRegression(C=0.4, **TIGHT).fit(X, y)
    logistic = LogisticRegression(C=0.8, **TIGHT).fit(X, y)
    np.testing.assert_allclose(soft.predict_proba(X), logistic.predict_proba(X), atol=1e-8)
    np.testing.assert_allclose(soft.coef_[1] - soft.coef_[0], logistic.coef_[0], atol=1e-6)
    np.testing.assert_allclose(soft.decision_function(X), logistic.decision_function(X), atol=1e-6)
    same_C = LogisticRegression(C=0.4, **TIGHT).fit(X, y)
    assert _max_prob_diff(soft, same_C, X) > 1e-4


def test_softmax_prediction_methods_are_consistent():
    X, y = _multiclass_data(2, 4)
    model = SoftmaxRegression(C=3.0).fit(X, y)
    logits = model.decision_function(X)
    assert logits.shape == (len(X), 4)
    np.testing.assert_allclose(logits, X @ model.coef_.T + model.intercept_)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba, scipy.special.softmax(logits, axis=1), rtol=1e-12)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(proba), rtol=1e-10)
    np.testing.assert_array_equal(model.predict(X), model.classes_[np.argmax(proba, axis=1)])
    assert model.coef_.shape == (4, X.shape[1]) and model.intercept_.shape == (4,)


def test_softmax_converges_on_badly_scaled_features():
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.normal(100, 1, 400), rng.normal(0, 1000, 400)])
    y = np.digitize((X[:, 0] - 100) + X[:, 1] / 1000 + rng.normal(size=400), [-1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = SoftmaxRegression(tol=1e-10, max_iter=5000).fit(X, y)
    theirs = SklearnLogisticRegression(C=1.0, tol=1e-10, max_iter=100_000).fit(X, y)
    assert _max_prob_diff(ours, theirs, X) < PROB_TOL


# ---------------------------------------------------------------------------------------------
# Errors and the estimator API
# ---------------------------------------------------------------------------------------------

X_OK = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
Y_OK = np.array([0, 1, 0, 1])


@pytest.mark.parametrize("estimator", [LogisticRegression, SoftmaxRegression])
@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.arange(4.0), Y_OK, "2-D"),
        (np.ones((4, 2, 1)), Y_OK, "2-D"),
        (np.where(X_OK == 3.0, np.nan, X_OK), Y_OK, "NaN or infinite"),
        (np.where(X_OK == 3.0, np.inf, X_OK), Y_OK, "NaN or infinite"),
        (X_OK, Y_OK[:3], "length mismatch"),
        (X_OK, [0, 0, 0, 0], "1 class"),
        (X_OK, [0.5, 1.5, 0.5, 1.5], "continuous"),
        (X_OK, [0.0, np.nan, 1.0, 1.0], "NaN"),
        (X_OK, np.array(["a", None, "b", "a"], dtype=object), "missing labels"),
        (X_OK, np.array(["a", 1, "b", 2], dtype=object), "mixes label types"),
        (X_OK, Y_OK.reshape(-1, 1), r"y.ravel\(\)"),
        (X_OK, None, "y is None"),
        (sparse.csr_matrix(X_OK), Y_OK, "sparse"),
        (X_OK + 1j, Y_OK, "complex"),
        (np.empty((0, 2)), [], "empty"),
    ],
)
def test_fit_rejects_bad_data(estimator, X, y, message):
    with pytest.raises(ValueError, match=message):
        estimator().fit(X, y)


def test_logistic_rejects_more_than_two_classes():
    with pytest.raises(ValueError, match=r"exactly two classes, got 3.*SoftmaxRegression"):
        LogisticRegression().fit(X_OK, [0, 1, 2, 1])


@pytest.mark.parametrize("estimator", [LogisticRegression, SoftmaxRegression])
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"C": 0.0}, "C must be"),
        ({"C": -1.0}, "C must be"),
        ({"C": np.inf}, "C must be"),
        ({"C": "1"}, "C must be"),
        ({"C": True}, "C must be"),
        ({"max_iter": 0}, "max_iter"),
        ({"max_iter": 2.5}, "max_iter"),
        ({"tol": 0.0}, "tol"),
        ({"tol": -1e-3}, "tol"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"learning_rate": np.nan}, "learning_rate"),
    ],
)
def test_fit_rejects_bad_hyperparameters(estimator, params, message):
    with pytest.raises(ValueError, match=message):
        estimator(**params).fit(X_OK, Y_OK)


@pytest.mark.parametrize("penalty", ["l3", "elasticnet", "L2", "none"])
def test_logistic_rejects_unknown_penalty(penalty):
    with pytest.raises(ValueError, match="penalty must be one of"):
        LogisticRegression(penalty=penalty).fit(X_OK, Y_OK)


@pytest.mark.parametrize("estimator", [LogisticRegression, SoftmaxRegression])
@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"]
)
def test_predicting_before_fit_or_with_wrong_features_fails(estimator, method):
    with pytest.raises(NotFittedError):
        getattr(estimator(), method)(X_OK)
    assert issubclass(NotFittedError, ValueError)
    model = estimator().fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match=r"X has 3 features, but .* expecting 2"):
        getattr(model, method)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="2-D"):
        getattr(model, method)(np.ones(2))
    with pytest.raises(ValueError, match="NaN or infinite"):
        getattr(model, method)([[np.nan, 1.0]])


@pytest.mark.parametrize(
    "estimator",
    [LogisticRegression(penalty="l1", C=3.0, max_iter=50), SoftmaxRegression(C=0.5, tol=1e-8)],
)
def test_clone_and_params_round_trip(estimator):
    twin = clone(estimator)
    assert twin is not estimator
    assert twin.get_params() == estimator.get_params()
    twin.set_params(C=7.0, fit_intercept=False)
    assert twin.C == 7.0 and twin.fit_intercept is False
    assert estimator.C != 7.0
    assert twin.fit(X_OK, Y_OK) is twin
    with pytest.raises(ValueError):
        twin.set_params(nonexistent=1)


def test_init_is_keyword_only_and_only_stores():
    with pytest.raises(TypeError):
        LogisticRegression("l1")
    stored = LogisticRegression(C=-5)  # validated in fit, as in scikit-learn
    assert stored.C == -5


# The three checks below expect scikit-learn's exact error wording or behaviour; mlref's shared
# validation words the same errors differently, and refuses a column-vector y instead of
# ravelling it with a warning.
_SKLEARN_WORDING = {
    "check_estimators_empty_data_messages": "mlref words the empty-X error differently",
    "check_fit2d_predict1d": "mlref words the 1-D X error differently",
    "check_supervised_y_2d": "mlref raises on a column-vector y instead of warning",
}


@parametrize_with_checks(
    [LogisticRegression(), SoftmaxRegression()],
    expected_failed_checks=lambda estimator: _SKLEARN_WORDING,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("penalty", ["l2", None])
def test_logistic_lbfgs_and_fista_reach_the_same_objective(penalty):
    X, y = _binary_data(7, n=300, d=5)
    X = X * np.array([1.0, 10.0, 0.1, 3.0, 1.0]) + 2.0  # uneven scales and a large mean
    fast = LogisticRegression(penalty=penalty, C=0.5, solver="lbfgs", **TIGHT).fit(X, y)
    reference = LogisticRegression(penalty=penalty, C=0.5, solver="fista", **TIGHT).fit(X, y)
    np.testing.assert_allclose(fast.coef_, reference.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fast.intercept_, reference.intercept_, rtol=1e-6, atol=1e-8)
    assert fast.n_iter_ < reference.n_iter_


def test_logistic_lbfgs_refuses_l1():
    X, y = _binary_data(1, n=50, d=2)
    with pytest.raises(ValueError, match=r"solver='lbfgs'.*penalty='l1'"):
        LogisticRegression(penalty="l1", solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="solver"):
        LogisticRegression(solver="newton").fit(X, y)


# ---------------------------------------------------------------------------------------------
# Sample weights
# ---------------------------------------------------------------------------------------------


@given(
    seed=st.integers(0, 2**32 - 1),
    C=st.sampled_from([0.01, 1.0, 100.0]),
    solver=st.sampled_from(["lbfgs", "fista"]),
)
@FEW
def test_weighted_logistic_matches_sklearn(seed, C, solver):
    X, y = _binary_data(seed)
    rng = np.random.default_rng(seed)
    weight = rng.exponential(size=len(y)) * (rng.random(len(y)) > 0.1) + 1e-3 * y
    ours = LogisticRegression(C=C, solver=solver, **TIGHT).fit(X, y, sample_weight=weight)
    theirs = _sklearn("l2", C).fit(X, y, sample_weight=weight)
    assert _max_prob_diff(ours, theirs, X) < PROB_TOL
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-4)


def test_integer_weights_equal_repeated_rows_and_unit_weights_change_nothing():
    X, y = _binary_data(3, n=80, d=3)
    counts = np.random.default_rng(3).integers(0, 4, size=80)
    counts[np.flatnonzero(y == 1)[0]] = counts[np.flatnonzero(y == 0)[0]] = 1
    weighted = LogisticRegression(C=0.3, **TIGHT).fit(X, y, sample_weight=counts)
    repeated = LogisticRegression(C=0.3, **TIGHT).fit(np.repeat(X, counts, 0), np.repeat(y, counts))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-7, atol=1e-9)
    plain = LogisticRegression(C=0.3).fit(X, y)
    ones = LogisticRegression(C=0.3).fit(X, y, sample_weight=np.ones(80))
    np.testing.assert_allclose(ones.coef_, plain.coef_, rtol=1e-6, atol=1e-8)


def test_class_weights_through_sample_weight_match_sklearn_class_weight():
    X, y = _binary_data(5, n=300, d=4)
    weight = np.where(y == 1, 5.0, 1.0)
    ours = LogisticRegression(**TIGHT).fit(X, y, sample_weight=weight)
    theirs = SklearnLogisticRegression(class_weight={0: 1.0, 1: 5.0}, **SK_TIGHT).fit(X, y)
    assert _max_prob_diff(ours, theirs, X) < PROB_TOL


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        (np.r_[-1.0, np.ones(9)], "sample_weight must be >= 0"),
        (np.zeros(10), "sums to 0"),
        (np.ones(9), "sample_weight has 9 values for 10 rows"),
        (np.r_[np.nan, np.ones(9)], "sample_weight"),
        ("abc", "sample_weight"),
        (np.r_[np.zeros(5), np.ones(5)], "one class"),
    ],
)
def test_bad_sample_weights_raise(weight, message):
    X = np.arange(10.0)[:, None]
    y = np.r_[np.ones(5), np.zeros(5)]
    with pytest.raises(ValueError, match=message):
        LogisticRegression().fit(X, y, sample_weight=weight)
