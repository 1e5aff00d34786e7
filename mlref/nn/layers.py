r"""Layers with an explicit forward and backward pass, the building blocks of every deep model.

Every layer follows one small protocol instead of a tensor autograd, so that each gradient can be
read (and checked against finite differences) next to the formula it implements:

* ``forward(x, *, training=False) -> out`` computes the output and stores what the backward pass
  needs (``training`` switches dropout and batch statistics on);
* ``backward(d_out) -> d_x`` takes :math:`\partial L / \partial \text{out}` of the *last*
  forward call, writes :math:`\partial L / \partial \theta` into ``grads`` (in place, same order
  and shapes as ``params``) and returns :math:`\partial L / \partial x`;
* ``params`` and ``grads`` are lists of arrays; optimizers update ``params`` in place, so a
  :class:`Sequential` of layers is trained by ``opt.step(model.params, model.grads)``.

Gradients are overwritten, not accumulated, by each backward call.
"""

from __future__ import annotations

import numpy as np

from mlref._validation import (
    as_array,
    check_bool,
    check_option,
    check_positive_int,
    check_random_state,
    check_real,
)
from mlref.nn.functional import sigmoid, softmax

__all__ = [
    "BatchNorm",
    "Dropout",
    "Embedding",
    "Identity",
    "Layer",
    "LayerNorm",
    "Linear",
    "MultiHeadSelfAttention",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "check_layer_sizes",
    "mlp",
]


def _as_input(x, name: str = "x", *, min_ndim: int = 1) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be array-like of numbers; got {type(x).__name__}") from exc
    if arr.ndim < min_ndim:
        raise ValueError(f"{name} must be at least {min_ndim}-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); pass at least one sample")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN or infinite values; check the previous layer or data")
    return arr


def _check_last_dim(arr: np.ndarray, expected: int, name: str, layer: str) -> None:
    if arr.shape[-1] != expected:
        raise ValueError(
            f"{name} must have {expected} features in its last axis for this {layer}, got shape "
            f"{arr.shape}; check the layer sizes"
        )


class Layer:
    """Base class: a layer without parameters that passes gradients through unchanged."""

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self._cache = None

    def forward(self, x, *, training: bool = False) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def backward(self, d_out) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def __call__(self, x, *, training: bool = False) -> np.ndarray:
        return self.forward(x, training=training)

    def _cached(self):
        if self._cache is None:
            raise ValueError(
                f"{type(self).__name__}.backward was called before forward; run forward first"
            )
        return self._cache

    def _d_out(self, d_out, expected_shape: tuple) -> np.ndarray:
        arr = _as_input(d_out, "d_out", min_ndim=0)
        if arr.shape != expected_shape:
            raise ValueError(
                f"d_out must have the shape of the last forward output {expected_shape}, got "
                f"{arr.shape}"
            )
        return arr


class Linear(Layer):
    r"""Fully connected layer :math:`y = x W + b` over the last axis of ``x``.

    .. math::

        \frac{\partial L}{\partial W} = x^\top \delta, \quad
        \frac{\partial L}{\partial b} = \textstyle\sum_i \delta_i, \quad
        \frac{\partial L}{\partial x} = \delta W^\top, \qquad \delta = \partial L / \partial y.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of the input and output last axis.
    rng : numpy.random.Generator, int or None
        Source of the initial weights.
    init : {"he", "glorot"}, default="he"
        He normal, :math:`W \sim \mathcal N(0, 2 / n_\text{in})`, keeps the activation variance
        constant through ReLU layers; Glorot uniform,
        :math:`W \sim \mathcal U(\pm\sqrt{6 / (n_\text{in} + n_\text{out})})`, suits linear,
        sigmoid and attention projections. Biases start at 0.

    Examples
    --------
    >>> layer = Linear(3, 2, rng=0)
    >>> layer.forward(np.ones((4, 3))).shape
    (4, 2)
    """

    def __init__(self, in_features: int, out_features: int, *, rng, init: str = "he") -> None:
        super().__init__()
        self.in_features = check_positive_int(in_features, "in_features")
        self.out_features = check_positive_int(out_features, "out_features")
        check_option(init, "init", ("he", "glorot"))
        gen = check_random_state(rng, "rng")
        if init == "he":
            weight = gen.normal(0.0, np.sqrt(2.0 / in_features), size=(in_features, out_features))
        else:
            limit = np.sqrt(6.0 / (in_features + out_features))
            weight = gen.uniform(-limit, limit, size=(in_features, out_features))
        self.params = [weight, np.zeros(out_features)]
        self.grads = [np.zeros_like(weight), np.zeros(out_features)]

    @property
    def weight(self) -> np.ndarray:
        return self.params[0]

    @property
    def bias(self) -> np.ndarray:
        return self.params[1]

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        training = check_bool(training, "training")
        x = _as_input(x)
        _check_last_dim(x, self.in_features, "x", "Linear layer")
        self._cache = x
        return x @ self.weight + self.bias

    def backward(self, d_out) -> np.ndarray:
        x = self._cached()
        d_out = self._d_out(d_out, (*x.shape[:-1], self.out_features))
        x2 = x.reshape(-1, self.in_features)
        d2 = d_out.reshape(-1, self.out_features)
        self.grads[0][...] = x2.T @ d2
        self.grads[1][...] = d2.sum(axis=0)
        return d_out @ self.weight.T


