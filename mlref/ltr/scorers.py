r"""Scorers, the Adam loop and the estimator base shared by every gradient-trained ranker.

A gradient-trained ranker is two independent pieces:

* a **scorer** :math:`s = f_\theta(x)`, a differentiable map from one feature row to one score
  (:class:`LinearScorer`, :class:`MLPScorer`);
* a **loss over scores**, a callable ``loss_and_grad(scores, batch) -> (loss, d_scores)`` that
  sees the scores of whole queries (a :class:`QueryBatch`) and returns the loss and its gradient
  :math:`\partial L / \partial s` with respect to those scores.

The chain rule joins them, :math:`\nabla_\theta L = (\partial s / \partial \theta)^\top
\partial L / \partial s`, which is what ``scorer.backward(cache, d_scores)`` computes.
:func:`fit_scorer` runs Adam on that gradient, and :class:`ScorerRanker` wraps it all in a
scikit-learn estimator, so that a new ranker (pointwise, pairwise, ListNet, ListMLE, ...) is only
its parameters plus a ``_make_loss`` method.

**The scorer protocol** (duck-typed; anything with these members can be passed as ``scorer``):

``init(n_features, rng) -> self``
    Create fresh parameters for ``n_features`` inputs, drawing from the
    :class:`numpy.random.Generator` ``rng``.
``forward(X, groups=None) -> (scores, cache)``
    ``scores`` has shape ``(n_rows,)``; ``cache`` is whatever ``backward`` needs. ``groups``
    (a :class:`~mlref.ltr.groups.QueryGroups` whose rows are contiguous, as in
    :attr:`QueryBatch.groups`) is passed by :func:`fit_scorer` for scorers that look at the whole
    list (e.g. self-attention); row-wise scorers ignore it.
``backward(cache, d_scores) -> list of ndarray``
    Gradient of :math:`\sum_r d_r s_r` with respect to each array of ``params`` (same order and
    shapes), i.e. the vector-Jacobian product.
``params``, ``param_names``
    The parameter arrays (updated in place by the optimiser) and their names. Names starting with
    ``"b"`` are biases, left out of the L2 penalty.
``needs_groups`` (optional, default False)
    True if ``forward`` requires ``groups``; :meth:`ScorerRanker.predict` then requires ``group``.

**The loss protocol**: ``loss_and_grad(scores, batch) -> (float, ndarray)``, ``scores`` aligned
with ``batch.rows`` (so with ``batch.y``), the gradient of the same shape. Return a *mean* (over
rows, pairs or queries) so that the learning rate does not depend on the batch size.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from mlref._validation import (
    as_array,
    check_array_2d,
    check_n_features,
    check_option,
    check_positive_int,
    check_random_state,
    check_real,
)
from mlref.ltr.groups import QueryGroups, check_ranking_data
from mlref.nn.optim import Adam

__all__ = [
    "LinearScorer",
    "MLPScorer",
    "QueryBatch",
    "ScorerRanker",
    "build_scorer",
    "fit_scorer",
]

LossAndGrad = Callable[[np.ndarray, "QueryBatch"], tuple[float, np.ndarray]]


# --------------------------------------------------------------------------------------------
# Scorers
# --------------------------------------------------------------------------------------------


def _check_features(X, n_features: int) -> np.ndarray:
    X = as_array(X, "X", np.float64)
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(
            f"X must have shape (n_rows, {n_features}) as at init, got {X.shape}; pass the same "
            "feature columns"
        )
    return X


class LinearScorer:
    r"""Linear scoring function :math:`s = X w + b`.

    Parameters are initialised to zero (the losses used with it are convex in :math:`w, b`, so
    no symmetry needs breaking and the start is deterministic).

    Attributes
    ----------
    params : list of ndarray
        ``[w, b]``, shapes ``(n_features,)`` and ``(1,)``; empty before :meth:`init`.
    param_names : tuple of str
        ``("w", "b")``.

    Examples
    --------
    >>> scorer = LinearScorer().init(2, np.random.default_rng(0))
    >>> scorer.params[0][:] = [1.0, -1.0]
    >>> scores, cache = scorer.forward(np.array([[3.0, 1.0], [0.0, 2.0]]))
    >>> scores.tolist()
    [2.0, -2.0]
    >>> [g.tolist() for g in scorer.backward(cache, np.array([1.0, 1.0]))]
    [[3.0, 3.0], [2.0]]
    """

    param_names = ("w", "b")
    needs_groups = False

    def __init__(self):
        self.params: list[np.ndarray] = []

    def init(self, n_features: int, rng: np.random.Generator) -> LinearScorer:
        """Zero weights and bias for ``n_features`` inputs (``rng`` is checked, then unused)."""
        n_features = check_positive_int(n_features, "n_features")
        check_random_state(rng, "rng")
        self.params = [np.zeros(n_features), np.zeros(1)]
        return self

    def forward(self, X, groups=None) -> tuple[np.ndarray, np.ndarray]:
        """Scores ``X @ w + b`` and the cache (``X``) for :meth:`backward`."""
        w, b = self.params
        X = _check_features(X, w.shape[0])
        return X @ w + b[0], X

    def backward(self, cache: np.ndarray, d_scores: np.ndarray) -> list[np.ndarray]:
        r"""Gradients :math:`X^\top d` and :math:`\sum_r d_r` for ``w`` and ``b``."""
        return [cache.T @ d_scores, np.array([d_scores.sum()])]


_ACTIVATIONS = ("relu", "tanh")


class MLPScorer:
    r"""Small fully connected network with one output: :math:`s = f_\theta(x)`.

    .. math::

        h_0 = x, \qquad h_\ell = \phi(h_{\ell-1} W_\ell + b_\ell), \qquad
        s = h_L W_{\mathrm{out}} + b_{\mathrm{out}},

    with :math:`\phi` ReLU or tanh.

    Parameters
    ----------
    hidden : tuple of int, default=(32,)
        Width of each hidden layer; ``()`` gives a linear scorer.
    activation : {"relu", "tanh"}, default="relu"
        Hidden non-linearity :math:`\phi`.

    Attributes
    ----------
    params : list of ndarray
        ``[W1, b1, ..., WL, bL, W_out, b_out]``, ``W`` of shape ``(fan_in, fan_out)``; empty
        before :meth:`init`.
    param_names : tuple of str
        ``("W1", "b1", ..., "W_out", "b_out")``.

    Notes
    -----
    *Initialisation.* Weights are drawn :math:`\mathcal N(0, g / \mathrm{fan\_in})` and biases
    set to 0: :math:`g = 2` (He et al., 2015) for ReLU layers keeps the variance of activations
    constant through the layers, :math:`g = 1` (LeCun) for tanh layers and for the linear output.
    A network started with all-zero weights would never break the symmetry between its units,
    hence the random draw from ``rng``.

    *ReLU at 0.* Its derivative is taken as 0 there (a subgradient); finite differences agree
    everywhere else, and inputs exactly at 0 have probability zero with random weights.

    Examples
    --------
    >>> scorer = MLPScorer(hidden=(4,)).init(3, np.random.default_rng(0))
    >>> [p.shape for p in scorer.params]
    [(3, 4), (4,), (4, 1), (1,)]
    >>> scorer.forward(np.zeros((2, 3)))[0].tolist()  # zero input, zero biases
    [0.0, 0.0]
    """

    needs_groups = False

    def __init__(self, hidden=(32,), activation="relu"):
        self.hidden = hidden
        self.activation = activation
        self.params: list[np.ndarray] = []

    @property
    def param_names(self) -> tuple[str, ...]:
        n_hidden = len(self.params) // 2 - 1 if self.params else len(tuple(self.hidden))
        names = [name for k in range(1, n_hidden + 1) for name in (f"W{k}", f"b{k}")]
        return (*names, "W_out", "b_out")

    def _check_options(self) -> tuple[tuple[int, ...], str]:
        try:
            hidden = tuple(self.hidden)
        except TypeError:
            raise ValueError(
                f"hidden must be a tuple of layer widths such as (32,), got {self.hidden!r}"
            ) from None
        for width in hidden:
            check_positive_int(width, "each hidden layer width")
        check_option(self.activation, "activation", _ACTIVATIONS)
        return hidden, self.activation

    def init(self, n_features: int, rng: np.random.Generator) -> MLPScorer:
        """Draw He (ReLU) or LeCun (tanh, output) initial weights from ``rng``; zero biases."""
        n_features = check_positive_int(n_features, "n_features")
        hidden, activation = self._check_options()
        rng = check_random_state(rng, "rng")
        widths = (n_features, *hidden, 1)
        gain = 2.0 if activation == "relu" else 1.0
        params = []
        for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
            layer_gain = 1.0 if layer == len(hidden) else gain
            params.append(rng.normal(0.0, np.sqrt(layer_gain / fan_in), size=(fan_in, fan_out)))
            params.append(np.zeros(fan_out))
        self.params = params
        return self

    def forward(self, X, groups=None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Scores of the rows of ``X`` and the cache (the input of every layer)."""
        if not self.params:
            raise ValueError("MLPScorer has no parameters yet; call init(n_features, rng) first")
        h = _check_features(X, self.params[0].shape[0])
        inputs = []
        for W, b in zip(self.params[:-2:2], self.params[1:-2:2], strict=True):
            inputs.append(h)
            z = h @ W + b
            h = np.maximum(z, 0.0) if self.activation == "relu" else np.tanh(z)
        inputs.append(h)
        return (h @ self.params[-2] + self.params[-1])[:, 0], inputs

    def backward(self, cache: list[np.ndarray], d_scores: np.ndarray) -> list[np.ndarray]:
        """Backpropagate ``d_scores`` through the layers; one gradient per parameter array."""
        d_out = d_scores[:, None]
        grads = [cache[-1].T @ d_out, d_out.sum(axis=0)]
        d_h = d_out @ self.params[-2].T
        for layer in range(len(cache) - 2, -1, -1):
            h_next = cache[layer + 1]  # the activation output of this layer
            slope = (h_next > 0) if self.activation == "relu" else 1.0 - h_next * h_next
            d_z = d_h * slope
            W = self.params[2 * layer]
            grads = [cache[layer].T @ d_z, d_z.sum(axis=0), *grads]
            d_h = d_z @ W.T
        return grads


