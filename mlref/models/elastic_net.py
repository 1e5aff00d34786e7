r"""Lasso, ridge and elastic-net coefficient paths by proximal gradient descent (ISTA)."""

from __future__ import annotations

import numpy as np

from mlref._validation import (
    check_array_1d,
    check_array_2d,
    check_positive_int,
    check_real,
    check_same_length,
)


def elastic_net_path(
    X, y, alphas, *, l1_ratio: float = 1.0, max_iter: int = 10_000, tol: float = 1e-10
) -> np.ndarray:
    r"""Elastic-net coefficients (no intercept) for each penalty strength, with warm starts.

    Minimises, for each :math:`\alpha` (scikit-learn's ``ElasticNet`` objective),

    .. math::

        \frac{1}{2n}\lVert y - Xw\rVert_2^2 + \alpha\rho\lVert w\rVert_1
        + \frac{\alpha(1-\rho)}{2}\lVert w\rVert_2^2 ,

    by proximal gradient steps of size :math:`1/L`, :math:`L = \lambda_{\max}(X^\top X/n) +
    \alpha(1-\rho)`: a gradient step on the smooth part, then soft-thresholding by
    :math:`\alpha\rho/L`, which sets coefficients exactly to zero. ``l1_ratio=1`` is the lasso,
    ``l1_ratio=0`` ridge. Each :math:`\alpha` starts from the previous solution.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Centre the columns and ``y`` first (no intercept is fitted).
    y : array-like of shape (n_samples,)
    alphas : array-like of float > 0
        Penalty strengths, solved in the order given (decreasing is fastest).
    l1_ratio : float in [0, 1], default 1.0
    max_iter : int, default 10000
        Proximal steps at most per alpha.
    tol : float > 0, default 1e-10
        Stop an alpha when no coefficient moves more than ``tol``.

    Returns
    -------
    ndarray of shape (n_features, n_alphas)
        Column ``j`` holds the coefficients for ``alphas[j]`` (``sklearn.linear_model.enet_path``'s
        layout).

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    >>> elastic_net_path(X, [2.0, 1.0, -2.0, -1.0], [0.1]).ravel().round(6).tolist()
    [1.8, 0.8]
    """
    X = check_array_2d(X, "X")
    y = check_array_1d(y, "y")
    check_same_length(X=X, y=y)
    alphas = check_array_1d(alphas, "alphas")
    if (alphas <= 0).any():
        raise ValueError("alphas must all be > 0; use ordinary least squares for alpha = 0")
    l1_ratio = check_real(l1_ratio, "l1_ratio", low=0.0, high=1.0)
    max_iter = check_positive_int(max_iter, "max_iter")
    tol = check_real(tol, "tol", low=0.0, low_inclusive=False)
    n = X.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        gram, Xty = X.T @ X / n, X.T @ y / n
    if not (np.isfinite(gram).all() and np.isfinite(Xty).all()):
        raise ValueError(
            "X and y are too large: X^T X / n or X^T y / n overflowed float64; standardise X "
            "and y first"
        )
    top_eigenvalue = float(np.linalg.eigvalsh(gram)[-1])
    w = np.zeros(X.shape[1])
    path = np.empty((X.shape[1], alphas.size))
    for j, alpha in enumerate(alphas):
        l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
        step = 1.0 / (top_eigenvalue + l2)
        for _ in range(max_iter):
            u = w - step * (gram @ w - Xty + l2 * w)
            new = np.sign(u) * np.maximum(np.abs(u) - step * l1, 0.0)
            moved = np.max(np.abs(new - w))
            w = new
            if moved <= tol:
                break
        path[:, j] = w
    return path
