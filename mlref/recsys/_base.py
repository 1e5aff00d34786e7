"""What every recommender of :mod:`mlref.recsys` shares: the user × item matrix and top-k lists.

The models follow the layout of the ``implicit`` library: ``fit`` takes a ``scipy.sparse`` matrix
with one row per user and one column per item (a rating, a count or a 1 where the user
interacted with the item, nothing stored elsewhere), users and items are integer positions
``0..n-1``, and ``recommend(users, k)`` returns each user's ``k`` best item ids, best first,
skipping what the user saw in training. No model ever builds a dense user × item matrix of the
training data; only :meth:`score_items` returns dense scores, for the users asked about.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from mlref._validation import as_array, check_array_1d, check_bool, check_positive_int
from mlref.metrics.retrieval import top_k_items

__all__ = ["check_user_items", "interaction_matrix"]


def check_user_items(
    user_items, name: str = "user_items", *, nonnegative: bool = True
) -> sp.csr_matrix:
    """Return ``user_items`` as a float64 CSR matrix with finite (by default non-negative) values.

    Duplicate entries are summed, explicit zeros dropped and column indices sorted.

    Raises
    ------
    ValueError
        If it is not a 2-D ``scipy.sparse`` matrix (a dense array would hide which cells are
        unobserved), has no rows, no columns or no stored interaction, or stores NaN, inf
        or (when ``nonnegative``) a negative value.

    Examples
    --------
    >>> m = check_user_items(sp.csr_matrix([[0, 2], [1, 0]]))
    >>> m.shape, m.nnz
    ((2, 2), 2)
    """
    nonnegative = check_bool(nonnegative, "nonnegative")
    if not sp.issparse(user_items):
        raise ValueError(
            f"{name} must be a scipy.sparse user x item matrix (e.g. csr_matrix((values, "
            f"(users, items)))), got {type(user_items).__name__}; a dense array cannot tell an "
            "unobserved cell from a zero"
        )
    matrix = sp.csr_matrix(user_items, dtype=np.float64, copy=True)
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise ValueError(f"{name} has shape {matrix.shape}; pass at least one user and one item")
    matrix.sum_duplicates()
    if not np.isfinite(matrix.data).all():
        bad = int((~np.isfinite(matrix.data)).sum())
        raise ValueError(f"{name} stores {bad} NaN or infinite value(s); drop those interactions")
    if nonnegative and (matrix.data < 0).any():
        raise ValueError(
            f"{name} stores negative values (min {matrix.data.min():g}); pass non-negative "
            "ratings, counts or 1s"
        )
    matrix.eliminate_zeros()
    if matrix.nnz == 0:
        raise ValueError(f"{name} stores no interaction (every row is empty); nothing to learn")
    matrix.sort_indices()
    return matrix


def interaction_matrix(users, items, values=None, *, n_users: int, n_items: int) -> sp.csr_matrix:
    """Build the user × item CSR matrix from an interaction log (repeated pairs are summed).

    Parameters
    ----------
    users, items : array-like of int of shape (n_events,)
        Positions ``0..n_users-1`` and ``0..n_items-1`` (encode raw ids first, e.g. with
        :func:`pandas.factorize`).
    values : array-like of float of shape (n_events,), optional
        Rating or weight of each event; default 1.
    n_users, n_items : int
        Matrix shape, so that users or items without events keep their row or column.

    Examples
    --------
    >>> interaction_matrix([0, 0, 1], [2, 2, 0], n_users=2, n_items=3).toarray().tolist()
    [[0.0, 0.0, 2.0], [1.0, 0.0, 0.0]]
    """
    n_users = check_positive_int(n_users, "n_users")
    n_items = check_positive_int(n_items, "n_items")
    users = _check_ids(users, "users")
    items = _check_ids(items, "items")
    values = np.ones(users.size) if values is None else check_array_1d(values, "values")
    if not users.size == items.size == values.size:
        raise ValueError(
            f"users, items and values must have the same length, got {users.size}, "
            f"{items.size} and {values.size}"
        )
    for ids, n, name in ((users, n_users, "users"), (items, n_items, "items")):
        if ids.min() < 0 or ids.max() >= n:
            raise ValueError(
                f"{name} must lie in [0, {n - 1}] (n_{name}={n}), got {ids.min()}..{ids.max()}"
            )
    return sp.csr_matrix((values, (users, items)), shape=(n_users, n_items))


def _check_ids(ids, name: str) -> np.ndarray:
    """A 1-D int64 array of ids (a scalar becomes one id; booleans, a likely mask, are refused)."""
    arr = as_array(ids, name, None)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.dtype == bool:
        raise ValueError(
            f"{name} must be integer ids, got booleans; for a mask pass np.flatnonzero(mask)"
        )
    return check_array_1d(arr, name, dtype=np.int64)


class MatrixRecommender(BaseEstimator):
    """Base class: fitted on a user × item matrix; scores items and returns top-k lists.

    A subclass sets ``n_users_``, ``n_items_`` and ``user_items_`` (the training matrix, used to
    skip seen items) in ``fit`` and implements ``_scores(users)`` (dense scores of those users
    over every item).
    """

    def _check_fitted(self) -> None:
        check_is_fitted(self, "user_items_")

    def _check_users(self, users) -> np.ndarray:
        self._check_fitted()
        if users is None:
            return np.arange(self.n_users_)
        ids = _check_ids(users, "users")
        if ids.min() < 0 or ids.max() >= self.n_users_:
            bad = ids.max() if ids.max() >= self.n_users_ else ids.min()
            raise ValueError(
                f"users holds id {bad} but the model was fitted on users "
                f"0..{self.n_users_ - 1}; unknown users need a cold-start model (e.g. popularity)"
            )
        return ids

    def _check_items(self, items) -> np.ndarray:
        ids = _check_ids(items, "items")
        if ids.min() < 0 or ids.max() >= self.n_items_:
            raise ValueError(
                f"items must lie in 0..{self.n_items_ - 1} (the items seen at fit time), got "
                f"{ids.min()}..{ids.max()}"
            )
        return ids

    def score_items(self, users=None) -> np.ndarray:
        """Scores of every item for ``users`` (default: all), shape ``(len(users), n_items_)``."""
        return self._scores(self._check_users(users))

    def recommend(self, users=None, k: int = 10, *, exclude="train") -> np.ndarray:
        """Top ``k`` item ids per user, best first, ties broken by the smaller item id.

        Parameters
        ----------
        users : array-like of int, optional
            User positions; default every user ``0..n_users_-1``.
        k : int, default 10
        exclude : None, "train" or sparse matrix of shape (len(users), n_items_), default "train"
            Items never to recommend: none, the user's training items, or a 0/1 matrix (row
            ``r`` for ``users[r]``; every non-zero cell is excluded).

        Returns
        -------
        numpy.ndarray of int64, shape (len(users), k)
            ``-1`` pads a row when fewer than ``k`` items are left.
        """
        users = self._check_users(users)
        k = check_positive_int(k, "k")
        if isinstance(exclude, str):
            if exclude != "train":
                raise ValueError(f"exclude must be None, 'train' or a matrix, got {exclude!r}")
            exclude = self.user_items_[users]
        elif exclude is not None:
            dense = None if sp.issparse(exclude) else as_array(exclude, "exclude", np.float64)
            exclude = sp.csr_matrix(exclude if dense is None else dense)
            if exclude.shape != (users.size, self.n_items_):
                raise ValueError(
                    f"exclude must have shape (len(users), n_items_) = "
                    f"{(users.size, self.n_items_)}, got {exclude.shape}"
                )
            if not np.isfinite(exclude.data).all():
                raise ValueError("exclude holds NaN or infinite values; pass a 0/1 matrix")
        return top_k_items(self._scores(users), k, exclude=exclude)
