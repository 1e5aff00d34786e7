"""Deep click models (MLP, Wide & Deep, DeepFM) and the field indexer: gradients against finite
differences, the FM identity against the naive pairwise sum, scikit-learn conventions and
comparison, planted interactions that a linear model cannot learn, and bad inputs."""

import doctest
import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

import mlref.models._neural
import mlref.models.deepfm
import mlref.models.fields
import mlref.models.mlp
import mlref.models.wide_deep
from mlref.features.categorical import OneHotEncoder
from mlref.metrics import auc_roc, log_loss
from mlref.models.deepfm import DeepFMClassifier, fm_second_order
from mlref.models.fields import FieldIndexer
from mlref.models.linear import LogisticRegression
from mlref.models.mlp import MLPClassifier
from mlref.models.wide_deep import WideAndDeepClassifier, hash_field_pairs
from mlref.nn.gradcheck import numerical_gradient
from mlref.nn.layers import BatchNorm, Dropout

FEW = settings(max_examples=25, deadline=None)
GRAD_TOL = {"rtol": 1e-5, "atol": 1e-8}


@pytest.fixture(autouse=True)
def _single_threaded_blas():
    """These networks multiply small matrices: BLAS threads only add contention (20x slower on a
    loaded two-core machine)."""
    with threadpool_limits(limits=1):
        yield


def _fields(n, seed=0, n_fields=3, n_values=4):
    rng = np.random.default_rng(seed)
    return rng.integers(0, n_values, size=(n, n_fields))


def _labels(n, seed=0):
    y = (np.random.default_rng(seed + 100).random(n) < 0.4).astype(int)
    y[:2] = [0, 1]
    return y


def _tiny_models():
    common = {"n_epochs": 1, "batch_size": 4, "random_state": 0, "alpha": 0.01}
    return {
        "mlp": MLPClassifier(hidden_layer_sizes=(5, 4), dropout=0.0, **common),
        "mlp_batch_norm": MLPClassifier(
            hidden_layer_sizes=(5, 4), dropout=0.0, batch_norm=True, **common
        ),
        "wide_deep": WideAndDeepClassifier(
            embedding_dim=3, hidden_layer_sizes=(4,), n_cross_buckets=7, **common
        ),
        "deepfm": DeepFMClassifier(embedding_dim=3, hidden_layer_sizes=(4, 3), **common),
    }


def _inputs_for(name, n=6):
    if name.startswith("mlp"):
        return np.random.default_rng(1).normal(size=(n, 3))
    return _fields(n, seed=1)


# --------------------------------------------------------------------------------------------
# Doctests
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [
        mlref.models._neural,
        mlref.models.fields,
        mlref.models.mlp,
        mlref.models.wide_deep,
        mlref.models.deepfm,
    ],
)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


# --------------------------------------------------------------------------------------------
# FM second-order term
# --------------------------------------------------------------------------------------------


def _naive_pairwise(emb):
    n, n_fields, _ = emb.shape
    out = np.zeros(n)
    for i, j in itertools.combinations(range(n_fields), 2):
        out += (emb[:, i] * emb[:, j]).sum(axis=1)
    return out


@FEW
@given(
    n=st.integers(1, 4),
    n_fields=st.integers(1, 6),
    dim=st.integers(1, 5),
    seed=st.integers(0, 10_000),
)
def test_fm_second_order_equals_the_naive_pairwise_sum(n, n_fields, dim, seed):
    emb = np.random.default_rng(seed).normal(size=(n, n_fields, dim))
    np.testing.assert_allclose(fm_second_order(emb).value, _naive_pairwise(emb), atol=1e-10)


def test_fm_second_order_gradient_matches_finite_differences():
    emb = np.random.default_rng(0).normal(size=(3, 4, 2))
    upstream = np.array([0.5, -1.0, 2.0])
    analytic = upstream[:, None, None] * fm_second_order(emb).grad
    numeric = numerical_gradient(lambda: float(fm_second_order(emb).value @ upstream), emb)
    np.testing.assert_allclose(analytic, numeric, **GRAD_TOL)


def test_fm_second_order_hand_values_and_one_field():
    # one field has no pair: the term is 0 and so is its gradient
    single = fm_second_order(np.ones((2, 1, 3)))
    assert single.value.tolist() == [0.0, 0.0] and not single.grad.any()
    # orthogonal embeddings do not interact
    assert fm_second_order(np.eye(3)[None]).value.tolist() == [0.0]


