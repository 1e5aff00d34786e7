"""Classification metrics agree with scikit-learn (ties included) and refuse undefined inputs."""

import doctest
import math

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import mannwhitneyu, rankdata

from mlref.metrics import classification
from mlref.metrics.classification import (
    accuracy,
    auc_roc,
    confusion_matrix,
    f1_score,
    log_loss,
    pr_auc,
    pr_curve,
    precision,
    recall,
    roc_curve,
)

# scikit-learn's confusion_matrix warns when only one label occurs; the shape is still right.
pytestmark = pytest.mark.filterwarnings("ignore:A single label was found:UserWarning")
SETTINGS = settings(max_examples=80, deadline=None)
SCORE_FUNCTIONS = (auc_roc, roc_curve, pr_auc, pr_curve)

tied_scores = st.integers(0, 3).map(float)
any_scores = st.one_of(tied_scores, st.floats(-1e3, 1e3, allow_nan=False, width=64))


@st.composite
def labelled_scores(draw, scores=any_scores, min_size=2, max_size=50):
    """Binary labels with both classes present, and scores (many ties when integers are drawn)."""
    n = draw(st.integers(min_size, max_size))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    assume(0 < y.sum() < n)
    s = np.array(draw(st.lists(scores, min_size=n, max_size=n)), dtype=np.float64)
    return y, s


def random_scores(n, *, positive_rate, decimals, seed):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < positive_rate).astype(int)
    y[:2] = [0, 1]
    s = np.round(rng.normal(size=n) + 0.7 * y, decimals)
    return y, s


def assert_curves_equal(ours, theirs):
    assert len(ours) == len(theirs) == 3
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=0, atol=1e-14)


# --- hand-computed vectors -------------------------------------------------------------------


def test_auc_of_the_sklearn_documentation_example():
    assert auc_roc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75


def test_auc_counts_a_tied_positive_negative_pair_as_one_half():
    # Pairs (pos, neg): (2, 1) win, (2, 2) tie, (3, 1) win, (3, 2) win -> 3.5 of 4.
    assert auc_roc([0, 0, 1, 1], [1, 2, 2, 3]) == 0.875
    assert auc_roc([0, 1], [0.3, 0.3]) == 0.5
    assert auc_roc([1, 0, 0, 1, 0], np.full(5, 7.0)) == 0.5


def test_auc_is_one_for_a_perfect_ranking_and_zero_for_a_reversed_one():
    assert auc_roc([0, 0, 1], [0.1, 0.2, 0.9]) == 1.0
    assert auc_roc([0, 0, 1], [0.9, 0.2, 0.1]) == 0.0
    assert auc_roc([1, 0], [0.1, 0.2]) == 0.0


def test_auc_accepts_booleans_ints_and_float32():
    y, s = [False, False, True, True], [1, 4, 3, 8]
    assert auc_roc(y, s) == 0.75
    assert auc_roc(np.array(y), np.array(s, dtype=np.float32) / 10) == 0.75


