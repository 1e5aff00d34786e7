r"""Wide & Deep (Cheng et al., 2016): a linear model over crosses plus a DNN over embeddings."""

from __future__ import annotations

import itertools
import numbers

import numpy as np

from mlref._validation import as_array, check_positive_int
from mlref.models._neural import (
    FieldNeuralClassifier,
    field_embedding,
    penalty_mask,
)
from mlref.nn.layers import Layer, check_layer_sizes, mlp

__all__ = ["WideAndDeepClassifier", "hash_field_pairs"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def hash_field_pairs(ids, pairs, *, n_ids: int, n_buckets: int) -> np.ndarray:
    r"""Hash the pair of ids of each cross into one of ``n_buckets`` buckets.

    For cross :math:`p` of fields :math:`(a, b)` and a row with ids :math:`(i_a, i_b)`, the key
    :math:`i_a \cdot N + i_b + (p + 1)\,\gamma \bmod 2^{64}` (:math:`N` = ``n_ids``, so distinct
    id pairs have distinct keys; :math:`\gamma` the golden-ratio constant, so equal id pairs of
    different crosses differ) goes through the SplitMix64 finaliser, then modulo ``n_buckets``.

    Parameters
    ----------
    ids : numpy.ndarray of int, shape (n_samples, n_fields)
        Field ids from :class:`~mlref.models.fields.FieldIndexer`.
    pairs : numpy.ndarray of int, shape (n_crosses, 2)
        Column indices of the two fields of each cross.
    n_ids, n_buckets : int

    Returns
    -------
    numpy.ndarray of int64, shape (n_samples, n_crosses)

    Notes
    -----
    Integer arithmetic on whole arrays, deterministic and independent of ``PYTHONHASHSEED``
    (unlike ``hash``); a vocabulary of seen crosses would be exact but grows with the data.

    Examples
    --------
    >>> out = hash_field_pairs(np.array([[0, 3], [0, 3], [1, 3]]), np.array([[0, 1]]),
    ...                        n_ids=5, n_buckets=1000)
    >>> out.shape, bool(out[0, 0] == out[1, 0]), bool(0 <= out.min() and out.max() < 1000)
    ((3, 1), True, True)
    """
    n_ids = check_positive_int(n_ids, "n_ids")
    n_buckets = check_positive_int(n_buckets, "n_buckets")
    ids = as_array(ids, "ids", None)
    if ids.ndim != 2 or ids.size == 0:
        raise ValueError(
            f"ids must be a non-empty 2-D array (n_samples, n_fields), got shape {ids.shape}"
        )
    if ids.dtype.kind not in "iu":
        raise ValueError(f"ids must hold integer field ids, got dtype {ids.dtype}")
    if ids.min() < 0 or ids.max() >= n_ids:
        raise ValueError(
            f"ids must lie in [0, n_ids) = [0, {n_ids}), got values from {ids.min()} to "
            f"{ids.max()}; pass n_ids = FieldIndexer.n_ids_"
        )
    pairs = as_array(pairs, "pairs", None)
    if pairs.dtype.kind not in "iu" or pairs.size == 0 or pairs.size % 2:
        raise ValueError(
            f"pairs must be a non-empty array of (field, field) column indices, got {pairs!r}"
        )
    pairs = pairs.reshape(-1, 2)
    if pairs.min() < 0 or pairs.max() >= ids.shape[1]:
        raise ValueError(
            f"pairs must index the {ids.shape[1]} columns of ids, got values from {pairs.min()} "
            f"to {pairs.max()}"
        )
    ids = ids.astype(np.int64).astype(np.uint64)
    pairs = pairs.astype(np.int64)
    cross_index = np.arange(1, pairs.shape[0] + 1, dtype=np.uint64)
    z = ids[:, pairs[:, 0]] * np.uint64(n_ids) + ids[:, pairs[:, 1]] + cross_index * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z ^= z >> np.uint64(31)
    return (z % np.uint64(n_buckets)).astype(np.int64)


class WideDeepNetwork(Layer):
    """The network a :class:`WideAndDeepClassifier` trains (its ``network_``).

    Logit = wide part (one weight per value and per hashed cross) + deep part (an MLP over the
    concatenated field embeddings); the deep output bias is the model's bias :math:`b`. Built by
    the estimator from the fitted field ids; not meant to be constructed by hand.
    """

    def __init__(self, n_fields, n_ids, pairs, n_buckets, embedding_dim, hidden, dropout, rng):
        super().__init__()
        self.n_ids, self.pairs, self.n_buckets = n_ids, pairs, n_buckets
        self.wide_fields = field_embedding(n_ids, 1, rng=rng, init_std=0.0)
        self.wide_crosses = (
            field_embedding(n_buckets, 1, rng=rng, init_std=0.0) if len(pairs) else None
        )
        self.embeddings = field_embedding(n_ids, embedding_dim, rng=rng)
        self.deep = mlp(
            n_fields * embedding_dim, hidden, dropout=dropout, batch_norm=False, rng=rng
        )
        parts = [self.wide_fields, self.wide_crosses, self.embeddings, self.deep]
        parts = [part for part in parts if part is not None]
        self.params = [p for part in parts for p in part.params]
        self.grads = [g for part in parts for g in part.grads]
        self.penalized = penalty_mask(parts)
        self.bias = self.deep.layers[-1].bias

    def _cross_ids(self, ids):
        return hash_field_pairs(ids, self.pairs, n_ids=self.n_ids, n_buckets=self.n_buckets)

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        ids = x
        wide = self.wide_fields.forward(ids)[:, :, 0].sum(axis=1)
        if self.wide_crosses is not None:
            wide += self.wide_crosses.forward(self._cross_ids(ids))[:, :, 0].sum(axis=1)
        emb = self.embeddings.forward(ids)
        deep = self.deep.forward(emb.reshape(len(ids), -1), training=training)[:, 0]
        self._cache = emb.shape
        return wide + deep

    def backward(self, d_out) -> None:
        emb_shape = self._cached()
        d_out = np.asarray(d_out, dtype=np.float64)
        n_samples, n_fields, _ = emb_shape
        self.wide_fields.backward(np.broadcast_to(d_out[:, None, None], (n_samples, n_fields, 1)))
        if self.wide_crosses is not None:
            shape = (n_samples, len(self.pairs), 1)
            self.wide_crosses.backward(np.broadcast_to(d_out[:, None, None], shape))
        d_emb = self.deep.backward(d_out[:, None])
        self.embeddings.backward(d_emb.reshape(emb_shape))


class WideAndDeepClassifier(FieldNeuralClassifier):
    r"""Wide & Deep click model on a table of categorical fields (Cheng et al., 2016).

    .. math::

        P(y = 1 \mid x) = \sigma\Big(\underbrace{\textstyle\sum_{j} w_{\text{id}_j}
            + \sum_{(a, b)} u_{h(\text{id}_a, \text{id}_b)}}_{\text{wide}}
            + \underbrace{w_\text{out}^\top \operatorname{MLP}\big([e_{\text{id}_1}, \dots,
            e_{\text{id}_F}]\big)}_{\text{deep}} + b\Big)

    The *wide* part is a linear model over every field's one-hot vector and the hashed one-hot
    crosses of field pairs (memorisation: a weight per frequent combination); the *deep* part
    concatenates one ``embedding_dim`` vector per field and feeds it to an MLP (generalisation to
    unseen combinations through shared embeddings). Both are trained jointly on the log-loss.

    Parameters
    ----------
    crosses : list of pairs of field names or column indices, or None, default=None
        The field pairs crossed in the wide part; ``None`` crosses every pair of fields
        (:math:`F(F-1)/2` crosses), ``[]`` none.
    n_cross_buckets : int, default=2**18
        Buckets the crosses are hashed into (:func:`hash_field_pairs`), shared by all crosses.
    embedding_dim : int, default=8
        Size :math:`k` of each field's embedding in the deep part.
    hidden_layer_sizes : tuple of int, default=(64, 32)
        Hidden layers of the deep part.
    dropout : float in [0, 1), default=0.0
        Dropout after every hidden layer but the last (see :func:`mlref.nn.layers.mlp`).
    min_count : int, default=1
        Values seen fewer times in ``fit`` share their field's id for unseen values
        (:class:`~mlref.models.fields.FieldIndexer`).
    alpha : float >= 0, default=1e-3
        L2 penalty on the wide weights, the embeddings and the deep weight matrices.
    n_epochs : int, default=3
    batch_size : int, default=1024
    learning_rate : float > 0, default=1e-3
        Adam's step size, for the wide and the deep part alike.
    random_state : int, numpy.random.Generator or None, default=None

    Attributes
    ----------
    classes_ : numpy.ndarray of shape (2,)
    field_indexer_ : FieldIndexer
        The fitted id space of the fields.
    crosses_ : numpy.ndarray of int, shape (n_crosses, 2)
        Column indices of the crossed field pairs.
    network_ : the trained network
    loss_curve_, validation_loss_curve_ : list of float (see ``fit``)
    n_features_in_ : int
        Number of fields.
    feature_names_in_ : numpy.ndarray of str
        Field names, when ``X`` was a DataFrame.

    Notes
    -----
    **Inputs.** Every column is a categorical field; numeric columns must be binned first, e.g.
    with :class:`mlref.features.numeric.QuantileBinner` (otherwise each distinct number becomes a
    category of its own). Unseen values map to their field's reserved id.

    **Sparse, not one-hot.** A linear model over one-hot vectors, :math:`x^\top w`, only reads
    the weights of the active values; the wide part is therefore computed as embedding lookups
    of dimension 1 (one weight per id, one per cross bucket), summed, never as a matrix product
    with a dense one-hot matrix. The gradient is non-zero only on the rows looked up.

    **Optimiser.** The paper trains the wide part with FTRL and L1 (sparse weights) and the deep
    part with AdaGrad; here a single Adam optimises both, which is simpler and works well at this
    scale, but does not produce exact zeros in the wide weights.

    **Bias and initialisation.** The bias :math:`b` is the deep output unit's bias, started at
    the base rate's log-odds; the wide weights start at 0 (a linear model's start) and the
    embeddings at :math:`\mathcal N(0, 0.01^2)`.

    **Defaults** (``embedding_dim=8``, ``alpha=1e-3``, ``batch_size=1024``, 3 epochs,
    ``learning_rate=1e-3``) were chosen on a random 20 % validation split of the iPinYou training
    sample (``benchmarks/bench_click_prediction.py``). With 255 clicks it overfits within a few
    epochs, hence the strong L2 and few passes; on larger data (the marketplace simulator's
    180,000 rows) a weaker ``alpha`` (1e-4 to 1e-5) does better.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 4, size=(2000, 3))
    >>> y = ((X[:, 0] == X[:, 1]) ^ (rng.random(2000) < 0.1)).astype(int)
    >>> model = WideAndDeepClassifier(crosses=[(0, 1)], n_cross_buckets=1024, n_epochs=20,
    ...                               learning_rate=0.01, random_state=0).fit(X, y)
    >>> bool(model.score(X, y) > 0.85)
    True
    """

    def __init__(
        self,
        *,
        crosses=None,
        n_cross_buckets=2**18,
        embedding_dim=8,
        hidden_layer_sizes=(64, 32),
        dropout=0.0,
        min_count=1,
        alpha=1e-3,
        n_epochs=3,
        batch_size=1024,
        learning_rate=1e-3,
        random_state=None,
    ):
        self.crosses = crosses
        self.n_cross_buckets = n_cross_buckets
        self.embedding_dim = embedding_dim
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.min_count = min_count
        self.alpha = alpha
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _check_params(self) -> None:
        super()._check_params()
        check_positive_int(self.n_cross_buckets, "n_cross_buckets")

    def _resolve_crosses(self) -> np.ndarray:
        n_fields = self.n_features_in_
        if self.crosses is None:
            pairs = list(itertools.combinations(range(n_fields), 2))
            return np.array(pairs, dtype=np.int64).reshape(-1, 2)
        names = [str(n) for n in getattr(self, "feature_names_in_", [])]

        def position(field) -> int:
            if isinstance(field, numbers.Integral) and not isinstance(field, bool):
                if 0 <= field < n_fields:
                    return int(field)
            elif isinstance(field, str) and field in names:
                return names.index(field)
            known = f"names {names} or " if names else ""
            raise ValueError(
                f"crosses refers to the unknown field {field!r}; use {known}column indices "
                f"0..{n_fields - 1}"
            )

        try:
            crosses = [tuple(pair) for pair in self.crosses]
        except TypeError:
            raise ValueError(
                f"crosses must be None or a list of field pairs such as [('city', 'slotid')], "
                f"got {self.crosses!r}"
            ) from None
        pairs = []
        for pair in crosses:
            if len(pair) != 2:
                raise ValueError(f"each cross must be a pair of two fields, got {pair!r}")
            a, b = position(pair[0]), position(pair[1])
            if a == b:
                raise ValueError(f"a cross needs two different fields, got {pair!r}")
            pairs.append((a, b))
        return np.array(pairs, dtype=np.int64).reshape(-1, 2)

    def _build_network(self, inputs, rng) -> WideDeepNetwork:
        self.crosses_ = self._resolve_crosses()
        return WideDeepNetwork(
            inputs.shape[1],
            self.field_indexer_.n_ids_,
            self.crosses_,
            int(self.n_cross_buckets),
            int(self.embedding_dim),
            check_layer_sizes(self.hidden_layer_sizes),
            float(self.dropout),
            rng,
        )
