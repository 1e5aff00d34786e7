r"""Histogram regression trees grown on gradients and Hessians (XGBoost's ``tree_method="hist"``).

Features are cut once into at most ``max_bin`` quantile bins; a tree is then grown depth-wise
from (node x bin) sums of the gradient :math:`g` and Hessian :math:`h`, with XGBoost's
second-order split gain and Newton leaf values

.. math::

    \text{gain} = \tfrac12\Bigl[\frac{G_L^2}{H_L+\lambda} + \frac{G_R^2}{H_R+\lambda}
        - \frac{G^2}{H+\lambda}\Bigr], \qquad w_\text{leaf} = -\frac{G}{H + \lambda}.

Everything is vectorised over rows, nodes, features and bins, so the Python loops run over depth
levels only. The histograms of a level are one product ``[g; h] @ onehot`` with a sparse one-hot
matrix of the rows' (node, feature, bin) cells; where rows outnumber cells, only the smaller
child of each split is summed and the larger one is the parent minus it (histogram
subtraction). All features' bins lie on one global axis, so the split search is one cumulative
sum along it per level, restarted at each feature's first bin.
These row-level steps are the reference; when :func:`mlref._compiled.compiled_enabled`, the grower
runs the same steps as compiled loops (:mod:`mlref.models._histogram_kernels`: one pass per step,
the same floats, the same trees).
Used by :class:`mlref.ltr.LambdaMART` (lambda gradients) and
by :class:`mlref.models.GradientBoostingClassifier` with ``tree_method="hist"`` (log-loss
gradients).
"""

import functools
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from mlref._compiled import compiled_enabled
from mlref.models import _histogram_kernels as kernels

__all__ = [
    "Bins",
    "RegressionTree",
    "bin_edges",
    "grow_histogram_tree",
    "make_bins",
    "predict_forest",
]

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
class Bins:
    """Quantile bins of every feature, laid out as one global bin axis.

    ``codes[r, f]`` is the global bin of ``X[r, f]``; the bins of feature ``f`` are the contiguous
    range ``starts[f] : starts[f] + sizes[f]``. For each global bin ``t``: ``feature[t]``,
    ``upper[t]`` (values of bins ``<= t`` of that feature are exactly those ``< upper[t]``) and
    ``candidate[t]`` (``t`` is not the last bin of its feature, so "bins <= t go left" is a
    split).
    """

    codes: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray
    feature: np.ndarray
    upper: np.ndarray
    candidate: np.ndarray

    @property
    def n_features(self) -> int:
        return self.codes.shape[1]

    @property
    def n_bins(self) -> int:
        return len(self.feature)

    @functools.cached_property
    def local_codes(self) -> np.ndarray:
        """``codes - starts`` (each feature's own bin) in the smallest unsigned type: a row's
        codes fill one cache line instead of four, which the compiled histograms read."""
        local = np.empty(self.codes.shape, np.min_scalar_type(int(self.sizes.max()) - 1))
        for f, start in enumerate(self.starts):
            local[:, f] = self.codes[:, f] - start
        return local

    @functools.cached_property
    def local_codes_by_column(self) -> np.ndarray:
        """:attr:`local_codes`, column-major: routing rows down a split reads one column."""
        return np.asfortranarray(self.local_codes)

    @functools.cached_property
    def ones(self) -> np.ndarray:
        """A buffer of 1.0, one per code: the entries of the NumPy path's one-hot matrices."""
        return np.ones(self.codes.size)


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of an already sorted array, without sorting it again."""
    return values[np.concatenate([[True], values[1:] != values[:-1]])]


def bin_edges(column: np.ndarray, max_bin: int) -> np.ndarray:
    """Cut points of one feature: a value falls in bin ``searchsorted(edges, x, side="right")``.

    With at most ``max_bin`` distinct values every value has its own bin (exact splits).
    Otherwise the cut points are equally spaced quantiles of the column, taken among its observed
    values; a value repeated many times (e.g. a mass at 0) absorbs several quantiles, so the number
    of quantile levels is raised (binary search) until the distinct cut points fill ``max_bin``
    bins, as XGBoost's sketch also spends the bins a heavy value leaves free.
    """
    ordered = np.sort(column)
    distinct = _distinct_sorted(ordered)
    if len(distinct) <= max_bin:
        return distinct[1:]

    def cuts(n_levels):
        ranks = np.ceil(np.arange(1, n_levels + 1) * len(ordered) / (n_levels + 1)).astype(int)
        edges = _distinct_sorted(ordered[ranks - 1])
        return edges[edges > distinct[0]]

    low, high = max_bin - 1, len(ordered) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if len(cuts(middle)) <= max_bin - 1:
            low = middle
        else:
            high = middle - 1
    return cuts(low)


def make_bins(X: np.ndarray, max_bin: int) -> tuple[Bins, list[np.ndarray]]:
    """Bin every column of ``X`` once; returns the :class:`Bins` and each feature's cut points."""
    edges = [bin_edges(X[:, f], max_bin) for f in range(X.shape[1])]
    sizes = np.array([len(e) + 1 for e in edges])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    codes = np.empty(X.shape, dtype=np.int32 if sizes.sum() < 2**31 else np.int64)
    for f, e in enumerate(edges):
        codes[:, f] = np.searchsorted(e, X[:, f], side="right") + starts[f]
    feature = np.repeat(np.arange(X.shape[1]), sizes)
    upper = np.concatenate([np.append(e, np.inf) for e in edges])
    candidate = np.ones(sizes.sum(), dtype=bool)
    candidate[starts + sizes - 1] = False
    bins = Bins(codes, starts, sizes, feature, upper, candidate)
    return bins, edges


