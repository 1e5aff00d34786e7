r"""Alternating least squares for implicit feedback (Hu, Koren & Volinsky 2008), solved by
conjugate gradient (Takács, Pilászy & Tikk 2011), vectorised over all users at once.

Every cell of the user × item matrix is a training example: the *preference* :math:`p_{ui}` is 1
where the user interacted with the item and 0 elsewhere, and its *confidence* grows with the
interaction strength :math:`r_{ui}`:

.. math::

    \min_{X, Y} \sum_{u, i} c_{ui} \big(p_{ui} - x_u^\top y_i\big)^2
        + \lambda \Big(\sum_u \lVert x_u\rVert^2 + \sum_i \lVert y_i\rVert^2\Big),
    \qquad c_{ui} = 1 + \alpha\, r_{ui}.

With the item factors :math:`Y` fixed, each user's factor solves a ridge regression,

.. math::

    \big(Y^\top Y + Y^\top (C^u - I) Y + \lambda I\big)\, x_u = Y^\top C^u p(u),

where :math:`Y^\top Y` is shared by every user and :math:`C^u - I` is non-zero only on the
user's items, so one solve costs :math:`O(n_u f + f^2)` per conjugate-gradient step instead of
:math:`O(n_\text{items} f)`. A few CG steps started from the previous factor are enough
(``implicit`` uses 3), and ALS alternates: users given items, then items given users.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from mlref._validation import (
    as_array,
    check_array_1d,
    check_array_2d,
    check_positive_int,
    check_random_state,
    check_real,
)
from mlref.recsys._base import MatrixRecommender, check_user_items

__all__ = ["ALS", "conjugate_gradient_step", "solve_rows_cg"]

_CONVERGED = 1e-20  # squared residual norm below which a row's CG stops (as in implicit)


def _check_factor_matrix(value, name: str, n_rows: int, n_factors: int | None = None):
    """A finite 2-D float array (float32 kept) with ``n_rows`` rows and ``n_factors`` columns."""
    arr = as_array(value, name, None)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {arr.dtype}")
    arr = check_array_2d(arr, name, dtype=np.float32 if arr.dtype == np.float32 else np.float64)
    if arr.shape[0] != n_rows:
        raise ValueError(
            f"{name} has {arr.shape[0]} rows but the sparse matrix implies {n_rows}; pass one "
            f"row of {name} per row (or column) of the matrix"
        )
    if n_factors is not None and arr.shape[1] != n_factors:
        raise ValueError(
            f"{name} has {arr.shape[1]} columns but the other factors have {n_factors}; every "
            "factor matrix needs the same number of factors"
        )
    return arr


def _check_csr(matrix, name: str) -> sp.csr_matrix:
    """A CSR matrix with finite stored values (converted, duplicates summed, when not CSR)."""
    if not sp.issparse(matrix):
        raise ValueError(
            f"{name} must be a scipy.sparse CSR matrix, got {type(matrix).__name__}; build it "
            "with scipy.sparse.csr_matrix"
        )
    if matrix.format != "csr" or not matrix.has_canonical_format:
        matrix = sp.csr_matrix(matrix, copy=True)
        matrix.sum_duplicates()
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise ValueError(f"{name} has shape {matrix.shape}; pass at least one row and column")
    if not np.isfinite(matrix.data).all():
        raise ValueError(f"{name} stores NaN or infinite values; drop or fix those cells")
    return matrix


def _check_cg_system(confidence, X, Y):
    """``confidence`` as a finite CSR matrix, ``X`` and ``Y`` as factors of its rows / columns."""
    confidence = _check_csr(confidence, "confidence")
    Y = _check_factor_matrix(Y, "Y", confidence.shape[1])
    X = _check_factor_matrix(X, "X", confidence.shape[0], Y.shape[1])
    return confidence, X, Y


def _finite_solution(X: np.ndarray, inputs: str) -> np.ndarray:
    if not np.isfinite(X).all():
        raise ValueError(
            f"conjugate gradient overflowed to NaN or infinite factors; {inputs} hold values too "
            "large for the solve (scale them down)"
        )
    return X


def conjugate_gradient_step(
    confidence: sp.csr_matrix, X: np.ndarray, Y: np.ndarray, regularization: float, cg_steps: int
) -> np.ndarray:
    r"""Update every row factor :math:`x_u` of ``X`` by ``cg_steps`` conjugate-gradient steps.

    Solves :math:`A_u x_u = b_u` with
    :math:`A_u = Y^\top Y + \lambda I + \sum_{i \in I_u} (c_{ui} - 1)\, y_i y_i^\top` and
    :math:`b_u = \sum_{i \in I_u} c_{ui}\, y_i` (preference 1 on stored cells), starting from the
    current ``X``. All rows advance together: the products :math:`A_u p_u` of every row are one
    dense matrix product plus one sparse product over the stored cells.

    Parameters
    ----------
    confidence : scipy.sparse.csr_matrix of shape (n_rows, n_cols)
        :math:`c_{ui}` on stored cells (>= 1 for the usual :math:`1 + \alpha r`).
    X : numpy.ndarray of shape (n_rows, f)
        Factors to update (a new array is returned; ``X`` is not modified).
    Y : numpy.ndarray of shape (n_cols, f)
        The fixed factors of the other side.
    regularization : float
        :math:`\lambda`.
    cg_steps : int
        Conjugate-gradient steps per row.

    Returns
    -------
    numpy.ndarray of shape (n_rows, f)

    Examples
    --------
    >>> C = sp.csr_matrix(np.array([[3.0, 0.0], [0.0, 2.0]]))
    >>> Y = np.eye(2)
    >>> conjugate_gradient_step(C, np.zeros((2, 2)), Y, 0.0, cg_steps=2).round(3).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    confidence, X, Y = _check_cg_system(confidence, X, Y)
    regularization = check_real(regularization, "regularization", low=0.0)
    cg_steps = check_positive_int(cg_steps, "cg_steps")
    gram = Y.T @ Y + np.asarray(regularization, Y.dtype) * np.eye(X.shape[1], dtype=Y.dtype)
    targets = confidence.astype(Y.dtype) @ Y
    X = _solve_rows_cg(gram, confidence.data - 1.0, confidence, targets, X, Y, cg_steps)
    return _finite_solution(X, "confidence, X or Y")