def test_roc_curve_of_the_sklearn_documentation_example():
    fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    np.testing.assert_array_equal(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_array_equal(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_array_equal(thresholds, [np.inf, 0.8, 0.4, 0.35, 0.1])


def test_roc_curve_gives_one_diagonal_step_per_tie_group():
    fpr, tpr, thresholds = roc_curve([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1])
    np.testing.assert_array_equal(thresholds, [np.inf, 0.9, 0.5, 0.1])
    np.testing.assert_array_equal(fpr, [0, 0, 0.5, 1])
    np.testing.assert_array_equal(tpr, [0, 0.5, 1, 1])


def test_pr_curve_of_the_sklearn_documentation_example():
    precision_, recall_, thresholds = pr_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    np.testing.assert_allclose(precision_, [0.5, 2 / 3, 0.5, 1, 1], rtol=1e-15)
    np.testing.assert_array_equal(recall_, [1, 1, 0.5, 0.5, 0])
    np.testing.assert_array_equal(thresholds, [0.1, 0.35, 0.4, 0.8])


def test_pr_auc_of_the_sklearn_documentation_example():
    # Positives at ranks 1 and 3: precision 1 then 2/3.
    assert pr_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(5 / 6, abs=1e-15)


def test_pr_auc_treats_a_tie_group_as_one_step():
    # One group holding 1 positive and 2 negatives after a positive: (1/2)*1 + (1/2)*(2/4).
    assert pr_auc([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.5]) == pytest.approx(0.75, abs=1e-15)


def test_pr_auc_is_not_the_optimistic_trapezoidal_area():
    y, constant = [0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]
    precision_, recall_, _ = pr_curve(y, constant)
    trapezoid = skm.auc(recall_, precision_)
    assert pr_auc(y, constant) == 0.5
    assert trapezoid == 0.75


# --- agreement with scikit-learn and SciPy ---------------------------------------------------


@SETTINGS
@given(labelled_scores())
def test_auc_matches_sklearn(data):
    y, s = data
    assert auc_roc(y, s) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)


@SETTINGS
@given(labelled_scores(scores=tied_scores))
def test_auc_is_the_normalised_mann_whitney_statistic_and_rank_sum(data):
    y, s = data
    n_pos, n_neg = y.sum(), (1 - y).sum()
    u = mannwhitneyu(s[y == 1], s[y == 0], method="asymptotic").statistic
    rank_sum = rankdata(s)[y == 1].sum()
    assert auc_roc(y, s) == pytest.approx(u / (n_pos * n_neg), abs=1e-12)
    assert auc_roc(y, s) == pytest.approx(
        (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg), abs=1e-12
    )


@SETTINGS
@given(labelled_scores())
def test_roc_curve_matches_sklearn_without_dropped_points(data):
    y, s = data
    assert_curves_equal(roc_curve(y, s), skm.roc_curve(y, s, drop_intermediate=False))


@SETTINGS
@given(labelled_scores())
def test_pr_auc_matches_sklearn_average_precision(data):
    y, s = data
    assert pr_auc(y, s) == pytest.approx(skm.average_precision_score(y, s), abs=1e-12)


@SETTINGS
@given(labelled_scores())
def test_pr_curve_matches_sklearn(data):
    y, s = data
    assert_curves_equal(pr_curve(y, s), skm.precision_recall_curve(y, s))


@pytest.mark.parametrize(
    ("positive_rate", "decimals"),
    [(0.02, 2), (0.3, 3), (0.95, 2), (0.5, 12)],
    ids=["rare positives", "balanced-ish", "positives majority", "almost untied"],
)
def test_large_arrays_match_sklearn(positive_rate, decimals):
    y, s = random_scores(20_000, positive_rate=positive_rate, decimals=decimals, seed=7)
    assert auc_roc(y, s) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
    assert pr_auc(y, s) == pytest.approx(skm.average_precision_score(y, s), abs=1e-12)
    assert_curves_equal(roc_curve(y, s), skm.roc_curve(y, s, drop_intermediate=False))
    assert_curves_equal(pr_curve(y, s), skm.precision_recall_curve(y, s))


def test_single_positive_or_single_negative_matches_sklearn():
    rng = np.random.default_rng(3)
    s = np.round(rng.random(500), 2)
    for y in (np.eye(1, 500, 250, dtype=int)[0], 1 - np.eye(1, 500, 250, dtype=int)[0]):
        assert auc_roc(y, s) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
        assert pr_auc(y, s) == pytest.approx(skm.average_precision_score(y, s), abs=1e-12)


def test_float32_scores_give_the_float64_result():
    y, s = random_scores(5_000, positive_rate=0.1, decimals=3, seed=1)
    s32 = s.astype(np.float32)
    assert auc_roc(y, s32) == auc_roc(y, s32.astype(np.float64))
    assert auc_roc(y, s32) == pytest.approx(skm.roc_auc_score(y, s32), abs=1e-12)


def test_integer_scores_are_not_converted_to_float():
    y = np.array([0, 1, 0, 1])
    big = np.array([2**60, 2**60 + 1, 2**60 + 1, 2**60 + 2], dtype=np.int64)
    # float64 would round all four to 2**60 and report a tie everywhere (0.5).
    assert auc_roc(y, big) == 0.875


@SETTINGS
@given(labelled_scores(), st.randoms(use_true_random=False))
def test_auc_and_average_precision_ignore_the_order_of_samples(data, rnd):
    y, s = data
    order = np.arange(y.size)
    rnd.shuffle(order)
    assert auc_roc(y[order], s[order]) == auc_roc(y, s)
    assert pr_auc(y[order], s[order]) == pytest.approx(pr_auc(y, s), abs=1e-15)


@SETTINGS
@given(labelled_scores())
def test_auc_only_depends_on_the_order_of_scores(data):
    y, s = data
    assert auc_roc(y, rankdata(s, method="dense")) == auc_roc(y, s)
    assert auc_roc(y, 4 * s) == auc_roc(y, s)  # exact in floating point, unlike most maps
    assert auc_roc(y, -s) == pytest.approx(1 - auc_roc(y, s), abs=1e-15)


# --- undefined and invalid inputs ------------------------------------------------------------


@pytest.mark.parametrize("metric", SCORE_FUNCTIONS)
@pytest.mark.parametrize("y", [[1, 1, 1], [0, 0, 0], [1]])
def test_curve_metrics_refuse_a_single_class(metric, y):
    with pytest.raises(ValueError, match=r"only one class.*undefined"):
        metric(y, np.linspace(0, 1, len(y)))


@pytest.mark.parametrize("metric", SCORE_FUNCTIONS)
@pytest.mark.parametrize(
    ("y", "s", "message"),
    [
        ([0, 1, 1], [0.2, 0.3], "length mismatch"),
        ([0, 1], [0.2, np.nan], "y_score holds 1 NaN"),
        ([0, 1], [0.2, np.inf], "y_score holds 1 NaN or infinite"),
        ([0, 2], [0.2, 0.3], "y_true must be binary"),
        ([], [], "y_true is empty"),
        ([[0, 1]], [[0.2, 0.3]], "y_true must be 1-D"),
        ([0, 1], [[0.2], [0.3]], "y_score must be 1-D"),
        ([0, 1], ["a", "b"], "y_score must hold numbers"),
    ],
)
def test_curve_metrics_reject_bad_input(metric, y, s, message):
    with pytest.raises(ValueError, match=message):
        metric(y, s)


# --- log loss --------------------------------------------------------------------------------

probabilities = st.one_of(st.sampled_from([0.0, 1.0, 0.5]), st.floats(0, 1, allow_nan=False))


@SETTINGS
@given(
    st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 1), min_size=n, max_size=n),
            st.lists(probabilities, min_size=n, max_size=n),
        )
    )
)
def test_log_loss_matches_sklearn_including_exact_zeros_and_ones(data):
    y, p = np.array(data[0]), np.array(data[1])
    expected = skm.log_loss(y, p, labels=[0, 1])
    assert log_loss(y, p) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_log_loss_of_the_sklearn_documentation_example():
    # sklearn: log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]])
    expected = -(2 * math.log(0.9) + math.log(0.8) + math.log(0.65)) / 4
    assert log_loss([1, 0, 0, 1], [0.9, 0.1, 0.2, 0.65]) == pytest.approx(expected, rel=1e-14)
    assert round(expected, 5) == 0.21616


