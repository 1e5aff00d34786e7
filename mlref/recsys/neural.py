r"""Neural recommenders built from the :mod:`mlref.nn` core: Neural CF and DLRM.

* **Neural collaborative filtering** (NeuMF, He et al. 2017) scores a (user, item) pair by two
  branches over separate id embeddings: *GMF*, the element-wise product
  :math:`p_u \odot q_i` (matrix factorization when followed by a linear layer), and an MLP over
  the concatenation :math:`[p'_u, q'_i]`; a final linear layer reads both,
  :math:`\hat y_{ui} = \sigma\big(h^\top [p_u \odot q_i,\ \mathrm{MLP}([p'_u, q'_i])] + b\big)`.
  It is trained on implicit feedback as a classifier: each observed pair is a positive, and
  ``n_negatives`` items drawn uniformly per positive (fresh every epoch) are negatives.
* **DLRM** (Naumov et al. 2019): dense features go through a *bottom* MLP to a vector of the
  embedding size, every sparse feature is looked up in its embedding table, all these vectors
  interact by pairwise dot products (:class:`mlref.nn.DotInteraction`), and a *top* MLP reads
  the dense vector and the interactions. It is a ranking model: here it scores candidates
  from their dense features (retriever ranks and scores, counts) and sparse ids (user, item).
"""

from __future__ import annotations

import numpy as np

from mlref._validation import check_array_2d, check_positive_int, check_random_state, check_real
from mlref.models._neural import BinaryNeuralClassifier, field_embedding, penalty_mask
from mlref.models.fields import FieldIndexer
from mlref.nn.interactions import DotInteraction
from mlref.nn.layers import Layer, Linear, check_layer_sizes, mlp
from mlref.nn.losses import binary_cross_entropy_with_logits
from mlref.nn.optim import Adam
from mlref.nn.training import iterate_minibatches
from mlref.recsys._base import MatrixRecommender, check_user_items

__all__ = ["DLRMClassifier", "NeuralCF"]

_SCORE_BATCH_PAIRS = 2**17  # (user, item) pairs per scoring block: bounds the MLP's memory


class _NeuMFNetwork(Layer):
    """GMF branch + MLP branch over (user, item) ids; one logit per pair."""

    def __init__(self, n_users, n_items, factors, hidden, rng):
        super().__init__()
        self.gmf_users = field_embedding(n_users, factors, rng=rng, init_std=0.1)
        self.gmf_items = field_embedding(n_items, factors, rng=rng, init_std=0.1)
        self.mlp_users = field_embedding(n_users, factors, rng=rng, init_std=0.1)
        self.mlp_items = field_embedding(n_items, factors, rng=rng, init_std=0.1)
        self.tower = mlp(2 * factors, hidden, n_outputs=None, rng=rng)
        self.head = Linear(factors + hidden[-1], 1, rng=rng, init="glorot")
        parts = [self.gmf_users, self.gmf_items, self.mlp_users, self.mlp_items, self.tower,
                 self.head]  # fmt: skip
        self.params = [p for part in parts for p in part.params]
        self.grads = [g for part in parts for g in part.grads]
        self.penalized = penalty_mask(parts)
        self.bias = self.head.bias
        self.factors = factors

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        users, items = x[:, 0], x[:, 1]
        pu, qi = self.gmf_users.forward(users), self.gmf_items.forward(items)
        tower_in = np.concatenate(
            [self.mlp_users.forward(users), self.mlp_items.forward(items)], axis=1
        )
        tower_out = self.tower.forward(tower_in, training=training)
        self._cache = (pu, qi)
        return self.head.forward(np.concatenate([pu * qi, tower_out], axis=1))[:, 0]

    def backward(self, d_out) -> None:
        pu, qi = self._cached()
        d_head = self.head.backward(np.asarray(d_out, dtype=np.float64)[:, None])
        d_gmf, d_tower = d_head[:, : self.factors], d_head[:, self.factors :]
        self.gmf_users.backward(d_gmf * qi)
        self.gmf_items.backward(d_gmf * pu)
        d_tower_in = self.tower.backward(d_tower)
        self.mlp_users.backward(d_tower_in[:, : self.factors])
        self.mlp_items.backward(d_tower_in[:, self.factors :])


