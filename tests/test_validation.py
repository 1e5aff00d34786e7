"""The shared input checks: each bad input raises ValueError naming the argument and the fix."""

import numpy as np
import pytest

from mlref._validation import (
    check_array_1d,
    check_array_2d,
    check_binary,
    check_class_labels,
    check_n_features,
    check_option,
    check_positive_int,
    check_probabilities,
    check_real,
    check_same_length,
)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: check_array_1d([[1, 2]], "y"), r"y must be 1-D, got an array of shape \(1, 2\)"),
        (lambda: check_array_1d([], "y"), "y is empty"),
        (lambda: check_array_1d(["a"], "y"), "y must hold numbers"),
        (lambda: check_array_1d([1.0, np.inf], "y"), "y holds 1 NaN or infinite"),
        (lambda: check_array_1d([1.5], "k", dtype=np.int64), "k must hold whole numbers"),
        (lambda: check_array_2d([1.0, 2.0], "X"), r"X must be 2-D .* x.reshape\(-1, 1\)"),
        (lambda: check_array_2d(np.ones((0, 3)), "X"), "X is empty"),
        (lambda: check_array_2d([[np.nan]], "X"), "X holds NaN"),
        (lambda: check_same_length(a=[1, 2], b=[1]), "length mismatch: a has 2, b has 1"),
        (lambda: check_binary([0, 2]), "y_true must be binary 0/1 labels, got values 0, 2"),
        (lambda: check_binary([1, 1], require_both=True), "only one class"),
        (lambda: check_probabilities([0.2, 1.5]), r"y_prob must be probabilities in \[0, 1\]"),
        (lambda: check_positive_int(0, "k"), "k must be an integer >= 1, got 0"),
        (lambda: check_positive_int(True, "k"), "k must be an integer >= 1, got True"),
        (lambda: check_positive_int(2.0, "k"), "k must be an integer >= 1, got 2.0"),
        (lambda: check_option("x", "gain", ("a", "b")), "gain must be one of 'a', 'b'; got 'x'"),
        (
            lambda: check_real(0, "sigma", low=0, low_inclusive=False),
            "sigma must be a finite number > 0",
        ),
        (lambda: check_real(-1, "alpha", low=0), "alpha must be a finite number >= 0, got -1"),
        (lambda: check_real(1.5, "ratio", low=0, high=1, low_inclusive=False), r"in \(0, 1\]"),
        (lambda: check_real(np.nan, "C"), "C must be a finite number, got nan"),
        (lambda: check_real(True, "C", low=0), "got True"),
        (lambda: check_real("1", "C", hint="; pass a float"), "got '1'; pass a float"),
        (lambda: check_class_labels([[0], [1]], "y"), r"y must be 1-D .* y.ravel\(\)"),
        (lambda: check_class_labels([], "y"), "y is empty"),
        (lambda: check_class_labels([0.0, np.nan], "y"), "y holds NaN or infinite labels"),
        (lambda: check_class_labels([0.2, 0.9], "y"), "continuous target that looks like scores"),
        (lambda: check_class_labels([1, "a"], "y"), "y mixes label types"),
        (lambda: check_class_labels(np.array(["a", None], dtype=object), "y"), "missing labels"),
        (lambda: check_class_labels(np.array([1, 2j]), "y"), "must hold class labels"),
    ],
)
def test_bad_input_raises_a_message_that_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_good_input_passes_through_converted():
    assert check_array_1d([1, 2], "y").dtype == np.float64
    assert check_array_1d([True, False], "y", dtype=None).dtype == bool
    assert check_array_2d([[1, 2]], "X").shape == (1, 2)
    assert check_same_length(a=[1, 2], b=(3, 4)) == 2
    assert check_binary([True, False]).tolist() == [1, 0]
    assert check_positive_int(np.int64(3), "k") == 3
    assert check_real(np.float32(0.5), "ratio", low=0, high=1) == 0.5
    assert check_real(0, "alpha", low=0) == 0.0
    assert check_class_labels(["buy", "nav"]).tolist() == ["buy", "nav"]
    assert check_class_labels([0.0, 2.0]).tolist() == [0.0, 2.0]
    assert check_class_labels(np.array(["a", "b"], dtype=object)).tolist() == ["a", "b"]


def test_check_n_features_uses_scikit_learns_wording():
    class Fitted:
        n_features_in_ = 2

    X = np.zeros((3, 2))
    assert check_n_features(X, Fitted()) is X
    with pytest.raises(ValueError, match=r"^X has 3 features, but Fitted is expecting 2 features"):
        check_n_features(np.zeros((1, 3)), Fitted())