def test_log_loss_clips_a_confident_wrong_prediction_at_machine_epsilon():
    eps = np.finfo(np.float64).eps
    assert log_loss([1, 0], [0.0, 1.0]) == pytest.approx(-math.log(eps), rel=1e-12)
    assert log_loss([1, 0], [1.0, 0.0]) == pytest.approx(-math.log(1 - eps), rel=1e-12)
    assert log_loss([1], [0.0], eps=1e-3) == pytest.approx(-math.log(1e-3), rel=1e-12)
    assert log_loss([0], [0.5], eps=0.1) == pytest.approx(math.log(2), rel=1e-12)


def test_log_loss_without_clipping_is_infinite_for_a_confident_mistake():
    assert log_loss([1, 0], [0.0, 0.5], eps=0) == math.inf
    assert log_loss([1, 0], [0.5, 0.5], eps=0) == pytest.approx(math.log(2), rel=1e-15)


def test_log_loss_is_defined_for_a_single_class():
    assert log_loss([1, 1], [0.5, 0.25]) == pytest.approx(-(math.log(0.5) + math.log(0.25)) / 2)


@pytest.mark.parametrize(
    ("y", "p", "kwargs", "message"),
    [
        ([0, 1], [0.5, 1.5], {}, "y_prob must be probabilities in"),
        ([0, 1], [-0.1, 0.5], {}, "y_prob must be probabilities in"),
        ([0, 1], [0.5, np.nan], {}, "y_prob holds 1 NaN"),
        ([0, 1], [0.5], {}, "length mismatch"),
        ([0, 3], [0.5, 0.5], {}, "y_true must be binary"),
        ([0, 1], [0.5, 0.5], {"eps": 0.5}, "eps must be"),
        ([0, 1], [0.5, 0.5], {"eps": -1e-9}, "eps must be"),
        ([0, 1], [0.5, 0.5], {"eps": "auto"}, "eps must be"),
    ],
)
def test_log_loss_rejects_bad_input(y, p, kwargs, message):
    with pytest.raises(ValueError, match=message):
        log_loss(y, p, **kwargs)


# --- confusion matrix, accuracy, precision, recall, F1 ---------------------------------------

int_labels = st.integers(0, 3)
str_labels = st.sampled_from(["nav", "buy", "info", "x"])


