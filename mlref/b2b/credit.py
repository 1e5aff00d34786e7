r"""Net-60 credit risk: expected loss of extending terms and the profit-maximising threshold.

On Net-60 terms the marketplace pays the brand when the order ships and collects from the
retailer 60 days later. If the retailer defaults, it loses the loss given default (LGD) share of
the exposure (EAD, the order value); if not, it earns its take rate (margin) on the order:

.. math::

    \text{EL} = \text{PD} \times \text{LGD} \times \text{EAD}, \qquad
    E[\text{profit} \mid \text{approve}] = \big((1 - \text{PD})\, m - \text{PD} \cdot
    \text{LGD}\big)\, \text{EAD} .

Approving is worth it exactly when this is positive, i.e. when

.. math::

    \text{PD} < t^\ast = \frac{m}{m + \text{LGD}},

whatever the order value. The threshold is only right if PD is *calibrated*: a model whose
probabilities are too low approves too many retailers.
"""

from __future__ import annotations

import numpy as np

from mlref._validation import (
    check_array_1d,
    check_binary,
    check_probabilities,
    check_real,
    check_same_length,
)

__all__ = [
    "break_even_default_probability",
    "expected_credit_loss",
    "expected_credit_profit",
    "profit_by_threshold",
]


def _rates(margin, loss_given_default):
    m = check_real(margin, "margin", low=0.0, high=1.0, low_inclusive=False)
    lgd = check_real(loss_given_default, "loss_given_default", low=0.0, high=1.0)
    return m, lgd


def _exposure(exposure):
    e = check_array_1d(exposure, "exposure")
    if e.min() < 0:
        raise ValueError(f"exposure must be >= 0 (order values), got {e.min():.4g}")
    return e


def expected_credit_loss(pd_, exposure, loss_given_default: float = 1.0) -> np.ndarray:
    r"""Expected loss :math:`\text{PD} \times \text{LGD} \times \text{EAD}` of each application.

    Examples
    --------
    >>> expected_credit_loss([0.05, 0.2], [1000.0, 500.0], 0.8).round(2).tolist()
    [40.0, 80.0]
    """
    p = check_probabilities(pd_, "pd_")
    e = _exposure(exposure)
    check_same_length(pd_=p, exposure=e)
    lgd = check_real(loss_given_default, "loss_given_default", low=0.0, high=1.0)
    return p * lgd * e


def expected_credit_profit(
    pd_, exposure, *, margin: float, loss_given_default: float = 1.0
) -> np.ndarray:
    r"""Expected profit of approving each application.

    .. math::

        ((1 - \text{PD})\, m - \text{PD} \cdot \text{LGD})\, \text{EAD}

    Examples
    --------
    >>> expected_credit_profit([0.05, 0.2], [1000.0, 500.0], margin=0.15).round(2).tolist()
    [92.5, -40.0]
    """
    p = check_probabilities(pd_, "pd_")
    e = _exposure(exposure)
    check_same_length(pd_=p, exposure=e)
    m, lgd = _rates(margin, loss_given_default)
    return ((1.0 - p) * m - p * lgd) * e


def break_even_default_probability(*, margin: float, loss_given_default: float = 1.0) -> float:
    r"""The PD below which approving Net-60 terms pays: :math:`m / (m + \text{LGD})`.

    Examples
    --------
    >>> round(break_even_default_probability(margin=0.15, loss_given_default=1.0), 4)
    0.1304
    """
    m, lgd = _rates(margin, loss_given_default)
    return m / (m + lgd)


def profit_by_threshold(
    pd_, defaulted, exposure, thresholds, *, margin: float, loss_given_default: float = 1.0
) -> np.ndarray:
    r"""Realised profit of the rule "approve when predicted PD < t", for each threshold t.

    .. math::

        \Pi(t) = \sum_i [\hat p_i < t]\, \big((1 - y_i)\, m - y_i\, \text{LGD}\big)\,
            \text{EAD}_i

    Parameters
    ----------
    pd_ : array-like of shape (n,)
        Predicted default probabilities.
    defaulted : array-like of shape (n,)
        Observed outcomes (1 = defaulted).
    exposure : array-like of shape (n,)
        Order values.
    thresholds : array-like
        Thresholds to evaluate.
    margin, loss_given_default : float

    Returns
    -------
    numpy.ndarray of shape (len(thresholds),)
    """
    p = check_probabilities(pd_, "pd_")
    y = check_binary(defaulted, "defaulted")
    e = _exposure(exposure)
    check_same_length(pd_=p, defaulted=y, exposure=e)
    t = check_array_1d(thresholds, "thresholds")
    m, lgd = _rates(margin, loss_given_default)
    gain = np.where(y == 1, -lgd, m) * e
    order = np.argsort(p, kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(gain[order])])
    approved = np.searchsorted(p[order], t, side="left")  # how many have p < t
    return cum[approved]
