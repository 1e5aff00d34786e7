r"""Gradient-boosted trees (XGBoost-style, second order) with exact or histogram splits.

Each round fits a tree to the gradient and Hessian of the loss at the current margin, with
L2-regularised Newton leaf values. ``tree_method="exact"`` grows the exact greedy trees of
:mod:`mlref.models.trees` with the Newton criterion; ``tree_method="hist"`` grows the histogram
trees of :mod:`mlref.models.histogram_tree`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from mlref._validation import (
    check_option,
    check_positive_int,
    check_random_state,
    check_real,
    check_sample_weight,
)
from mlref.models.histogram_tree import grow_histogram_tree, make_bins, predict_forest
from mlref.models.trees import (
    _check_fit_data,
    _check_predict_data,
    _encode_classes,
    _gain_importances,
    _grow_tree,
    _newton_criterion,
    _weighted_mean,
)

__all__ = ["GradientBoostingClassifier", "GradientBoostingRegressor"]

# --------------------------------------------------------------------------------------------
# Gradient-boosted trees (XGBoost-style, second order)
# --------------------------------------------------------------------------------------------


def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


class _BaseGradientBoosting(BaseEstimator):
    def __init__(
        self,
        n_estimators=100,
        *,
        max_depth=6,
        learning_rate=0.3,
        reg_lambda=1.0,
        gamma=0.0,
        min_child_weight=1.0,
        subsample=1.0,
        colsample_bytree=1.0,
        tree_method="exact",
        max_bin=256,
        base_score=None,
        random_state=None,
    ):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.reg_lambda = reg_lambda
        self.gamma = gamma
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.tree_method = tree_method
        self.max_bin = max_bin
        self.base_score = base_score
        self.random_state = random_state

    def _boost(self, X, y, gradient_and_hessian, base_margin, weight):
        n_estimators = check_positive_int(self.n_estimators, "n_estimators")
        max_depth = check_positive_int(self.max_depth, "max_depth")
        learning_rate = check_real(self.learning_rate, "learning_rate", low=0, low_inclusive=False)
        reg_lambda = check_real(self.reg_lambda, "reg_lambda", low=0)
        gamma = check_real(self.gamma, "gamma", low=0)
        min_child_weight = check_real(self.min_child_weight, "min_child_weight", low=0)
        subsample = _check_fraction(self.subsample, "subsample")
        colsample_bytree = _check_fraction(self.colsample_bytree, "colsample_bytree")
        tree_method = check_option(self.tree_method, "tree_method", ("exact", "hist"))
        max_bin = check_positive_int(self.max_bin, "max_bin")
        if not 2 <= max_bin <= 65536:
            raise ValueError(f"max_bin must be between 2 and 65536, got {max_bin}")
        rng = check_random_state(self.random_state)
        n, d = X.shape
        if tree_method == "exact":
            criterion = _newton_criterion(reg_lambda, gamma, min_child_weight)
            sorted_rows = np.argsort(X, axis=0, kind="stable")
        else:
            if reg_lambda == 0 and min_child_weight == 0:
                raise ValueError(
                    "reg_lambda and min_child_weight are both 0, so a leaf with zero Hessian "
                    "would get an infinite value; make one of them positive"
                )
            bins, self.bin_edges_ = make_bins(X, max_bin)
        all_rows = np.arange(n) if weight is None else np.flatnonzero(weight > 0)
        n_sampled_rows = max(1, int(subsample * all_rows.size))
        n_sampled_features = max(1, int(colsample_bytree * d))
        margin = np.full(n, base_margin)
        self.estimators_ = []
        for _ in range(n_estimators):
            gradient, hessian = gradient_and_hessian(y, margin)
            if weight is not None:
                gradient, hessian = gradient * weight, hessian * weight
            rows = all_rows
            if subsample < 1.0:
                rows = np.sort(rng.permutation(all_rows)[:n_sampled_rows])
            feature_mask = None
            if colsample_bytree < 1.0:
                feature_mask = np.zeros(d, dtype=bool)
                feature_mask[rng.permutation(d)[:n_sampled_features]] = True
            if tree_method == "hist":
                tree, tree_output = grow_histogram_tree(
                    bins,
                    gradient,
                    hessian,
                    rows,
                    max_depth=max_depth,
                    reg_lambda=reg_lambda,
                    min_child_weight=min_child_weight,
                    learning_rate=learning_rate,
                    gamma=gamma,
                    feature_mask=feature_mask,
                )
                margin += tree_output
                self.estimators_.append(tree)
                continue
            tree = _grow_tree(
                X,
                sorted_rows,
                rows,
                np.column_stack([gradient, hessian]),
                hessian,
                criterion,
                max_depth=max_depth,
                min_size=min_child_weight,
                min_split_size=0.0,
                max_features=d,
                rng=rng,
                feature_mask=feature_mask,
            )
            tree = dataclasses.replace(tree, value=learning_rate * tree.value)
            margin += tree.predict(X)[:, 0]
            self.estimators_.append(tree)
        self.base_margin_ = float(base_margin)
        self.n_features_in_ = d
        return self

    def decision_function(self, X):
        """Raw margin: ``base_margin_`` plus the sum of all tree outputs."""
        X = _check_predict_data(self, X)
        if self.tree_method == "hist":
            return self.base_margin_ + predict_forest(self.estimators_, X)
        margin = np.full(X.shape[0], self.base_margin_)
        for tree in self.estimators_:
            margin += tree.predict(X)[:, 0]
        return margin

    @property
    def feature_importances_(self) -> np.ndarray:
        """Total split gain per feature over all trees, normalised to sum 1."""
        check_is_fitted(self)
        return _gain_importances(self.estimators_, self.n_features_in_, per_tree=False)


def _check_fraction(value, name: str) -> float:
    return check_real(
        value, name, low=0.0, high=1.0, low_inclusive=False, hint="; pass a fraction in (0, 1]"
    )


_GBDT_DOC = r"""
    Each round fits a tree to the gradient :math:`g_i` and Hessian :math:`h_i` of the loss at the
    current margin. A leaf with sums :math:`G, H` gets the Newton weight (times
    ``learning_rate``), and a split is kept when its gain is positive:

    .. math::

        w^\ast = -\frac{G}{H + \lambda}, \qquad
        \text{gain} = \frac12\left[\frac{G_L^2}{H_L+\lambda} + \frac{G_R^2}{H_R+\lambda}
                      - \frac{G^2}{H+\lambda}\right] - \gamma .

    With ``tree_method="exact"`` splits are exact greedy (every midpoint between distinct sorted
    values), like XGBoost's ``tree_method="exact"``; with ``"hist"`` each feature is cut once into
    at most ``max_bin`` quantile bins and splits are found on (gradient, Hessian) histograms, like
    XGBoost's default ``"hist"`` (see :mod:`mlref.models.histogram_tree`): a few times faster,
    and identical to exact when no feature has more than ``max_bin`` distinct values (up to the
    threshold placed between two values). Trees grow depth-wise to ``max_depth``.

    Parameters
    ----------
    n_estimators : int, default=100
        Boosting rounds (trees).
    max_depth : int, default=6
    learning_rate : float, default=0.3
        Shrinkage ``eta`` applied to every leaf weight.
    reg_lambda : float, default=1.0
        L2 penalty :math:`\lambda` on leaf weights.
    gamma : float, default=0.0
        Minimum gain :math:`\gamma` a split must exceed.
    min_child_weight : float, default=1.0
        Smallest Hessian sum :math:`H` (weighted) allowed in a child.
    subsample : float in (0, 1], default=1.0
        Fraction of the rows each tree is grown on, drawn without replacement per tree; the
        tree then updates the margin of every row.
    colsample_bytree : float in (0, 1], default=1.0
        Fraction of the features each tree may split on, drawn without replacement per tree
        (``max(1, int(colsample_bytree * n_features))`` of them, as XGBoost).
    tree_method : {"exact", "hist"}, default="exact"
        Split finding, see above.
    max_bin : int, default=256
        Histogram bins per feature for ``tree_method="hist"``.
    base_score : float or None, default=None
        Initial prediction{base_score_doc}
    random_state : int, numpy.random.Generator or None
        Seeds the row and feature draws; unused when ``subsample`` and ``colsample_bytree`` are
        1 (the exact greedy trees are then deterministic).

    Attributes
    ----------
    estimators_ : list of FlatTree, or of RegressionTree with ``tree_method="hist"``
        Trees whose ``value`` already includes ``learning_rate``.
    base_margin_ : float
        Starting margin (raw score) of every sample.
    feature_importances_ : numpy.ndarray of shape (n_features,)
        Gain of all splits on each feature, summed over the trees and normalised to sum 1:
        XGBoost's ``importance_type="total_gain"``. (XGBoost's default for ``feature_importances_``
        is ``"gain"``, the *mean* gain per split, which favours rarely used features.)
    n_features_in_ : int

    Notes
    -----
    XGBoost's code compares the bracket *without* the ½ against ``gamma`` (so its ``gamma``
    equals twice the γ above); with the default ``gamma=0`` both rules grow the same trees.
    A split must also improve the bracket by more than 1e-6, XGBoost's ``kRtEps``.

    ``sample_weight`` multiplies each row's :math:`g_i` and :math:`h_i`, as in XGBoost, so
    ``min_child_weight`` bounds the weighted Hessian and integer weights equal duplicated rows.
    Rows of weight 0 take no part in the trees (XGBoost still lets their feature values place
    candidate thresholds, which can only move a threshold between the same two weighted rows).

    ``subsample`` draws exactly ``max(1, int(subsample * n))`` rows per tree, as scikit-learn's
    gradient boosting; XGBoost keeps each row with probability ``subsample`` (a random count
    with the same mean). With both fractions at 1, no random number is drawn and the trees are
    those of the exact greedy algorithm. The source's "boosting reduces bias and variance" is
    loose: boosting mainly lowers bias (each tree fits what the previous ones missed);
    shrinkage and row/feature subsampling are what keep its variance in check.
