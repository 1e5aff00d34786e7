r"""Item embeddings from sequences: word2vec's skip-gram with negative sampling (SGNS), and the
co-occurrence PPMI + SVD factorisation it implicitly approximates (Levy & Goldberg, 2014).

Sequences are given as flat rows, the course's convention for grouped data: ``tokens`` (item
ids, one per event, in order) and ``session`` (which sequence each event belongs to). Two events
are a (center, context) pair when they are in the same session at most ``window`` positions
apart.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from mlref._validation import (
    as_array,
    check_array_1d,
    check_array_2d,
    check_positive_int,
    check_random_state,
    check_real,
    check_same_length,
)
from mlref.nn import sigmoid

_TABLE_SIZE = 1_000_000


def _encode(tokens, session):
    tokens = check_array_1d(tokens, "tokens", dtype=None)
    if tokens.dtype.kind == "f" and not np.array_equal(tokens, np.round(tokens)):
        raise ValueError("tokens must be whole-number item ids, got fractional values")
    if session is None:
        session = np.zeros(tokens.size, dtype=np.int64)
    session = check_array_1d(session, "session", dtype=None)
    check_same_length(tokens=tokens, session=session)
    vocabulary, index = np.unique(tokens, return_inverse=True)
    return vocabulary, index.astype(np.int64), session


def context_pairs(tokens, session=None, *, window: int = 5) -> tuple[np.ndarray, np.ndarray]:
    r"""All (center, context) position pairs of the same session at most ``window`` apart.

    Rows must be in sequence order within each session (sessions may be interleaved: only
    consecutive rows of the same session pair up, so sort by session then time first).

    Parameters
    ----------
    tokens : array-like of int of shape (n_events,)
    session : array-like of shape (n_events,), optional
        Sequence id of each event; ``None``: one sequence.
    window : int, default 5

    Returns
    -------
    center, context : ndarray of int
        Row positions; every pair appears in both directions.

    Examples
    --------
    >>> c, o = context_pairs([7, 8, 9], window=1)
    >>> sorted(zip(c.tolist(), o.tolist()))
    [(0, 1), (1, 0), (1, 2), (2, 1)]
    """
    _, index, session = _encode(tokens, session)
    window = check_positive_int(window, "window")
    centers, contexts = [], []
    for d in range(1, window + 1):
        left = np.flatnonzero(session[d:] == session[:-d]) if d < index.size else np.array([], int)
        centers += [left, left + d]
        contexts += [left + d, left]
    return np.concatenate(centers).astype(np.int64), np.concatenate(contexts).astype(np.int64)


def sgns_loss(center, context, negatives):
    r"""Skip-gram negative-sampling loss of a batch, and its gradients.

    .. math::

        \ell = -\frac1B \sum_b \Big[\log\sigma(u_b \cdot v_b)
        + \sum_{k} \log\sigma(-u_b \cdot n_{bk})\Big]

    Parameters
    ----------
    center : ndarray of shape (B, d)
        Input vectors :math:`u_b`.
    context : ndarray of shape (B, d)
        Output vectors :math:`v_b` of the true contexts.
    negatives : ndarray of shape (B, K, d)
        Output vectors :math:`n_{bk}` of the sampled negatives.

    Returns
    -------
    loss : float
    d_center, d_context, d_negatives : ndarray
        Gradients of :math:`\ell` (same shapes as the inputs).

    Examples
    --------
    >>> loss, *_ = sgns_loss(np.zeros((1, 2)), np.zeros((1, 2)), np.zeros((1, 3, 2)))
    >>> round(loss, 4)  # 4 log 2
    2.7726
    """
    u = check_array_2d(center, "center")
    v = check_array_2d(context, "context")
    n = as_array(negatives, "negatives", np.float64)
    if n.ndim == 3 and n.size and not np.isfinite(n).all():
        raise ValueError("negatives holds NaN or infinite values; drop or impute them first")
    if v.shape != u.shape or n.ndim != 3 or n.shape[::2] != u.shape or n.shape[1] == 0:
        raise ValueError(
            f"center and context must be (B, d) and negatives (B, K, d), got {u.shape}, "
            f"{v.shape} and {n.shape}"
        )
    batch = u.shape[0]
    pos = np.einsum("bd,bd->b", u, v)
    neg = np.einsum("bd,bkd->bk", u, n)
    # -log sigmoid(x) = softplus(-x), computed without overflow.
    loss = (np.logaddexp(0.0, -pos).sum() + np.logaddexp(0.0, neg).sum()) / batch
    g_pos = (sigmoid(pos) - 1.0) / batch
    g_neg = sigmoid(neg) / batch
    d_center = g_pos[:, None] * v + np.einsum("bk,bkd->bd", g_neg, n)
    return float(loss), d_center, g_pos[:, None] * u, g_neg[:, :, None] * u[:, None, :]


class SkipGramNegativeSampling(BaseEstimator):
    r"""word2vec skip-gram with negative sampling, trained by mini-batch SGD in NumPy.

    Every (center, context) pair within ``window`` positions of the same session is a positive;
    ``n_negatives`` items drawn from the unigram distribution raised to ``power`` are negatives
    for it. The loss is :func:`sgns_loss`; the learning rate decays linearly to 0.01% of its
    start over training, as in the original word2vec.

    Parameters
    ----------
    n_components : int, default 32
        Embedding dimension.
    window : int, default 5
    n_negatives : int, default 5
    n_epochs : int, default 5
    learning_rate : float > 0, default 0.5
        Step size. Each batch moves every vector it touches by ``learning_rate`` times the mean
        gradient of the pairs that touch it (word2vec's sequential per-pair steps would add
        them up, which diverges in a batch when a popular item appears hundreds of times).
    batch_size : int, default 1024
    power : float >= 0, default 0.75
        Exponent of the negative-sampling distribution.
    random_state : int, numpy Generator or None

    Attributes
    ----------
    vocabulary_ : ndarray
        The distinct tokens, sorted; row ``i`` of ``embeddings_`` is ``vocabulary_[i]``.
    embeddings_ : ndarray of shape (n_tokens, n_components)
        Input ("center") vectors, the embeddings used downstream.
    context_embeddings_ : ndarray of shape (n_tokens, n_components)
    loss_curve_ : list of float
        Mean loss of each epoch.

    Examples
    --------
    Items that share contexts get similar vectors; here sessions draw from topic {0, 1, 2} or
    topic {3, 4, 5}:

    >>> rng = np.random.default_rng(0)
    >>> topic = rng.integers(0, 2, 300)
    >>> tokens = (3 * topic[:, None] + rng.integers(0, 3, (300, 6))).ravel()
    >>> session = np.repeat(np.arange(300), 6)
    >>> model = SkipGramNegativeSampling(4, window=2, batch_size=256, random_state=0)
    >>> sorted(model.fit(tokens, session).most_similar(0, k=2)[0].tolist())
    [1, 2]
    """

    def __init__(
        self,
        n_components: int = 32,
        *,
        window: int = 5,
        n_negatives: int = 5,
        n_epochs: int = 5,
        learning_rate: float = 0.5,
        batch_size: int = 1024,
        power: float = 0.75,
        random_state=None,
    ) -> None:
        self.n_components = n_components
        self.window = window
        self.n_negatives = n_negatives
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.power = power
        self.random_state = random_state

    def fit(self, tokens, session=None):
        """Learn embeddings from event rows ``tokens`` grouped by ``session`` (in order)."""
        dim = check_positive_int(self.n_components, "n_components")
        n_negatives = check_positive_int(self.n_negatives, "n_negatives")
        n_epochs = check_positive_int(self.n_epochs, "n_epochs")
        lr0 = check_real(self.learning_rate, "learning_rate", low=0.0, low_inclusive=False)
        batch_size = check_positive_int(self.batch_size, "batch_size")
        power = check_real(self.power, "power", low=0.0)
        rng = check_random_state(self.random_state)
        vocabulary, index, _ = _encode(tokens, session)
        centers, contexts = context_pairs(tokens, session, window=self.window)
        if centers.size == 0:
            raise ValueError(
                "tokens has no two events of the same session within window; pass longer "
                "sessions or a larger window"
            )
        n_tokens = vocabulary.size
        noise = np.bincount(index, minlength=n_tokens) ** power
        # word2vec's unigram table: each token repeated in proportion to its sampling weight.
        noise_table = np.repeat(
            np.arange(n_tokens),
            np.maximum(1, np.rint(noise / noise.sum() * _TABLE_SIZE)).astype(np.int64),
        )
        W_in = rng.uniform(-0.5 / dim, 0.5 / dim, size=(n_tokens, dim))
        W_out = np.zeros((n_tokens, dim))
        total_batches = n_epochs * -(-centers.size // batch_size)
        done = 0
        self.loss_curve_ = []
        for _ in range(n_epochs):
            order = rng.permutation(centers.size)
            losses = []
            for start in range(0, order.size, batch_size):
                rows = order[start : start + batch_size]
                c, o = index[centers[rows]], index[contexts[rows]]
                negs = noise_table[rng.integers(0, noise_table.size, (rows.size, n_negatives))]
                loss, d_c, d_o, d_n = sgns_loss(W_in[c], W_out[o], W_out[negs])
                # sgns_loss averages over the batch: scale back to per-pair gradients.
                lr = lr0 * max(1e-4, 1.0 - done / total_batches)
                _scatter_mean_step(W_in, c, rows.size * d_c, lr)
                _scatter_mean_step(
                    W_out,
                    np.concatenate([o, negs.ravel()]),
                    rows.size * np.concatenate([d_o, d_n.reshape(-1, dim)]),
                    lr,
                )
                losses.append(loss)
                done += 1
            self.loss_curve_.append(float(np.mean(losses)))
        self.vocabulary_ = vocabulary
        self.embeddings_ = W_in
        self.context_embeddings_ = W_out
        return self

    def most_similar(self, token, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` tokens with the highest cosine similarity to ``token`` (itself excluded)."""
        check_is_fitted(self, "embeddings_")
        return nearest_tokens(self.embeddings_, self.vocabulary_, token, k=k)