def _sums(index, weights, minlength):
    """``np.bincount`` with weights, always float (bincount of nothing returns ints)."""
    return np.bincount(index, weights, minlength=minlength).astype(float, copy=False)


def _histograms(bins: Bins, rows, node_index, n_nodes, gradient, hessian):
    r"""(node x global bin x statistic) sums of gradient and Hessian of the given rows.

    A histogram is a product with a one-hot matrix: row :math:`r` has a 1 in column
    ``node * n_bins + codes[r, f]`` for every feature :math:`f`, and ``onehot.T @ [g, h]`` adds
    each row's gradient and Hessian to its cell of every feature's histogram, in one pass over
    the ``len(rows) * n_features`` ones (SciPy's sparse product, summing rows in order as
    ``np.bincount`` would). ``rows=None`` means every row, all in node 0.
    """
    n_features = bins.n_features
    if rows is None:  # the root: the codes are the cells, no copy needed
        cells, stats = bins.codes, np.column_stack([gradient, hessian])
    else:
        cells = bins.codes[rows]
        cells += (node_index * bins.n_bins).astype(cells.dtype)[:, None]
        stats = np.column_stack([gradient[rows], hessian[rows]])
    n_ones = cells.size
    onehot_transposed = sparse.csc_matrix(
        (bins.ones[:n_ones], cells.ravel(), np.arange(0, n_ones + 1, n_features)),
        shape=(n_nodes * bins.n_bins, cells.shape[0]),
    )
    hist = onehot_transposed @ stats if n_ones else np.zeros((n_nodes * bins.n_bins, 2))
    return hist.reshape(n_nodes, bins.n_bins, 2)


def best_splits(hist, node_g, node_h, bins: Bins, reg_lambda, min_child_weight, allowed=None):
    r"""Best split of every node: (slot of the (feature, bin) axis, gain), gain :math:`-\infty`
    when none is valid.

    .. math::

        \text{gain} = \tfrac12 \Bigl[\frac{G_L^2}{H_L + \lambda} + \frac{G_R^2}{H_R + \lambda}
            - \frac{G^2}{H + \lambda}\Bigr]
    """
    # "bins <= t go left": a running sum along the bin axis, restarted at each feature's first bin
    left = np.cumsum(hist, axis=1)
    carried = np.zeros((len(node_g), bins.n_features, 2))
    carried[:, 1:] = left[:, bins.starts[1:] - 1]
    left -= np.repeat(carried, bins.sizes, axis=1)
    n_nodes = len(node_g)
    left_g, left_h = left[..., 0], left[..., 1]
    right_g = node_g[:, None] - left_g
    right_h = node_h[:, None] - left_h
    valid = (left_h >= min_child_weight) & (right_h >= min_child_weight)
    valid &= bins.candidate if allowed is None else bins.candidate & allowed
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
    return best, 0.5 * (score[np.arange(n_nodes), best] - parent)


