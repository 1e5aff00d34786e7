"""LambdaRank / LambdaMART gradients: pairwise logistic gradients weighted by |ΔNDCG|.

A "lambda" is the force that pushes a more relevant document above a less relevant one of the
same query. It is the gradient of a pairwise logistic loss, scaled by how much NDCG would change
if the two documents swapped places in the current ranking, so that pairs near the top of the
list matter most. Everything here works on rows sorted by query (the order of
:class:`~mlref.ltr.groups.QueryGroups`), vectorised over all pairs of all queries at once.
"""

import numpy as np
from scipy.special import expit

from mlref._compiled import compiled_enabled
from mlref._validation import (
    as_array,
    check_array_1d,
    check_positive_int,
    check_real,
    check_same_length,
)
from mlref.ltr import _lambda_kernels as kernels
from mlref.ltr.groups import QueryGroups
from mlref.metrics.ranking import exponential_gain


def _check_inputs(y_sorted, scores_sorted, groups, k, sigma):
    if not isinstance(groups, QueryGroups):
        raise ValueError(
            f"groups must be a QueryGroups (use QueryGroups.from_ids(group)), "
            f"got {type(groups).__name__}"
        )
    y_sorted = check_array_1d(y_sorted, "y_sorted")
    scores_sorted = check_array_1d(scores_sorted, "scores_sorted")
    check_same_length(y_sorted=y_sorted, scores_sorted=scores_sorted, groups=groups.order)
    if (y_sorted < 0).any():
        raise ValueError("y_sorted must hold non-negative relevance grades (0 = irrelevant)")
    exponential_gain(y_sorted, "y_sorted")  # refuses grades whose gain would overflow
    if k is not None:
        k = check_positive_int(k, "k")
    sigma = check_real(sigma, "sigma", low=0, low_inclusive=False)
    return y_sorted, scores_sorted, k, sigma


def _check_pairs(pairs, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """``pairs`` as two equal-length integer index arrays into the ``n_rows`` sorted rows."""
    if not isinstance(pairs, tuple | list) or len(pairs) != 2:
        raise ValueError(
            "pairs must be a tuple (i, j) of index arrays, as returned by groups.pairs(y_sorted)"
        )
    i, j = (
        as_array(p, name, None) for p, name in zip(pairs, ("pairs[0]", "pairs[1]"), strict=True)
    )
    if i.ndim != 1 or i.shape != j.shape or i.dtype.kind not in "iu" or j.dtype.kind not in "iu":
        raise ValueError(
            f"pairs must be two 1-D integer index arrays of one length, got shapes {i.shape} and "
            f"{j.shape}; pass groups.pairs(y_sorted)"
        )
    if i.size and (min(i.min(), j.min()) < 0 or max(i.max(), j.max()) >= n_rows):
        raise ValueError(
            f"pairs index rows outside [0, {n_rows}); they must come from groups.pairs(y_sorted) "
            "of these rows"
        )
    return i, j


def ranks_within_query(scores_sorted: np.ndarray, groups: QueryGroups) -> np.ndarray:
    """0-based rank of each sorted row inside its query, by decreasing score.

    Ties are broken stably: among equal scores, the row that comes first (in the sorted-row order,
    which keeps the original order of rows within a query) gets the better rank.
    """
    if compiled_enabled():
        return kernels.ranks_within_query(scores_sorted, groups.starts, groups.sizes)
    order = np.lexsort((-scores_sorted, groups.position))
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order)) - groups.starts[groups.position]
    return ranks


def _discount(ranks: np.ndarray) -> np.ndarray:
    return 1.0 / np.log2(ranks + 2.0)


def inverse_ideal_dcg(y_sorted: np.ndarray, groups: QueryGroups, *, k=None) -> np.ndarray:
    """``1 / IDCG@k`` of each query with exponential gain ``2^y - 1``; 0 where IDCG is 0."""
    ideal_ranks = ranks_within_query(y_sorted, groups)
    contribution = exponential_gain(y_sorted, "y_sorted") * _discount(ideal_ranks)
    if k is not None:
        contribution = np.where(ideal_ranks < k, contribution, 0.0)
    idcg = groups.sum(contribution)
    inverse = np.zeros_like(idcg)
    np.divide(1.0, idcg, out=inverse, where=idcg > 0)
    return inverse


