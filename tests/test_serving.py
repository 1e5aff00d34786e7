"""Tests of mlref.serving: exact top-k, IVF, int8 quantization, LRU cache, latency, pipeline."""

import functools
import itertools

import faiss
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import ndcg_score

from mlref.datasets import make_marketplace
from mlref.serving import (
    FEATURE_NAMES,
    IVFIndex,
    LRUCache,
    QuantizedMLP,
    SearchService,
    TransformerEncoder,
    budget_table,
    dequantize_int8,
    exact_top_k,
    int8_matmul,
    kmeans,
    latency_percentiles,
    lru_hit_rates,
    ndcg_of_lists,
    quantize_int8,
    run_stages,
    throughput_by_batch_size,
)

faiss.omp_set_num_threads(1)


def clustered(n, d, n_clusters, seed, noise=0.8):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((n_clusters, d))
    x = centers[rng.integers(0, n_clusters, n)] + noise * rng.standard_normal((n, d))
    return x.astype(np.float32)


def recall(found, truth):
    pairs = zip(found, truth, strict=True)
    return np.mean([len(set(a) & set(b)) / truth.shape[1] for a, b in pairs])


# ----- exact top-k -------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("metric", ["ip", "cosine"])
def test_exact_top_k_matches_faiss_flat(seed, metric):
    rng = np.random.default_rng(seed)
    n, d, k = int(rng.integers(5, 400)), int(rng.integers(1, 20)), int(rng.integers(1, 5))
    V = rng.standard_normal((n, d)).astype(np.float32)
    Q = rng.standard_normal((7, d)).astype(np.float32)
    idx, scores = exact_top_k(Q, V, k, metric=metric)
    if metric == "cosine":
        V /= np.linalg.norm(V, axis=1, keepdims=True)
        Q /= np.linalg.norm(Q, axis=1, keepdims=True)
    ref = faiss.IndexFlatIP(d)
    ref.add(V)
    ref_scores, ref_idx = ref.search(Q, k)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(idx, ref_idx)


def test_exact_top_k_ties_smaller_id_first_and_equals_full_sort():
    rng = np.random.default_rng(0)
    V = rng.integers(-2, 3, size=(300, 3)).astype(np.float32)  # many exact ties
    Q = rng.integers(-2, 3, size=(20, 3)).astype(np.float32)
    idx, scores = exact_top_k(Q, V, 15)
    full = Q @ V.T
    order = np.lexsort((np.broadcast_to(np.arange(300), full.shape), -full), axis=1)[:, :15]
    np.testing.assert_array_equal(idx, order)
    np.testing.assert_array_equal(scores, np.take_along_axis(full, order, axis=1))


def test_exact_top_k_tiny_k_equals_n():
    idx, scores = exact_top_k([[1.0]], [[3.0], [-1.0], [2.0]], 3)
    assert idx.tolist() == [[0, 2, 1]]
    assert scores.tolist() == [[3.0, 2.0, -1.0]]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k": 0}, "k must be an integer >= 1"),
        ({"k": 11}, "exceeds the number of indexed vectors"),
        ({"k": 2, "queries": np.ones((2, 3))}, "dimension 3 but vectors have 4"),
        ({"k": 2, "queries": np.array([[np.nan, 0, 0, 0]])}, "NaN"),
        ({"k": 2, "metric": "l2"}, "metric must be one of"),
        ({"k": 2, "metric": "cosine", "queries": np.zeros((1, 4))}, "all-zero"),
        ({"k": 2, "queries": np.ones(4)}, "must be 2-D"),
    ],
)
def test_exact_top_k_bad_input(kwargs, match):
    args = {"queries": np.ones((2, 4)), "vectors": np.ones((10, 4)), **kwargs}
    with pytest.raises(ValueError, match=match):
        exact_top_k(args.pop("queries"), args.pop("vectors"), **args)


