r"""Numeric feature transforms fitted on training data only: z-score, log1p, quantile bins, clips.

Every class is a scikit-learn transformer (``fit`` learns its statistics from the training rows
alone, ``transform`` applies them to any rows), so it slots into a ``Pipeline`` or
``ColumnTransformer`` and never lets validation or test rows influence what was learned: the
classic leak of standardising with the mean of the whole data set before splitting.

Inputs are 2-D arrays or DataFrames of numbers; a DataFrame's column names are kept as
``feature_names_in_`` and returned by ``get_feature_names_out``, so
``set_output(transform="pandas")`` gives DataFrames back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from mlref._validation import (
    OneToOneFeatureNames,
    check_array_2d,
    check_n_features,
    check_positive_int,
    check_real,
)

__all__ = ["Log1pTransformer", "PercentileClipper", "QuantileBinner", "Standardizer"]


# --------------------------------------------------------------------------------------------
# Input handling shared by the transformers of mlref.features
# --------------------------------------------------------------------------------------------


def _column_names(X) -> np.ndarray | None:
    """Column names of a DataFrame whose columns are all strings, else None."""
    if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
        return np.asarray(X.columns, dtype=object)
    return None


def _record_or_check_columns(estimator, X, n_columns: int, *, reset: bool) -> None:
    """Store ``n_features_in_`` / ``feature_names_in_`` in fit, check them in transform."""
    names = _column_names(X)
    if reset:
        estimator.n_features_in_ = n_columns
        if names is not None:
            estimator.feature_names_in_ = names
        elif hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        return
    check_n_features(n_columns, estimator)
    fitted_names = getattr(estimator, "feature_names_in_", None)
    if names is not None and fitted_names is not None and not np.array_equal(names, fitted_names):
        raise ValueError(
            f"X has columns {list(names)} but {type(estimator).__name__} was fitted on "
            f"{list(fitted_names)}; pass the same columns, in the same order, as in fit"
        )


def _numeric_input(estimator, X, *, reset: bool) -> np.ndarray:
    """Validate ``X`` as a finite 2-D float array and record or check its columns."""
    if isinstance(X, pd.DataFrame):
        non_numeric = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if non_numeric:
            raise ValueError(
                f"X must hold numbers; columns {non_numeric} are not numeric. Encode them with "
                "mlref.features.categorical first, or select the numeric columns"
            )
    try:
        arr = check_array_2d(X, "X")
    except TypeError as exc:
        raise ValueError(f"X must be a 2-D array of numbers; got {type(X).__name__}") from exc
    _record_or_check_columns(estimator, X, arr.shape[1], reset=reset)
    return arr


# --------------------------------------------------------------------------------------------
# Transformers
# --------------------------------------------------------------------------------------------


class Standardizer(OneToOneFeatureNames, TransformerMixin, BaseEstimator):
    r"""Z-score each column with the mean and standard deviation of the training data.

    .. math::

        z_{ij} = \frac{x_{ij} - \mu_j}{\sigma_j}, \qquad
        \mu_j = \frac1n \sum_i x_{ij}, \quad
        \sigma_j = \sqrt{\frac1n \sum_i (x_{ij} - \mu_j)^2},

    :math:`\mu_j, \sigma_j` computed on the rows passed to ``fit`` only.

    Attributes
    ----------
    mean_ : numpy.ndarray of shape (n_features,)
        Training means :math:`\mu_j` (the column's value itself for a constant column).
    scale_ : numpy.ndarray of shape (n_features,)
        Training standard deviations :math:`\sigma_j` (population, ``ddof=0``), 1 for constant
        columns.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : numpy.ndarray of str
        Column names, when ``fit`` got a DataFrame with string column names.

    Notes
    -----
    A column that is constant in the training data has :math:`\sigma_j = 0` and no defined
    z-score. Its scale is set to 1 and its mean to the constant, so it becomes exactly 0 on the
    training rows and :math:`x - c` on new rows (scikit-learn's ``StandardScaler`` also uses a
    scale of 1; it subtracts the computed mean, which can be off from the constant by a rounding
    error). Standardisation matters for models whose penalty or optimiser is scale-dependent
    (L1/L2 logistic regression, neural networks, k-NN); trees do not need it.

    Examples
    --------
    >>> Standardizer().fit_transform([[1.0, 5.0], [3.0, 5.0]]).tolist()
    [[-1.0, 0.0], [1.0, 0.0]]
    """

    def fit(self, X, y=None):
        """Learn each column's mean and standard deviation from the training data ``X``."""
        arr = _numeric_input(self, X, reset=True)
        with np.errstate(over="ignore", invalid="ignore"):
            mean, std = arr.mean(axis=0), arr.std(axis=0)
        if not (np.isfinite(mean).all() and np.isfinite(std).all()):
            # Values near ±1e308 overflow the sums; the statistics fit, so compute them scaled.
            largest = np.abs(arr).max(axis=0)
            unit = np.where(largest > 0, largest, 1.0)
            mean, std = unit * (arr / unit).mean(axis=0), unit * (arr / unit).std(axis=0)
        constant = (arr == arr[0]).all(axis=0)
        self.mean_ = np.where(constant, arr[0], mean)
        self.scale_ = np.where(constant | (std == 0), 1.0, std)
        return self

    def transform(self, X):
        """Return :math:`(X - \\mu) / \\sigma` with the fitted statistics."""
        check_is_fitted(self, "scale_")
        arr = _numeric_input(self, X, reset=False)
        with np.errstate(over="ignore"):
            z = (arr - self.mean_) / self.scale_
        if not np.isfinite(z).all():  # x - mean overflowed: divide first
            z = arr / self.scale_ - self.mean_ / self.scale_
        if not np.isfinite(z).all():
            raise ValueError(
                "X holds values so far from the training data that their z-scores overflow "
                "float64; check X for corrupt values"
            )
        return z

    def inverse_transform(self, X):
        """Map z-scores back to the original units: :math:`x = z \\sigma + \\mu`."""
        check_is_fitted(self, "scale_")
        arr = _numeric_input(self, X, reset=False)
        return arr * self.scale_ + self.mean_


class Log1pTransformer(OneToOneFeatureNames, TransformerMixin, BaseEstimator):
    r"""Compress heavy right tails (prices, counts, review numbers) with :math:`\log(1 + x)`.

    .. math::

        x \mapsto \log(1 + x), \qquad \text{defined and finite for } x > -1.

    Nothing is learned; ``fit`` only checks the input and records its columns, so the
    transformer composes with the others in a ``Pipeline``.

    Raises
    ------
    ValueError
        In ``fit`` and ``transform``, if a value is :math:`\le -1` (where :math:`\log(1+x)` is
        :math:`-\infty` or undefined) or is NaN/inf.

    Notes
    -----
    Values in :math:`(-1, 0)` are accepted and map to negative numbers; for signed data with a
    heavy tail on both sides use :math:`\operatorname{sign}(x)\log(1 + |x|)` instead. ``log1p``
    is used rather than ``log(1 + x)`` because it keeps full precision for tiny :math:`x`, and
    ``expm1`` inverts it (``inverse_transform``).

    Examples
    --------
    >>> Log1pTransformer().fit_transform([[0.0], [np.e - 1]]).tolist()
    [[0.0], [1.0]]
    """

    def fit(self, X, y=None):
        """Check ``X`` (all values > -1) and record its columns."""
        _check_above_minus_one(_numeric_input(self, X, reset=True))
        return self

    def transform(self, X):
        """Return ``log1p(X)``."""
        check_is_fitted(self, "n_features_in_")
        return np.log1p(_check_above_minus_one(_numeric_input(self, X, reset=False)))

    def inverse_transform(self, X):
        """Return ``expm1(X)``, the original values."""
        check_is_fitted(self, "n_features_in_")
        return np.expm1(_numeric_input(self, X, reset=False))


def _check_above_minus_one(arr: np.ndarray) -> np.ndarray:
    if (arr <= -1).any():
        raise ValueError(
            f"X holds {int((arr <= -1).sum())} value(s) <= -1 (smallest {arr.min():.4g}), where "
            "log1p is -inf or undefined; shift the column, or use sign(x) * log1p(|x|)"
        )
    return arr


class QuantileBinner(OneToOneFeatureNames, TransformerMixin, BaseEstimator):
    r"""Replace each value by the index of its training-quantile bin (0 to ``n_bins - 1``).

    The edges of column :math:`j` are its training quantiles at levels
    :math:`0, 1/B, 2/B, \dots, 1`; a value goes to bin

    .. math::

        b(x) = \#\{ k \in \{1, \dots, B' - 1\} : e_k \le x \},

    the number of inner edges at or below it, so bins are half-open :math:`[e_k, e_{k+1})`, and
    values below the training minimum or above the training maximum fall into the first or last
    bin (:math:`B'` is the number of bins left after merging duplicate edges, see Notes).

    Parameters
    ----------
    n_bins : int, default=5
        Number of bins :math:`B` per column (>= 2).
    quantile_method : str, default="averaged_inverted_cdf"
        The ``method`` of :func:`numpy.percentile` computing the edges. The default matches
        ``sklearn.preprocessing.KBinsDiscretizer(strategy="quantile")`` since scikit-learn 1.9;
        ``"linear"`` is NumPy's default interpolation.

    Attributes
    ----------
    bin_edges_ : list of numpy.ndarray
        Edges of each column, increasing, first and last being the training min and max
        (``[-inf, inf]`` for a constant column).
    n_bins_ : numpy.ndarray of int
        Number of bins :math:`B'` kept per column.

    Notes
    -----
    Ties make several quantiles equal (a count column that is 0 for half the rows). Edges closer
    than :math:`10^{-8}` to the previous one are dropped, so a column can end up with fewer than
    ``n_bins`` bins; a constant column gets a single bin (every value maps to 0). These are the
    rules of scikit-learn's ``KBinsDiscretizer(strategy="quantile", encode="ordinal")``, with which
    the output is identical (the tests check it), except that scikit-learn warns where this class
    records the merge in ``n_bins_`` silently, and that scikit-learn subsamples 200,000 rows
    before computing quantiles (``subsample=None`` there to compare on larger data).

    Examples
    --------
    >>> binner = QuantileBinner(n_bins=2).fit([[1.0], [2.0], [3.0], [4.0]])
    >>> binner.transform([[-10.0], [2.4], [2.6], [99.0]]).ravel().tolist()
    [0.0, 0.0, 1.0, 1.0]
    """

    def __init__(self, n_bins: int = 5, *, quantile_method: str = "averaged_inverted_cdf"):
        self.n_bins = n_bins
        self.quantile_method = quantile_method

    def fit(self, X, y=None):
        """Compute each column's bin edges from the training quantiles."""
        n_bins = check_positive_int(self.n_bins, "n_bins")
        if n_bins < 2:
            raise ValueError(f"n_bins must be >= 2 (one bin carries no information), got {n_bins}")
        arr = _numeric_input(self, X, reset=True)
        levels = np.linspace(0.0, 100.0, n_bins + 1)
        try:
            quantiles = np.percentile(arr, levels, axis=0, method=self.quantile_method)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"quantile_method must be a method of numpy.percentile such as "
                f"'averaged_inverted_cdf' or 'linear'; got {self.quantile_method!r}"
            ) from exc
        edges = []
        for column_edges in quantiles.T:
            if column_edges[0] == column_edges[-1]:
                edges.append(np.array([-np.inf, np.inf]))
                continue
            keep = np.ediff1d(column_edges, to_begin=np.inf) > 1e-8
            edges.append(column_edges[keep])
        self.bin_edges_ = edges
        self.n_bins_ = np.array([len(e) - 1 for e in edges])
        return self

    def transform(self, X):
        """Return the bin index of every value, as floats (like scikit-learn's ordinal output)."""
        check_is_fitted(self, "bin_edges_")
        arr = _numeric_input(self, X, reset=False)
        out = np.empty_like(arr)
        for j, edges in enumerate(self.bin_edges_):
            out[:, j] = np.searchsorted(edges[1:-1], arr[:, j], side="right")
        return out


