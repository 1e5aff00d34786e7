"""Latency budget of a two-stage search request, stage by stage, with and without a cache.

Run ``python benchmarks/bench_serving_latency.py`` (``--requests N``, default 5,000). One core
(``threadpool_limits(1)``, XGBoost ``n_jobs=1``).

What runs
---------
``mlref.serving.SearchService`` over the simulator's catalogue: BM25 retrieval of 100 candidates
→ feature-store lookup + match features → XGBoost ``rank:ndcg`` (100 trees, depth 6) → hydration
of the top 10. The ranker is trained on 300 of the 500 queries; requests replay the simulator's
search log (Zipf query stream) in order. Each stage of each request is timed with
``time.perf_counter``; the table gives p50 / p95 / p99 per stage and end to end (percentiles
of the per-request totals, not sums of stage percentiles) next to the source's 200 ms p99 budget.
The network line is not measured (the run is in-process).

Then: (1) the same stream behind an LRU result cache of 10 % of the distinct queries (hit rate,
p50/p99 end to end); (2) ranking the whole catalogue with the same model instead of re-ranking
the 100 candidates, on the default catalogue (4,000 products) and a 10× larger one (40,000),
with NDCG@10 against the true relevance of the whole catalogue on the 200 held-out queries.

With ``--bert``: a BERT-base-shaped encoder (``mlref.serving.TransformerEncoder``, 12 layers,
hidden 768, float32, random weights) timed on one query–document pair of 128 tokens and on a
batch of 100 pairs (a top-100 re-rank), and the cores 10,000 QPS would need.

Goals (exit 1 if missed): end-to-end p99 within the source's 200 ms; two-stage at least 5×
faster than full-catalogue ranking on the 40,000-product catalogue.
"""

import argparse
import sys
import time

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from mlref.datasets import make_marketplace
from mlref.serving import (
    SOURCE_BUDGET_MS,
    LRUCache,
    SearchService,
    TransformerEncoder,
    budget_table,
    latency_percentiles,
    ndcg_of_lists,
    run_stages,
)


def split_queries(market, seed=0):
    order = np.random.default_rng(seed).permutation(len(market.queries))
    return order[:300], order[300:]


def two_stage_vs_full(market, service, test):
    def timed(fn):
        start = time.perf_counter()
        lists = np.array([fn(int(q)) for q in test])
        return (time.perf_counter() - start) / len(test) * 1e3, lists

    ms_two, two = timed(lambda q: service.serve(q)["product_id"].to_numpy())
    ms_full, full = timed(service.rank_full_catalogue)
    return {
        "products": len(market.products),
        "two_stage_ms": ms_two,
        "full_catalogue_ms": ms_full,
        "speedup": ms_full / ms_two,
        "ndcg_two_stage": float(np.nanmean(ndcg_of_lists(market, test, two))),
        "ndcg_full": float(np.nanmean(ndcg_of_lists(market, test, full))),
    }


def time_bert(gbdt_per_doc_s: float) -> None:
    encoder = TransformerEncoder(random_state=0)
    pair = np.random.default_rng(0).standard_normal((1, 128, 768)).astype(np.float32)
    encoder.forward(pair)  # warm-up
    start = time.perf_counter()
    encoder.forward(pair)
    t_pair = time.perf_counter() - start
    start = time.perf_counter()
    encoder.forward(np.repeat(pair, 100, axis=0))
    t_100 = time.perf_counter() - start
    gflops = TransformerEncoder.flops(128) / 1e9
    print(
        f"\nBERT-base shape, 128 tokens ({gflops:.2f} GFLOPs/pair), one core: one pair "
        f"{t_pair * 1e3:.0f} ms ({gflops / t_pair:.0f} GFLOP/s); top-100 batch {t_100:.1f} s "
        f"({t_100 * 10:.0f} ms/pair)"
    )
    print(
        f"cores for 10,000 QPS: {10_000 * t_pair:,.0f} scoring one pair per query, "
        f"{10_000 * t_100:,.0f} re-ranking the top 100; GBDT per document "
        f"{gbdt_per_doc_s * 1e6:.1f} µs = {t_100 / 100 / gbdt_per_doc_s:,.0f}× cheaper than BERT"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--bert", action="store_true", help="also time a BERT-base encoder")
    args = parser.parse_args()
    threadpool_limits(1)
    market = make_marketplace(random_state=0)
    train, test = split_queries(market)
    service = SearchService(market).fit(train)
    stream = market.searches["query_id"].to_numpy()[: args.requests]
    run_stages([int(q) for q in stream[:200]], service.stages())  # warm-up
    _, timings = run_stages([int(q) for q in stream], service.stages())
    table = budget_table(timings)
    source = pd.Series(SOURCE_BUDGET_MS)
    print(f"{len(stream):,} requests replayed from the simulator's search log (one core)\n")
    print(table.round(3).to_string())
    print(f"\nsource budget (p99, ms): {source.to_dict()} = {source.sum():.0f} ms")
    dominant = table.drop(["total", "network"])["p99"].idxmax()
    print(f"largest stage at p99: {dominant}")

    capacity = len(market.queries) // 10
    cache = LRUCache(capacity)
    serve_cached = [("cached_request", lambda q: cache.get_or_compute(q, service.serve))]
    _, cached = run_stages([int(q) for q in stream], serve_cached)
    no_cache = latency_percentiles(timings["total"])
    with_cache = latency_percentiles(cached["total"])
    print(
        f"\nLRU cache of {capacity} queries (10 % of the distinct queries): hit rate "
        f"{cache.hit_rate:.3f}; end to end p50 {no_cache['p50']:.3f} → {with_cache['p50']:.4f} "
        f"ms, p99 {no_cache['p99']:.3f} → {with_cache['p99']:.3f} ms"
    )

    rows = [two_stage_vs_full(market, service, test)]
    big = make_marketplace(random_state=0, n_products=40_000, n_brands=2000)
    big_train, big_test = split_queries(big)
    rows.append(two_stage_vs_full(big, SearchService(big).fit(big_train), big_test))
    comparison = pd.DataFrame(rows).set_index("products")
    print("\ntwo-stage (BM25 top 100 → XGBoost) vs XGBoost over the whole catalogue, ms/request")
    print(comparison.round(4).to_string())

    if args.bert:
        gbdt_per_doc_s = table.loc["inference", "p50"] / 1e3 / service.n_candidates
        time_bert(gbdt_per_doc_s)

    failures = []
    if table.loc["total", "p99"] > 200:
        failures.append(f"end-to-end p99 {table.loc['total', 'p99']:.1f} ms > 200 ms")
    if comparison["speedup"].iloc[-1] < 5:
        failures.append(f"two-stage only {comparison['speedup'].iloc[-1]:.1f}× faster at 40,000")
    print("\nGOALS MET" if not failures else "\nGOALS MISSED: " + "; ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