def _best_splits_fast(hist, node_g, node_h, bins: Bins, reg_lambda, min_child_weight, allowed=None):
    """:func:`best_splits` with fewer passes over the (node x bin) cells; the same floats.

    The grower's hot loop. The gradient and Hessian planes are summed into separate contiguous
    arrays; each feature's running sums restart by subtracting, in place, the sum just before
    its first bin (last feature first, so that sum is still the unrestarted one); the invalid
    cells are collected in one reused mask and the gain is computed in place. Every cell goes
    through the same floating-point operations as in :func:`best_splits`, so both return the
    same splits bit for bit (tested).
    """
    left_g = np.cumsum(hist[..., 0], axis=1)
    left_h = np.cumsum(hist[..., 1], axis=1)
    for start, size in zip(bins.starts[:0:-1], bins.sizes[:0:-1], strict=True):
        left_g[:, start : start + size] -= left_g[:, start - 1, None]
        left_h[:, start : start + size] -= left_h[:, start - 1, None]
    right_g = np.subtract(node_g[:, None], left_g)
    right_h = np.subtract(node_h[:, None], left_h)
    invalid = np.less(left_h, min_child_weight)
    invalid |= right_h < min_child_weight
    invalid |= ~bins.candidate if allowed is None else ~(bins.candidate & allowed)
    np.square(left_g, out=left_g)
    np.square(right_g, out=right_g)
    if reg_lambda != 0:
        left_h += reg_lambda
        right_h += reg_lambda
    with np.errstate(divide="ignore", invalid="ignore"):  # empty sides of invalid cells
        score = np.divide(left_g, left_h, out=left_g)
        score += np.divide(right_g, right_h, out=right_g)
    np.copyto(score, -np.inf, where=invalid)
    best = np.argmax(score, axis=1)
    parent = node_g**2 / (node_h + reg_lambda)
    return best, 0.5 * (score[np.arange(len(node_g)), best] - parent)


def _newton_values(node_g, node_h, reg_lambda):
    denominator = node_h + reg_lambda
    values = np.zeros_like(node_g)
    np.divide(-node_g, denominator, out=values, where=denominator > 0)
    return values