# ----- k-means and IVF ---------------------------------------------------------------------
def test_kmeans_objective_close_to_sklearn():
    from sklearn.cluster import KMeans

    X = clustered(3000, 8, 20, 0)
    centroids, labels = kmeans(X, 20, n_iter=50, random_state=0)
    ours = ((X - centroids[labels]) ** 2).sum()
    ref = KMeans(20, n_init=1, random_state=0).fit(X).inertia_
    assert ours <= 1.05 * ref
    assert np.array_equal(labels, np.argmin(((X[:, None] - centroids[None]) ** 2).sum(-1), 1))
    assert np.bincount(labels, minlength=20).min() > 0


@pytest.mark.parametrize("encoding", ["flat", "sq8"])
@pytest.mark.parametrize("metric", ["ip", "cosine"])
def test_ivf_all_lists_equals_exact(metric, encoding):
    X = clustered(2000, 16, 10, 1)
    Q = clustered(50, 16, 10, 2)
    index = IVFIndex(32, n_probe=32, metric=metric, encoding=encoding, random_state=0).fit(X)
    idx, scores = index.search(Q, 10)
    if encoding == "flat":
        ref_idx, ref_scores = exact_top_k(Q, X, 10, metric=metric)
        np.testing.assert_array_equal(idx, ref_idx)
        np.testing.assert_allclose(scores, ref_scores, rtol=1e-5, atol=1e-5)
    else:  # exact search over the decoded vectors
        Xn = X / np.linalg.norm(X, axis=1, keepdims=True) if metric == "cosine" else X
        decoded = np.empty_like(Xn)
        decoded[index.ids_] = dequantize_int8(index.codes_, index.scales_)
        Qn = Q / np.linalg.norm(Q, axis=1, keepdims=True) if metric == "cosine" else Q
        ref_idx, ref_scores = exact_top_k(Qn, decoded, 10)
        assert recall(idx, ref_idx) > 0.99
        np.testing.assert_allclose(scores, ref_scores, rtol=1e-4, atol=1e-4)


def test_ivf_search_in_query_blocks_equals_one_block(monkeypatch):
    import mlref.serving.retrieval as retrieval

    X = clustered(1500, 8, 12, 3)
    Q = clustered(97, 8, 12, 4)
    index = IVFIndex(16, n_probe=4, random_state=0).fit(X)
    whole_ids, whole_scores = index.search(Q, 7)
    monkeypatch.setattr(retrieval, "_SCORE_CELLS", 4 * 7 * 10)  # blocks of 10 queries
    block_ids, block_scores = index.search(Q, 7)
    np.testing.assert_array_equal(block_ids, whole_ids)
    # float32 products of different block shapes may round the last bit differently
    np.testing.assert_allclose(block_scores, whole_scores, rtol=1e-6)
    monkeypatch.setattr(retrieval, "_SCORE_CELLS", 1)  # one query per block
    np.testing.assert_array_equal(index.search(Q, 7)[0], whole_ids)


def test_ivf_ties_equal_exact():
    rng = np.random.default_rng(3)
    X = rng.integers(-1, 2, size=(500, 4)).astype(np.float32)
    Q = rng.integers(-1, 2, size=(30, 4)).astype(np.float32)
    index = IVFIndex(8, n_probe=8, random_state=0).fit(X)
    np.testing.assert_array_equal(index.search(Q, 20)[0], exact_top_k(Q, X, 20)[0])


def test_ivf_recall_monotone_in_n_probe_and_one_fit():
    X = clustered(20000, 32, 200, 4, noise=1.0)
    Q = clustered(200, 32, 200, 5, noise=1.0)
    truth = exact_top_k(Q, X, 10)[0]
    index = IVFIndex(64, random_state=0).fit(X)
    centroids = index.centroids_.copy()
    recalls = []
    for p in (1, 2, 4, 8, 16, 32, 64):
        recalls.append(recall(index.set_params(n_probe=p).search(Q, 10)[0], truth))
    assert np.array_equal(index.centroids_, centroids)  # set_params did not refit
    assert all(b >= a for a, b in itertools.pairwise(recalls)), recalls
    assert recalls[0] < 0.9 and recalls[-1] == 1.0


