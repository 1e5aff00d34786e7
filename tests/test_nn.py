"""The NumPy neural-network core: gradients vs finite differences, losses vs scikit-learn/SciPy,
optimizers vs direct transcriptions of their update rules, schedules vs the source's formulas."""

import doctest
import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import log_loss

import mlref.nn.layers
import mlref.nn.losses
import mlref.nn.optim
from mlref.nn import (
    SGD,
    Adam,
    BatchNorm,
    Dropout,
    Embedding,
    LayerNorm,
    Linear,
    Momentum,
    MultiHeadSelfAttention,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    binary_cross_entropy_with_logits,
    categorical_cross_entropy_with_logits,
    clip_by_global_norm,
    clip_by_value,
    cosine_annealing,
    exponential_decay,
    focal_loss_with_logits,
    huber_loss,
    linear_warmup,
    mean_squared_error,
    step_decay,
    warmup_cosine,
)
from mlref.nn.gradcheck import numerical_gradient, relative_error
from mlref.nn.layers import check_layer_sizes, mlp
from mlref.nn.training import iterate_minibatches

FEW = settings(max_examples=25, deadline=None)
GRAD_TOL = {"rtol": 1e-5, "atol": 1e-7}


def check_layer_gradients(layer, x, *, training=False, forward=None, seed=0):
    """Compare backward's input and parameter gradients with finite differences of
    ``sum(forward(x) * R)`` for a random upstream gradient ``R``."""
    forward = forward or (lambda: layer.forward(x, training=training))
    upstream = np.random.default_rng(seed).normal(size=forward().shape)

    def loss():
        return float(np.sum(forward() * upstream))

    forward()
    d_x = layer.backward(upstream)
    analytic = [g.copy() for g in layer.grads]
    if d_x is not None:
        np.testing.assert_allclose(d_x, numerical_gradient(loss, x), **GRAD_TOL)
    for param, grad in zip(layer.params, analytic, strict=True):
        np.testing.assert_allclose(grad, numerical_gradient(loss, param), **GRAD_TOL)
    return d_x


# --------------------------------------------------------------------------------------------
# Layer gradients
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("init", ["he", "glorot"])
@pytest.mark.parametrize("shape", [(1, 3), (4, 3), (2, 5, 3)])
def test_linear_gradients_and_output(init, shape):
    rng = np.random.default_rng(1)
    layer = Linear(3, 2, rng=rng, init=init)
    layer.params[1][...] = rng.normal(size=2)
    x = rng.normal(size=shape)
    np.testing.assert_allclose(layer.forward(x), x @ layer.weight + layer.bias)
    check_layer_gradients(layer, x)


def test_linear_init_scales():
    he = Linear(400, 300, rng=0).weight
    glorot = Linear(400, 300, rng=0, init="glorot").weight
    assert he.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert np.abs(glorot).max() <= np.sqrt(6 / 700)
    assert glorot.std() == pytest.approx(np.sqrt(2 / 700), rel=0.02)


def test_embedding_gradient_accumulates_repeated_ids():
    rng = np.random.default_rng(2)
    emb = Embedding(6, 3, rng=rng)
    ids = np.array([[0, 2, 2], [5, 2, 0]])
    out = emb.forward(ids)
    np.testing.assert_array_equal(out, emb.params[0][ids])
    assert check_layer_gradients(emb, ids) is None
    upstream = np.ones((2, 3, 3))
    emb.forward(ids)
    emb.backward(upstream)
    np.testing.assert_array_equal(emb.grads[0][:, 0], [2, 0, 3, 0, 0, 1])


@pytest.mark.parametrize("p", [0.0, 0.3, 0.8])
def test_dropout_gradient_uses_the_forward_mask(p):
    x = np.random.default_rng(3).normal(size=(5, 4))
    layer = Dropout(p, rng=0)

    def forward():
        layer._rng = np.random.default_rng(7)  # the same mask at every evaluation
        return layer.forward(x, training=True)

    check_layer_gradients(layer, x, forward=forward)
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), np.ones_like(x))