@pytest.mark.parametrize(
    ("emb", "message"),
    [
        (np.ones((2, 3)), "3-D"),
        (np.ones((0, 3, 2)), "non-empty"),
        (np.full((1, 2, 2), np.nan), "NaN"),
        ("abc", "array-like of numbers"),
    ],
)
def test_fm_second_order_rejects_bad_input(emb, message):
    with pytest.raises(ValueError, match=message):
        fm_second_order(emb)


# --------------------------------------------------------------------------------------------
# Hashed crosses
# --------------------------------------------------------------------------------------------


def test_hash_field_pairs_is_deterministic_in_range_and_separates_crosses():
    ids = _fields(2000, n_values=30)
    pairs = np.array([[0, 1], [1, 0], [0, 2]])
    out = hash_field_pairs(ids, pairs, n_ids=30, n_buckets=1 << 20)
    assert out.shape == (2000, 3) and out.dtype == np.int64
    assert out.min() >= 0 and out.max() < 1 << 20
    np.testing.assert_array_equal(out, hash_field_pairs(ids, pairs, n_ids=30, n_buckets=1 << 20))
    # equal id pairs share a bucket; distinct id pairs (almost always) do not
    keys = ids[:, 0] * 30 + ids[:, 1]
    buckets_per_key = pd.Series(out[:, 0]).groupby(keys).nunique()
    assert (buckets_per_key == 1).all()
    assert pd.Series(out[:, 0]).groupby(keys).first().nunique() == len(np.unique(keys))
    # the same ids in a different cross hash elsewhere
    assert (out[:, 0] != out[:, 1]).mean() > 0.99
    small = hash_field_pairs(ids, pairs, n_ids=30, n_buckets=5)
    assert set(np.unique(small)) == set(range(5))


# --------------------------------------------------------------------------------------------
# FieldIndexer
# --------------------------------------------------------------------------------------------


def test_field_indexer_lays_out_contiguous_ids_with_one_reserved_per_field():
    X = pd.DataFrame({"day": ["mon", "tue", "mon", "wed"], "city": [3, 1, 3, 3]})
    indexer = FieldIndexer().fit(X)
    assert [c.tolist() for c in indexer.categories_] == [["mon", "tue", "wed"], [1, 3]]
    assert indexer.field_offsets_.tolist() == [0, 4] and indexer.n_ids_ == 7
    ids = indexer.transform(X)
    assert ids.dtype == np.int64
    assert ids.tolist() == [[0, 5], [1, 4], [0, 5], [2, 5]]
    unseen = pd.DataFrame({"day": ["sun", "tue"], "city": [99, 1]})
    assert indexer.transform(unseen).tolist() == [[3, 6], [1, 4]]
    assert indexer.get_feature_names_out().tolist() == ["day", "city"]


def test_field_indexer_min_count_sends_rare_values_to_the_reserved_id():
    X = np.array([["a"], ["a"], ["b"], ["c"], ["c"], ["c"]], dtype=object)
    indexer = FieldIndexer(min_count=2).fit(X)
    assert indexer.categories_[0].tolist() == ["a", "c"]
    assert indexer.transform(X).ravel().tolist() == [0, 0, 2, 1, 1, 1]
    everything_rare = FieldIndexer(min_count=10).fit(X)
    assert everything_rare.n_ids_ == 1 and not everything_rare.transform(X).any()


def test_field_indexer_accepts_ints_strings_and_categories_alike():
    values = ["x", "y", "x", "z"]
    as_category = pd.DataFrame({"f": pd.Categorical(values, categories=["w", "x", "y", "z"])})
    as_strings = pd.DataFrame({"f": values})
    ints = pd.DataFrame({"f": [7, 8, 7, 9]})
    expected = [[0], [1], [0], [2]]
    for X in (as_category, as_strings, ints):
        assert FieldIndexer().fit_transform(X).tolist() == expected
    # a declared category never seen in fit gets no id of its own
    indexer = FieldIndexer().fit(as_category)
    assert indexer.categories_[0].tolist() == ["x", "y", "z"]
    assert indexer.transform(pd.DataFrame({"f": pd.Categorical(["w"])})).tolist() == [[3]]
    # a value is matched by equality: the string "7" is not the integer 7
    assert FieldIndexer().fit(ints).transform(pd.DataFrame({"f": ["7"]})).tolist() == [[3]]


