r"""Random forests: CART trees on bootstrap samples with random features at every node.

A forest is bagging (:mod:`mlref.models.ensemble`) of trees that also draw a random feature
subset at every node. With ``splitter="exact"`` (the default) every tree is the exact greedy CART
tree of :mod:`mlref.models.trees`, grown with the bootstrap counts as sample weights, as
scikit-learn's forests do. With ``splitter="histogram"`` the features are cut once per fit into
at most ``max_bins`` quantile bins and every tree is grown by the histogram grower of
:mod:`mlref.models.histogram_tree` on the per-row statistics :math:`g_i = -w_i y_i`,
:math:`h_i = w_i` with :math:`\lambda = 0`: its Newton gain

.. math::

    \tfrac12\Bigl[\frac{G_L^2}{H_L} + \frac{G_R^2}{H_R} - \frac{G^2}{H}\Bigr]
    = \tfrac12\Bigl[\frac{S_L^2}{n_L} + \frac{S_R^2}{n_R} - \frac{S^2}{n}\Bigr],
    \qquad S = \textstyle\sum w_i y_i,\; n = \sum w_i,

is a quarter of the decrease of the weighted Gini impurity :math:`n \cdot 2p(1-p)` for a 0/1
label and half the decrease of the squared error for a real one, and its leaf value
:math:`-G/H` is the (weighted) mean of :math:`y`: the same trees as CART would grow with the
bins' cut points as the only thresholds.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from mlref._validation import (
    check_bool,
    check_option,
    check_positive_int,
    check_random_state,
    check_sample_weight,
)
from mlref.models.histogram_tree import RegressionTree, grow_histogram_tree, make_bins
from mlref.models.trees import (
    TREE_LEAF,
    TREE_UNDEFINED,
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    FlatTree,
    _BaseDecisionTree,
    _check_fit_data,
    _check_max_depth,
    _check_predict_data,
    _encode_classes,
    _gain_importances,
    _resolve_max_features,
)

__all__ = ["RandomForestClassifier", "RandomForestRegressor"]

# --------------------------------------------------------------------------------------------
# Random forests
# --------------------------------------------------------------------------------------------


class _BaseForest(BaseEstimator):
    _tree_class: type[_BaseDecisionTree]

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion,
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features,
        bootstrap=True,
        splitter="exact",
        max_bins=256,
        random_state=None,
    ):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.splitter = splitter
        self.max_bins = max_bins
        self.random_state = random_state

    def _grow_forest(self, X, stats, weight):
        """Grow every tree from its own seed: the bootstrap draw, then the feature draws."""
        n_estimators = check_positive_int(self.n_estimators, "n_estimators")
        bootstrap = check_bool(self.bootstrap, "bootstrap")
        splitter = check_option(self.splitter, "splitter", ("exact", "histogram"))
        max_bins = check_positive_int(self.max_bins, "max_bins")
        if not 2 <= max_bins <= 65536:
            raise ValueError(f"max_bins must be between 2 and 65536, got {max_bins}")
        if splitter == "histogram":
            return self._grow_histogram_forest(X, stats, weight, n_estimators, bootstrap, max_bins)
        template = self._tree_class(
            criterion=self.criterion,
            max_depth=self.max_depth,
            min_samples_split=self.min_samples_split,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
        )
        rng = check_random_state(self.random_state)
        self._tree_seeds = rng.integers(np.iinfo(np.int64).max, size=n_estimators)
        self._n_samples = n = X.shape[0]
        sorted_rows = np.argsort(X, axis=0, kind="stable")
        self.estimators_ = []
        for seed in self._tree_seeds:
            tree_rng = np.random.default_rng(seed)
            tree_weight = weight
            if bootstrap:
                counts = np.bincount(tree_rng.integers(0, n, size=n), minlength=n)
                tree_weight = counts if weight is None else counts * weight
            tree = template._fit_tree(
                X, stats, weight=tree_weight, sorted_rows=sorted_rows, rng=tree_rng
            )
            self.estimators_.append(tree)
        self.n_features_in_ = X.shape[1]
        return self

    def _grow_histogram_forest(self, X, stats, weight, n_estimators, bootstrap, max_bins):
        """Every tree by the histogram grower on ``g = -w y``, ``h = w`` (see the module notes)."""
        criterion = check_option(self.criterion, "criterion", self._histogram_criteria)
        min_leaf = check_positive_int(self.min_samples_leaf, "min_samples_leaf")
        min_split = check_positive_int(self.min_samples_split, "min_samples_split")
        if min_split < 2:
            raise ValueError(f"min_samples_split must be an integer >= 2, got {min_split}")
        max_depth = _check_max_depth(self.max_depth)
        n, d = X.shape
        max_features = _resolve_max_features(self.max_features, d)
        if criterion == "gini" and stats.shape[1] != 2:
            raise ValueError(
                f"splitter='histogram' grows binary classification and regression trees, got "
                f"{stats.shape[1]} classes; use splitter='exact' for more than two classes"
            )
        target = stats[:, 1]  # the positive class's indicator, or the regression target
        bins, self.bin_edges_ = make_bins(X, max_bins)
        rng = check_random_state(self.random_state)
        self._tree_seeds = rng.integers(np.iinfo(np.int64).max, size=n_estimators)
        self._n_samples = n
        self.estimators_ = []
        for seed in self._tree_seeds:
            tree_rng = np.random.default_rng(seed)
            tree_weight = np.ones(n) if weight is None else weight
            if bootstrap:
                counts = np.bincount(tree_rng.integers(0, n, size=n), minlength=n)
                tree_weight = counts * tree_weight
            rows = np.flatnonzero(tree_weight > 0)
            if rows.size == 0:
                raise ValueError(
                    "no training row has a positive weight for this tree (a bootstrap sample of "
                    "zero-weight rows); give more rows a positive sample_weight"
                )
            tree_weight = tree_weight[rows].astype(np.float64)
            tree_bins = dataclasses.replace(bins, codes=bins.codes[rows])
            tree, leaf = grow_histogram_tree(
                tree_bins,
                -tree_weight * target[rows],
                tree_weight,
                np.arange(rows.size),
                max_depth=n if max_depth is None else max_depth,
                reg_lambda=0.0,
                min_child_weight=float(min_leaf),
                learning_rate=1.0,
                max_features=max_features,
                rng=tree_rng,
                min_split_weight=float(max(min_split, 2 * min_leaf)),
                leaf_ids=True,
            )
            flat = _as_flat_tree(tree, leaf, target[rows], tree_weight)
            if criterion == "gini":
                positive = flat.value[:, 0]
                flat = dataclasses.replace(
                    flat, value=np.column_stack([1.0 - positive, positive]), gain=4 * flat.gain
                )
            else:
                flat = dataclasses.replace(flat, gain=2 * flat.gain)
            self.estimators_.append(flat)
        self.n_features_in_ = d
        return self

    @property
    def estimators_samples_(self) -> list[np.ndarray]:
        """Row indices drawn for each tree (with repeats), regenerated from the tree seeds."""
        check_is_fitted(self)
        n = self._n_samples
        if not self.bootstrap:
            return [np.arange(n) for _ in self._tree_seeds]
        return [np.random.default_rng(seed).integers(0, n, size=n) for seed in self._tree_seeds]

    @property
    def feature_importances_(self) -> np.ndarray:
        """Mean over the trees (those that split) of their normalised MDI, normalised to sum 1."""
        check_is_fitted(self)
        return _gain_importances(self.estimators_, self.n_features_in_, per_tree=True)

    def _mean_tree_prediction(self, X):
        X = _check_predict_data(self, X)
        return sum(tree.predict(X) for tree in self.estimators_) / len(self.estimators_)


def _as_flat_tree(tree: RegressionTree, leaf, y, weight) -> FlatTree:
    """A histogram tree as a :class:`FlatTree`: thresholds for ``x <= t``, every node's statistics.

    The histogram tree sends ``x < upper`` left; the largest float below ``upper`` is the same
    cut for ``x <= t``. Node values (weighted means of ``y``) and sizes (distinct rows) are
    summed at the leaves the training rows reach (``leaf``), then added up into the parents,
    deepest level first.
    """
    internal = tree.feature >= 0
    n_nodes = len(tree.feature)
    flat = FlatTree(
        feature=np.where(internal, tree.feature, TREE_UNDEFINED),
        threshold=np.where(internal, np.nextafter(tree.threshold, -np.inf), float(TREE_UNDEFINED)),
        children_left=np.where(internal, tree.left, TREE_LEAF),
        children_right=np.where(internal, tree.right, TREE_LEAF),
        value=np.zeros((n_nodes, 1)),
        n_node_samples=np.zeros(n_nodes),
        gain=np.asarray(tree.gain, dtype=np.float64),
        max_depth=tree.depth,
    )
    sums = np.zeros((n_nodes, 3))
    for column, values in enumerate([weight * y, weight, np.ones_like(weight)]):
        sums[:, column] = np.bincount(leaf, values, minlength=n_nodes)
    parent = np.full(n_nodes, -1)
    parent[tree.left[internal]] = np.flatnonzero(internal)
    parent[tree.right[internal]] = np.flatnonzero(internal)
    depth = np.zeros(n_nodes, dtype=np.int64)
    frontier, level = np.array([0]), 0
    while frontier.size:
        depth[frontier] = level
        split = frontier[internal[frontier]]
        frontier, level = np.concatenate([tree.left[split], tree.right[split]]), level + 1
    for level in range(flat.max_depth, 0, -1):
        nodes = np.flatnonzero(depth == level)
        np.add.at(sums, parent[nodes], sums[nodes])
    mean = np.divide(sums[:, 0], sums[:, 1], out=np.zeros(n_nodes), where=sums[:, 1] > 0)
    return dataclasses.replace(flat, value=mean[:, None], n_node_samples=sums[:, 2])


_FOREST_PARAMS_DOC = """
    n_estimators : int, default=100
    max_depth : int or None, default=None
    min_samples_split : int, default=2
    min_samples_leaf : int, default=1
        Fewest distinct rows each child keeps (a row drawn 3 times counts once, as in
        scikit-learn).
    max_features : int, float, {"sqrt", "log2"} or None, default=%s
        Features drawn at random per node as split candidates (``None`` or 1.0: all).
    bootstrap : bool, default=True
        Draw ``n_samples`` rows with replacement per tree (else every tree sees all rows).
    splitter : {"exact", "histogram"}, default="exact"
        ``"exact"``: every midpoint between distinct values is a candidate threshold (CART, as
        scikit-learn). ``"histogram"``: each feature is cut once per fit into at most
        ``max_bins`` quantile bins and splits are searched on per-node histograms (the grower
        of :mod:`mlref.models.histogram_tree`); several times faster on thousands of rows.
        Binary classification (Gini) and regression only; ``min_samples_leaf`` and
        ``min_samples_split`` then count bootstrap copies (weighted rows), not distinct rows.
    max_bins : int, default=256
        Bins per feature for ``splitter="histogram"`` (features with fewer distinct values keep
        one bin per value, so their splits are exact).
    random_state : int, numpy.random.Generator or None
        Seeds one generator per tree; tree ``t`` draws its bootstrap sample, then its feature
        subsets, from it.