def solve_rows_cg(gram, weights, pattern, targets, X, Y, cg_steps: int) -> np.ndarray:
    r"""Conjugate gradient on every row's system :math:`A_u x_u = b_u` at once.

    :math:`A_u = G + \sum_{i \in I_u} w_{ui}\, y_i y_i^\top` (``G`` shared, ``I_u`` the stored
    cells of row ``u`` of ``pattern``, ``weights`` aligned with its ``data``) and ``targets`` the
    right-hand sides :math:`b_u` stacked, shape ``(n_rows, f)``. Starts from ``X`` (not
    modified), ``cg_steps`` steps per row; a row stops once its squared residual is below 1e-20.
    A row without stored cells gets 0 (its exact solution when its target is 0).
    Used by :class:`ALS` (:math:`G = Y^\top Y + \lambda I`, :math:`w = c - 1`) and by explicit
    matrix factorization (:math:`G = \lambda I`, :math:`w = 1`).

    Raises
    ------
    ValueError
        If ``pattern`` is not a CSR matrix, ``weights`` does not have one value per stored cell,
        the shapes disagree (``gram`` ``(f, f)`` and symmetric, ``targets`` and ``X``
        ``(n_rows, f)``, ``Y`` ``(n_cols, f)``), an array holds NaN/inf, or the solve overflows.
    """
    if not sp.issparse(pattern) or pattern.format != "csr":
        raise ValueError(
            f"pattern must be a scipy.sparse CSR matrix (weights follow its stored cells), got "
            f"{type(pattern).__name__}; convert it with .tocsr()"
        )
    weights = check_array_1d(weights, "weights", allow_empty=True)
    if weights.size != pattern.nnz:
        raise ValueError(
            f"weights has {weights.size} values but pattern stores {pattern.nnz} cells; pass one "
            "weight per stored cell, in the order of pattern.data"
        )
    Y = _check_factor_matrix(Y, "Y", pattern.shape[1])
    X = _check_factor_matrix(X, "X", pattern.shape[0], Y.shape[1])
    targets = _check_factor_matrix(targets, "targets", pattern.shape[0], Y.shape[1])
    gram = _check_factor_matrix(gram, "gram", Y.shape[1], Y.shape[1])
    if not np.allclose(gram, gram.T):
        raise ValueError("gram must be symmetric (e.g. Y.T @ Y + lambda * I) for a CG solve")
    cg_steps = check_positive_int(cg_steps, "cg_steps")
    with np.errstate(over="ignore", invalid="ignore"):
        X = _solve_rows_cg(gram, weights, pattern, targets, X, Y, cg_steps)
    return _finite_solution(X, "gram, weights, targets, X or Y")


