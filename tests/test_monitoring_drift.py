"""PSI against its divergence form (scipy), KS against scipy.stats.ks_2samp, the drift table."""

import doctest

import numpy as np
import pandas as pd
import pytest
from scipy.special import rel_entr
from scipy.stats import ks_2samp

from mlref.monitoring import (
    PSI_THRESHOLDS,
    drift,
    feature_drift,
    ks_statistic,
    population_stability_index,
    psi_verdict,
)


def _samples(seed):
    rng = np.random.default_rng(seed)
    n_a, n_b = rng.integers(1, 400, size=2)
    kind = seed % 3
    if kind == 0:  # continuous, shifted
        return rng.normal(size=n_a), rng.normal(rng.uniform(-1, 1), 1, size=n_b)
    if kind == 1:  # discrete with heavy ties (a count feature)
        return rng.poisson(2.0, size=n_a).astype(float), rng.poisson(3.0, size=n_b).astype(float)
    return np.round(rng.uniform(size=n_a), 1), np.round(rng.uniform(0.2, 1.0, size=n_b), 1)


@pytest.mark.parametrize("seed", range(30))
def test_ks_statistic_equals_scipy(seed):
    a, b = _samples(seed)
    assert ks_statistic(a, b) == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)


@pytest.mark.parametrize("strategy", ["quantile", "uniform"])
@pytest.mark.parametrize("seed", range(30))
def test_psi_equals_the_symmetric_kl_of_histogram_shares(seed, strategy):
    expected, actual = _samples(seed)
    n_bins, eps = 10, 1e-4
    # Edges recomputed independently, then pandas.cut into right-closed bins, open at both ends.
    if strategy == "quantile":
        inner = np.quantile(expected, np.linspace(0, 1, n_bins + 1)[1:-1])
    else:
        inner = np.linspace(expected.min(), expected.max(), n_bins + 1)[1:-1]
    inner = np.unique(inner)
    edges = np.concatenate([[-np.inf], inner, [np.inf]])

    def shares(x):
        counts = pd.Series(pd.cut(x, edges, right=True)).value_counts(sort=False).to_numpy()
        return np.maximum(counts / x.size, eps)

    e, a = shares(expected), shares(actual)
    reference = rel_entr(a, e).sum() + rel_entr(e, a).sum()
    got = population_stability_index(expected, actual, n_bins=n_bins, strategy=strategy, eps=eps)
    assert got == pytest.approx(reference, rel=1e-10, abs=1e-12)


def test_psi_is_zero_for_the_same_sample_and_grows_with_the_shift():
    rng = np.random.default_rng(0)
    train = rng.normal(size=20_000)
    assert population_stability_index(train, train) == 0.0
    shifts = [0.0, 0.1, 0.25, 0.5, 1.0]
    values = [population_stability_index(train, rng.normal(s, 1, 20_000)) for s in shifts]
    assert values == sorted(values)
    assert psi_verdict(values[0]) == "stable" and psi_verdict(values[-1]) == "significant"


def test_psi_of_a_value_the_reference_never_saw_is_large_but_finite():
    psi = population_stability_index(np.zeros(100), np.r_[np.zeros(50), np.ones(50)])
    assert np.isfinite(psi) and psi > 2


def test_psi_verdict_thresholds():
    low, high = PSI_THRESHOLDS
    assert [psi_verdict(v) for v in (0.0, low - 1e-9, low, high - 1e-9, high)] == [
        "stable",
        "stable",
        "moderate",
        "moderate",
        "significant",
    ]


def test_feature_drift_ranks_the_moved_feature_first_and_matches_the_functions():
    rng = np.random.default_rng(1)
    train = pd.DataFrame({"price": rng.normal(size=3000), "stock": rng.poisson(3, 3000)})
    today = pd.DataFrame({"price": rng.normal(size=2000), "stock": rng.poisson(5, 2000)})
    table = feature_drift(train, today)
    assert table.index.tolist() == ["stock", "price"]
    assert table.loc["price", "verdict"] == "stable"
    assert table.loc["stock", "psi"] == pytest.approx(
        population_stability_index(train["stock"], today["stock"])
    )
    assert table.loc["stock", "ks"] == pytest.approx(ks_2samp(train["stock"], today["stock"])[0])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: ks_statistic([], [1.0]), ValueError, "a is empty"),
        (lambda: ks_statistic([1.0, np.nan], [1.0]), ValueError, "a holds 1 NaN"),
        (lambda: population_stability_index([1.0], [1.0], n_bins=0), ValueError, "n_bins"),
        (lambda: population_stability_index([1.0], [1.0], eps=0.0), ValueError, "eps"),
        (lambda: population_stability_index([1.0], [1.0], strategy="x"), ValueError, "strategy"),
        (lambda: psi_verdict(-0.1), ValueError, "psi must be"),
        (lambda: feature_drift(np.zeros((3, 1)), pd.DataFrame()), TypeError, "reference must"),
        (
            lambda: feature_drift(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"b": [1.0]})),
            ValueError,
            "current lacks",
        ),
        (
            lambda: feature_drift(pd.DataFrame({"a": ["x"]}), pd.DataFrame({"a": ["y"]})),
            ValueError,
            "not numeric",
        ),
    ],
)
def test_bad_input_is_refused_with_the_fix(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_docstring_examples():
    assert doctest.testmod(drift).failed == 0
