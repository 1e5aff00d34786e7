r"""CART decision trees with exact greedy splits, and the grower exact forests and boosting share.

The source (section 4A) presents trees as the workhorse of tabular ranking and ads models:
CART trees split on the feature and threshold that most reduce impurity, a random forest averages
trees grown on bootstrap samples with random feature subsets (:mod:`mlref.models.forest`), and
gradient boosting (XGBoost) adds trees fitted to the gradient and Hessian of the loss, with
L2-regularised leaf weights (:mod:`mlref.models.boosting`).

All exact trees share one grower, :func:`_grow_tree`. It grows a tree **level by level** with
*exact greedy* splits: every feature is sorted once per fit; at each level the rows of all open
nodes are grouped by node (a stable sort keeps them sorted by feature value), cumulative sums of
per-row statistics give the left/right statistics of every candidate split at once, and
thresholds sit at midpoints between consecutive distinct values, as in scikit-learn and in
XGBoost's ``tree_method="exact"``. A sample goes left when ``x <= threshold``.

Every tree is stored as flat arrays (:class:`FlatTree`, laid out like scikit-learn's ``tree_``)
and predicted level by level: one vectorised step per depth, no Python loop over rows.

Sample weights multiply the per-row statistics (class counts, target sums, gradients and
Hessians), as in scikit-learn and XGBoost; rows of weight 0 take no part in a tree. The grower
also records the gain of every split, from which ``feature_importances_`` follows: the mean
decrease in impurity (MDI) for CART trees and forests, the total gain for boosted trees.
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
    check_n_features,
    check_option,
    check_positive_int,
    check_random_state,
    check_real,
    check_same_length,
    check_sample_weight,
)

__all__ = [
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "FlatTree",
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
    r"""A binary tree stored as flat arrays, node 0 the root (breadth-first numbering).

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
        Size of each node as ``min_samples_leaf`` counts it: the number of distinct training
        rows of positive weight for CART trees (a bootstrap copy or a weight of 3 counts once, as
        in scikit-learn), the Hessian sum ("cover") for boosted trees.
    gain : numpy.ndarray of float, shape (n_nodes,)
        Gain of the split at each internal node, 0 at leaves: the weighted impurity decrease
        :math:`n I(\text{node}) - n_L I(L) - n_R I(R)` for CART trees, the loss reduction
        :math:`\tfrac12[\ldots]` before :math:`\gamma` for boosted trees (XGBoost's
        ``loss_chg`` is twice this). ``feature_importances_`` sums it per feature.
    max_depth : int
        Depth of the deepest leaf (0 for a single leaf).
    """

    feature: np.ndarray
    threshold: np.ndarray
    children_left: np.ndarray
    children_right: np.ndarray
    value: np.ndarray
    n_node_samples: np.ndarray
    gain: np.ndarray
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


def _feature_masks(X, rows, node, n_open, max_features, rng, feature_mask=None):
    """Features each open node may split on: ``max_features`` non-constant ones drawn at random.

    A feature that is constant within a node does not count towards ``max_features``, so a node
    only becomes a leaf for lack of features when all are constant. scikit-learn differs in a
    detail: a feature it draws and only then finds constant in the node *does* count (unless an
    ancestor already found it constant), so its nodes sometimes compare fewer than
    ``max_features`` candidates; on data with many binary features its forests come out a bit
    more random. ``feature_mask`` (per tree, e.g. ``colsample_bytree``) removes features first.
    """
    by_node = np.argsort(node, kind="stable")
    starts = np.searchsorted(node[by_node], np.arange(n_open))
    Xn = X[rows[by_node]]
    varies = np.maximum.reduceat(Xn, starts, axis=0) > np.minimum.reduceat(Xn, starts, axis=0)
    if feature_mask is not None:
        varies &= feature_mask
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
    feature_mask: np.ndarray | None = None,
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
    feature_mask : ndarray (d,) of bool, optional
        Features this tree may split on (all if ``None``).
    """
    n, d = X.shape
    node = np.full(n, -1, dtype=np.intp)  # open node (local index) of each row, -1 once settled
    node[rows] = 0
    stats_by_column = np.ascontiguousarray(stats.T)  # (k, n): contiguous gathers and cumsums
    # Per feature, the tree's rows grouped by open node and sorted by value within each node.
    order = sorted_rows.T[(node >= 0)[sorted_rows.T]].reshape(d, -1)
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
            allowed = _feature_masks(
                X, active_rows, node[active_rows], n_open, max_features, rng, feature_mask
            )
            allowed &= can_split[:, None]
            runs = _NodeRuns.of(
                np.bincount(node[active_rows], minlength=n_open),
                open_totals,
                open_sizes,
                criterion.score(open_totals),
            )
            for j in np.flatnonzero(allowed.any(axis=0)):
                gain, threshold = _best_split_of_feature(
                    X[:, j], order[j], runs, stats_by_column, size, criterion, min_size
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
                np.where(split, best_gain + criterion.gain_offset, 0.0),
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
        # A stable sort by child keeps each child's rows in value order.
        order = order[node[order] >= 0].reshape(d, -1)
        keys = node[order]
        if n_children < np.iinfo(np.int16).max:
            keys = keys.astype(np.int16)  # NumPy's stable sort is a radix sort on 16-bit ints
        order = np.take_along_axis(order, np.argsort(keys, axis=1, kind="stable"), axis=1)
        depth += 1
    feature, threshold, left, right, value, sizes, gains = (
        np.concatenate(part) for part in zip(*levels, strict=True)
    )
    return FlatTree(feature, threshold, left, right, value, sizes, gains, max_depth=depth)


@dataclass(frozen=True)
class _NodeRuns:
    """What every feature's split search shares at one depth: the open nodes' row runs.

    Rows of open node ``i`` occupy positions ``starts[i] : starts[i] + counts[i]`` of every
    feature's order; the ``*_rep`` arrays repeat per-node values over those positions.
    """

    counts: np.ndarray
    starts: np.ndarray
    last_rep: np.ndarray
    totals_rep: np.ndarray
    sizes_rep: np.ndarray
    parent_rep: np.ndarray

    @classmethod
    def of(cls, counts, totals, sizes, parent_score):
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        return cls(
            counts=counts,
            starts=starts,
            last_rep=np.repeat(starts + counts - 1, counts),
            totals_rep=np.repeat(totals.T, counts, axis=1),
            sizes_rep=np.repeat(sizes, counts),
            parent_rep=np.repeat(parent_score, counts),
        )


def _best_split_of_feature(x, order, runs: _NodeRuns, stats_by_column, size, criterion, min_size):
    """Best gain and threshold on one feature for every open node at once.

    ``order`` holds the active rows grouped by node and sorted by ``x`` within each node, so
    each node's rows form one contiguous run; cumulative sums inside each run give the
    left-child statistics of every cut.
    """
    counts, starts = runs.counts, runs.starts
    m = order.size
    cum = np.cumsum(stats_by_column[:, order], axis=1)
    before = np.hstack([np.zeros((cum.shape[0], 1)), cum])[:, starts]
    left = cum - np.repeat(before, counts, axis=1)
    right = runs.totals_rep - left
    cum_size = np.cumsum(size[order])
    left_size = cum_size - np.repeat(np.append(0.0, cum_size)[starts], counts)
    right_size = runs.sizes_rep - left_size

    xs = x[order]
    next_x = np.append(xs[1:], np.inf)
    position = np.arange(m)
    valid = (position < runs.last_rep) & (next_x > xs)
    valid &= (left_size >= min_size) & (right_size >= min_size)
    with np.errstate(divide="ignore", invalid="ignore"):  # empty right sides of invalid cuts
        gain = criterion.score(left.T) + criterion.score(right.T) - runs.parent_rep
    gain = np.where(valid, criterion.gain_scale * gain - criterion.gain_offset, -np.inf)

    node_best = np.maximum.reduceat(gain, starts)
    best_rep = np.repeat(node_best, counts)
    first_best = np.minimum.reduceat(np.where(gain == best_rep, position, m), starts)
    n_open = counts.size
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
    return check_n_features(X, estimator)


def _weighted_mean(values, weight):
    return float(values.mean() if weight is None else np.average(values, weights=weight))


def _gain_importances(trees, n_features: int, *, per_tree: bool) -> np.ndarray:
    """Split gains summed per feature and normalised to sum 1 (all 0 if no tree splits).

    ``per_tree`` normalises each tree first and averages the trees that split, as scikit-learn's
    forests do; otherwise the gains of all trees are pooled, as XGBoost's ``total_gain``.
    """

    def total_gain(tree):
        internal = tree.feature >= 0
        return np.bincount(
            tree.feature[internal], weights=tree.gain[internal], minlength=n_features
        )

    def normalised(gains):
        total = gains.sum()
        return gains / total if total > 0 else gains

    if not per_tree:
        return normalised(sum((total_gain(tree) for tree in trees), np.zeros(n_features)))
    split_trees = [normalised(total_gain(tree)) for tree in trees if tree.node_count > 1]
    if not split_trees:
        return np.zeros(n_features)
    return normalised(np.mean(split_trees, axis=0))


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

    def _fit_tree(self, X, stats, *, weight=None, sorted_rows=None, rng=None):
        """Grow one tree; ``weight`` (None or >= 0 per row) scales the rows' statistics."""
        criterion = _CART_CRITERIA[check_option(self.criterion, "criterion", self._criteria)]
        min_leaf = check_positive_int(self.min_samples_leaf, "min_samples_leaf")
        min_split = check_positive_int(self.min_samples_split, "min_samples_split")
        if min_split < 2:
            raise ValueError(f"min_samples_split must be an integer >= 2, got {min_split}")
        n = X.shape[0]
        rows = np.arange(n) if weight is None else np.flatnonzero(weight > 0)
        if rows.size == 0:
            raise ValueError(
                "no training row has a positive weight for this tree (a bootstrap sample of "
                "zero-weight rows); give more rows a positive sample_weight"
            )
        return _grow_tree(
            X,
            np.argsort(X, axis=0, kind="stable") if sorted_rows is None else sorted_rows,
            rows,
            stats if weight is None else stats * weight[:, None],
            np.ones(n),
            criterion,
            max_depth=_check_max_depth(self.max_depth),
            min_size=min_leaf,
            min_split_size=max(min_split, 2 * min_leaf),
            max_features=_resolve_max_features(self.max_features, X.shape[1]),
            rng=check_random_state(self.random_state) if rng is None else rng,
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
        X = _check_predict_data(self, X)  # first: it raises NotFittedError before tree_ exists
        return self.tree_.apply(X)

    @property
    def feature_importances_(self) -> np.ndarray:
        """Mean decrease in impurity per feature, normalised to sum 1 (all 0 for a single leaf).

        The weighted impurity decrease of every split, summed per feature: scikit-learn's
        ``feature_importances_`` on the same tree.
        """
        check_is_fitted(self)
        return _gain_importances([self.tree_], self.n_features_in_, per_tree=True)


class DecisionTreeClassifier(ClassifierMixin, _BaseDecisionTree):
    r"""CART classification tree with exact greedy splits (Gini or entropy).

    Each node takes the feature and threshold that maximise the impurity decrease

    .. math::

        \Delta = n\,I(\text{node}) - n_L\,I(L) - n_R\,I(R), \qquad
        I_{\text{gini}} = 1 - \sum_c p_c^2, \quad I_{\text{entropy}} = -\sum_c p_c \log p_c,

    over thresholds at midpoints between consecutive distinct feature values. With sample
    weights :math:`w_i`, :math:`n` and the class proportions :math:`p_c` are weighted sums.

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
        The fitted tree; ``tree_.value`` holds (weighted) class fractions per node.
    feature_importances_ : numpy.ndarray of shape (n_features,)
        Mean decrease in impurity (MDI): the weighted impurity decreases
        :math:`\Delta` of the splits on each feature, summed and normalised to sum 1.
    n_features_in_ : int

    Notes
    -----
    Without feature subsampling the splits match scikit-learn's whenever the best split of a
    node is unique (scikit-learn breaks ties between features in a random order, this tree in
    column order). Like scikit-learn, an impure node is split even when the best split does not
    lower the impurity (XOR-like data needs such splits to go on).

    Sample weights, as in scikit-learn, enter the class counts (so the impurities, the split
    gains and the leaf fractions), while ``min_samples_leaf`` and ``min_samples_split`` count
    distinct rows of positive weight. Multiplying all weights by a constant therefore leaves the
    tree unchanged, and integer weights grow the same tree as duplicated rows when
    ``min_samples_leaf=1`` and ``min_samples_split=2`` (the defaults; larger values count a
    duplicated row several times but a weighted row once). Rows of weight 0 take no part.

    MDI is biased toward features with many distinct values (more candidate thresholds fit
    noise better) and is measured on the training data; permutation importance on held-out data
    does not have these biases.

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

    def fit(self, X, y, sample_weight=None):
        """Grow the tree on features ``X`` (n_samples, n_features) and class labels ``y``.

        ``sample_weight`` (n_samples,), optional, holds weights >= 0 (see Notes).

        Raises
        ------
        ValueError
            For bad ``X``/``y``/``sample_weight`` (shape, NaN/inf, length mismatch, a single
            class, negative weights) or an invalid hyperparameter.
        """
        X, y = _check_fit_data(X, y, labels=True)
        weight = check_sample_weight(sample_weight, X.shape[0])
        self.classes_, y_index = _encode_classes(y)
        one_hot = np.eye(self.classes_.size)[y_index]
        self.tree_ = self._fit_tree(X, one_hot, weight=weight)
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X):
        """Class probabilities: the class fractions of the leaf each row reaches."""
        X = _check_predict_data(self, X)
        return self.tree_.predict(X)

    def predict(self, X):
        """Most frequent class of the leaf each row reaches (first class on ties)."""
        proba = self.predict_proba(X)  # checks the model is fitted before classes_ is read
        return self.classes_[np.argmax(proba, axis=1)]


class DecisionTreeRegressor(RegressorMixin, _BaseDecisionTree):
    r"""CART regression tree with exact greedy splits on squared error.

    Each node takes the split maximising the decrease of the summed squared error,

    .. math::

        \Delta = \sum_{i \in \text{node}} (y_i - \bar y)^2 - \sum_{i \in L} (y_i - \bar y_L)^2
                 - \sum_{i \in R} (y_i - \bar y_R)^2
               = \frac{S_L^2}{n_L} + \frac{S_R^2}{n_R} - \frac{S^2}{n},

    with :math:`S` the sum of targets; a leaf predicts the mean of its targets. With sample
    weights, :math:`n` and :math:`S` are weighted sums and a leaf predicts the weighted mean.

    Parameters
    ----------
    criterion : {"squared_error"}, default="squared_error"
    max_depth, min_samples_split, min_samples_leaf, max_features, random_state
        As in :class:`DecisionTreeClassifier`.

    Attributes
    ----------
    tree_ : FlatTree
        The fitted tree; ``tree_.value[:, 0]`` holds the (weighted) mean target per node.
    feature_importances_ : numpy.ndarray of shape (n_features,)
        Mean decrease in impurity (squared error), normalised to sum 1.
    n_features_in_ : int

    Notes
    -----
    Sample weights work as in :class:`DecisionTreeClassifier` (and scikit-learn).

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

    def fit(self, X, y, sample_weight=None):
        """Grow the tree on features ``X`` (n_samples, n_features) and real targets ``y``.

        ``sample_weight`` (n_samples,), optional, holds weights >= 0.
        """
        X, y = _check_fit_data(X, y)
        weight = check_sample_weight(sample_weight, X.shape[0])
        y = y.astype(np.float64)
        stats = np.column_stack([np.ones_like(y), y, y**2])
        self.tree_ = self._fit_tree(X, stats, weight=weight)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        """Mean training target of the leaf each row reaches."""
        X = _check_predict_data(self, X)
        return self.tree_.predict(X)[:, 0]
