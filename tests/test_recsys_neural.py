"""Neural CF, DLRM and the DotInteraction layer: every gradient against central finite
differences, fast scoring equal to the network's forward pass, learning signal, bad input."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from mlref.nn import DotInteraction
from mlref.nn.gradcheck import numerical_gradient
from mlref.recsys import DLRMClassifier, NeuralCF

GRAD_TOL = {"rtol": 1e-5, "atol": 1e-7}


def test_dot_interaction_values_and_gradient():
    x = np.random.default_rng(0).normal(size=(3, 4, 2))
    upstream = np.random.default_rng(1).normal(size=(3, 6))
    layer = DotInteraction()
    out = layer.forward(x)
    rows, cols = np.triu_indices(4, 1)
    np.testing.assert_allclose(out, np.einsum("bid,bid->bi", x[:, rows], x[:, cols]))
    analytic = layer.backward(upstream)
    numeric = numerical_gradient(lambda: float(np.sum(DotInteraction().forward(x) * upstream)), x)
    np.testing.assert_allclose(analytic, numeric, **GRAD_TOL)
    with pytest.raises(ValueError, match="F >= 2"):
        layer.forward(np.ones((2, 1, 3)))


def _check_network_gradients(network, inputs, labels, objective_of):
    rng = np.random.default_rng(5)
    for p in network.params:
        p += rng.normal(scale=0.2, size=p.shape)
    _, grads = objective_of(network, inputs, labels)
    grads = [g.copy() for g in grads]
    assert len(grads) == len(network.params)
    for param, grad in zip(network.params, grads, strict=True):
        numeric = numerical_gradient(lambda: objective_of(network, inputs, labels)[0], param)
        np.testing.assert_allclose(grad, numeric, **GRAD_TOL)


def test_neural_cf_gradients_match_finite_differences():
    R = sp.random(12, 9, density=0.3, format="csr", random_state=0)
    model = NeuralCF(factors=3, hidden_layer_sizes=(4, 3), n_epochs=1, alpha=0.0, random_state=0)
    model.fit(R)
    pairs = np.array([[0, 1], [3, 4], [3, 1], [11, 8], [5, 0]])
    labels = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    _check_network_gradients(model.network_, pairs, labels, model._objective)


def test_neural_cf_fast_scores_equal_the_forward_pass_and_it_learns():
    rng = np.random.default_rng(1)
    # two user groups liking two item groups
    dense = np.zeros((60, 40))
    dense[:30, :20] = rng.random((30, 20)) < 0.5
    dense[30:, 20:] = rng.random((30, 20)) < 0.5
    R = sp.csr_matrix(dense)
    model = NeuralCF(factors=4, n_epochs=30, learning_rate=0.02, random_state=0).fit(R)
    users, items = np.repeat(np.arange(60), 40), np.tile(np.arange(40), 60)
    np.testing.assert_allclose(model.score_items().ravel(), model.predict(users, items))
    assert model.loss_curve_[-1] < 0.6 * model.loss_curve_[0]
    recs = model.recommend(k=5)
    in_group = np.where(np.arange(60)[:, None] < 30, recs < 20, recs >= 20)
    assert in_group.mean() > 0.9


def test_neural_cf_rejects_bad_input():
    R = sp.csr_matrix(np.eye(4))
    with pytest.raises(ValueError, match="factors"):
        NeuralCF(factors=0).fit(R)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        NeuralCF(hidden_layer_sizes=()).fit(R)
    with pytest.raises(ValueError, match="NaN"):
        NeuralCF().fit(sp.csr_matrix(np.array([[np.nan, 1.0]])))
    with pytest.raises(ValueError, match="random_state"):
        NeuralCF(random_state="a").fit(R)
    model = NeuralCF(n_epochs=1, random_state=0).fit(R)
    with pytest.raises(ValueError, match="users"):
        model.predict([9], [0])
    twin = clone(model).fit(R)
    np.testing.assert_array_equal(twin.score_items(), model.score_items())


def _dlrm_data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    dense = rng.normal(size=(n, 2))
    ids = rng.integers(0, 6, size=(n, 2))
    # a label that needs the interaction of the two ids
    logit = dense[:, 0] + 2.0 * (ids[:, 0] == ids[:, 1]) - 0.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return np.column_stack([dense[:, 0], ids[:, 0], dense[:, 1], ids[:, 1]]), y


def test_dlrm_gradients_match_finite_differences():
    X, y = _dlrm_data(8)
    model = DLRMClassifier(sparse_columns=[1, 3], embedding_dim=3, bottom_layer_sizes=(4,),
                           hidden_layer_sizes=(5,), n_epochs=1, random_state=0)  # fmt: skip
    model.fit(X, y)
    inputs = model._encode(X, fitting=False)

    def objective_of(network, inputs, labels):
        value, grads = model._objective(network, inputs, labels, training=True)
        return value + model._penalty(network), grads

    _check_network_gradients(model.network_, inputs, y.astype(float), objective_of)


def test_dlrm_learns_an_id_interaction_and_handles_unseen_ids():
    X, y = _dlrm_data(2000)
    model = DLRMClassifier(sparse_columns=[1, 3], n_epochs=20, learning_rate=0.01,
                           random_state=0).fit(X, y)  # fmt: skip
    X_test, y_test = _dlrm_data(2000, seed=1)
    from mlref.metrics import auc_roc

    interaction_only = auc_roc(y_test, (X_test[:, 1] == X_test[:, 3]).astype(float))
    assert auc_roc(y_test, model.predict_proba(X_test)[:, 1]) > interaction_only + 0.05
    X_test[0, 1] = 99  # an id never seen in training maps to the column's "other" id
    assert np.isfinite(model.decision_function(X_test[:1])).all()


@pytest.mark.parametrize(
    ("params", "X", "message"),
    [
        ({"sparse_columns": []}, np.ones((4, 2)), "sparse_columns is empty"),
        ({"sparse_columns": [5]}, np.ones((4, 2)), "column indices"),
        ({"sparse_columns": [0, 1]}, np.ones((4, 2)), "dense column"),
        ({"sparse_columns": [1], "embedding_dim": 0}, np.ones((4, 2)), "embedding_dim"),
        ({"sparse_columns": [1]}, np.full((4, 2), np.nan), "NaN"),
    ],
)
def test_dlrm_rejects_bad_input(params, X, message):
    with pytest.raises(ValueError, match=message):
        DLRMClassifier(**params).fit(X, [0, 1, 0, 1])