def test_ivf_recall_matches_faiss_ivfflat():
    X = clustered(20000, 32, 200, 6, noise=1.0)
    Q = clustered(300, 32, 200, 7, noise=1.0)
    truth = exact_top_k(Q, X, 10)[0]
    ours = IVFIndex(64, n_probe=4, random_state=0).fit(X)
    quantizer = faiss.IndexFlatL2(32)
    ref = faiss.IndexIVFFlat(quantizer, 32, 64, faiss.METRIC_INNER_PRODUCT)
    ref.train(X)
    ref.add(X)
    ref.nprobe = 4
    r_ours, r_ref = recall(ours.search(Q, 10)[0], truth), recall(ref.search(Q, 10)[1], truth)
    assert abs(r_ours - r_ref) < 0.05, (r_ours, r_ref)


def test_ivf_pads_when_probed_lists_are_small():
    X = np.array([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.0], [-0.9, -0.1]])
    index = IVFIndex(2, n_probe=1, n_train=4, random_state=0).fit(X)
    idx, scores = index.search([[1.0, 0.0]], 3)
    assert idx[0, :2].tolist() == [0, 1] and idx[0, 2] == -1 and scores[0, 2] == -np.inf


def test_ivf_sq8_memory_smaller():
    X = clustered(5000, 64, 20, 8)
    flat = IVFIndex(16, random_state=0).fit(X)
    sq8 = IVFIndex(16, encoding="sq8", random_state=0).fit(X)
    assert flat.codes_.nbytes / (sq8.codes_.nbytes + sq8.scales_.nbytes) == pytest.approx(
        64 * 4 / 68
    )
    assert sq8.memory_bytes() < flat.memory_bytes()


def test_ivf_bad_input():
    X = clustered(200, 4, 3, 9)
    with pytest.raises(NotFittedError, match="not fitted"):
        IVFIndex(4).search(X[:2], 1)
    index = IVFIndex(4, n_probe=2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        index.search(X[:2], 0)
    with pytest.raises(
        ValueError, match="queries has 3 features, but IVFIndex is expecting 4 features"
    ):
        index.search(X[:2, :3], 1)
    with pytest.raises(ValueError, match="NaN"):
        index.search(np.full((1, 4), np.nan), 1)
    with pytest.raises(ValueError, match="NaN"):
        IVFIndex(4).fit(np.vstack([X, np.full((1, 4), np.nan)]))
    with pytest.raises(ValueError, match="n_probe=5 exceeds n_lists=4"):
        index.set_params(n_probe=5).search(X[:2], 1)
    with pytest.raises(ValueError, match="n_lists=300 needs at least"):
        IVFIndex(300).fit(X)
    with pytest.raises(ValueError, match="random_state must be None"):
        IVFIndex(4, random_state="seed").fit(X)
    with pytest.raises(ValueError, match="encoding must be one of"):
        IVFIndex(4, encoding="pq").fit(X)


# ----- quantization ------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("axis", [0, 1])
def test_int8_round_trip_error_bounded(seed, axis):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((40, 17)) * rng.uniform(0.01, 100, size=(40, 1))).astype(np.float32)
    x[3] = 0.0
    codes, scales = quantize_int8(x, axis=axis)
    assert codes.dtype == np.int8 and np.abs(codes.astype(int)).max() <= 127
    back = dequantize_int8(codes, scales, axis=axis)
    bound = (scales[:, None] if axis == 1 else scales[None, :]) / 2
    assert (np.abs(back - x) <= bound * (1 + 1e-5) + 1e-12).all()
    if axis == 1:
        assert (back[3] == 0).all()
        assert (np.abs(codes).max(axis=1)[np.abs(x).max(axis=1) > 0] == 127).all()