def label_pairs(labels, max_size=50):
    return st.integers(1, max_size).flatmap(
        lambda n: st.tuples(
            st.lists(labels, min_size=n, max_size=n), st.lists(labels, min_size=n, max_size=n)
        )
    )


binary_pairs = label_pairs(st.integers(0, 1), max_size=20)
multi_pairs = st.one_of(label_pairs(int_labels), label_pairs(str_labels))
zero_divisions = st.sampled_from([0.0, 1.0, np.nan])


def assert_same_float(ours, theirs):
    assert (math.isnan(ours) and math.isnan(theirs)) or ours == pytest.approx(theirs, abs=1e-15)


@SETTINGS
@given(multi_pairs)
def test_confusion_matrix_matches_sklearn(data):
    y_true, y_pred = data
    ours = confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(ours, skm.confusion_matrix(y_true, y_pred))
    assert ours.dtype == np.int64 and ours.sum() == len(y_true)


@SETTINGS
@given(label_pairs(int_labels), st.lists(int_labels, min_size=1, max_size=4, unique=True))
def test_confusion_matrix_with_chosen_labels_matches_sklearn(data, labels):
    y_true, y_pred = data
    assume(set(labels) & set(y_true))
    np.testing.assert_array_equal(
        confusion_matrix(y_true, y_pred, labels=labels),
        skm.confusion_matrix(y_true, y_pred, labels=labels),
    )


def test_confusion_matrix_of_the_sklearn_documentation_examples():
    expected = [[2, 0, 0], [0, 0, 1], [1, 0, 2]]
    got = confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])
    np.testing.assert_array_equal(got, expected)
    y_true = ["cat", "ant", "cat", "cat", "ant", "bird"]
    y_pred = ["ant", "ant", "cat", "cat", "ant", "cat"]
    got = confusion_matrix(y_true, y_pred, labels=["ant", "bird", "cat"])
    np.testing.assert_array_equal(got, expected)
    tn, fp, fn, tp = confusion_matrix([0, 1, 0, 1], [1, 1, 1, 0]).ravel()
    assert (tn, fp, fn, tp) == (0, 2, 1, 1)


def test_confusion_matrix_accepts_object_arrays_and_whole_floats():
    y_true = np.array(["b", "a", "c"], dtype=object)
    np.testing.assert_array_equal(
        confusion_matrix(y_true, np.array(["a", "a", "c"])), [[1, 0, 0], [1, 0, 0], [0, 0, 1]]
    )
    expected = [[1, 0, 0], [0, 0, 1], [0, 0, 0]]  # labels 1, 2, 3
    np.testing.assert_array_equal(confusion_matrix([1, 2], [1.0, 3.0]), expected)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "kwargs", "message"),
    [
        ([1, 2], [1], {}, "length mismatch"),
        ([1, "a"], [1, 1], {}, "y_true mixes label types"),
        ([1, 1], np.array([1, "a"], dtype=object), {}, "y_pred mixes label types"),
        ([1, 1], np.array([1, None], dtype=object), {}, "y_pred mixes label types"),
        ([1, 2], ["a", "b"], {}, "mix string and numeric"),
        ([0, 1], [0.2, 0.9], {}, "looks like scores"),
        ([0, np.nan], [0, 1], {}, "NaN"),
        ([], [], {}, "empty"),
        ([[0, 1]], [[0, 1]], {}, "1-D"),
        ([0, 1], [0, 1], {"labels": []}, "labels is empty"),
        ([0, 1], [0, 1], {"labels": [1, 1]}, "repeated"),
        ([0, 1], [0, 1], {"labels": [5]}, "none of the labels"),
        ([0, 1], [0, 1], {"labels": ["a", "b"]}, "same kind"),
    ],
)
def test_confusion_matrix_rejects_bad_input(y_true, y_pred, kwargs, message):
    with pytest.raises(ValueError, match=message):
        confusion_matrix(y_true, y_pred, **kwargs)


@SETTINGS
@given(multi_pairs)
def test_accuracy_matches_sklearn_and_micro_f1(data):
    y_true, y_pred = data
    assert accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert f1_score(y_true, y_pred, average="micro") == pytest.approx(accuracy(y_true, y_pred))


@SETTINGS
@given(binary_pairs, zero_divisions)
def test_binary_precision_recall_f1_match_sklearn(data, zero_division):
    y_true, y_pred = data
    kw = {"zero_division": zero_division}
    assert_same_float(precision(y_true, y_pred, **kw), skm.precision_score(y_true, y_pred, **kw))
    assert_same_float(recall(y_true, y_pred, **kw), skm.recall_score(y_true, y_pred, **kw))
    assert_same_float(f1_score(y_true, y_pred, **kw), skm.f1_score(y_true, y_pred, **kw))