"""


class GradientBoostingClassifier(ClassifierMixin, _BaseGradientBoosting):
    __doc__ = (
        r"""Gradient-boosted trees for binary log-loss with second-order (Newton) leaf values.

    For labels :math:`y \in \{0, 1\}` and margin :math:`F`, :math:`p = \sigma(F)`,
    :math:`g = p - y` and :math:`h = p(1 - p)`.
"""
        + _GBDT_DOC.replace(
            "{base_score_doc}",
            " as a probability (margin ``logit(base_score)``); ``None`` uses the "
            "(weighted) positive rate, XGBoost's default intercept.",
        )
        + r"""
    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]] * 5)
    >>> model = GradientBoostingClassifier(n_estimators=10, min_child_weight=0, base_score=0.5)
    >>> model.fit(X, [0, 0, 1, 1] * 5).predict([[0.0], [3.0]]).tolist()
    [0, 1]
    """
    )

    def fit(self, X, y, sample_weight=None):
        """Boost ``n_estimators`` trees on features ``X`` and two-class labels ``y``.

        ``sample_weight`` (n_samples,), optional, multiplies each row's gradient and Hessian.
        """
        X, y = _check_fit_data(X, y, labels=True)
        weight = check_sample_weight(sample_weight, X.shape[0])
        self.classes_, y_index = _encode_classes(y, binary=True)
        y01 = y_index.astype(np.float64)
        if self.base_score is None:
            base = _weighted_mean(y01, weight)
            if not 0.0 < base < 1.0:
                raise ValueError(
                    "the rows of positive sample_weight hold one class, so the default "
                    "base_score (their positive rate) is 0 or 1; give both classes weight"
                )
        else:
            base = check_real(
                self.base_score,
                "base_score",
                low=0.0,
                high=1.0,
                low_inclusive=False,
                hint="; pass a probability strictly between 0 and 1",
            )
            if base >= 1.0:
                raise ValueError(f"base_score must be a probability below 1, got {base!r}")

        def gradient_and_hessian(y, margin):
            p = _sigmoid(margin)
            return p - y, np.maximum(p * (1.0 - p), 1e-16)

        margin = np.log(base) - np.log1p(-base)
        return self._boost(X, y01, gradient_and_hessian, margin, weight)

    def predict_proba(self, X):
        """Probabilities of ``classes_[0]`` and ``classes_[1]``: ``1 - σ(F)`` and ``σ(F)``."""
        p = _sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        """``classes_[1]`` where the margin is positive, else ``classes_[0]``."""
        positive = self.decision_function(X) > 0  # checks the model is fitted first
        return self.classes_[positive.astype(np.intp)]


class GradientBoostingRegressor(RegressorMixin, _BaseGradientBoosting):
    __doc__ = (
        r"""Gradient-boosted trees for squared error with second-order (Newton) leaf values.

    For the loss :math:`\tfrac12 (F - y)^2`, :math:`g = F - y` and :math:`h = 1`, so a leaf weight
    is the shrunk mean residual :math:`\sum r / (n + \lambda)`.
"""
        + _GBDT_DOC.replace("{base_score_doc}", "; ``None`` uses the (weighted) mean target.")
        + r"""
    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = GradientBoostingRegressor(n_estimators=1, learning_rate=1.0, reg_lambda=0.0)
    >>> np.round(model.fit(X, [1.0, 1.0, 5.0, 7.0]).predict(X), 3)
    array([1., 1., 5., 7.])
    """
    )

    def fit(self, X, y, sample_weight=None):
        """Boost ``n_estimators`` trees on features ``X`` and real targets ``y``.

        ``sample_weight`` (n_samples,), optional, multiplies each row's gradient and Hessian.
        """
        X, y = _check_fit_data(X, y)
        weight = check_sample_weight(sample_weight, X.shape[0])
        y = y.astype(np.float64)
        if self.base_score is None:
            base = _weighted_mean(y, weight)
        else:
            base = check_real(self.base_score, "base_score")

        def gradient_and_hessian(y, margin):
            return margin - y, np.ones_like(y)

        return self._boost(X, y, gradient_and_hessian, base, weight)

    def predict(self, X):
        """Predicted target: the boosted margin."""
        return self.decision_function(X)
