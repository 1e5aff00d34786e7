r"""Preference pairs within queries: all of them, a uniform sample, and what they cost.

Pairwise rankers (RankNet, LambdaRank, RankSVM) learn from pairs :math:`(i, j)` of documents of
the *same* query with :math:`y_i > y_j`. A query with :math:`n` documents has up to
:math:`n(n-1)/2` of them, so the work grows with the square of the list length
(:func:`count_pairs`); :func:`sample_pairs` draws a fixed budget per query in time linear in the
number of rows, without ever listing all the pairs.
"""

from __future__ import annotations

import numpy as np

from mlref._validation import (
    as_array,
    check_array_1d,
    check_positive_int,
    check_random_state,
    check_real,
)
from mlref.ltr.groups import QueryGroups, check_ranking_data

__all__ = ["all_pairs", "count_pairs", "sample_pairs"]


def count_pairs(group_sizes) -> int:
    r"""Number of document pairs inside queries: the :math:`O(n^2)` cost of pairwise learning.

    .. math::

        \sum_q \binom{n_q}{2} = \sum_q \frac{n_q (n_q - 1)}{2}

    It is the number of preference pairs when all labels of a query differ, and an upper bound
    otherwise (pairs with equal labels carry no preference).

    Parameters
    ----------
    group_sizes : int or array-like of int
        Number of documents of each query (e.g. ``np.unique(group, return_counts=True)[1]``).

    Returns
    -------
    int

    Examples
    --------
    >>> count_pairs([10, 10])  # two lists of 10
    90
    >>> count_pairs(20)  # the same 20 documents in one list: twice as many pairs
    190
    """
    sizes = check_array_1d(
        np.atleast_1d(as_array(group_sizes, "group_sizes", None)), "group_sizes", dtype=np.int64
    )
    if (sizes < 0).any():
        raise ValueError("group_sizes must hold non-negative document counts")
    return int(np.sum(sizes * (sizes - 1) // 2))


def all_pairs(y, group) -> tuple[np.ndarray, np.ndarray]:
    """Every within-query pair ``(i, j)`` with ``y[i] > y[j]``, as row indices of the input.

    Parameters
    ----------
    y : array-like of shape (n_rows,)
        Non-negative relevance grades.
    group : array-like of shape (n_rows,)
        Query id of each row (any order).

    Returns
    -------
    i, j : ndarray of int
        Row indices; ``i`` is the more relevant document. Grouped by query (sorted query id).

    Examples
    --------
    >>> i, j = all_pairs([2, 0, 1, 1, 0], group=["a", "a", "a", "b", "b"])
    >>> sorted(zip(i.tolist(), j.tolist()))
    [(0, 1), (0, 2), (2, 1), (3, 4)]
    """
    y, groups = _check_labels(y, group)
    i, j = groups.pairs(y[groups.order])
    return groups.order[i], groups.order[j]


def sample_pairs(y, group, *, n_per_query=None, ratio=None, random_state=None):
    r"""Draw preference pairs uniformly within each query, without listing them all.

    Exactly one of ``n_per_query`` and ``ratio`` sets the budget :math:`m_q` of query
    :math:`q`, which has :math:`P_q` preference pairs:
    :math:`m_q = n` (``n_per_query``) or :math:`m_q = \lceil \text{ratio} \cdot P_q \rceil`,
    and 0 when :math:`P_q = 0`. Each draw is uniform over the query's pairs, with replacement.

    Parameters
    ----------
    y : array-like of shape (n_rows,)
        Non-negative relevance grades.
    group : array-like of shape (n_rows,)
        Query id of each row (any order).
    n_per_query : int >= 1, optional
        Pairs drawn per query (queries then weigh equally, whatever their length).
    ratio : float in (0, 1], optional
        Fraction of each query's pairs (keeps the all-pairs weighting, long lists count more).
    random_state : int, numpy.random.Generator or None, default=None

    Returns
    -------
    i, j : ndarray of int
        Row indices with ``y[i] > y[j]`` in the same query, grouped by sorted query id.

    Notes
    -----
    Sort each query's documents by increasing label. Document :math:`p` beats exactly the
    :math:`c_p` documents with a smaller label, which form a contiguous prefix of its query, so
    the query's pairs are numbered :math:`0..P_q-1` by the cumulative sum of :math:`c_p`: pair
    number :math:`u` is document :math:`p` (found by binary search in the cumulative sums)
    against the :math:`t`-th document of the prefix, :math:`t = u - \sum_{p' < p} c_{p'}`.
    Drawing :math:`u` uniformly is drawing a pair uniformly. The cost is
    :math:`O(N \log N + \sum_q m_q)` for :math:`N` rows, against :math:`O(\sum_q n_q^2)` for
    enumerating (:func:`all_pairs`).

    With replacement, a query with few pairs may repeat one; the sample stays an unbiased
    estimate of the per-query mean of any pairwise loss.

    Examples
    --------
    >>> i, j = sample_pairs([2, 0, 1, 1, 0], ["a", "a", "a", "b", "b"], n_per_query=2,
    ...                     random_state=0)
    >>> len(i), bool((np.array([2, 0, 1, 1, 0])[i] > np.array([2, 0, 1, 1, 0])[j]).all())
    (4, True)
    """
    y, groups = _check_labels(y, group)
    if (n_per_query is None) == (ratio is None):
        raise ValueError("pass exactly one of n_per_query (pairs per query) and ratio")
    if n_per_query is not None:
        n_per_query = check_positive_int(n_per_query, "n_per_query")
    else:
        ratio = _check_ratio(ratio)
    rng = check_random_state(random_state)
    i, j = sample_sorted_pairs(y[groups.order], groups, rng, n_per_query=n_per_query, ratio=ratio)
    return groups.order[i], groups.order[j]


def sample_sorted_pairs(
    y_sorted: np.ndarray,
    groups: QueryGroups,
    rng: np.random.Generator,
    *,
    n_per_query: int | None = None,
    ratio: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`sample_pairs` on rows already in the sorted order of ``groups`` (no validation).

    Returns sorted-row indices, like :meth:`QueryGroups.pairs`; used by the pairwise rankers.
    """
    by_label = np.lexsort((y_sorted, groups.position))
    labels = y_sorted[by_label]
    query_start = groups.starts[groups.position]
    index = np.arange(len(labels))
    new_block = np.ones(len(labels), dtype=bool)
    new_block[1:] = (labels[1:] != labels[:-1]) | (groups.position[1:] != groups.position[:-1])
    block_start = np.maximum.accumulate(np.where(new_block, index, 0))
    n_lower = block_start - query_start
    cum_after = np.cumsum(n_lower)
    cum_before = cum_after - n_lower
    n_pairs = groups.sum(n_lower.astype(np.float64)).astype(np.int64)
    if n_per_query is not None:
        budget = np.where(n_pairs > 0, n_per_query, 0)
    else:
        budget = np.ceil(ratio * n_pairs).astype(np.int64)
    query_of_draw = np.repeat(np.arange(groups.n_queries), budget)
    offset = cum_before[groups.starts]
    u = offset[query_of_draw] + rng.integers(0, np.maximum(n_pairs, 1)[query_of_draw])
    p = np.searchsorted(cum_after, u, side="right")
    t = u - cum_before[p]
    return by_label[p], by_label[groups.starts[query_of_draw] + t]


def _check_labels(y, group) -> tuple[np.ndarray, QueryGroups]:
    y = check_array_1d(y, "y")
    _, y, groups = check_ranking_data(np.zeros((len(y), 1)), y, group)
    return y, groups


def _check_ratio(ratio) -> float:
    return check_real(ratio, "ratio", low=0, high=1, low_inclusive=False)
