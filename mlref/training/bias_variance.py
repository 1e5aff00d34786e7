r"""Bias–variance decomposition of a learner's squared error, from repeated training runs."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mlref._validation import check_array_1d, check_array_2d, check_real


class BiasVariance(NamedTuple):
    """The terms of :func:`bias_variance_decomposition` (means over the test points)."""

    bias_squared: float
    variance: float
    noise: float
    expected_error: float


def bias_variance_decomposition(
    predictions, f_true, *, noise_variance: float = 0.0
) -> BiasVariance:
    r"""Split the expected squared error of a learner into bias², variance and noise.

    Train the learner on ``R`` independent training sets drawn from the same distribution and
    predict the same ``n`` test points each time; with :math:`\hat f_r(x)` the predictions,
    :math:`\bar f(x) = \frac1R \sum_r \hat f_r(x)` their mean and :math:`f(x)` the true
    regression function,

    .. math::

        \underbrace{\tfrac1R\textstyle\sum_r (\hat f_r(x) - f(x))^2}_{\text{error of } \hat f
        \text{ against } f} = \underbrace{(\bar f(x) - f(x))^2}_{\text{bias}^2}
        + \underbrace{\tfrac1R\textstyle\sum_r (\hat f_r(x) - \bar f(x))^2}_{\text{variance}},

    exactly, at every point; a new observation :math:`y = f(x) + \varepsilon` adds the noise
    :math:`\sigma^2 = \operatorname{Var}\varepsilon` (it is independent of the training sets),
    so :math:`\mathbb E[(y - \hat f(x))^2] = \text{bias}^2 + \text{variance} + \sigma^2`. The
    terms are averaged over the test points.

    Parameters
    ----------
    predictions : array-like of shape (n_repeats, n_points)
        Row ``r``: the predictions of the model trained on the ``r``-th training set.
        ``n_repeats >= 2``.
    f_true : array-like of shape (n_points,)
        The noise-free target :math:`f(x)` at the test points.
    noise_variance : float >= 0, default 0.0
        :math:`\sigma^2`, the irreducible error.

    Returns
    -------
    BiasVariance
        ``bias_squared``, ``variance``, ``noise`` and ``expected_error`` (their sum).

    Examples
    --------
    >>> preds = np.array([[1.0, 2.0], [3.0, 2.0]])
    >>> bias_variance_decomposition(preds, [2.0, 1.0], noise_variance=0.5)
    BiasVariance(bias_squared=0.5, variance=0.5, noise=0.5, expected_error=1.5)
    """
    P = check_array_2d(predictions, "predictions")
    f = check_array_1d(f_true, "f_true")
    noise = check_real(noise_variance, "noise_variance", low=0.0)
    if P.shape[0] < 2:
        raise ValueError(
            f"predictions needs at least 2 rows (one per training set), got {P.shape[0]}; "
            "train the learner on several independent training sets"
        )
    if P.shape[1] != f.size:
        raise ValueError(
            f"predictions has {P.shape[1]} columns but f_true has {f.size} values; pass one "
            "column per test point"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        mean_prediction = P.mean(axis=0)
        bias_squared = float(np.mean((mean_prediction - f) ** 2))
        variance = float(np.mean(P.var(axis=0)))
    if not (np.isfinite(bias_squared) and np.isfinite(variance)):
        raise ValueError(
            "predictions and f_true are too large: the squared errors overflowed float64; "
            "rescale the target"
        )
    return BiasVariance(bias_squared, variance, noise, bias_squared + variance + noise)
