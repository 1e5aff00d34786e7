r"""Partial dependence (PDP) and individual conditional expectation (ICE) curves, brute force.

For a feature :math:`j` and a grid value :math:`g`, the ICE curve of row :math:`i` is the model's
response with :math:`x_{ij}` replaced by :math:`g`, and the partial dependence is their mean:

.. math::

    \mathrm{ICE}_i(g) = f(g, x_{i,\setminus j}), \qquad
    \mathrm{PD}(g) = \frac{1}{n} \sum_{i=1}^{n} f(g, x_{i,\setminus j}).

The grid follows scikit-learn: the distinct values of the feature when there are fewer than
``grid_resolution`` of them, otherwise ``grid_resolution`` evenly spaced points between the
``percentiles`` of the feature (``scipy.stats.mstats.mquantiles``, as scikit-learn computes them).
A PDP hides heterogeneity (two groups with opposite slopes average to a flat line); the ICE
curves show it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats.mstats import mquantiles

from mlref._validation import check_array_2d, check_option, check_positive_int, check_real

__all__ = ["PartialDependence", "partial_dependence"]

_MAX_ROWS_PER_CALL = 200_000


@dataclass(frozen=True)
class PartialDependence:
    """Partial dependence of one feature.

    Attributes
    ----------
    grid : numpy.ndarray of shape (n_grid,)
        Feature values the curves are evaluated at.
    average : numpy.ndarray of shape (n_grid,)
        The partial dependence (mean of the ICE curves).
    individual : numpy.ndarray of shape (n_rows, n_grid)
        One ICE curve per row of ``X``.
    """

    grid: np.ndarray
    average: np.ndarray
    individual: np.ndarray


def _response_function(model, response: str):
    names = ("predict_proba", "decision_function") if response == "auto" else (response,)
    if response == "auto" and not hasattr(model, "predict_proba"):
        names = ("decision_function", "predict")
    for name in names:
        method = getattr(model, name, None)
        if callable(method):

            def respond(rows, method=method, name=name):
                out = np.asarray(method(rows), dtype=np.float64)
                if name == "predict_proba":
                    if out.ndim != 2 or out.shape[1] != 2:
                        raise ValueError(
                            "model: partial_dependence explains a binary classifier's positive "
                            "class or a single-output regressor; this model predicts "
                            f"{out.shape[1] if out.ndim == 2 else 1} columns"
                        )
                    return out[:, 1]
                return out.ravel()

            return respond
    raise ValueError(
        f"model of type {type(model).__name__} has no {' or '.join(names)} method; pass a "
        "fitted estimator or choose another response"
    )


def _grid(column: np.ndarray, percentiles, grid_resolution: int) -> np.ndarray:
    uniques = np.unique(column)
    if uniques.size < grid_resolution:
        return uniques
    low, high = mquantiles(column, prob=percentiles, axis=0)
    if np.allclose(low, high):
        raise ValueError(
            "percentiles are too close to each other for this feature: its values at "
            f"{percentiles} are both {low:.4g}; widen percentiles"
        )
    return np.linspace(low, high, num=grid_resolution, endpoint=True)


def partial_dependence(
    model,
    X,
    feature,
    *,
    grid_resolution=100,
    percentiles=(0.05, 0.95),
    response="auto",
) -> PartialDependence:
    r"""Partial dependence and ICE curves of one feature, equal to scikit-learn's brute method.

    Equal to ``sklearn.inspection.partial_dependence(model, X, [feature], kind="both",
    method="brute")`` (its ``grid_values[0]``, ``average[0]`` and ``individual[0]``).

    Parameters
    ----------
    model : fitted estimator
        A binary classifier (the positive class's ``predict_proba``, else
        ``decision_function``) or a regressor (``predict``).
    X : array-like of shape (n_rows, n_features)
        Rows whose other features are kept (usually the training or validation set).
    feature : int
        Column index of the feature.
    grid_resolution : int, default=100
        Number of grid points when the feature has at least that many distinct values.
    percentiles : tuple of two floats, default=(0.05, 0.95)
        Range of the grid, as quantiles of the feature.
    response : {"auto", "predict_proba", "decision_function", "predict"}, default="auto"

    Returns
    -------
    PartialDependence
        ``grid``, ``average`` and ``individual`` (one ICE curve per row).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> X = np.arange(12.0).reshape(6, 2); y = 2 * X[:, 0]
    >>> pd_ = partial_dependence(LinearRegression().fit(X, y), X, 0, grid_resolution=3)
    >>> pd_.grid.round(2).tolist(), pd_.average.round(2).tolist()
    ([1.0, 5.5, 10.0], [2.0, 11.0, 20.0])
    """
    X = check_array_2d(X, "X")
    grid_resolution = check_positive_int(grid_resolution, "grid_resolution")
    if grid_resolution < 2:
        raise ValueError(f"grid_resolution must be at least 2, got {grid_resolution}")
    response = check_option(
        response, "response", ("auto", "predict_proba", "decision_function", "predict")
    )
    if isinstance(percentiles, str) or np.ndim(percentiles) != 1 or len(percentiles) != 2:
        raise ValueError(f"percentiles must be two numbers (low, high), got {percentiles!r}")
    low = check_real(percentiles[0], "percentiles", low=0, high=1)
    high = check_real(percentiles[1], "percentiles", low=0, high=1)
    if low >= high:
        raise ValueError(f"percentiles must be increasing (low < high), got {percentiles!r}")
    if isinstance(feature, bool) or not isinstance(feature, int | np.integer):
        raise ValueError(f"feature must be a column index (int), got {feature!r}")
    if not 0 <= feature < X.shape[1]:
        raise ValueError(f"feature must be in [0, {X.shape[1] - 1}], got {feature}")
    n_features_in = getattr(model, "n_features_in_", X.shape[1])
    if n_features_in != X.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} features, but the model is expecting {n_features_in} features "
            "as input (as in fit)"
        )
    respond = _response_function(model, response)
    grid = _grid(X[:, feature], (low, high), grid_resolution)
    n = X.shape[0]
    individual = np.empty((n, grid.size))
    per_call = max(1, _MAX_ROWS_PER_CALL // n)
    for start in range(0, grid.size, per_call):
        values = grid[start : start + per_call]
        rows = np.repeat(X[None], values.size, axis=0)
        rows[:, :, feature] = values[:, None]
        out = respond(rows.reshape(-1, X.shape[1]))
        individual[:, start : start + values.size] = out.reshape(values.size, n).T
    return PartialDependence(grid, individual.mean(axis=0), individual)
