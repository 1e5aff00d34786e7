r"""The L1 path: which features an L1-penalised logistic regression admits, and when.

Feature selection by model: as the penalty weakens, features enter one by one, and the first to
enter carry the most linear signal. It lives with the models because it fits one (the other
selection tools are in :mod:`mlref.features.selection`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from mlref._validation import check_array_1d, check_array_2d
from mlref.models.linear import LogisticRegression

__all__ = ["L1PathResult", "l1_path"]


class L1PathResult(NamedTuple):
    """Outcome of :func:`l1_path`."""

    coefs: pd.DataFrame
    """Coefficients, one row per C (increasing), one column per feature."""
    n_nonzero: pd.Series
    """Number of non-zero coefficients per C."""
    entry_C: pd.Series
    """Per feature, the smallest C of the grid where it is non-zero (inf if never)."""
    entry_order: list
    """Features that enter, by increasing entry C (ties: larger coefficient first)."""


def l1_path(X, y, Cs, *, feature_names=None, max_iter: int = 10_000, tol: float = 1e-6):
    r"""Fit an L1 logistic regression for each C and record which features enter, and when.

    For each :math:`C` of the grid, :class:`mlref.models.LogisticRegression` with
    ``penalty="l1"`` minimises

    .. math::

        C \sum_i \big[\log(1 + e^{z_i}) - y_i z_i\big] + \lVert w \rVert_1 .

    All coefficients are exactly 0 while :math:`C \le 1 / \lVert X^\top (y - \bar y) \rVert_\infty`
    (the intercept alone fits :math:`\bar y`, and the penalty's subgradient absorbs the
    gradient); the feature achieving that maximum enters first, and more enter as :math:`C`
    grows.

    Parameters
    ----------
    X : pandas.DataFrame or array-like of shape (n_samples, n_features)
        Features. **Standardise them first** (:class:`~mlref.features.numeric.Standardizer`):
        the L1 penalty treats every coefficient alike, so the order of entry otherwise depends
        on the units.
    y : array-like of shape (n_samples,)
        Binary labels.
    Cs : array-like of float
        Inverse penalty strengths (> 0), in any order; the result is sorted by increasing C.
    feature_names : list of str or None, default=None
        Defaults to the DataFrame's columns or ``x0, x1, ...``.
    max_iter, tol
        Passed to the model.

    Returns
    -------
    L1PathResult

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = (X[:, 1] + 0.3 * X[:, 2] + 0.5 * rng.normal(size=200) > 0).astype(int)
    >>> path = l1_path(X, y, [0.005, 0.02, 0.05, 1.0])
    >>> path.n_nonzero.tolist(), path.entry_order
    ([0, 1, 2, 3], ['x1', 'x2', 'x0'])
    """
    arr = check_array_2d(X, "X")
    if isinstance(X, pd.DataFrame):
        names = [str(c) for c in X.columns]
    else:
        names = [f"x{j}" for j in range(arr.shape[1])]
    if feature_names is not None:
        names = [str(f) for f in feature_names]
        if len(names) != arr.shape[1]:
            raise ValueError(
                f"feature_names has {len(names)} names but X has {arr.shape[1]} columns"
            )
    grid = check_array_1d(Cs, "Cs")
    if (grid <= 0).any():
        raise ValueError(f"Cs must all be > 0, got {grid.min():g}; C = 0 would be no data at all")
    grid = np.unique(grid)
    coefs = np.empty((grid.size, arr.shape[1]))
    for i, C in enumerate(grid):
        model = LogisticRegression(penalty="l1", C=float(C), max_iter=max_iter, tol=tol)
        coefs[i] = model.fit(arr, y).coef_[0]
    nonzero = coefs != 0
    first = np.where(nonzero.any(axis=0), nonzero.argmax(axis=0), grid.size)
    entry_C = np.where(first < grid.size, grid[np.minimum(first, grid.size - 1)], np.inf)
    size_at_entry = np.abs(coefs[np.minimum(first, grid.size - 1), np.arange(arr.shape[1])])
    order = np.lexsort((-size_at_entry, first))
    entering = [names[j] for j in order if first[j] < grid.size]
    index = pd.Index(grid, name="C")
    return L1PathResult(
        coefs=pd.DataFrame(coefs, index=index, columns=names),
        n_nonzero=pd.Series(nonzero.sum(axis=1), index=index, name="n_nonzero"),
        entry_C=pd.Series(entry_C, index=names, name="entry_C"),
        entry_order=entering,
    )
