r"""A self-attention list scorer (the source's "AttentionRank"), with forward and backward in NumPy.

Pointwise, pairwise and the other listwise rankers score each document on its own features: the
loss looks at the list, the scorer does not. Here the *scorer* sees the list too. Each document
of a query attends to the other candidates of the same query (one multi-head self-attention
layer, as in a Transformer encoder without positional encodings), so its score can depend on
what else was retrieved: a document that is merely "the best of a weak list" can be told apart
from one among many strong candidates.

Architecture, for the :math:`n_q` documents of one query with features :math:`X_q`:

.. math::

    H_0 &= X_q W_e + b_e                                  && \text{embedding, } d_{in} \to d \\
    A_h &= \operatorname{softmax}\Bigl(\frac{(H_0 W_Q^h)(H_0 W_K^h)^\top}{\sqrt{d_k}}\Bigr)
        && \text{one } n_q \times n_q \text{ matrix per head} \\
    H_1 &= H_0 + \bigl[A_1 H_0 W_V^1, \dots, A_m H_0 W_V^m\bigr] W_O + b_O
        && \text{attention, residual} \\
    H_2 &= H_1 + \max(0, H_1 W_1 + b_1) W_2                 && \text{feed-forward, residual} \\
    s &= H_2 w                                              && \text{score head}

Queries have different lengths, so queries of similar length are padded together to their
longest list, ``(n_queries, n_heads, L, d_k)``, and the padded *keys* are masked out of the
softmax: a document never attends to padding nor to another query's documents. There are no
biases whose gradient would always be zero (after the feed-forward block and in the head): a
shift added to every score of a query changes no ranking and no listwise loss.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sklearn.utils.validation import check_is_fitted

from mlref._validation import (
    as_array,
    check_array_2d,
    check_n_features,
    check_option,
    check_positive_int,
    check_random_state,
    check_same_length,
)
from mlref.ltr.groups import QueryGroups
from mlref.ltr.listwise import listmle_loss, listnet_loss
from mlref.ltr.scorers import ScorerRanker

__all__ = ["AttentionListScorer", "AttentionRanker"]


class _Bucket(NamedTuple):
    """Queries of one length class, padded together to their longest list."""

    rows: np.ndarray  # sorted-row index of each of the bucket's rows
    query: np.ndarray  # bucket-local query of each row
    slot: np.ndarray  # position of each row in its padded list
    key_is_real: np.ndarray  # (n_queries_in_bucket, length): False on padding


def _length_buckets(groups: QueryGroups) -> list[_Bucket]:
    """Split the queries into length classes ``(2^(c-1), 2^c]``, one padded batch per class.

    Padding every query to the longest list of the whole data set wastes most of the
    :math:`O(L^2)` attention work when list lengths are skewed (MQ2008: median 8, max 121);
    within a class the padded length is less than twice any member's. The loop runs over at
    most ``log2(longest list) + 1`` classes, never over queries.
    """
    length_class = np.ceil(np.log2(groups.sizes)).astype(np.int64)
    buckets = []
    for c in np.unique(length_class):
        queries = np.flatnonzero(length_class == c)
        sizes = groups.sizes[queries]
        query = np.repeat(np.arange(len(queries)), sizes)
        slot = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        key_is_real = np.arange(int(sizes.max())) < sizes[:, None]
        rows = np.repeat(groups.starts[queries], sizes) + slot
        buckets.append(_Bucket(rows, query, slot, key_is_real))
    return buckets


class AttentionListScorer:
    r"""Self-attention scorer of ragged query lists: parameters, forward and backward passes.

    Follows the scorer protocol of :mod:`mlref.ltr.scorers` (``init``, ``forward``,
    ``backward``, ``params``, ``param_names``) with ``needs_groups = True``: ``forward`` must be
    given the query grouping of its rows, because a document's score depends on the other
    candidates of its query.

    Parameters
    ----------
    d_model : int, default=16
        Width of the document embeddings; a multiple of ``n_heads``.
    n_heads : int, default=2
        Number of attention heads, each of width ``d_k = d_model // n_heads``.
    d_ff : int, default=32
        Hidden width of the feed-forward block.

    Attributes
    ----------
    params : list of ndarray
        ``W_e, b_e, W_q, W_k, W_v, W_o, b_o, W_1, b_1, W_2, w`` (see the module docstring),
        set by :meth:`init`. ``W_q``, ``W_k``, ``W_v`` are ``(d_model, d_model)``; head ``h``
        uses their columns ``h * d_k : (h + 1) * d_k``.
    param_names : tuple of str
        The names above; those starting with ``"b"`` are biases.

    Notes
    -----
    The scorer is permutation-equivariant within a query: there is no positional encoding, so
    shuffling a query's rows shuffles its scores the same way, and the order in which the
    candidates arrive carries no information.

    Examples
    --------
    >>> groups = QueryGroups.from_ids([0, 0, 0, 1])
    >>> scorer = AttentionListScorer(d_model=4, n_heads=2, d_ff=8)
    >>> scorer = scorer.init(3, np.random.default_rng(0))
    >>> scores, cache = scorer.forward(np.ones((4, 3)), groups)
    >>> scores.shape, [g.shape for g in scorer.backward(cache, np.ones(4))][:2]
    ((4,), [(3, 4), (4,)])
    """

    param_names = ("W_e", "b_e", "W_q", "W_k", "W_v", "W_o", "b_o", "W_1", "b_1", "W_2", "w")
    needs_groups = True

    def __init__(self, d_model: int = 16, n_heads: int = 2, d_ff: int = 32):
        self.d_model = check_positive_int(d_model, "d_model")
        self.n_heads = check_positive_int(n_heads, "n_heads")
        self.d_ff = check_positive_int(d_ff, "d_ff")
        if d_model % n_heads:
            raise ValueError(
                f"d_model ({d_model}) must be a multiple of n_heads ({n_heads}); each head gets "
                "d_model // n_heads dimensions"
            )
        self.d_k = d_model // n_heads
        self.params: list[np.ndarray] = []

    def init(self, n_features: int, rng: np.random.Generator) -> AttentionListScorer:
        """Draw the weights from ``rng``, normal with variance ``1 / fan_in``; biases at 0."""
        n_features = check_positive_int(n_features, "n_features")
        rng = check_random_state(rng, "rng")
        d, f = self.d_model, self.d_ff

        def weights(fan_in, *shape):
            return rng.normal(scale=1.0 / np.sqrt(fan_in), size=shape)

        self.params = [
            weights(n_features, n_features, d),
            np.zeros(d),
            weights(d, d, d),
            weights(d, d, d),
            weights(d, d, d),
            weights(d, d, d),
            np.zeros(d),
            weights(d, d, f),
            np.zeros(f),
            weights(f, f, d),
            weights(d, d),
        ]
        return self

    def _split_heads(self, flat: np.ndarray, bucket: _Bucket) -> np.ndarray:
        """(n_rows, d_model) -> zero-padded (n_queries, n_heads, L, d_k)."""
        n_queries, length = bucket.key_is_real.shape
        padded = np.zeros((n_queries, self.n_heads, length, self.d_k))
        padded[bucket.query, :, bucket.slot] = flat.reshape(len(flat), self.n_heads, self.d_k)
        return padded

    def _merge_heads(self, padded: np.ndarray, bucket: _Bucket) -> np.ndarray:
        """Zero-padded (n_queries, n_heads, L, d_k) -> (n_rows, d_model), dropping padding."""
        return padded[bucket.query, :, bucket.slot].reshape(len(bucket.rows), self.d_model)

    def _attend(self, q: np.ndarray, k: np.ndarray, bucket: _Bucket) -> np.ndarray:
        """Masked scaled dot-product attention weights, (n_queries, n_heads, L, L)."""
        logits = np.einsum("bhid,bhjd->bhij", q, k, optimize=True) / np.sqrt(self.d_k)
        logits = np.where(bucket.key_is_real[:, None, None, :], logits, -np.inf)
        logits -= logits.max(axis=-1, keepdims=True)  # every list has a real key: finite max
        weights = np.exp(logits)
        weights /= weights.sum(axis=-1, keepdims=True)
        return weights

    def _check_input(self, X, groups) -> np.ndarray:
        if not self.params:
            raise ValueError("AttentionListScorer has no parameters yet; call init first")
        if not isinstance(groups, QueryGroups):
            raise ValueError(
                "AttentionListScorer scores whole lists: pass groups, the QueryGroups of the "
                f"rows (rows sorted by query), got {type(groups).__name__}"
            )
        X = as_array(X, "X", np.float64)
        n_features = self.params[0].shape[0]
        if X.ndim != 2 or X.shape[1] != n_features:
            raise ValueError(
                f"X must have shape (n_rows, {n_features}) as at init, got {X.shape}; pass the "
                "same feature columns"
            )
        check_same_length(X=X, groups=groups.order)
        return X

    def forward(self, X, groups: QueryGroups) -> tuple[np.ndarray, tuple]:
        """Scores of the rows of ``X`` and the cache for :meth:`backward`.

        Parameters
        ----------
        X : ndarray of shape (n_rows, n_features)
            Features, rows sorted by query (``X_original[groups.order]``).
        groups : QueryGroups
            Grouping of those rows.
        """
        X = self._check_input(X, groups)
        W_e, b_e, W_q, W_k, W_v, W_o, b_o, W_1, b_1, W_2, w = self.params
        h0 = X @ W_e + b_e
        q_flat, k_flat, v_flat = h0 @ W_q, h0 @ W_k, h0 @ W_v
        context = np.empty_like(h0)
        attended = []
        for bucket in _length_buckets(groups):
            q = self._split_heads(q_flat[bucket.rows], bucket)
            k = self._split_heads(k_flat[bucket.rows], bucket)
            v = self._split_heads(v_flat[bucket.rows], bucket)
            weights = self._attend(q, k, bucket)
            mixed = np.einsum("bhij,bhjd->bhid", weights, v, optimize=True)
            context[bucket.rows] = self._merge_heads(mixed, bucket)
            attended.append((bucket, q, k, v, weights))
        h1 = h0 + context @ W_o + b_o
        pre = h1 @ W_1 + b_1
        hidden = np.maximum(pre, 0.0)
        h2 = h1 + hidden @ W_2
        cache = (X, h0, attended, context, h1, pre, hidden, h2)
        return h2 @ w, cache

    def backward(self, cache: tuple, d_scores: np.ndarray) -> list[np.ndarray]:
        """Gradients of :math:`\\sum_r d_r s_r` with respect to :attr:`params` (same order)."""
        X, h0, attended, context, h1, pre, hidden, h2 = cache
        _, _, W_q, W_k, W_v, W_o, _, W_1, _, W_2, w = self.params
        d_w = h2.T @ d_scores
        d_h2 = np.outer(d_scores, w)
        d_W_2 = hidden.T @ d_h2
        d_pre = (d_h2 @ W_2.T) * (pre > 0)  # ReLU derivative taken as 0 at 0
        d_h1 = d_h2 + d_pre @ W_1.T
        d_context = d_h1 @ W_o.T
        d_q_flat, d_k_flat, d_v_flat = (np.empty_like(h0) for _ in range(3))
        for bucket, q, k, v, weights in attended:
            d_mixed = self._split_heads(d_context[bucket.rows], bucket)
            d_weights = np.einsum("bhid,bhjd->bhij", d_mixed, v, optimize=True)
            d_v = np.einsum("bhij,bhid->bhjd", weights, d_mixed, optimize=True)
            # softmax backward; masked keys have weight 0, hence zero gradient
            d_logits = weights * (d_weights - (d_weights * weights).sum(axis=-1, keepdims=True))
            d_logits /= np.sqrt(self.d_k)
            d_q = np.einsum("bhij,bhjd->bhid", d_logits, k, optimize=True)
            d_k = np.einsum("bhij,bhid->bhjd", d_logits, q, optimize=True)
            d_q_flat[bucket.rows] = self._merge_heads(d_q, bucket)
            d_k_flat[bucket.rows] = self._merge_heads(d_k, bucket)
            d_v_flat[bucket.rows] = self._merge_heads(d_v, bucket)
        d_h0 = d_h1 + d_q_flat @ W_q.T + d_k_flat @ W_k.T + d_v_flat @ W_v.T
        return [
            X.T @ d_h0,
            d_h0.sum(axis=0),
            h0.T @ d_q_flat,
            h0.T @ d_k_flat,
            h0.T @ d_v_flat,
            context.T @ d_h1,
            d_h1.sum(axis=0),
            h1.T @ d_pre,
            d_pre.sum(axis=0),
            d_W_2,
            d_w,
        ]

    def attention_weights(self, X, groups: QueryGroups) -> list[np.ndarray]:
        """Attention matrices of each query, ``(n_heads, n_q, n_q)``, in the order of ``groups``.

        Entry ``[h, i, j]`` is how much document ``i`` of the query draws on document ``j`` in
        head ``h`` (rows sum to 1), documents in the sorted-row order of ``groups``.
        """
        X = self._check_input(X, groups)
        h0 = X @ self.params[0] + self.params[1]
        matrices: list[np.ndarray] = [np.empty(0)] * groups.n_queries
        for bucket in _length_buckets(groups):
            q = self._split_heads((h0 @ self.params[2])[bucket.rows], bucket)
            k = self._split_heads((h0 @ self.params[3])[bucket.rows], bucket)
            weights = self._attend(q, k, bucket)
            members = groups.position[bucket.rows[bucket.slot == 0]]
            sizes = bucket.key_is_real.sum(axis=1)
            # unpadding is a per-query slice: only for inspection, not on the training path
            for local, (query, size) in enumerate(zip(members, sizes, strict=True)):
                matrices[query] = weights[local, :, :size, :size]
        return matrices


class AttentionRanker(ScorerRanker):
    r"""Listwise ranker whose scorer is one self-attention layer over each query's candidates.

    The source's "AttentionRank" (Transformer-based listwise ranking): the scores come from
    :class:`AttentionListScorer` (embedding, multi-head self-attention restricted to the
    documents of the same query, residual feed-forward block, linear head) and are trained
    with the ListNet or ListMLE loss by Adam on mini-batches of whole queries.

    Parameters
    ----------
    d_model : int, default=16
        Width of the document embeddings (a multiple of ``n_heads``).
    n_heads : int, default=2
        Attention heads.
    d_ff : int, default=32
        Hidden width of the feed-forward block.
    loss : {"listnet", "listmle"}, default="listnet"
        Training loss, :func:`~mlref.ltr.listwise.listnet_loss` or
        :func:`~mlref.ltr.listwise.listmle_loss` (ties reshuffled at every step).
    n_epochs : int, default=20
        Passes over the training queries.
    learning_rate : float, default=0.01
        Adam's step size.
    batch_queries : int or None, default=32
        Queries per Adam step; ``None`` for full-batch steps.
    alpha : float, default=0.01
        L2 penalty on the weights (not the biases); MQ2008-sized data (a few hundred queries)
        overfits within a few epochs without it.
    random_state : int, numpy.random.Generator or None, default=None
        Seeds the initial weights, the mini-batches and the ListMLE tie-breaking.

    Attributes
    ----------
    scorer_ : AttentionListScorer
        The trained scorer.
    loss_curve_ : ndarray of shape (n_epochs,)
        Mean training objective of each epoch.
    feature_mean_, feature_scale_ : ndarray of shape (n_features,)
        Standardisation applied to ``X`` before the scorer.
    n_features_in_ : int
        Number of features seen in fit.

    Notes
    -----
    *A listwise scorer.* A document's score depends on the other candidates of its query, so
    :meth:`predict` needs ``group`` too, and the score of the same document changes when the
    candidate list changes. Within a list the scorer is permutation-equivariant (no position
    encoding): permuting a query's rows permutes its scores the same way.

    *Cost.* Attention is :math:`O(n_q^2)` per query and head. Queries are padded only to the
    longest list of their length class (lengths within a factor of 2), with the padded keys
    masked out of the softmax, so the work stays close to :math:`\sum_q n_q^2`.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [2.0], [0.0], [1.0]])
    >>> y = np.array([0.0, 1.0, 2.0, 2.0, 0.0, 1.0])
    >>> group = [0, 0, 0, 1, 1, 1]
    >>> ranker = AttentionRanker(d_model=4, n_epochs=100, learning_rate=0.03, random_state=0)
    >>> scores = ranker.fit(X, y, group).predict(X, group)
    >>> bool(scores[2] > scores[1] > scores[0] and scores[3] > scores[5] > scores[4])
    True
    """

    def __init__(
        self,
        *,
        d_model=16,
        n_heads=2,
        d_ff=32,
        loss="listnet",
        n_epochs=20,
        learning_rate=0.01,
        batch_queries=32,
        alpha=0.01,
        random_state=None,
    ):
        self.d_model = d_model
        self.n_heads = n_heads
        self.d_ff = d_ff
        self.loss = loss
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.batch_queries = batch_queries
        self.alpha = alpha
        self.random_state = random_state

    @property
    def scorer(self) -> AttentionListScorer:
        """A fresh, untrained scorer with this ranker's sizes (what ``fit`` trains)."""
        return AttentionListScorer(d_model=self.d_model, n_heads=self.n_heads, d_ff=self.d_ff)

    def _make_loss(self, y, groups, rng):
        check_option(self.loss, "loss", ("listnet", "listmle"))
        if self.loss == "listnet":
            return lambda scores, batch: listnet_loss(batch.y, scores, batch.groups)
        return lambda scores, batch: listmle_loss(batch.y, scores, batch.groups, rng)

    def predict(self, X, group=None) -> np.ndarray:
        """Scores of the rows of ``X`` given the query id of each row (higher ranks first).

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
        group : array-like of shape (n_rows,)
            Query id of each row, required: a document is scored against the other rows of its
            query. (It defaults to ``None`` only to share the signature of the other rankers;
            ``None`` raises :class:`ValueError`.)

        Returns
        -------
        ndarray of shape (n_rows,)
        """
        return super().predict(X, group)

    def attention_weights(self, X, group) -> dict:
        """Per-query attention matrices of the trained scorer, for inspection.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
        group : array-like of shape (n_rows,)
            Query id of each row.

        Returns
        -------
        dict
            ``{query_id: ndarray of shape (n_heads, n_q, n_q)}``; entry ``[h, i, j]`` is the
            weight that the ``i``-th row of the query (in the order of ``X``) puts on its
            ``j``-th row in head ``h``; each ``[h, i, :]`` sums to 1.
        """
        check_is_fitted(self, "scorer_")
        X = check_array_2d(X, "X")
        check_n_features(X, self)
        groups = QueryGroups.from_ids(group)
        check_same_length(X=X, group=groups.order)
        X = (X - self.feature_mean_) / self.feature_scale_
        matrices = self.scorer_.attention_weights(X[groups.order], groups)
        return dict(zip(groups.ids.tolist(), matrices, strict=True))
