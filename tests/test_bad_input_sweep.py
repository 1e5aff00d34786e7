"""Bad input over the whole public API: every public name gets a battery of wrong inputs.

Every name in the ``__all__`` of every ``mlref`` subpackage must have an entry in ``SPECS``: a
valid call (a function with valid arguments, or an estimator with valid parameters and fit data)
from which the battery derives its wrong inputs —

- arrays: one NaN, one inf, empty, one dimension more or less, a ragged nested list, a string,
  one element short (when several arrays share a length);
- every boolean flag given the string ``"no"`` (truthy, so a silent ``True`` is the failure
  mode), every seed given ``"abc"``, ``-1`` and ``1.5``, every integer and float parameter a
  string, and integers a fraction;
- estimators: predicting before ``fit``, and predicting on a different number of features or
  on NaN.

Each must raise ``ValueError``/``TypeError``/``NotFittedError`` whose message names the argument.
A new public name without an entry fails :func:`test_every_public_name_has_a_battery_entry`, so
the battery cannot be forgotten; a subpackage added later puts its entries in
``tests/bad_input_specs/``. Names that take no input (exceptions, constants, result records) are
listed in ``NO_INPUT`` with the reason.
"""

from __future__ import annotations

import inspect
import re
import types
from typing import Any

import numpy as np
import pandas as pd
import pytest
from bad_input_specs import Estimator, Func, load
from sklearn.exceptions import NotFittedError

import mlref

BAD_ERRORS = (ValueError, TypeError, NotFittedError)
SEED_NAMES = ("random_state", "rng", "seed")
rng = np.random.default_rng(0)

# ------------------------------------------------------------------------------------------
# Small valid inputs
# ------------------------------------------------------------------------------------------

