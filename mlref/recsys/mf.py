r"""Matrix factorization for explicit ratings ("SVD" in the Netflix Prize sense), fitted by ALS.

Only the observed ratings :math:`\mathcal K` enter the loss:

.. math::

    \min_{b, X, Y} \sum_{(u, i) \in \mathcal K}
        \big(r_{ui} - \mu - b_u - b_i - x_u^\top y_i\big)^2
        + \lambda \Big(\sum_u \lVert x_u\rVert^2 + b_u^2 + \sum_i \lVert y_i\rVert^2 + b_i^2\Big).

This is *not* the singular value decomposition of the rating matrix: an SVD needs every cell, and
filling the missing ones with zeros (what ``scipy.sparse.linalg.svds`` does with a sparse matrix)
asks the model to predict a rating of 0 for every film a user did not rate. The two agree only
when every cell is observed and :math:`\lambda = 0`, where the best rank-:math:`f` fit is the
truncated SVD (Eckart–Young); ``tests/test_recsys_mf.py`` checks exactly that.

Each half-step is a ridge regression per user (or item) with a bias column appended: user
:math:`u` solves for :math:`(x_u, b_u)` against item vectors :math:`(y_i, 1)` and targets
:math:`r_{ui} - \mu - b_i`, by the row-wise conjugate gradient shared with implicit ALS
(:func:`mlref.recsys.als.solve_rows_cg`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from mlref._validation import check_bool, check_positive_int, check_random_state, check_real
from mlref.recsys._base import MatrixRecommender, check_user_items
from mlref.recsys.als import _solve_rows_cg

__all__ = ["ExplicitMF"]


class ExplicitMF(MatrixRecommender):
    r"""Biased matrix factorization of explicit ratings, :math:`\hat r_{ui} = \mu + b_u + b_i +
    x_u^\top y_i`, fitted by alternating least squares on the observed ratings only.

    Parameters
    ----------
    factors : int, default 32
        Dimension :math:`f` of the user and item factors.
    regularization : float, default 10.0
        :math:`\lambda` on factors and biases (the loss is a sum over ratings, so it is not
        divided by their number).
    iterations : int, default 15
        ALS sweeps (users, then items).
    cg_steps : int, default 5
        Conjugate-gradient steps per solve; ``factors + 1`` or more solves each ridge exactly.
    biases : bool, default True
        Fit :math:`\mu`, :math:`b_u` and :math:`b_i`; False fits :math:`x_u^\top y_i` alone.
    random_state : int, Generator or None, default None
        Seeds the initial factors, :math:`\mathcal N(0, 0.1^2)`.

    Attributes
    ----------
    mean_ : float
        :math:`\mu`, the mean training rating (0 when ``biases=False``).
    user_bias_, item_bias_ : numpy.ndarray
    user_factors_, item_factors_ : numpy.ndarray
    user_items_ : scipy.sparse.csr_matrix
    n_users_, n_items_ : int

    Examples
    --------
    >>> R = sp.csr_matrix(np.array([[5.0, 4.0, 0.0], [4.0, 0.0, 1.0], [1.0, 2.0, 5.0]]))
    >>> model = ExplicitMF(factors=2, regularization=0.1, random_state=0).fit(R)
    >>> float(model.predict([0], [0])[0]) > 4
    True
    """

    def __init__(
        self,
        *,
        factors: int = 32,
        regularization: float = 10.0,
        iterations: int = 15,
        cg_steps: int = 5,
        biases: bool = True,
        random_state=None,
    ):
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations
        self.cg_steps = cg_steps
        self.biases = biases
        self.random_state = random_state

    def fit(self, user_items, y=None) -> ExplicitMF:
        """Fit on a user × item matrix whose stored cells are the ratings.

        Parameters
        ----------
        user_items : scipy.sparse matrix of shape (n_users, n_items)
            Ratings on the observed cells (any real value; a stored 0 is dropped, so shift a
            scale that contains 0).
        y : ignored
        """
        f = check_positive_int(self.factors, "factors")
        iterations = check_positive_int(self.iterations, "iterations")
        cg_steps = check_positive_int(self.cg_steps, "cg_steps")
        lam = check_real(self.regularization, "regularization", low=0.0)
        biases = check_bool(self.biases, "biases")
        matrix = check_user_items(user_items, nonnegative=False)
        matrix_t = matrix.T.tocsr()
        matrix_t.sort_indices()
        rng = check_random_state(self.random_state)
        n_users, n_items = matrix.shape
        width = f + 1 if biases else f
        # the last column holds the bias when biases=True; the other side's last column is 1
        X = rng.normal(0.0, 0.1, size=(n_users, width))
        Y = rng.normal(0.0, 0.1, size=(n_items, width))
        mean = float(matrix.data.mean()) if biases else 0.0
        if biases:
            X[:, -1] = 0.0
            Y[:, -1] = 0.0
        gram = lam * np.eye(width)
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(iterations):
                X = self._half_step(matrix, X, Y, mean, gram, cg_steps, biases)
                Y = self._half_step(matrix_t, Y, X, mean, gram, cg_steps, biases)
        if not (np.isfinite(X).all() and np.isfinite(Y).all()):
            raise ValueError(
                "the factorization overflowed to NaN or infinite factors; user_items holds "
                "ratings too large for it (scale them down)"
            )
        self.mean_ = mean
        self.user_factors_ = X[:, :f].copy()
        self.item_factors_ = Y[:, :f].copy()
        self.user_bias_ = X[:, -1].copy() if biases else np.zeros(n_users)
        self.item_bias_ = Y[:, -1].copy() if biases else np.zeros(n_items)
        self.user_items_ = matrix
        self.n_users_, self.n_items_ = matrix.shape
        return self

    @staticmethod
    def _half_step(matrix, X, Y, mean, gram, cg_steps, biases):
        """Solve every row of ``X`` given ``Y`` (the bias trick: other side's last column = 1)."""
        other = Y.copy()
        target = matrix.data - mean
        if biases:
            target = target - Y[matrix.indices, -1]
            other[:, -1] = 1.0
        targets = sp.csr_matrix((target, matrix.indices, matrix.indptr), matrix.shape) @ other
        return _solve_rows_cg(gram, np.ones(matrix.nnz), matrix, targets, X, other, cg_steps)

    def predict(self, users, items) -> np.ndarray:
        r"""Predicted ratings :math:`\hat r_{ui}` for the pairs ``(users[n], items[n])``."""
        users = self._check_users(users)
        items = self._check_items(items)
        if users.size != items.size:
            raise ValueError(
                f"users and items must have the same length, got {users.size} and {items.size}"
            )
        return (
            self.mean_
            + self.user_bias_[users]
            + self.item_bias_[items]
            + np.einsum("ij,ij->i", self.user_factors_[users], self.item_factors_[items])
        )

    def _scores(self, users: np.ndarray) -> np.ndarray:
        return (
            self.mean_
            + self.user_bias_[users, None]
            + self.item_bias_[None, :]
            + self.user_factors_[users] @ self.item_factors_.T
        )
