"""Tests of mlref.recsys ALS and explicit MF against ``implicit`` and ``scipy.sparse.linalg.svds``,
of the row-wise conjugate gradient against dense solves, and of their input checks."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import svds
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from mlref.recsys import ALS, ExplicitMF, conjugate_gradient_step, interaction_matrix

implicit_als = pytest.importorskip("implicit.als")


def _counts(n_users, n_items, density, seed):
    matrix = sp.random(n_users, n_items, density=density, format="csr", random_state=seed)
    matrix.data = np.ceil(matrix.data * 4)  # small integer counts, exact in float32
    return matrix


def _implicit(matrix, alpha, **params):
    """implicit's model on the same objective: its data is the confidence 1 + alpha * r."""
    confidence = matrix.copy().astype(np.float64)
    confidence.data = 1.0 + alpha * confidence.data
    model = implicit_als.AlternatingLeastSquares(
        alpha=1.0, dtype=np.float64, num_threads=1, **params
    )
    model.fit(confidence, show_progress=False)
    return model


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_als_factors_equal_implicit_cg(seed):
    R = _counts(80, 60, 0.08, seed)
    params = dict(factors=6, regularization=0.05, iterations=6, random_state=seed)
    ours = ALS(alpha=15.0, dtype=np.float64, **params).fit(R)
    ref = _implicit(R, 15.0, **params)
    scale = np.abs(ref.item_factors).max()
    assert np.abs(ours.user_factors_ - ref.user_factors).max() < 1e-5 * scale
    assert np.abs(ours.item_factors_ - ref.item_factors).max() < 1e-5 * scale
    users = np.flatnonzero(np.diff(R.indptr))  # a user without items scores every item 0
    assert (np.abs(ours.user_factors_[np.diff(R.indptr) == 0]) == 0).all()
    ids, _ = ref.recommend(users, R[users], N=5, filter_already_liked_items=True)
    np.testing.assert_array_equal(ours.recommend(users, k=5), ids)


def test_als_with_enough_cg_steps_equals_implicit_exact_solver():
    R = _counts(50, 40, 0.1, 7)
    params = dict(factors=5, regularization=0.1, iterations=4, random_state=7)
    ours = ALS(alpha=5.0, cg_steps=12, dtype=np.float64, **params).fit(R)
    ref = _implicit(R, 5.0, use_cg=False, **params)
    np.testing.assert_allclose(ours.user_factors_, ref.user_factors, atol=1e-7)
    np.testing.assert_allclose(ours.item_factors_, ref.item_factors, atol=1e-7)


def test_conjugate_gradient_converges_to_each_rows_dense_solve():
    rng = np.random.default_rng(3)
    C = _counts(20, 15, 0.3, 3)
    C.data = 1.0 + 3.0 * C.data
    Y = rng.normal(size=(15, 4))
    X = conjugate_gradient_step(C, np.zeros((20, 4)), Y, 0.5, cg_steps=20)
    dense = C.toarray()
    for u in range(20):
        c = np.where(dense[u] > 0, dense[u], 1.0)
        p = (dense[u] > 0).astype(float)
        A = Y.T @ (c[:, None] * Y) + 0.5 * np.eye(4)
        np.testing.assert_allclose(X[u], np.linalg.solve(A, Y.T @ (c * p)), atol=1e-9)


def test_als_loss_matches_dense_objective_and_decreases():
    R = _counts(30, 25, 0.2, 4)
    losses = []
    for iterations in (1, 3, 10):
        model = ALS(factors=3, alpha=4.0, regularization=0.2, iterations=iterations,
                    dtype=np.float64, random_state=0).fit(R)  # fmt: skip
        losses.append(model.loss(R))
    X, Y, dense = model.user_factors_, model.item_factors_, R.toarray()
    c, p = 1.0 + 4.0 * dense, (dense > 0).astype(float)
    expected = np.sum(c * (p - X @ Y.T) ** 2) + 0.2 * (np.sum(X**2) + np.sum(Y**2))
    assert losses[-1] == pytest.approx(expected, rel=1e-10)
    assert losses[0] > losses[1] > losses[2]


def test_als_float32_is_close_to_float64_and_users_without_items_score_zero():
    R = _counts(40, 30, 0.1, 5).tolil()
    R[3, :] = 0
    R = R.tocsr()
    R.eliminate_zeros()
    f64 = ALS(factors=4, iterations=40, random_state=0, dtype=np.float64).fit(R)
    f32 = ALS(factors=4, iterations=40, random_state=0).fit(R)
    assert f32.user_factors_.dtype == np.float32
    # float32 draws a different start (another local optimum): objectives within 5 %
    assert f32.loss(R) == pytest.approx(f64.loss(R), rel=0.05)
    assert np.abs(f64.user_factors_[3]).max() == 0.0


def test_als_is_a_scikit_learn_estimator_and_deterministic():
    R = _counts(30, 20, 0.2, 6)
    model = ALS(factors=3, iterations=2, random_state=1)
    twin = clone(model)
    np.testing.assert_array_equal(model.fit(R).item_factors_, twin.fit(R).item_factors_)