def test_int8_matches_faiss_scalar_quantizer_error_scale():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2000, 32)).astype(np.float32)
    codes, scales = quantize_int8(x)
    ours = np.abs(dequantize_int8(codes, scales) - x).mean()
    sq = faiss.ScalarQuantizer(32, faiss.ScalarQuantizer.QT_8bit)
    sq.train(x)
    ref = np.abs(sq.decode(sq.compute_codes(x)) - x).mean()
    assert ours < 2 * ref  # same order of error as faiss SQ8 (per-dimension ranges)


def test_int8_matmul_close_to_float():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((64, 32)).astype(np.float32)
    x = rng.standard_normal((100, 64)).astype(np.float32)
    codes, scales = quantize_int8(W, axis=0)
    exact = x @ W
    approx = int8_matmul(x, codes, scales)
    assert np.abs(approx - exact).max() / np.abs(exact).max() < 0.02
    with pytest.raises(ValueError, match="x has 3 columns"):
        int8_matmul(x[:, :3], codes, scales)


def test_quantize_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        quantize_int8([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="axis must be one of"):
        quantize_int8([[1.0]], axis=2)
    with pytest.raises(ValueError, match="int8"):
        dequantize_int8(np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="scales must have shape"):
        dequantize_int8(np.ones((2, 2), np.int8), np.ones(3))


# ----- cache -------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_lru_matches_functools_lru_cache(seed):
    rng = np.random.default_rng(seed)
    stream = rng.zipf(1.3, size=3000) % 200
    capacities = [1, 2, 5, 20, 100, 300]
    rates = lru_hit_rates(stream, capacities)
    for capacity, rate in zip(capacities, rates, strict=True):
        ref = functools.lru_cache(maxsize=capacity)(lambda q: q)
        cache = LRUCache(capacity)
        for q in stream.tolist():
            ref(q)
            cache.get_or_compute(q, lambda q: q)
        assert cache.hits == ref.cache_info().hits
        assert rate == pytest.approx(ref.cache_info().hits / len(stream))
        assert len(cache) == min(capacity, len(set(stream.tolist())))


def test_lru_cache_get_put_and_bad_input():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)  # evicts b
    assert "b" not in cache and cache.get("b", "missing") == "missing"
    assert (cache.hits, cache.misses) == (1, 1) and cache.hit_rate == 0.5
    with pytest.raises(ValueError, match="capacity must be an integer >= 1"):
        LRUCache(0)
    with pytest.raises(ValueError, match="capacities must be an integer >= 1"):
        lru_hit_rates([1, 2], [0])
    with pytest.raises(ValueError, match="stream is empty"):
        lru_hit_rates([], [1])


# ----- latency -----------------------------------------------------------------------------
def test_percentiles_equal_numpy_and_budget_table():
    rng = np.random.default_rng(0)
    t = pd.DataFrame({"retrieval": rng.exponential(2, 500), "inference": rng.exponential(5, 500)})
    p = latency_percentiles(t["retrieval"])
    np.testing.assert_allclose(p.to_numpy(), np.percentile(t["retrieval"], [50, 95, 99]))
    table = budget_table(t)
    assert list(table.index) == [
        "retrieval",
        "inference",
        "features",
        "hydration",
        "network",
        "total",
    ]
    assert table.loc["total", "budget_p99"] == 200.0
    total = t.sum(axis=1)
    assert table.loc["total", "p99"] == pytest.approx(np.percentile(total, 99))
    assert table.loc["total", "p99"] <= table.loc[["retrieval", "inference"], "p99"].sum()
    with pytest.raises(ValueError, match="negative"):
        latency_percentiles([-1.0])
    with pytest.raises(ValueError, match="percentiles must lie"):
        latency_percentiles([1.0], [101])