@SETTINGS
@given(st.one_of(multi_pairs, binary_pairs), zero_divisions, st.sampled_from(["macro", "micro"]))
def test_averaged_f1_matches_sklearn(data, zero_division, average):
    y_true, y_pred = data
    kw = {"average": average, "zero_division": zero_division}
    assert_same_float(f1_score(y_true, y_pred, **kw), skm.f1_score(y_true, y_pred, **kw))


def test_f1_of_the_sklearn_documentation_example():
    y_true, y_pred = [0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]
    assert f1_score(y_true, y_pred, average="macro") == pytest.approx(0.8 / 3, abs=1e-15)
    assert f1_score(y_true, y_pred, average="micro") == pytest.approx(1 / 3, abs=1e-15)


def test_undefined_precision_and_recall_return_zero_division():
    no_predicted_positive = ([0, 1], [0, 0])
    no_true_positive = ([0, 0], [1, 0])
    assert precision(*no_predicted_positive) == 0.0
    assert precision(*no_predicted_positive, zero_division=1.0) == 1.0
    assert math.isnan(precision(*no_predicted_positive, zero_division=np.nan))
    assert recall(*no_true_positive) == 0.0
    assert recall(*no_true_positive, zero_division=1) == 1.0
    assert math.isnan(recall(*no_true_positive, zero_division=np.nan))
    # Both defined here: no zero_division involved.
    assert precision(*no_true_positive, zero_division=1.0) == 0.0
    assert recall(*no_predicted_positive, zero_division=1.0) == 0.0


def test_f1_uses_zero_division_only_when_no_positive_is_predicted_or_present():
    assert f1_score([0, 0], [0, 0], zero_division=1.0) == 1.0
    assert math.isnan(f1_score([0, 0], [0, 0], zero_division=np.nan))
    # Precision is 0/0 but a positive was missed: F1 = 2TP / (2TP + FP + FN) = 0.
    assert f1_score([1, 1], [0, 0], zero_division=1.0) == 0.0


@pytest.mark.parametrize("metric", [precision, recall, f1_score])
@pytest.mark.parametrize("zero_division", [0.5, "warn", True, -1, None])
def test_invalid_zero_division_is_rejected(metric, zero_division):
    with pytest.raises(ValueError, match="zero_division must be"):
        metric([0, 1], [0, 1], zero_division=zero_division)


@pytest.mark.parametrize("metric", [precision, recall, f1_score])
def test_binary_metrics_point_multiclass_input_to_averaged_f1(metric):
    with pytest.raises(ValueError, match=r"must be binary.*average='macro'"):
        metric([0, 1, 2], [0, 1, 1])
    with pytest.raises(ValueError, match="y_pred must be binary"):
        metric([0, 1, 1], [0, 0.7, 1])
    with pytest.raises(ValueError, match="length mismatch"):
        metric([0, 1, 1], [0, 1])


def test_f1_rejects_an_unknown_average():
    with pytest.raises(ValueError, match="average must be one of"):
        f1_score([0, 1], [0, 1], average="weighted")


def test_docstring_examples_run():
    result = doctest.testmod(classification, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 10 and result.failed == 0


def test_auc_standard_error_is_hanley_mcneil_and_close_to_the_bootstrap():
    from mlref.metrics import auc_standard_error

    rng = np.random.default_rng(0)
    for n_pos, n_neg in [(500, 500), (200, 5000)]:
        y = np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)]
        s = np.r_[rng.normal(0.4, 1, n_pos), rng.normal(0, 1, n_neg)]
        a = auc_roc(y, s)
        q1, q2 = a / (2 - a), 2 * a**2 / (1 + a)
        formula = np.sqrt(
            (a * (1 - a) + (n_pos - 1) * (q1 - a**2) + (n_neg - 1) * (q2 - a**2)) / (n_pos * n_neg)
        )
        assert auc_standard_error(y, s) == pytest.approx(formula, rel=1e-12)
        resampled = [
            auc_roc(y[idx], s[idx])
            for idx in (
                np.r_[rng.integers(0, n_pos, n_pos), n_pos + rng.integers(0, n_neg, n_neg)]
                for _ in range(400)
            )
        ]
        assert auc_standard_error(y, s) == pytest.approx(np.std(resampled), rel=0.15)
    with pytest.raises(ValueError, match="only one class"):
        auc_standard_error([1, 1], [0.2, 0.3])