def build_scorer(scorer) -> LinearScorer | MLPScorer:
    """Return a fresh, uninitialised scorer from ``"linear"``, ``"mlp"`` or a scorer instance.

    ``"mlp"`` is ``MLPScorer()`` (one hidden layer of 32 ReLU units). An instance (e.g.
    ``MLPScorer(hidden=(64, 32), activation="tanh")``) is deep-copied, so the estimator parameter
    itself is never modified by ``fit``.
    """
    if isinstance(scorer, str):
        check_option(scorer, "scorer", ("linear", "mlp"))
        return LinearScorer() if scorer == "linear" else MLPScorer()
    missing = [m for m in ("init", "forward", "backward") if not hasattr(scorer, m)]
    if missing:
        raise ValueError(
            f"scorer must be 'linear', 'mlp' or an object with init/forward/backward methods "
            f"(e.g. MLPScorer(hidden=(64,))); got {scorer!r}"
        )
    return copy.deepcopy(scorer)


# --------------------------------------------------------------------------------------------
# Batches of whole queries and the optimiser
# --------------------------------------------------------------------------------------------


class QueryBatch(NamedTuple):
    """Whole queries handed to a loss, rows contiguous and sorted by query.

    Attributes
    ----------
    rows : ndarray of int
        Indices into the training rows *as given to fit* (``X[rows]`` are the batch's features).
    queries : ndarray of int
        Indices (into the training ``QueryGroups``) of the batch's queries, increasing.
    y : ndarray of float
        Relevance of the batch rows, ``y[rows]``.
    groups : QueryGroups
        Grouping of the batch rows; rows are already sorted, so ``groups.order`` is the identity
        and ``groups.position[r]`` is the batch-local query of row ``r``.
    """

    rows: np.ndarray
    queries: np.ndarray
    y: np.ndarray
    groups: QueryGroups

    @classmethod
    def from_queries(cls, y, groups: QueryGroups, queries=None) -> QueryBatch:
        """The batch made of ``queries`` (default: all) of a training set.

        Parameters
        ----------
        y : ndarray of shape (n_rows,)
            Relevance of every training row, in the original row order.
        groups : QueryGroups
            ``QueryGroups.from_ids(group)`` of the training rows.
        queries : array-like of int, optional
            Query indices to include; sorted before use. ``None`` takes all queries.

        Examples
        --------
        >>> groups = QueryGroups.from_ids(["b", "a", "b"])
        >>> batch = QueryBatch.from_queries(np.array([2.0, 1.0, 0.0]), groups)
        >>> batch.rows.tolist(), batch.y.tolist(), batch.groups.sizes.tolist()
        ([1, 0, 2], [1.0, 2.0, 0.0], [1, 2])
        """
        if queries is None:
            queries = np.arange(groups.n_queries)
        queries = np.sort(np.asarray(queries, dtype=np.int64))
        sizes = groups.sizes[queries]
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        n_rows = int(sizes.sum())
        within = np.arange(n_rows) - np.repeat(starts, sizes)
        rows = groups.order[np.repeat(groups.starts[queries], sizes) + within]
        batch_groups = QueryGroups(
            order=np.arange(n_rows),
            starts=starts,
            sizes=sizes,
            ids=groups.ids[queries],
            position=np.repeat(np.arange(len(queries)), sizes),
        )
        return cls(rows=rows, queries=queries, y=np.asarray(y)[rows], groups=batch_groups)