def test_inverted_dropout_equals_source_dropout_up_to_a_constant():
    p, x = 0.4, np.random.default_rng(4).normal(size=(2000, 3))
    out = Dropout(p, rng=5).forward(x, training=True)
    mask = np.random.default_rng(5).random(x.shape) >= p
    # Source ("classic") dropout trains with mask * x and serves (1 - p) * x.
    classic_train, classic_serve = mask * x, (1 - p) * x
    np.testing.assert_allclose(out, classic_train / (1 - p))
    np.testing.assert_allclose(Dropout(p, rng=5).forward(x), classic_serve / (1 - p))
    # Both keep the expected training output equal to the served output.
    assert np.mean(out / x) == pytest.approx(1.0, abs=0.03)
    assert np.mean(mask) == pytest.approx(1 - p, abs=0.02)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("n", [2, 3, 7])
def test_batchnorm_gradients(training, n):
    rng = np.random.default_rng(n)
    layer = BatchNorm(3)
    layer.params[0][...] = rng.normal(size=3)
    layer.params[1][...] = rng.normal(size=3)
    layer.running_mean = rng.normal(size=3)
    layer.running_var = rng.uniform(0.5, 2, size=3)
    x = rng.normal(size=(n, 3)) * [1.0, 10.0, 0.1]
    check_layer_gradients(layer, x, training=training)


def test_batchnorm_statistics_and_running_averages():
    rng = np.random.default_rng(6)
    x = rng.normal(3.0, 2.0, size=(8, 2))
    layer = BatchNorm(2, momentum=0.2, eps=1e-3)
    out = layer.forward(x, training=True)
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)
    np.testing.assert_allclose(out, expected)
    np.testing.assert_allclose(layer.running_mean, 0.2 * x.mean(0))
    np.testing.assert_allclose(layer.running_var, 0.8 + 0.2 * x.var(0, ddof=1))
    served = layer.forward(x[:1])
    expected = (x[:1] - layer.running_mean) / np.sqrt(layer.running_var + 1e-3)
    np.testing.assert_allclose(served, expected)


@pytest.mark.parametrize("shape", [(1, 4), (3, 4), (2, 3, 4)])
def test_layernorm_gradients_and_output(shape):
    rng = np.random.default_rng(7)
    layer = LayerNorm(4)
    layer.params[0][...] = rng.normal(size=4)
    layer.params[1][...] = rng.normal(size=4)
    x = rng.normal(size=shape)
    out = layer.forward(x)
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(
        out, layer.params[0] * (x - mean) / np.sqrt(var + 1e-5) + layer.params[1]
    )
    check_layer_gradients(layer, x)


@pytest.mark.parametrize("layer_cls", [ReLU, Sigmoid, Softmax])
def test_activation_gradients(layer_cls):
    x = np.random.default_rng(8).normal(size=(3, 5)) * 3
    check_layer_gradients(layer_cls(), x)


def test_activation_values():
    x = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(ReLU().forward(x), [[0.0, 0.0, 3.0]])
    np.testing.assert_allclose(Sigmoid().forward(x), scipy.special.expit(x))
    np.testing.assert_allclose(Softmax().forward(x), scipy.special.softmax(x, axis=-1))
    np.testing.assert_allclose(Softmax(axis=0).forward(x.T), scipy.special.softmax(x.T, axis=0))


def naive_attention(layer, x, mask):
    """Loop over batch and heads, straight from the formula."""
    wq, bq, wk, bk, wv, bv, wo, bo = layer.params
    batch, _, d_model = x.shape
    d_h = d_model // layer.n_heads
    out = np.zeros_like(x)
    for b in range(batch):
        heads = []
        for h in range(layer.n_heads):
            cols = slice(h * d_h, (h + 1) * d_h)
            q = x[b] @ wq[:, cols] + bq[cols]
            k = x[b] @ wk[:, cols] + bk[cols]
            v = x[b] @ wv[:, cols] + bv[cols]
            scores = q @ k.T / np.sqrt(d_h)
            if mask is not None:
                scores[:, ~mask[b]] = -np.inf
            heads.append(scipy.special.softmax(scores, axis=1) @ v)
        out[b] = np.concatenate(heads, axis=1) @ wo + bo
    return out


