import doctest
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    proportion_effectsize,
    proportions_ztest,
)
from statsmodels.stats.proportion import (
    test_proportions_2indep as wald_2indep,
)

from mlref.experiments import (
    ab_sample_size,
    ab_test_duration,
    ab_testing,
    msprt_p_values,
    simulate_ab_power,
    simulate_peeking,
    two_proportion_ztest,
)


def test_doctests():
    result = doctest.testmod(ab_testing, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_issue_numbers_for_each_variance_convention():
    # 2 % baseline, +5 % relative: the numbers of the course's issue 11, rounded to nearest.
    raw = {
        v: ab_sample_size(0.02, 0.05, variance=v, round_up=False)
        for v in ("baseline", "unpooled", "arcsine")
    }
    assert round(raw["baseline"]) == 307_676
    assert round(raw["unpooled"]) == 315_203
    assert round(raw["arcsine"]) == 315_160
    assert ab_sample_size(0.02, 0.05) == math.ceil(raw["unpooled"]) == 315_204


def test_baseline_convention_is_the_source_formula():
    z = 1.959963984540054 + 0.8416212335729143
    sigma2 = 0.02 * 0.98
    expected = 2 * sigma2 * z**2 / 0.001**2
    got = ab_sample_size(0.02, 0.001, relative=False, variance="baseline", round_up=False)
    assert got == pytest.approx(expected, rel=1e-12)


@given(
    p1=st.floats(0.001, 0.9),
    effect=st.floats(0.01, 0.5),
    alpha=st.sampled_from([0.01, 0.05, 0.1]),
    power=st.sampled_from([0.5, 0.8, 0.9, 0.95]),
    sign=st.sampled_from([-1, 1]),
)
@settings(max_examples=80, deadline=None)
def test_arcsine_convention_equals_statsmodels(p1, effect, alpha, power, sign):
    p2 = p1 * (1 + sign * effect)
    if not 0 < p2 < 1:
        return
    expected = NormalIndPower().solve_power(
        proportion_effectsize(p2, p1), alpha=alpha, power=power, ratio=1.0
    )
    got = ab_sample_size(
        p1, sign * effect, alpha=alpha, power=power, variance="arcsine", round_up=False
    )
    assert got == pytest.approx(expected, rel=1e-6)


def test_one_sided_arcsine_equals_statsmodels():
    expected = NormalIndPower().solve_power(
        proportion_effectsize(0.11, 0.1), alpha=0.05, power=0.8, alternative="larger"
    )
    got = ab_sample_size(0.1, 0.1, variance="arcsine", alternative="larger", round_up=False)
    assert got == pytest.approx(expected, rel=1e-6)


def test_conventions_order_and_pooled_is_fleiss():
    n = {
        v: ab_sample_size(0.02, 0.05, variance=v, round_up=False)
        for v in ab_testing.VARIANCE_CONVENTIONS
    }
    assert n["baseline"] < n["arcsine"] < n["unpooled"] < n["pooled"]
    # Fleiss (1981) without continuity correction, written out.
    p1, p2 = 0.02, 0.021
    pb = (p1 + p2) / 2
    za, zb = 1.959963984540054, 0.8416212335729143
    fleiss = za * math.sqrt(2 * pb * (1 - pb)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    assert n["pooled"] == pytest.approx(fleiss**2 / 0.001**2, rel=1e-12)


@given(
    x_a=st.integers(0, 500),
    x_b=st.integers(0, 500),
    extra_a=st.integers(1, 500),
    extra_b=st.integers(1, 500),
    alternative=st.sampled_from(["two-sided", "larger", "smaller"]),
    pooled=st.booleans(),
)
@settings(max_examples=150, deadline=None)
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_ztest_equals_statsmodels(x_a, x_b, extra_a, extra_b, alternative, pooled):
    n_a, n_b = x_a + extra_a, x_b + extra_b
    z, p = two_proportion_ztest(x_a, n_a, x_b, n_b, alternative=alternative, pooled=pooled)
    if x_a + x_b == 0 or (not pooled and x_a == 0 and x_b == 0):
        assert np.isnan(z) and p == 1.0
        return
    if not pooled and (x_a in (0, n_a) and x_b in (0, n_b)):
        assert np.isnan(z)
        return
    if pooled:
        ez, ep = proportions_ztest([x_a, x_b], [n_a, n_b], alternative=alternative)
    else:
        # Wald test: each arm's own variance.
        res = wald_2indep(
            x_a, n_a, x_b, n_b, method="wald", compare="diff", alternative=alternative
        )
        ez, ep = res.statistic, res.pvalue
    assert z == pytest.approx(ez, rel=1e-10, abs=1e-12)
    assert p == pytest.approx(ep, rel=1e-9, abs=1e-15)


def test_ztest_vectorised_and_degenerate():
    z, p = two_proportion_ztest(np.array([10, 0, 5]), 100, np.array([20, 0, 5]), 100)
    assert z.shape == (3,)
    ez, ep = proportions_ztest([10, 20], [100, 100])
    assert z[0] == pytest.approx(ez) and p[0] == pytest.approx(ep)
    assert np.isnan(z[1]) and p[1] == 1.0  # no successes at all: no evidence
    assert z[2] == 0 and p[2] == pytest.approx(1.0)


def test_empirical_power_at_computed_n():
    n = ab_sample_size(0.02, 0.05)
    power = simulate_ab_power(0.02, 0.021, n, n_simulations=20_000, random_state=0)
    assert abs(power - 0.8) < 0.01  # Monte Carlo s.e. 0.0028
    fpr = simulate_ab_power(0.02, 0.02, n, n_simulations=20_000, random_state=1)
    assert abs(fpr - 0.05) < 0.006


def test_peeking_inflates_and_corrections_hold_alpha():
    # Armitage, McPherson & Rowe (1969): 10 looks at a nominal 5 % give 19.3 %.
    naive = simulate_peeking(0.3, 2000, 10, n_simulations=20_000, random_state=0)
    assert abs(naive - 0.193) < 0.012
    for method, kwargs in (("bonferroni", {}), ("msprt", {"tau": 0.01}), ("fixed", {})):
        fpr = simulate_peeking(
            0.3, 2000, 10, method=method, n_simulations=20_000, random_state=1, **kwargs
        )
        assert fpr < 0.055, method


def test_msprt_p_values_are_monotone_and_detect_a_real_effect():
    rng = np.random.default_rng(0)
    n = np.arange(1, 31) * 2000
    x_a = np.cumsum(rng.binomial(2000, 0.10, 30))
    x_b = np.cumsum(rng.binomial(2000, 0.11, 30))
    p = msprt_p_values(x_a, n, x_b, n, tau=0.01)
    assert np.all(np.diff(p) <= 0) and p[-1] < 0.05
    # Lambda_n written out at the last look.
    pa, pb = x_a[-1] / n[-1], x_b[-1] / n[-1]
    v = pa * (1 - pa) + pb * (1 - pb)
    lr = math.sqrt(v / (v + n[-1] * 1e-4)) * math.exp(
        n[-1] ** 2 * 1e-4 * (pb - pa) ** 2 / (2 * v * (v + n[-1] * 1e-4))
    )
    assert p[-1] <= min(1.0, 1 / lr) + 1e-15


def test_duration():
    assert ab_test_duration(315_204, 100_000, traffic_share=0.1) == 64
    assert ab_test_duration(100, 200) == 1
    assert ab_test_duration(100, 10, n_arms=3) == 30


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"baseline_rate": 0.0, "min_detectable_effect": 0.05}, "baseline_rate"),
        ({"baseline_rate": 1.0, "min_detectable_effect": 0.05}, "baseline_rate"),
        ({"baseline_rate": float("nan"), "min_detectable_effect": 0.05}, "baseline_rate"),
        ({"baseline_rate": 0.02, "min_detectable_effect": 0.0}, "zero effect"),
        ({"baseline_rate": 0.02, "min_detectable_effect": 60.0}, "not a rate"),
        ({"baseline_rate": 0.02, "min_detectable_effect": 0.05, "alpha": 1.0}, "alpha"),
        ({"baseline_rate": 0.02, "min_detectable_effect": 0.05, "alpha": 0}, "alpha"),
        ({"baseline_rate": 0.02, "min_detectable_effect": 0.05, "power": 1.5}, "power"),
        ({"baseline_rate": 0.02, "min_detectable_effect": 0.05, "variance": "x"}, "variance"),
        ({"baseline_rate": 0.02, "min_detectable_effect": 0.05, "relative": "yes"}, "relative"),
        ({"baseline_rate": "0.02", "min_detectable_effect": 0.05}, "baseline_rate"),
    ],
)
def test_sample_size_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ab_sample_size(**kwargs)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((5, 0, 5, 10), {}, "at least one trial"),
        ((11, 10, 5, 10), {}, "exceed"),
        ((-1, 10, 5, 10), {}, "successes_a"),
        ((1, 10, np.nan, 10), {}, "successes_b"),
        ((1, 10, 2, 10), {"alternative": "bigger"}, "alternative"),
        ((1, 10, 2, 10), {"pooled": 1}, "pooled"),
    ],
)
def test_ztest_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        two_proportion_ztest(*args, **kwargs)


def test_other_bad_input():
    with pytest.raises(ValueError, match="tau"):
        simulate_peeking(0.1, 10, 3, method="msprt")
    with pytest.raises(ValueError, match="n_a must equal n_b"):
        msprt_p_values([1, 2], [10, 20], [1, 2], [10, 21], tau=0.1)
    with pytest.raises(ValueError, match="non-decreasing"):
        msprt_p_values([1, 2], [20, 10], [1, 2], [20, 10], tau=0.1)
    with pytest.raises(ValueError, match="at least one look"):
        msprt_p_values([], [], [], [], tau=0.1)
    with pytest.raises(ValueError, match="random_state"):
        simulate_ab_power(0.1, 0.2, 10, random_state="seed")
    with pytest.raises(ValueError, match="n_arms"):
        ab_test_duration(10, 10, n_arms=1)
    with pytest.raises(ValueError, match="traffic_share"):
        ab_test_duration(10, 10, traffic_share=0)