class NeuralCF(MatrixRecommender):
    r"""Neural collaborative filtering (NeuMF) on implicit feedback, trained by sampled negatives.

    Loss per epoch: binary cross-entropy over every training positive and ``n_negatives``
    uniformly drawn items per positive (an unobserved item, almost always a true negative in
    sparse data; draws that hit a positive are dropped), plus
    :math:`\frac{\alpha}{2}\sum \lVert W\rVert^2` over weights and embeddings; Adam.

    Parameters
    ----------
    factors : int, default 16
        Size of each of the four embedding tables' vectors.
    hidden_layer_sizes : tuple of int, default (32, 16)
        MLP branch widths.
    n_negatives : int, default 4
    n_epochs : int, default 5
    batch_size : int, default 1024
    learning_rate : float, default 0.005
    alpha : float, default 1e-5
        L2 penalty.
    random_state : int, Generator or None, default None

    Attributes
    ----------
    network_ : the trained network
    loss_curve_ : list of float
        Mean training log-loss per epoch.
    user_items_ : scipy.sparse.csr_matrix
    n_users_, n_items_ : int

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> R = sp.random(40, 30, density=0.2, format="csr", random_state=0)
    >>> NeuralCF(n_epochs=2, random_state=0).fit(R).recommend([0], k=3).shape
    (1, 3)
    """

    def __init__(
        self,
        *,
        factors: int = 16,
        hidden_layer_sizes=(32, 16),
        n_negatives: int = 4,
        n_epochs: int = 5,
        batch_size: int = 1024,
        learning_rate: float = 0.005,
        alpha: float = 1e-5,
        random_state=None,
    ):
        self.factors = factors
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_negatives = n_negatives
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.random_state = random_state

    def _objective(self, network, pairs, labels) -> tuple[float, list]:
        logits = network.forward(pairs, training=True)
        loss = binary_cross_entropy_with_logits(logits, labels)
        network.backward(loss.grad)
        alpha = float(self.alpha)
        grads = [
            g + alpha * p if decayed else g
            for p, g, decayed in zip(network.params, network.grads, network.penalized, strict=True)
        ]
        return loss.value, grads

    def fit(self, user_items, y=None) -> NeuralCF:
        """Train on the stored cells of a user × item matrix (every stored cell is a positive)."""
        factors = check_positive_int(self.factors, "factors")
        hidden = check_layer_sizes(self.hidden_layer_sizes)
        if not hidden:
            raise ValueError("hidden_layer_sizes must hold at least one layer, e.g. (32, 16)")
        n_negatives = check_positive_int(self.n_negatives, "n_negatives")
        n_epochs = check_positive_int(self.n_epochs, "n_epochs")
        batch_size = check_positive_int(self.batch_size, "batch_size")
        lr = check_real(self.learning_rate, "learning_rate", low=0.0, low_inclusive=False)
        check_real(self.alpha, "alpha", low=0.0)
        matrix = check_user_items(user_items)
        rng = check_random_state(self.random_state)
        n_users, n_items = matrix.shape
        users = np.repeat(np.arange(n_users), np.diff(matrix.indptr))
        items = matrix.indices.astype(np.int64)
        positive_keys = users * n_items + items  # sorted: CSR rows and columns are sorted
        network = _NeuMFNetwork(n_users, n_items, factors, hidden, rng)
        optimizer = Adam(lr)
        self.loss_curve_ = []
        for _ in range(n_epochs):
            neg_users = np.repeat(users, n_negatives)
            neg_items = rng.integers(0, n_items, neg_users.size)
            keys = neg_users * n_items + neg_items
            at = np.minimum(np.searchsorted(positive_keys, keys), positive_keys.size - 1)
            fresh = positive_keys[at] != keys
            pairs = np.column_stack(
                [
                    np.concatenate([users, neg_users[fresh]]),
                    np.concatenate([items, neg_items[fresh]]),
                ]
            )
            labels = np.concatenate([np.ones(users.size), np.zeros(int(fresh.sum()))])
            total = 0.0
            for batch in iterate_minibatches(labels.size, batch_size=batch_size, rng=rng):
                value, grads = self._objective(network, pairs[batch], labels[batch])
                optimizer.step(network.params, grads)
                total += value * batch.size
            self.loss_curve_.append(total / labels.size)
        self.network_ = network
        self.user_items_ = matrix
        self.n_users_, self.n_items_ = n_users, n_items
        return self

    def _scores(self, users: np.ndarray) -> np.ndarray:
        net = self.network_
        f = net.factors
        first, rest = net.tower.layers[0], net.tower.layers[1:]
        # the first tower layer is linear in [p'_u, q'_i]: W^T [p; q] = W_u^T p + W_i^T q, so
        # each half is computed once per user and once per item instead of once per pair
        user_part = net.mlp_users.params[0][users] @ first.weight[:f]
        item_part = net.mlp_items.params[0] @ first.weight[f:] + first.bias
        gmf_items = net.gmf_items.params[0]
        head_w, head_b = net.head.weight[:, 0], net.head.bias[0]
        out = np.empty((users.size, self.n_items_))
        per_block = max(1, _SCORE_BATCH_PAIRS // self.n_items_)
        for start in range(0, users.size, per_block):
            stop = min(start + per_block, users.size)
            hidden = user_part[start:stop, None, :] + item_part[None, :, :]
            for layer in rest:
                hidden = layer.forward(hidden, training=False)
            gmf = net.gmf_users.params[0][users[start:stop]] * head_w[None, :f]
            out[start:stop] = gmf @ gmf_items.T + hidden @ head_w[f:] + head_b
        return out

    def predict(self, users, items) -> np.ndarray:
        """Logits of the pairs ``(users[n], items[n])``."""
        users = self._check_users(users)
        items = self._check_items(items)
        if users.size != items.size:
            raise ValueError(
                f"users and items must have the same length, got {users.size} and {items.size}"
            )
        return self.network_.forward(np.column_stack([users, items]), training=False)


class _DLRMNetwork(Layer):
    """bottom MLP(dense) -> v0; embeddings v1..vS; DotInteraction; top MLP([v0, dots])."""

    def __init__(self, n_dense, n_sparse, n_ids, dim, bottom, top, dropout, rng):
        super().__init__()
        self.n_dense = n_dense
        self.bottom = mlp(n_dense, bottom, n_outputs=dim, rng=rng)
        self.embeddings = field_embedding(n_ids, dim, rng=rng, init_std=0.1)
        self.interaction = DotInteraction()
        n_pairs = (n_sparse + 1) * n_sparse // 2
        self.top = mlp(dim + n_pairs, top, dropout=dropout, rng=rng)
        parts = [self.bottom, self.embeddings, self.top]
        self.params = [p for part in parts for p in part.params]
        self.grads = [g for part in parts for g in part.grads]
        self.penalized = penalty_mask(parts)
        self.bias = self.top.layers[-1].bias
        self.dim = dim

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        dense, ids = x[:, : self.n_dense], x[:, self.n_dense :].astype(np.int64)
        v0 = self.bottom.forward(dense, training=training)
        emb = self.embeddings.forward(ids)
        stacked = np.concatenate([v0[:, None, :], emb], axis=1)
        dots = self.interaction.forward(stacked)
        return self.top.forward(np.concatenate([v0, dots], axis=1), training=training)[:, 0]

    def backward(self, d_out) -> None:
        d_top = self.top.backward(np.asarray(d_out, dtype=np.float64)[:, None])
        d_stacked = self.interaction.backward(d_top[:, self.dim :])
        self.bottom.backward(d_top[:, : self.dim] + d_stacked[:, 0])
        self.embeddings.backward(d_stacked[:, 1:])


class DLRMClassifier(BinaryNeuralClassifier):
    r"""DLRM: bottom MLP on dense features, embedding tables for sparse ids, pairwise dot-product
    interactions, top MLP; binary cross-entropy, mini-batch Adam.

    .. math::

        v_0 = \mathrm{MLP}_\text{bot}(x_\text{dense}),\quad v_s = E[\text{id}_s],\quad
        \hat y = \sigma\Big(\mathrm{MLP}_\text{top}\big([v_0,\ (v_i^\top v_j)_{0 \le i < j \le S}]
        \big)\Big).

    Parameters
    ----------
    sparse_columns : sequence of int
        Columns of ``X`` holding categorical ids (any hashable values; indexed by a
        :class:`~mlref.models.fields.FieldIndexer`, rare values -> one "other" id per column).
        Every other column is dense and standardised with the training mean and deviation.
    embedding_dim : int, default 8
        Size of every embedding and of the bottom MLP's output.
    bottom_layer_sizes : tuple of int, default (32,)
    hidden_layer_sizes : tuple of int, default (64, 32)
        Top MLP widths.
    dropout, alpha, n_epochs, batch_size, learning_rate, random_state
        As in :class:`mlref.models.MLPClassifier`.
    min_count : int, default 1
        Ids seen fewer times in training share the column's "other" id.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([rng.normal(size=200), rng.integers(0, 5, 200)])
    >>> y = (X[:, 0] + (X[:, 1] == 2) > 0.5).astype(int)
    >>> model = DLRMClassifier(sparse_columns=[1], n_epochs=30, batch_size=32, learning_rate=0.01,
    ...                        random_state=0).fit(X, y)
    >>> bool(model.score(X, y) > 0.95)
    True
    """

    def __init__(
        self,
        *,
        sparse_columns=(),
        embedding_dim: int = 8,
        bottom_layer_sizes=(32,),
        hidden_layer_sizes=(64, 32),
        dropout: float = 0.0,
        alpha: float = 1e-5,
        n_epochs: int = 5,
        batch_size: int = 512,
        learning_rate: float = 0.001,
        min_count: int = 1,
        random_state=None,
    ):
        self.sparse_columns = sparse_columns
        self.embedding_dim = embedding_dim
        self.bottom_layer_sizes = bottom_layer_sizes
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.alpha = alpha
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.min_count = min_count
        self.random_state = random_state

    def _check_params(self) -> None:
        check_positive_int(self.embedding_dim, "embedding_dim")
        check_positive_int(self.min_count, "min_count")
        check_layer_sizes(self.bottom_layer_sizes, "bottom_layer_sizes")

    def _encode(self, X, *, fitting: bool) -> np.ndarray:
        matrix = check_array_2d(X, "X")
        if fitting:
            sparse = np.asarray(self.sparse_columns, dtype=np.int64).reshape(-1)
            if sparse.size == 0:
                raise ValueError("sparse_columns is empty; DLRM needs at least one id column")
            out_of_range = sparse.min() < 0 or sparse.max() >= matrix.shape[1]
            if out_of_range or np.unique(sparse).size < sparse.size:
                raise ValueError(
                    f"sparse_columns must be distinct column indices in 0..{matrix.shape[1] - 1}"
                )
            self.n_features_in_ = matrix.shape[1]
            self.sparse_columns_ = sparse
            self.dense_columns_ = np.setdiff1d(np.arange(matrix.shape[1]), sparse)
            if self.dense_columns_.size == 0:
                raise ValueError("DLRM needs at least one dense column besides sparse_columns")
            self.field_indexer_ = FieldIndexer(min_count=self.min_count).fit(
                matrix[:, sparse].astype(np.int64)
            )
            dense = matrix[:, self.dense_columns_]
            self.dense_mean_ = dense.mean(axis=0)
            scale = dense.std(axis=0)
            self.dense_scale_ = np.where(scale > 0, scale, 1.0)
        elif matrix.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {matrix.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        dense = (matrix[:, self.dense_columns_] - self.dense_mean_) / self.dense_scale_
        ids = self.field_indexer_.transform(matrix[:, self.sparse_columns_].astype(np.int64))
        return np.column_stack([dense, ids.astype(np.float64)])

    def _build_network(self, inputs, rng) -> _DLRMNetwork:
        return _DLRMNetwork(
            self.dense_columns_.size,
            self.sparse_columns_.size,
            self.field_indexer_.n_ids_,
            int(self.embedding_dim),
            check_layer_sizes(self.bottom_layer_sizes, "bottom_layer_sizes"),
            check_layer_sizes(self.hidden_layer_sizes),
            float(self.dropout),
            rng,
        )
