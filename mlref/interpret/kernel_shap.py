r"""Model-agnostic Shapley values: exact enumeration and KernelSHAP.

Both explain a row :math:`x` of any model :math:`f` against a background sample :math:`B` with the
*interventional* value of a coalition :math:`S` of features,

.. math::

    v(S) = \frac{1}{|B|} \sum_{b \in B} f(x_S, b_{\bar S}),

(features in :math:`S` take the row's values, the others the background row's), which is what
``shap.KernelExplainer`` explains. :func:`exact_shapley` sums the Shapley formula over all
:math:`2^d` coalitions. :func:`kernel_shap` solves Lundberg & Lee's (2017) weighted linear
regression over coalitions with the Shapley kernel

.. math::

    \pi(S) = \frac{d - 1}{\binom{d}{|S|}\,|S|\,(d - |S|)},

subject to :math:`\sum_i \phi_i = v(\text{all}) - v(\emptyset)`; over every coalition its
solution *is* the Shapley value, and with sampled coalitions it estimates it.
"""

from __future__ import annotations

from math import comb, factorial

import numpy as np

from mlref._validation import check_array_2d, check_positive_int, check_random_state
from mlref.interpret.tree_shap import Attribution

__all__ = ["exact_shapley", "kernel_shap"]

_MAX_EXACT_FEATURES = 14


def _check_inputs(predict, X, background):
    if not callable(predict):
        raise ValueError(
            f"predict must be a callable mapping an (n, d) array to n outputs, got "
            f"{type(predict).__name__}; pass e.g. model.predict"
        )
    X = check_array_2d(X, "X")
    background = check_array_2d(background, "background")
    if background.shape[1] != X.shape[1]:
        raise ValueError(
            f"background has {background.shape[1]} features but X has {X.shape[1]}; pass "
            "background rows with the same columns"
        )
    return X, background


def _values_of_coalitions(predict, x, background, masks):
    """v(S) for each row of ``masks`` (boolean, n_coalitions x d), one batched call."""
    n_bg = background.shape[0]
    rows = np.where(masks[:, None, :], x[None, None, :], background[None, :, :])
    out = np.asarray(predict(rows.reshape(-1, x.size)), dtype=np.float64)
    if out.shape != (masks.shape[0] * n_bg,):
        raise ValueError(
            f"predict must return one number per row (shape ({masks.shape[0] * n_bg},)), got "
            f"shape {out.shape}; for a classifier pass a function returning one column"
        )
    if not np.isfinite(out).all():
        raise ValueError(
            "predict returned NaN or infinite outputs (an overflow? check the scale of the inputs)"
        )
    return out.reshape(masks.shape[0], n_bg).mean(axis=1)


def _all_masks(d: int) -> np.ndarray:
    codes = np.arange(2**d)[:, None]
    return ((codes >> np.arange(d)) & 1).astype(bool)


def exact_shapley(predict, X, background) -> Attribution:
    r"""Exact interventional Shapley values by enumerating all :math:`2^d` coalitions.

    .. math::

        \phi_i = \sum_{S \subseteq N \setminus \{i\}}
        \frac{|S|!\,(d - |S| - 1)!}{d!}\,\bigl(v(S \cup \{i\}) - v(S)\bigr)

    Parameters
    ----------
    predict : callable
        Maps an (n, d) array to n outputs (e.g. ``model.predict`` or a margin function).
    X : array-like of shape (n_rows, d)
        Rows to explain.
    background : array-like of shape (n_background, d)
        Rows the unknown features are drawn from (keep it small: ``2^d * n_background``
        model calls per row).

    Returns
    -------
    Attribution
        ``base_value`` is :math:`v(\emptyset)`, the mean prediction over ``background``.

    Raises
    ------
    ValueError
        For more than 14 features (use :func:`kernel_shap`), mismatched columns, NaN/inf, or
        a ``predict`` that does not return one finite number per row.

    Examples
    --------
    >>> import numpy as np
    >>> phi = exact_shapley(lambda Z: Z[:, 0] * Z[:, 1], [[1.0, 1.0]], np.zeros((1, 2)))
    >>> phi.phi.round(3).tolist(), phi.base_value
    ([[0.5, 0.5]], 0.0)
    """
    X, background = _check_inputs(predict, X, background)
    d = X.shape[1]
    if d > _MAX_EXACT_FEATURES:
        raise ValueError(
            f"X has {d} features; exact enumeration needs 2^{d} coalitions, so it is limited to "
            f"{_MAX_EXACT_FEATURES}; use kernel_shap with n_samples for more"
        )
    masks = _all_masks(d)
    sizes = masks.sum(axis=1)
    weight_of_size = np.array([factorial(k) * factorial(d - 1 - k) for k in range(d)]) / factorial(
        d
    )
    bit = 1 << np.arange(d)
    values = np.empty(X.shape)
    base = 0.0
    for r, x in enumerate(X):
        v = _values_of_coalitions(predict, x, background, masks)
        base = v[0]
        for i in range(d):
            without = np.flatnonzero(~masks[:, i])
            gain = v[without + bit[i]] - v[without]
            values[r, i] = np.sum(weight_of_size[sizes[without]] * gain)
    return Attribution(values, float(base))


