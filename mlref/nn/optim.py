r"""Optimizers, gradient clipping and learning-rate schedules.

Optimizers update a list of parameter arrays **in place** from a list of gradients of the same
shapes: ``opt.step(model.params, model.grads)``. Their state (velocities, moments) is kept per
position in the list, so pass the same parameters in the same order at every step. The learning
rate is the public attribute ``lr``; a schedule sets it before each step::

    opt.lr = warmup_cosine(step, max_lr=1e-3, warmup_steps=100, total_steps=10_000)
"""

from __future__ import annotations

import numpy as np

from mlref._validation import as_array, check_positive_int, check_real

__all__ = [
    "SGD",
    "Adam",
    "LazyAdam",
    "Momentum",
    "Optimizer",
    "clip_by_global_norm",
    "clip_by_value",
    "cosine_annealing",
    "exponential_decay",
    "linear_warmup",
    "step_decay",
    "warmup_cosine",
]


def _check_grads(grads) -> list[np.ndarray]:
    """``grads`` as a list of finite float arrays (a list of arrays, not one array or a string)."""
    if isinstance(grads, str | bytes | np.ndarray) or not isinstance(grads, list | tuple):
        raise ValueError(
            f"grads must be a list of gradient arrays (one per parameter), got "
            f"{type(grads).__name__}; wrap a single array in a list"
        )
    arrays = [as_array(g, f"grads[{i}]", np.float64) for i, g in enumerate(grads)]
    for i, g in enumerate(arrays):
        if not np.isfinite(g).all():
            raise ValueError(
                f"grads[{i}] holds NaN or infinite values; clipping cannot recover them: lower the "
                "learning rate or find the operation that overflowed"
            )
    return arrays


def _check_lists(params, grads, rows=None) -> None:
    """Same lengths and shapes, float params, finite gradients (only ``rows[i]`` when given)."""
    if len(params) != len(grads):
        raise ValueError(
            f"params and grads must have the same length, got {len(params)} and {len(grads)}"
        )
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            raise ValueError(f"params[{i}] must be a float numpy array updated in place")
        if np.shape(g) != p.shape:
            raise ValueError(
                f"grads[{i}] has shape {np.shape(g)} but params[{i}] has shape {p.shape}"
            )
        checked = g if rows is None or rows[i] is None else np.asarray(g)[rows[i]]
        if not np.isfinite(checked).all():
            raise ValueError(
                f"grads[{i}] holds NaN or infinite values; lower the learning rate or clip the "
                "gradients (clip_by_global_norm)"
            )


class Optimizer:
    """Base class: checks the lists, keeps per-parameter state and counts steps in ``t``."""

    def __init__(self, lr: float) -> None:
        self.lr = check_real(lr, "lr", low=0.0, low_inclusive=False)
        self.t = 0
        self._shapes: list[tuple] | None = None
        self._rows: list | None = None

    def step(self, params, grads) -> None:
        """Update ``params`` in place from ``grads``."""
        _check_lists(params, grads, self._rows)
        shapes = [p.shape for p in params]
        if self._shapes is None:
            self._shapes = shapes
            self._init_state(params)
        elif shapes != self._shapes:
            raise ValueError(
                "params changed shape or number since the first step; use a new optimizer "
                "for a different model"
            )
        self.t += 1
        check_real(self.lr, "lr", low=0.0, low_inclusive=False)
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            self._update(i, p, np.asarray(g, dtype=np.float64))

    def _init_state(self, params) -> None:
        pass

    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError


class SGD(Optimizer):
    r"""Plain gradient descent, :math:`w \leftarrow w - \eta g`.

    Examples
    --------
    >>> w = np.array([1.0, 2.0])
    >>> SGD(0.1).step([w], [np.array([1.0, -1.0])])
    >>> w.tolist()
    [0.9, 2.1]
    """

    def _update(self, i, param, grad) -> None:
        param -= self.lr * grad