def pair_weights_delta_ndcg(y_sorted, scores_sorted, groups: QueryGroups, *, k=None, pairs=None):
    r"""Within-query pairs with ``y_i > y_j`` and their NDCG swap cost ``|ΔNDCG_ij|``.

    .. math::

        |\Delta\mathrm{NDCG}_{ij}| = \frac{|(2^{y_i} - 1) - (2^{y_j} - 1)|
            \cdot |D(r_i) - D(r_j)|}{\mathrm{IDCG}@k}, \qquad D(r) = \frac{1}{\log_2(1 + r)}

    with :math:`r_i` the 1-based rank of document *i* in its query under the current scores.

    Parameters
    ----------
    y_sorted, scores_sorted : array-like of shape (n_rows,)
        Relevance grades and current scores, in the sorted-row order of ``groups``.
    groups : QueryGroups
    k : int or None
        Truncation level. ``None`` keeps every pair and uses the full IDCG.
    pairs : tuple (i, j) or None
        The output of ``groups.pairs(y_sorted)``, to reuse across iterations when only the scores
        change (the pairs depend on the labels alone). ``None`` enumerates them.

    Returns
    -------
    i, j : ndarray of int
        Sorted-row indices of the pairs; document ``i`` is the more relevant one.
    delta : ndarray of float
        ``|ΔNDCG_ij|`` of each pair (0 for pairs of a query whose IDCG is 0).

    Notes
    -----
    Ranks come from the current scores with ties broken stably (the earlier row wins, see
    :func:`ranks_within_query`). With ``k`` set we follow XGBoost's ``topk`` pair method
    (``lambdarank_num_pair_per_sample = k``) and LightGBM's ``lambdarank_truncation_level``:
    a pair is kept when at least one of its two documents is ranked in the top ``k``, its swap
    cost uses the *untruncated* discounts, and it is normalised by IDCG@k. Pairs with both
    documents below rank ``k`` get weight 0 (they are dropped).

    Enumerating the pairs costs :math:`O(\sum_q n_q^2)` time and memory.

    Examples
    --------
    >>> groups = QueryGroups.from_ids([0, 0])
    >>> i, j, delta = pair_weights_delta_ndcg([1.0, 0.0], [0.0, 1.0], groups)
    >>> i.tolist(), j.tolist(), delta.round(4).tolist()
    ([0], [1], [0.3691])
    """
    y_sorted, scores_sorted, k, _ = _check_inputs(y_sorted, scores_sorted, groups, k, 1.0)
    return _pairs_delta_ndcg(y_sorted, scores_sorted, groups, k, pairs)


def _pairs_delta_ndcg(y_sorted, scores_sorted, groups, k, pairs=None):
    i, j = groups.pairs(y_sorted) if pairs is None else _check_pairs(pairs, len(y_sorted))
    ranks = ranks_within_query(scores_sorted, groups)
    if k is not None:
        keep = np.minimum(ranks[i], ranks[j]) < k
        i, j = i[keep], j[keep]
    gain = exponential_gain(y_sorted, "y_sorted")
    discount = _discount(ranks)
    inverse_idcg = inverse_ideal_dcg(y_sorted, groups, k=k)
    delta = (
        np.abs(gain[i] - gain[j])
        * np.abs(discount[i] - discount[j])
        * inverse_idcg[groups.position[i]]
    )
    return i, j, delta