def _kernel_weight(d: int, size: np.ndarray) -> np.ndarray:
    return (d - 1) / (np.array([comb(d, int(k)) for k in size]) * size * (d - size))


def _sampled_masks(d: int, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Coalitions drawn from the Shapley kernel, each with its complement (paired sampling)."""
    sizes = np.arange(1, d)
    size_probability = (d - 1) / (sizes * (d - sizes))
    size_probability /= size_probability.sum()
    half = (n_samples + 1) // 2
    drawn_sizes = rng.choice(sizes, size=half, p=size_probability)
    ranks = np.argsort(rng.random((half, d)), axis=1)
    masks = ranks < drawn_sizes[:, None]
    return np.vstack([masks, ~masks])[:n_samples]


def kernel_shap(predict, X, background, *, n_samples=None, random_state=None) -> Attribution:
    r"""KernelSHAP: Shapley values as a kernel-weighted, efficiency-constrained regression.

    Minimises :math:`\sum_S \pi(S)\,\bigl(v(S) - v(\emptyset) - \sum_{i \in S}\phi_i\bigr)^2`
    subject to :math:`\sum_i \phi_i = v(N) - v(\emptyset)`. With every proper coalition
    (``n_samples=None`` or ``>= 2^d - 2``) the solution equals :func:`exact_shapley`; otherwise
    ``n_samples`` coalitions are drawn with probability proportional to :math:`\pi(S)` (so they
    enter with equal weight), each with its complement.

    Parameters
    ----------
    predict : callable
        Maps an (n, d) array to n outputs.
    X : array-like of shape (n_rows, d)
        Rows to explain.
    background : array-like of shape (n_background, d)
        Rows the unknown features are drawn from.
    n_samples : int or None, default=None
        Number of coalitions; ``None`` enumerates all :math:`2^d - 2` (only for
        ``d <= 14``).
    random_state : int, numpy.random.Generator or None
        Seed of the coalition sampling (unused when enumerating).

    Returns
    -------
    Attribution

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda Z: 2 * Z[:, 0] + Z[:, 1] * Z[:, 2]
    >>> phi = kernel_shap(f, [[1.0, 1.0, 1.0]], np.zeros((1, 3)))
    >>> phi.phi.round(3).tolist()
    [[2.0, 0.5, 0.5]]
    """
    X, background = _check_inputs(predict, X, background)
    rng = check_random_state(random_state)
    d = X.shape[1]
    if n_samples is not None:
        n_samples = check_positive_int(n_samples, "n_samples")
    enumerate_all = n_samples is None or n_samples >= 2**d - 2
    if enumerate_all and d > _MAX_EXACT_FEATURES:
        raise ValueError(
            f"X has {d} features: enumerating all 2^{d} coalitions is too many; pass "
            "n_samples (e.g. 2048) to sample coalitions from the Shapley kernel"
        )
    if d == 1:
        masks = np.zeros((0, 1), dtype=bool)
    elif enumerate_all:
        masks = _all_masks(d)[1:-1]
    else:
        masks = _sampled_masks(d, n_samples, rng)
    sizes = masks.sum(axis=1)
    weights = _kernel_weight(d, sizes) if enumerate_all else np.ones(len(masks))
    ends = np.array([np.zeros(d, bool), np.ones(d, bool)])
    values = np.empty(X.shape)
    base = 0.0
    for r, x in enumerate(X):
        v_empty, v_full = _values_of_coalitions(predict, x, background, ends)
        base, total = v_empty, v_full - v_empty
        if d == 1:
            values[r] = total
            continue
        v = _values_of_coalitions(predict, x, background, masks)
        z = masks.astype(np.float64)
        # Eliminate the last feature with the constraint: phi_d = total - sum_{i<d} phi_i.
        target = v - v_empty - z[:, -1] * total
        design = z[:, :-1] - z[:, -1:]
        root = np.sqrt(weights)[:, None]
        phi, *_ = np.linalg.lstsq(design * root, target * root[:, 0], rcond=None)
        values[r, :-1] = phi
        values[r, -1] = total - phi.sum()
    return Attribution(values, float(base))