@pytest.mark.parametrize("n_heads", [1, 2])
@pytest.mark.parametrize("masked", [False, True])
def test_attention_matches_naive_loop_and_gradients(n_heads, masked):
    rng = np.random.default_rng(9)
    layer = MultiHeadSelfAttention(4, n_heads, rng=rng)
    for param in layer.params[1::2]:
        param[...] = rng.normal(size=param.shape) * 0.1
    x = rng.normal(size=(2, 3, 4))
    mask = np.array([[True, True, False], [True, False, True]]) if masked else None
    out = layer.forward(x, mask=mask)
    np.testing.assert_allclose(out, naive_attention(layer, x, mask), atol=1e-12)
    np.testing.assert_allclose(layer.attention_weights_.sum(-1), 1.0)
    if masked:
        assert (layer.attention_weights_[0, :, :, 2] == 0).all()
    check_layer_gradients(layer, x, forward=lambda: layer.forward(x, mask=mask))


def test_sequential_gradients_through_a_mixed_stack():
    rng = np.random.default_rng(10)
    model = Sequential(
        [Linear(3, 5, rng=rng), LayerNorm(5), ReLU(), Linear(5, 4, rng=rng), Sigmoid()]
    )
    x = rng.normal(size=(4, 3))
    assert len(model.params) == 6 and len(model.grads) == 6
    check_layer_gradients(model, x)


def test_sequential_with_batchnorm_and_dropout_in_training_mode():
    rng = np.random.default_rng(11)
    drop = Dropout(0.3, rng=0)
    model = Sequential([Linear(3, 4, rng=rng), BatchNorm(4), ReLU(), drop, Linear(4, 2, rng=rng)])
    x = rng.normal(size=(6, 3))

    def forward():
        drop._rng = np.random.default_rng(1)
        return model.forward(x, training=True)

    check_layer_gradients(model, x, forward=forward)


# --------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------


def check_loss_gradient(loss_fn, pred, *args, **kwargs):
    result = loss_fn(pred, *args, **kwargs)
    numeric = numerical_gradient(lambda: loss_fn(pred, *args, **kwargs).value, pred)
    np.testing.assert_allclose(result.grad, numeric, rtol=1e-5, atol=1e-8)
    assert result.grad.shape == np.shape(pred)


LOSS_CASES = [
    ("bce", lambda rng: (rng.normal(size=7) * 3, rng.integers(0, 2, 7).astype(float)), {}),
    ("bce_soft", lambda rng: (rng.normal(size=(3, 2)), rng.random((3, 2))), {}),
    ("cce_index", lambda rng: (rng.normal(size=(5, 4)) * 2, rng.integers(0, 4, 5)), {}),
    ("cce_soft", lambda rng: (rng.normal(size=(3, 3)), rng.dirichlet(np.ones(3), 3)), {}),
    ("mse", lambda rng: (rng.normal(size=6), rng.normal(size=6)), {}),
    ("huber", lambda rng: (rng.normal(size=8) * 3, rng.normal(size=8)), {"delta": 1.3}),
    ("focal", lambda rng: (rng.normal(size=7) * 3, rng.integers(0, 2, 7)), {}),
    ("focal_g0", lambda rng: (rng.normal(size=5), rng.integers(0, 2, 5)), {"gamma": 0.0}),
    ("focal_g05", lambda rng: (rng.normal(size=5), rng.integers(0, 2, 5)), {"gamma": 0.5}),
]
LOSS_FUNCTIONS = {
    "bce": binary_cross_entropy_with_logits,
    "bce_soft": binary_cross_entropy_with_logits,
    "cce_index": categorical_cross_entropy_with_logits,
    "cce_soft": categorical_cross_entropy_with_logits,
    "mse": mean_squared_error,
    "huber": huber_loss,
    "focal": focal_loss_with_logits,
    "focal_g0": focal_loss_with_logits,
    "focal_g05": focal_loss_with_logits,
}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("name", "make", "kwargs"), LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_loss_gradients_match_finite_differences(name, make, kwargs, seed):
    pred, target = make(np.random.default_rng(seed))
    check_loss_gradient(LOSS_FUNCTIONS[name], pred, target, **kwargs)