def test_field_indexer_checks_columns_and_missing_values():
    indexer = FieldIndexer().fit(pd.DataFrame({"a": [1, 2], "b": ["u", "v"]}))
    with pytest.raises(ValueError, match="columns"):
        indexer.transform(pd.DataFrame({"b": ["u"], "a": [1]}))
    with pytest.raises(ValueError, match="FieldIndexer is expecting 2 features"):
        indexer.transform(np.array([[1]]))
    with pytest.raises(ValueError, match="missing"):
        FieldIndexer().fit(pd.DataFrame({"a": ["x", None]}))
    with pytest.raises(ValueError, match="missing"):
        FieldIndexer().fit(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match="2-D"):
        FieldIndexer().fit(np.array([1, 2]))
    with pytest.raises(ValueError, match="min_count"):
        FieldIndexer(min_count=0).fit([[1]])
    with pytest.raises(NotFittedError):
        FieldIndexer().transform([[1]])


def test_field_indexer_is_vectorised_and_handles_one_row():
    assert FieldIndexer().fit_transform([["only"]]).tolist() == [[0]]
    X = _fields(100_000, n_fields=4, n_values=1000)
    ids = FieldIndexer().fit_transform(X)
    indexer = FieldIndexer().fit(X)
    assert ids.max() < indexer.n_ids_
    # each field's ids stay in its own block
    for j in range(4):
        block = ids[:, j] - indexer.field_offsets_[j]
        assert block.min() >= 0 and block.max() <= len(indexer.categories_[j])
    assert clone(indexer).get_params() == {"min_count": 1}


# --------------------------------------------------------------------------------------------
# Gradients of every model against finite differences
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(_tiny_models()))
def test_model_gradients_match_finite_differences(name):
    model = _tiny_models()[name]
    X, y = _inputs_for(name), _labels(6)
    model.fit(X, y)
    network = model.network_
    inputs = model._encode(X, fitting=False)
    y01 = y.astype(np.float64)
    for p in network.params:  # move off the zero start of the wide/first-order weights
        p += np.random.default_rng(3).normal(scale=0.3, size=p.shape)

    def objective():
        value, _ = model._objective(network, inputs, y01, training=True)
        return value + model._penalty(network)

    _, grads = model._objective(network, inputs, y01, training=True)
    grads = [g.copy() for g in grads]
    assert len(grads) == len(network.params) >= 4
    for param, grad in zip(network.params, grads, strict=True):
        np.testing.assert_allclose(grad, numerical_gradient(objective, param), **GRAD_TOL)


def test_wide_gradients_are_zero_outside_the_looked_up_rows():
    model = _tiny_models()["wide_deep"].fit(_fields(6, seed=1), _labels(6))
    network = model.network_
    inputs = model._encode(_fields(6, seed=1), fitting=False)
    model._objective(network, inputs, _labels(6).astype(float), training=True)
    used = np.zeros(model.field_indexer_.n_ids_, dtype=bool)
    used[inputs.ravel()] = True
    assert not network.wide_fields.grads[0][~used].any()
    assert network.wide_fields.grads[0][used].any()
    buckets = np.zeros(7, dtype=bool)
    buckets[network._cross_ids(inputs).ravel()] = True
    assert not network.wide_crosses.grads[0][~buckets].any()


# --------------------------------------------------------------------------------------------
# Training behaviour, determinism, API
# --------------------------------------------------------------------------------------------


