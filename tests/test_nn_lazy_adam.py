"""LazyAdam and Embedding(sparse_grad=True): equal to dense Adam on the rows a step touches,
untouched rows left alone, a per-row reference for rows touched now and then, bad input."""

import numpy as np
import pytest

from mlref.nn import Adam, Embedding, LazyAdam


def _row_adam_reference(w0, grads, rows, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Row by row, in plain Python: a row moves only at the steps whose ``rows`` list it."""
    w = w0.copy()
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, (g, r) in enumerate(zip(grads, rows, strict=True), start=1):
        for row in r:
            m[row] = beta1 * m[row] + (1 - beta1) * g[row]
            v[row] = beta2 * v[row] + (1 - beta2) * g[row] ** 2
            m_hat = m[row] / (1 - beta1**t)
            v_hat = v[row] / (1 - beta2**t)
            w[row] = w[row] - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w


@pytest.mark.parametrize("lr", [1e-3, 0.1])
def test_lazy_adam_equals_dense_adam_on_rows_touched_every_step(lr):
    rng = np.random.default_rng(0)
    table0, bias0 = rng.normal(size=(8, 3)), rng.normal(size=3)
    always = np.array([1, 4, 6])
    sometimes = [np.array([0, 2]), np.array([7]), np.array([], dtype=int), np.array([2, 3])]
    dense_table, lazy_table = table0.copy(), table0.copy()
    dense_bias, lazy_bias = bias0.copy(), bias0.copy()
    dense, lazy = Adam(lr), LazyAdam(lr)
    for extra in sometimes * 3:
        touched = np.union1d(always, extra)
        g = np.zeros_like(table0)
        g[touched] = rng.normal(size=(touched.size, 3))
        g_bias = rng.normal(size=3)
        dense.step([dense_table, dense_bias], [g, g_bias])
        lazy.step([lazy_table, lazy_bias], [g, g_bias], rows=[touched, None])
    # Rows in every batch follow dense Adam exactly; the bias (rows=None) gets the dense update.
    np.testing.assert_array_equal(lazy_table[always], dense_table[always])
    np.testing.assert_array_equal(lazy_bias, dense_bias)
    # Row 5 never had a gradient: neither optimizer moves it.
    np.testing.assert_array_equal(lazy_table[5], table0[5])
    np.testing.assert_array_equal(dense_table[5], table0[5])
    # Rows touched now and then differ: dense Adam keeps moving them by momentum.
    assert not np.allclose(lazy_table[[0, 2, 3, 7]], dense_table[[0, 2, 3, 7]])


def test_lazy_adam_matches_a_per_row_reference_and_ignores_gradients_outside_rows():
    rng = np.random.default_rng(1)
    w0 = rng.normal(size=(6, 2))
    rows = [rng.choice(6, size=rng.integers(0, 5), replace=False) for _ in range(15)]
    # Gradients are non-zero everywhere: LazyAdam must read only the listed rows.
    grads = [rng.normal(size=(6, 2)) for _ in rows]
    w = w0.copy()
    opt = LazyAdam(0.05, beta1=0.8, beta2=0.99, eps=1e-6)
    for g, r in zip(grads, rows, strict=True):
        opt.step([w], [g], rows=[r])
    reference = _row_adam_reference(w0, grads, rows, 0.05, 0.8, 0.99, 1e-6)
    np.testing.assert_allclose(w, reference, rtol=1e-13, atol=1e-15)
    assert opt.t == 15


def test_lazy_adam_without_rows_is_dense_adam():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    b[:] = a
    dense, lazy = Adam(0.01), LazyAdam(0.01)
    for _ in range(5):
        g = rng.normal(size=(4, 2))
        dense.step([a], [g])
        lazy.step([b], [g])
    np.testing.assert_array_equal(a, b)


def test_lazy_adam_on_a_trained_embedding_equals_dense_adam_on_touched_rows():
    """An Embedding fed the same ids every step: the two optimizers give the same table."""
    ids = np.array([[0, 3, 3], [5, 0, 2]])
    target = np.random.default_rng(3).normal(size=(2, 3, 4))
    tables = []
    for optimizer, sparse in ((Adam(0.05), False), (LazyAdam(0.05), True)):
        emb = Embedding(7, 4, rng=0, sparse_grad=sparse)
        for _ in range(20):
            out = emb.forward(ids, training=True)
            emb.backward(out - target)
            if sparse:
                optimizer.step(emb.params, emb.grads, rows=emb.grad_rows)
            else:
                optimizer.step(emb.params, emb.grads)
        tables.append(emb.params[0])
    np.testing.assert_allclose(tables[0], tables[1], rtol=1e-14, atol=1e-15)


def test_sparse_embedding_gradient_equals_the_dense_one_across_steps():
    rng = np.random.default_rng(4)
    dense, sparse = Embedding(9, 3, rng=0), Embedding(9, 3, rng=0, sparse_grad=True)
    for ids in (np.array([1, 1, 4, 8]), np.array([[0, 2], [2, 2]]), np.array([7]), np.array([8])):
        d_out = rng.normal(size=(*ids.shape, 3))
        for layer in (dense, sparse):
            layer.forward(ids)
            layer.backward(d_out)
        # Rows written at the previous step are zeroed: the full arrays are equal.
        np.testing.assert_allclose(sparse.grads[0], dense.grads[0], rtol=1e-14, atol=1e-15)
        np.testing.assert_array_equal(sparse.grad_rows[0], np.unique(ids))
        np.testing.assert_array_equal(dense.grad_rows[0], np.unique(ids))


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        (np.array([0, 1]), "rows must be a list"),
        ([np.array([0])], "one entry per parameter"),
        ([np.array([0, 3]), None], r"rows\[0\] holds ids outside 0\.\.2"),
        ([np.array([-1]), None], r"rows\[0\] holds ids outside"),
        ([np.array([0.5]), None], r"rows\[0\] must be a 1-D array of integer"),
        ([np.array([[0]]), None], r"rows\[0\] must be a 1-D array of integer"),
        ("abc", "rows must be a list"),
    ],
)
def test_lazy_adam_rejects_bad_rows(rows, match):
    w, b = np.zeros((3, 2)), np.zeros(2)
    with pytest.raises(ValueError, match=match):
        LazyAdam(0.1).step([w, b], [np.ones((3, 2)), np.ones(2)], rows=rows)


def test_lazy_adam_checks_only_the_listed_rows_for_nan():
    w = np.zeros((3, 2))
    g = np.ones((3, 2))
    g[2] = np.nan
    LazyAdam(0.1).step([w], [g], rows=[np.array([0, 1])])  # row 2 is not read
    assert np.isfinite(w).all()
    with pytest.raises(ValueError, match=r"grads\[0\] holds NaN"):
        LazyAdam(0.1).step([w], [g], rows=[np.array([2])])


def test_embedding_rejects_a_non_bool_sparse_grad():
    with pytest.raises(ValueError, match="sparse_grad must be True or False"):
        Embedding(3, 2, rng=0, sparse_grad="yes")