class Momentum(Optimizer):
    r"""Gradient descent with (heavy-ball) momentum.

    .. math::

        v \leftarrow \mu v + g, \qquad w \leftarrow w - \eta v, \qquad v_0 = 0.

    Notes
    -----
    This is PyTorch's form. The other common one, :math:`v \leftarrow \mu v - \eta g,\
    w \leftarrow w + v`, gives the same iterates for a constant learning rate (its :math:`v` is
    :math:`-\eta` times this one); they differ only when :math:`\eta` changes mid-training.

    Examples
    --------
    >>> w = np.array([0.0])
    >>> opt = Momentum(0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.step([w], [np.array([1.0])])
    >>> round(float(w[0]), 4)
    -0.29
    """

    def __init__(self, lr: float, momentum: float = 0.9) -> None:
        super().__init__(lr)
        self.momentum = check_real(momentum, "momentum", low=0.0, high=1.0)
        if self.momentum == 1.0:
            raise ValueError("momentum must be < 1, or the velocity never forgets")

    def _init_state(self, params) -> None:
        self.velocity = [np.zeros_like(p) for p in params]

    def _update(self, i, param, grad) -> None:
        v = self.velocity[i]
        v *= self.momentum
        v += grad
        param -= self.lr * v


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015) with bias-corrected moment estimates.

    .. math::

        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2,

        \hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t},
        \qquad w_t = w_{t-1} - \eta \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.

    Notes
    -----
    Without the bias correction, :math:`m_1 = (1 - \beta_1) g_1` would make the first steps
    10× too small (for :math:`\beta_1 = 0.9`); with it, the first step has size close to
    :math:`\eta` in every coordinate whatever the gradient's scale.

    Examples
    --------
    >>> w = np.array([1.0, 1.0])
    >>> Adam(0.1).step([w], [np.array([1e-3, -50.0])])
    >>> w.round(4).tolist()
    [0.9, 1.1]
    """

    def __init__(
        self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        super().__init__(lr)
        self.beta1 = check_real(beta1, "beta1", low=0.0, high=1.0)
        self.beta2 = check_real(beta2, "beta2", low=0.0, high=1.0)
        for name, beta in (("beta1", self.beta1), ("beta2", self.beta2)):
            if beta == 1.0:
                raise ValueError(f"{name} must be < 1; the bias correction divides by 1 - {name}")
        self.eps = check_real(eps, "eps", low=0.0, low_inclusive=False)

    def _init_state(self, params) -> None:
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def _update(self, i, param, grad) -> None:
        m, v = self.m[i], self.v[i]
        m *= self.beta1
        m += (1.0 - self.beta1) * grad
        v *= self.beta2
        v += (1.0 - self.beta2) * grad**2
        m_hat = m / (1.0 - self.beta1**self.t)
        v_hat = v / (1.0 - self.beta2**self.t)
        param -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class LazyAdam(Adam):
    r"""Adam that updates only the rows of an embedding table that have a gradient ("lazy").

    For a parameter given with ``rows`` :math:`R` (the ids read by the batch), only those rows
    move, with Adam's formulas and the global step :math:`t` in the bias corrections:

    .. math::

        m_r \leftarrow \beta_1 m_r + (1 - \beta_1) g_r, \quad
        v_r \leftarrow \beta_2 v_r + (1 - \beta_2) g_r^2, \quad
        w_r \leftarrow w_r - \eta \frac{m_r / (1 - \beta_1^t)}{\sqrt{v_r / (1 - \beta_2^t)}
        + \epsilon}, \qquad r \in R;

    the other rows, their moments included, are left as they are. Parameters given with
    ``rows=None`` get the dense :class:`Adam` update.

    Notes
    -----
    **What changes.** A row present at every step follows exactly the dense Adam trajectory. A
    row absent from a batch has a zero gradient there: dense Adam would still decay its moments
    and move it by :math:`\eta\, \hat m / (\sqrt{\hat v} + \epsilon)`, momentum from earlier
    batches; lazy Adam skips it, so its next update uses moments that did not decay. This is
    TensorFlow's ``LazyAdam`` and PyTorch's ``SparseAdam`` (which adds :math:`\epsilon` to
    :math:`\sqrt{v}` before the bias correction; here it is added after, as in :class:`Adam`).
    The gain is time: an embedding table of :math:`n` rows costs :math:`O(|R|\, d)` per step
    instead of :math:`O(n d)`; on MovieLens the film table has 9,742 rows and a batch of 512
    pairs touches about 400 of them (``benchmarks/bench_lazy_adam.py``).

    Examples
    --------
    >>> table = np.zeros((3, 2))
    >>> opt = LazyAdam(0.1)
    >>> opt.step([table], [np.array([[1.0, -1.0], [0.0, 0.0], [0.0, 0.0]])], rows=[np.array([0])])
    >>> opt.step([table], [np.array([[0.0, 0.0], [0.0, 0.0], [2.0, 2.0]])], rows=[np.array([2])])
    >>> table.round(4).tolist()  # dense Adam would also move row 0 at the second step
    [[-0.1, 0.1], [0.0, 0.0], [-0.0744, -0.0744]]

    Row 2's first step is 0.0744, not 0.1: the bias corrections use the global step
    :math:`t = 2`, as in TensorFlow and PyTorch.
    """

    def step(self, params, grads, rows=None) -> None:
        """Update ``params`` in place; ``rows[i]`` (int array or None) limits parameter ``i``.

        Only ``grads[i][rows[i]]`` is read (and checked) for a parameter given with rows.
        """
        if rows is None:
            rows = [None] * len(params)
        if isinstance(rows, str | bytes | np.ndarray) or not isinstance(rows, list | tuple):
            raise ValueError(
                f"rows must be a list with one entry (int array or None) per parameter, got "
                f"{type(rows).__name__}"
            )
        if len(rows) != len(params):
            raise ValueError(
                f"rows must have one entry per parameter: {len(params)} params, {len(rows)} rows"
            )
        checked = []
        for i, (r, p) in enumerate(zip(rows, params, strict=True)):
            if r is None:
                checked.append(None)
                continue
            ids = as_array(r, f"rows[{i}]", None)
            if ids.ndim != 1 or ids.dtype.kind not in "iu":
                raise ValueError(f"rows[{i}] must be a 1-D array of integer row ids or None")
            n_rows = np.shape(p)[0] if np.ndim(p) else 0
            if ids.size and (ids.min() < 0 or ids.max() >= n_rows):
                raise ValueError(
                    f"rows[{i}] holds ids outside 0..{n_rows - 1}, the rows of params[{i}]"
                )
            checked.append(ids)
        self._rows = checked
        super().step(params, grads)

    def _update(self, i, param, grad) -> None:
        rows = self._rows[i]
        if rows is None:
            super()._update(i, param, grad)
            return
        g = grad[rows]
        m = self.beta1 * self.m[i][rows] + (1.0 - self.beta1) * g
        v = self.beta2 * self.v[i][rows] + (1.0 - self.beta2) * g**2
        self.m[i][rows], self.v[i][rows] = m, v
        m_hat = m / (1.0 - self.beta1**self.t)
        v_hat = v / (1.0 - self.beta2**self.t)
        param[rows] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


# --------------------------------------------------------------------------------------------
# Gradient clipping
# --------------------------------------------------------------------------------------------


def clip_by_value(grads, threshold: float) -> list[np.ndarray]:
    r"""Clip every gradient entry to :math:`[-\theta, \theta]` (returns new arrays).

    Examples
    --------
    >>> [g.tolist() for g in clip_by_value([np.array([-9.0, 0.5, 7.0])], 5.0)]
    [[-5.0, 0.5, 5.0]]
    """
    threshold = check_real(threshold, "threshold", low=0.0, low_inclusive=False)
    return [np.clip(g, -threshold, threshold) for g in _check_grads(grads)]


def clip_by_global_norm(grads, max_norm: float) -> tuple[list[np.ndarray], float]:
    r"""Rescale all gradients together so their joint L2 norm is at most ``max_norm``.

    .. math::

        g \leftarrow g \cdot \min\Big(1, \frac{\theta}{\lVert g \rVert_2}\Big), \qquad
        \lVert g \rVert_2 = \sqrt{\textstyle\sum_\text{arrays} \sum_\text{entries} g^2}.

    Returns
    -------
    clipped : list of numpy.ndarray
        New arrays; the direction of the full gradient is unchanged.
    norm : float
        The norm before clipping (worth logging: spikes signal instability).

    Notes
    -----
    Clipping each array by its own norm, or each entry by value, changes the update's direction;
    the global norm only shortens it.

    Examples
    --------
    >>> clipped, norm = clip_by_global_norm([np.array([3.0]), np.array([4.0])], 1.0)
    >>> norm, [g.tolist() for g in clipped]
    (5.0, [[0.6000000000000001], [0.8]])
    """
    max_norm = check_real(max_norm, "max_norm", low=0.0, low_inclusive=False)
    arrays = _check_grads(grads)
    # Scale by the largest entry first, so that finite gradients near 1e154 do not overflow g**2.
    largest = max((float(np.abs(g).max(initial=0.0)) for g in arrays), default=0.0)
    if largest == 0.0:
        return [g.copy() for g in arrays], 0.0
    with np.errstate(over="ignore"):
        norm = largest * float(np.sqrt(sum(float(np.sum((g / largest) ** 2)) for g in arrays)))
    if not np.isfinite(norm):
        raise ValueError(
            "the global norm of grads overflows float64 (above 1.8e308) although every entry is "
            "finite; the gradients have exploded: lower the learning rate"
        )
    factor = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return [g * factor for g in arrays], norm


# --------------------------------------------------------------------------------------------
# Learning-rate schedules: functions of the step (int or integer array), 0-based
# --------------------------------------------------------------------------------------------


def _check_step(step) -> np.ndarray:
    arr = np.asarray(step)
    if arr.dtype.kind not in "iu" or (arr < 0).any():
        raise ValueError(f"step must be a non-negative integer (or array of them), got {step!r}")
    return arr


def _out(values: np.ndarray):
    return float(values) if values.ndim == 0 else values


def step_decay(step, *, initial_lr: float, step_size: int, gamma: float = 0.5):
    r"""Step decay, :math:`\eta = \eta_0\, \gamma^{\lfloor t / N \rfloor}`.

    The source's example uses :math:`\gamma = 0.5`.

    Examples
    --------
    >>> step_decay(np.arange(0, 40, 10), initial_lr=0.1, step_size=10).tolist()
    [0.1, 0.05, 0.025, 0.0125]
    """
    t = _check_step(step)
    initial_lr = check_real(initial_lr, "initial_lr", low=0.0, low_inclusive=False)
    step_size = check_positive_int(step_size, "step_size")
    gamma = check_real(gamma, "gamma", low=0.0, high=1.0, low_inclusive=False)
    return _out(initial_lr * gamma ** (t // step_size))


def exponential_decay(step, *, initial_lr: float, decay_rate: float):
    r"""Exponential decay, :math:`\eta = \eta_0\, e^{-k t}`.

    Examples
    --------
    >>> round(exponential_decay(10, initial_lr=0.1, decay_rate=0.1), 5)
    0.03679
    """
    t = _check_step(step)
    initial_lr = check_real(initial_lr, "initial_lr", low=0.0, low_inclusive=False)
    decay_rate = check_real(decay_rate, "decay_rate", low=0.0)
    return _out(initial_lr * np.exp(-decay_rate * t))


def cosine_annealing(step, *, max_lr: float, total_steps: int, min_lr: float = 0.0):
    r"""Cosine annealing from ``max_lr`` at step 0 to ``min_lr`` at ``total_steps`` (then flat).

    .. math::

        \eta_t = \eta_\min + \tfrac12 (\eta_\max - \eta_\min)
                 \Big(1 + \cos\big(\pi \min(t, T) / T\big)\Big).

    Examples
    --------
    >>> cosine_annealing(np.array([0, 50, 100, 150]), max_lr=1.0, total_steps=100).round(6).tolist()
    [1.0, 0.5, 0.0, 0.0]
    """
    t = _check_step(step)
    max_lr = check_real(max_lr, "max_lr", low=0.0, low_inclusive=False)
    total_steps = check_positive_int(total_steps, "total_steps")
    min_lr = check_real(min_lr, "min_lr", low=0.0, high=max_lr)
    progress = np.minimum(t, total_steps) / total_steps
    return _out(min_lr + 0.5 * (max_lr - min_lr) * (1.0 + np.cos(np.pi * progress)))


def linear_warmup(step, *, max_lr: float, warmup_steps: int):
    r"""Linear warmup, :math:`\eta_t = \eta_\max \min\big(1, (t + 1) / W\big)`.

    Step 0 already gets :math:`\eta_\max / W` (not 0, which would waste a step); ``max_lr`` is
    reached at step :math:`W - 1` and kept.

    Examples
    --------
    >>> linear_warmup(np.arange(5), max_lr=1.0, warmup_steps=4).tolist()
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """
    t = _check_step(step)
    max_lr = check_real(max_lr, "max_lr", low=0.0, low_inclusive=False)
    warmup_steps = check_positive_int(warmup_steps, "warmup_steps")
    return _out(max_lr * np.minimum(1.0, (t + 1) / warmup_steps))


def warmup_cosine(step, *, max_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0):
    r"""Linear warmup for ``warmup_steps`` steps, then cosine annealing to ``min_lr``.

    Steps :math:`t < W` follow :func:`linear_warmup`; step :math:`t \ge W` follows
    :func:`cosine_annealing` at step :math:`t - W` over :math:`T - W` steps (``total_steps``
    counts the warmup). This is the usual Transformer schedule the source recommends.

    Examples
    --------
    >>> warmup_cosine(np.arange(6), max_lr=1.0, warmup_steps=2, total_steps=6).round(3).tolist()
    [0.5, 1.0, 1.0, 0.854, 0.5, 0.146]
    """
    t = _check_step(step)
    warmup_steps = check_positive_int(warmup_steps, "warmup_steps")
    total_steps = check_positive_int(total_steps, "total_steps")
    if total_steps <= warmup_steps:
        raise ValueError(
            f"total_steps ({total_steps}) must exceed warmup_steps ({warmup_steps}); "
            "total_steps counts the warmup"
        )
    warm = linear_warmup(np.minimum(t, warmup_steps - 1), max_lr=max_lr, warmup_steps=warmup_steps)
    cosine = cosine_annealing(
        np.maximum(t - warmup_steps, 0),
        max_lr=max_lr,
        total_steps=total_steps - warmup_steps,
        min_lr=min_lr,
    )
    return _out(np.where(t < warmup_steps, warm, cosine))
