r"""DeepFM (Guo et al., 2017): a factorisation machine and a DNN sharing the field embeddings."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mlref._validation import as_array
from mlref.models._neural import (
    FieldNeuralClassifier,
    field_embedding,
    penalty_mask,
)
from mlref.nn.layers import Layer, check_layer_sizes, mlp

__all__ = ["DeepFMClassifier", "FMSecondOrder", "fm_second_order"]


class FMSecondOrder(NamedTuple):
    """The FM pairwise term of each row and its gradient with respect to that row's embeddings."""

    value: np.ndarray  # (n_samples,)
    grad: np.ndarray  # (n_samples, n_fields, dim): d value[n] / d embeddings[n]


def fm_second_order(embeddings) -> FMSecondOrder:
    r"""Sum of the pairwise dot products of each row's field embeddings, in :math:`O(F k)`.

    For a row with one active value per field and embeddings :math:`v_1, \dots, v_F \in
    \mathbb R^k`,

    .. math::

        \sum_{i < j} \langle v_i, v_j \rangle
        = \frac12 \sum_{f=1}^{k} \Big[\Big(\sum_{i} v_{if}\Big)^2 - \sum_{i} v_{if}^2\Big],
        \qquad
        \frac{\partial}{\partial v_{if}} = \sum_{j} v_{jf} - v_{if},

    since :math:`(\sum_i v_{if})^2` counts every pair twice plus the squares. The naive double
    sum costs :math:`O(F^2 k)`; this costs :math:`O(F k)`.

    Parameters
    ----------
    embeddings : array-like of float, shape (n_samples, n_fields, dim)
        One embedding per field (for one-hot fields, :math:`x_i = 1`, so
        :math:`\langle v_i, v_j\rangle x_i x_j = \langle v_i, v_j\rangle`).

    Returns
    -------
    FMSecondOrder
        ``value`` of shape (n_samples,) and ``grad`` of the embeddings' shape, where
        ``grad[n]`` is the gradient of ``value[n]`` with respect to ``embeddings[n]`` (a row's
        value depends on its own embeddings only), so the backward pass is
        ``d_value[:, None, None] * grad``.

    Raises
    ------
    ValueError
        If ``embeddings`` is not 3-D, is empty or holds NaN/inf.

    Examples
    --------
    >>> v = np.array([[[1.0, 0.0], [2.0, 1.0], [0.0, 3.0]]])  # <v1,v2> + <v1,v3> + <v2,v3>
    >>> out = fm_second_order(v)
    >>> out.value.tolist(), out.grad[0, 0].tolist()
    ([5.0], [2.0, 4.0])
    """
    emb = as_array(embeddings, "embeddings", np.float64)
    if emb.ndim != 3 or emb.size == 0:
        raise ValueError(
            f"embeddings must be a non-empty 3-D array (n_samples, n_fields, dim), got shape "
            f"{emb.shape}"
        )
    if not np.isfinite(emb).all():
        raise ValueError("embeddings hold NaN or infinite values; check the embedding table")
    with np.errstate(over="ignore", invalid="ignore"):
        field_sum = emb.sum(axis=1, keepdims=True)
        value = 0.5 * (field_sum[:, 0, :] ** 2 - (emb * emb).sum(axis=1)).sum(axis=1)
    if not np.isfinite(value).all():
        raise ValueError(
            f"embeddings up to {np.abs(emb).max():.3g} make the pairwise interactions overflow "
            "float64; the embeddings have diverged: lower the learning rate or raise alpha"
        )
    return FMSecondOrder(value, field_sum - emb)


