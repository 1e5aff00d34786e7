"""The popularity baseline on a user × item matrix: every user gets the most-interacted items."""

from __future__ import annotations

import numpy as np

from mlref.recsys._base import MatrixRecommender, check_user_items

__all__ = ["Popularity"]


class Popularity(MatrixRecommender):
    """Score of an item = number of users who interacted with it in training (same for everyone).

    Attributes
    ----------
    item_counts_ : numpy.ndarray of int64 of shape (n_items,)
    user_items_ : scipy.sparse.csr_matrix
    n_users_, n_items_ : int

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> R = sp.csr_matrix([[1, 1, 0], [0, 1, 0], [0, 1, 1]])
    >>> Popularity().fit(R).recommend([0, 1], k=2).tolist()  # seen items are skipped
    [[2, -1], [0, 2]]
    """

    def fit(self, user_items, y=None) -> Popularity:
        """Count each item's users."""
        matrix = check_user_items(user_items)
        self.item_counts_ = np.diff(matrix.tocsc().indptr).astype(np.int64)
        self.user_items_ = matrix
        self.n_users_, self.n_items_ = matrix.shape
        return self

    def _scores(self, users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.item_counts_.astype(np.float64), (users.size, self.n_items_))