def _planted_interaction(n, seed):
    """Two fields whose *equality* drives the click; each alone carries no signal."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.integers(0, 4, n),
            "b": rng.integers(0, 4, n),
            "noise": rng.choice(["u", "v", "w"], n),
        }
    )
    p = np.where(X["a"] == X["b"], 0.7, 0.1)
    return X, (rng.random(n) < p).astype(int)


@pytest.fixture(scope="module")
def planted():
    X, y = _planted_interaction(6000, seed=0)
    X_test, y_test = _planted_interaction(4000, seed=1)
    encoder = OneHotEncoder().fit(X)
    linear = LogisticRegression().fit(encoder.transform(X), y)
    linear_auc = auc_roc(y_test, linear.predict_proba(encoder.transform(X_test))[:, 1])
    return X, y, X_test, y_test, linear_auc


@pytest.mark.parametrize(
    "model",
    [
        DeepFMClassifier(n_epochs=8, batch_size=128, learning_rate=0.01, random_state=0),
        WideAndDeepClassifier(
            crosses=[("a", "b")],
            n_cross_buckets=4096,
            n_epochs=8,
            batch_size=128,
            learning_rate=0.01,
            random_state=0,
        ),
    ],
    ids=["deepfm", "wide_deep"],
)
def test_field_models_learn_an_interaction_that_logistic_regression_cannot(planted, model):
    X, y, X_test, y_test, linear_auc = planted
    assert linear_auc < 0.56  # each field alone is uninformative
    model.fit(X, y)
    auc = auc_roc(y_test, model.predict_proba(X_test)[:, 1])
    assert auc > linear_auc + 0.2
    assert auc > 0.78  # the Bayes AUC of this task is about 0.80
    assert model.loss_curve_[-1] < model.loss_curve_[0]


def test_wide_part_alone_memorises_the_cross():
    X, y = _planted_interaction(6000, seed=0)
    X_test, y_test = _planted_interaction(4000, seed=1)
    without = WideAndDeepClassifier(
        crosses=[], n_cross_buckets=4096, hidden_layer_sizes=(), embedding_dim=1, n_epochs=8,
        batch_size=128, learning_rate=0.01, random_state=0,
    ).fit(X, y)  # fmt: skip
    with_cross = clone(without).set_params(crosses=[("a", "b")]).fit(X, y)
    auc_without = auc_roc(y_test, without.predict_proba(X_test)[:, 1])
    auc_with = auc_roc(y_test, with_cross.predict_proba(X_test)[:, 1])
    assert auc_with > auc_without + 0.1
    assert with_cross.crosses_.tolist() == [[0, 1]]


def test_mlp_learns_xor_that_logistic_regression_cannot():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    X_test = rng.normal(size=(2000, 2))
    y_test = (X_test[:, 0] * X_test[:, 1] > 0).astype(int)
    mlp = MLPClassifier(
        hidden_layer_sizes=(32, 16, 8),
        n_epochs=30,
        batch_size=64,
        learning_rate=3e-3,
        random_state=0,
    ).fit(X, y)
    linear = LogisticRegression().fit(X, y)
    mlp_auc = auc_roc(y_test, mlp.predict_proba(X_test)[:, 1])
    assert mlp_auc > 0.97
    assert mlp_auc > auc_roc(y_test, linear.predict_proba(X_test)[:, 1]) + 0.3


def test_mlp_matches_sklearn_on_a_small_task():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 6))
    logit = X[:, 0] - X[:, 1] + 1.5 * X[:, 2] * X[:, 3] + np.sin(2 * X[:, 4])
    y = (rng.random(2000) < 1 / (1 + np.exp(-logit))).astype(int)
    train, test = slice(0, 1500), slice(1500, None)
    common = {"batch_size": 32, "random_state": 0}
    ours = MLPClassifier(
        hidden_layer_sizes=(32, 16), dropout=0.0, n_epochs=30, learning_rate=1e-3, **common
    ).fit(X[train], y[train])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SklearnMLP(
            hidden_layer_sizes=(32, 16), alpha=0.0, max_iter=30, n_iter_no_change=1000, **common
        ).fit(X[train], y[train])
    auc_ours = auc_roc(y[test], ours.predict_proba(X[test])[:, 1])
    auc_theirs = auc_roc(y[test], theirs.predict_proba(X[test])[:, 1])
    assert auc_theirs > 0.8
    assert abs(auc_ours - auc_theirs) < 0.02
    loss_ours = log_loss(y[test], ours.predict_proba(X[test])[:, 1])
    loss_theirs = log_loss(y[test], theirs.predict_proba(X[test])[:, 1])
    assert abs(loss_ours - loss_theirs) < 0.05


def test_mlp_places_dropout_as_the_source_draws_it():
    X, y = np.random.default_rng(0).normal(size=(20, 3)), _labels(20)
    model = MLPClassifier(hidden_layer_sizes=(8, 6, 4), dropout=0.5, n_epochs=1, random_state=0)
    layers = model.fit(X, y).network_.tower.layers
    kinds = [type(layer).__name__ for layer in layers]
    assert kinds == [
        "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Linear",
    ]  # fmt: skip
    assert all(layer.p == 0.5 for layer in layers if isinstance(layer, Dropout))
    # inference uses every unit: repeated predictions agree; training-mode outputs differ
    net = model.network_
    np.testing.assert_array_equal(model.decision_function(X), model.decision_function(X))
    assert not np.array_equal(net.forward(X, training=True), net.forward(X, training=True))
    no_dropout = clone(model).set_params(dropout=0.0).fit(X, y).network_.tower.layers
    assert not any(isinstance(layer, Dropout) for layer in no_dropout)
    with_bn = clone(model).set_params(batch_norm=True).fit(X, y).network_.tower.layers
    assert sum(isinstance(layer, BatchNorm) for layer in with_bn) == 3


def test_default_mlp_is_the_source_architecture():
    X, y = np.random.default_rng(0).normal(size=(8, 3)), _labels(8)
    model = MLPClassifier(n_epochs=1, random_state=0).fit(X, y)
    widths = [p.shape for p in model.network_.params if p.ndim == 2]
    assert widths == [(3, 512), (512, 256), (256, 128), (128, 1)]


@pytest.mark.parametrize("name", list(_tiny_models()))
def test_same_seed_gives_identical_predictions(name):
    model = _tiny_models()[name].set_params(n_epochs=3)
    if "dropout" in model.get_params() and name.startswith("mlp"):
        model.set_params(dropout=0.3, hidden_layer_sizes=(5, 4, 3))
    X, y = _inputs_for(name, n=40), _labels(40)
    first = clone(model).fit(X, y).predict_proba(X)
    second = clone(model).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    other = clone(model).set_params(random_state=1).fit(X, y).predict_proba(X)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("name", list(_tiny_models()))
def test_prediction_methods_are_consistent(name):
    model = _tiny_models()[name]
    X = _inputs_for(name, n=30)
    y = np.where(_labels(30) == 1, "click", "skip")
    model.fit(X, y)
    z = model.decision_function(X)
    proba = model.predict_proba(X)
    assert model.classes_.tolist() == ["click", "skip"]
    assert proba.shape == (30, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-z)))
    np.testing.assert_array_equal(model.predict(X), np.where(z > 0, "skip", "click"))
    # batched inference equals one pass over all rows
    np.testing.assert_allclose(model.network_.forward(model._encode(X, fitting=False)), z)


@pytest.mark.parametrize("name", list(_tiny_models()))
def test_eval_set_records_the_validation_loss_of_each_epoch(name):
    model = _tiny_models()[name].set_params(n_epochs=3)
    X, y = _inputs_for(name, n=40), _labels(40)
    X_val, y_val = _inputs_for(name, n=40)[::-1], _labels(40, seed=5)
    model.fit(X, y, eval_set=(X_val, y_val))
    assert len(model.loss_curve_) == 3 and len(model.validation_loss_curve_) == 3
    final = log_loss(y_val, model.predict_proba(X_val)[:, 1])
    assert model.validation_loss_curve_[-1] == pytest.approx(final, rel=1e-9)
    # monitoring only: the fit is the same without it
    plain = clone(model).fit(X, y)
    assert plain.validation_loss_curve_ is None
    np.testing.assert_array_equal(plain.predict_proba(X), model.predict_proba(X))


def test_initial_bias_is_the_base_rate_log_odds():
    X, y = _fields(200), np.r_[np.ones(20, int), np.zeros(180, int)]
    model = DeepFMClassifier(n_epochs=1, learning_rate=1e-12, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.network_.bias, [np.log(0.1 / 0.9)], rtol=1e-6)
    # the embeddings start small, so the first predictions sit near the base rate
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], 0.1, rtol=0.05)


def test_tiny_training_sets():
    X, y = np.array([[0.0], [1.0]]), np.array([0, 1])
    for model in (
        MLPClassifier(hidden_layer_sizes=(3,), n_epochs=2, random_state=0),
        MLPClassifier(hidden_layer_sizes=(3,), batch_norm=True, n_epochs=2, random_state=0),
    ):
        assert model.fit(X, y).predict_proba(X).shape == (2, 2)
    # batch_norm skips a last batch of one row instead of failing
    X3, y3 = np.array([[0.0], [1.0], [2.0]]), np.array([0, 1, 1])
    model = MLPClassifier(
        hidden_layer_sizes=(3,), batch_norm=True, batch_size=2, n_epochs=4, random_state=0
    )
    assert len(model.fit(X3, y3).loss_curve_) == 4
    for cls in (DeepFMClassifier, WideAndDeepClassifier):
        fitted = cls(n_epochs=2, random_state=0).fit([["a"], ["b"]], [0, 1])
        assert fitted.predict_proba([["c"]]).shape == (1, 2)  # unseen value
    assert WideAndDeepClassifier(n_epochs=1).fit([["a"], ["b"]], [0, 1]).crosses_.shape == (0, 2)


@pytest.mark.parametrize(
    "model",
    [MLPClassifier(batch_norm=True), WideAndDeepClassifier(crosses=[(0, 2)]), DeepFMClassifier()],
)
def test_clone_and_params_round_trip(model):
    twin = clone(model)
    assert twin is not model and twin.get_params() == model.get_params()
    twin.set_params(n_epochs=7, dropout=0.1)
    assert twin.n_epochs == 7 and model.n_epochs != 7
    with pytest.raises(TypeError):
        type(model)(5)  # keyword-only
    assert type(model)(n_epochs=-1).n_epochs == -1  # validated in fit, not in __init__


def test_field_models_take_dataframes_and_check_column_names():
    X, y = _planted_interaction(300, seed=0)
    model = DeepFMClassifier(n_epochs=1, random_state=0).fit(X, y)
    assert model.feature_names_in_.tolist() == ["a", "b", "noise"]
    assert model.n_features_in_ == 3
    with pytest.raises(ValueError, match=r"DeepFMClassifier was fitted on \['a', 'b', 'noise'\]"):
        model.predict(X[["b", "a", "noise"]])
    with pytest.raises(ValueError, match="DeepFMClassifier is expecting 3 features"):
        model.predict(X[["a", "b"]].to_numpy())


# --------------------------------------------------------------------------------------------
# Bad inputs
# --------------------------------------------------------------------------------------------

_GOOD_FIELDS = _fields(10)
_GOOD_Y = _labels(10)
_ALL_MODELS = [MLPClassifier, WideAndDeepClassifier, DeepFMClassifier]


@pytest.mark.parametrize("cls", _ALL_MODELS)
@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.zeros(10, int), "exactly two classes, got 1 class"),
        (np.arange(10) % 3, "got 3 classes. Only binary"),
        (np.r_[_GOOD_Y[:9], np.nan], "NaN"),
        (_GOOD_Y[:9], "length mismatch"),
        (None, "requires y"),
    ],
)
def test_fit_rejects_bad_labels(cls, y, message):
    with pytest.raises(ValueError, match=message):
        cls(n_epochs=1).fit(_GOOD_FIELDS, y)


@pytest.mark.parametrize(
    ("cls", "X", "message"),
    [
        (MLPClassifier, np.r_[_GOOD_FIELDS[:9], [[np.nan, 1, 2]]].astype(float), "NaN"),
        (MLPClassifier, np.ones(10), "2-D"),
        (MLPClassifier, np.empty((0, 3)), "empty"),
        (DeepFMClassifier, pd.DataFrame({"f": ["a"] * 9 + [None]}), "missing"),
        (WideAndDeepClassifier, np.array([["a"]] * 9 + [[np.nan]], dtype=object), "missing"),
        (DeepFMClassifier, np.ones(10), "2-D"),
    ],
)
def test_fit_rejects_bad_features(cls, X, message):
    with pytest.raises(ValueError, match=message):
        cls(n_epochs=1).fit(X, _GOOD_Y)


@pytest.mark.parametrize(
    ("cls", "params", "message"),
    [
        (MLPClassifier, {"n_epochs": 0}, "epochs"),
        (MLPClassifier, {"batch_size": -1}, "batch_size"),
        (DeepFMClassifier, {"learning_rate": 0.0}, "learning_rate"),
        (DeepFMClassifier, {"alpha": -1.0}, "alpha"),
        (MLPClassifier, {"dropout": 1.0}, "dropout must be < 1"),
        (WideAndDeepClassifier, {"dropout": -0.1}, "dropout"),
        (MLPClassifier, {"hidden_layer_sizes": (8, 0)}, "hidden_layer_sizes"),
        (DeepFMClassifier, {"hidden_layer_sizes": "wide"}, "hidden_layer_sizes"),
        (MLPClassifier, {"batch_norm": "yes"}, "batch_norm"),
        (DeepFMClassifier, {"embedding_dim": 0}, "embedding_dim"),
        (WideAndDeepClassifier, {"min_count": 0}, "min_count"),
        (WideAndDeepClassifier, {"n_cross_buckets": 0}, "n_cross_buckets"),
        (WideAndDeepClassifier, {"crosses": [(0, 5)]}, "unknown field 5"),
        (WideAndDeepClassifier, {"crosses": [("a", 1)]}, "unknown field 'a'"),
        (WideAndDeepClassifier, {"crosses": [(1, 1)]}, "two different fields"),
        (WideAndDeepClassifier, {"crosses": [(0, 1, 2)]}, "pair of two fields"),
        (WideAndDeepClassifier, {"crosses": 3}, "list of field pairs"),
    ],
)
def test_fit_rejects_bad_options(cls, params, message):
    with pytest.raises(ValueError, match=message):
        cls(n_epochs=1).set_params(**params).fit(_GOOD_FIELDS, _GOOD_Y)


@pytest.mark.parametrize("cls", _ALL_MODELS)
def test_predict_rejects_unfitted_models_and_wrong_shapes(cls):
    with pytest.raises(NotFittedError):
        cls().predict(_GOOD_FIELDS)
    model = cls(n_epochs=1, random_state=0).fit(_GOOD_FIELDS, _GOOD_Y)
    with pytest.raises(ValueError, match=r"fitted on 3|expecting 3 features"):
        model.predict(_GOOD_FIELDS[:, :2])
    with pytest.raises(ValueError, match="2-D"):
        model.predict_proba(_GOOD_FIELDS[0])


@pytest.mark.parametrize("cls", _ALL_MODELS)
def test_fit_rejects_a_bad_eval_set(cls):
    with pytest.raises(ValueError, match="eval_set must be a pair"):
        cls(n_epochs=1).fit(_GOOD_FIELDS, _GOOD_Y, eval_set=_GOOD_FIELDS)
    with pytest.raises(ValueError, match="not seen in y"):
        cls(n_epochs=1).fit(_GOOD_FIELDS, _GOOD_Y, eval_set=(_GOOD_FIELDS, _GOOD_Y + 5))
    with pytest.raises(ValueError, match="length mismatch"):
        cls(n_epochs=1).fit(_GOOD_FIELDS, _GOOD_Y, eval_set=(_GOOD_FIELDS, _GOOD_Y[:3]))


def test_batch_norm_needs_two_rows_per_batch():
    with pytest.raises(ValueError, match="batch_size >= 2"):
        MLPClassifier(batch_norm=True, batch_size=1).fit(_GOOD_FIELDS, _GOOD_Y)


# --------------------------------------------------------------------------------------------
# scikit-learn's estimator checks
# --------------------------------------------------------------------------------------------

# mlref's shared validation words these errors differently, and refuses a column-vector y
# instead of ravelling it with a warning (as for mlref.models.linear).
_SKLEARN_WORDING = {
    "check_estimators_empty_data_messages": "mlref words the empty-X error differently",
    "check_fit2d_predict1d": "mlref words the 1-D X error differently",
    "check_supervised_y_2d": "mlref raises on a column-vector y instead of warning",
}


@parametrize_with_checks(
    [
        MLPClassifier(
            hidden_layer_sizes=(16,), n_epochs=30, batch_size=16, learning_rate=0.01, random_state=0
        )
    ],
    expected_failed_checks=lambda estimator: _SKLEARN_WORDING,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_field_indexer_one_hot_matches_sklearn_on_the_kept_values():
    from sklearn.preprocessing import OneHotEncoder as SklearnOneHot

    rng = np.random.default_rng(5)
    X = pd.DataFrame({"a": rng.choice(list("pqrs"), 200), "b": rng.integers(0, 7, 200)})
    indexer = FieldIndexer().fit(X)
    hot = indexer.one_hot(X)
    assert hot.shape == (200, indexer.n_ids_) and (hot.sum(axis=1) == 2).all()
    np.testing.assert_array_equal(hot.indices.reshape(200, 2), indexer.transform(X))
    theirs = SklearnOneHot(handle_unknown="ignore").fit(X).transform(X).toarray()
    kept = np.setdiff1d(np.arange(indexer.n_ids_), indexer.field_offsets_[1:] - 1)
    kept = kept[kept != indexer.n_ids_ - 1]  # drop each field's reserved "unseen" id
    np.testing.assert_array_equal(hot.toarray()[:, kept], theirs)
    unseen = indexer.one_hot(pd.DataFrame({"a": ["z"], "b": [99]})).toarray()
    assert unseen[0, indexer.field_offsets_[1] - 1] == 1 and unseen[0, -1] == 1
