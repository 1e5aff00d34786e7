r"""LIME for tabular data, seeded so that an explanation can be reproduced.

LIME (Ribeiro et al., 2016) explains one prediction with a linear model fitted to the black box
*near* the row: it perturbs the row, asks the model, weights each perturbation by its closeness,
and fits a weighted ridge regression. Here, with :math:`\sigma_j` the training standard deviation
of feature :math:`j` and :math:`\varepsilon_{sj} \sim N(0, 1)` drawn from
``numpy.random.default_rng(random_state)``:

.. math::

    z_s = x + \sigma \odot \varepsilon_s,\qquad
    w_s = \sqrt{\exp\!\bigl(-\lVert \varepsilon_s \rVert^2 / \text{width}^2\bigr)},\qquad
    \min_{\beta_0, \beta} \sum_s w_s \bigl(f(z_s) - \beta_0 - \beta^\top \varepsilon_s\bigr)^2
    + \alpha \lVert \beta \rVert^2,

with the ``lime`` package's default width :math:`0.75 \sqrt{d}` and :math:`\alpha = 1`. The
coefficients :math:`\beta_j` are in "per training standard deviation" units, so they compare
across features. The ``lime`` package samples around the training mean unless told otherwise and
seeds its generator once per explainer, so two runs of the same explanation differ; the
explanation also changes with the seed and the width, which :func:`lime_explanation` lets you
measure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlref._validation import (
    check_array_1d,
    check_array_2d,
    check_positive_int,
    check_random_state,
    check_real,
)

__all__ = ["LimeExplanation", "lime_explanation"]


@dataclass(frozen=True)
class LimeExplanation:
    """A local linear surrogate of the model around one row.

    Attributes
    ----------
    coef : numpy.ndarray of shape (n_features,)
        Change of the output per training standard deviation of each feature.
    intercept : float
        The surrogate's output at the row itself.
    score : float
        Weighted :math:`R^2` of the surrogate on the perturbations (how local-linear the model is).
    """

    coef: np.ndarray
    intercept: float
    score: float


def lime_explanation(
    predict,
    x,
    X_train,
    *,
    n_samples=5000,
    kernel_width=None,
    alpha=1.0,
    random_state=None,
) -> LimeExplanation:
    r"""Explain ``predict`` near the row ``x`` with a kernel-weighted ridge regression (LIME).

    Parameters
    ----------
    predict : callable
        Maps an (n, d) array to n outputs (e.g. a positive-class probability).
    x : array-like of shape (n_features,)
        The row to explain.
    X_train : array-like of shape (n_rows, n_features)
        Training rows; only their standard deviations are used (a constant feature is not
        perturbed).
    n_samples : int, default=5000
        Number of perturbations.
    kernel_width : float or None, default=None
        Width of the proximity kernel in standardised units (``None``: :math:`0.75\sqrt{d}`).
    alpha : float, default=1.0
        Ridge penalty (0 gives weighted least squares).
    random_state : int, numpy.random.Generator or None
        Seed of the perturbations: the same seed gives the same explanation.

    Returns
    -------
    LimeExplanation

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(500, 2))
    >>> lime = lime_explanation(lambda Z: 3 * Z[:, 0], [0.0, 0.0], X, alpha=0.0, random_state=0)
    >>> (lime.coef / X.std(axis=0)).round(3).tolist()
    [3.0, 0.0]
    """
    if not callable(predict):
        raise ValueError(
            f"predict must be a callable mapping an (n, d) array to n outputs, got "
            f"{type(predict).__name__}"
        )
    x = check_array_1d(x, "x")
    X_train = check_array_2d(X_train, "X_train")
    if X_train.shape[1] != x.size:
        raise ValueError(
            f"X_train has {X_train.shape[1]} features but x has {x.size}; pass rows with the "
            "same columns"
        )
    n_samples = check_positive_int(n_samples, "n_samples")
    if n_samples < x.size + 2:
        raise ValueError(
            f"n_samples must be at least n_features + 2 = {x.size + 2} to fit the surrogate, "
            f"got {n_samples}"
        )
    d = x.size
    width = (
        0.75 * np.sqrt(d)
        if kernel_width is None
        else check_real(kernel_width, "kernel_width", low=0, low_inclusive=False)
    )
    alpha = check_real(alpha, "alpha", low=0)
    rng = check_random_state(random_state)
    with np.errstate(over="ignore", invalid="ignore"):
        scale = X_train.std(axis=0)
    if not np.isfinite(scale).all():
        raise ValueError(
            "X_train holds values so large that their standard deviation overflows; rescale "
            "the features first"
        )
    eps = rng.standard_normal((n_samples, d))
    eps[:, scale == 0] = 0.0
    outputs = np.asarray(predict(x + eps * scale), dtype=np.float64)
    if outputs.shape != (n_samples,):
        raise ValueError(
            f"predict must return one number per row (shape ({n_samples},)), got shape "
            f"{outputs.shape}; for a classifier pass a function returning one column"
        )
    if not np.isfinite(outputs).all():
        raise ValueError(
            "predict returned NaN or infinite outputs (an overflow? check the scale of the inputs)"
        )
    weight = np.sqrt(np.exp(-(eps**2).sum(axis=1) / width**2))
    mean_eps = weight @ eps / weight.sum()
    mean_out = weight @ outputs / weight.sum()
    centred, target = eps - mean_eps, outputs - mean_out
    active = scale > 0
    a = centred[:, active]
    gram = (a * weight[:, None]).T @ a + alpha * np.eye(int(active.sum()))
    coef = np.zeros(d)
    coef[active] = np.linalg.solve(gram, (a * weight[:, None]).T @ target)
    intercept = mean_out - mean_eps @ coef
    residual = target - centred @ coef
    total = weight @ target**2
    score = 1.0 - (weight @ residual**2) / total if total > 0 else 1.0
    return LimeExplanation(coef, float(intercept), float(score))