"""

_FOREST_ATTRIBUTES_DOC = """
    estimators_ : list of FlatTree
    bin_edges_ : list of numpy.ndarray
        Each feature's cut points (``splitter="histogram"`` only).
    estimators_samples_ : list of numpy.ndarray
        The row indices each tree was grown on (with repeats).
    feature_importances_ : numpy.ndarray of shape (n_features,)
        Mean decrease in impurity averaged over the trees, as scikit-learn's.
    n_features_in_ : int

    Notes
    -----
    A tree is the CART tree grown with the bootstrap counts as sample weights (times
    ``sample_weight`` if given), exactly what scikit-learn's forests do; so tree ``t`` equals
    the decision tree fitted with those weights and the tree's generator. Rows not drawn take no
    part in the tree (they cannot move its thresholds).

    A forest is bagging (see :mod:`mlref.models.ensemble`) of trees that also draw a random
    feature subset at every node: the extra randomness decorrelates the trees, which lowers the
    variance of their average further than bootstrapping alone.
"""


class RandomForestClassifier(ClassifierMixin, _BaseForest):
    __doc__ = (
        r"""Random forest classifier: CART trees on bootstrap samples, random features per node.

    .. math::

        \hat p(c \mid x) = \frac{1}{T} \sum_{t=1}^{T} \hat p_t(c \mid x)

    averages the leaf class fractions of the :math:`T` trees (soft voting), as scikit-learn
    does.

    Parameters
    ----------
    criterion : {"gini", "entropy"}, default="gini\""""
        + _FOREST_PARAMS_DOC % '"sqrt"'
        + """
    Attributes
    ----------
    classes_ : numpy.ndarray"""
        + _FOREST_ATTRIBUTES_DOC
        + """
    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]] * 5)
    >>> forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, [0, 0, 1, 1] * 5)
    >>> forest.predict([[0.0], [3.0]]).tolist()
    [0, 1]
    """
    )

    _tree_class = DecisionTreeClassifier
    _histogram_criteria = ("gini",)

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
        splitter="exact",
        max_bins=256,
        random_state=None,
    ):
        super().__init__(
            n_estimators,
            criterion=criterion,
            max_depth=max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            max_features=max_features,
            bootstrap=bootstrap,
            splitter=splitter,
            max_bins=max_bins,
            random_state=random_state,
        )

    def fit(self, X, y, sample_weight=None):
        """Grow ``n_estimators`` trees on bootstrap samples of ``X`` and labels ``y``.

        ``sample_weight`` (n_samples,), optional, multiplies the bootstrap counts.
        """
        X, y = _check_fit_data(X, y, labels=True)
        weight = check_sample_weight(sample_weight, X.shape[0])
        self.classes_, y_index = _encode_classes(y)
        return self._grow_forest(X, np.eye(self.classes_.size)[y_index], weight)

    def predict_proba(self, X):
        """Mean over trees of the leaf class fractions."""
        return self._mean_tree_prediction(X)

    def predict(self, X):
        """Class with the highest mean probability."""
        proba = self.predict_proba(X)  # checks the model is fitted before classes_ is read
        return self.classes_[np.argmax(proba, axis=1)]