def test_run_stages_and_bad_input():
    outputs, timings = run_stages(range(5), [("a", lambda x: x + 1), ("b", lambda x: x * 10)])
    assert outputs == [10, 20, 30, 40, 50]
    assert (timings >= 0).all().all() and len(timings) == 5
    np.testing.assert_allclose(timings["total"], timings["a"] + timings["b"])
    with pytest.raises(ValueError, match="distinct"):
        run_stages([1], [("a", abs), ("a", abs)])
    with pytest.raises(ValueError, match="not callable"):
        run_stages([1], [("a", 3)])
    with pytest.raises(ValueError, match="requests is empty"):
        run_stages([], [("a", abs)])


def test_throughput_by_batch_size():
    X = np.ones((64, 3))
    table = throughput_by_batch_size(lambda b: b.sum(axis=1), X, [1, 8, 64], repeats=1)
    assert list(table.index) == [1, 8, 64]
    np.testing.assert_allclose(table["rows_per_s"], 1e6 / table["us_per_row"])
    with pytest.raises(ValueError, match="exceeds"):
        throughput_by_batch_size(abs, X, [65])


# ----- pipeline ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def service():
    market = make_marketplace(n_searches=500, random_state=0)
    return SearchService(market, n_candidates=50).fit(np.arange(0, 400, 2), n_estimators=20)


def test_pipeline_stages_equal_serve_and_rerank(service):
    queries = [1, 3, 5, 7]
    outputs, timings = run_stages(queries, service.stages())
    assert list(timings.columns) == ["retrieval", "features", "inference", "hydration", "total"]
    for q, page in zip(queries, outputs, strict=True):
        pd.testing.assert_frame_equal(page, service.serve(q))
        candidates, _ = service.retrieve(q)
        X = service.fetch_features(q, service.retrieve(q))
        assert X.shape == (50, len(FEATURE_NAMES))
        scores = service.ranker_.predict(X)
        best = candidates[np.lexsort((candidates, -scores))[:10]]
        np.testing.assert_array_equal(page["product_id"], best)
        assert set(page["product_id"]) <= set(candidates.tolist())


def test_bm25_retrieval_matches_dense_scores(service):
    candidates, scores = service.retrieve(11)
    dense = service.bm25_.score(service._query_tokens[11])
    np.testing.assert_allclose(scores, dense[candidates])
    assert scores.min() >= np.sort(dense)[-50]


def test_ndcg_of_lists_matches_sklearn(service):
    market = service.market
    queries = np.array([1, 3, 5])
    lists = np.array([service.rank_full_catalogue(q) for q in queries])
    ours = ndcg_of_lists(market, queries, lists)
    n = len(market.products)
    for q, row, value in zip(queries, lists, ours, strict=True):
        y_true = market.true_relevance(q, np.arange(n)).astype(float)
        y_score = np.full(n, -1.0)
        y_score[row] = np.arange(10, 0, -1)
        ref = ndcg_score([2**y_true - 1], [y_score], k=10)
        assert value == pytest.approx(ref)


def test_pipeline_bad_input(service):
    with pytest.raises(ValueError, match="query_id must be in"):
        service.serve(10**6)
    with pytest.raises(ValueError, match="query_id must be an int"):
        service.serve("candles")
    with pytest.raises(ValueError, match="n_results=20 exceeds n_candidates=10"):
        SearchService(service.market, n_candidates=10, n_results=20).fit([1])
    with pytest.raises(NotFittedError, match="not fitted"):
        SearchService(service.market).serve(1)
    with pytest.raises(ValueError, match="n_candidates must be an integer >= 1"):
        SearchService(service.market, n_candidates=0).fit([1])


