r"""Missing values: how they go missing, and the imputers that fill them.

Missing completely at random (MCAR) means the chance a value is missing depends on nothing;
missing at random (MAR) means it depends on other, observed columns; missing not at random
(MNAR) means it depends on the missing value itself (a retailer with few reviews leaves the
field empty). Only under MCAR is dropping or mean-filling harmless; under MNAR the *fact* that a
value is missing carries signal, which an ``is_missing`` indicator (or a tree's default branch)
keeps and a plain mean fill throws away.

The imputers follow scikit-learn's (``SimpleImputer``, ``KNNImputer``, ``IterativeImputer`` with
a ridge estimator) and equal them where the options correspond (tested).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.metrics.pairwise import nan_euclidean_distances
from sklearn.utils.validation import check_is_fitted

from mlref._validation import (
    as_array,
    check_array_2d,
    check_bool,
    check_n_features,
    check_option,
    check_positive_int,
    check_random_state,
    check_real,
)

__all__ = [
    "IterativeImputer",
    "KNNImputer",
    "SimpleImputer",
    "inject_missing",
    "multiple_imputation",
]


def _check_fit_columns(X: np.ndarray) -> np.ndarray:
    missing = np.isnan(X)
    empty = np.flatnonzero(missing.all(axis=0))
    if empty.size:
        raise ValueError(
            f"X has no observed value in column(s) {empty.tolist()}; drop those columns before "
            "imputing"
        )
    return missing


def inject_missing(X, *, rate: float, mechanism: str = "mcar", columns=None, random_state=None):
    r"""Hide a share ``rate`` of the values of ``columns`` by one of the three mechanisms.

    - ``"mcar"``: each value is hidden with probability ``rate``;
    - ``"mar"``: the chance grows with the *next* column's value (observed, never hidden for
      this choice): rows in the top half of that column lose values at 1.6 times ``rate``, the
      bottom half at 0.4 times;
    - ``"mnar"``: the chance grows with the value itself: the top half of the column loses
      values at 1.6 times ``rate``, the bottom half at 0.4 times.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Complete data (no NaN).
    rate : float in [0, 0.6]
        Share of each listed column to hide (the expected share under all three mechanisms).
    mechanism : {"mcar", "mar", "mnar"}
    columns : sequence of int or None
        Columns to hide values in; ``None`` means all.
    random_state : int, numpy.random.Generator or None

    Returns
    -------
    numpy.ndarray
        A float copy of ``X`` with NaN where values were hidden.

    Examples
    --------
    >>> X = np.arange(2000.0).reshape(1000, 2)
    >>> out = inject_missing(X, rate=0.2, mechanism="mnar", columns=[0], random_state=0)
    >>> round(float(np.isnan(out[:, 0]).mean()), 2), bool(np.isnan(out[:, 1]).any())
    (0.2, False)
    """
    arr = check_array_2d(X, "X", allow_nan=True)
    if np.isnan(arr).any():
        raise ValueError("X already holds NaN; pass complete data to inject_missing")
    rate = check_real(rate, "rate", low=0.0, high=0.6)
    mechanism = check_option(mechanism, "mechanism", ("mcar", "mar", "mnar"))
    rng = check_random_state(random_state)
    n, d = arr.shape
    if columns is None:
        cols = np.arange(d)
    else:
        cols = as_array(columns, "columns", None)
        if cols.ndim != 1 or cols.size == 0 or cols.dtype.kind not in "iu":
            raise ValueError(f"columns must be a non-empty list of column numbers, got {columns!r}")
        if cols.min() < 0 or cols.max() >= d:
            raise ValueError(f"columns must be between 0 and {d - 1}, got {cols.tolist()}")
    out = arr.copy()
    for j in cols:
        if mechanism == "mcar":
            p = np.full(n, rate)
        else:
            driver = arr[:, (j + 1) % d] if mechanism == "mar" else arr[:, j]
            top = driver > np.median(driver)
            p = np.where(top, 1.6 * rate, 0.4 * rate)
            p *= rate * n / max(p.sum(), 1e-300)
        out[rng.random(n) < p, j] = np.nan
    return out


class SimpleImputer(TransformerMixin, BaseEstimator):
    r"""Fill each column's NaN with its mean, median, most frequent value or a constant.

    Parameters
    ----------
    strategy : {"mean", "median", "most_frequent", "constant"}, default="mean"
    fill_value : float, default=-999.0
        The constant of ``strategy="constant"`` (the source's ``-999`` flag).
    add_indicator : bool, default=False
        Append one 0/1 ``is_missing`` column per column that had a NaN in ``fit``.

    Attributes
    ----------
    statistics_ : numpy.ndarray of shape (n_features,)
    indicator_features_ : numpy.ndarray
        Columns that get an indicator.

    Examples
    --------
    >>> SimpleImputer(strategy="median", add_indicator=True).fit_transform(
    ...     [[1.0], [np.nan], [3.0], [10.0]]).tolist()
    [[1.0, 0.0], [3.0, 1.0], [3.0, 0.0], [10.0, 0.0]]
    """

    def __init__(self, *, strategy: str = "mean", fill_value: float = -999.0, add_indicator=False):
        self.strategy = strategy
        self.fill_value = fill_value
        self.add_indicator = add_indicator

    def fit(self, X, y=None):
        """Learn each column's fill value from its observed entries."""
        X = check_array_2d(X, "X", allow_nan=True)
        strategy = check_option(
            self.strategy, "strategy", ("mean", "median", "most_frequent", "constant")
        )
        check_bool(self.add_indicator, "add_indicator")
        missing = np.isnan(X)
        fill_value = check_real(self.fill_value, "fill_value")
        if strategy == "constant":
            stats = np.full(X.shape[1], fill_value)
        else:
            _check_fit_columns(X)
            if strategy == "mean":
                stats = np.nanmean(X, axis=0)
            elif strategy == "median":
                stats = np.nanmedian(X, axis=0)
            else:
                stats = np.array([_most_frequent(col[~np.isnan(col)]) for col in X.T])
        if not np.isfinite(stats).all():
            raise ValueError("X's column means overflow float64; rescale X")
        self.statistics_ = stats
        self.indicator_features_ = np.flatnonzero(missing.any(axis=0))
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Replace NaN by the fitted values (and append the indicators)."""
        check_is_fitted(self, "statistics_")
        X = check_n_features(check_array_2d(X, "X", allow_nan=True), self)
        missing = np.isnan(X)
        out = np.where(missing, self.statistics_, X)
        if self.add_indicator:
            out = np.hstack([out, missing[:, self.indicator_features_].astype(np.float64)])
        return out


def _most_frequent(values: np.ndarray) -> float:
    """Most frequent value, the smallest on ties (as scikit-learn)."""
    uniq, counts = np.unique(values, return_counts=True)
    return float(uniq[np.argmax(counts)])


def _nan_euclidean(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    r"""The NaN-aware Euclidean distance of :class:`KNNImputer`, from scikit-learn's
    ``nan_euclidean_distances`` (NaN when two rows share no observed coordinate).

    scikit-learn's own function is used so that equal distances (duplicated rows are common in
    logs) come out bit-identical, and ties between neighbours break the same way.
    """
    return nan_euclidean_distances(A, B)


class KNNImputer(TransformerMixin, BaseEstimator):
    r"""Fill a missing value with the mean of that column over the ``n_neighbors`` nearest rows
    (of the fitted data) that have it, by the NaN-aware Euclidean distance

    .. math::

        d(a, b) = \sqrt{\frac{p}{|S|} \sum_{j \in S} (a_j - b_j)^2},

    with :math:`S` the coordinates present in both rows and :math:`p` the number of columns.

    Parameters
    ----------
    n_neighbors : int, default=5

    Examples
    --------
    >>> X = [[1.0, 2.0], [np.nan, 2.1], [5.0, 8.0], [1.2, 1.9]]
    >>> KNNImputer(n_neighbors=2).fit_transform(X)[1].round(2).tolist()
    [1.1, 2.1]
    """

    def __init__(self, *, n_neighbors: int = 5):
        self.n_neighbors = n_neighbors

    def fit(self, X, y=None):
        """Store the rows that donate values."""
        X = check_array_2d(X, "X", allow_nan=True)
        check_positive_int(self.n_neighbors, "n_neighbors")
        _check_fit_columns(X)
        if np.nanmax(np.abs(X)) > 1e150:
            raise ValueError("X holds values beyond 1e150: distances overflow; rescale X")
        self.fit_X_ = X
        self.col_means_ = np.nanmean(X, axis=0)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Impute every NaN of ``X`` from the fitted rows; chunked, no Python loop over rows."""
        check_is_fitted(self, "fit_X_")
        X = check_n_features(check_array_2d(X, "X", allow_nan=True), self)
        k = check_positive_int(self.n_neighbors, "n_neighbors")
        if np.nanmax(np.abs(X), initial=0.0) > 1e150:
            raise ValueError("X holds values beyond 1e150: distances overflow; rescale X")
        out = X.copy()
        rows = np.flatnonzero(np.isnan(X).any(axis=1))
        donors_obs = ~np.isnan(self.fit_X_)
        for start in range(0, rows.size, 512):
            chunk = rows[start : start + 512]
            dist = _nan_euclidean(X[chunk], self.fit_X_)
            for j in np.flatnonzero(np.isnan(X[chunk]).any(axis=0)):
                need = np.isnan(X[chunk, j])
                d = dist[need][:, donors_obs[:, j]]
                values = self.fit_X_[donors_obs[:, j], j]
                kk = min(k, d.shape[1])
                # NaN distances (no shared coordinate) sort last, as in scikit-learn.
                nearest = np.argpartition(d, kk - 1, axis=1)[:, :kk]
                near_d = np.take_along_axis(d, nearest, axis=1)
                valid = ~np.isnan(near_d)
                total = (values[nearest] * valid).sum(axis=1)
                count = valid.sum(axis=1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    filled = np.where(count > 0, total / count, self.col_means_[j])
                out[chunk[need], j] = filled
        return out


def _ridge(X: np.ndarray, y: np.ndarray, alpha: float):
    """Ridge regression with an unpenalised intercept (scikit-learn's ``Ridge``)."""
    mx, my = X.mean(axis=0), y.mean()
    Xc = X - mx
    coef = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ (y - my))
    return coef, my - mx @ coef


