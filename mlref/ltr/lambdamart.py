"""LambdaMART from scratch: histogram gradient-boosted trees fitted to lambda gradients.

Each boosting round computes the LambdaRank gradients of the current scores
(:mod:`mlref.ltr.lambdas`), grows one regression tree depth-wise on (gradient, Hessian)
histograms, and adds its Newton leaf values, shrunk by the learning rate, to the scores. The tree
code is vectorised over rows, nodes, features and bins: the Python loops run over trees and depth
levels only.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from mlref._validation import check_array_2d, check_positive_int, check_real
from mlref.ltr._groups import check_ranking_data
from mlref.ltr.lambdas import lambdas_from_pair_weights, pair_weights_delta_ndcg
from mlref.metrics.ranking import ndcg_at_k

# XGBoost's kRtEps: a split must improve the (un-halved) objective by more than this.
_MIN_LOSS_CHANGE = 1e-6


@dataclass(frozen=True)
class RegressionTree:
    """One fitted tree as flat arrays, nodes numbered breadth-first (0 is the root).

    A row goes to ``left[node]`` when ``x[feature[node]] < threshold[node]`` and to
    ``right[node]`` otherwise. Leaves have ``feature == -1`` and output ``value`` (already
    multiplied by the learning rate). ``gain`` is the split gain of internal nodes (0 at leaves).
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    gain: np.ndarray

    @property
    def depth(self) -> int:
        """Number of split levels (0 for a single leaf)."""
        depth = 0
        frontier = np.array([0])
        while (self.feature[frontier] >= 0).any():
            internal = frontier[self.feature[frontier] >= 0]
            frontier = np.concatenate([self.left[internal], self.right[internal]])
            depth += 1
        return depth

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Output of the tree for each row of ``X`` (one vectorised step per depth level)."""
        node = np.zeros(len(X), dtype=np.int64)
        rows = np.arange(len(X))
        for _ in range(self.depth):
            feature = self.feature[node]
            internal = feature >= 0
            goes_left = X[rows, np.maximum(feature, 0)] < self.threshold[node]
            child = np.where(goes_left, self.left[node], self.right[node])
            node = np.where(internal, child, node)
        return self.value[node]


@dataclass(frozen=True)
class _Bins:
    """Quantile bins of every feature, laid out as one global bin axis.

    ``codes[r, f]`` is the global bin of ``X[r, f]``; the bins of feature ``f`` are the contiguous
    range ``starts[f] : starts[f] + sizes[f]``. For each global bin ``t``: ``feature[t]``,
    ``segment_start[t]`` (first bin of its feature), ``upper[t]`` (values of bins ``<= t`` of that
    feature are exactly those ``< upper[t]``) and ``candidate[t]`` (``t`` is not the last bin of
    its feature, so "bins <= t go left" is a split).
    """

    codes: np.ndarray
    feature: np.ndarray
    segment_start: np.ndarray
    upper: np.ndarray
    candidate: np.ndarray

    @property
    def n_bins(self) -> int:
        return len(self.feature)


def _bin_edges(column: np.ndarray, max_bin: int) -> np.ndarray:
    """Cut points of one feature: a value falls in bin ``searchsorted(edges, x, side="right")``.

    With at most ``max_bin`` distinct values every value has its own bin (exact splits).
    Otherwise the cut points are equally spaced quantiles of the column, taken among its observed
    values; a value repeated many times (e.g. a mass at 0) absorbs several quantiles, so the number
    of quantile levels is raised (binary search) until the distinct cut points fill ``max_bin``
    bins, as XGBoost's sketch also spends the bins a heavy value leaves free.
    """
    distinct = np.unique(column)
    if len(distinct) <= max_bin:
        return distinct[1:]
    ordered = np.sort(column)

    def cuts(n_levels):
        ranks = np.ceil(np.arange(1, n_levels + 1) * len(ordered) / (n_levels + 1)).astype(int)
        edges = np.unique(ordered[ranks - 1])
        return edges[edges > distinct[0]]

    low, high = max_bin - 1, len(ordered) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if len(cuts(middle)) <= max_bin - 1:
            low = middle
        else:
            high = middle - 1
    return cuts(low)


def _make_bins(X: np.ndarray, max_bin: int) -> tuple[_Bins, list[np.ndarray]]:
    edges = [_bin_edges(X[:, f], max_bin) for f in range(X.shape[1])]
    sizes = np.array([len(e) + 1 for e in edges])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    local = np.column_stack(
        [np.searchsorted(e, X[:, f], side="right") for f, e in enumerate(edges)]
    )
    local = local.astype(np.uint8 if sizes.max() <= 256 else np.uint16)
    codes = (local + starts).astype(np.int32)
    feature = np.repeat(np.arange(X.shape[1]), sizes)
    upper = np.concatenate([np.append(e, np.inf) for e in edges])
    candidate = np.ones(sizes.sum(), dtype=bool)
    candidate[starts + sizes - 1] = False
    bins = _Bins(codes, feature, np.repeat(starts, sizes), upper, candidate)
    return bins, edges


def _sums(index, weights, minlength):
    """``np.bincount`` with weights, always float (bincount of nothing returns ints)."""
    return np.bincount(index, weights, minlength=minlength).astype(float, copy=False)


def _histograms(bins: _Bins, rows, node_index, n_nodes, gradient, hessian):
    """(node x global bin) sums of gradient and Hessian with one bincount per statistic."""
    n_features = bins.codes.shape[1]
    flat = (node_index[:, None] * bins.n_bins + bins.codes[rows]).ravel()
    size = n_nodes * bins.n_bins
    hist_g = _sums(flat, np.repeat(gradient[rows], n_features), size)
    hist_h = _sums(flat, np.repeat(hessian[rows], n_features), size)
    shape = (n_nodes, bins.n_bins)
    return hist_g.reshape(shape), hist_h.reshape(shape)


def _best_splits(hist_g, hist_h, node_g, node_h, bins: _Bins, reg_lambda, min_child_weight):
    r"""Best split of every node: (global bin, gain), gain :math:`-\infty` when none is valid.

    .. math::

        \text{gain} = \tfrac12 \Bigl[\frac{G_L^2}{H_L + \lambda} + \frac{G_R^2}{H_R + \lambda}
            - \frac{G^2}{H + \lambda}\Bigr]
    """
    before = bins.segment_start - 1  # last bin of the previous feature (-1: none)
    has_before = before >= 0
    left_g = np.cumsum(hist_g, axis=1)
    left_h = np.cumsum(hist_h, axis=1)
    left_g -= np.where(has_before, left_g[:, before], 0.0)
    left_h -= np.where(has_before, left_h[:, before], 0.0)
    right_g = node_g[:, None] - left_g
    right_h = node_h[:, None] - left_h
    valid = (left_h >= min_child_weight) & (right_h >= min_child_weight)
    valid &= bins.candidate
    # reg_lambda > 0 or min_child_weight > 0 (checked in fit) keeps the denominators positive
    np.square(left_g, out=left_g)
    np.square(right_g, out=right_g)
    left_h += reg_lambda
    right_h += reg_lambda
    score = np.divide(left_g, left_h, out=left_g)
    score += np.divide(right_g, right_h, out=right_g)
    score[~valid] = -np.inf
    best = np.argmax(score, axis=1)
    parent = node_g**2 / (node_h + reg_lambda)
    return best, 0.5 * (score[np.arange(len(best)), best] - parent)


def _newton_values(node_g, node_h, reg_lambda):
    denominator = node_h + reg_lambda
    values = np.zeros_like(node_g)
    np.divide(-node_g, denominator, out=values, where=denominator > 0)
    return values


def _grow_tree(
    bins: _Bins,
    gradient: np.ndarray,
    hessian: np.ndarray,
    sampled: np.ndarray,
    *,
    max_depth: int,
    reg_lambda: float,
    min_child_weight: float,
    learning_rate: float,
) -> tuple[RegressionTree, np.ndarray]:
    """Grow one tree depth-wise on the ``sampled`` rows; route every row to its leaf.

    Returns the tree and, for each row of ``bins.codes`` (sampled or not), its leaf's output.
    Histograms of the larger child of each split are obtained by subtraction from the parent.
    """
    n_rows = bins.codes.shape[0]
    all_rows = np.arange(n_rows)
    node = np.zeros(n_rows, dtype=np.int64)  # node index within the current level, -1 = in a leaf
    leaf_of_row = np.zeros(n_rows, dtype=np.int64)
    level_ids = np.array([0])  # breadth-first id of each node of the current level
    n_created = 1
    parts = []  # per level: (ids, feature, threshold, left, right, value, gain)
    hist_g = hist_h = None
    for depth in range(max_depth + 1):
        n_nodes = len(level_ids)
        sampled_node = node[sampled]
        active = sampled_node >= 0
        sample_rows, sample_node = sampled[active], sampled_node[active]
        node_g = _sums(sample_node, gradient[sample_rows], n_nodes)
        node_h = _sums(sample_node, hessian[sample_rows], n_nodes)
        if depth < max_depth:
            if hist_g is None:
                hist_g, hist_h = _histograms(
                    bins, sample_rows, sample_node, n_nodes, gradient, hessian
                )
            best_bin, best_gain = _best_splits(
                hist_g, hist_h, node_g, node_h, bins, reg_lambda, min_child_weight
            )
            splits = 2.0 * best_gain > _MIN_LOSS_CHANGE
        else:
            best_bin = np.zeros(n_nodes, dtype=np.int64)
            best_gain = np.zeros(n_nodes)
            splits = np.zeros(n_nodes, dtype=bool)

        n_splits = int(splits.sum())
        split_rank = np.cumsum(splits) - 1
        child_left = np.where(splits, n_created + 2 * split_rank, -1)
        values = np.where(splits, 0.0, learning_rate * _newton_values(node_g, node_h, reg_lambda))
        parts.append(
            (
                level_ids,
                np.where(splits, bins.feature[best_bin], -1),
                np.where(splits, bins.upper[best_bin], np.nan),
                child_left,
                np.where(splits, child_left + 1, -1),
                values,
                np.where(splits, best_gain, 0.0),
            )
        )

        in_tree = node >= 0
        rows, row_node = all_rows[in_tree], node[in_tree]
        settles = ~splits[row_node]
        leaf_of_row[rows[settles]] = level_ids[row_node[settles]]
        if n_splits == 0:
            break
        rows, row_node = rows[~settles], row_node[~settles]
        split_bin = best_bin[row_node]
        goes_right = bins.codes[rows, bins.feature[split_bin]] > split_bin
        node[:] = -1
        node[rows] = 2 * split_rank[row_node] + goes_right
        level_ids = n_created + np.arange(2 * n_splits)
        n_created += 2 * n_splits

        if depth + 1 < max_depth:
            hist_g, hist_h = _children_histograms(
                bins, node, sampled, hist_g[splits], hist_h[splits], gradient, hessian
            )

    ids, feature, threshold, left, right, value, gain = (
        np.concatenate(p) for p in zip(*parts, strict=True)
    )
    order = np.argsort(ids)
    tree = RegressionTree(
        feature=feature[order].astype(np.int64),
        threshold=threshold[order],
        left=left[order].astype(np.int64),
        right=right[order].astype(np.int64),
        value=value[order],
        gain=gain[order],
    )
    return tree, tree.value[leaf_of_row]


def _children_histograms(bins, node, sampled, parent_g, parent_h, gradient, hessian):
    """Histograms of the children (2k, 2k+1) of each split parent k: build the smaller, subtract."""
    n_parents = len(parent_g)
    sampled_node = node[sampled]
    active = sampled_node >= 0
    sample_rows, sample_node = sampled[active], sampled_node[active]
    counts = np.bincount(sample_node, minlength=2 * n_parents).reshape(n_parents, 2)
    small_is_right = counts[:, 1] < counts[:, 0]
    in_small = (sample_node % 2) == small_is_right[sample_node // 2]
    small_g, small_h = _histograms(
        bins, sample_rows[in_small], sample_node[in_small] // 2, n_parents, gradient, hessian
    )
    hist_g = np.empty((2 * n_parents, bins.n_bins))
    hist_h = np.empty_like(hist_g)
    small = 2 * np.arange(n_parents) + small_is_right
    large = 2 * np.arange(n_parents) + ~small_is_right
    hist_g[small], hist_h[small] = small_g, small_h
    hist_g[large], hist_h[large] = parent_g - small_g, parent_h - small_h
    return hist_g, hist_h


def _xgboost_ndcg_objective(y_sorted, scores_sorted, groups, pairs, ndcg_at):
    """Gradient and Hessian of XGBoost's ``rank:ndcg`` (3.x defaults), see LambdaMART Notes."""
    i, j, delta = pair_weights_delta_ndcg(y_sorted, scores_sorted, groups, k=ndcg_at, pairs=pairs)
    query = groups.position[i]
    spread = groups.max(scores_sorted) + groups.max(-scores_sorted) > 0
    delta = np.where(
        spread[query], delta / (np.abs(scores_sorted[i] - scores_sorted[j]) + 0.01), delta
    )
    gradient, hessian = lambdas_from_pair_weights(i, j, delta, scores_sorted)
    lambda_sum = 2.0 * np.bincount(
        query, delta * expit(scores_sorted[j] - scores_sorted[i]), minlength=groups.n_queries
    )
    norm = np.ones_like(lambda_sum)
    np.divide(np.log2(1.0 + lambda_sum), lambda_sum, out=norm, where=lambda_sum > 0)
    return gradient * norm[groups.position], 2.0 * hessian * norm[groups.position]


