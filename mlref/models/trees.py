r"""Decision trees, random forests and gradient-boosted trees from scratch (scikit-learn API).

The source (section 4A) presents trees as the workhorse of tabular ranking and ads models:
CART trees split on the feature and threshold that most reduce impurity, a random forest averages
trees grown on bootstrap samples with random feature subsets, and gradient boosting (XGBoost)
adds trees fitted to the gradient and Hessian of the loss, with L2-regularised leaf weights.

All trees here share one grower, :func:`_grow_tree`. It grows a tree **level by level** with
*exact greedy* splits: every feature is sorted once per fit; at each level the rows of all open
nodes are grouped by node (a stable sort keeps them sorted by feature value), cumulative sums of
per-row statistics give the left/right statistics of every candidate split at once, and
thresholds sit at midpoints between consecutive distinct values, as in scikit-learn and in
XGBoost's ``tree_method="exact"``. A sample goes left when ``x <= threshold``.

Every tree is stored as flat arrays (:class:`FlatTree`, laid out like scikit-learn's ``tree_``)
and predicted level by level: one vectorised step per depth, no Python loop over rows.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from mlref._validation import (
    check_array_1d,
    check_array_2d,
    check_class_labels,
    check_option,
    check_positive_int,
    check_real,
    check_same_length,
)

__all__ = [
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "FlatTree",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "RandomForestClassifier",
]

TREE_LEAF = -1
TREE_UNDEFINED = -2
# XGBoost's kRtEps: a Newton split must improve the (un-halved) structure score by more than this.
_NEWTON_MIN_GAIN = 1e-6
_TIE_RTOL = 1e-9


# --------------------------------------------------------------------------------------------
# Flat tree storage and level-by-level prediction
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlatTree:
    """A binary tree stored as flat arrays, node 0 the root (breadth-first numbering).

    Attributes
    ----------
    feature : numpy.ndarray of int, shape (n_nodes,)
        Split feature of each internal node, ``-2`` at leaves.
    threshold : numpy.ndarray of float, shape (n_nodes,)
        Split threshold (``x <= threshold`` goes left), ``-2.0`` at leaves.
    children_left, children_right : numpy.ndarray of int, shape (n_nodes,)
        Child node ids, ``-1`` at leaves.
    value : numpy.ndarray of float, shape (n_nodes, n_outputs)
        Prediction stored at every node (class fractions, a mean, or a Newton leaf weight).
    n_node_samples : numpy.ndarray of float, shape (n_nodes,)
        Number of training rows (bootstrap copies counted) reaching each node.
    max_depth : int
        Depth of the deepest leaf (0 for a single leaf).
    """

    feature: np.ndarray
    threshold: np.ndarray
    children_left: np.ndarray
    children_right: np.ndarray
    value: np.ndarray
    n_node_samples: np.ndarray
    max_depth: int

    @property
    def node_count(self) -> int:
        """Number of nodes, leaves included."""
        return int(self.feature.size)

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Return the leaf id reached by each row of ``X``, moving all rows one level per step."""
        node = np.zeros(X.shape[0], dtype=np.intp)
        for _ in range(self.max_depth):
            internal = np.flatnonzero(self.feature[node] >= 0)
            if internal.size == 0:
                break
            at = node[internal]
            go_left = X[internal, self.feature[at]] <= self.threshold[at]
            node[internal] = np.where(go_left, self.children_left[at], self.children_right[at])
        return node

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Return the stored ``value`` of the leaf each row of ``X`` reaches."""
        return self.value[self.apply(X)]


# --------------------------------------------------------------------------------------------
# Split criteria: a node "score" such that gain = score(left) + score(right) - score(parent)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Criterion:
    score: Callable[[np.ndarray], np.ndarray]
    leaf_value: Callable[[np.ndarray], np.ndarray]
    is_pure: Callable[[np.ndarray], np.ndarray]
    gain_scale: float = 1.0
    gain_offset: float = 0.0
    min_gain: float = -np.inf


def _gini_score(counts):
    # n * (1 - gini) = sum_c n_c^2 / n, so maximising its sum over children minimises the
    # sample-weighted Gini impurity of the children.
    total = counts.sum(axis=-1)
    return np.divide((counts**2).sum(axis=-1), total, out=np.zeros_like(total), where=total > 0)


def _entropy_score(counts):
    # -n * entropy = sum_c n_c log n_c - n log n.
    total = counts.sum(axis=-1)
    xlogx = np.where(counts > 0, counts * np.log(np.where(counts > 0, counts, 1.0)), 0.0)
    return xlogx.sum(axis=-1) - np.where(
        total > 0, total * np.log(np.where(total > 0, total, 1)), 0
    )


def _class_fractions(counts):
    return counts / counts.sum(axis=-1, keepdims=True)


def _single_class(counts):
    return (counts > 0).sum(axis=-1) <= 1


def _mse_score(stats):
    # stats = (sum w, sum w y, sum w y^2); n * variance = sum w y^2 - (sum w y)^2 / sum w.
    return stats[..., 1] ** 2 / stats[..., 0]


def _mean(stats):
    return stats[:, 1:2] / stats[:, :1]


def _constant_target(stats):
    mean = stats[:, 1] / stats[:, 0]
    variance = stats[:, 2] / stats[:, 0] - mean**2
    return variance <= 1e-14 * np.maximum(1.0, mean**2)


def _newton_criterion(reg_lambda: float, gamma: float, min_child_weight: float) -> _Criterion:
    def score(stats):
        return stats[..., 0] ** 2 / (stats[..., 1] + reg_lambda)

    def leaf_value(stats):
        weight = -stats[:, 0] / (stats[:, 1] + reg_lambda)
        # XGBoost gives a node whose Hessian sum is below min_child_weight a zero weight.
        return np.where(stats[:, 1] >= min_child_weight, weight, 0.0)[:, None]

    def never_pure(stats):
        return np.zeros(stats.shape[0], dtype=bool)

    return _Criterion(
        score=score,
        leaf_value=leaf_value,
        is_pure=never_pure,
        gain_scale=0.5,
        gain_offset=gamma,
        min_gain=0.5 * _NEWTON_MIN_GAIN,
    )


_CART_CRITERIA = {
    "gini": _Criterion(_gini_score, _class_fractions, _single_class),
    "entropy": _Criterion(_entropy_score, _class_fractions, _single_class),
    "squared_error": _Criterion(_mse_score, _mean, _constant_target),
}


# --------------------------------------------------------------------------------------------
# The level-wise exact greedy grower
# --------------------------------------------------------------------------------------------


def _feature_masks(X, rows, node, n_open, max_features, rng):
    """Features each open node may split on: ``max_features`` non-constant ones drawn at random.

    Like scikit-learn, a feature that is constant within a node does not count towards
    ``max_features``, so a node only becomes a leaf for lack of features when all are constant.
    """
    by_node = np.argsort(node, kind="stable")
    starts = np.searchsorted(node[by_node], np.arange(n_open))
    Xn = X[rows[by_node]]
    varies = np.maximum.reduceat(Xn, starts, axis=0) > np.minimum.reduceat(Xn, starts, axis=0)
    if max_features >= X.shape[1]:
        return varies
    priority = np.where(varies, rng.random(varies.shape), np.inf)
    rank = np.argsort(np.argsort(priority, axis=1), axis=1)
    return varies & (rank < max_features)


def _grow_tree(
    X,
    sorted_rows,
    rows,
    stats,
    size,
    criterion: _Criterion,
    *,
    max_depth: int | None,
    min_size: float,
    min_split_size: float,
    max_features: int,
    rng: np.random.Generator,
) -> FlatTree:
    """Grow one tree on ``X[rows]`` by exact greedy splits, one depth level at a time.

    Parameters
    ----------
    X : ndarray (n, d)
        All training features; only ``rows`` take part.
    sorted_rows : ndarray (n, d)
        ``np.argsort(X, axis=0)``, computed once per fit and shared by all trees.
    rows : ndarray of int
        Distinct rows used by this tree.
    stats : ndarray (n, k)
        Additive per-row statistics the criterion scores (class counts, (w, wy, wy^2), (g, h)).
    size : ndarray (n,)
        Per-row amount whose sum must reach ``min_size`` in each child (rows or Hessian).
    """
    n, _ = X.shape
    node = np.full(n, -1, dtype=np.intp)  # open node (local index) of each row, -1 once settled
    node[rows] = 0
    open_totals = stats[rows].sum(axis=0, keepdims=True)
    open_sizes = np.array([size[rows].sum()])
    levels = []
    depth = 0
    while True:
        n_open = open_totals.shape[0]
        best_gain = np.full(n_open, -np.inf)
        best_feature = np.full(n_open, TREE_UNDEFINED, dtype=np.intp)
        best_threshold = np.full(n_open, float(TREE_UNDEFINED))
        can_split = (open_sizes >= min_split_size) & ~criterion.is_pure(open_totals)
        if max_depth is not None and depth >= max_depth:
            can_split[:] = False
        active_rows = np.flatnonzero(node >= 0)
        if can_split.any():
            allowed = _feature_masks(X, active_rows, node[active_rows], n_open, max_features, rng)
            allowed &= can_split[:, None]
            parent_score = criterion.score(open_totals)
            for j in np.flatnonzero(allowed.any(axis=0)):
                gain, threshold = _best_split_of_feature(
                    X[:, j],
                    sorted_rows[:, j],
                    node,
                    stats,
                    size,
                    open_totals,
                    open_sizes,
                    parent_score,
                    criterion,
                    min_size,
                )
                # Gains equal up to rounding (often the same partition reached through another
                # feature) keep the lower feature index, as XGBoost does.
                better = allowed[:, j] & (
                    gain > best_gain + _TIE_RTOL * np.abs(np.nan_to_num(best_gain))
                )
                best_gain[better] = gain[better]
                best_feature[better] = j
                best_threshold[better] = threshold[better]
        split = best_gain > criterion.min_gain
        n_split = int(split.sum())
        first_child = sum(level[0].size for level in levels) + n_open
        left = np.full(n_open, TREE_LEAF, dtype=np.intp)
        left[split] = first_child + 2 * np.arange(n_split)
        right = np.where(split, left + 1, TREE_LEAF)
        levels.append(
            (
                np.where(split, best_feature, TREE_UNDEFINED),
                np.where(split, best_threshold, float(TREE_UNDEFINED)),
                left,
                right,
                criterion.leaf_value(open_totals),
                open_sizes,
            )
        )
        if n_split == 0:
            break
        # Route the rows of split nodes to their children; rows of new leaves are settled.
        split_rank = np.cumsum(split) - 1
        at = node[active_rows]
        moving = split[at]
        rows_on, at = active_rows[moving], at[moving]
        go_right = X[rows_on, best_feature[at]] > best_threshold[at]
        node[active_rows] = -1
        node[rows_on] = 2 * split_rank[at] + go_right
        n_children = 2 * n_split
        open_totals = np.stack(
            [
                np.bincount(node[rows_on], weights=col, minlength=n_children)
                for col in stats[rows_on].T
            ],
            axis=1,
        )
        open_sizes = np.bincount(node[rows_on], weights=size[rows_on], minlength=n_children)
        depth += 1
    feature, threshold, left, right, value, sizes = (
        np.concatenate(part) for part in zip(*levels, strict=True)
    )
    return FlatTree(feature, threshold, left, right, value, sizes, max_depth=depth)


def _best_split_of_feature(
    x, order, node, stats, size, totals, sizes, parent_score, criterion, min_size
):
    """Best gain and threshold on one feature for every open node at once.

    The presorted ``order`` is filtered to active rows and stably regrouped by node, so each
    node's rows form one contiguous run sorted by ``x``; cumulative sums inside each run give the
    left-child statistics of every cut.
    """
    n_open = totals.shape[0]
    order = order[node[order] >= 0]
    order = order[np.argsort(node[order], kind="stable")]
    at = node[order]
    m = order.size
    starts = np.searchsorted(at, np.arange(n_open))
    ends = np.append(starts[1:], m)

    cum = np.cumsum(stats[order], axis=0)
    before = np.vstack([np.zeros((1, cum.shape[1])), cum])[starts]
    left = cum - before[at]
    right = totals[at] - left
    cum_size = np.cumsum(size[order])
    left_size = cum_size - np.append(0.0, cum_size)[starts][at]
    right_size = sizes[at] - left_size

    xs = x[order]
    next_x = np.append(xs[1:], np.inf)
    position = np.arange(m)
    valid = (position < ends[at] - 1) & (next_x > xs)
    valid &= (left_size >= min_size) & (right_size >= min_size)
    with np.errstate(divide="ignore", invalid="ignore"):  # empty right sides of invalid cuts
        gain = criterion.score(left) + criterion.score(right) - parent_score[at]
    gain = np.where(valid, criterion.gain_scale * gain - criterion.gain_offset, -np.inf)

    node_best = np.maximum.reduceat(gain, starts)
    first_best = np.minimum.reduceat(np.where(gain == node_best[at], position, m), starts)
    first_best = np.minimum(first_best, m - 2) if m > 1 else np.zeros(n_open, dtype=np.intp)
    low, high = xs[first_best], next_x[first_best]
    threshold = (low + high) / 2.0
    # The midpoint of two adjacent floats can round up to the upper value; cut at the lower one.
    threshold = np.where((threshold >= high) | ~np.isfinite(threshold), low, threshold)
    return node_best, threshold


# --------------------------------------------------------------------------------------------
# Parameter checks shared by the estimators
# --------------------------------------------------------------------------------------------


def _check_max_depth(max_depth):
    return None if max_depth is None else check_positive_int(max_depth, "max_depth")


def _resolve_max_features(max_features, n_features: int) -> int:
    if max_features is None:
        return n_features
    if isinstance(max_features, str):
        check_option(max_features, "max_features", ("sqrt", "log2"))
        root = np.sqrt(n_features) if max_features == "sqrt" else np.log2(n_features)
        return max(1, int(root))
    if isinstance(max_features, numbers.Integral) and not isinstance(max_features, bool):
        if not 1 <= max_features <= n_features:
            raise ValueError(
                f"max_features must be between 1 and n_features={n_features}, got {max_features}"
            )
        return int(max_features)
    fraction = check_real(
        max_features,
        "max_features",
        low=0.0,
        high=1.0,
        low_inclusive=False,
        hint="; pass an int, a fraction in (0, 1], 'sqrt', 'log2' or None",
    )
    return max(1, int(fraction * n_features))


def _check_fit_data(X, y, *, labels=False):
    X = check_array_2d(X, "X")
    y = check_class_labels(y, "y") if labels else check_array_1d(y, "y", dtype=None)
    check_same_length(X=X, y=y)
    return X, y


def _check_predict_data(estimator, X):
    check_is_fitted(estimator)
    X = check_array_2d(X, "X")
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features but {type(estimator).__name__} was fitted with "
            f"{estimator.n_features_in_}; pass the same columns as in fit"
        )
    return X


def _encode_classes(y, *, binary: bool = False):
    classes, y_index = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValueError(
            f"y holds only one class ({classes[0]!r}); fit on samples of at least two classes"
        )
    if binary and classes.size != 2:
        raise ValueError(
            f"y must hold exactly two classes for binary log-loss boosting, got {classes.size}; "
            "train one model per class (one-vs-rest) for more"
        )
    return classes, y_index


# --------------------------------------------------------------------------------------------
# CART decision trees
# --------------------------------------------------------------------------------------------


class _BaseDecisionTree(BaseEstimator):
    _criteria: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        criterion,
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features=None,
        random_state=None,
    ):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.random_state = random_state

    def _fit_tree(self, X, stats, *, rows=None, counts=None, sorted_rows=None, rng=None):
        criterion = _CART_CRITERIA[check_option(self.criterion, "criterion", self._criteria)]
        min_leaf = check_positive_int(self.min_samples_leaf, "min_samples_leaf")
        min_split = check_positive_int(self.min_samples_split, "min_samples_split")
        if min_split < 2:
            raise ValueError(f"min_samples_split must be an integer >= 2, got {min_split}")
        n = X.shape[0]
        rows = np.arange(n) if rows is None else rows
        size = np.ones(n) if counts is None else counts
        return _grow_tree(
            X,
            np.argsort(X, axis=0, kind="stable") if sorted_rows is None else sorted_rows,
            rows,
            stats if counts is None else stats * counts[:, None],
            size,
            criterion,
            max_depth=_check_max_depth(self.max_depth),
            min_size=min_leaf,
            min_split_size=max(min_split, 2 * min_leaf),
            max_features=_resolve_max_features(self.max_features, X.shape[1]),
            rng=np.random.default_rng(self.random_state) if rng is None else rng,
        )

    def get_depth(self) -> int:
        """Depth of the fitted tree (0 for a single leaf)."""
        check_is_fitted(self)
        return self.tree_.max_depth

    def get_n_leaves(self) -> int:
        """Number of leaves of the fitted tree."""
        check_is_fitted(self)
        return int((self.tree_.children_left == TREE_LEAF).sum())

    def apply(self, X):
        """Return the id of the leaf each row of ``X`` lands in."""
        return self.tree_.apply(_check_predict_data(self, X))


class DecisionTreeClassifier(ClassifierMixin, _BaseDecisionTree):
    r"""CART classification tree with exact greedy splits (Gini or entropy).

    Each node takes the feature and threshold that maximise the impurity decrease

    .. math::

        \Delta = n\,I(\text{node}) - n_L\,I(L) - n_R\,I(R), \qquad
        I_{\text{gini}} = 1 - \sum_c p_c^2, \quad I_{\text{entropy}} = -\sum_c p_c \log p_c,

    over thresholds at midpoints between consecutive distinct feature values.

    Parameters
    ----------
    criterion : {"gini", "entropy"}, default="gini"
    max_depth : int or None, default=None
        Deepest level grown; ``None`` grows until leaves are pure or too small.
    min_samples_split : int, default=2
        Fewest rows a node needs to be split.
    min_samples_leaf : int, default=1
        Fewest rows each child must keep.
    max_features : int, float, {"sqrt", "log2"} or None, default=None
        Features drawn at random (per node) as split candidates; ``None`` uses all.
    random_state : int, numpy.random.Generator or None
        Seeds the per-node feature draws.

    Attributes
    ----------
    classes_ : numpy.ndarray
        Sorted class labels.
    tree_ : FlatTree
        The fitted tree; ``tree_.value`` holds class fractions per node.
    n_features_in_ : int

    Notes
    -----
    Without feature subsampling the splits match scikit-learn's whenever the best split of a
    node is unique (scikit-learn breaks ties between features in a random order, this tree in
    column order). Like scikit-learn, an impure node is split even when the best split does not
    lower the impurity (XOR-like data needs such splits to go on).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> tree = DecisionTreeClassifier().fit(X, [0, 0, 1, 1])
    >>> float(tree.tree_.threshold[0]), tree.predict([[0.4], [2.9]]).tolist()
    (1.5, [0, 1])
    """

    _criteria = ("gini", "entropy")

    def __init__(
        self,
        *,
        criterion="gini",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features=None,
        random_state=None,
    ):
        super().__init__(
            criterion=criterion,
            max_depth=max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            max_features=max_features,
            random_state=random_state,
        )

    def fit(self, X, y):
        """Grow the tree on features ``X`` (n_samples, n_features) and class labels ``y``.

        Raises
        ------
        ValueError
            For bad ``X``/``y`` (shape, NaN/inf, length mismatch, a single class) or an invalid
            hyperparameter.
        """
        X, y = _check_fit_data(X, y, labels=True)
        self.classes_, y_index = _encode_classes(y)
        one_hot = np.eye(self.classes_.size)[y_index]
        self.tree_ = self._fit_tree(X, one_hot)
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X):
        """Class probabilities: the class fractions of the leaf each row reaches."""
        return self.tree_.predict(_check_predict_data(self, X))

    def predict(self, X):
        """Most frequent class of the leaf each row reaches (first class on ties)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class DecisionTreeRegressor(RegressorMixin, _BaseDecisionTree):
    r"""CART regression tree with exact greedy splits on squared error.

    Each node takes the split maximising the decrease of the summed squared error,

    .. math::

        \Delta = \sum_{i \in \text{node}} (y_i - \bar y)^2 - \sum_{i \in L} (y_i - \bar y_L)^2
                 - \sum_{i \in R} (y_i - \bar y_R)^2
               = \frac{S_L^2}{n_L} + \frac{S_R^2}{n_R} - \frac{S^2}{n},

    with :math:`S` the sum of targets; a leaf predicts the mean of its targets.

    Parameters
    ----------
    criterion : {"squared_error"}, default="squared_error"
    max_depth, min_samples_split, min_samples_leaf, max_features, random_state
        As in :class:`DecisionTreeClassifier`.

    Attributes
    ----------
    tree_ : FlatTree
        The fitted tree; ``tree_.value[:, 0]`` holds the mean target per node.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> DecisionTreeRegressor(max_depth=1).fit(X, [1.0, 1.0, 5.0, 7.0]).predict([[0.0], [3.0]])
    array([1., 6.])
    """

    _criteria = ("squared_error",)

    def __init__(
        self,
        *,
        criterion="squared_error",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features=None,
        random_state=None,
    ):
        super().__init__(
            criterion=criterion,
            max_depth=max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            max_features=max_features,
            random_state=random_state,
        )

    def fit(self, X, y):
        """Grow the tree on features ``X`` (n_samples, n_features) and real targets ``y``."""
        X, y = _check_fit_data(X, y)
        y = y.astype(np.float64)
        stats = np.column_stack([np.ones_like(y), y, y**2])
        self.tree_ = self._fit_tree(X, stats)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        """Mean training target of the leaf each row reaches."""
        return self.tree_.predict(_check_predict_data(self, X))[:, 0]


