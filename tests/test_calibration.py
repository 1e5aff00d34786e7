"""mlref.calibration against scikit-learn, statsmodels and SciPy."""

import numpy as np
import pytest
import sklearn.isotonic
import statsmodels.api as sm
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import KFold

from mlref.calibration import (
    IsotonicCalibrator,
    PlattCalibrator,
    TemperatureScaling,
    isotonic_regression,
)


@pytest.mark.parametrize("seed", range(4))
def test_pav_equals_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    n = [1, 2, 17, 300][seed]
    y = np.round(rng.normal(size=n), 1)  # ties in y
    w = rng.uniform(0.1, 3.0, size=n)
    np.testing.assert_allclose(isotonic_regression(y), sklearn.isotonic.isotonic_regression(y))
    np.testing.assert_allclose(
        isotonic_regression(y, w),
        sklearn.isotonic.isotonic_regression(y, sample_weight=w),
        atol=1e-12,
    )


@pytest.mark.parametrize("seed", range(3))
def test_isotonic_calibrator_equals_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    scores = np.round(rng.normal(size=400), 1)  # many tied scores
    y = (rng.random(400) < 1 / (1 + np.exp(-2 * scores))).astype(int)
    w = rng.uniform(0.5, 2.0, size=400)
    new = np.concatenate([rng.normal(size=50) * 2, [-10.0, 10.0]])  # outside the range too
    ours = IsotonicCalibrator().fit(scores, y, sample_weight=w).predict(new)
    theirs = sklearn.isotonic.IsotonicRegression(out_of_bounds="clip").fit(scores, y, w)
    np.testing.assert_allclose(ours, theirs.predict(new), atol=1e-12)


def test_platt_without_smoothing_is_a_logistic_regression_on_the_score():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=500) * 3 + 1
    y = (rng.random(500) < 1 / (1 + np.exp(-(0.5 * scores - 0.3)))).astype(int)
    ours = PlattCalibrator(target_smoothing=False).fit(scores, y)
    fit = sm.Logit(y, sm.add_constant(scores)).fit(disp=0, tol=1e-12)
    assert ours.coef_ == pytest.approx(fit.params[1], abs=1e-8)
    assert ours.intercept_ == pytest.approx(fit.params[0], abs=1e-8)


def test_platt_equals_calibrated_classifier_cv_sigmoid_on_the_same_folds():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(600, 4))
    y = (X @ [1.5, -1.0, 0.5, 0.0] + rng.normal(size=600) > 0).astype(int)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    sk = CalibratedClassifierCV(SkLogisticRegression(), method="sigmoid", cv=folds).fit(X, y)
    X_new = rng.normal(size=(50, 4))
    ours = np.zeros(50)
    for train, test in folds:
        base = SkLogisticRegression().fit(X[train], y[train])
        platt = PlattCalibrator().fit(base.decision_function(X[test]), y[test])
        ours += platt.predict(base.decision_function(X_new)) / len(folds)
    np.testing.assert_allclose(ours, sk.predict_proba(X_new)[:, 1], atol=1e-6)


def test_platt_survives_separable_data_with_smoothing():
    scores = np.array([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0])
    y = np.array([0, 0, 0, 1, 1, 1])
    platt = PlattCalibrator().fit(scores, y)
    assert np.isfinite(platt.coef_) and 0 < platt.predict(np.array([3.0]))[0] < 1


def test_temperature_scaling_minimises_the_nll_and_keeps_the_argmax():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 4, size=800)
    logits = rng.normal(size=(800, 4)) * 2
    logits[np.arange(800), y] += 3.0  # informative but over-confident once scaled up
    logits *= 2.5
    scaler = TemperatureScaling().fit(logits, y)

    def nll(t):
        return -log_softmax(logits / t, axis=1)[np.arange(800), y].sum()

    best = minimize_scalar(nll, bounds=(0.05, 50), method="bounded", options={"xatol": 1e-10})
    assert scaler.temperature_ == pytest.approx(best.x, rel=1e-6)
    assert scaler.temperature_ > 1
    np.testing.assert_array_equal(scaler.predict(logits), logits.argmax(axis=1))
    assert nll(scaler.temperature_) < nll(1.0)


def test_calibrators_refuse_bad_input():
    scores = np.array([0.1, 0.4, 0.8])
    with pytest.raises(ValueError, match="one class"):
        PlattCalibrator().fit(scores, [1, 1, 1])
    with pytest.raises(ValueError, match="one class"):
        IsotonicCalibrator().fit(scores, [0, 0, 0])
    with pytest.raises(ValueError, match="binary"):
        IsotonicCalibrator().fit(scores, [0, 2, 1])
    with pytest.raises(ValueError, match="length"):
        PlattCalibrator().fit(scores, [0, 1])
    with pytest.raises(ValueError, match="one class"):
        TemperatureScaling().fit(np.ones((3, 2)), [1, 1, 1])
    with pytest.raises(ValueError, match=r"0\.\.1"):
        TemperatureScaling().fit(np.ones((3, 2)), [0, 1, 2])
    scaler = TemperatureScaling().fit(np.eye(3), [0, 1, 2])
    with pytest.raises(ValueError, match="features"):
        scaler.predict_proba(np.ones((2, 4)))
