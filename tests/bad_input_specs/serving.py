"""Battery entries of ``mlref.serving``.

Every valid call is small: a dozen 3-d vectors for retrieval and quantization, a one-layer
encoder of width 4, a two-unit MLP, and the search service on a 40-product marketplace with a
three-tree ranker (about 20 ms a fit). The marketplace and the trained MLP are built once, at
import, and shared by the entries; all 222 cases of these names run in about 3 s.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from bad_input_specs import Estimator, Func
from mlref.serving import FEATURE_NAMES, quantize_int8

_rng = np.random.default_rng(11)

VECTORS = _rng.normal(size=(24, 3))
QUERIES = _rng.normal(size=(5, 3))
W = _rng.normal(size=(3, 2))
CODES, SCALES = quantize_int8(W, axis=0)  # (3, 2) int8 codes, one scale per column
ROW_CODES, ROW_SCALES = quantize_int8(W.T)  # (2, 3) codes, one scale per row
# Scales in float64, as a user may pass them: the battery's 1e308 then checks the float32 cast.
SCALES, ROW_SCALES = SCALES.astype(np.float64), ROW_SCALES.astype(np.float64)
LATENCIES = _rng.exponential(5.0, size=12)
# Query ids as pandas hands them over (float): the battery then also tries NaN, inf and 1e308.
STREAM = np.array([1.0, 2.0, 1.0, 3.0, 2.0, 1.0, 4.0, 1.0])

NO_INPUT = {
    "serving.FEATURE_NAMES": "a constant tuple of column names",
    "serving.SOURCE_BUDGET_MS": "a constant mapping of stage names to milliseconds",
}


@cache
def _market():
    from mlref.datasets import make_marketplace

    return make_marketplace(
        random_state=0, n_retailers=20, n_brands=5, n_products=40, n_queries=10, n_searches=20
    )


@cache
def _mlp():
    from mlref.models import MLPClassifier

    X = _rng.normal(size=(12, 3))
    y = np.array([0, 1] * 6)
    return MLPClassifier(hidden_layer_sizes=(2,), n_epochs=1, batch_size=4, random_state=0).fit(
        X, y
    )


def _encode(target, x, seq_len, **params):
    """Count the FLOPs, then build and run the encoder.

    ``flops`` comes first, so that the swept sizes (n_layers, hidden, ffn) reach its checks;
    n_heads and random_state reach the constructor's.
    """
    sizes = {name: params[name] for name in ("n_layers", "hidden", "ffn")}
    flops = target.flops(seq_len, **sizes)
    return target(**params).forward(x), flops


def _lru(target, capacity):
    cache_ = target(capacity)
    return [cache_.get_or_compute(q, str.upper) for q in "abacb"]


def _quantized_mlp(target, model, X):
    quantized = target(model)
    return quantized.decision_function(X), quantized.predict_proba(X, mode="weights")


def _specs():
    market = _market()
    features = np.zeros((4, len(FEATURE_NAMES)))
    return {
        # --- retrieval ------------------------------------------------------------------------
        "serving.exact_top_k": Func(
            {"queries": QUERIES, "vectors": VECTORS, "k": 3, "metric": "cosine"}
        ),
        "serving.kmeans": Func({"x": VECTORS, "n_clusters": 3, "n_iter": 5, "random_state": 0}),
        "serving.IVFIndex": Estimator(
            params={"n_lists": 4, "n_probe": 2, "n_train": 20, "n_iter": 5, "random_state": 0},
            fit={"vectors": VECTORS},
            methods={"search": {"queries": QUERIES, "k": 3}},
        ),
        # --- quantization ---------------------------------------------------------------------
        "serving.quantize_int8": Func({"x": VECTORS, "axis": 1}),
        "serving.dequantize_int8": Func({"codes": ROW_CODES, "scales": ROW_SCALES, "axis": 1}),
        "serving.int8_matmul": Func({"x": QUERIES, "codes": CODES, "scales": SCALES}),
        "serving.QuantizedMLP": Func({"model": _mlp(), "X": QUERIES}, call=_quantized_mlp),
        # --- cache ----------------------------------------------------------------------------
        "serving.LRUCache": Func({"capacity": 2}, call=_lru),
        "serving.lru_hit_rates": Func({"stream": STREAM, "capacities": np.array([1, 2, 3])}),
        # --- latency --------------------------------------------------------------------------
        "serving.latency_percentiles": Func(
            {"durations_ms": LATENCIES, "percentiles": np.array([50.0, 99.0])}
        ),
        "serving.run_stages": Func(
            {"requests": [1, 2, 3], "stages": [("double", lambda x: 2 * x), ("inc", abs)]}
        ),
        "serving.budget_table": Func(
            {
                "timings_ms": pd.DataFrame({"retrieval": LATENCIES, "inference": LATENCIES * 2}),
                "budget_ms": {"retrieval": 50.0, "inference": 80.0},
            }
        ),
        "serving.throughput_by_batch_size": Func(
            {
                "predict": lambda X: X.sum(axis=-1),
                "X": VECTORS,
                "batch_sizes": np.array([2, 4]),
                "n_rows": 8,
                "repeats": 1,
            },
            # X only goes to the caller's predict, which may accept missing values (XGBoost
            # does), inputs of any rank (the encoder takes (batch, seq_len, hidden)) and lists
            # of variable-length rows (token sequences).
            skip={"X": {"nan", "inf", "ndim", "ragged"}},
        ),
        "serving.TransformerEncoder": Func(
            {
                "n_layers": 1,
                "hidden": 4,
                "n_heads": 2,
                "ffn": 8,
                "random_state": 0,
                "x": _rng.normal(size=(2, 3, 4)),
                "seq_len": 3,
            },
            call=_encode,
        ),
        # --- the search service ---------------------------------------------------------------
        "serving.SearchService": Estimator(
            params={
                "market": market,
                "n_candidates": 8,
                "n_results": 4,
                "n_random_negatives": 4,
                "random_state": 0,
            },
            fit={"train_query_ids": np.arange(6), "n_estimators": 3},
            methods={"score": {"features": features}, "serve": {"query_id": 7}},
        ),
        "serving.ndcg_of_lists": Func(
            {
                "market": market,
                "query_ids": np.array([0, 3]),
                "lists": np.array([[0, 5, 9, -1], [2, 1, 7, 30]]),
                "k": 3,
            }
        ),
    }


SPECS = _specs()
