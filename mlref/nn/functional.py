r"""Numerically stable link functions shared by the losses, the layers and the linear models.

The sigmoid, log-softmax and softmax live at the bottom of the package (next to the layers that
use them) so that :mod:`mlref.nn` never imports a model module; :mod:`mlref.models.linear` uses
them from here.
"""

from __future__ import annotations

import numpy as np

from mlref._validation import as_array

__all__ = ["log_softmax", "sigmoid", "softmax"]


def _as_float_array(z, name: str) -> np.ndarray:
    arr = as_array(z, name, np.float64)
    if np.isnan(arr).any():
        raise ValueError(f"{name} holds NaN; drop or impute those values first")
    return arr


def sigmoid(z):
    r"""Logistic sigmoid, computed without overflow for any input.

    .. math::

        \sigma(z) = \frac{1}{1 + e^{-z}} =
        \begin{cases} 1 / (1 + e^{-z}) & z \ge 0 \\ e^{z} / (1 + e^{z}) & z < 0 \end{cases}

    Parameters
    ----------
    z : float or array-like of float
        Logits (log-odds), any shape; ``±inf`` give exactly 1 and 0.

    Returns
    -------
    float or numpy.ndarray
        :math:`\sigma(z)` elementwise, a float for a scalar input.

    Raises
    ------
    ValueError
        If ``z`` holds NaN or is not numeric.

    Notes
    -----
    The source's snippet computes ``1 / (1 + exp(-clip(z, -500, 500)))``: the clip avoids the
    overflow of ``exp(-z)`` for very negative ``z`` but makes the result depend on an arbitrary
    threshold. Both branches above only ever exponentiate :math:`-|z| \le 0`, so nothing
    overflows and nothing is clipped; this is how :func:`scipy.special.expit` does it too.

    Examples
    --------
    >>> sigmoid([-10_000.0, 0.0, 2.0]).round(4).tolist()
    [0.0, 0.5, 0.8808]
    """
    arr = _as_float_array(z, "z")
    e = np.exp(-np.abs(arr))
    out = np.where(arr >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out[()] if out.ndim == 0 else out


def log_softmax(z, *, axis: int = -1) -> np.ndarray:
    r"""Logarithm of the softmax along ``axis``, computed without overflow.

    .. math::

        \log \operatorname{softmax}(z)_k = z_k - m - \log \sum_j e^{z_j - m},
        \qquad m = \max_j z_j.

    Parameters
    ----------
    z : array-like of float
        Logits, at least 1-D. ``-inf`` entries (masked classes) give ``-inf``.
    axis : int, default=-1
        Axis holding the classes.

    Returns
    -------
    numpy.ndarray
        Log-probabilities, same shape as ``z``; ``exp`` of each slice sums to 1.

    Raises
    ------
    ValueError
        If ``z`` is 0-D, holds NaN or ``+inf``, or a slice is entirely ``-inf``.

    Notes
    -----
    Subtracting the maximum makes every exponent :math:`\le 0`, so the sum lies in
    :math:`[1, K]`: no overflow, and its logarithm never sees 0.

    Examples
    --------
    >>> log_softmax([1000.0, 1000.0]).round(4).tolist()
    [-0.6931, -0.6931]
    """
    arr = _as_float_array(z, "z")
    if arr.ndim == 0:
        raise ValueError("z must be at least 1-D (one logit per class), got a scalar")
    if np.isposinf(arr).any():
        raise ValueError("z holds +inf; the softmax of an infinite logit is undefined")
    shift = arr.max(axis=axis, keepdims=True)
    if np.isneginf(shift).any():
        raise ValueError("z has a slice whose logits are all -inf; at least one must be finite")
    shifted = arr - shift
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(z, *, axis: int = -1) -> np.ndarray:
    r"""Softmax along ``axis``: :math:`\operatorname{softmax}(z)_k = e^{z_k} / \sum_j e^{z_j}`.

    Computed as ``exp(log_softmax(z))``; see :func:`log_softmax` for the stabilisation and the
    errors raised.

    Examples
    --------
    >>> softmax([[0.0, 0.0], [1e4, 0.0]]).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    return np.exp(log_softmax(z, axis=axis))
