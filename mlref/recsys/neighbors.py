r"""Neighbourhood collaborative filtering: item–item and user–user cosine with shrinkage.

Two items are similar when the same users interacted with both. With :math:`r_i` the column of
item :math:`i` in the user × item matrix,

.. math::

    s(i, j) = \frac{r_i^\top r_j}{\lVert r_i\rVert\, \lVert r_j\rVert + \lambda},

where the *shrinkage* :math:`\lambda \ge 0` pulls similarities computed from few co-occurrences
towards 0 (Koren 2008: two films liked by the same two users look identical at
:math:`\lambda = 0`). Each item keeps only its ``k`` most similar items, which makes the model a
sparse item × item matrix :math:`S`, and a user's score of item :math:`j` adds up the similarities
to the items they already have: :math:`\hat r_{u} = r_u S`. User–user CF is the same on the
transposed matrix: a user's neighbours vote with their items, :math:`\hat r_{u} = S_u R`.

Everything stays sparse: similarities are computed in blocks of rows, and only ``k`` per row are
kept, so memory is :math:`O(n k)`, never :math:`O(n^2)`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from mlref._validation import check_positive_int, check_real
from mlref.recsys._base import MatrixRecommender, check_user_items

__all__ = ["ItemKNN", "UserKNN", "top_k_cosine_neighbors"]

_BLOCK_CELLS = 2**23  # rows per block are chosen so a dense block would hold this many cells


def top_k_cosine_neighbors(vectors, k: int, *, shrinkage: float = 0.0) -> sp.csr_matrix:
    r"""Each row's ``k`` most similar other rows by shrunk cosine, as a sparse matrix.

    Parameters
    ----------
    vectors : scipy.sparse matrix of shape (n, d)
        One row per entity (an item's users, or a user's items).
    k : int
        Neighbours kept per row (fewer when fewer rows have a non-zero similarity).
    shrinkage : float, default 0
        :math:`\lambda` in :math:`s = r_i^\top r_j / (\lVert r_i\rVert \lVert r_j\rVert + \lambda)`.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n, n)
        Row ``i`` stores :math:`s(i, j)` for its ``k`` neighbours ``j`` (never ``i`` itself, never a
        similarity of 0). Ties at the ``k``-th place are broken by the smaller index.

    Examples
    --------
    >>> V = sp.csr_matrix([[1, 1, 0], [1, 1, 0], [0, 1, 1]])
    >>> top_k_cosine_neighbors(V, 1).toarray().round(2).tolist()  # row 2: tie 0.5, smaller index
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.5, 0.0, 0.0]]
    """
    k = check_positive_int(k, "k")
    shrinkage = check_real(shrinkage, "shrinkage", low=0.0)
    matrix = check_user_items(vectors, "vectors")
    n = matrix.shape[0]
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    matrix_t = matrix.T.tocsc()
    keep = min(k, n - 1)
    if keep == 0:
        return sp.csr_matrix((n, n))
    block = max(1, _BLOCK_CELLS // n)
    rows, cols, vals = [], [], []
    for start in range(0, n, block):
        stop = min(start + block, n)
        # only co-occurring pairs have a non-zero similarity: work on the sparse product
        dots = (matrix[start:stop] @ matrix_t).tocoo()
        r, c = dots.row + start, dots.col
        sims = dots.data / (norms[r] * norms[c] + shrinkage)
        ok = (r != c) & (sims > 0)
        r, c, sims = r[ok], c[ok], sims[ok]
        # per row: largest similarity first, ties by the smaller neighbour index
        order = np.lexsort((c, -sims, r))
        r, c, sims = r[order], c[order], sims[order]
        first = np.searchsorted(r, r, side="left")
        chosen = np.arange(r.size) - first < keep
        rows.append(r[chosen])
        cols.append(c[chosen])
        vals.append(sims[chosen])
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )


class _KNN(MatrixRecommender):
    def __init__(self, *, k: int = 50, shrinkage: float = 0.0):
        self.k = k
        self.shrinkage = shrinkage

    def _prepare(self, user_items) -> sp.csr_matrix:
        check_positive_int(self.k, "k")
        check_real(self.shrinkage, "shrinkage", low=0.0)
        matrix = check_user_items(user_items)
        self.user_items_ = matrix
        self.n_users_, self.n_items_ = matrix.shape
        return matrix


class ItemKNN(_KNN):
    r"""Item–item collaborative filtering: score :math:`\hat r_u = r_u S` with :math:`S` the top-k
    shrunk cosine similarities between item columns.

    Parameters
    ----------
    k : int, default 50
        Neighbours kept per item.
    shrinkage : float, default 0
        :math:`\lambda` of :func:`top_k_cosine_neighbors`.

    Attributes
    ----------
    similarity_ : scipy.sparse.csr_matrix of shape (n_items, n_items)
        Row ``i``: item ``i``'s neighbours and similarities.
    user_items_ : scipy.sparse.csr_matrix
    n_users_, n_items_ : int

    Examples
    --------
    >>> R = sp.csr_matrix([[1, 1, 0], [1, 1, 0], [0, 1, 1]])
    >>> ItemKNN(k=1).fit(R).recommend([2], k=1).tolist()
    [[0]]
    """

    def fit(self, user_items, y=None) -> ItemKNN:
        """Compute the item neighbourhoods from a user × item matrix."""
        matrix = self._prepare(user_items)
        self.similarity_ = top_k_cosine_neighbors(matrix.T, self.k, shrinkage=self.shrinkage)
        return self

    def _scores(self, users: np.ndarray) -> np.ndarray:
        return (self.user_items_[users] @ self.similarity_).toarray()


class UserKNN(_KNN):
    r"""User–user collaborative filtering: :math:`\hat r_u = \sum_{v \in N_k(u)} s(u, v)\, r_v`.

    Parameters
    ----------
    k : int, default 50
        Neighbours kept per user.
    shrinkage : float, default 0
        :math:`\lambda` of :func:`top_k_cosine_neighbors`.

    Attributes
    ----------
    similarity_ : scipy.sparse.csr_matrix of shape (n_users, n_users)
    user_items_ : scipy.sparse.csr_matrix
    n_users_, n_items_ : int

    Examples
    --------
    >>> R = sp.csr_matrix([[1, 1, 0], [1, 1, 1], [0, 0, 1]])
    >>> UserKNN(k=1).fit(R).recommend([0], k=1).tolist()
    [[2]]
    """

    def fit(self, user_items, y=None) -> UserKNN:
        """Compute the user neighbourhoods from a user × item matrix."""
        matrix = self._prepare(user_items)
        self.similarity_ = top_k_cosine_neighbors(matrix, self.k, shrinkage=self.shrinkage)
        return self

    def _scores(self, users: np.ndarray) -> np.ndarray:
        return (self.similarity_[users] @ self.user_items_).toarray()
