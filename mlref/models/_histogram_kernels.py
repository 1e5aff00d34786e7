"""Compiled loops of the histogram tree grower (see :mod:`mlref._compiled`).

Each kernel does in one pass what :mod:`mlref.models.histogram_tree` does in NumPy with several:
the same floating-point operations on the same values in the same order, so a tree grown with the
kernels equals the NumPy-grown tree bit for bit (tested). Rows are always visited in ascending
order, which is the order in which ``np.bincount`` and SciPy's sparse product add them.
"""

import numpy as np

from mlref._compiled import njit


@njit
def root_histogram(codes, gradient, hessian, n_bins):
    """(1 x global bin x 2) sums of ``gradient`` and ``hessian`` over every row (``codes``:
    global bins; read in order, their width costs nothing)."""
    hist = np.zeros((1, n_bins, 2))
    n_features = codes.shape[1]
    for row in range(codes.shape[0]):
        g = gradient[row]
        h = hessian[row]
        for f in range(n_features):
            cell = codes[row, f]
            hist[0, cell, 0] += g
            hist[0, cell, 1] += h
    return hist


@njit
def node_histograms(local_codes, starts, rows, row_node, n_nodes, gradient, hessian, n_bins):
    """(node x global bin x 2) sums over ``rows``, row ``rows[i]`` counted in ``row_node[i]``.

    ``local_codes[r, f]`` is row ``r``'s bin within feature ``f`` (global bin
    ``starts[f] + local_codes[r, f]``): a row's codes in one cache line, read out of order.
    """
    hist = np.zeros((n_nodes, n_bins, 2))
    _add_rows(hist, local_codes, starts, rows, row_node, np.arange(n_nodes), gradient, hessian)
    return hist


@njit
def _add_rows(hist, local_codes, starts, rows, row_node, slot_of_node, gradient, hessian):
    """Add each row's gradient and Hessian to its cells of ``hist[slot_of_node[row_node]]``.

    The rows are first grouped by node (a stable counting sort), so each node's histogram is
    built while it sits in cache; within a node the rows keep their ascending order.
    """
    n_nodes = slot_of_node.shape[0]
    counts = np.zeros(n_nodes + 1, dtype=np.int64)
    for i in range(rows.shape[0]):
        counts[row_node[i] + 1] += 1
    for node in range(n_nodes):
        counts[node + 1] += counts[node]
    grouped = np.empty(rows.shape[0], dtype=np.int64)
    fill = counts[:-1].copy()
    for i in range(rows.shape[0]):
        node = row_node[i]
        grouped[fill[node]] = rows[i]
        fill[node] += 1
    n_features = local_codes.shape[1]
    for node in range(n_nodes):
        slot = slot_of_node[node]
        for i in range(counts[node], counts[node + 1]):
            row = grouped[i]
            g = gradient[row]
            h = hessian[row]
            for f in range(n_features):
                cell = starts[f] + local_codes[row, f]
                hist[slot, cell, 0] += g
                hist[slot, cell, 1] += h


@njit
def node_sums(rows, row_node, n_nodes, gradient, hessian):
    """Per-node sums of ``gradient`` and ``hessian`` over ``rows`` (``np.bincount``'s order)."""
    node_g = np.zeros(n_nodes)
    node_h = np.zeros(n_nodes)
    for i in range(rows.shape[0]):
        node_g[row_node[i]] += gradient[rows[i]]
        node_h[row_node[i]] += hessian[rows[i]]
    return node_g, node_h


@njit
def sampled(rows, row_node, in_sample):
    """The rows (and their nodes) that are in the sample, in order."""
    n = 0
    for i in range(rows.shape[0]):
        n += in_sample[rows[i]]
    kept_rows = np.empty(n, dtype=rows.dtype)
    kept_node = np.empty(n, dtype=row_node.dtype)
    n = 0
    for i in range(rows.shape[0]):
        if in_sample[rows[i]]:
            kept_rows[n] = rows[i]
            kept_node[n] = row_node[i]
            n += 1
    return kept_rows, kept_node