@pytest.mark.parametrize(
    ("matrix", "params", "message"),
    [
        (np.ones((3, 3)), {}, "scipy.sparse"),
        (sp.csr_matrix((3, 3)), {}, "no interaction"),
        (sp.csr_matrix((0, 3)), {}, "shape"),
        (sp.csr_matrix(np.array([[1.0, np.nan]])), {}, "NaN"),
        (sp.csr_matrix(np.array([[1.0, -1.0]])), {}, "negative"),
        (sp.csr_matrix(np.eye(3)), {"factors": 0}, "factors"),
        (sp.csr_matrix(np.eye(3)), {"iterations": 1.5}, "iterations"),
        (sp.csr_matrix(np.eye(3)), {"alpha": -1.0}, "alpha"),
        (sp.csr_matrix(np.eye(3)), {"random_state": "zero"}, "random_state"),
        (sp.csr_matrix(np.eye(3)), {"dtype": np.int64}, "dtype"),
    ],
)
def test_als_rejects_bad_input(matrix, params, message):
    with pytest.raises(ValueError, match=message):
        ALS(**params).fit(matrix)


def test_recommend_rejects_unknown_users_and_unfitted_models():
    with pytest.raises(NotFittedError):
        ALS().recommend([0])
    model = ALS(factors=2, iterations=1, random_state=0).fit(sp.csr_matrix(np.eye(4)))
    with pytest.raises(ValueError, match=r"fitted on users 0\.\.3"):
        model.recommend([4])
    with pytest.raises(ValueError, match="k must"):
        model.recommend([0], k=0)
    with pytest.raises(ValueError, match="exclude"):
        model.recommend([0], exclude="seen")
    assert model.recommend([0], k=4).tolist()[0][-1] == -1  # only 3 unseen items


def test_interaction_matrix_sums_repeats_and_checks_ids():
    m = interaction_matrix([0, 0, 1], [1, 1, 0], [2.0, 3.0, 1.0], n_users=2, n_items=2)
    assert m.toarray().tolist() == [[0.0, 5.0], [1.0, 0.0]]
    with pytest.raises(ValueError, match="items must lie"):
        interaction_matrix([0], [2], n_users=1, n_items=2)
    with pytest.raises(ValueError, match="same length"):
        interaction_matrix([0, 1], [0], n_users=2, n_items=2)


# ------------------------------------------------------------------------------------------------
# Explicit MF


def test_explicit_mf_on_a_full_matrix_without_penalty_is_the_truncated_svd():
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(40, 3)) @ rng.normal(size=(3, 30)) * 2 + rng.normal(size=(40, 30))
    matrix = sp.csr_matrix(dense)
    model = ExplicitMF(factors=3, regularization=0.0, biases=False, iterations=60, cg_steps=4,
                       random_state=0).fit(matrix)  # fmt: skip
    U, s, Vt = svds(matrix, k=3)
    np.testing.assert_allclose(model.score_items(), (U * s) @ Vt, atol=1e-8)


def test_explicit_mf_item_side_solves_its_ridge_exactly():
    rng = np.random.default_rng(1)
    R = sp.random(30, 20, density=0.3, format="csr", random_state=1)
    R.data = rng.integers(1, 6, R.nnz).astype(float)
    model = ExplicitMF(factors=3, regularization=2.0, iterations=3, cg_steps=10,
                       random_state=0).fit(R)  # fmt: skip
    dense, mask = R.toarray(), R.toarray() > 0
    users = np.column_stack([model.user_factors_, np.ones(30)])
    for i in range(20):
        rows = mask[:, i]
        A = users[rows].T @ users[rows] + 2.0 * np.eye(4)
        target = dense[rows, i] - model.mean_ - model.user_bias_[rows]
        solution = np.linalg.solve(A, users[rows].T @ target)
        np.testing.assert_allclose(model.item_factors_[i], solution[:3], atol=1e-9)
        assert model.item_bias_[i] == pytest.approx(solution[3], abs=1e-9)


def test_explicit_mf_beats_the_global_mean_on_held_out_ratings():
    rng = np.random.default_rng(2)
    users, items = rng.normal(size=(200, 2)), rng.normal(size=(100, 2))
    dense = 3 + users @ items.T + rng.normal(scale=0.3, size=(200, 100))
    observed = rng.random(dense.shape) < 0.3
    held = observed & (rng.random(dense.shape) < 0.2)
    train = sp.csr_matrix(np.where(observed & ~held, dense, 0.0))
    model = ExplicitMF(factors=2, regularization=1.0, random_state=0).fit(train)
    u, i = np.nonzero(held)
    rmse = np.sqrt(np.mean((model.predict(u, i) - dense[u, i]) ** 2))
    baseline = np.sqrt(np.mean((train.data.mean() - dense[u, i]) ** 2))
    assert rmse < 0.6 * baseline


def test_explicit_mf_rejects_bad_input():
    R = sp.csr_matrix(np.array([[5.0, 0.0], [0.0, 3.0]]))
    with pytest.raises(ValueError, match="NaN"):
        ExplicitMF().fit(sp.csr_matrix(np.array([[np.nan, 1.0]])))
    with pytest.raises(ValueError, match="factors"):
        ExplicitMF(factors=0).fit(R)
    with pytest.raises(ValueError, match="biases"):
        ExplicitMF(biases="yes").fit(R)
    model = ExplicitMF(factors=1, random_state=0).fit(R)
    with pytest.raises(ValueError, match="users"):
        model.predict([2], [0])
    with pytest.raises(ValueError, match="items must lie"):
        model.predict([0], [5])
    with pytest.raises(ValueError, match="same length"):
        model.predict([0, 1], [0])