def _scatter_mean_step(W: np.ndarray, rows: np.ndarray, grads: np.ndarray, lr: float) -> None:
    """Move each row of ``W`` named in ``rows`` by ``-lr`` times the mean of its ``grads``."""
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
    sums = np.add.reduceat(grads[order], starts, axis=0)
    counts = np.diff(np.r_[starts, rows.size])
    W[sorted_rows[starts]] -= lr * sums / counts[:, None]


def nearest_tokens(embeddings, vocabulary, token, *, k: int = 10):
    """The ``k`` nearest tokens to ``token`` by cosine similarity of ``embeddings`` rows.

    Returns
    -------
    tokens, similarities : ndarray of shape (k,)

    Examples
    --------
    >>> nearest_tokens(np.eye(3) + [[0, 0.1, 0], [0, 0, 0], [0, 0, 0]], [5, 6, 7], 5, k=1)[0]
    array([6])
    """
    E = check_array_2d(embeddings, "embeddings")
    vocabulary = as_array(vocabulary, "vocabulary", None)
    k = check_positive_int(k, "k")
    if vocabulary.ndim != 1 or vocabulary.size != E.shape[0]:
        raise ValueError(
            f"vocabulary must be 1-D with one token per row of embeddings ({E.shape[0]}), got "
            f"shape {vocabulary.shape}"
        )
    where = np.flatnonzero(vocabulary == token)
    if where.size == 0:
        raise ValueError(f"token {token!r} is not in the vocabulary; pick a token seen in fit")
    if k >= vocabulary.size:
        raise ValueError(f"k={k} must be smaller than the vocabulary ({vocabulary.size} tokens)")
    norms = np.linalg.norm(E, axis=1)
    unit = np.divide(E, norms[:, None], out=np.zeros_like(E), where=norms[:, None] > 0)
    similarity = unit @ unit[where[0]]
    similarity[where[0]] = -np.inf
    best = np.argsort(-similarity, kind="stable")[:k]
    return vocabulary[best], similarity[best]