def grow_histogram_tree(
    bins: Bins,
    gradient: np.ndarray,
    hessian: np.ndarray,
    sampled: np.ndarray,
    *,
    max_depth: int,
    reg_lambda: float,
    min_child_weight: float,
    learning_rate: float,
    gamma: float = 0.0,
    feature_mask: np.ndarray | None = None,
    max_features: int | None = None,
    rng: np.random.Generator | None = None,
    min_split_weight: float = 0.0,
    leaf_ids: bool = False,
) -> tuple[RegressionTree, np.ndarray]:
    """Grow one tree depth-wise on the ``sampled`` rows; route every row to its leaf.

    Returns the tree and, for each row of ``bins.codes`` (sampled or not), its leaf's output.
    Histograms of the larger child of each split are obtained by subtraction from the parent.
    A split is kept when its gain exceeds ``gamma`` (and the un-halved bracket exceeds 1e-6, as
    XGBoost); ``feature_mask`` (boolean, one per feature) restricts the features a split may use.
    With ``max_features``, every node draws that many of the allowed features at random from
    ``rng`` (a random forest's per-node subsets); a node whose Hessian sum is below
    ``min_split_weight`` or ``2 * min_child_weight`` stays a leaf without a split search.
    ``leaf_ids=True`` returns each row's leaf (its node id) instead of the leaf's output.
    """
    tree_allowed = None if feature_mask is None else np.asarray(feature_mask)[bins.feature]
    draws_features = max_features is not None and max_features < bins.n_features
    min_node_weight = max(min_split_weight, 2.0 * min_child_weight) * (1.0 - 1e-9)
    n_rows = bins.codes.shape[0]
    in_sample = None
    if len(sampled) < n_rows:
        in_sample = np.zeros(n_rows, dtype=bool)
        in_sample[sampled] = True
    steps = _CompiledSteps(bins, gradient, hessian) if compiled_enabled() else _NumPySteps(bins)
    rows = np.arange(n_rows)  # the rows still in an open node, in order
    row_node = np.zeros(n_rows, dtype=np.int64)  # their node's index within the current level
    leaf_of_row = np.zeros(n_rows, dtype=np.int64)
    level_ids = np.array([0])  # breadth-first id of each node of the current level
    n_created = 1
    parts = []  # per level: (ids, feature, threshold, left, right, value, gain)
    hist = None
    for depth in range(max_depth + 1):
        n_nodes = len(level_ids)
        sample_rows, sample_node = steps.in_sample(rows, row_node, in_sample)
        node_g, node_h = steps.node_sums(sample_rows, sample_node, n_nodes, gradient, hessian)
        if depth < max_depth:
            best_bin = np.zeros(n_nodes, dtype=np.int64)
            best_gain = np.full(n_nodes, -np.inf)
            searched = np.flatnonzero(node_h >= min_node_weight)
            if draws_features and len(searched):
                chosen = _drawn_features(
                    rng, len(searched), bins.n_features, max_features, feature_mask
                )
                best_bin[searched], best_gain[searched] = _drawn_feature_splits(
                    bins, sample_rows, sample_node, searched, chosen, gradient, hessian,
                    node_g, node_h, reg_lambda, min_child_weight,
                )  # fmt: skip
            elif len(searched):
                if hist is None:
                    root_rows = None if in_sample is None else sample_rows
                    hist = steps.histograms(root_rows, sample_node, n_nodes, gradient, hessian)
                best_bin[searched], best_gain[searched] = steps.best_splits(
                    hist,
                    searched,
                    node_g[searched],
                    node_h[searched],
                    reg_lambda,
                    min_child_weight,
                    tree_allowed,
                )
            splits = (2.0 * best_gain > _MIN_LOSS_CHANGE) & (best_gain > gamma)
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
        rows, row_node = steps.advance(
            rows, row_node, splits, split_rank, best_bin, level_ids, leaf_of_row
        )
        if n_splits == 0:
            break
        level_ids = n_created + np.arange(2 * n_splits)
        n_created += 2 * n_splits

        if depth + 1 < max_depth and not draws_features:
            sample_rows, sample_node = steps.in_sample(rows, row_node, in_sample)
            hist = steps.children_histograms(
                sample_rows, sample_node, hist, np.flatnonzero(splits), gradient, hessian
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
    return tree, leaf_of_row if leaf_ids else tree.value[leaf_of_row]


def _drawn_features(rng, n_nodes, n_features, max_features, feature_mask=None):
    """``max_features`` features per node drawn without replacement, ascending in each row."""
    priority = rng.random((n_nodes, n_features))
    if feature_mask is not None:
        feature_mask = np.asarray(feature_mask)
        priority[:, ~feature_mask] = np.inf
        max_features = min(max_features, int(feature_mask.sum()))
    return np.sort(np.argsort(priority, axis=1)[:, :max_features], axis=1)


def _drawn_feature_splits(
    bins, rows, row_node, searched, chosen, gradient, hessian, node_g, node_h, reg_lambda,
    min_child_weight,
):  # fmt: skip
    """Best split of each ``searched`` node among its own drawn features ``chosen[i]``.

    A random forest's node looks at a few features only, and a child draws other ones than its
    parent (so subtraction cannot help): only the drawn (node, feature) histograms are built,
    straight from the node's rows, laid end to end on one compact bin axis; the split search is
    then :func:`best_splits` on that axis (running sums restarted at each segment). Ties keep
    the lowest feature and bin, as the search over all bins does.
    """
    n_searched, n_drawn = chosen.shape
    local = np.full(len(node_g), -1)
    local[searched] = np.arange(n_searched)
    slot = local[row_node]
    keep = slot >= 0
    rows, slot = rows[keep], slot[keep]
    sizes = bins.sizes[chosen].ravel()  # one segment per (node, drawn feature)
    offsets = np.cumsum(sizes) - sizes
    n_cells = int(sizes.sum())
    features = chosen[slot]
    cells = bins.codes[rows[:, None], features] - bins.starts[features]
    cells += offsets.reshape(n_searched, n_drawn)[slot]
    cells = cells.ravel()
    left = np.empty((n_cells, 2))
    for column, values in enumerate((gradient, hessian)):
        left[:, column] = _sums(cells, np.repeat(values[rows], n_drawn), n_cells)
    np.cumsum(left, axis=0, out=left)
    carried = np.zeros((len(sizes), 2))
    carried[1:] = left[offsets[1:] - 1]
    left -= np.repeat(carried, sizes, axis=0)
    node_of_cell = np.repeat(np.arange(n_searched), sizes.reshape(n_searched, n_drawn).sum(axis=1))
    total_g, total_h = node_g[searched], node_h[searched]
    left_g, left_h = left[:, 0], left[:, 1]
    right_g = total_g[node_of_cell] - left_g
    right_h = total_h[node_of_cell] - left_h
    valid = (left_h >= min_child_weight) & (right_h >= min_child_weight)
    valid[offsets + sizes - 1] = False  # "all bins of the feature go left" is no split
    with np.errstate(divide="ignore", invalid="ignore"):  # empty sides of invalid cells
        score = left_g**2 / (left_h + reg_lambda) + right_g**2 / (right_h + reg_lambda)
    score[~valid] = -np.inf
    node_starts = offsets[::n_drawn]
    best_score = np.maximum.reduceat(score, node_starts)
    position = np.arange(n_cells)
    first = np.minimum.reduceat(
        np.where(score == best_score[node_of_cell], position, n_cells), node_starts
    )
    first_bin = np.repeat(bins.starts[chosen.ravel()] - offsets, sizes) + position
    parent = total_g**2 / (total_h + reg_lambda)
    return first_bin[first], 0.5 * (best_score - parent)


def _smaller_children(bins, sample_node, n_parents):
    """For each split parent, whether its right child (1) or left child (0) has fewer rows and is
    summed directly; ``None`` when summing every child directly is cheaper than subtracting."""
    counts = np.bincount(sample_node, minlength=2 * n_parents).reshape(n_parents, 2)
    rows_saved = counts.max(axis=1).sum()
    if rows_saved * bins.n_features <= 4 * n_parents * bins.n_bins:
        return None
    return (counts[:, 1] < counts[:, 0]).astype(np.int64)


def _children_histograms(bins, sample_rows, sample_node, parent_hist, gradient, hessian):
    """Histograms of the children (2k, 2k+1) of each split parent k.

    Subtraction builds the smaller child of each split and takes the larger as parent minus
    smaller: it skips the larger children's rows but costs a few passes over the histogram
    cells. With few rows per node (deep levels, small data sets) the rows are the cheaper
    side, and every child is built directly.
    """
    n_parents = len(parent_hist)
    small_is_right = _smaller_children(bins, sample_node, n_parents)
    if small_is_right is None:
        return _histograms(bins, sample_rows, sample_node, 2 * n_parents, gradient, hessian)
    in_small = (sample_node % 2) == small_is_right[sample_node // 2]
    small = _histograms(
        bins, sample_rows[in_small], sample_node[in_small] // 2, n_parents, gradient, hessian
    )
    large = np.subtract(parent_hist, small, out=parent_hist)  # the parent is not needed again
    right_small = small_is_right[:, None, None] == 1
    hist = np.empty((n_parents, 2, *parent_hist.shape[1:]))
    hist[:, 0] = np.where(right_small, large, small)
    hist[:, 1] = np.where(right_small, small, large)
    return hist.reshape(2 * n_parents, *parent_hist.shape[1:])


class _NumPySteps:
    """The grower's row-level steps in NumPy: the readable reference."""

    def __init__(self, bins: Bins):
        self.bins = bins

    def in_sample(self, rows, row_node, in_sample):
        if in_sample is None:
            return rows, row_node
        keep = in_sample[rows]
        return rows[keep], row_node[keep]

    def node_sums(self, rows, row_node, n_nodes, gradient, hessian):
        return _sums(row_node, gradient[rows], n_nodes), _sums(row_node, hessian[rows], n_nodes)

    def histograms(self, rows, row_node, n_nodes, gradient, hessian):
        return _histograms(self.bins, rows, row_node, n_nodes, gradient, hessian)

    def best_splits(self, hist, nodes, node_g, node_h, reg_lambda, min_child_weight, allowed):
        """Best split of each node ``nodes[i]`` of ``hist`` (totals ``node_g[i]``, ...)."""
        return _best_splits_fast(
            hist[nodes] if len(nodes) < len(hist) else hist,
            node_g, node_h, self.bins, reg_lambda, min_child_weight, allowed,
        )  # fmt: skip

    def advance(self, rows, row_node, splits, split_rank, best_bin, level_ids, leaf_of_row):
        """Record the leaf of rows whose node stays a leaf; move the others to their child."""
        settles = ~splits[row_node]
        leaf_of_row[rows[settles]] = level_ids[row_node[settles]]
        rows, row_node = rows[~settles], row_node[~settles]
        split_bin = best_bin[row_node]
        goes_right = self.bins.codes[rows, self.bins.feature[split_bin]] > split_bin
        return rows, 2 * split_rank[row_node] + goes_right

    def children_histograms(self, rows, row_node, hist, parents, gradient, hessian):
        """Histograms of the children (2k, 2k+1) of each split node ``parents[k]`` of ``hist``."""
        return _children_histograms(self.bins, rows, row_node, hist[parents], gradient, hessian)


class _CompiledSteps(_NumPySteps):
    """The same steps as compiled loops (:mod:`mlref.models._histogram_kernels`): one pass each,
    the same floats (tested against :class:`_NumPySteps`)."""

    def __init__(self, bins: Bins, gradient, hessian):
        super().__init__(bins)
        self.gradient = np.ascontiguousarray(gradient, dtype=np.float64)
        self.hessian = np.ascontiguousarray(hessian, dtype=np.float64)

    def in_sample(self, rows, row_node, in_sample):
        if in_sample is None:
            return rows, row_node
        return kernels.sampled(rows, row_node, in_sample)

    def node_sums(self, rows, row_node, n_nodes, gradient, hessian):
        return kernels.node_sums(rows, row_node, n_nodes, self.gradient, self.hessian)

    def histograms(self, rows, row_node, n_nodes, gradient, hessian):
        bins = self.bins
        if rows is None:
            return kernels.root_histogram(bins.codes, self.gradient, self.hessian, bins.n_bins)
        return kernels.node_histograms(
            bins.local_codes, bins.starts, rows, row_node, n_nodes, self.gradient, self.hessian,
            bins.n_bins,
        )  # fmt: skip

    def best_splits(self, hist, nodes, node_g, node_h, reg_lambda, min_child_weight, allowed):
        allowed = self.bins.candidate if allowed is None else self.bins.candidate & allowed
        return kernels.best_splits(
            hist, nodes, node_g, node_h, self.bins.starts, self.bins.sizes, allowed,
            float(reg_lambda), float(min_child_weight),
        )  # fmt: skip

    def advance(self, rows, row_node, splits, split_rank, best_bin, level_ids, leaf_of_row):
        feature = self.bins.feature[best_bin]
        return kernels.advance(
            self.bins.local_codes_by_column, rows, row_node, splits, split_rank, feature,
            best_bin - self.bins.starts[feature], level_ids, leaf_of_row,
        )  # fmt: skip

    def children_histograms(self, rows, row_node, hist, parents, gradient, hessian):
        n_parents = len(parents)
        small_is_right = _smaller_children(self.bins, row_node, n_parents)
        if small_is_right is None:
            return self.histograms(rows, row_node, 2 * n_parents, gradient, hessian)
        return kernels.children_by_subtraction(
            self.bins.local_codes, self.bins.starts, rows, row_node, small_is_right, hist,
            parents, self.gradient, self.hessian,
        )  # fmt: skip


def predict_forest(trees: list[RegressionTree], X: np.ndarray) -> np.ndarray:
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
