import doctest

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression

from mlref.training import downsample_negatives, recalibrate_downsampled, sample_negatives
from mlref.training import sampling as sampling_module


def test_doctests():
    result = doctest.testmod(sampling_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_recalibration_restores_the_full_data_model():
    rng = np.random.default_rng(0)
    n = 200_000
    X = rng.normal(size=(n, 3))
    p = 1 / (1 + np.exp(-(X @ [1.0, -0.5, 0.3] - 4.0)))  # about 3 % positives
    y = (rng.random(n) < p).astype(int)
    full = LogisticRegression(C=1e6).fit(X, y).predict_proba(X)[:, 1]
    keep, w = downsample_negatives(y, ratio=5, random_state=1)
    sampled = LogisticRegression(C=1e6).fit(X[keep], y[keep]).predict_proba(X)[:, 1]
    fixed = recalibrate_downsampled(sampled, w)
    assert sampled.mean() > 3 * y.mean()  # the raw predictions are far off
    assert abs(fixed.mean() - y.mean()) < 0.1 * y.mean()
    assert np.median(np.abs(fixed - full) / full) < 0.1
    # Reliability: observed vs predicted rate per bin (scikit-learn's calibration_curve).
    obs, pred = calibration_curve(y, fixed, n_bins=10, strategy="quantile")
    assert np.max(np.abs(obs - pred)) < 0.02
    obs_raw, pred_raw = calibration_curve(y, sampled, n_bins=10, strategy="quantile")
    assert np.max(np.abs(obs_raw - pred_raw)) > 0.05


def test_recalibration_is_a_log_odds_shift():
    p = np.array([0.01, 0.3, 0.5, 0.99])
    w = 0.07
    logit = np.log(p / (1 - p)) + np.log(w)
    assert np.allclose(recalibrate_downsampled(p, w), 1 / (1 + np.exp(-logit)))
    assert np.array_equal(recalibrate_downsampled(p, 1.0), p)


def test_downsample_counts():
    y = np.r_[np.ones(100), np.zeros(10_000)]
    for ratio in (5, 10, 100):
        keep, w = downsample_negatives(y, ratio=ratio, random_state=0)
        assert keep[:100].all() and (~y[keep].astype(bool)).sum() == 100 * ratio
        assert w == pytest.approx(100 * ratio / 10_000)


def test_sample_negatives_strategies():
    rng = np.random.default_rng(0)
    n_items = 50
    pos = rng.integers(0, n_items, 20_000)
    popularity = rng.integers(1, 1000, n_items).astype(float)
    draws = sample_negatives(
        n_items, pos, 5, strategy="popularity", popularity=popularity, random_state=1
    )
    assert draws.shape == (20_000, 5) and not (draws == pos[:, None]).any()
    freq = np.bincount(draws.ravel(), minlength=n_items) / draws.size
    expected = popularity**0.75 / (popularity**0.75).sum()
    assert np.max(np.abs(freq - expected)) < 0.01
    uniform = sample_negatives(n_items, pos, 5, random_state=2)
    assert np.max(np.abs(np.bincount(uniform.ravel()) / uniform.size - 1 / n_items)) < 0.005
    scores = rng.normal(size=(30, n_items))
    hard = sample_negatives(n_items, pos[:30], 4, strategy="hard", scores=scores)
    for i in range(30):
        ranked = [j for j in np.argsort(-scores[i], kind="stable") if j != pos[i]]
        assert hard[i].tolist() == ranked[:4]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: downsample_negatives([1, 0, 0], ratio=5), "asks for"),
        (lambda: downsample_negatives([1, 1, 1], ratio=1), "both|one class|single"),
        (lambda: downsample_negatives([1, 0, 0], ratio=0), "ratio"),
        (lambda: recalibrate_downsampled([0.5], 0.0), "negative_rate"),
        (lambda: recalibrate_downsampled([1.5], 0.5), "p"),
        (lambda: sample_negatives(5, [5], 1), "item ids"),
        (lambda: sample_negatives(5, [1], 5), "below n_items"),
        (lambda: sample_negatives(5, [1], 1, strategy="x"), "strategy"),
        (lambda: sample_negatives(5, [1], 1, strategy="hard"), "needs scores"),
        (lambda: sample_negatives(5, [1], 1, strategy="hard", scores=np.ones((2, 5))), "shape"),
        (lambda: sample_negatives(5, [1], 1, strategy="popularity"), "needs popularity"),
        (
            lambda: sample_negatives(5, [1], 1, strategy="popularity", popularity=np.zeros(5)),
            "not all zero",
        ),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
