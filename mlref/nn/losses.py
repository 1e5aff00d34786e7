r"""Training losses with their gradient with respect to the model output.

Each function returns a :class:`Loss` pair ``(value, grad)``: the mean loss over all elements and
:math:`\partial\,\text{value} / \partial\,\text{input}` of the input's shape, ready to be passed to
a model's ``backward``. Classification losses take *logits* (pre-sigmoid / pre-softmax scores):
computing the log-probability from the logit directly is exact for any finite logit, while
``log(sigmoid(z))`` rounds to ``log(0) = -inf`` once :math:`|z| \gtrsim 37`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mlref._validation import check_real
from mlref.nn.functional import log_softmax, sigmoid

__all__ = [
    "Loss",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy_with_logits",
    "focal_loss_with_logits",
    "huber_loss",
    "mean_squared_error",
]


class Loss(NamedTuple):
    """A loss value and its gradient with respect to the loss's first argument."""

    value: float
    grad: np.ndarray


def _finite(x, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be array-like of numbers; got {type(x).__name__}") from exc
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass at least one value")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN or infinite values; check the model or the data")
    return arr


def _pair(pred, target, pred_name: str, target_name: str) -> tuple[np.ndarray, np.ndarray]:
    pred, target = _finite(pred, pred_name), _finite(target, target_name)
    if pred.shape != target.shape:
        raise ValueError(
            f"{pred_name} and {target_name} must have the same shape, got {pred.shape} and "
            f"{target.shape}; reshape one of them (e.g. .ravel())"
        )
    return pred, target


def _check_unit_interval(y: np.ndarray, name: str) -> None:
    if y.min() < 0 or y.max() > 1:
        raise ValueError(
            f"{name} must be labels or probabilities in [0, 1], got values from {y.min():.4g} to "
            f"{y.max():.4g}"
        )


def _softplus(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)


def binary_cross_entropy_with_logits(logits, targets) -> Loss:
    r"""Mean binary cross-entropy (log loss) of sigmoid(logits), computed from the logits.

    .. math::

        \ell(z, y) = -y \log \sigma(z) - (1 - y) \log(1 - \sigma(z))
                   = \log(1 + e^{z}) - y z, \qquad
        \frac{\partial \ell}{\partial z} = \sigma(z) - y.

    Parameters
    ----------
    logits : array-like of float
        Raw scores, any shape.
    targets : array-like of float
        Labels in {0, 1} or soft labels in [0, 1], same shape.

    Returns
    -------
    Loss
        Mean of :math:`\ell` over all elements, and its gradient (divided by the element count).

    Notes
    -----
    :math:`\log(1 + e^z)` is evaluated as ``numpy.logaddexp(0, z)``, which never overflows:
    a logit of :math:`10^4` with label 0 costs exactly :math:`10^4`, where the textbook form
    gives ``inf`` (and a ``nan`` gradient).

    Examples
    --------
    >>> loss = binary_cross_entropy_with_logits([0.0, 1e4], [1.0, 0.0])
    >>> round(loss.value, 4), loss.grad.tolist()
    (5000.3466, [-0.25, 0.5])
    """
    z, y = _pair(logits, targets, "logits", "targets")
    _check_unit_interval(y, "targets")
    value = float(np.mean(_softplus(z) - y * z))
    return Loss(value, (np.asarray(sigmoid(z)) - y) / z.size)


def categorical_cross_entropy_with_logits(logits, targets) -> Loss:
    r"""Mean categorical cross-entropy of softmax(logits) over samples.

    .. math::

        \ell(z, y) = -\sum_k y_k \log \operatorname{softmax}(z)_k, \qquad
        \frac{\partial \ell}{\partial z} = \operatorname{softmax}(z) - y.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes)
    targets : array-like of int of shape (n_samples,), or of float of shape (n_samples, n_classes)
        Class indices, or one-hot / soft label rows summing to 1.

    Returns
    -------
    Loss
        Mean over samples, and the gradient of shape ``(n_samples, n_classes)``.

    Examples
    --------
    >>> loss = categorical_cross_entropy_with_logits([[0.0, 0.0], [1e4, 0.0]], [0, 0])
    >>> round(loss.value, 4), loss.grad.tolist()
    (0.3466, [[-0.25, 0.25], [0.0, 0.0]])
    """
    z = _finite(logits, "logits")
    if z.ndim != 2:
        raise ValueError(f"logits must be 2-D (n_samples, n_classes), got shape {z.shape}")
    n, k = z.shape
    raw = np.asarray(targets)
    if raw.ndim == 1:
        if raw.shape[0] != n:
            raise ValueError(f"targets has {raw.shape[0]} labels but logits has {n} rows")
        if raw.dtype.kind not in "iu":
            raise ValueError(
                f"1-D targets must be integer class indices, got dtype {raw.dtype}; pass one-hot "
                "rows for soft labels"
            )
        if raw.min() < 0 or raw.max() >= k:
            raise ValueError(f"targets must be class indices in [0, {k - 1}]")
        y = np.zeros_like(z)
        y[np.arange(n), raw] = 1.0
    else:
        _, y = _pair(z, raw, "logits", "targets")
        _check_unit_interval(y, "targets")
        if not np.allclose(y.sum(axis=1), 1.0):
            raise ValueError("each row of targets must sum to 1 (one-hot or a distribution)")
    log_p = log_softmax(z, axis=1)
    value = float(-(y * log_p).sum() / n)
    return Loss(value, (np.exp(log_p) - y) / n)


