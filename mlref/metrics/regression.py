r"""Regression metrics: squared, absolute, percentage and Huber errors.

:func:`mse`, :func:`rmse` and :func:`mae` match scikit-learn's ``mean_squared_error``,
``root_mean_squared_error`` and ``mean_absolute_error``; :func:`mape` with ``zero="epsilon"``
matches ``mean_absolute_percentage_error``; :func:`huber` averages ``scipy.special.huber``.
"""

import numbers
import warnings

import numpy as np

from mlref._validation import check_array_1d, check_option, check_same_length

__all__ = ["huber", "mae", "mape", "mse", "rmse"]


def mse(y_true, y_pred) -> float:
    r"""Mean squared error.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Targets and predictions.

    Returns
    -------
    float
        The mean of the squared errors, in squared target units.

    Raises
    ------
    ValueError
        If the inputs differ in length, are empty, or hold NaN/inf.

    Notes
    -----
    .. math:: \mathrm{MSE} = \frac{1}{N} \sum_{i=1}^N (y_i - \hat y_i)^2

    Squaring makes one large error weigh as much as many small ones, so MSE is dominated by
    outliers; the prediction that minimises it is the conditional mean.

    Examples
    --------
    >>> mse([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.375
    """
    residual = _residuals(y_true, y_pred)
    with np.errstate(over="ignore"):
        squared = residual**2
    return _finite(_mean(squared), "mse", "residuals whose square passes 1.8e308; use rmse or mae")


def rmse(y_true, y_pred) -> float:
    r"""Root mean squared error: :func:`mse` back in the units of the target.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Targets and predictions.

    Returns
    -------
    float
        :math:`\sqrt{\mathrm{MSE}}`.

    Raises
    ------
    ValueError
        If the inputs differ in length, are empty, or hold NaN/inf.

    Notes
    -----
    .. math:: \mathrm{RMSE} = \sqrt{\frac{1}{N} \sum_{i=1}^N (y_i - \hat y_i)^2}

    Examples
    --------
    >>> round(rmse([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0]), 4)
    0.6124
    """
    residual = _residuals(y_true, y_pred)
    scale = float(np.abs(residual).max())
    if scale == 0.0:
        return 0.0
    with np.errstate(over="ignore"):
        plain = float(np.sqrt(np.mean(residual**2)))
    # Squares of residuals above ~1e154 overflow; RMSE itself fits, so compute it scaled.
    return plain if np.isfinite(plain) else scale * float(np.sqrt(np.mean((residual / scale) ** 2)))


def mae(y_true, y_pred) -> float:
    r"""Mean absolute error.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Targets and predictions.

    Returns
    -------
    float
        The mean of the absolute errors, in target units.

    Raises
    ------
    ValueError
        If the inputs differ in length, are empty, or hold NaN/inf.

    Notes
    -----
    .. math:: \mathrm{MAE} = \frac{1}{N} \sum_{i=1}^N |y_i - \hat y_i|

    Every unit of error costs the same, so MAE is robust to outliers; the prediction that
    minimises it is the conditional median.

    Examples
    --------
    >>> mae([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.5
    """
    residual = _residuals(y_true, y_pred)
    return _mean(np.abs(residual))


