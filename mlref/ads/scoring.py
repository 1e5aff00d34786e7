r"""Ad scores, expected value of an impression, and auctions judged against the true rates.

An ad platform ranks ads by the revenue it expects from showing them. For an advertiser paying
per click (CPC bid :math:`b`) that is :math:`\text{pCTR} \times b` per impression, times a
quality factor when the platform also rewards good ads (the source's
:math:`P(\text{click}) \times \text{bid} \times \text{quality}`); for an advertiser paying per
conversion (CPA bid) it is :math:`\text{pCTR} \times \text{pCVR} \times b`. Both are multiplied by
1000 to give an eCPM. Because the predicted rates multiply money, their *calibration* (not only
their ranking quality) decides allocation and prices; :func:`true_outcome` measures what an
auction run on predicted rates earns and delivers under the true ones.
"""

from __future__ import annotations

import numpy as np

from mlref._validation import as_array, check_array_1d, check_probabilities, check_real
from mlref.ads.auction import AuctionResult

__all__ = [
    "ad_score",
    "correct_downsampled_probability",
    "expected_value",
    "true_outcome",
]


def _nonnegative(x, name):
    arr = as_array(x, name, np.float64)
    flat = check_array_1d(arr.ravel(), name)
    if flat.min() < 0:
        raise ValueError(f"{name} must be >= 0, got a minimum of {flat.min():.4g}")
    return arr


def _product(**factors) -> np.ndarray:
    """The element-wise product of named arrays, with a message naming them when they do not
    broadcast."""
    try:
        return np.asarray(np.prod(np.broadcast_arrays(*factors.values()), axis=0))
    except ValueError as exc:
        shapes = ", ".join(f"{name} {np.shape(v)}" for name, v in factors.items())
        raise ValueError(f"{shapes} do not broadcast; pass arrays of one shape") from exc


def _probabilities(x, name):
    arr = as_array(x, name, np.float64)
    check_probabilities(arr.ravel(), name)
    return arr


def ad_score(p_click, bid, quality=1.0) -> np.ndarray:
    r"""Ad score :math:`P(\text{click}) \times \text{bid} \times \text{quality}`, broadcast.

    Parameters
    ----------
    p_click : array-like
        Predicted click probabilities in [0, 1].
    bid : array-like
        Bids per click, >= 0.
    quality : array-like, default 1
        Quality multiplier, >= 0 (landing page, ad relevance).

    Returns
    -------
    numpy.ndarray
        Expected revenue per impression for a CPC ad (times quality).

    Examples
    --------
    >>> ad_score([0.02, 0.05], [2.0, 1.0]).tolist()
    [0.04, 0.05]
    """
    return _product(
        p_click=_probabilities(p_click, "p_click"),
        bid=_nonnegative(bid, "bid"),
        quality=_nonnegative(quality, "quality"),
    )


def expected_value(p_click, p_conversion, bid_per_conversion) -> np.ndarray:
    r"""Expected value of an impression for a CPA bid: pCTR x pCVR x bid.

    .. math::

        E[\text{value}] = P(\text{click})\, P(\text{conversion} \mid \text{click})\, b_\text{CPA}

    Examples
    --------
    >>> expected_value([0.02], [0.1], [50.0]).round(4).tolist()
    [0.1]
    """
    return _product(
        p_click=_probabilities(p_click, "p_click"),
        p_conversion=_probabilities(p_conversion, "p_conversion"),
        bid_per_conversion=_nonnegative(bid_per_conversion, "bid_per_conversion"),
    )


def correct_downsampled_probability(p, negative_rate: float) -> np.ndarray:
    r"""Undo negative downsampling: map a probability learnt on downsampled data back.

    A model trained after keeping each negative with probability :math:`w` predicts the odds
    :math:`p' / (1 - p') = \frac{1}{w} \cdot p / (1 - p)`; inverting gives

    .. math::

        p = \frac{p'}{p' + (1 - p') / w} .

    Parameters
    ----------
    p : array-like
        Probabilities predicted by the model trained on downsampled data.
    negative_rate : float in (0, 1]
        :math:`w`, the share of negatives kept.

    Examples
    --------
    >>> correct_downsampled_probability([0.5], 0.1).round(4).tolist()
    [0.0909]
    """
    p = _probabilities(p, "p")
    w = check_real(
        negative_rate,
        "negative_rate",
        low=0.0,
        high=1.0,
        low_inclusive=False,
        hint=" (the share of negatives kept)",
    )
    return p / (p + (1.0 - p) / w)


def true_outcome(result, position_ctrs, true_ctr, values) -> dict[str, float]:
    r"""Revenue, advertiser value and surplus of auctions, measured with the true CTRs.

    An auction run on predicted CTRs decides slots and prices per click; the clicks that follow
    happen at the *true* rates :math:`\alpha_k c_i`. Summed over all auctions:

    .. math::

        \text{revenue} = \sum \alpha_{k(i)} c_i p_i, \quad
        \text{value} = \sum \alpha_{k(i)} c_i v_i, \quad
        \text{surplus} = \text{value} - \text{revenue}.

    Parameters
    ----------
    result : AuctionResult
        From an auction of :mod:`mlref.ads.auction` (one auction or a batch).
    position_ctrs : sequence of float
        The :math:`\alpha_k` the auction was run with.
    true_ctr : array-like of the shape of ``result.slot``
        True click probabilities at the top slot, :math:`c_i`.
    values : array-like of the shape of ``result.slot``
        Advertisers' values per click (their truthful bids).

    Returns
    -------
    dict
        ``revenue``, ``advertiser_value``, ``advertiser_surplus``, ``clicks`` (expected) and
        ``slots_filled`` (shown ads), each a float summed over the auctions.
    """
    if not isinstance(result, AuctionResult):
        raise TypeError(
            f"result must be the AuctionResult of an auction, got {type(result).__name__}"
        )
    slot = np.asarray(result.slot)
    alpha = _nonnegative(check_array_1d(position_ctrs, "position_ctrs"), "position_ctrs")
    c = _probabilities(true_ctr, "true_ctr")
    v = _nonnegative(values, "values")
    if c.shape != slot.shape or v.shape != slot.shape:
        raise ValueError(
            f"true_ctr {c.shape} and values {v.shape} must have the shape of the auction "
            f"{slot.shape}; pass one value per bidder"
        )
    if slot.max(initial=-1) >= alpha.size:
        raise ValueError(
            f"the auction filled {slot.max() + 1} slots but position_ctrs has {alpha.size}; "
            "pass the position_ctrs the auction was run with"
        )
    shown = slot >= 0
    clicks = np.where(shown, alpha[np.maximum(slot, 0)] * c, 0.0)
    revenue = float((clicks * result.price_per_click).sum())
    value = float((clicks * v).sum())
    return {
        "revenue": revenue,
        "advertiser_value": value,
        "advertiser_surplus": value - revenue,
        "clicks": float(clicks.sum()),
        "slots_filled": float(shown.sum()),
    }