class Embedding(Layer):
    r"""Lookup table mapping integer ids to rows of a trainable matrix :math:`E`.

    The backward pass adds each output gradient to the row it was read from,
    :math:`\partial L / \partial E_j = \sum_{i:\,\text{id}_i = j} \delta_i`, with
    a weighted :func:`numpy.bincount` per column so that an id repeated in the batch accumulates
    every contribution (``grad[ids] += d_out`` would keep only the last one).

    Parameters
    ----------
    num_embeddings : int
        Number of ids (rows).
    dim : int
        Embedding size (columns).
    rng : numpy.random.Generator, int or None
        Source of the initial weights, :math:`\mathcal N(0, 1 / \text{dim})`.
    sparse_grad : bool, default False
        Write only the rows read by the last forward pass into ``grads[0]`` (and zero the rows
        written the step before), in :math:`O(\text{batch} \cdot \text{dim})` instead of
        :math:`O(\text{num\_embeddings} \cdot \text{dim})`. ``grads[0]`` holds the same
        dense gradient either way, as long as nothing else writes into it.

    Attributes
    ----------
    grad_rows : list of (numpy.ndarray or None)
        After ``backward``, ``grad_rows[0]`` holds the sorted ids of the rows with a gradient:
        pass ``rows=layer.grad_rows`` to :meth:`mlref.nn.LazyAdam.step` to update only them.

    Notes
    -----
    Frameworks return this gradient as a *sparse* update (only the rows present in the batch);
    ``grads[0]`` is the dense equivalent, a full-size gradient that is zero outside those rows.
    The values are identical; a sparse optimizer only saves memory and time. With Adam or
    momentum a dense zero gradient still decays the moment estimates of absent rows (and keeps
    moving them by momentum), which the "lazy" :class:`mlref.nn.LazyAdam` skips.

    Examples
    --------
    >>> emb = Embedding(5, 2, rng=0)
    >>> out = emb.forward(np.array([[1, 1, 3]]))
    >>> _ = emb.backward(np.ones((1, 3, 2)))
    >>> emb.grads[0][:, 0].tolist()
    [0.0, 2.0, 0.0, 1.0, 0.0]
    """

    def __init__(self, num_embeddings: int, dim: int, *, rng, sparse_grad: bool = False) -> None:
        super().__init__()
        self.num_embeddings = check_positive_int(num_embeddings, "num_embeddings")
        self.dim = check_positive_int(dim, "dim")
        self.sparse_grad = check_bool(sparse_grad, "sparse_grad")
        gen = check_random_state(rng, "rng")
        weight = gen.normal(0.0, 1.0 / np.sqrt(dim), size=(num_embeddings, dim))
        self.params = [weight]
        self.grads = [np.zeros_like(weight)]
        self.grad_rows: list[np.ndarray | None] = [None]

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        training = check_bool(training, "training")
        ids = as_array(x, "x", None)
        if ids.size == 0:
            raise ValueError("x (the ids) is empty; pass at least one id")
        if ids.dtype.kind not in "iu":
            raise ValueError(
                f"x (the ids) must be integers, got dtype {ids.dtype}; encode them first"
            )
        if ids.min() < 0 or ids.max() >= self.num_embeddings:
            raise ValueError(
                f"x (the ids) must lie in [0, {self.num_embeddings - 1}], got values from "
                f"{ids.min()} to {ids.max()}; map unseen ids to a reserved row"
            )
        self._cache = ids
        return self.params[0][ids]

    def backward(self, d_out) -> None:
        """Fill ``grads`` and return ``None``: integer ids have no gradient."""
        ids = self._cached()
        d_out = self._d_out(d_out, (*np.shape(ids), self.dim))
        flat_ids, rows = np.ravel(ids), d_out.reshape(-1, self.dim)
        if self.sparse_grad:
            order = np.argsort(flat_ids, kind="stable")
            sorted_ids = flat_ids[order]
            starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
            touched, summed = sorted_ids[starts], np.add.reduceat(rows[order], starts, axis=0)
            if self.grad_rows[0] is not None:
                self.grads[0][self.grad_rows[0]] = 0.0
            self.grads[0][touched] = summed
            self.grad_rows[0] = touched
            return None
        for j in range(self.dim):  # one bincount per column: ~3x faster than np.add.at
            self.grads[0][:, j] = np.bincount(flat_ids, rows[:, j], minlength=self.num_embeddings)
        self.grad_rows[0] = np.unique(flat_ids)
        return None