# --------------------------------------------------------------------------------------------
# Random forest
# --------------------------------------------------------------------------------------------


class RandomForestClassifier(ClassifierMixin, BaseEstimator):
    r"""Random forest: CART trees on bootstrap samples with random feature subsets per node.

    .. math::

        \hat p(c \mid x) = \frac{1}{T} \sum_{t=1}^{T} \hat p_t(c \mid x)

    averages the leaf class fractions of the :math:`T` trees, as scikit-learn does.

    Parameters
    ----------
    n_estimators : int, default=100
    criterion : {"gini", "entropy"}, default="gini"
    max_depth : int or None, default=None
    min_samples_split : int, default=2
    min_samples_leaf : int, default=1
    max_features : int, float, {"sqrt", "log2"} or None, default="sqrt"
    bootstrap : bool, default=True
        Draw ``n_samples`` rows with replacement per tree (else every tree sees all rows).
    random_state : int, numpy.random.Generator or None

    Attributes
    ----------
    classes_ : numpy.ndarray
    estimators_ : list of FlatTree
    n_features_in_ : int

    Notes
    -----
    A bootstrap copy counts as a row for ``min_samples_leaf`` and in the class counts; rows not
    drawn take no part in the tree (so they cannot move its thresholds).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]] * 5)
    >>> forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, [0, 0, 1, 1] * 5)
    >>> forest.predict([[0.0], [3.0]]).tolist()
    [0, 1]
    """

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion="gini",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features="sqrt",
        bootstrap=True,
        random_state=None,
    ):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.random_state = random_state

    def fit(self, X, y):
        """Grow ``n_estimators`` trees on bootstrap samples of ``X`` and labels ``y``."""
        n_estimators = check_positive_int(self.n_estimators, "n_estimators")
        if not isinstance(self.bootstrap, bool | np.bool_):
            raise ValueError(f"bootstrap must be True or False, got {self.bootstrap!r}")
        X, y = _check_fit_data(X, y, labels=True)
        self.classes_, y_index = _encode_classes(y)
        one_hot = np.eye(self.classes_.size)[y_index]
        template = DecisionTreeClassifier(
            criterion=self.criterion,
            max_depth=self.max_depth,
            min_samples_split=self.min_samples_split,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
        )
        rng = np.random.default_rng(self.random_state)
        sorted_rows = np.argsort(X, axis=0, kind="stable")
        n = X.shape[0]
        self.estimators_ = []
        for _ in range(n_estimators):
            counts = (
                np.bincount(rng.integers(0, n, size=n), minlength=n).astype(np.float64)
                if self.bootstrap
                else np.ones(n)
            )
            tree = template._fit_tree(
                X,
                one_hot,
                rows=np.flatnonzero(counts),
                counts=counts,
                sorted_rows=sorted_rows,
                rng=rng,
            )
            self.estimators_.append(tree)
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X):
        """Mean over trees of the leaf class fractions."""
        X = _check_predict_data(self, X)
        return sum(tree.predict(X) for tree in self.estimators_) / len(self.estimators_)

    def predict(self, X):
        """Class with the highest mean probability."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


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
        base_score=None,
        random_state=None,
    ):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.reg_lambda = reg_lambda
        self.gamma = gamma
        self.min_child_weight = min_child_weight
        self.base_score = base_score
        self.random_state = random_state

    def _boost(self, X, y, gradient_and_hessian, base_margin):
        n_estimators = check_positive_int(self.n_estimators, "n_estimators")
        max_depth = check_positive_int(self.max_depth, "max_depth")
        learning_rate = check_real(self.learning_rate, "learning_rate", low=0, low_inclusive=False)
        reg_lambda = check_real(self.reg_lambda, "reg_lambda", low=0)
        gamma = check_real(self.gamma, "gamma", low=0)
        min_child_weight = check_real(self.min_child_weight, "min_child_weight", low=0)
        criterion = _newton_criterion(reg_lambda, gamma, min_child_weight)
        rng = np.random.default_rng(self.random_state)
        sorted_rows = np.argsort(X, axis=0, kind="stable")
        rows = np.arange(X.shape[0])
        margin = np.full(X.shape[0], base_margin)
        self.estimators_ = []
        for _ in range(n_estimators):
            gradient, hessian = gradient_and_hessian(y, margin)
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
                max_features=X.shape[1],
                rng=rng,
            )
            tree = FlatTree(
                tree.feature,
                tree.threshold,
                tree.children_left,
                tree.children_right,
                learning_rate * tree.value,
                tree.n_node_samples,
                tree.max_depth,
            )
            margin += tree.predict(X)[:, 0]
            self.estimators_.append(tree)
        self.base_margin_ = float(base_margin)
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X):
        """Raw margin: ``base_margin_`` plus the sum of all tree outputs."""
        X = _check_predict_data(self, X)
        margin = np.full(X.shape[0], self.base_margin_)
        for tree in self.estimators_:
            margin += tree.predict(X)[:, 0]
        return margin


_GBDT_DOC = r"""
    Each round fits a tree to the gradient :math:`g_i` and Hessian :math:`h_i` of the loss at the
    current margin. A leaf with sums :math:`G, H` gets the Newton weight (times
    ``learning_rate``), and a split is kept when its gain is positive:

    .. math::

        w^\ast = -\frac{G}{H + \lambda}, \qquad
        \text{gain} = \frac12\left[\frac{G_L^2}{H_L+\lambda} + \frac{G_R^2}{H_R+\lambda}
                      - \frac{G^2}{H+\lambda}\right] - \gamma .

    Splits are exact greedy (every midpoint between distinct sorted values), like XGBoost's
    ``tree_method="exact"``; trees grow depth-wise to ``max_depth``.

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
        Smallest Hessian sum :math:`H` allowed in a child.
    base_score : float or None, default=None
        Initial prediction{base_score_doc}
    random_state : int or None
        Kept for API symmetry; the exact greedy trees use no randomness.

    Attributes
    ----------
    estimators_ : list of FlatTree
        Trees whose ``value`` already includes ``learning_rate``.
    base_margin_ : float
        Starting margin (raw score) of every sample.
    n_features_in_ : int

    Notes
    -----
    XGBoost's code compares the bracket *without* the ½ against ``gamma`` (so its ``gamma``
    equals twice the γ above); with the default ``gamma=0`` both rules grow the same trees.
    A split must also improve the bracket by more than 1e-6, XGBoost's ``kRtEps``.
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
            "positive rate, XGBoost's default intercept.",
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

    def fit(self, X, y):
        """Boost ``n_estimators`` trees on features ``X`` and two-class labels ``y``."""
        X, y = _check_fit_data(X, y, labels=True)
        self.classes_, y_index = _encode_classes(y, binary=True)
        y01 = y_index.astype(np.float64)
        if self.base_score is None:
            base = y01.mean()
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

        return self._boost(X, y01, gradient_and_hessian, np.log(base) - np.log1p(-base))

    def predict_proba(self, X):
        """Probabilities of ``classes_[0]`` and ``classes_[1]``: ``1 - σ(F)`` and ``σ(F)``."""
        p = _sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        """``classes_[1]`` where the margin is positive, else ``classes_[0]``."""
        return self.classes_[(self.decision_function(X) > 0).astype(np.intp)]


class GradientBoostingRegressor(RegressorMixin, _BaseGradientBoosting):
    __doc__ = (
        r"""Gradient-boosted trees for squared error with second-order (Newton) leaf values.

    For the loss :math:`\tfrac12 (F - y)^2`, :math:`g = F - y` and :math:`h = 1`, so a leaf weight
    is the shrunk mean residual :math:`\sum r / (n + \lambda)`.
"""
        + _GBDT_DOC.replace("{base_score_doc}", "; ``None`` uses the mean target.")
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

    def fit(self, X, y):
        """Boost ``n_estimators`` trees on features ``X`` and real targets ``y``."""
        X, y = _check_fit_data(X, y)
        y = y.astype(np.float64)
        base = y.mean() if self.base_score is None else check_real(self.base_score, "base_score")

        def gradient_and_hessian(y, margin):
            return margin - y, np.ones_like(y)

        return self._boost(X, y, gradient_and_hessian, base)

    def predict(self, X):
        """Predicted target: the boosted margin."""
        return self.decision_function(X)
