r"""Two-tower retrieval: a user tower and an item tower whose dot product scores every pair.

The source's architecture (section 4C):

.. code-block:: text

    Query (user) -> Query Tower -> q_emb
    Item         -> Item Tower  -> i_emb          score = dot(q_emb, i_emb)

Each tower here is an id embedding, optionally concatenated with side features of the entity
(e.g. an item's genre multi-hot, a user's genre profile), followed by a small MLP of
:mod:`mlref.nn.layers` whose output is the ``embedding_dim``-dimensional embedding, optionally
L2-normalised. Because the score is a dot product, item embeddings can be computed once for the
whole catalogue and searched with an approximate nearest-neighbour index (Faiss, ScaNN); the two
towers never see each other's input, which is what makes this retrieval, not ranking.

Training uses positive (user, item) pairs only, with the other items of the mini-batch as
negatives (:func:`in_batch_softmax_loss`), optionally with the logQ correction of Yi et al.
(2019), "Sampling-bias-corrected neural modeling for large corpus item recommendations".
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from mlref._validation import (
    check_array_1d,
    check_array_2d,
    check_bool,
    check_option,
    check_positive_int,
    check_random_state,
    check_real,
    check_same_length,
)
from mlref.metrics.retrieval import top_k_items
from mlref.models.linear import log_softmax
from mlref.nn.layers import Embedding, Layer, Sequential, check_layer_sizes, mlp
from mlref.nn.optim import Adam, LazyAdam
from mlref.nn.training import iterate_minibatches
from mlref.training.sampling import sample_negatives

__all__ = ["InBatchLoss", "PopularityRecommender", "TwoTowerModel", "in_batch_softmax_loss"]


class InBatchLoss(NamedTuple):
    """Value of the in-batch softmax loss and its gradients w.r.t. both embedding matrices."""

    value: float
    d_query: np.ndarray
    d_item: np.ndarray


def in_batch_softmax_loss(
    query_emb, item_emb, *, temperature: float = 1.0, log_q=None, item_ids=None
) -> InBatchLoss:
    r"""Sampled softmax over a batch of positive pairs, the other items acting as negatives.

    Row :math:`i` of the batch is a positive pair (user :math:`i`, item :math:`i`). Every item
    of the batch is a candidate for every user:

    .. math::

        s_{ij} = \frac{\langle q_i, v_j \rangle}{\tau} - \log Q_j, \qquad
        L = \frac{1}{B} \sum_{i=1}^{B} \Big(-s_{ii} + \log \sum_{j=1}^{B} e^{s_{ij}}\Big),

    with :math:`\log Q_j = 0` without the logQ correction. The gradients are

    .. math::

        \frac{\partial L}{\partial s} = \frac{P - I}{B}, \quad
        \frac{\partial L}{\partial q} = \frac{1}{\tau} \frac{\partial L}{\partial s} V, \quad
        \frac{\partial L}{\partial v} = \frac{1}{\tau}
            \Big(\frac{\partial L}{\partial s}\Big)^{\!\top} Q, \qquad
        P_{ij} = \operatorname{softmax}_j(s_{ij}).

    Parameters
    ----------
    query_emb, item_emb : array-like of shape (B, d)
        Tower outputs of the batch's users and positive items, row-aligned.
    temperature : float > 0, default 1.0
        :math:`\tau`. With L2-normalised embeddings the dot products lie in :math:`[-1, 1]`; a
        small :math:`\tau` (0.05-0.2) lets the softmax become peaked.
    log_q : array-like of shape (B,), optional
        :math:`\log Q_j`, the log-probability that item :math:`j` is drawn into a batch
        (frequency-proportional for in-batch negatives). ``None``: no correction.
    item_ids : array-like of int of shape (B,), optional
        Ids of the batch's items. When given, a column holding the same item as row
        :math:`i`'s positive (a repeat in the batch) is removed from row :math:`i`'s softmax:
        it is that user's positive, not a negative ("accidental hits").

    Returns
    -------
    InBatchLoss
        ``value``, ``d_query`` (B, d) and ``d_item`` (B, d).

    Notes
    -----
    **Why in-batch negatives over-penalise popular items.** The full softmax
    :math:`P(j \mid u) \propto e^{s(u, j)}` sums over the whole catalogue; a batch is a sample
    of items drawn in proportion to their frequency, so a popular item appears as a negative in
    many batches and a rare one almost never. The sampled softmax's gradient then pushes popular
    items' scores down far more than the full softmax would, and its minimiser is not the full
    softmax's: with frequency-proportional sampling it learns
    :math:`s(u, j) \approx \log P(j \mid u) - \log Q_j` + const, a pointwise-mutual-information
    score that demotes popular items. Subtracting :math:`\log Q_j` from each logit during
    training (Yi et al., 2019; the sampled-softmax correction of Bengio & Senécal, 2008) makes
    the corrected logit estimate that quantity, so the *uncorrected* score
    :math:`\langle q, v \rangle / \tau` served at retrieval time estimates
    :math:`\log P(j \mid u)` itself. The positive's logit :math:`s_{ii}` is corrected too, as
    in the paper. The constant :math:`\log B` (a batch holds :math:`B` draws) cancels in the
    softmax, so per-draw probabilities are enough.

    Whether the correction helps depends on the metric: recall against what users actually
    consumed rewards popular items, so it usually helps there (on MovieLens-small, Recall@100
    0.363 with it, 0.146 without, below the popularity baseline's 0.237; the median film
    recommended without it has a single training positive); a system that wants to surface the
    long tail may prefer the uncorrected, popularity-discounted scores.

    Examples
    --------
    >>> q = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> loss = in_batch_softmax_loss(q, q)  # each user prefers its own item: e^1 vs e^0
    >>> round(loss.value, 4), round(float(np.log(1 + np.exp(-1.0))), 4)
    (0.3133, 0.3133)
    """
    q = check_array_2d(query_emb, "query_emb")
    v = check_array_2d(item_emb, "item_emb")
    if q.shape != v.shape:
        raise ValueError(
            f"query_emb and item_emb must have the same shape (one positive pair per row), got "
            f"{q.shape} and {v.shape}"
        )
    tau = check_real(temperature, "temperature", low=0.0, low_inclusive=False)
    batch = q.shape[0]
    logits = q @ v.T / tau
    if log_q is not None:
        log_q = check_array_1d(log_q, "log_q")
        check_same_length(log_q=log_q, query_emb=q)
        logits -= log_q[None, :]
    if item_ids is not None:
        ids = check_array_1d(item_ids, "item_ids", dtype=np.int64)
        check_same_length(item_ids=ids, query_emb=q)
        repeat = ids[:, None] == ids[None, :]
        np.fill_diagonal(repeat, False)
        logits[repeat] = -np.inf
    log_p = log_softmax(logits, axis=1)
    value = -float(np.mean(np.diag(log_p)))
    d_logits = np.exp(log_p)
    d_logits[np.diag_indices(batch)] -= 1.0
    d_logits /= batch
    return InBatchLoss(value, d_logits @ v / tau, d_logits.T @ q / tau)


class _MixedLoss(NamedTuple):
    value: float
    d_query: np.ndarray
    d_item: np.ndarray
    d_extra: np.ndarray


def _in_batch_plus_sampled_loss(
    q, v, v_extra, *, temperature, log_count, log_count_extra, item_ids, extra_ids
) -> _MixedLoss:
    r"""In-batch softmax whose row :math:`i` also holds :math:`k` sampled negatives of its own.

    Row :math:`i` scores the batch's :math:`B` items and its :math:`k` extra items
    :math:`e_{i1}, \dots, e_{ik}` in one softmax:

    .. math::

        s_{ij} = \frac{\langle q_i, v_j \rangle}{\tau} - \log c_j, \qquad
        s'_{il} = \frac{\langle q_i, v_{e_{il}} \rangle}{\tau} - \log c'_{il}, \qquad
        L = \frac{1}{B} \sum_i \Big(-s_{ii} + \log\big(\textstyle\sum_j e^{s_{ij}}
            + \sum_l e^{s'_{il}}\big)\Big),

    where :math:`c` is the expected number of copies of the item among the row's candidates
    under the sampler that put it there (:math:`B\,Q_j` in the batch, :math:`k / n` for a
    uniform draw from :math:`n` items, :math:`k / P` for a draw from a pool of :math:`P`): the
    logQ correction of each sampler, ``log_count=None`` for none. Repeats of the row's positive
    (in the batch or among its extras) are masked. Shapes: ``q``, ``v`` (B, d), ``v_extra``
    (B, k, d), ``log_count`` (B,), ``log_count_extra`` (B, k).
    """
    batch, k = extra_ids.shape
    logits = np.empty((batch, batch + k))
    logits[:, :batch] = q @ v.T / temperature
    logits[:, batch:] = np.einsum("bd,bkd->bk", q, v_extra) / temperature
    if log_count is not None:
        logits[:, :batch] -= log_count[None, :]
        logits[:, batch:] -= log_count_extra
    repeat = item_ids[:, None] == item_ids[None, :]
    np.fill_diagonal(repeat, False)
    logits[:, :batch][repeat] = -np.inf
    logits[:, batch:][extra_ids == item_ids[:, None]] = -np.inf
    log_p = log_softmax(logits, axis=1)
    value = -float(np.mean(np.diag(log_p[:, :batch])))
    d_logits = np.exp(log_p)
    d_logits[np.arange(batch), np.arange(batch)] -= 1.0
    d_logits /= batch * temperature
    d_batch, d_extra = d_logits[:, :batch], d_logits[:, batch:]
    d_query = d_batch @ v + np.einsum("bk,bkd->bd", d_extra, v_extra)
    return _MixedLoss(value, d_query, d_batch.T @ q, d_extra[:, :, None] * q[:, None, :])


class _L2Normalize(Layer):
    r"""Row-wise :math:`y = x / \lVert x \rVert`, with
    :math:`\partial L / \partial x = (g - y\,(y \cdot g)) / \lVert x \rVert`.

    :math:`\lVert x \rVert = \sqrt{\sum x^2 + \epsilon}`; the gradient formula is exact with the
    :math:`\epsilon` included.
    """

    _EPS = 1e-12

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        norm = np.sqrt(np.sum(x * x, axis=-1, keepdims=True) + self._EPS)
        out = x / norm
        self._cache = (out, norm)
        return out

    def backward(self, d_out) -> np.ndarray:
        out, norm = self._cached()
        d_out = self._d_out(d_out, out.shape)
        return (d_out - out * np.sum(out * d_out, axis=-1, keepdims=True)) / norm


class _Tower:
    """Id embedding (+ side features of the entity) -> MLP -> embedding (-> L2 normalisation)."""

    def __init__(
        self, n_ids, features, *, id_dim, hidden, out_dim, normalize, rng, sparse_grad=False
    ) -> None:
        self.features = features
        self.embedding = Embedding(n_ids, id_dim, rng=rng, sparse_grad=sparse_grad)
        width = id_dim + (0 if features is None else features.shape[1])
        layers = mlp(width, hidden, n_outputs=out_dim, rng=rng).layers
        self.mlp = Sequential([*layers, _L2Normalize()] if normalize else layers)
        self.id_dim = id_dim
        self.params = self.embedding.params + self.mlp.params
        self.grads = self.embedding.grads + self.mlp.grads

    @property
    def grad_rows(self) -> list:
        """Rows of each parameter with a gradient (the embedding's; None = dense)."""
        return self.embedding.grad_rows + [None] * len(self.mlp.params)

    def forward(self, ids: np.ndarray) -> np.ndarray:
        x = self.embedding.forward(ids)
        if self.features is not None:
            x = np.hstack([x, self.features[ids]])
        return self.mlp.forward(x, training=True)

    def backward(self, d_out: np.ndarray) -> None:
        d_x = self.mlp.backward(d_out)
        self.embedding.backward(d_x[:, : self.id_dim])


def _check_ids(ids, name: str, upper: int | None = None) -> np.ndarray:
    arr = check_array_1d(ids, name, dtype=np.int64)
    if arr.min() < 0:
        raise ValueError(f"{name} must be non-negative integer ids, got {arr.min()}")
    if upper is not None and arr.max() >= upper:
        raise ValueError(
            f"{name} holds id {arr.max()} but the model knows ids 0..{upper - 1}; pass n_users / "
            "n_items (or feature tables) covering every id at fit time"
        )
    return arr


def _check_table(table, name: str) -> np.ndarray | None:
    return None if table is None else check_array_2d(table, name)


def _n_ids(ids: np.ndarray, given, table, name: str) -> int:
    n = int(ids.max()) + 1
    if table is not None:
        n = max(n, table.shape[0])
    if given is not None:
        given = check_positive_int(given, name)
        if given < n:
            raise ValueError(f"{name}={given} but ids (or feature rows) go up to {n - 1}")
        n = given
    if table is not None and table.shape[0] != n:
        raise ValueError(
            f"the feature table for {name} has {table.shape[0]} rows but there are {n} ids; "
            "give one row per id"
        )
    return n


def _interaction_matrix(users, items, n_users: int, n_items: int) -> sp.csr_matrix:
    matrix = sp.csr_matrix(
        (np.ones(users.size), (users, items)), shape=(n_users, n_items), dtype=np.float64
    )
    matrix.data[:] = 1.0
    return matrix


def _exclusion(exclude, fitted_interactions, users: np.ndarray, n_items: int):
    if exclude is None:
        return None
    if isinstance(exclude, str):
        if exclude != "train":
            raise ValueError(f"exclude must be None, 'train' or a matrix; got {exclude!r}")
        return fitted_interactions[users]
    matrix = sp.csr_matrix(exclude) if sp.issparse(exclude) else sp.csr_matrix(np.asarray(exclude))
    if matrix.shape != (users.size, n_items):
        raise ValueError(
            f"exclude must have shape (len(users), n_items) = {(users.size, n_items)}, got "
            f"{matrix.shape}; row r lists the items to skip for users[r]"
        )
    return matrix


class _Retriever(BaseEstimator):
    """Fit-time bookkeeping shared by the retrieval models: ids, counts, seen items."""

    def _fit_interactions(self, user_ids, item_ids, n_users, n_items, user_table, item_table):
        users = _check_ids(user_ids, "user_ids")
        items = _check_ids(item_ids, "item_ids")
        check_same_length(user_ids=users, item_ids=items)
        self.n_users_ = _n_ids(users, n_users, user_table, "n_users")
        self.n_items_ = _n_ids(items, n_items, item_table, "n_items")
        self.item_counts_ = np.bincount(items, minlength=self.n_items_)
        self.interactions_ = _interaction_matrix(users, items, self.n_users_, self.n_items_)
        return users, items

    def _check_fitted(self) -> None:
        check_is_fitted(self, "n_items_")

    def _users(self, users) -> np.ndarray:
        self._check_fitted()
        if users is None:
            return np.arange(self.n_users_)
        return _check_ids(users, "users", self.n_users_)

    def recommend(self, users=None, k: int = 10, *, exclude="train") -> np.ndarray:
        """Top ``k`` item ids per user, best first (ties: smaller id first).

        Parameters
        ----------
        users : array-like of int, optional
            User ids; default every user ``0..n_users_-1``.
        k : int, default 10
        exclude : None, "train" or matrix of shape (len(users), n_items), default "train"
            Items not to recommend: none, each user's training items, or a 0/1 matrix whose
            row ``r`` marks the items to skip for ``users[r]`` (e.g. every item the user rated,
            including those not used as training positives).

        Returns
        -------
        numpy.ndarray of int64 of shape (len(users), k)
            ``-1`` pads a row with fewer than ``k`` items left (see
            :func:`mlref.metrics.retrieval.top_k_items`).
        """
        users = self._users(users)
        mask = _exclusion(exclude, self.interactions_, users, self.n_items_)
        return top_k_items(self.score_items(users), k, exclude=mask)


class PopularityRecommender(_Retriever):
    """Recommend the items with the most training interactions, the same list for every user.

    The baseline every retrieval model must beat: it needs no personalisation and is strong on
    recall because consumption is concentrated on few items. Seen items are skipped per user
    (``exclude="train"``), so lists do differ between users.

    Attributes
    ----------
    item_counts_ : numpy.ndarray of int64 of shape (n_items,)
        Training interactions per item: the score.
    interactions_ : scipy.sparse.csr_matrix of shape (n_users, n_items)
        1 where the user interacted with the item in training.

    Examples
    --------
    >>> pop = PopularityRecommender().fit([0, 0, 1, 2], [3, 1, 3, 0], n_items=5)
    >>> pop.recommend([0, 1], k=2).tolist()  # counts: item 3 twice, items 0 and 1 once
    [[0, 2], [0, 1]]
    """

    def fit(self, user_ids, item_ids, *, n_users=None, n_items=None) -> PopularityRecommender:
        """Count the interactions of each item (pairs may repeat; each counts)."""
        self._fit_interactions(user_ids, item_ids, n_users, n_items, None, None)
        return self

    def score_items(self, users=None) -> np.ndarray:
        """Scores of every item for each user, shape (len(users), n_items): the counts."""
        users = self._users(users)
        return np.broadcast_to(self.item_counts_.astype(np.float64), (users.size, self.n_items_))


class TwoTowerModel(_Retriever):
    r"""Two-tower retrieval model trained with in-batch sampled softmax (and logQ correction).

    .. math::

        \hat s(u, j) = \frac{\langle f_\text{user}(u), g_\text{item}(j) \rangle}{\tau}, \qquad
        f(u) = \mathrm{MLP}\big([E_u[u],\, x_u]\big) \;(/ \lVert\cdot\rVert),

    trained to minimise :func:`in_batch_softmax_loss` over mini-batches of positive pairs.

    Parameters
    ----------
    embedding_dim : int, default 64
        Size of the towers' output (the retrieval embedding).
    id_embedding_dim : int, default 64
        Size of the id embedding tables fed to the towers.
    hidden_layer_sizes : tuple of int, default (128,)
        Hidden ReLU layers of each tower's MLP; ``()`` makes the tower a linear projection.
    normalize : bool, default True
        L2-normalise both towers' outputs (cosine similarity, scaled by ``1 / temperature``).
    temperature : float > 0, default 0.1
        :math:`\tau`; see :func:`in_batch_softmax_loss`.
    logq_correction : bool, default True
        Subtract :math:`\log Q_j`, :math:`Q_j` = item :math:`j`'s share of training pairs, from
        each in-batch logit.
    batch_size : int, default 512
        Pairs per batch = in-batch candidates per softmax.
    negatives : {"in_batch", "random", "hard"}, default "in_batch"
        Negatives of each positive pair. ``"in_batch"``: the batch's other items only.
        ``"random"``: those plus ``n_negatives`` items drawn uniformly from the catalogue per
        pair (:func:`mlref.training.sample_negatives`; "mixed negative sampling").
        ``"hard"``: the batch's items plus ``n_negatives`` drawn per pair from the user's
        *hard pool*, the items the current model ranks at ``hard_negative_ranks`` among those
        the user has no training pair with, re-mined from the model at the start of every
        epoch (the first epoch mines from the random initial towers).
    n_negatives : int, default 10
        Sampled negatives per pair, for ``"random"`` and ``"hard"``.
    hard_negative_ranks : tuple (start, stop), default (100, 500)
        0-based ranks (stop excluded) of the hard pool. Starting below the top avoids the
        likeliest false negatives: the very best unseen items are often the user's next
        positives (Huang et al., 2020, mine Facebook search's hard negatives at ranks 101-500).
    n_epochs : int, default 10
    learning_rate : float, default 1e-2
        Adam step size.
    optimizer : {"adam", "lazy_adam"}, default "adam"
        ``"lazy_adam"`` updates only the id-embedding rows of each batch's users and items
        (:class:`mlref.nn.LazyAdam`; the MLPs still get dense Adam), much cheaper per step for
        large tables; rows absent from a batch keep their moments instead of decaying them.
    random_state : int, numpy.random.Generator or None
        Seed of the weights and of the batch order.

    Attributes
    ----------
    loss_curve_ : list of float
        Mean training loss of each epoch.
    n_users_, n_items_ : int
    item_counts_ : numpy.ndarray of shape (n_items,)
        Training pairs per item (the sampling distribution behind logQ).
    interactions_ : scipy.sparse.csr_matrix
        Training (user, item) indicator, used by ``recommend(exclude="train")``.
    user_tower_, item_tower_
        The towers; ``params`` / ``grads`` list their arrays.

    Notes
    -----
    **Size.** The source quotes 128 dimensions, a size for catalogues of millions of items and
    rich towers. The default here is 64: MovieLens-small has fewer than 10,000 items, and on it
    (``benchmarks/bench_two_tower.py --dims``, per-user temporal split) 64 dimensions reach a
    Recall@100 of 0.363, 128 reach 0.361 in 1.8 times the training time, and 32 reach 0.347.

    **Normalisation and temperature.** Unnormalised dot products let the model raise an item's
    score by growing its norm, a popularity shortcut, and can overflow; L2 normalisation bounds
    the logits to :math:`[-1/\tau, 1/\tau]`, so :math:`\tau` sets how peaked the softmax can be.

    **Negatives.** In-batch negatives are free (the batch's items are already embedded) but
    frequency-biased; see :func:`in_batch_softmax_loss` for the logQ correction. A repeat of the
    positive item in the batch is masked, but another item the same user liked is not (it is
    a "false negative"), the standard trade-off.

    **Sampled and hard negatives.** In-batch negatives are as popular as the positives, so the
    model rarely has to separate a user's positives from the near misses around them. Extra
    negatives are scored in the same softmax as the batch; with the logQ correction each
    logit is corrected by the log of its expected count among the row's candidates
    (:math:`B Q_j` in the batch, :math:`k / n_\text{items}` for a uniform draw,
    :math:`k / P` for a draw from a hard pool of :math:`P` items), treating the samplers as
    independent. Hard mining scores every (user, item) pair once per epoch, a full retrieval
    pass; on MovieLens see ``benchmarks/bench_two_tower.py --negatives``.

    **Side features.** ``user_features`` and ``item_features`` are tables indexed by id,
    standardised by the caller. Items without training pairs keep their random id embedding;
    with item features their embedding still reflects the features.

    Examples
    --------
    Two groups of four users, each user liking the items of its group but one (user ``u`` never
    saw item ``u``): the model completes each user's group.

    >>> users = np.repeat(np.arange(8), 3)
    >>> items = np.array([i for u in range(8) for i in range(4 * (u // 4), 4 * (u // 4) + 4)
    ...                   if i != u])
    >>> model = TwoTowerModel(embedding_dim=4, id_embedding_dim=4, hidden_layer_sizes=(),
    ...                       temperature=0.5, batch_size=24, n_epochs=100, learning_rate=0.05,
    ...                       random_state=0).fit(users, items)
    >>> model.recommend(k=1).ravel().tolist()  # seen items excluded
    [0, 1, 2, 3, 4, 5, 6, 7]
    """

    def __init__(
        self,
        *,
        embedding_dim: int = 64,
        id_embedding_dim: int = 64,
        hidden_layer_sizes=(128,),
        normalize: bool = True,
        temperature: float = 0.1,
        logq_correction: bool = True,
        batch_size: int = 512,
        negatives: str = "in_batch",
        n_negatives: int = 10,
        hard_negative_ranks=(100, 500),
        n_epochs: int = 10,
        learning_rate: float = 1e-2,
        optimizer: str = "adam",
        random_state=None,
    ) -> None:
        self.embedding_dim = embedding_dim
        self.id_embedding_dim = id_embedding_dim
        self.hidden_layer_sizes = hidden_layer_sizes
        self.normalize = normalize
        self.temperature = temperature
        self.logq_correction = logq_correction
        self.batch_size = batch_size
        self.negatives = negatives
        self.n_negatives = n_negatives
        self.hard_negative_ranks = hard_negative_ranks
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.random_state = random_state

    def _check_params(self) -> tuple:
        out_dim = check_positive_int(self.embedding_dim, "embedding_dim")
        id_dim = check_positive_int(self.id_embedding_dim, "id_embedding_dim")
        hidden = check_layer_sizes(self.hidden_layer_sizes)
        check_real(self.temperature, "temperature", low=0.0, low_inclusive=False)
        check_positive_int(self.batch_size, "batch_size")
        check_positive_int(self.n_epochs, "n_epochs")
        check_real(self.learning_rate, "learning_rate", low=0.0, low_inclusive=False)
        check_bool(self.normalize, "normalize")
        check_bool(self.logq_correction, "logq_correction")
        check_option(self.negatives, "negatives", ("in_batch", "random", "hard"))
        check_option(self.optimizer, "optimizer", ("adam", "lazy_adam"))
        check_positive_int(self.n_negatives, "n_negatives")
        ranks = self.hard_negative_ranks
        if (
            not isinstance(ranks, tuple | list)
            or len(ranks) != 2
            or any(isinstance(r, bool) or not isinstance(r, numbers.Integral) for r in ranks)
            or not 0 <= ranks[0] < ranks[1]
        ):
            raise ValueError(
                "hard_negative_ranks must be a pair of integers (start, stop) with "
                f"0 <= start < stop, e.g. (100, 500); got {ranks!r}"
            )
        return out_dim, id_dim, hidden

    def fit(
        self,
        user_ids,
        item_ids,
        *,
        user_features=None,
        item_features=None,
        n_users=None,
        n_items=None,
    ) -> TwoTowerModel:
        """Train on positive pairs ``(user_ids[i], item_ids[i])``.

        Parameters
        ----------
        user_ids, item_ids : array-like of int of shape (n_pairs,)
            Non-negative ids; a pair may repeat (it is then sampled more often).
        user_features : array-like of shape (n_users, n_user_features), optional
            Row ``u`` holds user ``u``'s side features (standardised).
        item_features : array-like of shape (n_items, n_item_features), optional
            Row ``j`` holds item ``j``'s side features (e.g. genre multi-hot).
        n_users, n_items : int, optional
            Number of ids, when some ids (e.g. test-only items) have no training pair; default
            the feature tables' length or the largest id + 1.

        Returns
        -------
        self
        """
        out_dim, id_dim, hidden = self._check_params()
        user_table = _check_table(user_features, "user_features")
        item_table = _check_table(item_features, "item_features")
        users, items = self._fit_interactions(
            user_ids, item_ids, n_users, n_items, user_table, item_table
        )
        rng = check_random_state(self.random_state)
        tower = {
            "id_dim": id_dim,
            "hidden": hidden,
            "out_dim": out_dim,
            "normalize": self.normalize,
            "sparse_grad": self.optimizer == "lazy_adam",
        }
        self.user_tower_ = _Tower(self.n_users_, user_table, rng=rng, **tower)
        self.item_tower_ = _Tower(self.n_items_, item_table, rng=rng, **tower)
        with np.errstate(divide="ignore"):
            self._log_q = np.log(self.item_counts_ / users.size)
        params = self.user_tower_.params + self.item_tower_.params
        grads = self.user_tower_.grads + self.item_tower_.grads
        self._check_negatives()
        lazy = self.optimizer == "lazy_adam"
        optimizer = LazyAdam(self.learning_rate) if lazy else Adam(self.learning_rate)
        self.loss_curve_ = []
        for _ in range(self.n_epochs):
            pool = self._hard_pool() if self.negatives == "hard" else None
            total = 0.0
            for batch in iterate_minibatches(users.size, batch_size=self.batch_size, rng=rng):
                extra = self._sample_extra(users[batch], items[batch], pool, rng)
                total += self._batch_loss(users[batch], items[batch], extra) * batch.size
                if lazy:
                    rows = self.user_tower_.grad_rows + self.item_tower_.grad_rows
                    optimizer.step(params, grads, rows=rows)
                else:
                    optimizer.step(params, grads)
            self.loss_curve_.append(total / users.size)
        return self

    def _check_negatives(self) -> None:
        if self.negatives == "in_batch":
            return
        if self.n_negatives >= self.n_items_:
            raise ValueError(
                f"n_negatives={self.n_negatives} must be below the number of items "
                f"({self.n_items_}); lower it"
            )
        if self.negatives == "hard":
            most_seen = int(np.diff(self.interactions_.indptr).max())
            stop = self.hard_negative_ranks[1]
            if stop > self.n_items_ - most_seen:
                raise ValueError(
                    f"hard_negative_ranks stops at rank {stop}, but a user has only "
                    f"{self.n_items_ - most_seen} items without a training pair; lower the stop"
                )

    def _hard_pool(self) -> np.ndarray:
        """Each user's items at ``hard_negative_ranks`` under the current towers, (n_users, P)."""
        start, stop = self.hard_negative_ranks
        items = self.item_tower_.forward(np.arange(self.n_items_))
        pool = np.empty((self.n_users_, stop - start), dtype=np.int64)
        block = max(1, 2_000_000 // self.n_items_)
        for first in range(0, self.n_users_, block):
            rows = np.arange(first, min(first + block, self.n_users_))
            scores = self.user_tower_.forward(rows) @ items.T
            top = top_k_items(scores, stop, exclude=self.interactions_[rows])
            pool[rows] = top[:, start:]
        return pool

    def _sample_extra(self, users, items, pool, rng) -> np.ndarray | None:
        """The batch's sampled negatives, (B, n_negatives), or None for in-batch only."""
        if self.negatives == "in_batch":
            return None
        if self.negatives == "random":
            return sample_negatives(
                self.n_items_, items, self.n_negatives, strategy="random", random_state=rng
            )
        slots = rng.integers(0, pool.shape[1], size=(users.size, self.n_negatives))
        return pool[users[:, None], slots]

    def _batch_loss(self, users: np.ndarray, items: np.ndarray, extra=None) -> float:
        """Forward and backward pass on one batch: the loss; gradients land in the towers."""
        if extra is not None:
            return self._mixed_batch_loss(users, items, extra)
        loss = in_batch_softmax_loss(
            self.user_tower_.forward(users),
            self.item_tower_.forward(items),
            temperature=self.temperature,
            log_q=self._log_q[items] if self.logq_correction else None,
            item_ids=items,
        )
        self.user_tower_.backward(loss.d_query)
        self.item_tower_.backward(loss.d_item)
        return loss.value

    def _mixed_batch_loss(self, users, items, extra) -> float:
        batch, k = extra.shape
        q = self.user_tower_.forward(users)
        v = self.item_tower_.forward(np.concatenate([items, extra.ravel()]))
        log_count = log_count_extra = None
        if self.logq_correction:
            log_count = self._log_q[items] + np.log(batch)
            pool = self.n_items_ if self.negatives == "random" else self.hard_negative_ranks[1]
            if self.negatives == "hard":
                pool -= self.hard_negative_ranks[0]
            log_count_extra = np.full((batch, k), np.log(k / pool))
        loss = _in_batch_plus_sampled_loss(
            q,
            v[:batch],
            v[batch:].reshape(batch, k, -1),
            temperature=self.temperature,
            log_count=log_count,
            log_count_extra=log_count_extra,
            item_ids=items,
            extra_ids=extra,
        )
        self.user_tower_.backward(loss.d_query)
        self.item_tower_.backward(np.vstack([loss.d_item, loss.d_extra.reshape(batch * k, -1)]))
        return loss.value

    def user_embeddings(self, users=None) -> np.ndarray:
        """User tower outputs, shape (len(users), embedding_dim); default every user."""
        users = self._users(users)
        return self.user_tower_.forward(users)

    def item_embeddings(self, items=None) -> np.ndarray:
        """Item tower outputs, shape (len(items), embedding_dim); default every item."""
        self._check_fitted()
        items = (
            np.arange(self.n_items_) if items is None else _check_ids(items, "items", self.n_items_)
        )
        return self.item_tower_.forward(items)

    def score_items(self, users=None) -> np.ndarray:
        r"""Scores :math:`\langle f(u), g(j) \rangle / \tau` of every item, (len(users), n_items).

        The logQ correction is a training device only: served scores are uncorrected.
        """
        return self.user_embeddings(users) @ self.item_embeddings().T / self.temperature
