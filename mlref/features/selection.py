r"""Feature selection: correlation filter, tree importance and ablation.

Four views of "which features matter", each with its blind spot (section 5 of the course); the
fourth fits a model, so it lives with the models:

* :func:`correlation_filter` removes near-duplicates before anything is fitted, but knows
  nothing about the label;
* :func:`importance_ranking` reads the gain of a fitted tree ensemble: cheap, but split between
  correlated features and biased toward features with many split points;
* :func:`ablation` retrains without each feature (or group) and measures the validation metric
  drop: the ground truth for "would we miss it", at one retraining per feature;
* :func:`mlref.models.l1_path` follows which features an L1-penalised logistic regression
  admits as the penalty weakens: the first to enter carry the most linear signal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from mlref._validation import (
    as_array,
    check_array_1d,
    check_array_2d,
    check_bool,
    check_option,
    check_real,
    check_same_length,
)

__all__ = [
    "AblationResult",
    "CorrelationFilterResult",
    "ablation",
    "correlation_filter",
    "importance_ranking",
]


def _names_and_array(X, name: str = "X"):
    """Feature names (DataFrame columns, else x0, x1, ...) and the finite float array."""
    arr = check_array_2d(X, name)
    if isinstance(X, pd.DataFrame):
        return [str(c) for c in X.columns], arr
    return [f"x{j}" for j in range(arr.shape[1])], arr


# --------------------------------------------------------------------------------------------
# Correlation filter
# --------------------------------------------------------------------------------------------


class CorrelationFilterResult(NamedTuple):
    """Outcome of :func:`correlation_filter`."""

    kept: list
    """Features kept, in input order."""
    dropped: dict
    """Each dropped feature mapped to the earlier kept feature it is too correlated with."""
    correlation: pd.DataFrame
    """The correlation matrix used (0 for pairs involving a constant feature)."""


def correlation_filter(X, threshold: float = 0.95, *, method: str = "pearson"):
    r"""Drop one feature of every pair whose absolute correlation exceeds ``threshold``.

    Features are visited in column order; a feature is dropped if
    :math:`|\rho_{jk}| > \texttt{threshold}` with any *earlier kept* feature :math:`k`, and kept
    otherwise. So of two near-duplicates the first column stays: order the columns by
    preference (cheapest to compute, most interpretable) to control which one survives.

    Parameters
    ----------
    X : pandas.DataFrame or array-like of shape (n_samples, n_features)
        Numeric features (no NaN); at least two rows.
    threshold : float, default=0.95
        In [0, 1]; pairs with :math:`|\rho|` strictly above it are redundant.
    method : {"pearson", "spearman"}, default="pearson"
        Pearson (linear) or Spearman (rank, any monotone relation) correlation.

    Returns
    -------
    CorrelationFilterResult
        ``kept`` (names for a DataFrame, column indices for an array), ``dropped`` and the
        ``correlation`` matrix.

    Notes
    -----
    A constant feature has no defined correlation; it is given :math:`\rho = 0` with every
    other feature, so this filter never drops it (drop constant features separately). The
    greedy rule is deterministic but not minimal: with :math:`\rho_{ab}` and :math:`\rho_{bc}`
    above the threshold and :math:`\rho_{ac}` below it, ``b`` goes and ``a`` and ``c`` stay.

    Examples
    --------
    >>> X = pd.DataFrame({"price": [1.0, 2, 3, 4], "price_eur": [0.9, 1.8, 2.7, 3.6],
    ...                   "rating": [5.0, 3, 4, 1]})
    >>> result = correlation_filter(X, 0.9)
    >>> result.kept, result.dropped
    (['price', 'rating'], {'price_eur': 'price'})
    """
    threshold = check_real(threshold, "threshold", low=0, high=1)
    method = check_option(method, "method", ("pearson", "spearman"))
    names, arr = _names_and_array(X)
    if arr.shape[0] < 2:
        raise ValueError(f"X needs at least two rows to compute correlations, got {arr.shape[0]}")
    labels = names if isinstance(X, pd.DataFrame) else list(range(arr.shape[1]))
    if method == "spearman":
        arr = rankdata(arr, axis=0)
    centred = arr - arr.mean(axis=0)
    norms = np.sqrt((centred**2).sum(axis=0))
    constant = norms <= 1e-12 * np.maximum(1.0, np.abs(arr).max(axis=0)) * arr.shape[0]
    unit = np.where(constant, 0.0, centred / np.where(constant, 1.0, norms))
    corr = np.clip(unit.T @ unit, -1.0, 1.0)
    np.fill_diagonal(corr, 1.0)
    kept, dropped = [], {}
    for j in range(arr.shape[1]):
        partners = [k for k in kept if abs(corr[j, k]) > threshold]
        if partners:
            dropped[labels[j]] = labels[partners[0]]
        else:
            kept.append(j)
    correlation = pd.DataFrame(corr, index=labels, columns=labels)
    return CorrelationFilterResult([labels[k] for k in kept], dropped, correlation)


# --------------------------------------------------------------------------------------------
# Importance
# --------------------------------------------------------------------------------------------

_XGB_IMPORTANCE = ("gain", "total_gain", "weight", "cover", "total_cover")


def importance_ranking(model, feature_names=None, *, importance_type: str = "total_gain"):
    r"""Rank the features of a fitted tree model by split gain, as shares summing to 1.

    Parameters
    ----------
    model : fitted estimator
        An XGBoost model (``XGBClassifier``, ``XGBRegressor``, ``XGBRanker`` or a ``Booster``),
        or any model with ``feature_importances_`` (scikit-learn trees and ensembles,
        :class:`mlref.ltr.LambdaMART`).
    feature_names : list of str or None, default=None
        Names for the model's features in order; ``None`` uses the names the model was fitted
        with (DataFrame columns) or ``x0, x1, ...``.
    importance_type : str, default="total_gain"
        For XGBoost, the statistic of ``Booster.get_score``: ``"total_gain"`` (sum of the loss
        reductions of a feature's splits), ``"gain"`` (their average), ``"weight"`` (number of
        splits), ``"cover"``, ``"total_cover"``. Other models only offer their
        ``feature_importances_``, the total impurity decrease, i.e. ``"total_gain"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``feature`` and ``importance`` (share of the total, a feature never split on
        having 0), sorted by decreasing importance (ties in feature order), index ``0..n-1``.

    Notes
    -----
    Total gain is the default because it is what ``feature_importances_`` of scikit-learn's
    trees measures and it rewards features used often *and* well; XGBoost's average ``"gain"``
    can put first a feature split on once, near the root, with a large gain. Either is split
    between correlated features (each gets part of the credit) and measured on the training
    data; :func:`ablation` on validation data answers "what do we lose without it".

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    >>> tree = DecisionTreeRegressor(max_depth=1).fit(X, [0.0, 0.0, 1.0, 1.0])
    >>> importance_ranking(tree, ["price", "rating"])["feature"].tolist()
    ['price', 'rating']
    """
    booster = model.get_booster() if hasattr(model, "get_booster") else model
    if hasattr(booster, "get_score") and hasattr(booster, "num_features"):
        check_option(importance_type, "importance_type", _XGB_IMPORTANCE)
        n_features = booster.num_features()
        fitted_names = booster.feature_names or [f"f{j}" for j in range(n_features)]
        scores = booster.get_score(importance_type=importance_type)
        raw = np.array([scores.get(name, 0.0) for name in fitted_names], dtype=np.float64)
        default_names = booster.feature_names or [f"x{j}" for j in range(n_features)]
    elif hasattr(model, "feature_importances_"):
        if importance_type != "total_gain":
            raise ValueError(
                f"importance_type={importance_type!r} needs an XGBoost model; "
                f"{type(model).__name__} only has feature_importances_ (total gain)"
            )
        raw = check_array_1d(model.feature_importances_, "model.feature_importances_")
        names_in = getattr(model, "feature_names_in_", None)
        default_names = (
            [str(n) for n in names_in]
            if names_in is not None
            else [f"x{j}" for j in range(raw.size)]
        )
    else:
        raise ValueError(
            f"model must be a fitted XGBoost model or have feature_importances_; got "
            f"{type(model).__name__} (fit it first, or use ablation for any model)"
        )
    if feature_names is None:
        names = list(default_names)
    else:
        given = as_array(feature_names, "feature_names", object)
        if isinstance(feature_names, str) or given.ndim != 1:
            raise ValueError(
                f"feature_names must be a 1-D list of names, one per feature, got {feature_names!r}"
            )
        names = [str(f) for f in given]
    if len(names) != raw.size:
        raise ValueError(
            f"feature_names has {len(names)} names but the model has {raw.size} features"
        )
    total = raw.sum()
    share = raw / total if total > 0 else raw
    order = np.argsort(-share, kind="stable")
    return pd.DataFrame({"feature": np.asarray(names)[order], "importance": share[order]})


# --------------------------------------------------------------------------------------------
# Ablation
# --------------------------------------------------------------------------------------------


class AblationResult(NamedTuple):
    """Outcome of :func:`ablation`."""

    baseline: float
    """Validation score with every feature."""
    table: pd.DataFrame
    """One row per removed feature or group: ``removed``, ``score``, ``drop``."""


def _drop_columns(X, columns):
    if isinstance(X, pd.DataFrame):
        return X.drop(columns=list(columns))
    return np.delete(np.asarray(X), list(columns), axis=1)


def ablation(
    fit_score: Callable,
    X_train,
    y_train,
    X_valid,
    y_valid,
    *,
    features=None,
    groups=None,
    greater_is_better: bool = True,
) -> AblationResult:
    r"""Retrain without each feature (or group) and report how much the validation score drops.

    .. math::

        \Delta_f = s(\text{all features}) - s(\text{all features} \setminus f)

    (the sign flipped when ``greater_is_better=False``), so :math:`\Delta_f > 0` means the model
    is worse without :math:`f`.

    Parameters
    ----------
    fit_score : callable
        ``fit_score(X_train, y_train, X_valid, y_valid) -> float``: fits any model on the
        training part and returns its validation metric. ``y_train`` and ``y_valid`` are passed
        through untouched, so they may be anything the callable needs (e.g. a DataFrame of
        label and query id for a ranker).
    X_train, X_valid : pandas.DataFrame or numpy.ndarray
        Features of both parts, with the same columns.
    y_train, y_valid : any
        Targets, passed to ``fit_score`` as they are.
    features : list or None, default=None
        Features to remove one at a time: column names for DataFrames, column indices for
        arrays. ``None`` means every column, unless ``groups`` is given.
    groups : dict or None, default=None
        Named groups of features removed together, ``{"text": ["bm25", "tfidf_cosine"]}``:
        the way to ablate correlated features, whose individual drops understate the family's
        worth (each covers for the other).
    greater_is_better : bool, default=True
        ``False`` for losses (log-loss, RMSE).

    Returns
    -------
    AblationResult
        ``baseline`` score and a ``table`` sorted by decreasing ``drop``.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> def fit_score(X_tr, y_tr, X_va, y_va):  # R² of a linear regression
    ...     return LinearRegression().fit(X_tr, y_tr).score(X_va, y_va)
    >>> X = np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    >>> y = 2 * X[:, 0]
    >>> ablation(fit_score, X, y, X, y).table.round(6).to_dict("list")
    {'removed': ['x0', 'x1'], 'score': [0.0, 1.0], 'drop': [1.0, 0.0]}
    """
    if not callable(fit_score):
        raise ValueError("fit_score must be a callable (X_train, y_train, X_valid, y_valid)")
    greater_is_better = check_bool(greater_is_better, "greater_is_better")
    is_frame = isinstance(X_train, pd.DataFrame)
    if is_frame != isinstance(X_valid, pd.DataFrame):
        raise ValueError("X_train and X_valid must both be DataFrames or both be arrays")
    for X_name, X, y_name, y in (
        ("X_train", X_train, "y_train", y_train),
        ("X_valid", X_valid, "y_valid", y_valid),
    ):
        if not is_frame:
            # NaN is left to fit_score: models with native missing-value handling accept it.
            X = as_array(X, X_name, None)
            if X.ndim != 2 or X.size == 0 or X.dtype.kind not in "biuf":
                raise ValueError(
                    f"{X_name} must be a non-empty 2-D numeric array or a DataFrame, got shape "
                    f"{X.shape} and dtype {X.dtype}"
                )
        # y goes to fit_score untouched (a 2-D multi-output target is fine): check its length.
        if isinstance(y, str) or not hasattr(y, "__len__"):
            raise ValueError(
                f"{y_name} must be array-like, one target per row of {X_name}, got "
                f"{type(y).__name__}"
            )
        check_same_length(**{X_name: X, y_name: y})
    if is_frame:
        columns = list(X_train.columns)
        if list(X_valid.columns) != columns:
            raise ValueError("X_valid must have the same columns as X_train, in the same order")
    else:
        n_train, n_valid = np.shape(X_train), np.shape(X_valid)
        if len(n_train) != 2 or len(n_valid) != 2 or n_train[1] != n_valid[1]:
            raise ValueError(
                f"X_train and X_valid must be 2-D with the same number of columns, got shapes "
                f"{n_train} and {n_valid}"
            )
        columns = list(range(n_train[1]))
    if features is None and groups is None:
        features = columns
    removals = {}
    for feature in features or []:
        removals[str(feature) if is_frame else f"x{feature}"] = [feature]
    for name, members in (groups or {}).items():
        if isinstance(members, str) or not hasattr(members, "__iter__"):
            raise ValueError(f"groups[{name!r}] must be a list of features, got {members!r}")
        removals[str(name)] = list(members)
    for name, members in removals.items():
        unknown = [m for m in members if m not in columns]
        if unknown or not members:
            raise ValueError(
                f"cannot remove {name!r}: unknown feature(s) {unknown or members}; "
                f"available: {columns}"
            )
        if len(set(members)) == len(columns):
            raise ValueError(f"removing {name!r} would leave no feature to train on")

    def score(X_tr, X_va) -> float:
        return float(fit_score(X_tr, y_train, X_va, y_valid))

    sign = 1.0 if greater_is_better else -1.0
    baseline = score(X_train, X_valid)
    rows = []
    for name, members in removals.items():
        s = score(_drop_columns(X_train, members), _drop_columns(X_valid, members))
        rows.append((name, s, sign * (baseline - s)))
    table = pd.DataFrame(rows, columns=["removed", "score", "drop"])
    table = table.sort_values("drop", ascending=False, kind="stable", ignore_index=True)
    return AblationResult(baseline, table)