def _solve_rows_cg(gram, weights, pattern, targets, X, Y, cg_steps: int) -> np.ndarray:
    """:func:`solve_rows_cg` on checked inputs."""
    counts = np.diff(pattern.indptr)
    gathered = Y[pattern.indices]  # y_i of every stored cell, reused by every CG step
    weights = np.asarray(weights, dtype=Y.dtype)
    weighted = sp.csr_matrix((weights.copy(), pattern.indices, pattern.indptr), pattern.shape)

    def a_times(P: np.ndarray) -> np.ndarray:
        # rows are sorted, so repeating each row's vector equals P[rows] (and is faster)
        dots = np.einsum("ij,ij->i", gathered, np.repeat(P, counts, axis=0))
        np.multiply(weights, dots, out=weighted.data)
        return P @ gram + weighted @ Y

    X = X.copy()
    X[counts == 0] = 0.0  # no stored cell: b_u = 0, so the exact solution is 0 (as implicit)
    residual = targets - a_times(X)
    direction = residual.copy()
    rs_old = np.einsum("ij,ij->i", residual, residual)
    active = rs_old >= _CONVERGED
    direction[~active] = 0.0
    scratch = np.empty_like(X)
    for step_number in range(cg_steps):
        if not active.any():
            break
        a_dir = a_times(direction)
        curvature = np.einsum("ij,ij->i", direction, a_dir)
        step = np.divide(rs_old, curvature, out=np.zeros_like(rs_old), where=active)
        X += np.multiply(direction, step[:, None], out=scratch)
        residual -= np.multiply(a_dir, step[:, None], out=a_dir)
        if step_number == cg_steps - 1:
            break
        rs_new = np.einsum("ij,ij->i", residual, residual)
        active &= rs_new >= _CONVERGED
        beta = np.divide(rs_new, rs_old, out=np.zeros_like(rs_new), where=active)
        direction *= beta[:, None]
        direction += residual
        direction[~active] = 0.0
        rs_old = rs_new
    return X


