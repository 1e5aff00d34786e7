r"""A/B-test statistics for conversion-type metrics: sample size, z-test, power, duration, peeking.

A test compares a proportion (click-through, conversion) between a control arm with rate
:math:`p_1` and a treatment arm with rate :math:`p_2 = p_1 + \delta`. With :math:`n` users per
arm the difference of the observed rates has variance :math:`(p_1 q_1 + p_2 q_2)/n`
(:math:`q = 1 - p`), and a two-sided test at level :math:`\alpha` detects :math:`\delta` with
power :math:`1 - \beta` when

.. math::

    n = \frac{(z_{1-\alpha/2} + z_{1-\beta})^2\, \sigma^2}{\delta^2}.

What to put for :math:`\sigma^2` is a convention, and the conventions give different answers
(:func:`ab_sample_size` names them). Looking at the test every day and stopping at the first
significant look inflates the false-positive rate (:func:`simulate_peeking`); the always-valid
mixture sequential probability ratio test (:func:`msprt_p_values`) keeps it at :math:`\alpha`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from mlref._validation import (
    as_array,
    check_bool,
    check_option,
    check_positive_int,
    check_random_state,
    check_real,
)

__all__ = [
    "VARIANCE_CONVENTIONS",
    "ab_sample_size",
    "ab_test_duration",
    "msprt_p_values",
    "simulate_ab_power",
    "simulate_peeking",
    "two_proportion_ztest",
]

#: The names :func:`ab_sample_size` accepts for ``variance``.
VARIANCE_CONVENTIONS = ("baseline", "unpooled", "pooled", "arcsine")
_ALTERNATIVES = ("two-sided", "larger", "smaller")


def _check_rate(value, name: str) -> float:
    return check_real(
        value, name, low=0.0, high=1.0, low_inclusive=False, hint="; pass a rate such as 0.02"
    )


def _check_level(value, name: str) -> float:
    value = check_real(value, name, low=0.0, high=1.0, low_inclusive=False)
    if value >= 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    return value


def _check_counts(unit: str, **counts) -> list[np.ndarray]:
    """Successes and trials as float arrays broadcast to one shape, each checked by its name.

    Counts must be finite whole numbers >= 0 (a fractional count usually means a rate was
    passed where a count belongs); ``unit`` names what one element is: "experiment", or
    "look" for cumulative counts, which must also have one value per look on the last axis.
    """
    checked = {}
    for name, value in counts.items():
        arr = as_array(value, name, None)
        if arr.dtype.kind not in "iuf":
            raise ValueError(f"{name} must hold counts (numbers), got dtype {arr.dtype}")
        arr = arr.astype(np.float64)
        if arr.size == 0:
            raise ValueError(f"{name} is empty; pass at least one {unit}")
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} holds NaN or infinite values; pass finite counts")
        if np.any(arr < 0):
            raise ValueError(f"{name} must be >= 0, got a negative count")
        if np.any(arr != np.floor(arr)):
            raise ValueError(
                f"{name} holds fractional values; pass whole counts of users, not rates"
            )
        if unit == "look" and arr.ndim == 0:
            raise ValueError(
                f"{name} must be an array with one cumulative count per look along its last "
                "axis; pass at least one look"
            )
        checked[name] = arr
    if unit == "look":
        looks = {name: arr.shape[-1] for name, arr in checked.items()}
        if len(set(looks.values())) > 1:
            described = ", ".join(f"{name} has {k}" for name, k in looks.items())
            raise ValueError(
                f"the number of looks (last axis) differs: {described}; pass one cumulative "
                "count per look in each"
            )
    try:
        return np.broadcast_arrays(*checked.values())
    except ValueError:
        shapes = ", ".join(f"{name} {arr.shape}" for name, arr in checked.items())
        raise ValueError(
            f"{', '.join(checked)} must broadcast to one shape, got {shapes}; pass one count "
            f"per {unit} in each"
        ) from None


def _check_successes(x_a, n_a, x_b, n_b) -> None:
    for arm, x, n in (("a", x_a, n_a), ("b", x_b, n_b)):
        if np.any(x > n):
            raise ValueError(
                f"successes_{arm} exceeds n_{arm} in {int(np.sum(x > n))} place(s); successes "
                "cannot exceed trials"
            )


def _treatment_rate(baseline_rate, min_detectable_effect, relative) -> tuple[float, float]:
    p1 = _check_rate(baseline_rate, "baseline_rate")
    if p1 >= 1.0:
        raise ValueError(f"baseline_rate must lie strictly between 0 and 1, got {p1!r}")
    effect = check_real(min_detectable_effect, "min_detectable_effect")
    if effect == 0:
        raise ValueError(
            "min_detectable_effect is 0: no sample size detects a zero effect; pass the smallest "
            "change worth detecting, e.g. 0.05 for +5 % (relative=True)"
        )
    check_bool(relative, "relative")
    p2 = p1 * (1.0 + effect) if relative else p1 + effect
    if not 0.0 < p2 < 1.0:
        raise ValueError(
            f"the treatment rate {p2:g} implied by baseline_rate={p1:g} and "
            f"min_detectable_effect={effect:g} (relative={relative}) is not a rate in (0, 1); "
            "lower the effect"
        )
    return p1, p2


def ab_sample_size(
    baseline_rate,
    min_detectable_effect,
    *,
    relative: bool = True,
    alpha: float = 0.05,
    power: float = 0.8,
    variance: str = "unpooled",
    alternative: str = "two-sided",
    round_up: bool = True,
) -> int | float:
    r"""Users per arm a two-proportion test needs to detect an effect with the given power.

    .. math::

        n = \left\lceil \frac{(z_{1-\alpha/2} + z_{1-\beta})^2\, \sigma^2}{\delta^2}
        \right\rceil, \qquad \delta = p_2 - p_1,

    with :math:`z_{1-\alpha}` instead of :math:`z_{1-\alpha/2}` for a one-sided test and
    :math:`\sigma^2` set by ``variance``:

    ``"baseline"``
        :math:`\sigma^2 = 2 p_1 q_1`: the source's formula :math:`n = 2\sigma^2(z_{\alpha/2} +
        z_\beta)^2/\delta^2` with :math:`\sigma^2 = p_1(1-p_1)` of the baseline for both arms.
        Too small when the treatment raises the rate (the treatment arm's variance is larger).
    ``"unpooled"`` (default)
        :math:`\sigma^2 = p_1 q_1 + p_2 q_2`: the variance of :math:`\hat p_2 - \hat p_1` under
        the alternative, one line of algebra and no approximation beyond the normal one.
    ``"pooled"``
        Fleiss' form for the pooled z-test (the test :func:`two_proportion_ztest` runs):
        :math:`n = [z_{1-\alpha/2}\sqrt{2\bar p\bar q} + z_{1-\beta}\sqrt{p_1 q_1 + p_2 q_2}]^2
        / \delta^2`, :math:`\bar p = (p_1 + p_2)/2`.
    ``"arcsine"``
        Cohen's :math:`h = 2\arcsin\sqrt{p_2} - 2\arcsin\sqrt{p_1}` and
        :math:`n = 2(z_{1-\alpha/2} + z_{1-\beta})^2 / h^2`, what statsmodels'
        ``NormalIndPower`` with ``proportion_effectsize`` computes (the transform
        :math:`2\arcsin\sqrt{\hat p}` has variance :math:`1/n` whatever the rate). For a
        two-sided test the power counts rejections in the wrong tail too, as statsmodels does;
        that lowers :math:`n` by less than one user at usual effects.

    Parameters
    ----------
    baseline_rate : float in (0, 1)
        Control rate :math:`p_1`, e.g. 0.02 for a 2 % conversion rate.
    min_detectable_effect : float, non-zero
        Smallest effect worth detecting: relative (0.05 = +5 %, :math:`p_2 = 1.05 p_1`) when
        ``relative`` is True, else absolute (:math:`p_2 = p_1 + \text{effect}`).
    relative : bool, default True
    alpha : float in (0, 1), default 0.05
        False-positive rate.
    power : float in (0, 1), default 0.8
        :math:`1 - \beta`, probability of detecting the effect when it is there.
    variance : {"unpooled", "baseline", "pooled", "arcsine"}, default "unpooled"
    alternative : {"two-sided", "larger", "smaller"}, default "two-sided"
        A one-sided test ("larger" or "smaller") uses :math:`z_{1-\alpha}`.
    round_up : bool, default True
        Return the whole number of users (rounded up, so the power is at least ``power``);
        False returns the formula's real value.

    Returns
    -------
    int or float
        Users per arm.

    Examples
    --------
    >>> round(ab_sample_size(0.02, 0.05, variance="baseline", round_up=False), 1)
    307676.1
    >>> ab_sample_size(0.02, 0.05)
    315204
    >>> ab_sample_size(0.02, 0.05, variance="arcsine")
    315161
    """
    p1, p2 = _treatment_rate(baseline_rate, min_detectable_effect, relative)
    alpha = _check_level(alpha, "alpha")
    power = _check_level(power, "power")
    check_option(variance, "variance", VARIANCE_CONVENTIONS)
    check_option(alternative, "alternative", _ALTERNATIVES)
    check_bool(round_up, "round_up")
    z_alpha = stats.norm.isf(alpha / 2 if alternative == "two-sided" else alpha)
    z_beta = stats.norm.ppf(power)
    delta = p2 - p1
    if variance == "baseline":
        n = (z_alpha + z_beta) ** 2 * 2 * p1 * (1 - p1) / delta**2
    elif variance == "unpooled":
        n = (z_alpha + z_beta) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2)) / delta**2
    elif variance == "pooled":
        p_bar = (p1 + p2) / 2
        root = z_alpha * math.sqrt(2 * p_bar * (1 - p_bar)) + z_beta * math.sqrt(
            p1 * (1 - p1) + p2 * (1 - p2)
        )
        n = root**2 / delta**2
    else:
        h = 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))
        n = 2 * (z_alpha + z_beta) ** 2 / h**2
        if alternative == "two-sided":
            # Count rejections in the wrong tail too, as statsmodels does (changes n by < 1).
            def shortfall(m):
                shift = abs(h) * math.sqrt(m / 2)
                return stats.norm.sf(z_alpha - shift) + stats.norm.cdf(-z_alpha - shift) - power

            n = optimize.brentq(shortfall, n / 2, n, xtol=1e-10, rtol=1e-14)
    if not round_up:
        return float(n)
    # Guard against 315203.0000000001 becoming 315204 through floating-point noise.
    return math.ceil(n - 1e-9)


def two_proportion_ztest(
    successes_a, n_a, successes_b, n_b, *, alternative: str = "two-sided", pooled: bool = True
):
    r"""Two-proportion z-test of :math:`H_0: p_a = p_b`, vectorised over experiments.

    .. math::

        z = \frac{\hat p_a - \hat p_b}{\sqrt{\hat p (1 - \hat p)(1/n_a + 1/n_b)}},
        \qquad \hat p = \frac{x_a + x_b}{n_a + n_b}

    (pooled; ``pooled=False`` uses :math:`\sqrt{\hat p_a \hat q_a/n_a + \hat p_b \hat q_b/n_b}`).
    Same statistic and p-value as ``statsmodels.stats.proportion.proportions_ztest([x_a, x_b],
    [n_a, n_b])``.

    Parameters
    ----------
    successes_a, n_a, successes_b, n_b : int or array-like of int
        Successes and trials of each arm; arrays broadcast (one test per element).
    alternative : {"two-sided", "larger", "smaller"}, default "two-sided"
        "larger" tests :math:`p_a > p_b`.
    pooled : bool, default True

    Returns
    -------
    z, p_value : float or ndarray
        ``z`` is NaN (and the p-value 1) where the variance is 0 (no success or no failure at
        all): such data carry no evidence either way.

    Examples
    --------
    >>> z, p = two_proportion_ztest(230, 10_000, 200, 10_000)
    >>> round(float(z), 3), round(float(p), 4)
    (1.463, 0.1436)
    """
    check_option(alternative, "alternative", _ALTERNATIVES)
    check_bool(pooled, "pooled")
    x_a, n_a, x_b, n_b = _check_counts(
        "experiment", successes_a=successes_a, n_a=n_a, successes_b=successes_b, n_b=n_b
    )
    if np.any(n_a < 1) or np.any(n_b < 1):
        raise ValueError("n_a and n_b must be >= 1 (each arm needs at least one trial)")
    _check_successes(x_a, n_a, x_b, n_b)
    p_a, p_b = x_a / n_a, x_b / n_b
    if pooled:
        p = (x_a + x_b) / (n_a + n_b)
        var = p * (1 - p) * (1 / n_a + 1 / n_b)
    else:
        var = p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, (p_a - p_b) / np.sqrt(var), np.nan)
    if alternative == "two-sided":
        p_value = 2 * stats.norm.sf(np.abs(z))
    elif alternative == "larger":
        p_value = stats.norm.sf(z)
    else:
        p_value = stats.norm.cdf(z)
    p_value = np.where(np.isnan(z), 1.0, p_value)
    if z.ndim == 0:
        return float(z), float(p_value)
    return z, p_value


def simulate_ab_power(
    baseline_rate,
    treatment_rate,
    n_per_arm,
    *,
    alpha: float = 0.05,
    n_simulations: int = 10_000,
    random_state=None,
) -> float:
    r"""Share of simulated experiments in which the pooled two-sided z-test rejects :math:`H_0`.

    Each simulation draws :math:`x_a \sim \mathrm{Binomial}(n, p_1)` and
    :math:`x_b \sim \mathrm{Binomial}(n, p_2)`. With ``treatment_rate == baseline_rate`` the
    result is the false-positive rate; otherwise the power. Its Monte Carlo standard error is
    :math:`\sqrt{\hat\pi(1-\hat\pi)/N_\text{sim}}`.

    Examples
    --------
    >>> n = ab_sample_size(0.1, 0.2)
    >>> round(simulate_ab_power(0.1, 0.12, n, n_simulations=4000, random_state=0), 2)
    0.8
    """
    p1 = _check_rate(baseline_rate, "baseline_rate")
    p2 = _check_rate(treatment_rate, "treatment_rate")
    n = check_positive_int(n_per_arm, "n_per_arm")
    alpha = _check_level(alpha, "alpha")
    n_sim = check_positive_int(n_simulations, "n_simulations")
    rng = check_random_state(random_state)
    x_a = rng.binomial(n, p1, n_sim)
    x_b = rng.binomial(n, p2, n_sim)
    _, p_value = two_proportion_ztest(x_b, n, x_a, n)
    return float(np.mean(p_value < alpha))


def ab_test_duration(n_per_arm, daily_users, *, traffic_share: float = 1.0, n_arms: int = 2):
    r"""Days an experiment needs: :math:`\lceil n_\text{arm} \cdot n_\text{arms} /
    (\text{daily users} \cdot \text{traffic share}) \rceil`.

    Parameters
    ----------
    n_per_arm : int
        Users per arm, e.g. from :func:`ab_sample_size`.
    daily_users : float > 0
        Distinct users (or sessions, whatever the unit of randomisation is) per day.
    traffic_share : float in (0, 1], default 1.0
        Share of traffic the experiment gets (all arms together).
    n_arms : int, default 2

    Examples
    --------
    >>> ab_test_duration(315_203, 100_000, traffic_share=0.1)
    64
    """
    n = check_positive_int(n_per_arm, "n_per_arm")
    daily = check_real(daily_users, "daily_users", low=0.0, low_inclusive=False)
    share = check_real(traffic_share, "traffic_share", low=0.0, high=1.0, low_inclusive=False)
    arms = check_positive_int(n_arms, "n_arms")
    if arms < 2:
        raise ValueError(f"n_arms must be >= 2 (a control and a treatment), got {arms}")
    return math.ceil(n * arms / (daily * share) - 1e-9)


def msprt_p_values(successes_a, n_a, successes_b, n_b, *, tau: float) -> np.ndarray:
    r"""Always-valid p-values of the mixture sequential probability ratio test (mSPRT).

    For equal arms of :math:`n` users observed so far, with difference
    :math:`\hat\theta_n = \hat p_b - \hat p_a` and per-pair variance
    :math:`V = \hat p_a \hat q_a + \hat p_b \hat q_b`, the mixture likelihood ratio against
    :math:`H_0: \theta = 0` with a :math:`N(0, \tau^2)` mixing prior is (Johari et al., 2017)

    .. math::

        \Lambda_n = \sqrt{\frac{V}{V + n\tau^2}}
        \exp\!\left(\frac{n^2 \tau^2 \hat\theta_n^2}{2V(V + n\tau^2)}\right),
        \qquad p_n = \min\bigl(p_{n-1}, 1/\Lambda_n\bigr),\; p_0 = 1.

    Rejecting the first time :math:`p_n \le \alpha` keeps the false-positive rate at most
    :math:`\alpha` however often one looks (Ville's inequality), at the cost of power.

    Parameters
    ----------
    successes_a, n_a, successes_b, n_b : array-like of shape (..., n_looks)
        *Cumulative* counts at each look along the last axis; ``n_a`` must equal ``n_b``
        (balanced arms) and increase.
    tau : float > 0
        Standard deviation of the mixing prior over the effect; about the effect one expects
        (e.g. the minimum detectable effect as an absolute difference).

    Returns
    -------
    ndarray
        The always-valid p-value after each look (non-increasing along the last axis).

    Examples
    --------
    >>> p = msprt_p_values([20, 40, 65], [1000, 2000, 3000], [30, 62, 100], [1000, 2000, 3000],
    ...                    tau=0.01)
    >>> p.round(3).tolist()
    [0.876, 0.318, 0.1]
    """
    tau = check_real(tau, "tau", low=0.0, low_inclusive=False)
    x_a, n_a, x_b, n_b = _check_counts(
        "look", successes_a=successes_a, n_a=n_a, successes_b=successes_b, n_b=n_b
    )
    if np.any(n_a != n_b):
        raise ValueError("n_a must equal n_b at every look (the mSPRT here assumes balanced arms)")
    if np.any(n_a < 1) or np.any(np.diff(n_a, axis=-1) < 0):
        raise ValueError("n_a must be >= 1 and non-decreasing (cumulative counts per look)")
    _check_successes(x_a, n_a, x_b, n_b)
    p_a, p_b = x_a / n_a, x_b / n_b
    v = p_a * (1 - p_a) + p_b * (1 - p_b)
    n, theta, t2 = n_a, p_b - p_a, tau * tau
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lr = 0.5 * np.log(v / (v + n * t2)) + n**2 * t2 * theta**2 / (2 * v * (v + n * t2))
    log_lr = np.where(v > 0, log_lr, 0.0)
    p = np.minimum(1.0, np.exp(-log_lr))
    return np.minimum.accumulate(p, axis=-1)


def simulate_peeking(
    rate,
    users_per_look,
    n_looks,
    *,
    treatment_rate=None,
    alpha: float = 0.05,
    method: str = "naive",
    tau: float | None = None,
    n_simulations: int = 10_000,
    random_state=None,
) -> float:
    r"""Share of simulated experiments declared significant at *some* look.

    Each simulation adds ``users_per_look`` users to each arm per look (a day) and tests the
    cumulative counts after every look. ``method="naive"`` rejects when any look's pooled z-test
    has :math:`p < \alpha` (peeking); ``"bonferroni"`` when any :math:`p < \alpha/K`;
    ``"msprt"`` when the always-valid p-value of :func:`msprt_p_values` falls to :math:`\alpha`;
    ``"fixed"`` tests only the last look (the plan without peeking). With ``treatment_rate``
    left at None both arms have ``rate`` and the result is the false-positive rate.

    Examples
    --------
    >>> fpr = simulate_peeking(0.1, 500, 10, n_simulations=2000, random_state=0)
    >>> fpr > 0.15
    True
    """
    p1 = _check_rate(rate, "rate")
    p2 = p1 if treatment_rate is None else _check_rate(treatment_rate, "treatment_rate")
    m = check_positive_int(users_per_look, "users_per_look")
    k = check_positive_int(n_looks, "n_looks")
    alpha = _check_level(alpha, "alpha")
    check_option(method, "method", ("naive", "bonferroni", "msprt", "fixed"))
    if method == "msprt" and tau is None:
        raise ValueError("method='msprt' needs tau, the prior's standard deviation of the effect")
    if tau is not None:
        tau = check_real(tau, "tau", low=0.0, low_inclusive=False)
    n_sim = check_positive_int(n_simulations, "n_simulations")
    rng = check_random_state(random_state)
    x_a = np.cumsum(rng.binomial(m, p1, (n_sim, k)), axis=1)
    x_b = np.cumsum(rng.binomial(m, p2, (n_sim, k)), axis=1)
    n = np.arange(1, k + 1) * m
    if method == "msprt":
        return float(np.mean(msprt_p_values(x_a, n, x_b, n, tau=tau)[:, -1] <= alpha))
    _, p_value = two_proportion_ztest(x_b, n, x_a, n)
    if method == "fixed":
        return float(np.mean(p_value[:, -1] < alpha))
    level = alpha / k if method == "bonferroni" else alpha
    return float(np.mean((p_value < level).any(axis=1)))