class PercentileClipper(OneToOneFeatureNames, TransformerMixin, BaseEstimator):
    r"""Clip each column to its training percentiles (winsorising outliers).

    .. math::

        x \mapsto \min\big(\max(x, q_{\text{lower}}), q_{\text{upper}}\big),

    :math:`q_p` being the :math:`p`-th percentile of the column in the training data
    (:func:`numpy.percentile`, linear interpolation).

    Parameters
    ----------
    lower : float, default=1
        Lower percentile, in [0, 100).
    upper : float, default=99
        Upper percentile, in (``lower``, 100].

    Attributes
    ----------
    lower_ : numpy.ndarray of shape (n_features,)
        Fitted lower bounds.
    upper_ : numpy.ndarray of shape (n_features,)
        Fitted upper bounds.

    Examples
    --------
    >>> clipper = PercentileClipper(lower=0, upper=50).fit([[0.0], [1.0], [2.0]])
    >>> clipper.transform([[-5.0], [0.5], [7.0]]).ravel().tolist()
    [0.0, 0.5, 1.0]
    """

    def __init__(self, *, lower: float = 1, upper: float = 99):
        self.lower = lower
        self.upper = upper

    def fit(self, X, y=None):
        """Compute the lower and upper percentiles of each column of the training data."""
        lower = check_real(self.lower, "lower", low=0, high=100)
        upper = check_real(self.upper, "upper", low=0, high=100)
        if not lower < upper:
            raise ValueError(
                f"lower must be smaller than upper, got lower={lower:g}, upper={upper:g}"
            )
        arr = _numeric_input(self, X, reset=True)
        self.lower_, self.upper_ = np.percentile(arr, [lower, upper], axis=0)
        return self

    def transform(self, X):
        """Return ``X`` clipped to the fitted bounds."""
        check_is_fitted(self, "upper_")
        return np.clip(_numeric_input(self, X, reset=False), self.lower_, self.upper_)
