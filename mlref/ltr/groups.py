"""Ragged query groups: the bookkeeping every ranker shares.

A learning-to-rank data set is a flat table of (query, document) rows with a query id per row, in
any order. :class:`QueryGroups` sorts the rows by query once and keeps the boundaries, so that
per-query operations (softmax over a list, sums, pair enumeration) are single vectorised NumPy
calls over all queries at once, never a Python loop over queries.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlref._validation import as_array, check_array_1d, check_array_2d, check_same_length


@dataclass(frozen=True)
class QueryGroups:
    """Rows grouped by query id.

    Attributes
    ----------
    order : ndarray of shape (n_rows,)
        Stable permutation that sorts the rows by query id (``rows[order]`` is grouped).
    starts : ndarray of shape (n_queries,)
        Start of each query in the sorted order.
    sizes : ndarray of shape (n_queries,)
        Number of rows of each query.
    ids : ndarray of shape (n_queries,)
        The query ids, sorted.
    position : ndarray of shape (n_rows,)
        For each *sorted* row, the index of its query (0..n_queries-1).
    """

    order: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray
    ids: np.ndarray
    position: np.ndarray

    @classmethod
    def from_ids(cls, group) -> "QueryGroups":
        """Group rows by the query id of each row (ints or strings, any order)."""
        ids = as_array(group, "group", None)
        if ids.ndim != 1 or ids.size == 0:
            raise ValueError(
                f"group must be a non-empty 1-D array with one query id per row, got shape "
                f"{ids.shape}"
            )
        if pd.isna(ids).any():
            raise ValueError("group holds missing query ids; give every row its query id")
        codes, uniques = pd.factorize(ids, sort=True)
        order = np.argsort(codes, kind="stable")
        sizes = np.bincount(codes, minlength=len(uniques))
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        return cls(
            order=order,
            starts=starts,
            sizes=sizes,
            ids=np.asarray(uniques),
            position=np.repeat(np.arange(len(uniques)), sizes),
        )

    @property
    def n_queries(self) -> int:
        return len(self.sizes)

    def sum(self, values_sorted: np.ndarray) -> np.ndarray:
        """Per-query sum of values given in sorted row order."""
        return np.bincount(self.position, weights=values_sorted, minlength=self.n_queries)

    def max(self, values_sorted: np.ndarray) -> np.ndarray:
        """Per-query maximum of values given in sorted row order."""
        return np.maximum.reduceat(values_sorted, self.starts)

    def softmax(self, scores_sorted: np.ndarray) -> np.ndarray:
        """Softmax of the scores within each query (sorted row order), computed stably."""
        shifted = scores_sorted - self.max(scores_sorted)[self.position]
        exp = np.exp(shifted)
        return exp / self.sum(exp)[self.position]

    def pairs(self, y_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All within-query pairs (i, j) with ``y[i] > y[j]``, as sorted-row indices.

        The number of pairs grows with the square of the list length: a query with n documents
        has up to n(n-1)/2 of them.
        """
        n_pairs = self.sizes * self.sizes
        first = np.repeat(self.starts, n_pairs)
        offset = np.arange(n_pairs.sum()) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
        sizes = np.repeat(self.sizes, n_pairs)
        i = first + offset // sizes
        j = first + offset % sizes
        keep = y_sorted[i] > y_sorted[j]
        return i[keep], j[keep]


def check_ranking_data(X, y, group) -> tuple[np.ndarray, np.ndarray, QueryGroups]:
    """Validate a learning-to-rank training set.

    Returns
    -------
    X : ndarray of shape (n_rows, n_features), float64
    y : ndarray of shape (n_rows,), float64, non-negative graded relevance
    groups : QueryGroups
    """
    X = check_array_2d(X, "X")
    y = check_array_1d(y, "y")
    groups = QueryGroups.from_ids(group)
    check_same_length(X=X, y=y, group=groups.order)
    if (y < 0).any():
        raise ValueError("y must hold non-negative relevance grades (0 = irrelevant)")
    return X, y, groups
