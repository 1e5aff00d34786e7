r"""Calibration metrics: does a predicted 0.03 mean that 3 % of such cases are positive?

A ranking metric (AUC, NDCG) only sees the order of the scores; ads and marketplaces also
multiply the probability itself (pCTR × bid, expected GMV), so it has to be right in absolute
terms. These functions measure that: the reliability curve (observed rate against mean
prediction in bins), the expected calibration error that summarises it, and the Brier score.

Two binnings are documented and offered, because they answer different questions:

* ``"uniform"`` (equal width): ten bins of width 0.1 on [0, 1]. Easy to read, but at a 2 % CTR
  almost every prediction falls in the first bin, so the curve has one point that matters.
* ``"quantile"`` (equal mass): edges at the quantiles of the predictions, so every bin holds
  about the same number of cases. This is the better default for rare positives.

Both bin exactly as ``sklearn.calibration.calibration_curve`` does, so the curve matches it
number for number.
"""

import numpy as np

from mlref._validation import (
    check_binary,
    check_option,
    check_positive_int,
    check_probabilities,
    check_same_length,
)

__all__ = ["brier_score", "expected_calibration_error", "reliability_curve"]

_STRATEGIES = ("uniform", "quantile")


def _binned(y_true, y_prob, n_bins, strategy):
    y = check_binary(y_true, "y_true")
    prob = check_probabilities(y_prob, "y_prob")
    check_same_length(y_true=y, y_prob=prob)
    n_bins = check_positive_int(n_bins, "n_bins")
    strategy = check_option(strategy, "strategy", _STRATEGIES)
    if strategy == "quantile":
        edges = np.percentile(prob, np.linspace(0.0, 1.0, n_bins + 1) * 100)
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    bin_of = np.searchsorted(edges[1:-1], prob)
    count = np.bincount(bin_of, minlength=n_bins)
    positives = np.bincount(bin_of, weights=y, minlength=n_bins)
    prob_sum = np.bincount(bin_of, weights=prob, minlength=n_bins)
    filled = count > 0
    return positives[filled] / count[filled], prob_sum[filled] / count[filled], count[filled]


def reliability_curve(y_true, y_prob, *, n_bins: int = 10, strategy: str = "uniform"):
    r"""Observed positive rate against mean predicted probability, bin by bin.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels 0/1 (one class is allowed).
    y_prob : array-like of shape (n_samples,)
        Predicted probabilities in [0, 1].
    n_bins : int, default=10
        Number of bins (empty bins are dropped from the result).
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width bins on [0, 1], or edges at the quantiles of ``y_prob`` (equal mass).

    Returns
    -------
    prob_true : ndarray
        Fraction of positives in each non-empty bin.
    prob_pred : ndarray
        Mean predicted probability in each non-empty bin.
    count : ndarray of int
        Number of cases in each non-empty bin.

    Notes
    -----
    For bin :math:`B_b`, :math:`\mathrm{acc}_b = \frac{1}{|B_b|}\sum_{i \in B_b} y_i` and
    :math:`\mathrm{conf}_b = \frac{1}{|B_b|}\sum_{i \in B_b} p_i`. A calibrated model has
    :math:`\mathrm{acc}_b \approx \mathrm{conf}_b`: its curve lies on the diagonal. A case
    exactly on an inner edge goes to the lower bin (bins are :math:`(e_{b-1}, e_b]`, the first
    one closed), as in ``sklearn.calibration.calibration_curve``, whose ``(prob_true,
    prob_pred)`` these are; ``count`` is added for the ECE and for drawing bin sizes.

    Examples
    --------
    >>> prob_true, prob_pred, count = reliability_curve(
    ...     [0, 0, 1, 1], [0.1, 0.3, 0.7, 0.9], n_bins=2)
    >>> prob_true.tolist(), prob_pred.round(2).tolist(), count.tolist()
    ([0.0, 1.0], [0.2, 0.8], [2, 2])
    """
    return _binned(y_true, y_prob, n_bins, strategy)


def expected_calibration_error(
    y_true, y_prob, *, n_bins: int = 10, strategy: str = "uniform"
) -> float:
    r"""Expected calibration error: the bin-size-weighted gap between prediction and outcome.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels 0/1 (one class is allowed).
    y_prob : array-like of shape (n_samples,)
        Predicted probabilities in [0, 1].
    n_bins : int, default=10
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width bins (the textbook ECE) or equal-mass bins (more stable with rare
        positives); the binning of :func:`reliability_curve`.

    Returns
    -------
    float
        ECE in [0, 1], in probability units: 0.01 means predictions are off by one percentage
        point on average.

    Notes
    -----
    .. math::

        \mathrm{ECE} = \sum_{b=1}^{B} \frac{|B_b|}{N}
        \left| \mathrm{acc}_b - \mathrm{conf}_b \right|

    The value depends on the number and kind of bins, so compare ECEs computed the same way.
    With very few cases per bin it is biased upwards (noise alone makes the gaps positive).

    Examples
    --------
    >>> round(expected_calibration_error([0, 0, 1, 1], [0.1, 0.3, 0.7, 0.9], n_bins=2), 3)
    0.2
    """
    prob_true, prob_pred, count = _binned(y_true, y_prob, n_bins, strategy)
    return float(np.sum(count * np.abs(prob_true - prob_pred)) / np.sum(count))


def brier_score(y_true, y_prob) -> float:
    r"""Brier score: the mean squared error of predicted probabilities.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels 0/1.
    y_prob : array-like of shape (n_samples,)
        Predicted probabilities in [0, 1].

    Returns
    -------
    float
        In [0, 1]; lower is better. Predicting the base rate :math:`\bar y` everywhere scores
        :math:`\bar y (1 - \bar y)` (0.0196 at a 2 % CTR), the reference to beat.

    Notes
    -----
    .. math::

        \mathrm{BS} = \frac{1}{N} \sum_{i=1}^N (p_i - y_i)^2

    It is a proper scoring rule that mixes calibration and discrimination; equal to
    ``sklearn.metrics.brier_score_loss`` for binary labels.

    Examples
    --------
    >>> round(brier_score([0, 1, 1], [0.1, 0.8, 0.6]), 4)
    0.07
    """
    y = check_binary(y_true, "y_true")
    prob = check_probabilities(y_prob, "y_prob")
    check_same_length(y_true=y, y_prob=prob)
    return float(np.mean((prob - y) ** 2))
