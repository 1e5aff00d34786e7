r"""Gradient checking: compare an analytic gradient with central finite differences.

.. math::

    \frac{\partial f}{\partial x_i}
    \approx \frac{f(x + \epsilon e_i) - f(x - \epsilon e_i)}{2\epsilon},

whose error is :math:`O(\epsilon^2)` (the one-sided difference's is :math:`O(\epsilon)`). In float64
with :math:`\epsilon = 10^{-6}` the truncation and rounding errors are both near
:math:`10^{-10}` relative, so a correct backward pass agrees to about 7 digits and a wrong one
(a missing term, a transposed matrix) is off by orders of magnitude.
"""

from __future__ import annotations

import numpy as np

from mlref._validation import as_array, check_real

__all__ = ["numerical_gradient", "relative_error"]


def numerical_gradient(f, x: np.ndarray, *, eps: float = 1e-6) -> np.ndarray:
    r"""Central finite differences of the scalar ``f()`` with respect to the array ``x``.

    ``x`` is perturbed *in place* one entry at a time (and restored), so ``f`` can close over a
    model's parameter array and read it directly, as an optimizer would update it.

    Parameters
    ----------
    f : callable
        ``f() -> float``, evaluated :math:`2 \times` ``x.size`` times.
    x : numpy.ndarray of float64
        The array to differentiate with respect to (modified during the call, restored after).
    eps : float, default=1e-6
        Step :math:`\epsilon`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``.

    Examples
    --------
    >>> w = np.array([1.0, -2.0])
    >>> numerical_gradient(lambda: float(np.sum(w**3)), w).round(6).tolist()
    [3.0, 12.0]
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError(
            "x must be a float64 numpy array that f reads (it is perturbed in place); "
            f"got {type(x).__name__} {getattr(x, 'dtype', '')}"
        )
    if x.size == 0:
        raise ValueError("x is empty; pass the parameter array to differentiate")
    if not np.isfinite(x).all():
        raise ValueError("x holds NaN or infinite values; finite differences need a finite point")
    if not callable(f):
        raise TypeError(f"f must be a callable f() -> float, got {type(f).__name__}")
    eps = check_real(eps, "eps", low=0.0, low_inclusive=False)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        x[idx] = original + eps
        plus = f()
        x[idx] = original - eps
        minus = f()
        x[idx] = original
        grad[idx] = (plus - minus) / (2 * eps)
    if not np.isfinite(grad).all():
        raise ValueError(
            "f returned NaN or infinite values near x, so the numerical gradient is undefined; "
            "check f at x (overflow, log of 0) before comparing gradients"
        )
    return grad


def relative_error(analytic, numeric) -> float:
    r"""Normwise relative error :math:`\lVert a - n\rVert_\infty / \max(\lVert a\rVert_\infty,
    \lVert n\rVert_\infty)` (0 when both are zero).

    Scaling by the largest entry rather than entry by entry keeps near-zero entries, where both
    values are rounding noise, from dominating the measure.

    Examples
    --------
    >>> relative_error(np.array([2.0, 1e-12]), np.array([2.002, 3e-12]))  # doctest: +ELLIPSIS
    0.000999...
    """
    a, n = as_array(analytic, "analytic", float), as_array(numeric, "numeric", float)
    if a.shape != n.shape:
        raise ValueError(f"analytic and numeric must have the same shape, got {a.shape}, {n.shape}")
    for name, values in (("analytic", a), ("numeric", n)):
        if not np.isfinite(values).all():
            raise ValueError(
                f"{name} holds NaN or infinite values; a gradient check cannot pass on them, so "
                "fix the gradient (or the loss) that produced them"
            )
    scale = max(np.abs(a).max(initial=0.0), np.abs(n).max(initial=0.0))
    return float(np.abs(a - n).max() / scale) if scale > 0 else 0.0