@FEW
@given(
    # Beyond |z| ~ 15, sigmoid(z) itself rounds, so the reference (log of probabilities)
    # loses digits that the from-logits form keeps; see the next test.
    st.lists(st.floats(-15, 15), min_size=2, max_size=30),
    st.integers(0, 2**31 - 1),
)
def test_bce_from_logits_matches_sklearn_log_loss(logits, seed):
    logits = np.array(logits)
    y = np.random.default_rng(seed).integers(0, 2, logits.size)
    y[:2] = [0, 1]
    expected = log_loss(y, scipy.special.expit(logits), labels=[0, 1])
    assert binary_cross_entropy_with_logits(logits, y).value == pytest.approx(expected, rel=1e-6)


def test_bce_from_logits_stays_exact_where_probabilities_round():
    logits, y = np.array([40.0, -40.0, 800.0]), np.array([0.0, 1.0, 0.0])
    exact = np.mean(np.abs(logits) + np.log1p(np.exp(-np.abs(logits))))
    assert binary_cross_entropy_with_logits(logits, y).value == pytest.approx(exact, rel=1e-12)
    # Probabilities round to exactly 1 or 0, so a log of them is clipped (sklearn) or infinite.
    assert scipy.special.expit(40.0) == 1.0
    assert log_loss(y, scipy.special.expit(logits), labels=[0, 1]) < 0.2 * exact


def test_categorical_cross_entropy_matches_sklearn_log_loss():
    rng = np.random.default_rng(12)
    logits, y = rng.normal(size=(20, 4)) * 2, rng.integers(0, 4, 20)
    expected = log_loss(y, scipy.special.softmax(logits, axis=1), labels=range(4))
    assert categorical_cross_entropy_with_logits(logits, y).value == pytest.approx(expected)
    onehot = np.eye(4)[y]
    assert categorical_cross_entropy_with_logits(logits, onehot).value == pytest.approx(expected)


def test_huber_matches_scipy_and_mse_hand_values():
    pred, target = np.array([0.2, -3.0, 1.5, 0.0]), np.array([0.0, 0.0, 0.0, 2.5])
    expected = scipy.special.huber(1.5, pred - target).mean()
    assert huber_loss(pred, target, delta=1.5).value == pytest.approx(expected)
    assert mean_squared_error(pred, target).value == pytest.approx((0.04 + 9 + 2.25 + 6.25) / 4)


def test_focal_loss_hand_values_and_reduction_to_bce():
    z, y = np.array([2.0, -1.0, 0.5]), np.array([1, 1, 0])
    p = scipy.special.expit(z)
    p_t = np.where(y == 1, p, 1 - p)
    alpha_t = np.where(y == 1, 0.25, 0.75)
    expected = np.mean(-alpha_t * (1 - p_t) ** 2 * np.log(p_t))
    assert focal_loss_with_logits(z, y).value == pytest.approx(expected)
    bce = binary_cross_entropy_with_logits(z, y)
    focal0 = focal_loss_with_logits(z, y, gamma=0.0, alpha=None)
    assert focal0.value == pytest.approx(bce.value)
    np.testing.assert_allclose(focal0.grad, bce.grad)
    # Focusing down-weights the easy example (z=2, y=1) far more than the hard ones.
    easy_ratio = focal_loss_with_logits(z[:1], y[:1], alpha=None).value / bce_value(z[:1], y[:1])
    hard_ratio = focal_loss_with_logits(z[1:2], y[1:2], alpha=None).value / bce_value(
        z[1:2], y[1:2]
    )
    assert easy_ratio < 0.02 < hard_ratio


def bce_value(z, y):
    return binary_cross_entropy_with_logits(z, y).value


@pytest.mark.parametrize("z", [1e4, -1e4])
def test_no_overflow_at_extreme_logits(z):
    logits = np.array([z, z])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            bce = binary_cross_entropy_with_logits(logits, [0.0, 1.0])
            focal = focal_loss_with_logits(logits, [0, 1])
            cce = categorical_cross_entropy_with_logits([[z, 0.0]], [1])
            sig = Sigmoid().forward(logits)
            soft = Softmax().forward([[z, 0.0, -z]])
    assert bce.value == pytest.approx(1e4 / 2, rel=1e-9)
    np.testing.assert_array_equal(bce.grad, [0.5, 0.0] if z > 0 else [0.0, -0.5])
    assert np.isfinite(focal.value) and np.isfinite(focal.grad).all()
    assert cce.value == pytest.approx(max(z, 0.0))
    assert np.isfinite(sig).all() and np.isfinite(soft).all()


