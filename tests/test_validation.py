"""The shared input checks: each bad input raises ValueError naming the argument and the fix."""

import numpy as np
import pytest

from mlref._validation import (
    as_array,
    check_array_1d,
    check_array_2d,
    check_binary,
    check_bool,
    check_class_labels,
    check_input_features,
    check_n_features,
    check_option,
    check_positive_int,
    check_probabilities,
    check_random_state,
    check_real,
    check_same_length,
    check_seed,
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


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: as_array([[1, 2], [3]], "X", float), "X is ragged"),
        (lambda: as_array("abc", "y", None), "y must be array-like of numbers, got a string"),
        (lambda: as_array([["a"]], "X", float), "X must hold numbers"),
        (lambda: check_seed("abc"), "random_state must be None, an int >= 0"),
        (lambda: check_seed(1.5, "rng"), "rng must be None, an int >= 0"),
        (lambda: check_seed(True), "random_state must be None"),
        (lambda: check_seed(-1), "random_state must be an int >= 0, got -1"),
        (lambda: check_random_state("0"), "random_state must be None"),
        (lambda: check_bool("no", "per_query"), "per_query must be True or False, got 'no'"),
        (lambda: check_bool(1, "shuffle"), "shuffle must be True or False, got 1"),
    ],
)
def test_shared_seed_flag_and_array_checks(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_seeds_give_numpys_generators():
    assert check_random_state(3).integers(1000) == np.random.default_rng(3).integers(1000)
    generator = np.random.default_rng(5)
    assert check_random_state(generator) is generator
    assert isinstance(check_random_state(np.random.RandomState(0)), np.random.Generator)
    assert check_seed(np.int64(4)) == 4 and check_seed(None) is None


def test_input_feature_names_are_checked_like_scikit_learns():
    class Fitted:
        n_features_in_ = 2

    assert check_input_features(Fitted(), None) == ["x0", "x1"]
    assert check_input_features(Fitted(), ["a", "b"]) == ["a", "b"]
    for bad in (["a"], "ab", [["a", "b"]]):
        with pytest.raises(ValueError, match="input_features"):
            check_input_features(Fitted(), bad)
    named = Fitted()
    named.feature_names_in_ = np.array(["price", "rating"], dtype=object)
    assert check_input_features(named, None) == ["price", "rating"]
    with pytest.raises(ValueError, match="differ from the columns seen in fit"):
        check_input_features(named, ["rating", "price"])