class RandomForestRegressor(RegressorMixin, _BaseForest):
    __doc__ = (
        r"""Random forest regressor: the mean of CART regression trees on bootstrap samples.

    .. math::

        \hat y(x) = \frac{1}{T} \sum_{t=1}^{T} \hat y_t(x),

    each tree predicting the (bootstrap-weighted) mean target of its leaf. Like scikit-learn's,
    it considers every feature at every node by default (``max_features=1.0``): only the
    bootstrap decorrelates the trees unless ``max_features`` is lowered.

    Parameters
    ----------
    criterion : {"squared_error"}, default="squared_error\""""
        + _FOREST_PARAMS_DOC % "1.0"
        + """
    Attributes
    ----------"""
        + _FOREST_ATTRIBUTES_DOC
        + """
    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]] * 5)
    >>> forest = RandomForestRegressor(n_estimators=5, random_state=0)
    >>> forest.fit(X, [1.0, 1.0, 5.0, 7.0] * 5).predict([[0.0], [3.0]]).tolist()
    [1.0, 7.0]
    """
    )

    _tree_class = DecisionTreeRegressor
    _histogram_criteria = ("squared_error",)

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion="squared_error",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features=1.0,
        bootstrap=True,
        splitter="exact",
        max_bins=256,
        random_state=None,
    ):
        super().__init__(
            n_estimators,
            criterion=criterion,
            max_depth=max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            max_features=max_features,
            bootstrap=bootstrap,
            splitter=splitter,
            max_bins=max_bins,
            random_state=random_state,
        )

    def fit(self, X, y, sample_weight=None):
        """Grow ``n_estimators`` trees on bootstrap samples of ``X`` and real targets ``y``.

        ``sample_weight`` (n_samples,), optional, multiplies the bootstrap counts.
        """
        X, y = _check_fit_data(X, y)
        weight = check_sample_weight(sample_weight, X.shape[0])
        y = y.astype(np.float64)
        return self._grow_forest(X, np.column_stack([np.ones_like(y), y, y**2]), weight)

    def predict(self, X):
        """Mean over trees of the leaf mean targets."""
        return self._mean_tree_prediction(X)[:, 0]