# --------------------------------------------------------------------------------------------
# Optimizers and clipping
# --------------------------------------------------------------------------------------------


def adam_paper(theta, grads, lr, beta1, beta2, eps):
    """Algorithm 1 of Kingma & Ba (2015), transcribed for a sequence of gradients."""
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta


@pytest.mark.parametrize(
    ("lr", "beta1", "beta2", "eps"), [(1e-3, 0.9, 0.999, 1e-8), (0.1, 0.5, 0.9, 1e-3)]
)
def test_adam_matches_the_paper_algorithm(lr, beta1, beta2, eps):
    rng = np.random.default_rng(13)
    w0, b0 = rng.normal(size=(3, 2)), rng.normal(size=2)
    grads = [(rng.normal(size=(3, 2)), rng.normal(size=2)) for _ in range(5)]
    w, b = w0.copy(), b0.copy()
    opt = Adam(lr, beta1, beta2, eps)
    for g_w, g_b in grads:
        opt.step([w, b], [g_w, g_b])
    np.testing.assert_allclose(w, adam_paper(w0, [g[0] for g in grads], lr, beta1, beta2, eps))
    np.testing.assert_allclose(b, adam_paper(b0, [g[1] for g in grads], lr, beta1, beta2, eps))
    assert opt.t == 5


def test_adam_first_step_is_lr_times_sign():
    w = np.zeros(3)
    Adam(0.01, eps=1e-12).step([w], [np.array([1e-4, -3.0, 200.0])])
    np.testing.assert_allclose(w, [-0.01, 0.01, -0.01])


def test_sgd_and_momentum_hand_values():
    w = np.array([1.0, -2.0])
    SGD(0.5).step([w], [np.array([2.0, 2.0])])
    np.testing.assert_allclose(w, [0.0, -3.0])

    w = np.array([0.0])
    opt = Momentum(0.1, momentum=0.5)
    for g in (1.0, 2.0, -1.0):
        opt.step([w], [np.array([g])])
    # v: 1, 2.5, 0.25 -> w: -0.1, -0.35, -0.375
    np.testing.assert_allclose(w, [-0.375])


def test_momentum_matches_the_classical_form():
    rng = np.random.default_rng(14)
    grads = rng.normal(size=(6, 4))
    w = np.zeros(4)
    opt = Momentum(0.05, momentum=0.8)
    for g in grads:
        opt.step([w], [g])
    w_ref, v = np.zeros(4), np.zeros(4)
    for g in grads:
        v = 0.8 * v - 0.05 * g
        w_ref = w_ref + v
    np.testing.assert_allclose(w, w_ref)


@FEW
@given(st.integers(0, 2**31 - 1), st.floats(0.01, 10.0))
def test_clip_by_global_norm(seed, max_norm):
    rng = np.random.default_rng(seed)
    grads = [rng.normal(size=(2, 3)) * 3, rng.normal(size=4)]
    clipped, norm = clip_by_global_norm(grads, max_norm)
    full = np.concatenate([g.ravel() for g in grads])
    assert norm == pytest.approx(np.linalg.norm(full))
    new = np.concatenate([g.ravel() for g in clipped])
    assert np.linalg.norm(new) == pytest.approx(min(max_norm, norm))
    np.testing.assert_allclose(new * np.linalg.norm(full), full * np.linalg.norm(new))


def test_clip_by_value_and_zero_gradient():
    grads = [np.array([[-7.0, 0.2]]), np.array([6.0])]
    clipped = clip_by_value(grads, 5.0)
    np.testing.assert_array_equal(clipped[0], [[-5.0, 0.2]])
    np.testing.assert_array_equal(clipped[1], [5.0])
    np.testing.assert_array_equal(grads[0], [[-7.0, 0.2]])  # inputs untouched
    zeros, norm = clip_by_global_norm([np.zeros(3)], 1.0)
    assert norm == 0.0 and (zeros[0] == 0).all()


# --------------------------------------------------------------------------------------------
# Learning-rate schedules (formulas of the source's appendix)
# --------------------------------------------------------------------------------------------