class Dropout(Layer):
    r"""Inverted dropout: zero each unit with probability ``p`` while training.

    .. math::

        \text{training: } y = \frac{m \odot x}{1 - p},\ m_i \sim \text{Bernoulli}(1 - p);
        \qquad \text{inference: } y = x.

    Parameters
    ----------
    p : float in [0, 1)
        Drop probability.
    rng : numpy.random.Generator, int or None
        Source of the masks.

    Notes
    -----
    The source describes the original ("non-inverted") dropout: train with :math:`m \odot x` and
    *scale by* :math:`1 - p` *at inference*. Both keep the expected training output equal to the
    inference output. Inverted dropout's network is the original one with every activation
    multiplied by the constant :math:`1 / (1 - p)`: if the next layer is linear,
    :math:`W (m \odot x)/(1-p)` during training and :math:`W x` at inference equal the original's
    :math:`W' (m \odot x)` and :math:`W' (1-p) x` with :math:`W' = W / (1-p)`. So the two define
    the same family of models; inverted dropout moves the constant into training, so inference
    needs no change and a model can be served with dropout removed.

    Examples
    --------
    >>> drop = Dropout(0.5, rng=0)
    >>> sorted(set(drop.forward(np.ones(1000), training=True).tolist()))
    [0.0, 2.0]
    >>> drop.forward(np.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, p: float, *, rng) -> None:
        super().__init__()
        self.p = check_real(p, "p", low=0.0, high=1.0)
        if self.p == 1.0:
            raise ValueError("p must be < 1; p = 1 would drop every unit")
        self._rng = check_random_state(rng, "rng")

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        training = check_bool(training, "training")
        x = _as_input(x, min_ndim=0)
        if training and self.p > 0:
            scale = (self._rng.random(x.shape) >= self.p) / (1.0 - self.p)
        else:
            scale = np.ones_like(x)
        self._cache = scale
        return x * scale

    def backward(self, d_out) -> np.ndarray:
        scale = self._cached()
        return self._d_out(d_out, scale.shape) * scale


def _normalise_backward(d_xhat: np.ndarray, x_hat: np.ndarray, inv_std, axis) -> np.ndarray:
    # d/dx of (x - mean) / std over `axis`, applied to d_xhat.
    n = np.prod([x_hat.shape[a] for a in np.atleast_1d(axis)])
    mean_d = d_xhat.sum(axis=axis, keepdims=True) / n
    mean_dx = (d_xhat * x_hat).sum(axis=axis, keepdims=True) / n
    return inv_std * (d_xhat - mean_d - x_hat * mean_dx)


class BatchNorm(Layer):
    r"""Batch normalisation over the batch axis of ``(n_samples, n_features)`` inputs.

    .. math::

        \hat x = \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad y = \gamma \hat x + \beta,

    with the batch mean and (biased) variance while training, and the running averages
    :math:`\mu \leftarrow (1 - m)\mu + m \mu_B`, :math:`\sigma^2 \leftarrow (1 - m)\sigma^2 + m
    \frac{n}{n-1}\sigma_B^2` at inference (the PyTorch convention: unbiased variance in the
    running average, momentum ``m`` weighting the new batch).

    Parameters
    ----------
    n_features : int
    momentum : float in (0, 1], default=0.1
    eps : float > 0, default=1e-5

    Notes
    -----
    The training-mode backward pass goes through :math:`\mu_B` and :math:`\sigma_B` too:
    :math:`\partial L / \partial x = \frac{1}{\sigma}\big(g - \bar g - \hat x\,
    \overline{g \hat x}\big)` with :math:`g = \gamma\,\partial L / \partial y` and bars denoting
    batch means.

    Examples
    --------
    >>> bn = BatchNorm(2)
    >>> out = bn.forward(np.array([[1.0, 10.0], [3.0, 30.0]]), training=True)
    >>> out.round(3).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """

    def __init__(self, n_features: int, *, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.n_features = check_positive_int(n_features, "n_features")
        self.momentum = check_real(momentum, "momentum", low=0.0, high=1.0, low_inclusive=False)
        self.eps = check_real(eps, "eps", low=0.0, low_inclusive=False)
        self.params = [np.ones(n_features), np.zeros(n_features)]
        self.grads = [np.zeros(n_features), np.zeros(n_features)]
        self.running_mean = np.zeros(n_features)
        self.running_var = np.ones(n_features)

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        training = check_bool(training, "training")
        x = _as_input(x, min_ndim=2)
        if x.ndim != 2:
            raise ValueError(f"x must be 2-D (n_samples, n_features), got shape {x.shape}")
        _check_last_dim(x, self.n_features, "x", "BatchNorm layer")
        if training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(
                    "BatchNorm needs at least 2 samples per batch in training mode to estimate a "
                    "variance; use a larger batch or LayerNorm"
                )
            mean, var = x.mean(axis=0), x.var(axis=0)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * var * n / (n - 1)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - mean) * inv_std
        self._cache = (x_hat, inv_std, training)
        return self.params[0] * x_hat + self.params[1]

    def backward(self, d_out) -> np.ndarray:
        x_hat, inv_std, training = self._cached()
        d_out = self._d_out(d_out, x_hat.shape)
        self.grads[0][...] = (d_out * x_hat).sum(axis=0)
        self.grads[1][...] = d_out.sum(axis=0)
        d_xhat = d_out * self.params[0]
        if not training:
            return d_xhat * inv_std
        return _normalise_backward(d_xhat, x_hat, inv_std, 0)


class LayerNorm(Layer):
    r"""Layer normalisation over the last axis (each sample on its own).

    .. math::

        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \hat x + \beta,

    with :math:`\mu, \sigma^2` the mean and biased variance of each sample's features, identical
    at training and inference.

    Examples
    --------
    >>> LayerNorm(2).forward(np.array([[1.0, 3.0]])).round(3).tolist()
    [[-1.0, 1.0]]
    """

    def __init__(self, dim: int, *, eps: float = 1e-5) -> None:
        super().__init__()
        self.dim = check_positive_int(dim, "dim")
        self.eps = check_real(eps, "eps", low=0.0, low_inclusive=False)
        self.params = [np.ones(dim), np.zeros(dim)]
        self.grads = [np.zeros(dim), np.zeros(dim)]

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        training = check_bool(training, "training")
        x = _as_input(x)
        _check_last_dim(x, self.dim, "x", "LayerNorm layer")
        inv_std = 1.0 / np.sqrt(x.var(axis=-1, keepdims=True) + self.eps)
        x_hat = (x - x.mean(axis=-1, keepdims=True)) * inv_std
        self._cache = (x_hat, inv_std)
        return self.params[0] * x_hat + self.params[1]

    def backward(self, d_out) -> np.ndarray:
        x_hat, inv_std = self._cached()
        d_out = self._d_out(d_out, x_hat.shape)
        flat = d_out.reshape(-1, self.dim)
        self.grads[0][...] = (flat * x_hat.reshape(-1, self.dim)).sum(axis=0)
        self.grads[1][...] = flat.sum(axis=0)
        return _normalise_backward(d_out * self.params[0], x_hat, inv_std, -1)


class ReLU(Layer):
    r""":math:`\max(0, x)`; the gradient is taken as 0 at :math:`x = 0`.

    Examples
    --------
    >>> ReLU().forward([-1.0, 0.0, 2.0]).tolist()
    [0.0, 0.0, 2.0]
    """

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        training = check_bool(training, "training")
        x = _as_input(x, min_ndim=0)
        self._cache = x > 0
        return np.where(self._cache, x, 0.0)

    def backward(self, d_out) -> np.ndarray:
        positive = self._cached()
        return self._d_out(d_out, positive.shape) * positive


class Sigmoid(Layer):
    r"""Logistic sigmoid :math:`\sigma(x)`, with :math:`\sigma' = \sigma (1 - \sigma)`.

    Computed without overflow for any finite input (see :func:`mlref.nn.functional.sigmoid`).
    For a binary output, prefer feeding logits to
    :func:`mlref.nn.losses.binary_cross_entropy_with_logits` over a Sigmoid layer then a log.

    Examples
    --------
    >>> Sigmoid().forward([-1e4, 0.0, 1e4]).tolist()
    [0.0, 0.5, 1.0]
    """

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        training = check_bool(training, "training")
        out = np.asarray(sigmoid(_as_input(x, min_ndim=0)), dtype=np.float64)
        self._cache = out
        return out

    def backward(self, d_out) -> np.ndarray:
        s = self._cached()
        return self._d_out(d_out, s.shape) * s * (1.0 - s)


class Softmax(Layer):
    r"""Softmax over ``axis``, stabilised by subtracting the maximum.

    .. math::

        s_k = \frac{e^{x_k - m}}{\sum_j e^{x_j - m}}, \qquad
        \frac{\partial L}{\partial x} = s \odot \Big(\delta - \sum_k \delta_k s_k\Big).

    Examples
    --------
    >>> Softmax().forward([[1e4, 0.0]]).tolist()
    [[1.0, 0.0]]
    """

    def __init__(self, *, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        training = check_bool(training, "training")
        out = softmax(_as_input(x), axis=self.axis)
        self._cache = out
        return out

    def backward(self, d_out) -> np.ndarray:
        s = self._cached()
        d_out = self._d_out(d_out, s.shape)
        return s * (d_out - (d_out * s).sum(axis=self.axis, keepdims=True))


class MultiHeadSelfAttention(Layer):
    r"""Multi-head scaled dot-product self-attention over ``(batch, seq_len, d_model)`` inputs.

    For each head :math:`h` with :math:`d_h = d_\text{model} / H`:

    .. math::

        A_h = \operatorname{softmax}\Big(\frac{Q_h K_h^\top}{\sqrt{d_h}} + M\Big), \qquad
        \text{out} = [A_1 V_1, \dots, A_H V_H]\, W_O + b_O,

    with :math:`Q = x W_Q + b_Q` (likewise :math:`K, V`) split into heads, and :math:`M` equal to
    :math:`-\infty` at masked keys (e.g. padding) and 0 elsewhere.

    Parameters
    ----------
    d_model : int
    n_heads : int
        Must divide ``d_model``.
    rng : numpy.random.Generator, int or None
        Source of the Glorot-uniform projection weights.

    Attributes
    ----------
    attention_weights_ : numpy.ndarray of shape (batch, n_heads, seq_len, seq_len)
        The weights :math:`A` of the last forward call (rows: queries, columns: keys).

    Notes
    -----
    Dividing by :math:`\sqrt{d_h}` keeps the scores' variance near 1 for unit-variance
    :math:`q, k`, so the softmax does not saturate as :math:`d_h` grows. ``forward`` takes the key
    mask as a keyword, ``mask`` (``True`` = may be attended), of shape ``(batch, seq_len)``.

    Examples
    --------
    >>> mhsa = MultiHeadSelfAttention(4, 2, rng=0)
    >>> out = mhsa.forward(np.ones((1, 3, 4)), mask=np.array([[True, True, False]]))
    >>> out.shape, mhsa.attention_weights_[0, 0, :, 2].tolist()
    ((1, 3, 4), [0.0, 0.0, 0.0])
    """

    def __init__(self, d_model: int, n_heads: int, *, rng) -> None:
        super().__init__()
        self.d_model = check_positive_int(d_model, "d_model")
        self.n_heads = check_positive_int(n_heads, "n_heads")
        if d_model % n_heads:
            raise ValueError(
                f"n_heads must divide d_model, got d_model={d_model}, n_heads={n_heads}"
            )
        gen = check_random_state(rng, "rng")
        self.query, self.key, self.value, self.output = (
            Linear(d_model, d_model, rng=gen, init="glorot") for _ in range(4)
        )
        self._projections = (self.query, self.key, self.value, self.output)
        self.params = [p for layer in self._projections for p in layer.params]
        self.grads = [g for layer in self._projections for g in layer.grads]
        self.attention_weights_ = None

    def _split(self, t: np.ndarray) -> np.ndarray:
        batch, seq, _ = t.shape
        return t.reshape(batch, seq, self.n_heads, -1).transpose(0, 2, 1, 3)

    def _merge(self, t: np.ndarray) -> np.ndarray:
        batch, _, seq, _ = t.shape
        return t.transpose(0, 2, 1, 3).reshape(batch, seq, self.d_model)

    def forward(self, x, *, mask=None, training: bool = False) -> np.ndarray:
        training = check_bool(training, "training")
        x = _as_input(x, min_ndim=3)
        if x.ndim != 3:
            raise ValueError(f"x must be 3-D (batch, seq_len, d_model), got shape {x.shape}")
        _check_last_dim(x, self.d_model, "x", "MultiHeadSelfAttention layer")
        q, k, v = (self._split(layer.forward(x)) for layer in self._projections[:3])
        scale = 1.0 / np.sqrt(self.d_model // self.n_heads)
        scores = (q @ k.transpose(0, 1, 3, 2)) * scale
        if mask is not None:
            mask = np.asarray(mask)
            if mask.dtype != bool or mask.shape != x.shape[:2]:
                raise ValueError(
                    f"mask must be a boolean array of shape (batch, seq_len) = {x.shape[:2]}, got "
                    f"dtype {mask.dtype} and shape {mask.shape}"
                )
            if not mask.any(axis=1).all():
                raise ValueError("mask hides every key of some sequence; keep at least one True")
            scores = np.where(mask[:, None, None, :], scores, -np.inf)
        weights = softmax(scores, axis=-1)
        self.attention_weights_ = weights
        self._cache = (q, k, v, weights, scale)
        return self.output.forward(self._merge(weights @ v))

    def backward(self, d_out) -> np.ndarray:
        q, k, v, weights, scale = self._cached()
        d_heads = self._split(self.output.backward(d_out))
        d_weights = d_heads @ v.transpose(0, 1, 3, 2)
        d_v = weights.transpose(0, 1, 3, 2) @ d_heads
        d_scores = weights * (d_weights - (d_weights * weights).sum(axis=-1, keepdims=True))
        d_q = (d_scores @ k) * scale
        d_k = (d_scores.transpose(0, 1, 3, 2) @ q) * scale
        return sum(
            layer.backward(self._merge(d))
            for layer, d in zip(self._projections[:3], (d_q, d_k, d_v), strict=True)
        )


class Sequential(Layer):
    """A chain of layers: forward in order, backward in reverse.

    ``params`` and ``grads`` concatenate the layers' lists, in order.

    Examples
    --------
    >>> model = Sequential([Linear(2, 4, rng=0), ReLU(), Linear(4, 1, rng=1)])
    >>> model.forward(np.zeros((3, 2))).shape, len(model.params)
    ((3, 1), 4)
    """

    def __init__(self, layers) -> None:
        super().__init__()
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("layers is empty; pass at least one layer")
        bad = [type(layer).__name__ for layer in self.layers if not isinstance(layer, Layer)]
        if bad:
            raise ValueError(f"layers must be mlref.nn layers, got {', '.join(bad)}")
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        training = check_bool(training, "training")
        for layer in self.layers:
            x = layer.forward(x, training=training)
        self._cache = True
        return x

    def backward(self, d_out) -> np.ndarray:
        self._cached()
        for layer in reversed(self.layers):
            d_out = layer.backward(d_out)
        return d_out


class Identity(Layer):
    """Pass-through layer (an MLP with no layer at all is ``Sequential([Identity()])``).

    Examples
    --------
    >>> Identity().forward(np.array([1.0, 2.0])).tolist()
    [1.0, 2.0]
    """

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        training = check_bool(training, "training")
        x = _as_input(x, min_ndim=0)
        self._cache = x.shape
        return x

    def backward(self, d_out) -> np.ndarray:
        return self._d_out(d_out, self._cached())


def check_layer_sizes(sizes, name: str = "hidden_layer_sizes") -> tuple[int, ...]:
    """Return layer widths as a tuple of ints >= 1 (``()`` is allowed: no hidden layer).

    Examples
    --------
    >>> check_layer_sizes([64, 32]), check_layer_sizes(8)
    ((64, 32), (8,))
    """
    if isinstance(sizes, int | np.integer) and not isinstance(sizes, bool):
        sizes = (sizes,)
    if isinstance(sizes, str):
        raise ValueError(f"{name} must be a tuple of layer widths such as (64, 32), got {sizes!r}")
    try:
        widths = tuple(sizes)
    except TypeError:
        raise ValueError(
            f"{name} must be a tuple of layer widths such as (64, 32), got {sizes!r}"
        ) from None
    for width in widths:
        check_positive_int(width, f"each width in {name}")
    return tuple(int(w) for w in widths)


def mlp(
    n_inputs: int,
    hidden_layer_sizes,
    *,
    n_outputs: int | None = 1,
    dropout: float = 0.0,
    batch_norm: bool = False,
    rng,
) -> Sequential:
    r"""A feed-forward network: ``Linear → [BatchNorm] → ReLU`` per hidden layer, then an output.

    ``Dropout(dropout)`` follows every hidden layer but the last, as the source draws its DNN
    (dropout after Dense(512) and Dense(256), none after Dense(128)). The output layer is a
    Glorot-initialised ``Linear(·, n_outputs)`` (``n_outputs=None``: no output layer, the last
    hidden layer's ReLU is the output). Weights are drawn from ``rng`` layer by layer, in order.

    Parameters
    ----------
    n_inputs : int
    hidden_layer_sizes : tuple of int
        Widths of the hidden layers, ``()`` for none.
    n_outputs : int or None, default=1
    dropout : float in [0, 1), default=0.0
    batch_norm : bool, default=False
    rng : numpy.random.Generator, int or None

    Examples
    --------
    >>> net = mlp(10, (8, 4), dropout=0.3, rng=0)
    >>> [type(layer).__name__ for layer in net.layers]
    ['Linear', 'ReLU', 'Dropout', 'Linear', 'ReLU', 'Linear']
    >>> net.forward(np.zeros((5, 10))).shape
    (5, 1)
    >>> mlp(3, (), n_outputs=None, rng=0).forward(np.ones((1, 3))).shape  # no layer: identity
    (1, 3)
    """
    n_inputs = check_positive_int(n_inputs, "n_inputs")
    widths = check_layer_sizes(hidden_layer_sizes)
    dropout = check_real(dropout, "dropout", low=0.0, high=1.0)
    gen = check_random_state(rng, "rng")
    layers: list[Layer] = []
    width = n_inputs
    for depth, size in enumerate(widths):
        layers.append(Linear(width, size, rng=gen))
        if batch_norm:
            layers.append(BatchNorm(size))
        layers.append(ReLU())
        if dropout > 0 and depth < len(widths) - 1:
            layers.append(Dropout(dropout, rng=gen))
        width = size
    if n_outputs is not None:
        layers.append(
            Linear(width, check_positive_int(n_outputs, "n_outputs"), rng=gen, init="glorot")
        )
    return Sequential(layers or [Identity()])
