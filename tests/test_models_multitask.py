"""Tests of MultiTaskClassifier: finite-difference gradients (independent heads and funnels),
a scikit-learn reference, masks, task weights, determinism and bad inputs."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from mlref.models.multitask import MultiTaskClassifier
from mlref.nn.gradcheck import numerical_gradient


def _data(n=12, d=3, n_tasks=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = (rng.random((n, n_tasks)) < 0.5).astype(float)
    Y[0], Y[1] = 0.0, 1.0  # both classes in every task
    return X, Y


def _weighted_loss(model, X, Y, mask):
    sums, counts = model._batch_loss(X, Y, mask)
    return float(model._weights @ (sums / np.maximum(counts, 1)))


@pytest.mark.parametrize(
    "config",
    [
        {"shared": (4,), "head": (3,), "weights": (1.0, 0.5, 2.0), "mask": True},
        {"shared": (4,), "head": (), "conditional_on": (None, 0, 1), "mask": False},
        {"shared": (), "head": (2,), "conditional_on": (None, 0, 0), "mask": True},
        {"shared": (3, 2), "head": (), "n_tasks": 1, "mask": False},
        {"shared": (4,), "head": (2,), "conditional_on": (None, 0, 1), "mask": True},
    ],
)
def test_gradient_of_every_parameter(config):
    n_tasks = config.get("n_tasks", 3)
    X, Y = _data(n_tasks=n_tasks)
    rng = np.random.default_rng(1)
    mask = rng.random(Y.shape) < 0.7 if config["mask"] else np.ones(Y.shape, bool)
    mask[:2] = True
    model = MultiTaskClassifier(
        shared_layer_sizes=config["shared"],
        head_layer_sizes=config["head"],
        task_weights=config.get("weights"),
        conditional_on=config.get("conditional_on"),
        n_epochs=1,
        random_state=0,
    ).fit(X, Y, task_mask=mask)
    params = model.shared_.params + [p for h in model.heads_ for p in h.params]
    grads = model.shared_.grads + [g for h in model.heads_ for g in h.grads]
    for p in params:  # biases off 0, away from the ReLU kink of an all-zero input
        p += rng.normal(scale=0.1, size=p.shape)
    Y_masked = np.where(mask, Y, 0.0)
    _weighted_loss(model, X, Y_masked, mask)
    analytic = [g.copy() for g in grads]
    assert len(params) == 2 * len(config["shared"]) + n_tasks * 2 * (len(config["head"]) + 1)
    for p, g in zip(params, analytic, strict=True):
        numeric = numerical_gradient(lambda: _weighted_loss(model, X, Y_masked, mask), p)
        np.testing.assert_allclose(g, numeric, atol=1e-7, rtol=1e-5)


def test_funnel_probabilities_and_loss_match_the_definition():
    X, Y = _data(n=20)
    Y[:, 1] *= Y[:, 0]  # cart implies click, order implies cart
    Y[:, 2] *= Y[:, 1]
    Y[2] = [1.0, 1.0, 1.0]
    model = MultiTaskClassifier(
        shared_layer_sizes=(4,), head_layer_sizes=(), conditional_on=(None, 0, 1), n_epochs=2,
        random_state=0,
    ).fit(X, Y)  # fmt: skip
    conditional = model.predict_conditional_proba(X)
    p = np.cumprod(conditional, axis=1)
    np.testing.assert_allclose(model.predict_proba(X), p, rtol=1e-12)
    sums, counts = model._batch_loss(X, Y, np.ones(Y.shape, bool))
    brute = -(Y * np.log(p) + (1 - Y) * np.log(1 - p)).sum(axis=0)
    np.testing.assert_allclose(sums, brute, rtol=1e-10)
    assert counts.tolist() == [20, 20, 20]
    assert (model.predict_proba(X)[:, 2] <= model.predict_proba(X)[:, 1]).all()


def test_funnel_loss_is_finite_for_extreme_logits():
    model = MultiTaskClassifier(conditional_on=(None, 0), n_epochs=1)
    model._check_params(2)
    log_p, log_1mp = model._log_probabilities(np.array([[900.0, 900.0], [-900.0, -900.0]]))
    assert np.isfinite(log_1mp).all() and np.isfinite(log_p).all()
    assert log_p[1].tolist() == [-900.0, -1800.0]


def test_single_task_linear_model_matches_scikit_learn_logistic_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X @ [1.0, -2.0, 0.5] + 0.3 + rng.logistic(size=300) > 0).astype(float)
    model = MultiTaskClassifier(
        shared_layer_sizes=(), head_layer_sizes=(), batch_size=300, n_epochs=1500,
        learning_rate=0.05, random_state=0,
    ).fit(X, y)  # fmt: skip
    reference = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(
        model.predict_proba(X)[:, 0], reference.predict_proba(X)[:, 1], atol=1e-4
    )
    head = model.heads_[0].layers[0]
    np.testing.assert_allclose(head.weight.ravel(), reference.coef_.ravel(), atol=1e-3)


def test_deterministic_for_a_seed_and_loss_curves_decrease():
    X, Y = _data(n=200, d=4, seed=3)
    Y[:, 0] = (X[:, 0] > 0).astype(float)
    kwargs = {"n_epochs": 15, "learning_rate": 0.01, "task_names": ["a", "b", "c"]}
    a = MultiTaskClassifier(random_state=1, **kwargs).fit(X, Y)
    b = MultiTaskClassifier(random_state=1, **kwargs).fit(X, Y)
    c = MultiTaskClassifier(random_state=2, **kwargs).fit(X, Y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))
    assert list(a.loss_curves_) == ["a", "b", "c"] and len(a.loss_curve_) == 15
    assert a.loss_curves_["a"][-1] < 0.5 * a.loss_curves_["a"][0]
    total = sum(a.loss_curves_[name][-1] for name in "abc")
    assert a.loss_curve_[-1] == pytest.approx(total)
    assert a.predict(X).shape == (200, 3) and set(np.unique(a.predict(X))) <= {0, 1}
    assert a.decision_function(X).shape == (200, 3)


def test_masked_labels_are_ignored():
    X, Y = _data(n=30)
    rng = np.random.default_rng(4)
    mask = rng.random(Y.shape) < 0.6
    mask[:2] = True
    kwargs = {"n_epochs": 3, "batch_size": 8, "random_state": 0}
    other = np.where(mask, Y, np.nan)
    flipped = np.where(mask, Y, 1.0 - Y)
    a = MultiTaskClassifier(**kwargs).fit(X, other, task_mask=mask)
    b = MultiTaskClassifier(**kwargs).fit(X, flipped, task_mask=mask)
    c = MultiTaskClassifier(**kwargs).fit(X, Y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_zero_weight_task_head_is_never_updated():
    X, Y = _data(n=40)
    kwargs = {"task_weights": (1.0, 0.0, 1.0), "random_state": 0, "learning_rate": 0.01}
    short = MultiTaskClassifier(n_epochs=1, **kwargs).fit(X, Y)
    long = MultiTaskClassifier(n_epochs=4, **kwargs).fit(X, Y)
    for p, q in zip(short.heads_[1].params, long.heads_[1].params, strict=True):
        np.testing.assert_array_equal(p, q)
    assert not np.array_equal(short.heads_[0].params[0], long.heads_[0].params[0])
    assert not np.array_equal(short.shared_.params[0], long.shared_.params[0])


def test_tiny_inputs():
    model = MultiTaskClassifier(n_epochs=2, random_state=0).fit([[0.0], [1.0]], [0, 1])
    assert model.predict_proba([[0.5]]).shape == (1, 1)
    assert model.task_names_ == ["task_0"] and model.n_tasks_ == 1


@pytest.mark.parametrize(
    ("Y", "mask", "match"),
    [
        (np.zeros((3, 2)), None, "only one class"),
        (np.array([[0, 1], [1, 2], [0, 0], [1, 1]]), None, "0/1 labels"),
        (np.array([[0, 1], [1, np.nan], [0, 0], [1, 1]]), None, "0/1 labels"),
        (np.ones((5, 2)), None, "length mismatch: X has 4, Y has 5"),
        (np.array([[0, 1], [1, 0], [0, 0], [1, 1]]), np.ones((4, 1), bool), "task_mask"),
        (np.array([[0, 1], [1, 0], [0, 0], [1, 1]]), np.ones((4, 2)), "boolean"),
        (
            np.array([[0, 1], [1, 0], [0, 0], [1, 1]]),
            np.column_stack([np.ones(4, bool), np.zeros(4, bool)]),
            "no defined label",
        ),
    ],
)
def test_fit_rejects_bad_targets(Y, mask, match):
    X = np.arange(Y.shape[0] if Y.shape[0] == 4 else 4, dtype=float).reshape(-1, 1)
    if Y.shape[0] == 3:
        X = X[:3]
    with pytest.raises(ValueError, match=match):
        MultiTaskClassifier(n_epochs=1).fit(X, Y, task_mask=mask)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"task_weights": (1.0,)}, "task_weights"),
        ({"task_weights": (1.0, -1.0)}, "task_weights"),
        ({"task_weights": (0.0, 0.0)}, "all 0"),
        ({"task_names": ["a", "a"]}, "task_names"),
        ({"task_names": ["a"]}, "task_names"),
        ({"conditional_on": (None,)}, "one entry per task"),
        ({"conditional_on": (1, None)}, "earlier task"),
        ({"conditional_on": (None, 1)}, "earlier task"),
        ({"conditional_on": (None, True)}, "task index"),
        ({"shared_layer_sizes": (0,)}, "shared_layer_sizes"),
        ({"head_layer_sizes": "wide"}, "head_layer_sizes"),
        ({"head_layer_sizes": (4, 2.5)}, "head_layer_sizes"),
        ({"batch_size": 0}, "batch_size"),
        ({"n_epochs": 0}, "n_epochs"),
        ({"learning_rate": 0.0}, "learning_rate"),
    ],
)
def test_fit_rejects_bad_params(params, match):
    X, Y = _data(n_tasks=2)
    with pytest.raises(ValueError, match=match):
        MultiTaskClassifier(**params).fit(X, Y)


def test_rejects_bad_X_and_unfitted_use():
    X, Y = _data()
    with pytest.raises(ValueError, match="not fitted"):
        MultiTaskClassifier().predict_proba(X)
    with pytest.raises(ValueError, match="NaN"):
        MultiTaskClassifier().fit(np.where(X > 1, np.nan, X), Y)
    model = MultiTaskClassifier(n_epochs=1).fit(X, Y)
    with pytest.raises(ValueError, match="features"):
        model.predict_proba(X[:, :2])
    with pytest.raises(ValueError, match="2-D"):
        model.predict_proba(X[0])


def test_clone_round_trips_parameters_and_refits_identically():
    from sklearn.base import clone

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    Y = (rng.random((200, 2)) < 0.3).astype(float)
    model = MultiTaskClassifier(shared_layer_sizes=(8,), head_layer_sizes=(4,), n_epochs=2,
                                task_weights=(1.0, 2.0), random_state=3)  # fmt: skip
    twin = clone(model)
    assert twin.get_params() == model.get_params() and not hasattr(twin, "loss_curve_")
    np.testing.assert_array_equal(twin.fit(X, Y).predict_proba(X), model.fit(X, Y).predict_proba(X))