def test_schedules_match_the_source_formulas():
    t = np.arange(0, 200, 7)
    np.testing.assert_allclose(
        step_decay(t, initial_lr=0.1, step_size=30), 0.1 * 0.5 ** np.floor(t / 30)
    )
    np.testing.assert_allclose(
        exponential_decay(t, initial_lr=0.1, decay_rate=0.02), 0.1 * np.exp(-0.02 * t)
    )
    t_max, lo, hi = 150, 1e-4, 1e-2
    expected = lo + 0.5 * (hi - lo) * (1 + np.cos(np.minimum(t, t_max) / t_max * np.pi))
    np.testing.assert_allclose(
        cosine_annealing(t, max_lr=hi, total_steps=t_max, min_lr=lo), expected
    )
    assert isinstance(step_decay(3, initial_lr=1.0, step_size=2), float)


def test_warmup_then_cosine():
    steps = np.arange(12)
    lr = warmup_cosine(steps, max_lr=1.0, warmup_steps=4, total_steps=12)
    np.testing.assert_allclose(lr[:4], linear_warmup(steps[:4], max_lr=1.0, warmup_steps=4))
    np.testing.assert_allclose(lr[:4], [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(lr[4:], cosine_annealing(steps[4:] - 4, max_lr=1.0, total_steps=8))
    assert lr.max() == 1.0 and np.all(np.diff(lr[3:]) <= 0)


# --------------------------------------------------------------------------------------------
# End to end
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_mlp_trained_with_adam_fits_xor(seed):
    # 16 hidden units: 30 of 30 seeds fit; with 8, one seed in 10 loses too many ReLUs.
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    rng = np.random.default_rng(seed)
    model = Sequential([Linear(2, 16, rng=rng), ReLU(), Linear(16, 1, rng=rng, init="glorot")])
    opt = Adam(0.05)
    for _ in range(500):
        loss = binary_cross_entropy_with_logits(model.forward(x, training=True)[:, 0], y)
        model.backward(loss.grad[:, None])
        opt.step(model.params, model.grads)
    logits = model.forward(x)[:, 0]
    np.testing.assert_array_equal(logits > 0, y == 1)
    assert binary_cross_entropy_with_logits(logits, y).value < 0.05


def test_docstring_examples_run():
    for module in (mlref.nn.layers, mlref.nn.losses, mlref.nn.optim, mlref.nn.functional):
        result = doctest.testmod(module, extraglobs={"np": np})
        assert result.attempted > 0 and result.failed == 0


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


BAD_CALLS = {
    "linear zero size": (lambda: Linear(0, 2, rng=0), "in_features"),
    "linear bad init": (lambda: Linear(2, 2, rng=0, init="xavier"), "init"),
    "linear wrong width": (lambda: Linear(3, 2, rng=0).forward(np.ones((2, 4))), "3 features"),
    "linear nan": (lambda: Linear(1, 1, rng=0).forward([[np.nan]]), "NaN"),
    "backward first": (lambda: Linear(1, 1, rng=0).backward(np.ones((1, 1))), "before forward"),
    "embedding out of range": (lambda: Embedding(3, 2, rng=0).forward(np.array([3])), r"\[0, 2\]"),
    "embedding floats": (lambda: Embedding(3, 2, rng=0).forward(np.array([1.0])), "integers"),
    "dropout p=1": (lambda: Dropout(1.0, rng=0), "p must"),
    "dropout p<0": (lambda: Dropout(-0.1, rng=0), "p must"),
    "batchnorm 1 sample": (
        lambda: BatchNorm(2).forward(np.ones((1, 2)), training=True),
        "2 samples",
    ),
    "batchnorm 3-D": (lambda: BatchNorm(2).forward(np.ones((1, 2, 2))), "2-D"),
    "batchnorm momentum": (lambda: BatchNorm(2, momentum=0.0), "momentum"),
    "layernorm width": (lambda: LayerNorm(3).forward(np.ones((2, 2))), "3 features"),
    "heads divide": (lambda: MultiHeadSelfAttention(5, 2, rng=0), "divide"),
    "attention 2-D": (lambda: MultiHeadSelfAttention(4, 2, rng=0).forward(np.ones((3, 4))), "3-D"),
    "attention mask all false": (
        lambda: MultiHeadSelfAttention(4, 2, rng=0).forward(
            np.ones((1, 2, 4)), mask=np.array([[False, False]])
        ),
        "at least one True",
    ),
    "attention mask shape": (
        lambda: MultiHeadSelfAttention(4, 2, rng=0).forward(
            np.ones((1, 2, 4)), mask=np.ones((1, 3), bool)
        ),
        "mask must",
    ),
    "sequential empty": (lambda: Sequential([]), "empty"),
    "sequential not a layer": (lambda: Sequential([np.ones(2)]), "layers must"),
    "bce shapes": (
        lambda: binary_cross_entropy_with_logits(np.ones((3, 1)), np.ones(3)),
        "same shape",
    ),
    "bce targets": (lambda: binary_cross_entropy_with_logits([0.0], [2.0]), r"\[0, 1\]"),
    "bce empty": (lambda: binary_cross_entropy_with_logits([], []), "empty"),
    "bce inf": (lambda: binary_cross_entropy_with_logits([np.inf], [1.0]), "infinite"),
    "cce 1-D logits": (lambda: categorical_cross_entropy_with_logits([0.0, 1.0], [1]), "2-D"),
    "cce class index": (lambda: categorical_cross_entropy_with_logits([[0.0, 1.0]], [2]), "class"),
    "cce row sums": (
        lambda: categorical_cross_entropy_with_logits([[0.0, 1.0]], [[0.5, 0.2]]),
        "sum to 1",
    ),
    "huber delta": (lambda: huber_loss([1.0], [0.0], delta=0.0), "delta"),
    "focal labels": (lambda: focal_loss_with_logits([1.0], [0.5]), "binary"),
    "focal gamma": (lambda: focal_loss_with_logits([1.0], [1], gamma=-1.0), "gamma"),
    "focal alpha": (lambda: focal_loss_with_logits([1.0], [1], alpha=1.5), "alpha"),
    "lr": (lambda: SGD(0.0), "lr"),
    "beta1": (lambda: Adam(beta1=1.0), "beta1"),
    "momentum": (lambda: Momentum(0.1, momentum=1.0), "momentum"),
    "step lengths": (lambda: SGD(0.1).step([np.ones(2)], []), "same length"),
    "step shapes": (lambda: SGD(0.1).step([np.ones(2)], [np.ones(3)]), "shape"),
    "step nan": (lambda: SGD(0.1).step([np.ones(2)], [np.array([np.nan, 0.0])]), "NaN"),
    "clip value": (lambda: clip_by_value([np.ones(2)], -1.0), "threshold"),
    "clip norm": (lambda: clip_by_global_norm([np.ones(2)], 0.0), "max_norm"),
    "schedule step": (lambda: step_decay(-1, initial_lr=0.1, step_size=2), "non-negative"),
    "schedule float step": (lambda: cosine_annealing(1.5, max_lr=0.1, total_steps=2), "integer"),
    "warmup total": (
        lambda: warmup_cosine(0, max_lr=0.1, warmup_steps=5, total_steps=5),
        "must exceed",
    ),
}


@pytest.mark.parametrize("call", list(BAD_CALLS), ids=list(BAD_CALLS))
def test_bad_input_raises_value_error(call):
    fn, match = BAD_CALLS[call]
    with pytest.raises(ValueError, match=match):
        fn()


def test_optimizer_rejects_a_changed_parameter_list():
    opt = Adam(0.1)
    opt.step([np.ones(2)], [np.ones(2)])
    with pytest.raises(ValueError, match="changed shape"):
        opt.step([np.ones(3)], [np.ones(3)])


# --------------------------------------------------------------------------------------------
# Mini-batches and gradient checking
# --------------------------------------------------------------------------------------------


@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), seed=st.integers(0, 2**16))
@FEW
def test_minibatches_partition_every_epoch(n, batch_size, seed):
    batches = list(iterate_minibatches(n, batch_size=batch_size, rng=seed))
    assert len(batches) == -(-n // batch_size)  # ceil(n / B)
    assert all(len(b) == batch_size for b in batches[:-1]) and 1 <= len(batches[-1]) <= batch_size
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(n))
    again = list(iterate_minibatches(n, batch_size=batch_size, rng=seed))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))