class DeepFMNetwork(Layer):
    """The network a :class:`DeepFMClassifier` trains (its ``network_``).

    Logit = first-order weights + FM second-order term + DNN, the FM term and the DNN reading one
    shared embedding table; the DNN's output bias plays the role of the global bias :math:`w_0`.
    Built by the estimator from the fitted field ids; not meant to be constructed by hand.
    """

    def __init__(self, n_fields, n_ids, embedding_dim, hidden, dropout, rng):
        super().__init__()
        self.first_order = field_embedding(n_ids, 1, rng=rng, init_std=0.0)
        self.embeddings = field_embedding(n_ids, embedding_dim, rng=rng)
        self.deep = mlp(
            n_fields * embedding_dim, hidden, dropout=dropout, batch_norm=False, rng=rng
        )
        parts = [self.first_order, self.embeddings, self.deep]
        self.params = [p for part in parts for p in part.params]
        self.grads = [g for part in parts for g in part.grads]
        self.penalized = penalty_mask(parts)
        self.bias = self.deep.layers[-1].bias

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        ids = x
        first = self.first_order.forward(ids)[:, :, 0].sum(axis=1)
        emb = self.embeddings.forward(ids)
        fm = fm_second_order(emb)
        deep = self.deep.forward(emb.reshape(len(ids), -1), training=training)[:, 0]
        self._cache = fm.grad
        return first + fm.value + deep

    def backward(self, d_out) -> None:
        fm_grad = self._cached()
        d_out = np.asarray(d_out, dtype=np.float64)
        self.first_order.backward(np.broadcast_to(d_out[:, None, None], (*fm_grad.shape[:2], 1)))
        d_emb = d_out[:, None, None] * fm_grad
        d_emb += self.deep.backward(d_out[:, None]).reshape(fm_grad.shape)
        self.embeddings.backward(d_emb)


class DeepFMClassifier(FieldNeuralClassifier):
    r"""DeepFM click model on a table of categorical fields (Guo et al., 2017).

    .. math::

        P(y = 1 \mid x) = \sigma\Big(w_0 + \sum_j w_{\text{id}_j}
            + \sum_{i < j} \langle v_{\text{id}_i}, v_{\text{id}_j} \rangle
            + w_\text{out}^\top \operatorname{MLP}\big([v_{\text{id}_1}, \dots,
            v_{\text{id}_F}]\big)\Big)

    The factorisation machine (first-order weights :math:`w` and the pairwise term, computed by
    :func:`fm_second_order` in :math:`O(Fk)`) and the DNN read the **same** embeddings
    :math:`v`, so, unlike Wide & Deep, no cross has to be chosen by hand: every pair of fields
    interacts through :math:`\langle v_i, v_j\rangle`, and the DNN adds higher-order
    interactions.

    Parameters
    ----------
    embedding_dim : int, default=8
        Size :math:`k` of the shared embeddings.
    hidden_layer_sizes : tuple of int, default=(64, 32)
        Hidden layers of the DNN.
    dropout : float in [0, 1), default=0.0
        Dropout after every hidden layer but the last (see :func:`mlref.nn.layers.mlp`).
    min_count : int, default=1
        Values seen fewer times in ``fit`` share their field's id for unseen values
        (:class:`~mlref.models.fields.FieldIndexer`).
    alpha : float >= 0, default=1e-3
        L2 penalty on the first-order weights, the embeddings and the DNN weight matrices.
    n_epochs : int, default=3
    batch_size : int, default=1024
    learning_rate : float > 0, default=1e-3
        Adam's step size.
    random_state : int, numpy.random.Generator or None, default=None

    Attributes
    ----------
    classes_ : numpy.ndarray of shape (2,)
    field_indexer_ : FieldIndexer
        The fitted id space of the fields.
    network_ : the trained network
    loss_curve_, validation_loss_curve_ : list of float (see ``fit``)
    n_features_in_ : int
        Number of fields.
    feature_names_in_ : numpy.ndarray of str
        Field names, when ``X`` was a DataFrame.

    Notes
    -----
    **Inputs.** Every column is a categorical field, one active value per field; numeric
    columns must be binned first, e.g. with :class:`mlref.features.numeric.QuantileBinner`.
    Unseen values map to their field's reserved id.

    **Initialisation.** The embeddings start at :math:`\mathcal N(0, 0.01^2)`: at the
    :math:`\mathcal N(0, 1/k)` of a plain embedding layer, the FM term over 16 fields would start
    with logits of standard deviation :math:`\sqrt{F(F-1)/(2k)} \approx 4`. The first-order
    weights start at 0 and :math:`w_0` (the DNN output bias) at the base rate's log-odds.

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
    >>> model = DeepFMClassifier(n_epochs=20, learning_rate=0.01, random_state=0).fit(X, y)
    >>> bool(model.score(X, y) > 0.85)
    True
    """

    def __init__(
        self,
        *,
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
        self.embedding_dim = embedding_dim
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.min_count = min_count
        self.alpha = alpha
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _build_network(self, inputs, rng) -> DeepFMNetwork:
        return DeepFMNetwork(
            inputs.shape[1],
            self.field_indexer_.n_ids_,
            int(self.embedding_dim),
            check_layer_sizes(self.hidden_layer_sizes),
            float(self.dropout),
            rng,
        )