class IterativeImputer(TransformerMixin, BaseEstimator):
    r"""Regression imputation: round-robin ridge regressions of each column on the others.

    Missing values start at the column means; then, for ``max_iter`` rounds, each column in
    ascending order of its missing share is regressed (ridge, penalty ``alpha``) on all the
    other columns over the rows where it is observed, and its missing entries are replaced by
    the predictions:

    .. math::

        \hat x_{ij} = b_j + \sum_{l \ne j} w_{jl}\, x_{il}.

    With ``sample_posterior=True`` each prediction gets Gaussian noise with the regression's
    residual standard deviation, so repeated fits with different seeds give the spread
    multiple imputation needs.

    Parameters
    ----------
    max_iter : int, default=10
    alpha : float > 0, default=1.0
        Ridge penalty.
    sample_posterior : bool, default=False
    random_state : int, numpy.random.Generator or None, default=None

    Attributes
    ----------
    imputation_sequence_ : list of (column, coef, intercept, residual_std)
        The fitted regressions in the order they were applied; ``transform`` replays them.

    Notes
    -----
    Equal to ``sklearn.impute.IterativeImputer(estimator=Ridge(alpha), max_iter=max_iter,
    tol=0)`` (tested). scikit-learn's default estimator is ``BayesianRidge``, which picks its
    penalty from the data; a fixed ridge is easier to read and to test.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=300); X = np.c_[x, 2 * x + 0.1 * rng.normal(size=300)]
    >>> X[:30, 1] = np.nan
    >>> filled = IterativeImputer(alpha=1e-3).fit_transform(X)
    >>> bool(np.abs(filled[:30, 1] - 2 * x[:30]).max() < 0.5)
    True
    """

    def __init__(
        self, *, max_iter: int = 10, alpha: float = 1.0, sample_posterior=False, random_state=None
    ):
        self.max_iter = max_iter
        self.alpha = alpha
        self.sample_posterior = sample_posterior
        self.random_state = random_state

    def _apply(self, X: np.ndarray, missing: np.ndarray, rng, *, fit: bool) -> np.ndarray:
        Xt = np.where(missing, self.initial_means_, X)
        steps = self.imputation_sequence_ if not fit else []
        order = np.argsort(missing.mean(axis=0) if fit else self._fit_missing_share, kind="stable")
        if fit:
            for _ in range(self.n_iter_):
                for j in order:
                    others = np.delete(np.arange(X.shape[1]), j)
                    obs = ~missing[:, j]
                    coef, b = _ridge(Xt[obs][:, others], Xt[obs, j], self._alpha)
                    resid = Xt[obs, j] - (Xt[obs][:, others] @ coef + b)
                    std = float(np.sqrt(np.mean(resid**2)))
                    steps.append((int(j), coef, float(b), std))
                    self._fill(Xt, missing, int(j), others, coef, b, std, rng)
            self.imputation_sequence_ = steps
        else:
            for j, coef, b, std in steps:
                others = np.delete(np.arange(X.shape[1]), j)
                self._fill(Xt, missing, j, others, coef, b, std, rng)
        return Xt

    def _fill(self, Xt, missing, j, others, coef, b, std, rng) -> None:
        rows = missing[:, j]
        if not rows.any():
            return
        pred = Xt[rows][:, others] @ coef + b
        if self.sample_posterior:
            pred = pred + rng.normal(0.0, std, pred.size)
        Xt[rows, j] = pred

    def fit_transform(self, X, y=None):
        """Fit the regressions and return the imputed ``X``."""
        X = check_array_2d(X, "X", allow_nan=True)
        self.n_iter_ = check_positive_int(self.max_iter, "max_iter")
        self._alpha = check_real(self.alpha, "alpha", low=0.0, low_inclusive=False)
        check_bool(self.sample_posterior, "sample_posterior")
        rng = check_random_state(self.random_state)
        missing = _check_fit_columns(X)
        if X.shape[1] < 2:
            raise ValueError("X needs at least 2 columns: each is regressed on the others")
        if np.nanmax(np.abs(X)) > 1e150:
            raise ValueError("X holds values beyond 1e150: products overflow; rescale X")
        self.initial_means_ = np.nanmean(X, axis=0)
        self._fit_missing_share = missing.mean(axis=0)
        self.n_features_in_ = X.shape[1]
        self._rng = rng
        return self._apply(X, missing, rng, fit=True)

    def fit(self, X, y=None):
        """Fit the regressions (see :meth:`fit_transform`)."""
        self.fit_transform(X)
        return self

    def transform(self, X):
        """Impute ``X`` by replaying the fitted regressions from the fitted column means."""
        check_is_fitted(self, "imputation_sequence_")
        X = check_n_features(check_array_2d(X, "X", allow_nan=True), self)
        if np.nanmax(np.abs(X), initial=0.0) > 1e150:
            raise ValueError("X holds values beyond 1e150: products overflow; rescale X")
        return self._apply(X, np.isnan(X), self._rng, fit=False)


def multiple_imputation(X, *, n_imputations: int = 5, max_iter: int = 10, random_state=None):
    r"""``n_imputations`` completed copies of ``X`` from :class:`IterativeImputer` with
    ``sample_posterior=True`` and different seeds (Rubin's multiple imputation).

    Fit the downstream model on each copy and average its predictions (or pool its estimates):
    the spread between copies is the uncertainty that a single imputation hides.

    Examples
    --------
    >>> X = [[1.0, 2.0], [2.0, np.nan], [3.0, 6.1], [4.0, 8.0]]
    >>> copies = multiple_imputation(X, n_imputations=3, random_state=0)
    >>> len(copies), bool(copies[0][1, 1] != copies[1][1, 1])
    (3, True)
    """
    m = check_positive_int(n_imputations, "n_imputations")
    rng = check_random_state(random_state)
    seeds = rng.integers(0, 2**31 - 1, m)
    return [
        IterativeImputer(
            max_iter=max_iter, sample_posterior=True, random_state=int(s)
        ).fit_transform(X)
        for s in seeds
    ]