def test_minibatches_from_one_generator_differ_between_epochs():
    gen = np.random.default_rng(0)
    first = np.concatenate(list(iterate_minibatches(50, batch_size=8, rng=gen)))
    second = np.concatenate(list(iterate_minibatches(50, batch_size=8, rng=gen)))
    assert not np.array_equal(first, second)
    ordered = list(iterate_minibatches(5, batch_size=2, rng=gen, shuffle=False))
    assert [b.tolist() for b in ordered] == [[0, 1], [2, 3], [4]]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: list(iterate_minibatches(0, batch_size=2, rng=0)), "n_samples"),
        (lambda: list(iterate_minibatches(5, batch_size=0, rng=0)), "batch_size"),
        (lambda: numerical_gradient(lambda: 0.0, [1.0, 2.0]), "float64 numpy array"),
        (lambda: numerical_gradient(lambda: 0.0, np.ones(2), eps=0), "eps"),
        (lambda: relative_error(np.ones(2), np.ones(3)), "same shape"),
    ],
)
def test_training_helpers_reject_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_numerical_gradient_catches_a_wrong_backward():
    rng = np.random.default_rng(3)
    layer = Linear(3, 2, rng=rng)
    x = rng.normal(size=(4, 3))
    upstream = rng.normal(size=(4, 2))

    def loss():
        return float(np.sum(layer.forward(x) * upstream))

    layer.forward(x)
    layer.backward(upstream)
    numeric = numerical_gradient(loss, layer.weight)
    assert relative_error(layer.grads[0], numeric) < 1e-6
    assert relative_error(layer.grads[0].T.reshape(3, 2), numeric) > 0.1  # a transposed bug
    np.testing.assert_array_equal(layer.weight, layer.params[0])  # restored after perturbing


