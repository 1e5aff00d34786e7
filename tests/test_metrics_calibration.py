"""Calibration metrics against scikit-learn's calibration_curve and brier_score_loss."""

import doctest

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from mlref.metrics import (
    brier_score,
    calibration,
    expected_calibration_error,
    reliability_curve,
)


def _random_case(seed, n, *, tied):
    rng = np.random.default_rng(seed)
    prob = rng.uniform(size=n)
    if tied:
        prob = np.round(prob, 1)  # many scores exactly on the bin edges 0.1, 0.2, ...
    y = (rng.uniform(size=n) < prob).astype(int)
    return y, prob


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [1, 3, 10, 25])
@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_reliability_curve_equals_scikit_learn(seed, tied, n_bins, strategy):
    y, prob = _random_case(seed, int(np.random.default_rng(seed).integers(1, 300)), tied=tied)
    prob_true, prob_pred, count = reliability_curve(y, prob, n_bins=n_bins, strategy=strategy)
    ref_true, ref_pred = calibration_curve(y, prob, n_bins=n_bins, strategy=strategy)
    np.testing.assert_allclose(prob_true, ref_true, rtol=0, atol=1e-12)
    np.testing.assert_allclose(prob_pred, ref_pred, rtol=0, atol=1e-12)
    assert count.sum() == y.size and (count > 0).all()


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("seed", range(5))
def test_ece_is_the_weighted_gap_of_the_curve_by_brute_force(seed, strategy):
    y, prob = _random_case(seed, 200, tied=seed % 2 == 0)
    ref_true, ref_pred = calibration_curve(y, prob, n_bins=10, strategy=strategy)
    # Bin sizes recovered independently: each case's bin by scikit-learn's own edge rule.
    if strategy == "uniform":
        edges = np.linspace(0, 1, 11)
    else:
        edges = np.percentile(prob, np.linspace(0, 100, 11))
    bins = np.searchsorted(edges[1:-1], prob)
    sizes = np.bincount(bins, minlength=10)
    sizes = sizes[sizes > 0]
    expected = np.sum(sizes * np.abs(ref_true - ref_pred)) / y.size
    got = expected_calibration_error(y, prob, n_bins=10, strategy=strategy)
    assert got == pytest.approx(expected, abs=1e-12)


def test_ece_of_a_perfectly_calibrated_constant_is_zero_and_of_a_shifted_one_is_the_shift():
    y = np.array([1] * 20 + [0] * 80)
    assert expected_calibration_error(y, np.full(100, 0.2)) == pytest.approx(0.0, abs=1e-15)
    assert expected_calibration_error(y, np.full(100, 0.35)) == pytest.approx(0.15)


def test_ece_one_class_and_one_sample_are_defined():
    assert expected_calibration_error([0, 0, 0], [0.1, 0.2, 0.0]) == pytest.approx(0.1)
    assert expected_calibration_error([1], [0.75]) == pytest.approx(0.25)


@pytest.mark.parametrize("seed", range(5))
def test_brier_equals_scikit_learn(seed):
    y, prob = _random_case(seed, 50 + seed, tied=False)
    assert brier_score(y, prob) == pytest.approx(brier_score_loss(y, prob), abs=1e-15)


def test_brier_of_the_base_rate_is_p_times_one_minus_p():
    y = np.array([1] * 2 + [0] * 98)
    assert brier_score(y, np.full(100, 0.02)) == pytest.approx(0.02 * 0.98)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: expected_calibration_error([0, 1], [0.2, 1.3]), "y_prob must be probabilities"),
        (lambda: expected_calibration_error([0, 2], [0.2, 0.3]), "y_true must be binary"),
        (lambda: expected_calibration_error([0, 1], [0.2]), "length mismatch"),
        (lambda: expected_calibration_error([0, 1], [0.2, 0.3], n_bins=0), "n_bins"),
        (lambda: reliability_curve([0, 1], [0.2, 0.3], strategy="equal"), "strategy"),
        (lambda: brier_score([0, 1], [0.2, np.nan]), "y_prob holds 1 NaN"),
        (lambda: brier_score([], []), "y_true is empty"),
    ],
)
def test_bad_input_is_refused_with_the_fix(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_docstring_examples():
    assert doctest.testmod(calibration).failed == 0