def mean_squared_error(predictions, targets) -> Loss:
    r"""Mean squared error :math:`\frac1N \sum (p - y)^2`, gradient :math:`\frac2N (p - y)`.

    Examples
    --------
    >>> loss = mean_squared_error([1.0, 3.0], [0.0, 0.0])
    >>> loss.value, loss.grad.tolist()
    (5.0, [1.0, 3.0])
    """
    p, y = _pair(predictions, targets, "predictions", "targets")
    residual = p - y
    return Loss(float(np.mean(residual**2)), 2.0 * residual / p.size)


def huber_loss(predictions, targets, *, delta: float = 1.0) -> Loss:
    r"""Mean Huber loss: squared for small residuals, linear for large ones.

    .. math::

        \ell(r) = \begin{cases} \tfrac12 r^2 & |r| \le \delta \\
                  \delta\,(|r| - \tfrac12 \delta) & |r| > \delta \end{cases}, \qquad
        \ell'(r) = \operatorname{clip}(r, -\delta, \delta), \qquad r = p - y.

    Examples
    --------
    >>> loss = huber_loss([0.5, 3.0], [0.0, 0.0], delta=1.0)
    >>> loss.value, loss.grad.tolist()
    (1.3125, [0.25, 0.5])
    """
    delta = check_real(delta, "delta", low=0.0, low_inclusive=False)
    p, y = _pair(predictions, targets, "predictions", "targets")
    r = p - y
    abs_r = np.abs(r)
    per_element = np.where(abs_r <= delta, 0.5 * r**2, delta * (abs_r - 0.5 * delta))
    return Loss(float(per_element.mean()), np.clip(r, -delta, delta) / p.size)


def focal_loss_with_logits(
    logits, targets, *, gamma: float = 2.0, alpha: float | None = 0.25
) -> Loss:
    r"""Mean binary focal loss (Lin et al., 2017) from logits.

    .. math::

        \ell = -\alpha_t (1 - p_t)^\gamma \log p_t, \qquad
        p_t = \begin{cases} \sigma(z) & y = 1 \\ 1 - \sigma(z) & y = 0 \end{cases}, \quad
        \alpha_t = \begin{cases} \alpha & y = 1 \\ 1 - \alpha & y = 0 \end{cases}.

    With :math:`s = 2y - 1`, :math:`p_t = \sigma(s z)` and :math:`q = 1 - p_t = \sigma(-s z)`,
    the gradient is

    .. math::

        \frac{\partial \ell}{\partial z} = \alpha_t\, s\, q^\gamma\,
            \big(\gamma\, p_t \log p_t - q\big).

    Parameters
    ----------
    logits : array-like of float
    targets : array-like of {0, 1}, same shape
    gamma : float >= 0, default=2.0
        Focusing parameter: the factor :math:`(1 - p_t)^\gamma` down-weights well-classified
        examples. ``gamma=0`` and ``alpha=None`` give the binary cross-entropy.
    alpha : float in [0, 1] or None, default=0.25
        Weight of the positive class; ``None`` weights both classes by 1.

    Notes
    -----
    :math:`\log p_t = -\log(1 + e^{-s z})` is computed with ``logaddexp``, so the loss is finite
    and warning-free for any finite logit.

    Examples
    --------
    >>> loss = focal_loss_with_logits([0.0], [1], gamma=2.0, alpha=None)
    >>> round(loss.value, 4)
    0.1733
    """
    gamma = check_real(gamma, "gamma", low=0.0)
    if alpha is not None:
        alpha = check_real(alpha, "alpha", low=0.0, high=1.0)
    z, y = _pair(logits, targets, "logits", "targets")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("targets must be binary 0/1 labels for the focal loss")
    sign = 2.0 * y - 1.0
    log_pt = -_softplus(-sign * z)
    q = np.asarray(sigmoid(-sign * z))
    p_t = np.asarray(sigmoid(sign * z))
    alpha_t = np.ones_like(z) if alpha is None else np.where(y == 1, alpha, 1.0 - alpha)
    q_gamma = q**gamma
    value = float(np.mean(-alpha_t * q_gamma * log_pt))
    grad = alpha_t * sign * q_gamma * (gamma * p_t * log_pt - q) / z.size
    return Loss(value, grad)