def _check_learning_rate(value, name: str = "learning_rate") -> float:
    return check_real(value, name, low=0, low_inclusive=False, hint=" (try 0.01)")


def _check_alpha(value) -> float:
    return check_real(value, "alpha", low=0, hint=" (the L2 penalty; 0 for none)")


def _objective(scorer, loss_and_grad: LossAndGrad, X_batch, batch: QueryBatch, l2: float):
    scores, cache = scorer.forward(X_batch, batch.groups)
    loss, d_scores = loss_and_grad(scores, batch)
    grads = scorer.backward(cache, d_scores)
    if l2 > 0:
        for name, p, g in zip(scorer.param_names, scorer.params, grads, strict=True):
            if not name.startswith("b"):
                loss += 0.5 * l2 * float(np.sum(p * p))
                g += l2 * p
    return float(loss), grads


def fit_scorer(
    scorer,
    loss_and_grad: LossAndGrad,
    X,
    y,
    groups: QueryGroups,
    *,
    n_epochs: int,
    learning_rate: float,
    rng: np.random.Generator,
    batch_queries: int | None = None,
    l2: float = 0.0,
) -> np.ndarray:
    r"""Train an initialised scorer with Adam on a loss over scores.

    Minimises :math:`L(f_\theta(X)) + \tfrac{\ell_2}{2} \sum \|W\|^2` (biases unpenalised), by
    full-batch steps (one per epoch) or mini-batches of whole queries.

    Parameters
    ----------
    scorer : LinearScorer, MLPScorer or any scorer (see the module docstring)
        Already initialised (``scorer.init(n_features, rng)``); its ``params`` are updated in
        place.
    loss_and_grad : callable
        ``loss_and_grad(scores, batch) -> (loss, d_scores)``, ``batch`` a :class:`QueryBatch`.
        In full-batch mode the same ``batch`` object is passed at every epoch, so a loss may cache
        per-batch work (e.g. its pairs) keyed on ``batch`` identity.
    X : ndarray of shape (n_rows, n_features)
        Features, rows in any order (already validated and, if wanted, standardised).
    y : ndarray of shape (n_rows,)
        Relevance, same row order.
    groups : QueryGroups
        ``QueryGroups.from_ids(group)`` of the same rows.
    n_epochs : int
        Passes over the queries.
    learning_rate : float
        Adam's step size.
    rng : numpy.random.Generator
        Shuffles the queries into mini-batches (unused in full-batch mode).
    batch_queries : int or None, default=None
        Queries per mini-batch; ``None`` uses all queries in every step (deterministic).
    l2 : float, default=0.0
        L2 penalty on the weights.

    Returns
    -------
    ndarray of shape (n_epochs,)
        Training objective per epoch: the loss before the step (full batch), or the mean of the
        mini-batch losses.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0.0, 1.0, 2.0, 3.0])
    >>> groups = QueryGroups.from_ids([0, 0, 1, 1])
    >>> def mse(scores, batch):
    ...     residual = scores - batch.y
    ...     return np.mean(residual**2), 2 * residual / len(residual)
    >>> scorer = LinearScorer().init(1, np.random.default_rng(0))
    >>> curve = fit_scorer(scorer, mse, X, y, groups, n_epochs=500, learning_rate=0.05,
    ...                    rng=np.random.default_rng(0))
    >>> bool(curve[-1] < 1e-3), np.round(scorer.params[0], 2).tolist()
    (True, [1.0])
    """
    n_epochs = check_positive_int(n_epochs, "n_epochs")
    learning_rate = _check_learning_rate(learning_rate)
    l2 = _check_alpha(l2)
    if batch_queries is not None:
        batch_queries = check_positive_int(batch_queries, "batch_queries")
    # The matrices are small (rows x tens of features): one BLAS thread is faster than several,
    # and much faster on a machine whose cores are busy.
    with threadpool_limits(limits=1, user_api="blas"):
        return _adam_loop(
            scorer, loss_and_grad, X, y, groups, n_epochs, learning_rate, rng, batch_queries, l2
        )


