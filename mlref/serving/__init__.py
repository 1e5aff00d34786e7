"""Serving: nearest-neighbour retrieval, quantization, caching, the latency budget, rollouts."""

from mlref.serving.cache import LRUCache, lru_hit_rates
from mlref.serving.deployment import (
    SOURCE_ROLLBACK_TRIGGERS,
    ModelBehaviour,
    RolloutResult,
    simulate_rollout,
)
from mlref.serving.encoder import TransformerEncoder
from mlref.serving.fallback import ResilientRanker, ServedList
from mlref.serving.latency import (
    SOURCE_BUDGET_MS,
    budget_table,
    latency_percentiles,
    run_stages,
    throughput_by_batch_size,
)
from mlref.serving.pipeline import FEATURE_NAMES, SearchService, ndcg_of_lists
from mlref.serving.quantize import QuantizedMLP, dequantize_int8, int8_matmul, quantize_int8
from mlref.serving.retrieval import IVFIndex, exact_top_k, kmeans

__all__ = [
    "FEATURE_NAMES",
    "SOURCE_BUDGET_MS",
    "SOURCE_ROLLBACK_TRIGGERS",
    "IVFIndex",
    "LRUCache",
    "ModelBehaviour",
    "QuantizedMLP",
    "ResilientRanker",
    "RolloutResult",
    "SearchService",
    "ServedList",
    "TransformerEncoder",
    "budget_table",
    "dequantize_int8",
    "exact_top_k",
    "int8_matmul",
    "kmeans",
    "latency_percentiles",
    "lru_hit_rates",
    "ndcg_of_lists",
    "quantize_int8",
    "run_stages",
    "simulate_rollout",
    "throughput_by_batch_size",
]
