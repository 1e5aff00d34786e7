r"""Offline/online mismatch beyond leakage: the wrong objective, and latency that loses traffic.

**Objective mismatch.** A ranker trained on clicks is scored offline on clicks, but the business
is paid on orders and GMV. :func:`ranking_outcomes` scores any ranking on every outcome at once
under the examination model: an item at position :math:`k` is clicked with probability
:math:`P(E = 1 \mid k)\,P(C = 1 \mid E = 1)`, and a click is worth an order probability and an
expected order value. On the marketplace simulator those per-click values are known exactly
(:meth:`mlref.datasets.Marketplace.purchase_given_click`).

**Latency.** A slower model shows better results to fewer people. The course source gives a
latency budget (200 ms p99, 50-100 ms of model inference) but no figure for what latency costs;
:func:`traffic_retained` uses the published one from controlled experiments at Bing: every
100 ms of extra latency cost about 0.6 % of revenue (Kohavi et al., KDD 2013), compounding.
:func:`latency_break_even` turns a model's relative gain per request into the extra latency that
wipes it out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlref._validation import (
    as_array,
    check_array_1d,
    check_positive_int,
    check_real,
    check_same_length,
)

__all__ = ["latency_break_even", "ranking_outcomes", "traffic_retained"]

#: Revenue lost per 100 ms of extra latency in Bing's slowdown experiments (Kohavi et al. 2013).
LOSS_PER_100MS = 0.006


def ranking_outcomes(
    groups, scores, click_prob, *, propensities, per_click=None, k=None
) -> pd.DataFrame:
    r"""Expected clicks (and orders, GMV, ...) per request of a ranking under the examination model.

    Within each group (a search request) the rows are ranked by descending score (ties keep
    their input order) and the row at position :math:`k` contributes

    .. math::

        E[\text{clicks}] = \sum_i \theta_{k_i}\, a_i, \qquad
        E[\text{outcome}] = \sum_i \theta_{k_i}\, a_i\, v_i,

    with :math:`\theta_k = P(E = 1 \mid k)` the ``propensities``, :math:`a_i = P(C = 1 \mid E =
    1)` the ``click_prob`` and :math:`v_i` an outcome per click (e.g. :math:`P(\text{order} \mid
    \text{click})` or :math:`E[\text{GMV} \mid \text{click}]`). Only positions up to ``k`` count.

    Parameters
    ----------
    groups : array-like of shape (n,)
        Request id of each row (any hashable values).
    scores : array-like of float, shape (n,)
        The ranker's scores; higher is shown first.
    click_prob : array-like of float in [0, 1], shape (n,)
        Click probability of each row when examined.
    propensities : array-like of float in [0, 1]
        :math:`P(E = 1 \mid k)` for positions ``k = 1, 2, ...``.
    per_click : dict of str to array-like of shape (n,), optional
        Outcomes a click is worth (non-negative); one output column each.
    k : int, optional
        Positions counted (default: all the propensities cover). Groups longer than ``k`` show
        only their top ``k``.

    Returns
    -------
    pandas.DataFrame
        One row per group (sorted): ``clicks`` and one column per ``per_click`` key.

    Examples
    --------
    >>> out = ranking_outcomes([0, 0, 1], [0.2, 0.9, 0.5], [0.1, 0.6, 0.3],
    ...                        propensities=[1.0, 0.5], per_click={"orders": [1.0, 0.5, 0.0]})
    >>> out.round(3).to_dict("list")
    {'clicks': [0.65, 0.3], 'orders': [0.35, 0.0]}
    """
    score = check_array_1d(scores, "scores")
    attract = check_array_1d(click_prob, "click_prob")
    group_arr = as_array(groups, "groups", None)
    if group_arr.ndim != 1:
        raise ValueError(f"groups must be 1-D, got an array of shape {group_arr.shape}")
    if group_arr.dtype.kind == "f" and not np.isfinite(group_arr).all():
        raise ValueError("groups holds NaN or infinite values; give every row a request id")
    check_same_length(groups=group_arr, scores=score, click_prob=attract)
    if attract.min() < 0 or attract.max() > 1:
        raise ValueError("click_prob must lie in [0, 1]; pass P(click | examined) per row")
    theta = check_array_1d(propensities, "propensities")
    if theta.min() < 0 or theta.max() > 1:
        raise ValueError("propensities must lie in [0, 1]: P(examined | position)")
    depth = len(theta) if k is None else check_positive_int(k, "k")
    if depth > len(theta):
        raise ValueError(f"k must be at most len(propensities)={len(theta)}, got {depth}")
    values = {}
    if per_click is not None:
        if not isinstance(per_click, dict):
            raise TypeError("per_click must be a dict of outcome name -> per-row values")
        for name, v in per_click.items():
            arr = check_array_1d(v, f"per_click[{name!r}]")
            check_same_length(scores=score, **{f"per_click[{name!r}]": arr})
            if arr.min() < 0:
                raise ValueError(f"per_click[{name!r}] must be >= 0 (an outcome per click)")
            values[str(name)] = arr
    codes, uniques = pd.factorize(group_arr, sort=True)
    order = np.lexsort((np.arange(len(score)), -score, codes))
    sorted_codes = codes[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_codes)) + 1]
    sizes = np.diff(np.r_[starts, len(order)])
    position = np.arange(len(order)) - np.repeat(starts, sizes)
    if k is None and sizes.max() > len(theta):
        raise ValueError(
            f"a group has {sizes.max()} rows but propensities cover {len(theta)} positions; "
            "pass k to count only the top k, or a longer propensities"
        )
    shown = position < depth
    rows, codes_shown = order[shown], sorted_codes[shown]
    expected_click = theta[position[shown]] * attract[rows]
    n_groups = len(uniques)
    out = {"clicks": np.bincount(codes_shown, expected_click, minlength=n_groups)}
    for name, arr in values.items():
        out[name] = np.bincount(codes_shown, expected_click * arr[rows], minlength=n_groups)
    return pd.DataFrame(out, index=pd.Index(uniques, name="group"))


def traffic_retained(extra_latency_ms, *, loss_per_100ms=LOSS_PER_100MS):
    r"""Share of traffic (and of what it earns) kept when responses get slower.

    .. math::

        \rho(\Delta) = (1 - \ell)^{\Delta / 100\,\text{ms}},

    with :math:`\ell` the loss per 100 ms: compounding, so a speed-up (:math:`\Delta < 0`) gains.
    The default :math:`\ell = 0.006` is Bing's measured revenue loss per 100 ms (Kohavi et al.
    2013); Amazon's often-quoted figure is 1 % of sales per 100 ms. It is an assumption about
    *your* users: measure it with a slowdown experiment.

    Parameters
    ----------
    extra_latency_ms : float or 1-D array-like of float
        Added latency in milliseconds (negative for faster).
    loss_per_100ms : float in [0, 1)

    Returns
    -------
    numpy.ndarray of float (0-d for a scalar input)

    Examples
    --------
    >>> traffic_retained([0.0, 100.0, 200.0]).round(5).tolist()
    [1.0, 0.994, 0.98804]
    """
    delta = as_array(extra_latency_ms, "extra_latency_ms", np.float64)
    if delta.ndim == 0:
        delta = np.asarray(check_real(float(delta), "extra_latency_ms"))
    else:
        delta = check_array_1d(delta, "extra_latency_ms")
    loss = check_real(loss_per_100ms, "loss_per_100ms", low=0.0, high=1.0)
    if loss >= 1.0:
        raise ValueError("loss_per_100ms must be below 1 (a share of traffic lost per 100 ms)")
    return np.exp(np.log1p(-loss) * delta / 100.0)


def latency_break_even(relative_gain, *, loss_per_100ms=LOSS_PER_100MS) -> float:
    r"""Extra latency (ms) at which a model's relative gain per request is lost to traffic.

    Solves :math:`(1 + g)\,\rho(\Delta) = 1` for :math:`\Delta` with :func:`traffic_retained`:

    .. math::

        \Delta^* = 100\,\text{ms}\; \frac{\ln(1 + g)}{-\ln(1 - \ell)}.

    Parameters
    ----------
    relative_gain : float > -1
        :math:`g`: e.g. 0.02 for 2 % more GMV per request served.
    loss_per_100ms : float in (0, 1)

    Examples
    --------
    >>> round(latency_break_even(0.006), 6)
    99.401791
    """
    gain = check_real(relative_gain, "relative_gain", low=-1.0, low_inclusive=False)
    loss = check_real(loss_per_100ms, "loss_per_100ms", low=0.0, high=1.0, low_inclusive=False)
    if loss >= 1.0:
        raise ValueError("loss_per_100ms must be below 1 (a share of traffic lost per 100 ms)")
    return float(100.0 * np.log1p(gain) / -np.log1p(-loss))