def _adam_loop(
    scorer, loss_and_grad, X, y, groups, n_epochs, learning_rate, rng, batch_queries, l2
):
    optimiser = Adam(learning_rate)
    history = np.empty(n_epochs)
    if batch_queries is None:
        batch = QueryBatch.from_queries(y, groups)
        X_batch = X[batch.rows]
        for epoch in range(n_epochs):
            history[epoch], grads = _objective(scorer, loss_and_grad, X_batch, batch, l2)
            optimiser.step(scorer.params, grads)
        return history
    n_batches = -(-groups.n_queries // batch_queries)
    for epoch in range(n_epochs):
        shuffled = rng.permutation(groups.n_queries)
        losses = np.empty(n_batches)
        for b, queries in enumerate(np.array_split(shuffled, n_batches)):
            batch = QueryBatch.from_queries(y, groups, queries)
            losses[b], grads = _objective(scorer, loss_and_grad, X[batch.rows], batch, l2)
            optimiser.step(scorer.params, grads)
        history[epoch] = losses.mean()
    return history


# --------------------------------------------------------------------------------------------
# Estimator base
# --------------------------------------------------------------------------------------------


class ScorerRanker(BaseEstimator):
    r"""Base class of rankers trained as (scorer, loss over scores) with :func:`fit_scorer`.

    A subclass stores in ``__init__`` (keyword-only, scikit-learn style) at least ``scorer``,
    ``n_epochs``, ``learning_rate``, ``batch_queries``, ``alpha`` and ``random_state``, and
    implements ``_make_loss(self, y, groups, rng) -> loss_and_grad`` (``y`` validated relevance in
    the original row order; raise :class:`ValueError` there for targets the loss cannot use).

    ``fit(X, y, group)`` validates the data, standardises the features (column mean 0, standard
    deviation 1; constant columns are only centred: a plain reparametrisation for linear scorers,
    and what keeps Adam's single learning rate sensible across features of different scales),
    initialises the scorer from ``random_state`` and trains it. ``predict(X)`` returns scores,
    higher meaning more relevant; only their order within a query matters.

    Attributes (after fit)
    ----------------------
    scorer_ : the trained scorer
    loss_curve_ : ndarray of shape (n_epochs,), the training objective per epoch
    feature_mean_, feature_scale_ : ndarray of shape (n_features,), the standardisation
    n_features_in_ : int
    """

    def _make_loss(self, y: np.ndarray, groups: QueryGroups, rng: np.random.Generator):
        raise NotImplementedError

    def fit(self, X, y, group):
        """Fit the ranker on rows ``X`` with relevance ``y`` and query id ``group`` per row.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
        y : array-like of shape (n_rows,)
            Non-negative relevance grades.
        group : array-like of shape (n_rows,)
            Query id of each row (ints or strings, rows of a query need not be contiguous).

        Returns
        -------
        self
        """
        X, y, groups = check_ranking_data(X, y, group)
        n_epochs = check_positive_int(self.n_epochs, "n_epochs")
        learning_rate = _check_learning_rate(self.learning_rate)
        alpha = _check_alpha(self.alpha)
        if self.batch_queries is not None:
            check_positive_int(self.batch_queries, "batch_queries")
        rng = check_random_state(self.random_state)
        scorer = build_scorer(self.scorer)
        loss = self._make_loss(y, groups, rng)
        mean = X.mean(axis=0)
        scale = X.std(axis=0)
        scale[scale <= 1e-12 * np.maximum(1.0, np.abs(mean))] = 1.0
        scorer.init(X.shape[1], rng)
        self.loss_curve_ = fit_scorer(
            scorer,
            loss,
            (X - mean) / scale,
            y,
            groups,
            n_epochs=n_epochs,
            learning_rate=learning_rate,
            rng=rng,
            batch_queries=self.batch_queries,
            l2=alpha,
        )
        self.feature_mean_, self.feature_scale_ = mean, scale
        self.scorer_ = scorer
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X, group=None) -> np.ndarray:
        """Scores of the rows of ``X`` (higher ranks first).

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
        group : array-like of shape (n_rows,), optional
            Query id of each row; needed only by list-aware scorers (``needs_groups``).

        Returns
        -------
        ndarray of shape (n_rows,)
        """
        check_is_fitted(self, "scorer_")
        X = check_array_2d(X, "X")
        check_n_features(X, self)
        X = (X - self.feature_mean_) / self.feature_scale_
        if group is None:
            if getattr(self.scorer_, "needs_groups", False):
                raise ValueError(
                    f"{type(self).__name__}'s scorer looks at whole lists; pass group, the query "
                    "id of each row"
                )
            return self.scorer_.forward(X)[0]
        groups = QueryGroups.from_ids(group)
        if len(groups.order) != X.shape[0]:
            raise ValueError(
                f"length mismatch: X has {X.shape[0]} rows, group has {len(groups.order)}; "
                "pass one query id per row"
            )
        batch = QueryBatch.from_queries(np.zeros(X.shape[0]), groups)
        scores = np.empty(X.shape[0])
        scores[batch.rows] = self.scorer_.forward(X[batch.rows], batch.groups)[0]
        return scores