def ppmi_svd_embeddings(
    tokens, session=None, *, n_components: int = 32, window: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    r"""Embeddings from the SVD of the positive pointwise mutual information matrix.

    With :math:`\#(i, j)` the number of (center, context) pairs of :func:`context_pairs`,

    .. math::

        \mathrm{PPMI}(i, j) = \max\Big(0, \log\frac{\#(i,j)\,\sum_{a,b}\#(a,b)}{\#(i)\,\#(j)}\Big),
        \qquad E = U_k \sqrt{S_k}

    from the truncated SVD :math:`\mathrm{PPMI} \approx U_k S_k V_k^\top`. SGNS with :math:`K`
    negatives implicitly factorises the PMI matrix shifted by :math:`\log K` (Levy & Goldberg,
    2014); this is the explicit, deterministic counterpart.

    Returns
    -------
    vocabulary : ndarray
    embeddings : ndarray of shape (n_tokens, n_components)

    Examples
    --------
    >>> vocab, E = ppmi_svd_embeddings([0, 1, 0, 1, 2, 3, 2, 3], n_components=2, window=1)
    >>> E.shape
    (4, 2)
    """
    vocabulary, index, _ = _encode(tokens, session)
    n_components = check_positive_int(n_components, "n_components")
    if n_components >= vocabulary.size:
        raise ValueError(
            f"n_components={n_components} must be smaller than the vocabulary "
            f"({vocabulary.size} tokens)"
        )
    centers, contexts = context_pairs(tokens, session, window=window)
    n = vocabulary.size
    counts = sp.coo_matrix(
        (np.ones(centers.size), (index[centers], index[contexts])), shape=(n, n)
    ).tocsr()
    counts.sum_duplicates()
    row = np.asarray(counts.sum(axis=1)).ravel()
    col = np.asarray(counts.sum(axis=0)).ravel()
    coo = counts.tocoo()
    pmi = np.log(coo.data * counts.sum() / (row[coo.row] * col[coo.col]))
    keep = pmi > 0
    ppmi = sp.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=(n, n))
    u, s, _ = svds(ppmi, k=n_components, random_state=0)
    order = np.argsort(-s)
    return vocabulary, u[:, order] * np.sqrt(s[order])
