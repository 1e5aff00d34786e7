"""Compiled loops of the LambdaMART objective (see :mod:`mlref._compiled`).

Both do what their NumPy counterparts in :mod:`mlref.ltr.lambdas` and
:mod:`mlref.ltr.lambdamart` do, with the same floating-point operations in the same order: the
ranks are integers from a stable sort, and the pair loop adds each pair's lambda and curvature
in pair order, as ``np.bincount`` does (tested bit for bit).
"""

import numpy as np

from mlref._compiled import njit


@njit
def ranks_within_query(scores_sorted, starts, sizes):
    """0-based rank of each row inside its query by decreasing score; ties keep row order."""
    ranks = np.empty(scores_sorted.shape[0], dtype=np.int64)
    for q in range(starts.shape[0]):
        start = starts[q]
        order = np.argsort(-scores_sorted[start : start + sizes[q]], kind="mergesort")
        for rank in range(order.shape[0]):
            ranks[start + order[rank]] = rank
    return ranks


@njit
def pair_lambdas(i, j, query, pair_scale, discount, ranks, difference, rho, spread, ndcg_at,
                 n_rows, n_queries):  # fmt: skip
    """Per-row gradient and Hessian sums and per-query lambda sums of the pairs ``(i, j)``.

    ``ndcg_at < 0`` keeps every pair; otherwise only pairs with a document ranked above it.
    """
    down = np.zeros(n_rows)  # lambdas summed where the row is j (pushed down)
    up = np.zeros(n_rows)  # ... where the row is i (pushed up)
    curvature_i = np.zeros(n_rows)
    curvature_j = np.zeros(n_rows)
    lambda_sum = np.zeros(n_queries)
    for p in range(i.shape[0]):
        a = i[p]
        b = j[p]
        if ndcg_at >= 0 and min(ranks[a], ranks[b]) >= ndcg_at:
            continue
        delta = pair_scale[p] * abs(discount[a] - discount[b])
        if spread[query[p]]:
            delta = delta / (abs(difference[p]) + 0.01)
        lam = delta * rho[p]
        curvature = lam * (1.0 - rho[p])
        down[b] += lam
        up[a] += lam
        curvature_i[a] += curvature
        curvature_j[b] += curvature
        lambda_sum[query[p]] += lam
    return down - up, curvature_i + curvature_j, lambda_sum
