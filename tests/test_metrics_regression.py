"""Regression metrics agree with scikit-learn and SciPy; MAPE never divides by zero silently."""

import doctest
import math
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import huber as scipy_huber

from mlref.metrics import regression
from mlref.metrics.regression import huber, mae, mape, mse, rmse

SETTINGS = settings(max_examples=80, deadline=None)
ERROR_METRICS = (mse, rmse, mae, mape, huber)

values = st.one_of(st.integers(-3, 3).map(float), st.floats(-1e6, 1e6, allow_nan=False, width=64))


@st.composite
def target_pairs(draw, elements=values, max_size=40):
    n = draw(st.integers(1, max_size))
    y_true = np.array(draw(st.lists(elements, min_size=n, max_size=n)))
    y_pred = np.array(draw(st.lists(elements, min_size=n, max_size=n)))
    return y_true, y_pred


nonzero_targets = st.one_of(st.floats(0.001, 1e6), st.floats(-1e6, -0.001))

# The examples of scikit-learn's documentation.
Y_TRUE, Y_PRED = [3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0]


def test_the_sklearn_documentation_examples():
    assert mse(Y_TRUE, Y_PRED) == 0.375
    assert rmse(Y_TRUE, Y_PRED) == pytest.approx(math.sqrt(0.375), rel=1e-15)
    assert mae(Y_TRUE, Y_PRED) == 0.5
    # (0.5/3 + 0.5/0.5 + 0/2 + 1/7) / 4
    assert mape(Y_TRUE, Y_PRED) == pytest.approx((1 / 6 + 1 + 1 / 7) / 4, rel=1e-15)


def test_a_single_sample():
    assert mse([2.0], [5.0]) == 9.0
    assert rmse([2.0], [5.0]) == 3.0
    assert mae([2.0], [5.0]) == 3.0
    assert mape([2.0], [5.0]) == 1.5
    assert huber([2.0], [5.0], delta=1.0) == 2.5


@SETTINGS
@given(target_pairs())
def test_mse_rmse_mae_match_sklearn(data):
    y_true, y_pred = data
    assert mse(y_true, y_pred) == pytest.approx(skm.mean_squared_error(y_true, y_pred), rel=1e-12)
    assert rmse(y_true, y_pred) == pytest.approx(
        skm.root_mean_squared_error(y_true, y_pred), rel=1e-12
    )
    assert mae(y_true, y_pred) == pytest.approx(skm.mean_absolute_error(y_true, y_pred), rel=1e-12)


# --- MAPE ------------------------------------------------------------------------------------


def test_mape_is_a_fraction_not_a_percent():
    assert mape([100.0, 200.0], [110.0, 150.0]) == pytest.approx(0.175, rel=1e-15)
    assert mape([50.0], [50.0]) == 0.0


@SETTINGS
@given(target_pairs(elements=nonzero_targets))
def test_mape_without_zero_targets_matches_sklearn_in_every_mode(data):
    y_true, y_pred = data
    expected = skm.mean_absolute_percentage_error(y_true, y_pred)
    for zero in ("raise", "skip", "epsilon"):
        assert mape(y_true, y_pred, zero=zero) == pytest.approx(expected, rel=1e-12)


@SETTINGS
@given(target_pairs())
def test_mape_epsilon_mode_matches_sklearn_with_zero_targets(data):
    y_true, y_pred = data
    expected = skm.mean_absolute_percentage_error(y_true, y_pred)
    assert mape(y_true, y_pred, zero="epsilon") == pytest.approx(expected, rel=1e-12)


def test_mape_epsilon_mode_divides_by_eps_at_a_zero_target():
    eps = np.finfo(np.float64).eps
    assert mape([0.0, 1.0], [1e-16, 1.0], zero="epsilon") == pytest.approx(1e-16 / eps / 2)
    assert mape([0.0, 1.0], [0.5, 1.0], zero="epsilon", eps=0.1) == pytest.approx(2.5)
    assert mape([0.0], [0.0], zero="epsilon") == 0.0


def test_mape_raises_on_a_zero_target_by_default_and_names_the_options():
    with pytest.raises(ValueError, match="undefined") as raised:
        mape([0.0, 2.0, 0.0], [1.0, 2.0, 0.0])
    message = str(raised.value)
    assert "2 zero target" in message and "zero='skip'" in message and "zero='epsilon'" in message