class ALS(MatrixRecommender):
    r"""Implicit-feedback matrix factorization by alternating least squares with CG solves.

    Score of item :math:`i` for user :math:`u`: :math:`x_u^\top y_i`, with the factors minimising

    .. math::

        \sum_{u, i} c_{ui} (p_{ui} - x_u^\top y_i)^2
            + \lambda \Big(\sum_u \lVert x_u\rVert^2 + \sum_i \lVert y_i\rVert^2\Big),
        \qquad c_{ui} = 1 + \alpha r_{ui},\ p_{ui} = [r_{ui} > 0].

    Parameters
    ----------
    factors : int, default 64
        Dimension :math:`f` of the user and item factors.
    regularization : float, default 0.01
        :math:`\lambda` (not scaled by the number of interactions).
    alpha : float, default 40.0
        Confidence slope: a cell with :math:`r_{ui} = 1` counts :math:`1 + \alpha` times as much
        as an unobserved one (Hu et al. found 40 good on their TV data).
    iterations : int, default 15
        ALS sweeps (users, then items).
    cg_steps : int, default 3
        Conjugate-gradient steps per factor and sweep.
    dtype : {numpy.float32, numpy.float64}, default numpy.float32
        Precision of the factors, as ``implicit``'s default; float64 for exact comparisons.
    random_state : int, Generator or None, default None
        Seeds the initial factors, drawn as ``rng.random((n, f)) * 0.01`` for users and then
        items, exactly as ``implicit`` draws them: the same seed gives the same start.

    Attributes
    ----------
    user_factors_ : numpy.ndarray of shape (n_users, factors)
    item_factors_ : numpy.ndarray of shape (n_items, factors)
    user_items_ : scipy.sparse.csr_matrix
        The training matrix (its stored cells are skipped by :meth:`recommend`).
    n_users_, n_items_ : int

    Notes
    -----
    ``implicit.als.AlternatingLeastSquares`` uses the data *as* the confidence,
    :math:`c_{ui} = \alpha' r_{ui}` (so :math:`c_{ui} - 1` becomes negative, i.e. a cell counts
    less than an unobserved one, whenever :math:`\alpha' r_{ui} < 1`), not :math:`1 + \alpha r_{ui}`
    as in the paper. The two solve the same problem when ``implicit`` is given the matrix
    :math:`1 + \alpha R` (on the stored cells) with its ``alpha=1``; ``tests/test_recsys_als.py``
    checks that the factors then agree.

    Examples
    --------
    >>> R = sp.random(30, 20, density=0.2, format="csr", random_state=0)
    >>> model = ALS(factors=4, iterations=5, random_state=0).fit(R)
    >>> model.recommend([0, 1], k=3).shape
    (2, 3)
    """

    def __init__(
        self,
        *,
        factors: int = 64,
        regularization: float = 0.01,
        alpha: float = 40.0,
        iterations: int = 15,
        cg_steps: int = 3,
        dtype=np.float32,
        random_state=None,
    ):
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.cg_steps = cg_steps
        self.dtype = dtype
        self.random_state = random_state

    def _initial_factors(self, n_users: int, n_items: int) -> tuple[np.ndarray, np.ndarray]:
        rng = check_random_state(self.random_state)
        dtype = self._dtype()
        users = rng.random((n_users, self.factors), dtype=dtype) * dtype(0.01)
        items = rng.random((n_items, self.factors), dtype=dtype) * dtype(0.01)
        return users, items

    def _dtype(self) -> type:
        if self.dtype not in (np.float64, np.float32, "float64", "float32"):
            raise ValueError(f"dtype must be numpy.float64 or numpy.float32, got {self.dtype!r}")
        return np.float64 if np.dtype(self.dtype) == np.float64 else np.float32

    def fit(self, user_items, y=None) -> ALS:
        """Learn the factors from a user × item matrix of interaction strengths :math:`r_{ui}`.

        Parameters
        ----------
        user_items : scipy.sparse matrix of shape (n_users, n_items)
            Non-negative strengths (counts, ratings or 1s) on the observed cells. Users or items
            without any interaction keep a factor of zero.
        y : ignored

        Returns
        -------
        ALS
            The fitted model.
        """
        check_positive_int(self.factors, "factors")
        check_positive_int(self.iterations, "iterations")
        check_positive_int(self.cg_steps, "cg_steps")
        regularization = check_real(self.regularization, "regularization", low=0.0)
        alpha = check_real(self.alpha, "alpha", low=0.0)
        matrix = check_user_items(user_items)
        confidence = matrix.copy()
        confidence.data = 1.0 + alpha * confidence.data
        if not np.isfinite(confidence.data).all():
            raise ValueError(
                "user_items times alpha overflows (the confidence 1 + alpha * r is infinite); "
                "scale user_items or alpha down"
            )
        confidence_t = confidence.T.tocsr()
        confidence_t.sort_indices()
        X, Y = self._initial_factors(*matrix.shape)
        for _ in range(self.iterations):
            X = conjugate_gradient_step(confidence, X, Y, regularization, self.cg_steps)
            Y = conjugate_gradient_step(confidence_t, Y, X, regularization, self.cg_steps)
        self.user_factors_, self.item_factors_ = X, Y
        self.user_items_ = matrix
        self.n_users_, self.n_items_ = matrix.shape
        return self

    def _scores(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors_[users] @ self.item_factors_.T

    def loss(self, user_items) -> float:
        r"""The objective above, summed over every cell, for the fitted factors.

        Computed without the dense matrix: :math:`\sum_{u,i} (x_u^\top y_i)^2` over all cells is
        :math:`\operatorname{tr}(X^\top X\, Y^\top Y)`, and the stored cells add their
        corrections.
        """
        self._check_fitted()
        matrix = check_user_items(user_items)
        if matrix.shape != (self.n_users_, self.n_items_):
            raise ValueError(
                f"user_items has shape {matrix.shape}, the model {(self.n_users_, self.n_items_)}"
            )
        X, Y = self.user_factors_, self.item_factors_
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        predicted = np.einsum("ij,ij->i", X[rows], Y[matrix.indices])
        c = 1.0 + check_real(self.alpha, "alpha", low=0.0) * matrix.data
        everywhere = float(np.sum((X.T @ X) * (Y.T @ Y)))  # every cell as if p = 0, c = 1
        stored = np.sum(c * (1.0 - predicted) ** 2 - predicted**2)
        penalty = self.regularization * (np.sum(X**2) + np.sum(Y**2))
        return float(everywhere + stored + penalty)