N = 12
Y01 = np.array([0, 1] * (N // 2))
SCORE = np.linspace(0.05, 0.95, N)
Y_GRADED = np.array([0, 1, 2, 0, 1, 2, 2, 1, 0, 0, 1, 2])
GROUP = np.repeat([0, 1, 2], 4)
X = rng.normal(size=(N, 3))
X_POS = np.abs(X) + 0.1
Y_REAL = rng.normal(size=N)
CATS = np.array([["a", "x"], ["b", "y"], ["a", "y"], ["c", "x"]] * 3, dtype=object)
DOCS = ["red shoe", "blue shoe", "red hat", "green sock"] * 3
QUERIES = ["red shoe", "blue hat", "sock", "green"] * 3


def _sorted_groups():
    from mlref.ltr.groups import QueryGroups

    return QueryGroups.from_ids(GROUP)


NO_INPUT = {
    "datasets.MQ2008_FOLDS": "a constant table",
    "datasets.ChecksumError": "an exception class",
    "datasets.DataUnavailableError": "an exception class",
    "datasets.Marketplace": "a result record returned by make_marketplace",
    "datasets.RankingData": "a result record (X, y, qid) returned by the fetchers",
    "features.FEATURE_GROUPS": "a constant tuple",
    "features.SearchFeatures": "a result record returned by build_search_features",
    "models.InBatchLoss": "a result record returned by in_batch_softmax_loss",
    "nn.Loss": "a result record returned by every loss",
    "nn.Layer": "an abstract base class (each concrete layer is swept)",
    "nn.Optimizer": "an abstract base class (each concrete optimizer is swept)",
}


def _market():
    from mlref.datasets import make_marketplace

    return make_marketplace(
        random_state=0, n_retailers=30, n_brands=10, n_products=80, n_queries=20, n_searches=60
    )


# The lazily built marketplace, shared by the few specs that need one.
_MARKET: list = []


def market():
    if not _MARKET:
        _MARKET.append(_market())
    return _MARKET[0]


def _layer_call(cls, x, *, backward=False):
    def call(target, **kwargs):
        layer = target(**{k: v for k, v in kwargs.items() if k != "x"})
        out = layer.forward(kwargs.get("x", x), training=kwargs.get("training", False))
        if backward:
            layer.backward(np.ones_like(out))
        return out

    return call


def _forward(x, *, any_shape=False, **params):
    """Spec of a layer: construct with params, then forward(x) (x is swept as an array).

    ``any_shape``: an element-wise layer, for which one dimension more or less is valid input.
    """

    def call(target, **kwargs):
        training = kwargs.pop("training", False)
        x_value = kwargs.pop("x")
        return target(**kwargs).forward(x_value, training=training)

    skip = {"x": {"ndim"}} if any_shape else {}
    return Func({**params, "x": x, "training": False}, call=call, skip=skip)


def _optimizer(**params):
    def call(target, **kwargs):
        grads = kwargs.pop("grads")
        weights = [np.zeros(3)]
        target(**kwargs).step(weights, grads)
        return weights

    return Func({**params, "grads": [np.ones(3)]}, call=call, skip={"grads": {"ndim", "ragged"}})


def _ltr_estimator(cls_params=None, **skip):
    return Estimator(
        params={"random_state": 0, **(cls_params or {})},
        fit={"X": X, "y": Y_GRADED, "group": GROUP},
        methods={"predict": {"X": X}},
        skip=skip,
    )


def _classifier(params=None, *, fit_y=Y01, fixed=(), **skip):
    return Estimator(
        params=params or {},
        fit={"X": X, "y": fit_y},
        methods={"predict": {"X": X}, "predict_proba": {"X": X}},
        skip=skip,
        fixed=fixed,
    )


def _transformer(X_fit, params=None, y=None, **skip):
    fit = {"X": X_fit} if y is None else {"X": X_fit, "y": y}
    return Estimator(params=params or {}, fit=fit, methods={"transform": {"X": X_fit}}, skip=skip)


def _ctr_frame():
    return pd.DataFrame({"site": ["a", "b", "a", "c"] * 3, "device": ["x", "y", "y", "x"] * 3})


SPECS: dict[str, Any] = {}


def _specs() -> dict[str, Any]:
    """Built on first use, so that importing this module stays cheap."""
    if SPECS:
        return SPECS
    groups = _sorted_groups
    s = SPECS
    # --- metrics ------------------------------------------------------------------------
    for name in ("auc_roc", "auc_standard_error", "pr_auc", "roc_curve", "pr_curve"):
        s[f"metrics.{name}"] = Func({"y_true": Y01, "y_score": SCORE})
    s["metrics.log_loss"] = Func({"y_true": Y01, "y_prob": SCORE})
    for name in ("accuracy", "precision", "recall", "f1_score", "confusion_matrix"):
        s[f"metrics.{name}"] = Func({"y_true": Y01, "y_pred": 1 - Y01})
    for name in ("mse", "rmse", "mae", "mape", "huber"):
        s[f"metrics.{name}"] = Func({"y_true": Y_REAL + 3, "y_pred": Y_REAL})
    for name in ("ndcg_at_k", "dcg_at_k", "map_at_k", "precision_at_k", "recall_at_k"):
        s[f"metrics.{name}"] = Func({"y_true": Y_GRADED, "y_score": SCORE, "k": 3, "group": GROUP})
    s["metrics.mrr"] = Func({"y_true": Y_GRADED, "y_score": SCORE, "group": GROUP})
    recommended = np.array([[1, 2, 3], [4, 5, 6]])
    s["metrics.hit_rate_at_k"] = Func(
        {"recommended": recommended, "relevant": np.eye(2, 7, dtype=int), "k": 2},
        skip={"relevant": {"nan", "inf", "ndim", "ragged", "empty"}},
    )
    s["metrics.top_k_items"] = Func({"scores": rng.normal(size=(2, 5)), "k": 2})
    log = market()
    for name in ("click_through_rate", "conversion_rate", "add_to_cart_rate"):
        s[f"metrics.{name}"] = Func({"impressions": log.impressions})
    s["metrics.zero_result_rate"] = Func({"searches": log.searches})
    s["metrics.refinement_rate"] = Func({"searches": log.searches})
    s["metrics.bounce_rate"] = Func({"searches": log.searches, "impressions": log.impressions})
    s["metrics.gross_merchandise_value"] = Func({"orders": log.orders})
    for name in ("revenue_per_search", "average_revenue_per_user"):
        s[f"metrics.{name}"] = Func({"searches": log.searches, "orders": log.orders})
    s["metrics.online_metrics"] = Func(
        {"searches": log.searches, "impressions": log.impressions, "orders": log.orders}
    )
    # --- ltr ----------------------------------------------------------------------------
    for name in ("RankNet", "LambdaRank", "ListNet", "ListMLE", "PointwiseRanker"):
        s[f"ltr.{name}"] = _ltr_estimator({"n_epochs": 2})
    s["ltr.AttentionRanker"] = _ltr_estimator({"n_epochs": 2})
    s["ltr.AttentionRanker"].methods = {"predict": {"X": X, "group": GROUP}}
    s["ltr.RankSVM"] = _ltr_estimator({"max_iter": 5})
    s["ltr.LambdaMART"] = _ltr_estimator({"n_estimators": 2, "max_depth": 2})
    s["ltr.LinearScorer"] = Func(
        {"n_features": 3, "rng": 0}, call=lambda t, n_features, rng: t().init(n_features, rng)
    )
    s["ltr.MLPScorer"] = Func(
        {"hidden": (4,), "n_features": 3, "rng": 0},
        call=lambda t, hidden, n_features, rng: t(hidden=hidden).init(n_features, rng),
    )
    s["ltr.all_pairs"] = Func({"y": Y_GRADED, "group": GROUP})
    s["ltr.sample_pairs"] = Func(
        {"y": Y_GRADED, "group": GROUP, "n_per_query": 2, "random_state": 0}
    )
    s["ltr.count_pairs"] = Func({"group_sizes": np.array([4, 4, 4])})
    s["ltr.evaluate_ranking"] = Func({"y": Y_GRADED, "scores": SCORE, "group": GROUP})
    for name in ("lambda_gradients", "pair_weights_delta_ndcg"):
        s[f"ltr.{name}"] = Func(
            {"y_sorted": Y_GRADED.astype(float), "scores_sorted": SCORE, "groups": groups()}
        )
    s["ltr.listnet_loss"] = Func(
        {"y_sorted": Y_GRADED.astype(float), "scores_sorted": SCORE, "groups": groups()}
    )
    s["ltr.listmle_loss"] = Func(
        {"y_sorted": Y_GRADED.astype(float), "scores_sorted": SCORE, "groups": groups(),
         "random_state": 0}
    )  # fmt: skip
    s["ltr.xgboost_ranker"] = Func({"ndcg_at": 5})
    s["ltr.fit_xgboost_ranker"] = Func(
        {"X": X, "y": Y_GRADED, "group": GROUP, "n_estimators": 2, "ndcg_at": 5}
    )
    s["ltr.mq2008_folds"] = Func({"folds": (1,)}, skip={"folds": {"nan", "inf", "ndim", "ragged"}})
    s["ltr.run_letor_protocol"] = Func(
        {"models": {"zero": lambda train, vali: lambda X, qid: np.zeros(len(X))}, "folds": (1,)},
        skip={"folds": {"nan", "inf", "ndim", "ragged"}},
    )
    # --- features -----------------------------------------------------------------------
    s["features.BM25"] = Estimator(
        params={}, fit={"corpus": DOCS}, methods={"search": {"query": "red shoe", "k": 2}}
    )
    s["features.Tfidf"] = Estimator(
        params={}, fit={"corpus": DOCS}, methods={"transform": {"texts": DOCS}}
    )
    s["features.TextEmbedder"] = Estimator(
        params={"n_components": 2}, fit={"corpus": DOCS}, methods={"transform": {"texts": DOCS}}
    )
    s["features.TargetEncoder"] = _transformer(CATS, {"n_splits": 2, "random_state": 0}, y=Y01)
    s["features.OneHotEncoder"] = _transformer(CATS)
    s["features.FrequencyEncoder"] = _transformer(CATS)
    s["features.HashingEncoder"] = _transformer(CATS, {"n_features": 16})
    s["features.HashedCrosser"] = _transformer(CATS, {"pairs": [("x0", "x1")], "n_features": 16})
    s["features.QuantileBinner"] = _transformer(X, {"n_bins": 3})
    # lower/upper are percentiles: 1.5 is as valid as 1.
    s["features.PercentileClipper"] = _transformer(X, lower={"int"}, upper={"int"})
    s["features.Standardizer"] = _transformer(X)
    s["features.Log1pTransformer"] = _transformer(X_POS)
    s["features.cosine_similarity"] = Func({"a": X, "b": X + 1})
    s["features.edit_distance"] = Func({"a": "kitten", "b": "sitting"})
    s["features.edit_distance_batch"] = Func({"a": QUERIES, "b": DOCS})
    s["features.exact_match"] = Func({"query": "red shoe", "text": "red shoe box"})
    s["features.exact_match_batch"] = Func({"queries": QUERIES, "texts": DOCS})
    s["features.tokenize"] = Func({"text": "Red shoe"})
    s["features.tokenize_many"] = Func({"texts": DOCS}, skip={"texts": {"empty"}})  # [] -> []
    s["features.tfidf_matrix"] = Func({"corpus": DOCS})
    s["features.tfidf_cosine"] = Func({"query": "red shoe", "docs": DOCS})
    s["features.murmurhash3_32"] = Func(
        {"tokens": ["a", "b"], "seed": 1},
        skip={"tokens": {"empty"}},  # no token, no hash: valid
    )
    s["features.naive_target_encode"] = Func({"categories": CATS[:, 0], "y": Y01})
    s["features.cross_features"] = Func({"df": _ctr_frame(), "pairs": [("site", "device")]})
    s["features.correlation_filter"] = Func({"X": X, "threshold": 0.9})
    s["models.l1_path"] = Func({"X": X, "y": Y01, "Cs": [0.1, 1.0]})
    s["features.importance_ranking"] = Func(
        {"model": _fitted_tree(), "feature_names": ["a", "b", "c"]}
    )
    s["features.ablation"] = Func(
        {
            "fit_score": lambda Xt, yt, Xv, yv: float(np.mean(yv)),
            "X_train": X, "y_train": Y01, "X_valid": X, "y_valid": Y01,
        },
        # NaN/inf in X go to the user's model, which may handle missing values (XGBoost does).
        # y goes to fit_score untouched, so a 2-D (multi-output) y is valid.
        skip={
            "X_train": {"nan", "inf"},
            "X_valid": {"nan", "inf"},
            "y_train": {"ndim"},
            "y_valid": {"ndim"},
        },
    )  # fmt: skip
    s["features.build_search_features"] = Func(
        {"market": market(), "edit_distance": False}, skip={"market": {"string"}}
    )
    s["features.time_split"] = Func({"features": _search_features(), "train_days": 60})
    # --- models -------------------------------------------------------------------------
    s["models.LogisticRegression"] = _classifier()
    s["models.LogisticRegression"].fit["sample_weight"] = np.linspace(0.5, 2.0, N)
    s["models.SoftmaxRegression"] = _classifier(fit_y=np.arange(N) % 3)
    s["models.DecisionTreeClassifier"] = _classifier({"max_depth": 2, "random_state": 0})
    s["models.DecisionTreeRegressor"] = _regressor({"max_depth": 2, "random_state": 0})
    s["models.RandomForestClassifier"] = _classifier({"n_estimators": 3, "random_state": 0})
    s["models.RandomForestRegressor"] = _regressor({"n_estimators": 3, "random_state": 0})
    s["models.GradientBoostingClassifier"] = _classifier({"n_estimators": 2, "max_depth": 2})
    s["models.GradientBoostingRegressor"] = _regressor({"n_estimators": 2, "max_depth": 2})
    s["models.BaggingClassifier"] = _classifier({"n_estimators": 2, "random_state": 0})
    s["models.BaggingRegressor"] = _regressor({"n_estimators": 2, "random_state": 0})
    s["models.StackingClassifier"] = _classifier(
        {"estimators": [("lr", mlref.models.LogisticRegression())], "cv": 2, "random_state": 0},
        fixed=("estimators",),
    )
    s["models.MLPClassifier"] = _classifier(
        {"hidden_layer_sizes": (4,), "n_epochs": 1, "batch_size": 4, "random_state": 0}
    )
    for name in ("DeepFMClassifier", "WideAndDeepClassifier"):
        s[f"models.{name}"] = Estimator(
            params={"hidden_layer_sizes": (4,), "n_epochs": 1, "batch_size": 4, "random_state": 0},
            fit={"X": CATS, "y": Y01},
            methods={"predict": {"X": CATS}, "predict_proba": {"X": CATS}},
        )
    s["models.FieldIndexer"] = _transformer(CATS)
    s["models.MultiTaskClassifier"] = Estimator(
        params={"shared_layer_sizes": (4,), "head_layer_sizes": (2,), "n_epochs": 1,
                "batch_size": 4, "random_state": 0},
        fit={"X": X, "Y": np.column_stack([Y01, 1 - Y01])},
        methods={"predict_proba": {"X": X}},
    )  # fmt: skip
    users, items = np.repeat(np.arange(4), 3), np.tile(np.arange(3), 4)
    s["models.PopularityRecommender"] = Estimator(
        params={},
        fit={"user_ids": users, "item_ids": items},
        methods={"recommend": {"users": np.array([0, 1]), "k": 2}},
    )
    s["models.TwoTowerModel"] = Estimator(
        params={"embedding_dim": 4, "id_embedding_dim": 4, "hidden_layer_sizes": (4,),
                "n_epochs": 1, "batch_size": 4, "random_state": 0},
        fit={"user_ids": users, "item_ids": items},
        methods={"recommend": {"users": np.array([0, 1]), "k": 2}},
    )  # fmt: skip
    s["models.hash_field_pairs"] = Func(
        {"ids": np.array([[0, 1], [1, 2]]), "pairs": [(0, 1)], "n_ids": 3, "n_buckets": 8}
    )
    s["models.fm_second_order"] = Func({"embeddings": rng.normal(size=(4, 3, 2))})
    s["models.in_batch_softmax_loss"] = Func(
        {"query_emb": rng.normal(size=(4, 3)), "item_emb": rng.normal(size=(4, 3))}
    )
    # --- datasets -----------------------------------------------------------------------
    for name in ("fetch_avazu_sample", "fetch_criteo_sample", "fetch_movielens_small"):
        s[f"datasets.{name}"] = Func({"download_if_missing": False})
    s["datasets.fetch_ipinyou"] = Func({"subset": "test", "download_if_missing": False})
    s["datasets.fetch_mq2008"] = Func({"partitions": ("S1",), "download_if_missing": False})
    s["datasets.fetch_yahoo_ltr_sample"] = Func({"subset": "test", "download_if_missing": False})
    s["datasets.get_data_home"] = Func({})
    s["datasets.make_marketplace"] = Func(
        {"random_state": 0, "n_retailers": 20, "n_brands": 5, "n_products": 40, "n_queries": 10,
         "n_searches": 20, "preference_drift": 0.5, "new_brand_arrivals": 0.4}
    )  # fmt: skip
    s["datasets.per_user_time_split"] = Func(
        {"user": np.repeat([1, 2, 3], 4), "timestamp": np.arange(N), "test_fraction": 0.25}
    )
    # --- nn -----------------------------------------------------------------------------
    x = rng.normal(size=(4, 3))
    s["nn.Linear"] = _forward(x, in_features=3, out_features=2, rng=0)
    ids = np.array([[0, 1], [2, 0]])
    s["nn.Embedding"] = _forward(ids, any_shape=True, num_embeddings=3, dim=2, rng=0)
    s["nn.Dropout"] = _forward(x, any_shape=True, p=0.5, rng=0)
    s["nn.BatchNorm"] = _forward(x, n_features=3)
    s["nn.LayerNorm"] = _forward(x, dim=3)
    s["nn.MultiHeadSelfAttention"] = _forward(
        rng.normal(size=(2, 3, 4)), d_model=4, n_heads=2, rng=0
    )
    s["nn.ReLU"] = _forward(x, any_shape=True)
    s["nn.Sigmoid"] = _forward(x, any_shape=True)
    s["nn.Softmax"] = _forward(x, any_shape=True)
    s["nn.Sequential"] = Func(
        {"layers": [mlref.nn.ReLU()], "x": x, "training": False},
        call=lambda t, layers, x, training: t(layers).forward(x, training=training),
        skip={"layers": {"nan", "inf", "ndim", "ragged", "empty"}, "x": {"ndim"}},
    )
    s["nn.SGD"] = _optimizer(lr=0.1)
    s["nn.Momentum"] = _optimizer(lr=0.1)
    s["nn.Adam"] = _optimizer(lr=0.1)
    s["nn.binary_cross_entropy_with_logits"] = Func({"logits": SCORE, "targets": Y01})
    s["nn.focal_loss_with_logits"] = Func({"logits": SCORE, "targets": Y01})
    s["nn.categorical_cross_entropy_with_logits"] = Func(
        {"logits": rng.normal(size=(4, 3)), "targets": np.array([0, 1, 2, 1])}
    )
    s["nn.huber_loss"] = Func({"predictions": Y_REAL, "targets": Y_REAL + 1})
    s["nn.mean_squared_error"] = Func({"predictions": Y_REAL, "targets": Y_REAL + 1})
    s["nn.clip_by_global_norm"] = Func(
        {"grads": [np.ones(3), np.ones((2, 2))], "max_norm": 1.0},
        skip={"grads": {"ndim", "ragged", "length"}},
    )
    s["nn.clip_by_value"] = Func(
        {"grads": [np.ones(3), np.ones((2, 2))], "threshold": 1.0},
        skip={"grads": {"ndim", "ragged", "length"}},
    )
    s["nn.cosine_annealing"] = Func({"step": 3, "max_lr": 0.1, "total_steps": 10})
    s["nn.exponential_decay"] = Func({"step": 3, "initial_lr": 0.1, "decay_rate": 0.9})
    s["nn.linear_warmup"] = Func({"step": 3, "max_lr": 0.1, "warmup_steps": 5})
    s["nn.step_decay"] = Func({"step": 3, "initial_lr": 0.1, "step_size": 2})
    s["nn.warmup_cosine"] = Func({"step": 3, "max_lr": 0.1, "warmup_steps": 2, "total_steps": 10})
    s["nn.iterate_minibatches"] = Func(
        {"n_samples": 10, "batch_size": 3, "rng": 0}, call=lambda t, **kw: list(t(**kw))
    )
    s["nn.numerical_gradient"] = Func(
        {"f": lambda: 1.0, "x": np.ones(3)}, skip={"x": {"ndim", "ragged"}}
    )
    s["nn.sigmoid"] = Func({"z": SCORE}, skip={"z": {"ndim", "empty", "inf"}})  # any shape; ±inf
    s["nn.softmax"] = Func({"z": X}, skip={"z": {"ndim", "empty"}})  # any axis length
    s["nn.log_softmax"] = Func({"z": X}, skip={"z": {"ndim", "empty"}})
    s["nn.relative_error"] = Func({"analytic": np.ones(3), "numeric": np.ones(3) + 1e-9})
    extra_specs, extra_no_input = load()
    assert not set(extra_specs) & set(s), "a name has entries in two places"
    s.update(extra_specs)
    NO_INPUT.update(extra_no_input)
    return s


def _regressor(params):
    return Estimator(params=params, fit={"X": X, "y": Y_REAL}, methods={"predict": {"X": X}})


def _fitted_tree():
    return mlref.models.DecisionTreeClassifier(max_depth=2).fit(X, Y01)


def _search_features():
    from mlref.features import build_search_features

    return build_search_features(market(), edit_distance=False)


# ------------------------------------------------------------------------------------------
# The battery
# ------------------------------------------------------------------------------------------


def public_names() -> dict[str, Any]:
    names = {}
    for sub in mlref.__all__:
        module = getattr(mlref, sub)
        if isinstance(module, types.ModuleType):
            for name in module.__all__:
                names[f"{sub}.{name}"] = getattr(module, name)
    return names


def _is_array(value) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biufOU" and value.ndim >= 1
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(isinstance(v, (str, int, float, np.ndarray)) for v in value)
    )


def _array_mutations(name: str, value, lengths: dict[str, int]):
    """(label, bad value) pairs for one array argument."""
    arr = np.asarray(value) if not isinstance(value, list) else value
    out = []
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        for label, bad in (("nan", np.nan), ("inf", np.inf)):
            mutated = value.copy()
            mutated.flat[0] = bad
            out.append((label, mutated))
    if isinstance(value, np.ndarray):
        out.append(("empty", value[:0]))
        if value.ndim == 1:
            out.append(("ndim", value.reshape(-1, 1)))
        else:
            out.append(("ndim", value.reshape(-1)))
        if value.ndim == 2 and value.shape[1] > 1:
            ragged = [list(row) for row in value]
            ragged[0] = ragged[0][:-1]
            out.append(("ragged", ragged))
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        out.append(("empty", []))
        out.append(("ndim", np.asarray(value, dtype=object).reshape(-1, 1)))
    out.append(("string", "abc"))
    shared = [n for n, length in lengths.items() if length == len(arr) and n != name]
    if shared:
        out.append(("length", value[:-1]))
    return out


def _param_mutations(name: str, default, options=frozenset()):
    if name in SEED_NAMES:
        return [("seed", "abc"), ("seed", -1), ("seed", 1.5)]
    if isinstance(default, bool):
        return [("flag", "no"), ("flag", 1)]
    if isinstance(default, int):
        return [("int", "3"), ("int", 1.5), ("range", -1)]
    if isinstance(default, float):
        return [("float", "0.5"), ("float", float("nan")), ("range", -1.0)]
    if isinstance(default, str) and name in options:
        return [("option", "no-such-option")]
    return []


def _documented_options(target) -> set[str]:
    """Parameters whose numpydoc line lists a set of choices, e.g. ``kind : {"a", "b"}``."""
    doc = inspect.getdoc(target) or ""
    return {m.group(1) for m in re.finditer(r"^(\w+) : \{[^}]*\}", doc, flags=re.MULTILINE)}


def _defaults(target) -> dict[str, Any]:
    try:
        parameters = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return {}
    return {
        n: p.default
        for n, p in parameters.items()
        if p.default is not inspect.Parameter.empty or n in SEED_NAMES
    }


def func_cases(key: str, target, spec: Func):
    lengths = {
        n: len(v)
        for n, v in spec.kwargs.items()
        if _is_array(v) and n not in spec.skip.get("*", ())
    }
    for arg, value in spec.kwargs.items():
        if _is_array(value):
            for label, bad in _array_mutations(arg, value, lengths):
                if label not in spec.skip.get(arg, set()):
                    yield f"{key}:{arg}:{label}", arg, {**spec.kwargs, arg: bad}
        elif isinstance(value, pd.DataFrame) and "string" not in spec.skip.get(arg, set()):
            yield f"{key}:{arg}:string", arg, {**spec.kwargs, arg: "abc"}
    defaults, options = _defaults(target), _documented_options(target)
    for arg, value in spec.kwargs.items():
        defaults.setdefault(arg, value)
    for arg, default in defaults.items():
        if arg not in spec.kwargs and arg not in SEED_NAMES and not isinstance(default, bool):
            continue
        for label, bad in _param_mutations(arg, spec.kwargs.get(arg, default), options):
            if label not in spec.skip.get(arg, set()):
                yield f"{key}:{arg}:{label}={bad!r}", arg, {**spec.kwargs, arg: bad}


def _call(target, spec: Func, kwargs):
    if spec.call is not None:
        return spec.call(target, **kwargs)
    return target(**kwargs)


def _fit(target, spec: Estimator, params=None, fit=None):
    estimator = target(**(spec.params if params is None else params))
    return estimator.fit(**(spec.fit if fit is None else fit))


def estimator_cases(key: str, target, spec: Estimator):
    lengths = {n: len(v) for n, v in spec.fit.items() if _is_array(v)}
    for arg, value in spec.fit.items():
        if _is_array(value):
            for label, bad in _array_mutations(arg, value, lengths):
                if label not in spec.skip.get(arg, set()):
                    yield f"{key}:fit:{arg}:{label}", arg, ("fit", {**spec.fit, arg: bad})
    options = _documented_options(target)
    for arg, default in _defaults(target).items():
        if arg in spec.fixed:
            continue
        for label, bad in _param_mutations(arg, spec.params.get(arg, default), options):
            if label not in spec.skip.get(arg, set()):
                yield (
                    f"{key}:param:{arg}:{label}={bad!r}",
                    arg,
                    ("param", {**spec.params, arg: bad}),
                )


def _all_cases():
    cases = []
    for key, target in sorted(public_names().items()):
        spec = _specs().get(key)
        if isinstance(spec, Func):
            cases += [(k, arg, (key, "func", kw)) for k, arg, kw in func_cases(key, target, spec)]
        elif isinstance(spec, Estimator):
            cases += [(k, arg, (key, "est", c)) for k, arg, c in estimator_cases(key, target, spec)]
    return cases


def test_every_public_name_has_a_battery_entry():
    names = public_names()
    missing = sorted(set(names) - set(_specs()) - set(NO_INPUT))
    assert not missing, f"public names without a bad-input battery entry in SPECS: {missing}"
    stale = sorted((set(_specs()) | set(NO_INPUT)) - set(names))
    assert not stale, f"SPECS/NO_INPUT entries for names that are no longer public: {stale}"


@pytest.mark.parametrize("key", sorted(k for k in public_names() if k in _specs()))
def test_the_valid_call_of_each_entry_works(key):
    """The battery starts from a call that works, so each bad input is the only thing wrong."""
    target, spec = public_names()[key], _specs()[key]
    if isinstance(spec, Func):
        _call(target, spec, spec.kwargs)
    else:
        fitted = _fit(target, spec)
        for method, kwargs in spec.methods.items():
            getattr(fitted, method)(**kwargs)


def _message_names(exc: BaseException, arg: str) -> bool:
    text = str(exc)
    return arg in text or arg.replace("_", " ") in text


@pytest.mark.parametrize(
    ("case", "arg", "payload"), _all_cases(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_bad_input_raises_a_clear_error_naming_the_argument(case, arg, payload):
    key, kind, data = payload
    target, spec = public_names()[key], _specs()[key]
    with pytest.raises(BAD_ERRORS) as info:
        if kind == "func":
            _call(target, spec, data)
        else:
            where, values = data
            if where == "fit":
                _fit(target, spec, fit=values)
            else:
                _fit(target, spec, params=values)
    assert _message_names(info.value, arg), f"{case}: message does not name {arg!r}: {info.value}"


@pytest.mark.parametrize(
    "key", sorted(k for k, v in public_names().items() if isinstance(_specs().get(k), Estimator))
)
def test_estimators_refuse_use_before_fit_and_other_features(key):
    target, spec = public_names()[key], _specs()[key]
    for method, kwargs in spec.methods.items():
        with pytest.raises(NotFittedError):
            getattr(target(**spec.params), method)(**kwargs)
    fitted = _fit(target, spec)
    for method, kwargs in spec.methods.items():
        X_arg = next(
            (n for n, v in kwargs.items() if isinstance(v, np.ndarray) and v.ndim == 2), None
        )
        if X_arg is None or kwargs[X_arg].dtype.kind not in "fiu":
            continue
        wider = np.column_stack([kwargs[X_arg], kwargs[X_arg][:, :1]])
        with pytest.raises(ValueError, match="features"):
            getattr(fitted, method)(**{**kwargs, X_arg: wider})
        with_nan = kwargs[X_arg].astype(float)
        with_nan[0, 0] = np.nan
        with pytest.raises(ValueError, match=X_arg):
            getattr(fitted, method)(**{**kwargs, X_arg: with_nan})


# ------------------------------------------------------------------------------------------
# Overflow: one huge but finite value must give a finite answer or a clear error, never NaN/inf
# ------------------------------------------------------------------------------------------


def _numbers_in(result):
    if isinstance(result, pd.DataFrame | pd.Series):
        return (
            [result.select_dtypes("number").to_numpy(dtype=float)]
            if isinstance(result, pd.DataFrame)
            else [result.to_numpy(dtype=float)]
        )
    if isinstance(result, tuple | list):
        return [a for r in result for a in _numbers_in(r)]
    if hasattr(result, "value") and hasattr(result, "grad"):
        return [np.asarray(result.value, float), np.asarray(result.grad, float)]
    if isinstance(result, np.ndarray) and result.dtype.kind in "fiub":
        return [result.astype(float)]
    if isinstance(result, float | int | np.floating):
        return [np.asarray(float(result))]
    return []


def _overflow_cases():
    cases = []
    for key in sorted(public_names()):
        spec = _specs().get(key)
        if not isinstance(spec, Func):
            continue
        for arg, value in spec.kwargs.items():
            if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size > 1:
                if "huge" in spec.skip.get(arg, set()):
                    continue
                for sign in (1.0, -1.0):
                    huge = value.copy()
                    huge.flat[0] = sign * 1e308
                    cases.append(
                        (f"{key}:{arg}:{sign:+g}e308", arg, key, {**spec.kwargs, arg: huge})
                    )
    return cases


@pytest.mark.parametrize(
    ("case", "arg", "key", "kwargs"),
    _overflow_cases(),
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_huge_finite_value_gives_a_finite_answer_or_a_clear_error(case, arg, key, kwargs):
    target, spec = public_names()[key], _specs()[key]
    try:
        with np.errstate(all="ignore"):
            result = _call(target, spec, kwargs)
    except BAD_ERRORS as exc:
        assert _message_names(exc, arg) or "overflow" in str(exc), f"{case}: {exc}"
        return
    for values in _numbers_in(result):
        assert not np.isnan(values).any(), f"{case}: NaN in the result"


@pytest.mark.parametrize(
    "key",
    sorted(
        k
        for k, v in public_names().items()
        if isinstance(_specs().get(k), Estimator) and hasattr(v, "get_feature_names_out")
    ),
)
def test_get_feature_names_out_checks_its_argument(key):
    target, spec = public_names()[key], _specs()[key]
    fitted = _fit(target, spec)
    n_columns = fitted.n_features_in_
    given = [f"col{j}" for j in range(n_columns)]
    names = fitted.get_feature_names_out(given)
    assert len(names) > 0
    for bad in ([*given[:-1], "extra", "more"], "col0", [given]):
        with pytest.raises(ValueError, match="input_features"):
            fitted.get_feature_names_out(bad)


# ------------------------------------------------------------------------------------------
# Arguments the generic battery cannot derive: containers of indices, callables, mappings
# ------------------------------------------------------------------------------------------


def _pair_call(pairs):
    from mlref.ltr.groups import QueryGroups

    groups = QueryGroups.from_ids([0, 0, 0])
    return mlref.ltr.pair_weights_delta_ndcg([2.0, 1.0, 0.0], [0.1, 0.2, 0.3], groups, pairs=pairs)


@pytest.mark.parametrize(
    ("call", "names"),
    [
        (lambda: _pair_call((np.array([0, 5]), np.array([1, 2]))), "pairs"),
        (lambda: _pair_call("ab"), "pairs"),
        (lambda: _pair_call((np.array([0.5]), np.array([1]))), "pairs"),
        (lambda: mlref.ltr.run_letor_protocol({"m": 3}, folds=(1,)), "models"),
        (lambda: mlref.ltr.run_letor_protocol([1, 2], folds=(1,)), "models"),
        (lambda: mlref.ltr.mq2008_folds((1, 6)), "folds"),
        (lambda: mlref.ltr.evaluate_ranking([1, 0], [0.5, 0.1], [1, 1], ks=5.0), "ks"),
        (lambda: mlref.ltr.count_pairs([[1, 2], [3]]), "group_sizes"),
        (lambda: mlref.metrics.accuracy([[1, 2], [3]], [1, 0]), "y_true"),
        (lambda: mlref.ltr.all_pairs([1, 0], [[1, 2], [3]]), "group"),
        (
            lambda: mlref.features.ablation(3, np.ones((2, 1)), [0, 1], np.ones((2, 1)), [0, 1]),
            "fit_score",
        ),
        (lambda: mlref.nn.numerical_gradient(3, np.ones(2)), "f"),
    ],
)
def test_containers_and_callables_are_checked_too(call, names):
    with pytest.raises(BAD_ERRORS) as info:
        call()
    assert names in str(info.value), str(info.value)
