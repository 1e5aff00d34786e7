"""bootstrap_interval against scipy.stats.bootstrap, and its fast count-weighted metrics."""

import numpy as np
import pytest
import scipy.stats

from mlref.metrics import auc_roc, bootstrap_interval, log_loss


def _data(seed, n=300, ties=False):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(int)
    y[:2] = [0, 1]
    score = rng.normal(size=n) + 0.8 * y
    if ties:
        score = np.round(score, 0)  # a handful of distinct values: many tied pairs
    prob = 1.0 / (1.0 + np.exp(-score))
    return y, score, prob


@pytest.mark.parametrize("method", ["percentile", "basic"])
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_scipy_bootstrap(method, seed):
    y, score, _ = _data(seed, n=120)
    ours = bootstrap_interval(
        y,
        score,
        metric=auc_roc,
        n_resamples=300,
        method=method,
        random_state=np.random.default_rng(seed),
    )
    theirs = scipy.stats.bootstrap(
        (y, score),
        auc_roc,
        paired=True,
        vectorized=False,
        n_resamples=300,
        method=method,
        random_state=np.random.default_rng(seed),
    )
    print(ours.low, theirs.confidence_interval.low, ours.high, theirs.confidence_interval.high)
    np.testing.assert_allclose(ours.bootstrap_distribution, theirs.bootstrap_distribution)
    assert ours.low == pytest.approx(theirs.confidence_interval.low, abs=1e-12)
    assert ours.high == pytest.approx(theirs.confidence_interval.high, abs=1e-12)
    assert ours.standard_error == pytest.approx(theirs.standard_error, rel=1e-12)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("stratify", [False, True])
def test_named_metrics_equal_the_metric_on_resampled_rows(ties, stratify):
    y, score, prob = _data(3, n=200, ties=ties)
    for name, func, s in (("auc", auc_roc, score), ("log_loss", log_loss, prob)):
        fast = bootstrap_interval(
            y, s, metric=name, n_resamples=60, stratify=stratify, random_state=5
        )
        slow = bootstrap_interval(
            y, s, metric=func, n_resamples=60, stratify=stratify, random_state=5
        )
        np.testing.assert_allclose(
            fast.bootstrap_distribution, slow.bootstrap_distribution, rtol=1e-12, atol=1e-14
        )
        assert fast.estimate == pytest.approx(func(y, s), abs=1e-15)


def test_paired_difference_is_the_difference_on_the_same_resamples():
    y, score, _ = _data(4, n=250, ties=True)
    other = score + np.random.default_rng(9).normal(scale=1.0, size=score.size)
    diff = bootstrap_interval(y, score, y_score_baseline=other, n_resamples=80, random_state=2)
    a = bootstrap_interval(y, score, n_resamples=80, random_state=2)
    b = bootstrap_interval(y, other, n_resamples=80, random_state=2)
    np.testing.assert_allclose(
        diff.bootstrap_distribution, a.bootstrap_distribution - b.bootstrap_distribution
    )
    assert diff.estimate == pytest.approx(auc_roc(y, score) - auc_roc(y, other))
    # both models err on the same rows: the paired spread is below the sum of the two spreads
    assert diff.standard_error < a.standard_error + b.standard_error


def test_stratified_resamples_keep_the_class_counts():
    y, score, _ = _data(5, n=90)
    counted = bootstrap_interval(
        y, score, metric=lambda t, s: float(t.sum()), n_resamples=40, stratify=True
    )
    assert np.all(counted.bootstrap_distribution == y.sum())
    loose = bootstrap_interval(y, score, metric=lambda t, s: float(t.sum()), n_resamples=40)
    assert loose.bootstrap_distribution.std() > 0


def test_tiny_and_degenerate_cases():
    # one positive: unstratified resamples soon miss it
    y = np.array([0, 0, 0, 0, 1])
    s = np.array([0.1, 0.2, 0.3, 0.4, 0.9])
    with pytest.raises(ValueError, match="stratify=True"):
        bootstrap_interval(y, s, n_resamples=200)
    perfect = bootstrap_interval(y, s, n_resamples=50, stratify=True)
    assert perfect.low == perfect.high == perfect.estimate == 1.0
    constant = bootstrap_interval(y, np.zeros(5), n_resamples=20, stratify=True)
    assert constant.low == constant.high == 0.5


def test_interval_covers_the_population_auc_about_as_often_as_promised():
    # 60 test sets from a known population: a 90% interval should cover about 54 of them
    rng = np.random.default_rng(11)
    big = rng.normal(size=200_000)
    yb = (rng.random(200_000) < 0.3).astype(int)
    big += 0.7 * yb
    truth = auc_roc(yb, big)
    covered = 0
    for _ in range(60):
        rows = rng.integers(0, big.size, 300)
        ci = bootstrap_interval(
            yb[rows], big[rows], n_resamples=300, confidence_level=0.9, random_state=rng
        )
        covered += ci.low <= truth <= ci.high
    assert 45 <= covered <= 60


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"confidence_level": 1.0}, "confidence_level"),
        ({"confidence_level": 0.0}, "confidence_level"),
        ({"n_resamples": 1}, "n_resamples"),
        ({"method": "bca"}, "method"),
        ({"metric": "ndcg"}, "metric"),
        ({"stratify": 1}, "stratify"),
        ({"random_state": "a"}, "random_state"),
        ({"y_score_baseline": [0.1, 0.2]}, "y_score_baseline"),
    ],
)
def test_bad_input(kwargs, match):
    y, score, _ = _data(0, n=20)
    with pytest.raises(ValueError, match=match):
        bootstrap_interval(y, score, **kwargs)


def test_bad_metric_type_and_log_loss_needs_probabilities():
    y, score, _ = _data(0, n=20)
    with pytest.raises(TypeError, match="metric"):
        bootstrap_interval(y, score, metric=3)
    with pytest.raises(ValueError, match="y_score"):
        bootstrap_interval(y, score * 10, metric="log_loss")