def mape(y_true, y_pred, *, zero="raise", eps=None) -> float:
    r"""Mean absolute percentage error, as a fraction (0.25 means 25 %).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Targets and predictions.
    zero : {"raise", "skip", "epsilon"}, default="raise"
        What to do with targets equal to 0, where the relative error is undefined:

        - ``"raise"``: raise :class:`ValueError` (the default: no silent choice).
        - ``"skip"``: average over the rows with a non-zero target only. Those rows are ignored
          entirely, so a model can be arbitrarily wrong on them; a :class:`UserWarning` says how
          many rows were dropped.
        - ``"epsilon"``: divide by :math:`\max(|y_i|, \varepsilon)`, exactly as
          ``sklearn.metrics.mean_absolute_percentage_error``. A zero target with a non-zero
          prediction then contributes about :math:`|\hat y_i| / \varepsilon`, an enormous number
          that makes the problem visible rather than hiding it.
    eps : float, optional
        The :math:`\varepsilon` of ``zero="epsilon"``, > 0; ignored by the other modes. Default:
        ``np.finfo(np.float64).eps``, as scikit-learn.

    Returns
    -------
    float
        MAPE as a fraction, like scikit-learn (multiply by 100 for the percent of the usual
        :math:`100\% / N` formula).

    Raises
    ------
    ValueError
        If a target is 0 and ``zero="raise"``, every target is 0 and ``zero="skip"``, ``zero``
        or ``eps`` is invalid, or on bad input.

    Notes
    -----
    .. math::

        \mathrm{MAPE} = \frac{1}{N} \sum_{i=1}^N \frac{|y_i - \hat y_i|}{|y_i|}

    Besides being undefined at :math:`y_i = 0`, MAPE is asymmetric: predicting too high is
    unbounded while predicting too low costs at most 100 % (for non-negative predictions of
    positive targets), so minimising it favours under-prediction. Targets near zero (e.g. daily
    sales of a slow-moving product) dominate the mean.

    Examples
    --------
    >>> mape([100.0, 200.0], [110.0, 150.0])
    0.175
    >>> mape([0.0, 200.0], [10.0, 150.0], zero="skip")  # warns: 1 of 2 rows skipped
    0.25
    """
    check_option(zero, "zero", ("raise", "skip", "epsilon"))
    if eps is None:
        eps = np.finfo(np.float64).eps
    elif not _is_positive_number(eps):
        raise ValueError(f"eps must be a positive finite number, got {eps!r}")
    truth = check_array_1d(y_true, "y_true")
    residual = _residuals(truth, y_pred)
    magnitude = np.abs(truth)
    is_zero = magnitude == 0
    n_zero = int(np.count_nonzero(is_zero))
    if zero == "epsilon":
        with np.errstate(over="ignore"):
            relative = np.abs(residual) / np.maximum(magnitude, eps)
        return _finite(_mean(relative), "mape", "targets near 0; pass zero='skip' or use mae")
    if n_zero and zero == "raise":
        raise ValueError(
            f"mape is undefined: y_true holds {n_zero} zero target(s), so the relative error "
            "|y - y_pred| / |y| divides by zero; pass zero='skip' to average over the non-zero "
            "targets only, or zero='epsilon' to divide by max(|y|, eps) as scikit-learn does, "
            "or use mae"
        )
    if n_zero == truth.size:
        raise ValueError("mape with zero='skip': every target in y_true is 0, nothing is left")
    if n_zero:
        warnings.warn(
            f"mape skipped {n_zero} of {truth.size} rows whose target is 0",
            UserWarning,
            stacklevel=2,
        )
    kept = ~is_zero
    with np.errstate(over="ignore"):
        relative = np.abs(residual[kept]) / magnitude[kept]
    return _finite(_mean(relative), "mape", "targets near 0; rescale them or use mae")


def huber(y_true, y_pred, *, delta=1.0) -> float:
    r"""Mean Huber loss: squared error for small residuals, absolute error for large ones.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Targets and predictions.
    delta : float, default=1.0
        Residual size, in target units, where the loss switches from quadratic to linear; > 0.

    Returns
    -------
    float
        The mean loss.

    Raises
    ------
    ValueError
        If ``delta`` is not a positive number, or on bad input.

    Notes
    -----
    With residual :math:`r_i = y_i - \hat y_i`,

    .. math::

        L_\delta(r) =
        \begin{cases}
            \tfrac12 r^2 & |r| \le \delta, \\
            \delta \left( |r| - \tfrac12 \delta \right) & |r| > \delta,
        \end{cases}
        \qquad \mathrm{Huber} = \frac{1}{N} \sum_{i=1}^N L_\delta(r_i).

    The two pieces meet with equal value and slope at :math:`|r| = \delta`, so the loss is
    differentiable. It equals ``scipy.special.huber(delta, r)``. Note the 1/2: for small
    residuals it is half the squared error, so it is not on the same scale as :func:`mse`.

    Examples
    --------
    >>> huber([0.0, 0.0], [0.5, 3.0])
    1.3125
    """
    if not _is_positive_number(delta):
        raise ValueError(f"delta must be a positive finite number, got {delta!r}")
    size = np.abs(_residuals(y_true, y_pred))
    with np.errstate(over="ignore"):
        loss = np.where(size <= delta, 0.5 * size**2, delta * (size - 0.5 * delta))
    return _finite(_mean(loss), "huber", "delta times residuals above 1.8e308; lower delta")


def _residuals(y_true, y_pred) -> np.ndarray:
    truth = check_array_1d(y_true, "y_true")
    pred = check_array_1d(y_pred, "y_pred")
    check_same_length(y_true=truth, y_pred=pred)
    with np.errstate(over="ignore"):
        residual = truth - pred
    if not np.isfinite(residual).all():
        raise ValueError(
            "y_true - y_pred overflows float64 (a difference above 1.8e308); targets and "
            "predictions this large cannot be compared in float64: rescale both"
        )
    return residual


def _mean(values: np.ndarray) -> float:
    """Mean of finite values, scaled first when their plain sum would overflow."""
    with np.errstate(over="ignore"):
        plain = float(np.mean(values))
    if np.isfinite(plain) or not np.isfinite(values).all():
        return plain
    scale = float(np.abs(values).max())
    return scale * float(np.mean(values / scale))


def _finite(value: float, metric: str, cause: str) -> float:
    if not np.isfinite(value):
        raise ValueError(f"{metric} overflows float64: {cause}")
    return value


def _is_positive_number(value) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and bool(np.isfinite(value))
        and value > 0
    )