@njit
def best_splits(hist, nodes, node_g, node_h, starts, sizes, allowed, reg_lambda,
                min_child_weight):  # fmt: skip
    """Best (global bin, gain) of each node ``nodes[k]`` of ``hist`` (totals ``node_g[k]``,
    ``node_h[k]``): ``histogram_tree.best_splits`` in one pass per cell.

    The running sums are not restarted at zero but, as in the NumPy version, continued over the
    whole bin axis and reduced by the sum carried into each feature, so every left sum is the
    same float; ties keep the first (feature, bin), as ``np.argmax`` does.
    """
    n_nodes = nodes.shape[0]
    best = np.zeros(n_nodes, dtype=np.int64)
    gain = np.empty(n_nodes)
    for k in range(n_nodes):
        node = nodes[k]
        total_g = node_g[k]
        total_h = node_h[k]
        running_g = 0.0
        running_h = 0.0
        best_score = -np.inf
        best_bin = 0
        for f in range(starts.shape[0]):
            carried_g = running_g
            carried_h = running_h
            for t in range(starts[f], starts[f] + sizes[f]):
                running_g += hist[node, t, 0]
                running_h += hist[node, t, 1]
                left_g = running_g - carried_g
                left_h = running_h - carried_h
                right_h = total_h - left_h
                if not allowed[t] or left_h < min_child_weight or right_h < min_child_weight:
                    continue
                right_g = total_g - left_g
                if reg_lambda != 0:
                    left_h += reg_lambda
                    right_h += reg_lambda
                score = (left_g * left_g) / left_h
                score += (right_g * right_g) / right_h
                if score > best_score or (score != score and best_score == best_score):
                    best_score = score  # a NaN wins and stays, as in np.argmax
                    best_bin = t
        best[k] = best_bin
        gain[k] = 0.5 * (best_score - total_g**2 / (total_h + reg_lambda))
    return best, gain


@njit
def advance(local_codes, rows, row_node, splits, split_rank, split_feature, split_bin,
            level_ids, leaf_of_row):  # fmt: skip
    """Settle the rows of nodes that stay leaves; send the others to their child.

    Writes ``leaf_of_row`` for the settled rows and returns the open rows (in order) with the
    index of their child within the next level, ``2 * split_rank + (code > split bin)``, where
    ``local_codes`` and ``split_bin`` count bins within each feature (column-major codes: a
    node's rows read one column in ascending order).
    """
    n_open = 0
    for i in range(rows.shape[0]):
        n_open += splits[row_node[i]]
    open_rows = np.empty(n_open, dtype=rows.dtype)
    child = np.empty(n_open, dtype=row_node.dtype)
    n_open = 0
    for i in range(rows.shape[0]):
        node = row_node[i]
        row = rows[i]
        if splits[node]:
            goes_right = local_codes[row, split_feature[node]] > split_bin[node]
            open_rows[n_open] = row
            child[n_open] = 2 * split_rank[node] + goes_right
            n_open += 1
        else:
            leaf_of_row[row] = level_ids[node]
    return open_rows, child


@njit
def children_by_subtraction(local_codes, starts, rows, row_node, small_is_right, hist, parents,
                            gradient, hessian):  # fmt: skip
    """Histograms of the children (2k, 2k+1) of each parent ``hist[parents[k]]``: the smaller
    child summed over its rows, the larger one parent minus smaller (the NumPy version's
    ``np.subtract``)."""
    n_parents, n_bins = parents.shape[0], hist.shape[1]
    n_small = 0
    for i in range(rows.shape[0]):
        n_small += (row_node[i] % 2) == small_is_right[row_node[i] // 2]
    small_rows = np.empty(n_small, dtype=rows.dtype)
    small_parent = np.empty(n_small, dtype=row_node.dtype)
    n_small = 0
    for i in range(rows.shape[0]):
        if (row_node[i] % 2) == small_is_right[row_node[i] // 2]:
            small_rows[n_small] = rows[i]
            small_parent[n_small] = row_node[i] // 2
            n_small += 1
    small_child = 2 * np.arange(n_parents) + small_is_right
    children = np.empty((2 * n_parents, n_bins, 2))
    for k in range(n_parents):
        children[small_child[k]] = 0.0
    _add_rows(children, local_codes, starts, small_rows, small_parent, small_child, gradient,
              hessian)  # fmt: skip
    for k in range(n_parents):
        small = small_child[k]
        large = 2 * k + 1 - small_is_right[k]
        parent = parents[k]
        for t in range(n_bins):
            for s in range(2):
                children[large, t, s] = hist[parent, t, s] - children[small, t, s]
    return children
