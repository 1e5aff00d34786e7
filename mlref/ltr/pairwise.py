r"""Pairwise learning to rank: RankNet, LambdaRank and RankSVM.

Pairwise rankers learn to order the two documents of each within-query pair with
:math:`y_i > y_j` (source section 3B): the model's preference is
:math:`P(d_i \succ d_j) = \sigma(s_i - s_j)`.

* :class:`RankNet` minimises the cross-entropy of that probability with target 1.
* :class:`LambdaRank` weights each pair by how much NDCG would change if the two documents
  swapped places in the current ranking (:mod:`mlref.ltr.lambdas`), so mistakes near the top
  count most.
* :class:`RankSVM` is the max-margin version: a linear :math:`w` with :math:`w^\top (x_i - x_j)
  \ge 1` for as many pairs as possible.

RankNet and LambdaRank are losses over scores (:class:`RankNetLoss`, :class:`LambdaRankLoss`)
trained with :mod:`mlref.ltr.scorers`, so they take a linear or MLP scorer. RankSVM has an
exact solver of its own. Pairs come from :mod:`mlref.ltr.pairs`.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from mlref._validation import (
    check_array_2d,
    check_n_features,
    check_option,
    check_positive_int,
    check_random_state,
    check_real,
)
from mlref.ltr.groups import QueryGroups, check_ranking_data
from mlref.ltr.lambdas import pair_weights_delta_ndcg
from mlref.ltr.pairs import sample_sorted_pairs
from mlref.ltr.scorers import QueryBatch, ScorerRanker

__all__ = ["LambdaRank", "LambdaRankLoss", "RankNet", "RankNetLoss", "RankSVM"]


def _check_pair_sampling(pair_sampling):
    if pair_sampling == "all":
        return "all"
    if isinstance(pair_sampling, bool) or not isinstance(pair_sampling, numbers.Integral):
        raise ValueError(
            f"pair_sampling must be 'all' or an int >= 1 (pairs drawn per query), got "
            f"{pair_sampling!r}"
        )
    return check_positive_int(pair_sampling, "pair_sampling")


def _check_sigma(sigma) -> float:
    return check_real(sigma, "sigma", low=0, low_inclusive=False)


def _require_pairs(y: np.ndarray, groups: QueryGroups) -> None:
    y_sorted = y[groups.order]
    query_max = groups.max(y_sorted)
    query_min = -groups.max(-y_sorted)
    if not (query_max > query_min).any():
        raise ValueError(
            "no query has two documents with different relevance, so there is no preference "
            "pair to learn from; check y and group (a pairwise ranker needs mixed labels within "
            "a query)"
        )


class _PairLoss:
    """Pairs of a batch (all, cached per batch, or sampled anew at every call)."""

    def __init__(self, *, sigma=1.0, pair_sampling="all", rng=None):
        self.sigma = _check_sigma(sigma)
        self.pair_sampling = _check_pair_sampling(pair_sampling)
        self.rng = np.random.default_rng(rng)
        self._batch = None
        self._pairs = None

    def pairs(self, batch: QueryBatch) -> tuple[np.ndarray, np.ndarray]:
        """Pair indices into the batch rows, more relevant document first."""
        if self.pair_sampling != "all":
            return sample_sorted_pairs(
                batch.y, batch.groups, self.rng, n_per_query=self.pair_sampling
            )
        if batch is not self._batch:
            self._batch, self._pairs = batch, batch.groups.pairs(batch.y)
        return self._pairs

    def _weighted_logistic(self, scores, i, j, weights, normaliser, n_rows):
        margin = self.sigma * (scores[i] - scores[j])
        loss = np.logaddexp(0.0, -margin)
        # d/ds_i of log(1 + exp(-sigma (s_i - s_j))) = -sigma * sigmoid(-margin)
        force = self.sigma * expit(-margin)
        if weights is not None:
            loss, force = weights * loss, weights * force
        total = float(loss.sum()) / normaliser
        d_scores = (
            np.bincount(j, weights=force, minlength=n_rows)
            - np.bincount(i, weights=force, minlength=n_rows)
        ) / normaliser
        return total, d_scores


class RankNetLoss(_PairLoss):
    r"""RankNet loss over scores: mean pairwise cross-entropy of :math:`\sigma(s_i - s_j)`.

    .. math::

        L = \frac{1}{|P|} \sum_{(i, j) \in P} \log\bigl(1 + e^{-\sigma (s_i - s_j)}\bigr),
        \qquad
        \frac{\partial L}{\partial s_i} = -\frac{1}{|P|} \sum_{j:(i,j) \in P}
            \sigma\, \bigl(1 - \sigma(\sigma (s_i - s_j))\bigr) + (\text{same with } i
            \text{ as the less relevant})

    over the within-query pairs :math:`P` with :math:`y_i > y_j`. The term is the cross-entropy
    of the model's :math:`P(d_i \succ d_j) = \sigma(\sigma (s_i - s_j))` with target 1, computed
    as ``logaddexp`` so it never overflows. A batch without pairs has loss 0 and gradient 0.

    Parameters
    ----------
    sigma : float, default=1.0
        Steepness :math:`\sigma` of the logistic.
    pair_sampling : "all" or int, default="all"
        All pairs, or that many pairs drawn per query (uniformly, with replacement) anew at every
        call: a stochastic estimate of the per-query mean (:func:`mlref.ltr.pairs.sample_pairs`).
    rng : int, numpy.random.Generator or None
        Source of the pair samples.

    Examples
    --------
    >>> from mlref.ltr.groups import QueryGroups
    >>> batch = QueryBatch.from_queries(np.array([1.0, 0.0]), QueryGroups.from_ids([0, 0]))
    >>> loss, grad = RankNetLoss()(np.array([0.0, 0.0]), batch)  # one pair, s_i = s_j
    >>> round(loss, 4), grad.tolist()  # log 2; push the relevant one up, the other down
    (0.6931, [-0.5, 0.5])
    """

    def __call__(self, scores: np.ndarray, batch: QueryBatch) -> tuple[float, np.ndarray]:
        i, j = self.pairs(batch)
        if len(i) == 0:
            return 0.0, np.zeros_like(scores)
        return self._weighted_logistic(scores, i, j, None, len(i), len(scores))


class LambdaRankLoss(_PairLoss):
    r"""LambdaRank loss over scores: RankNet's pairs weighted by :math:`|\Delta\mathrm{NDCG}|`.

    .. math::

        L = \frac{1}{Q} \sum_{(i, j) \in P} |\Delta\mathrm{NDCG}_{ij}|\,
            \log\bigl(1 + e^{-\sigma (s_i - s_j)}\bigr)

    where :math:`|\Delta\mathrm{NDCG}_{ij}|` is the change of the query's NDCG (exponential gain)
    if documents :math:`i` and :math:`j` swapped places in the ranking by the *current* scores,
    and :math:`Q` the number of queries of the batch. The weights are recomputed at every call
    and held constant in the derivative, which is the LambdaRank gradient ("lambdas") of
    :func:`mlref.ltr.lambdas.lambda_gradients`, divided by :math:`Q`.

    Parameters
    ----------
    sigma : float, default=1.0
    k : int or None, default=None
        NDCG truncation: a pair is kept only if one of its documents ranks in the top ``k``,
        normalised by IDCG@k (as in :func:`mlref.ltr.lambdas.pair_weights_delta_ndcg`).
    pair_sampling : "all" or int, default="all"
    rng : int, numpy.random.Generator or None

    Notes
    -----
    :math:`L` is not a fixed function of the scores: the weights move when two documents cross.
    Between crossings it is smooth, and its gradient with the weights frozen is what training
    follows (Burges, 2010). Ranks among tied scores are broken by row order, as in
    :func:`mlref.ltr.lambdas.ranks_within_query`.

    Examples
    --------
    >>> from mlref.ltr.groups import QueryGroups
    >>> batch = QueryBatch.from_queries(np.array([1.0, 0.0]), QueryGroups.from_ids([0, 0]))
    >>> loss, grad = LambdaRankLoss()(np.array([0.0, 1.0]), batch)  # relevant one ranked 2nd
    >>> grad.round(4).tolist()  # |delta NDCG| = 1 - 1/log2(3) = 0.3691, times sigmoid(1)
    [-0.2698, 0.2698]
    """

    def __init__(self, *, sigma=1.0, k=None, pair_sampling="all", rng=None):
        super().__init__(sigma=sigma, pair_sampling=pair_sampling, rng=rng)
        self.k = None if k is None else check_positive_int(k, "k")

    def __call__(self, scores: np.ndarray, batch: QueryBatch) -> tuple[float, np.ndarray]:
        i, j, delta = pair_weights_delta_ndcg(
            batch.y, scores, batch.groups, k=self.k, pairs=self.pairs(batch)
        )
        if len(i) == 0:
            return 0.0, np.zeros_like(scores)
        return self._weighted_logistic(scores, i, j, delta, batch.groups.n_queries, len(scores))


class RankNet(ScorerRanker):
    r"""RankNet (Burges et al., 2005): pairwise cross-entropy on :math:`\sigma(s_i - s_j)`.

    Minimises :class:`RankNetLoss`, the mean over within-query pairs with :math:`y_i > y_j` of
    :math:`\log(1 + e^{-\sigma (s_i - s_j)})`, with Adam
    (:func:`mlref.ltr.scorers.fit_scorer`) on standardised features.

    Parameters
    ----------
    sigma : float, default=1.0
        Steepness of the pairwise logistic.
    pair_sampling : "all" or int, default="all"
        All :math:`O(n^2)` pairs of each query, or that many drawn per query at every step.
    scorer : {"linear", "mlp"} or scorer instance, default="linear"
        See :func:`mlref.ltr.scorers.build_scorer`.
    n_epochs : int, default=100
        Adam steps (full batch) or passes over the queries (mini-batches).
    learning_rate : float, default=0.05
    batch_queries : int or None, default=None
        Queries per mini-batch; ``None`` is full batch.
    alpha : float, default=0.0
        L2 penalty on the weights (biases excluded).
    random_state : int, numpy.random.Generator or None, default=None
        Seeds the MLP initialisation, the pair samples and the mini-batch shuffling.

    Attributes
    ----------
    scorer_, loss_curve_, feature_mean_, feature_scale_, n_features_in_
        See :class:`mlref.ltr.scorers.ScorerRanker`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(80, 2))
    >>> y = (X[:, 0] > 0).astype(float)
    >>> ranker = RankNet(random_state=0).fit(X, y, group=np.repeat(np.arange(8), 10))
    >>> bool(ranker.scorer_.params[0][0] > abs(ranker.scorer_.params[0][1]))
    True
    """

    def __init__(
        self,
        *,
        scorer="linear",
        sigma=1.0,
        pair_sampling="all",
        n_epochs=100,
        learning_rate=0.05,
        batch_queries=None,
        alpha=0.0,
        random_state=None,
    ):
        self.scorer = scorer
        self.sigma = sigma
        self.pair_sampling = pair_sampling
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.batch_queries = batch_queries
        self.alpha = alpha
        self.random_state = random_state

    def _make_loss(self, y, groups, rng):
        loss = RankNetLoss(sigma=self.sigma, pair_sampling=self.pair_sampling, rng=rng)
        _require_pairs(y, groups)
        return loss


class LambdaRank(ScorerRanker):
    r"""LambdaRank: RankNet's pairs weighted by their :math:`|\Delta\mathrm{NDCG}|`.

    Minimises :class:`LambdaRankLoss` with Adam: at every step each pair's logistic loss is
    weighted by the change in NDCG that swapping the two documents in the current ranking would
    cause, so the gradient concentrates on the top of each list (Burges, 2010).

    Parameters
    ----------
    sigma : float, default=1.0
        Steepness of the pairwise logistic.
    k : int or None, default=None
        NDCG truncation of the weights (``None``: full-list NDCG).
    pair_sampling : "all" or int, default="all"
    scorer : {"linear", "mlp"} or scorer instance, default="linear"
        See :func:`mlref.ltr.scorers.build_scorer`.
    n_epochs : int, default=100
        Adam steps (full batch) or passes over the queries (mini-batches).
    learning_rate : float, default=0.05
    batch_queries : int or None, default=None
        Queries per mini-batch; ``None`` is full batch.
    alpha : float, default=0.0
        L2 penalty on the weights (biases excluded).
    random_state : int, numpy.random.Generator or None, default=None
        Seeds the MLP initialisation, the pair samples and the mini-batch shuffling.

    Attributes
    ----------
    scorer_, loss_curve_, feature_mean_, feature_scale_, n_features_in_
        See :class:`mlref.ltr.scorers.ScorerRanker`.

    Notes
    -----
    The linear scorer starts at :math:`w = 0`, where all the scores of a query tie; the ranks
    that set the first weights then follow the row order within the query (see
    :func:`mlref.ltr.lambdas.ranks_within_query`), so reordering the rows of a query can move the
    fitted model slightly. Full-batch training is otherwise deterministic.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(80, 2))
    >>> y = (X[:, 0] > 0).astype(float)
    >>> ranker = LambdaRank(random_state=0).fit(X, y, group=np.repeat(np.arange(8), 10))
    >>> bool(ranker.scorer_.params[0][0] > abs(ranker.scorer_.params[0][1]))
    True
    """

    def __init__(
        self,
        *,
        scorer="linear",
        sigma=1.0,
        k=None,
        pair_sampling="all",
        n_epochs=100,
        learning_rate=0.05,
        batch_queries=None,
        alpha=0.0,
        random_state=None,
    ):
        self.scorer = scorer
        self.sigma = sigma
        self.k = k
        self.pair_sampling = pair_sampling
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.batch_queries = batch_queries
        self.alpha = alpha
        self.random_state = random_state

    def _make_loss(self, y, groups, rng):
        loss = LambdaRankLoss(sigma=self.sigma, k=self.k, pair_sampling=self.pair_sampling, rng=rng)
        _require_pairs(y, groups)
        return loss


# --------------------------------------------------------------------------------------------
# RankSVM
# --------------------------------------------------------------------------------------------


def _squared_hinge(margin):
    slack = np.maximum(0.0, 1.0 - margin)
    return slack * slack, -2.0 * slack, 2.0 * (slack > 0)


def _huberised_hinge(h):
    """Hinge with its corner rounded over margins 1 ± h (Chapelle, 2007); hinge as h -> 0."""

    def loss(margin):
        linear = margin < 1.0 - h
        quadratic = ~linear & (margin <= 1.0 + h)
        excess = np.where(quadratic, 1.0 + h - margin, 0.0)
        value = np.where(linear, 1.0 - margin, excess * excess / (4.0 * h))
        slope = np.where(linear, -1.0, -excess / (2.0 * h))
        return value, slope, quadratic / (2.0 * h)

    return loss


def _newton(D, C, pair_loss, w, max_iter, tol):
    """Minimise ½‖w‖² + C Σ ℓ(D w) for a convex piecewise-quadratic ℓ by Newton's method.

    ``pair_loss(margins) -> (ℓ, ℓ', ℓ'')``. Uses the generalised Hessian I + C D^T diag(ℓ'') D
    (only the rows with ℓ'' > 0) and a backtracking (Armijo) line search. Returns
    ``(w, n_iter, converged)``; converged when the max-norm of the gradient is at most ``tol``
    times its value at w = 0 (which is C |D^T ℓ'(0)|).
    """
    threshold = tol * max(1.0, C * np.abs(D.T @ pair_loss(np.zeros(len(D)))[1]).max())
    margin = D @ w
    value, slope, curvature = pair_loss(margin)
    objective = 0.5 * w @ w + C * value.sum()
    for iteration in range(max_iter):
        gradient = w + C * (D.T @ slope)
        if np.abs(gradient).max() <= threshold:
            return w, iteration, True
        curved = curvature > 0
        D_curved = D[curved]
        hessian = C * (D_curved.T * curvature[curved]) @ D_curved
        hessian[np.diag_indices_from(hessian)] += 1.0
        step = np.linalg.solve(hessian, -gradient)
        decrease = gradient @ step
        direction = D @ step
        t = 1.0
        while True:
            candidate_margin = margin + t * direction
            candidate = pair_loss(candidate_margin)
            w_candidate = w + t * step
            candidate_objective = 0.5 * w_candidate @ w_candidate + C * candidate[0].sum()
            if candidate_objective <= objective + 1e-4 * t * decrease or t < 1e-12:
                break
            t *= 0.5
        w, margin, objective = w_candidate, candidate_margin, candidate_objective
        value, slope, curvature = candidate
    gradient = w + C * (D.T @ slope)
    return w, max_iter, bool(np.abs(gradient).max() <= threshold)


# Smoothing widths of the hinge, each solve warm-started from the previous one.
_HINGE_SMOOTHING = (1.0, 0.1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7)


def _solve_rank_svm(D, C, loss, max_iter, tol):
    w = np.zeros(D.shape[1])
    if loss == "squared_hinge":
        return _newton(D, C, _squared_hinge, w, max_iter, tol)
    total_iter = 0
    for h in _HINGE_SMOOTHING:
        w, n_iter, converged = _newton(D, C, _huberised_hinge(h), w, max_iter, tol)
        total_iter += n_iter
    return w, total_iter, converged


class RankSVM(BaseEstimator):
    r"""Linear ranking SVM (Herbrich et al., 2000; Joachims, 2002) on within-query pairs.

    .. math::

        \min_w \; \tfrac12 \|w\|^2 + C \sum_{(i, j) \in P} \ell\bigl(w^\top (x_i - x_j)\bigr),
        \qquad \ell(m) = \max(0, 1 - m) \text{ (hinge) or } \max(0, 1 - m)^2
        \text{ (squared hinge)},

    over the within-query pairs :math:`P` with :math:`y_i > y_j`. It is a linear SVM without
    intercept on the difference vectors (an intercept would cancel in :math:`s_i - s_j`).

    Parameters
    ----------
    C : float, default=1.0
        Weight of the pair losses against the margin term (larger: fewer violations tolerated).
    loss : {"hinge", "squared_hinge"}, default="hinge"
    pair_sampling : "all" or int, default="all"
        All pairs, or that many drawn per query once before solving.
    max_iter : int, default=100
        Newton iterations (per smoothing level for the hinge).
    tol : float, default=1e-8
        Stop when the max-norm of the gradient is at most ``tol`` times its value at
        :math:`w = 0`.
    random_state : int, numpy.random.Generator or None, default=None
        Seeds the pair sample (unused with ``pair_sampling="all"``).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        :math:`w`; the score is ``X @ coef_``.
    n_pairs_ : int
        Number of pairs trained on.
    n_iter_ : int
        Newton iterations run (summed over the smoothing levels for the hinge).
    n_features_in_ : int

    Notes
    -----
    *Solver.* Both objectives are minimised in the primal by Newton's method (Chapelle,
    "Training a support vector machine in the primal", 2007): with the generalised Hessian
    :math:`I + C D_S^\top \operatorname{diag}(\ell'') D_S` (:math:`D` the difference vectors,
    :math:`S` the pairs where :math:`\ell'' > 0`) and a backtracking line search, each
    iteration is one linear system of size ``n_features``, and a piecewise-quadratic objective
    is minimised exactly in a handful of iterations. The squared hinge is piecewise quadratic
    already. The hinge has a corner at margin 1, so it is replaced by a Huber-smoothed hinge,
    quadratic over margins :math:`1 \pm h`, solved for :math:`h = 1, 0.1, \dots, 10^{-7}`, each
    solve warm-started from the previous one; the last one is within :math:`C |P| h / 4` of the
    hinge objective.

    *Same solution as LinearSVC.* Both problems are exactly
    ``sklearn.svm.LinearSVC(loss=..., C=C, fit_intercept=False)`` trained on the difference
    vectors, half of them flipped to class -1 so that there are two classes (the classic
    reduction). Features are not standardised here (as in ``LinearSVC``): scale them first if
    their ranges differ.

    Memory is one row per pair: :math:`O(|P| \cdot d)`, with :math:`|P|` up to
    :math:`\sum_q n_q^2 / 2`; ``pair_sampling`` caps it.

    Examples
    --------
    >>> X = np.array([[3.0, 0.0], [2.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    >>> model = RankSVM(C=10.0).fit(X, y=[2, 1, 1, 0], group=[0, 0, 1, 1])
    >>> model.coef_.round(3).tolist()  # both differences are (1, -1): margin exactly 1
    [0.5, -0.5]
    """

    def __init__(
        self,
        *,
        C=1.0,
        loss="hinge",
        pair_sampling="all",
        max_iter=100,
        tol=1e-8,
        random_state=None,
    ):
        self.C = C
        self.loss = loss
        self.pair_sampling = pair_sampling
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, X, y, group):
        """Fit on rows ``X`` with relevance ``y`` and query id ``group`` per row; returns self."""
        X, y, groups = check_ranking_data(X, y, group)
        check_real(self.C, "C", low=0.0, low_inclusive=False)
        check_option(self.loss, "loss", ("hinge", "squared_hinge"))
        pair_sampling = _check_pair_sampling(self.pair_sampling)
        max_iter = check_positive_int(self.max_iter, "max_iter")
        check_real(self.tol, "tol", low=0.0, low_inclusive=False)
        rng = check_random_state(self.random_state)
        _require_pairs(y, groups)
        y_sorted, X_sorted = y[groups.order], X[groups.order]
        if pair_sampling == "all":
            i, j = groups.pairs(y_sorted)
        else:
            i, j = sample_sorted_pairs(y_sorted, groups, rng, n_per_query=pair_sampling)
        D = X_sorted[i] - X_sorted[j]
        with threadpool_limits(limits=1, user_api="blas"):  # small matrices: 1 thread is faster
            w, self.n_iter_, converged = _solve_rank_svm(
                D, float(self.C), self.loss, max_iter, float(self.tol)
            )
        if not converged:
            warnings.warn(
                f"RankSVM did not converge in max_iter={max_iter} iterations; increase max_iter "
                "or scale the features",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.coef_ = w
        self.n_pairs_ = len(i)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X, group=None) -> np.ndarray:
        """Scores ``X @ coef_`` (higher ranks first).

        ``group`` is accepted, and ignored, so that every ranker of :mod:`mlref.ltr` can be
        called as ``predict(X, group)``; a linear score does not depend on the other documents.
        """
        check_is_fitted(self, "coef_")
        X = check_array_2d(X, "X")
        check_n_features(X, self)
        return X @ self.coef_