def lambda_gradients(y_sorted, scores_sorted, groups: QueryGroups, *, k=None, sigma=1.0):
    r"""LambdaRank gradient and Hessian diagonal of the implicit NDCG loss w.r.t. each score.

    For every within-query pair with :math:`y_i > y_j`:

    .. math::

        \rho_{ij} = \frac{1}{1 + e^{\sigma (s_i - s_j)}}, \qquad
        \lambda_{ij} = \sigma\, |\Delta\mathrm{NDCG}_{ij}|\, \rho_{ij}

        g_i \mathrel{-}= \lambda_{ij}, \quad g_j \mathrel{+}= \lambda_{ij}, \qquad
        h_i, h_j \mathrel{+}= \sigma^2 |\Delta\mathrm{NDCG}_{ij}|\, \rho_{ij} (1 - \rho_{ij})

    These are exactly the gradient and Hessian diagonal of the LambdaRank pairwise loss

    .. math::

        L(s) = \sum_{y_i > y_j} |\Delta\mathrm{NDCG}_{ij}|\,
            \log\bigl(1 + e^{-\sigma (s_i - s_j)}\bigr)

    with the weights :math:`|\Delta\mathrm{NDCG}_{ij}|` held fixed at the current ranking
    (Burges, "From RankNet to LambdaRank to LambdaMART", 2010).

    Parameters
    ----------
    y_sorted : array-like of shape (n_rows,)
        Non-negative relevance grades, in the sorted-row order of ``groups``.
    scores_sorted : array-like of shape (n_rows,)
        Current model scores, same order.
    groups : QueryGroups
    k : int or None, default None
        Truncation level (see :func:`pair_weights_delta_ndcg`); ``None`` uses all pairs.
    sigma : float, default 1.0
        Steepness :math:`\sigma` of the pairwise logistic.

    Returns
    -------
    gradient : ndarray of shape (n_rows,)
        :math:`\partial L / \partial s`: the gradient of a loss to *minimise*, so it is negative
        for documents that should move up (a boosting step adds ``-gradient / hessian``).
    hessian : ndarray of shape (n_rows,)
        Diagonal of :math:`\partial^2 L / \partial s^2`, non-negative.

    Notes
    -----
    - Sign convention: loss gradient (XGBoost/LightGBM custom-objective convention), the opposite
      of Burges' "lambda" which points uphill on NDCG.
    - Ranks for the swap cost come from the current scores, ties broken stably; the gain is
      exponential, :math:`2^y - 1`, and the discount :math:`1/\log_2(1 + \text{rank})`.
    - Queries whose IDCG is 0 (no relevant document) contribute nothing.
    - Cost: all pairs of all queries are enumerated at once, :math:`O(\sum_q n_q^2)` time and
      memory; no Python loop over queries.

    Examples
    --------
    >>> groups = QueryGroups.from_ids([0, 0])
    >>> gradient, hessian = lambda_gradients([1.0, 0.0], [0.0, 0.0], groups)
    >>> gradient.round(4).tolist(), hessian.round(4).tolist()
    ([-0.1845, 0.1845], [0.0923, 0.0923])
    """
    y_sorted, scores_sorted, k, sigma = _check_inputs(y_sorted, scores_sorted, groups, k, sigma)
    i, j, delta = _pairs_delta_ndcg(y_sorted, scores_sorted, groups, k)
    return lambdas_from_pair_weights(i, j, delta, scores_sorted, sigma=sigma)


def lambdas_from_pair_weights(i, j, weights, scores_sorted, *, sigma=1.0):
    r"""Gradient and Hessian diagonal of a weighted pairwise logistic loss.

    .. math::

        L(s) = \sum_{(i, j)} w_{ij} \log\bigl(1 + e^{-\sigma (s_i - s_j)}\bigr)

    where document ``i`` of each pair should rank above document ``j``. With
    :math:`w_{ij} = |\Delta\mathrm{NDCG}_{ij}|` this is LambdaRank (:func:`lambda_gradients`);
    with :math:`w_{ij} = 1`, RankNet.

    Parameters
    ----------
    i, j : ndarray of int
        Row indices of the pairs (e.g. from :func:`pair_weights_delta_ndcg`).
    weights : ndarray of float
        Non-negative weight of each pair, held fixed.
    scores_sorted : ndarray of shape (n_rows,)
        Current scores; the outputs have the same length.
    sigma : float, default 1.0

    Returns
    -------
    gradient, hessian : ndarray of shape (n_rows,)
        :math:`\partial L/\partial s` and the diagonal of :math:`\partial^2 L/\partial s^2`.

    Examples
    --------
    >>> gradient, hessian = lambdas_from_pair_weights(
    ...     np.array([0]), np.array([1]), np.array([1.0]), np.array([0.0, 0.0]))
    >>> gradient.tolist(), hessian.tolist()
    ([-0.5, 0.5], [0.25, 0.25])
    """
    rho = expit(-sigma * (scores_sorted[i] - scores_sorted[j]))
    lambdas = sigma * weights * rho
    curvature = sigma * sigma * weights * rho * (1.0 - rho)
    n_rows = len(scores_sorted)
    gradient = np.bincount(j, lambdas, n_rows) - np.bincount(i, lambdas, n_rows)
    hessian = np.bincount(i, curvature, n_rows) + np.bincount(j, curvature, n_rows)
    return gradient.astype(float, copy=False), hessian.astype(float, copy=False)