# --------------------------------------------------------------------------------------------
# The MLP builder shared by every deep model
# --------------------------------------------------------------------------------------------


def test_mlp_layout_seeding_and_gradients():
    net = mlp(6, (8, 5, 4), n_outputs=2, dropout=0.3, batch_norm=True, rng=0)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Linear", "BatchNorm", "ReLU", "Dropout"] * 2 + [
        "Linear", "BatchNorm", "ReLU", "Linear"
    ]  # fmt: skip
    assert net.layers[-1].weight.shape == (4, 2)
    again = mlp(6, (8, 5, 4), n_outputs=2, dropout=0.3, batch_norm=True, rng=0)
    assert all(np.array_equal(a, b) for a, b in zip(net.params, again.params, strict=True))
    # weights are drawn layer by layer from one generator, in order
    gen = np.random.default_rng(1)
    by_hand = [Linear(3, 4, rng=gen), Linear(4, 1, rng=gen, init="glorot")]
    built = mlp(3, (4,), rng=1)
    np.testing.assert_array_equal(built.layers[0].weight, by_hand[0].weight)
    np.testing.assert_array_equal(built.layers[-1].weight, by_hand[1].weight)
    check_layer_gradients(
        mlp(3, (4, 2), n_outputs=2, rng=2), np.random.default_rng(3).normal(size=(5, 3))
    )


def test_mlp_without_layers_is_the_identity_and_sizes_are_checked():
    net = mlp(3, (), n_outputs=None, rng=0)
    x = np.random.default_rng(0).normal(size=(2, 3))
    np.testing.assert_array_equal(net.forward(x), x)
    np.testing.assert_array_equal(net.backward(x), x)
    assert net.params == [] and check_layer_sizes(5) == (5,) and check_layer_sizes([]) == ()
    assert mlp(3, (), rng=0).forward(x).shape == (2, 1)  # only the output layer
    for bad in ("wide", (4, 0), (2.5,), 3.0, None):
        with pytest.raises(ValueError, match="hidden_layer_sizes"):
            mlp(3, bad, rng=0)
    with pytest.raises(ValueError, match="n_outputs"):
        mlp(3, (2,), n_outputs=0, rng=0)
    with pytest.raises(ValueError, match="dropout"):
        mlp(3, (2,), dropout=1.5, rng=0)