# ----- quantized MLP and the transformer encoder -------------------------------------------
def test_quantized_mlp_close_to_float_and_smaller():
    from sklearn.metrics import roc_auc_score

    from mlref.models import MLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 10))
    y = (X[:, 0] + 0.5 * X[:, 1] * X[:, 2] + rng.normal(size=2000) > 0).astype(int)
    model = MLPClassifier(hidden_layer_sizes=(32, 16), n_epochs=5, random_state=0).fit(X, y)
    q = QuantizedMLP(model)
    exact = model.decision_function(X)
    for mode in ("int8", "weights"):
        z = q.decision_function(X, mode=mode)
        assert np.abs(z - exact).max() < 0.05 * np.abs(exact).max()
        assert abs(roc_auc_score(y, z) - roc_auc_score(y, exact)) < 0.005
    np.testing.assert_allclose(
        q.predict_proba(X, mode="weights")[:, 1], model.predict_proba(X)[:, 1], atol=0.01
    )
    sizes = [(10, 32), (32, 16), (16, 1)]
    assert q.float_bytes_ == sum(4 * (i * o + o) for i, o in sizes)
    assert q.int8_bytes_ == sum(i * o + 8 * o for i, o in sizes)
    with pytest.raises(ValueError, match="mode must be one of"):
        q.decision_function(X, mode="fp16")
    with pytest.raises(ValueError, match="X has 3 features"):
        q.decision_function(X[:, :3])
    with pytest.raises(ValueError, match="not fitted"):
        QuantizedMLP(MLPClassifier())


def test_encoder_attention_matches_mlref_nn():
    from mlref.nn.layers import LayerNorm, MultiHeadSelfAttention

    enc = TransformerEncoder(n_layers=1, hidden=12, n_heads=3, ffn=20, random_state=0)
    layer = enc.layers[0]
    ref = MultiHeadSelfAttention(12, 3, rng=0)
    w_q, w_k, w_v = np.split(layer["w_qkv"].astype(np.float64), 3, axis=1)
    for lin, w in zip(
        (ref.query, ref.key, ref.value, ref.output), (w_q, w_k, w_v, layer["w_o"]), strict=True
    ):
        lin.params[0][...] = w
        lin.params[1][...] = 0.0
    x = np.random.default_rng(1).normal(size=(2, 7, 12)).astype(np.float32)
    np.testing.assert_allclose(
        enc.attention(x, layer), ref.forward(x.astype(np.float64)), atol=1e-5
    )
    # the full layer: post-norm residual blocks with GELU (tanh form)
    h = LayerNorm(12, eps=1e-12).forward(x + ref.forward(x.astype(np.float64)))
    inner = h @ layer["w_1"]
    gelu = 0.5 * inner * (1 + np.tanh(np.sqrt(2 / np.pi) * (inner + 0.044715 * inner**3)))
    expected = LayerNorm(12, eps=1e-12).forward(h + gelu @ layer["w_2"])
    np.testing.assert_allclose(enc.forward(x), expected, atol=1e-4)


def test_encoder_flops_and_bad_input():
    # count multiply-adds of the explicit matrix products of one layer
    L, H, F = 128, 768, 3072
    macs = L * H * 3 * H + 2 * L * L * H + L * H * H + L * H * F + L * F * H
    assert TransformerEncoder.flops(L, n_layers=1) == 2 * macs
    enc = TransformerEncoder(n_layers=1, hidden=8, n_heads=2, ffn=8)
    with pytest.raises(ValueError, match="x must have shape"):
        enc.forward(np.ones((2, 8)))
    with pytest.raises(ValueError, match="NaN"):
        enc.forward(np.full((1, 2, 8), np.nan))
    with pytest.raises(ValueError, match="n_heads must divide hidden"):
        TransformerEncoder(hidden=10, n_heads=3)


@pytest.mark.parametrize(
    "module", ["cache", "encoder", "latency", "pipeline", "quantize", "retrieval"]
)
def test_docstring_examples(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"mlref.serving.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_title_token_overlap_equals_set_intersection(service):
    from mlref.features.text import tokenize

    titles = service.market.products["title"]
    column = FEATURE_NAMES.index("title_token_overlap")
    for q in (0, 4, 9, 17):
        candidates = service.retrieve(q)
        overlap = service.fetch_features(q, candidates)[:, column]
        query = set(tokenize(service.market.queries["text"][q]))
        expected = [len(query & set(tokenize(titles[p]))) / len(query) for p in candidates[0]]
        np.testing.assert_allclose(overlap, expected, rtol=1e-6)