@SETTINGS
@given(target_pairs(elements=nonzero_targets), st.integers(1, 3), st.randoms())
def test_mape_skip_averages_over_the_nonzero_targets_and_warns(data, n_zeros, rnd):
    kept_true, kept_pred = data
    y_true = np.concatenate((kept_true, np.zeros(n_zeros)))
    y_pred = np.concatenate((kept_pred, np.full(n_zeros, 1e9)))
    order = np.arange(y_true.size)
    rnd.shuffle(order)
    with pytest.warns(UserWarning, match=f"skipped {n_zeros} of {y_true.size} rows"):
        got = mape(y_true[order], y_pred[order], zero="skip")
    expected = skm.mean_absolute_percentage_error(kept_true, kept_pred)
    assert got == pytest.approx(expected, rel=1e-12)


def test_mape_skip_refuses_when_every_target_is_zero():
    with pytest.raises(ValueError, match="every target in y_true is 0"):
        mape([0.0, 0.0], [1.0, 0.0], zero="skip")


def test_mape_skip_hand_example():
    with pytest.warns(UserWarning, match="skipped 1 of 3"):
        assert mape([0.0, 200.0, 100.0], [10.0, 150.0, 100.0], zero="skip") == 0.125


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"zero": "ignore"}, "zero must be one of"),
        ({"zero": "epsilon", "eps": 0}, "eps must be a positive"),
        ({"zero": "epsilon", "eps": -1.0}, "eps must be a positive"),
        ({"zero": "epsilon", "eps": math.inf}, "eps must be a positive"),
        ({"zero": "epsilon", "eps": "tiny"}, "eps must be a positive"),
    ],
)
def test_mape_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mape([1.0], [1.0], **kwargs)


# --- Huber -----------------------------------------------------------------------------------


@SETTINGS
@given(target_pairs(), st.sampled_from([1e-3, 0.5, 1.0, 2.0, 1e4]))
def test_huber_matches_scipy(data, delta):
    y_true, y_pred = data
    expected = np.mean(scipy_huber(delta, y_true - y_pred))
    assert huber(y_true, y_pred, delta=delta) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_huber_is_half_the_squared_error_inside_delta_and_linear_outside():
    assert huber([0.0, 0.0], [0.5, -1.0]) == pytest.approx(mse([0.0, 0.0], [0.5, -1.0]) / 2)
    assert huber([0.0], [3.0], delta=1.0) == 2.5
    assert huber([0.0], [3.0], delta=2.0) == 4.0
    # The two pieces meet at |r| = delta.
    assert huber([0.0], [2.0], delta=2.0) == 2.0 == 2.0 * (2.0 - 0.5 * 2.0)


@pytest.mark.parametrize("delta", [0, -1.0, math.inf, math.nan, "1", True, None])
def test_huber_rejects_a_non_positive_delta(delta):
    with pytest.raises(ValueError, match="delta must be a positive"):
        huber([1.0], [2.0], delta=delta)


# --- input checks shared by all metrics ------------------------------------------------------


@pytest.mark.parametrize("metric", ERROR_METRICS)
@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [
        ([1.0, 2.0], [1.0], "length mismatch"),
        ([1.0, np.nan], [1.0, 2.0], "y_true holds 1 NaN"),
        ([1.0, 2.0], [np.inf, 2.0], "y_pred holds 1 NaN or infinite"),
        ([], [], "y_true is empty"),
        ([[1.0, 2.0]], [[1.0, 2.0]], "must be 1-D"),
        (["a"], ["b"], "must hold numbers"),
    ],
)
def test_metrics_reject_bad_input(metric, y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        metric(y_true, y_pred)


@pytest.mark.parametrize("metric", ERROR_METRICS)
def test_metrics_accept_integer_and_boolean_arrays(metric):
    assert metric([1, 2, 3], np.array([1, 2, 4])) == metric([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    assert metric(np.array([True, True]), [1, 1]) == 0.0


def test_docstring_examples_run():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="mape skipped", category=UserWarning)
        result = doctest.testmod(regression, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 6 and result.failed == 0