class LambdaMART(BaseEstimator):
    r"""LambdaMART ranker: histogram gradient-boosted trees on LambdaRank gradients.

    Round :math:`m` computes, for every document, the gradient :math:`g` and Hessian :math:`h` of
    the pairwise NDCG-weighted logistic loss at the current scores, grows a depth-wise tree with
    second-order (XGBoost) split gain and Newton leaf values

    .. math::

        \text{gain} = \tfrac12\Bigl[\frac{G_L^2}{H_L+\lambda} + \frac{G_R^2}{H_R+\lambda}
            - \frac{G^2}{H+\lambda}\Bigr], \qquad w_\text{leaf} = -\frac{G}{H + \lambda},

    and adds ``learning_rate * w_leaf`` to the scores of the documents in each leaf.

    Parameters
    ----------
    n_estimators : int, default 100
        Number of trees.
    max_depth : int, default 6
        Depth of each tree (depth-wise growth; a node stops early when no split gains).
    learning_rate : float, default 0.1
        Shrinkage (XGBoost's ``eta``).
    subsample : float in (0, 1], default 0.8
        Row subsampling *by row* (not by query), as XGBoost's ``subsample``: for each tree every
        row is kept independently with this probability. The gradients are computed on all rows
        (full rankings); the rows left out are ignored when that tree is grown but still get
        its output added to their scores.
    reg_lambda : float, default 1.0
        L2 penalty :math:`\lambda` on leaf values.
    min_child_weight : float, default 1.0
        Minimum Hessian sum in each child of a split.
    max_bin : int, default 256
        Maximum number of histogram bins per feature (quantile bins, computed once in ``fit``).
    ndcg_at : int or None, default None
        Pair truncation: only pairs with at least one document in the current top ``ndcg_at``
        are used, normalised by IDCG@``ndcg_at`` (XGBoost's ``lambdarank_num_pair_per_sample``
        with ``lambdarank_pair_method="topk"``). ``None`` uses every pair of every query.
    random_state : int, RandomState or None, default None
        Seed of the row subsampling; a fixed value makes ``fit`` deterministic.

    Attributes
    ----------
    estimators_ : list of RegressionTree
        The fitted trees (flat arrays; leaf values include the learning rate).
    feature_importances_ : ndarray of shape (n_features,)
        Total split gain of each feature, normalised to sum to 1 (all zeros if no tree split).
    n_features_in_ : int
    bin_edges_ : list of ndarray
        The histogram cut points of each feature.
    evals_result_ : dict
        ``{"validation_0": {"ndcg@10": [...]}, ...}``, one NDCG@10 per boosting round for each
        ``eval_set`` entry (empty dict without ``eval_set``).

    Notes
    -----
    Matched with ``xgboost.XGBRanker(objective="rank:ndcg")`` of XGBoost 3.2 (see
    :func:`mlref.ltr.xgboost_ranker.xgboost_ranker`, which sets the same options explicitly):

    - Pairs: XGBoost's default ``lambdarank_pair_method="topk"``. Its default truncation is 32
      (``lambdarank_num_pair_per_sample`` unset); the helper sets it to ``ndcg_at``, or to a number
      larger than any query when ``ndcg_at`` is None, so that both sides use the same pairs and
      IDCG. Ranks come from a stable sort of the current scores.
    - Gain :math:`2^y - 1` (``ndcg_exp_gain=True``), discount :math:`1/\log_2(1 + \text{rank})`,
      pairs of equal labels skipped, queries with IDCG 0 contribute nothing.
    - ``lambdarank_score_normalization=True``: within a query whose scores are not all equal,
      :math:`|\Delta\mathrm{NDCG}_{ij}|` is divided by :math:`|s_i - s_j| + 0.01`.
    - ``lambdarank_normalization=True``: each query's gradients and Hessians are multiplied by
      :math:`\log_2(1 + S_q)/S_q` with :math:`S_q = 2\sum_{ij} \lambda_{ij}` (LightGBM's idea).
    - XGBoost's Hessian is *twice* Burges' :math:`|\Delta\mathrm{NDCG}|\rho(1-\rho)`
      (:func:`mlref.ltr.lambdas.lambda_gradients`); we use the same factor 2 since it halves
      the Newton steps and interacts with ``min_child_weight`` and ``reg_lambda``.
    - Trees: ``tree_method="hist"``, ``max_bin=256``, depth-wise growth, ``gamma=0`` (a split
      must improve the loss by more than 1e-6), split condition ``x < threshold`` with thresholds
      taken among observed values, initial score 0 (a constant does not change lambda gradients).
    - Row subsampling per tree, by row, like XGBoost's ``subsample`` (the random draws differ,
      so fits with the same seed are not bit-identical across the two libraries).

    Not matched: XGBoost works in float32 and builds its quantile cuts with a streaming sketch
    (here exact rank-spaced quantiles among the observed values, see ``_bin_edges``); features with
    at most ``max_bin`` distinct values get one bin per value in both. When every feature is like
    that and ``subsample=1``, the two libraries grow the same trees and their scores agree to
    float32 rounding (tested); otherwise they differ by the cut points and random draws only.

    Cost per round: :math:`O(\sum_q n_q^2)` for the pairs plus one pass over the
    (sampled rows x features) bin codes per depth level; the histogram of the larger child of each
    split is the parent's minus the smaller child's.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = (X[:, 0] > 0.5).astype(float) + (X[:, 0] > 1.0)
    >>> group = np.repeat(np.arange(20), 10)
    >>> model = LambdaMART(n_estimators=20, max_depth=3, random_state=0).fit(X, y, group)
    >>> bool(ndcg_at_k(y, model.predict(X), 10, group) > 0.95)
    True
    >>> int(np.argmax(model.feature_importances_))
    0
    """

    def __init__(
        self,
        *,
        n_estimators=100,
        max_depth=6,
        learning_rate=0.1,
        subsample=0.8,
        reg_lambda=1.0,
        min_child_weight=1.0,
        max_bin=256,
        ndcg_at=None,
        random_state=None,
    ):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.reg_lambda = reg_lambda
        self.min_child_weight = min_child_weight
        self.max_bin = max_bin
        self.ndcg_at = ndcg_at
        self.random_state = random_state

    def _check_params(self):
        check_positive_int(self.n_estimators, "n_estimators")
        check_positive_int(self.max_depth, "max_depth")
        check_real(self.learning_rate, "learning_rate", low=0, low_inclusive=False)
        check_real(self.subsample, "subsample", low=0, high=1, low_inclusive=False)
        check_real(self.reg_lambda, "reg_lambda", low=0)
        check_real(self.min_child_weight, "min_child_weight", low=0)
        max_bin = check_positive_int(self.max_bin, "max_bin")
        if not 2 <= max_bin <= 65536:
            raise ValueError(f"max_bin must be between 2 and 65536, got {max_bin}")
        if self.ndcg_at is not None:
            check_positive_int(self.ndcg_at, "ndcg_at")
        if self.reg_lambda == 0 and self.min_child_weight == 0:
            raise ValueError(
                "reg_lambda and min_child_weight are both 0, so leaves with zero Hessian would "
                "get infinite values; make one of them positive"
            )

    def fit(self, X, y, group, *, eval_set=None):
        """Fit the trees.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
        y : array-like of shape (n_rows,)
            Non-negative relevance grades.
        group : array-like of shape (n_rows,)
            Query id of each row, in any order.
        eval_set : tuple (X, y, group) or list of such tuples, optional
            Data on which NDCG@10 is recorded after every round, in ``evals_result_``.

        Returns
        -------
        self
        """
        self._check_params()
        X, y, groups = check_ranking_data(X, y, group)
        evals = self._check_eval_set(eval_set, X.shape[1])
        rng = check_random_state(self.random_state)

        X_sorted, y_sorted = X[groups.order], y[groups.order]
        bins, self.bin_edges_ = _make_bins(X_sorted, self.max_bin)
        pairs = groups.pairs(y_sorted)
        scores = np.zeros(len(y_sorted))
        eval_scores = [np.zeros(len(e[1])) for e in evals]
        self.evals_result_ = {f"validation_{e}": {"ndcg@10": []} for e in range(len(evals))}
        self.estimators_ = []
        all_rows = np.arange(len(y_sorted))
        for _ in range(self.n_estimators):
            gradient, hessian = _xgboost_ndcg_objective(
                y_sorted, scores, groups, pairs, self.ndcg_at
            )
            if self.subsample < 1.0:
                sampled = all_rows[rng.random_sample(len(all_rows)) < self.subsample]
            else:
                sampled = all_rows
            tree, tree_output = _grow_tree(
                bins,
                gradient,
                hessian,
                sampled,
                max_depth=self.max_depth,
                reg_lambda=self.reg_lambda,
                min_child_weight=self.min_child_weight,
                learning_rate=self.learning_rate,
            )
            scores += tree_output
            self.estimators_.append(tree)
            for e, (X_eval, y_eval, group_eval) in enumerate(evals):
                eval_scores[e] += tree.predict(X_eval)
                self.evals_result_[f"validation_{e}"]["ndcg@10"].append(
                    float(ndcg_at_k(y_eval, eval_scores[e], 10, group_eval))
                )

        self.n_features_in_ = X.shape[1]
        importances = np.zeros(X.shape[1])
        for tree in self.estimators_:
            internal = tree.feature >= 0
            importances += np.bincount(
                tree.feature[internal], tree.gain[internal], minlength=X.shape[1]
            )
        total = importances.sum()
        self.feature_importances_ = importances / total if total > 0 else importances
        return self

    @staticmethod
    def _check_eval_set(eval_set, n_features):
        if eval_set is None:
            return []
        if isinstance(eval_set, tuple):
            eval_set = [eval_set]
        checked = []
        for e, entry in enumerate(eval_set):
            if not isinstance(entry, tuple) or len(entry) != 3:
                raise ValueError(
                    f"eval_set[{e}] must be a tuple (X, y, group), got {type(entry).__name__}"
                )
            X_eval, y_eval, _ = check_ranking_data(*entry)
            if X_eval.shape[1] != n_features:
                raise ValueError(
                    f"eval_set[{e}] has {X_eval.shape[1]} features but X has {n_features}"
                )
            checked.append((X_eval, y_eval, np.asarray(entry[2])))
        return checked

    def predict(self, X, group=None):
        """Ranking score of each row (higher = ranked higher); compare within a query only.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
        group : ignored
            Accepted so that every ranker of :mod:`mlref.ltr` can be called as
            ``predict(X, group)``; a tree ensemble scores each document alone.

        Returns
        -------
        ndarray of shape (n_rows,)
        """
        check_is_fitted(self, "estimators_")
        X = check_array_2d(X, "X")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features but the model was fitted with {self.n_features_in_}"
            )
        return _predict_forest(self.estimators_, X)


def _predict_forest(trees: list[RegressionTree], X: np.ndarray) -> np.ndarray:
    """Sum of tree outputs: all trees traverse together, one vectorised step per depth level."""
    n_nodes = max(len(t.feature) for t in trees)

    def padded(attribute, fill):
        out = np.full((len(trees), n_nodes), fill, dtype=getattr(trees[0], attribute).dtype)
        for t, tree in enumerate(trees):
            out[t, : len(tree.feature)] = getattr(tree, attribute)
        return out

    feature, threshold = padded("feature", -1), padded("threshold", np.nan)
    left, right, value = padded("left", 0), padded("right", 0), padded("value", 0.0)
    max_depth = max(t.depth for t in trees)
    tree_index = np.arange(len(trees))
    node = np.zeros((len(X), len(trees)), dtype=np.int64)
    for _ in range(max_depth):
        node_feature = feature[tree_index, node]
        goes_left = (
            np.take_along_axis(X, np.maximum(node_feature, 0), axis=1) < threshold[tree_index, node]
        )
        child = np.where(goes_left, left[tree_index, node], right[tree_index, node])
        node = np.where(node_feature >= 0, child, node)
    return value[tree_index, node].sum(axis=1)
