"""Ranking metrics against scikit-learn, XGBoost, hand-computed values and a brute force.

The brute force enumerates every order of the tied documents of a tiny list, scores each order
with the plain (tie-free) definition and averages: it proves that the tie handling is the exact
expectation over random tie orders.
"""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, dcg_score, ndcg_score

from mlref.metrics import ranking
from mlref.metrics.ranking import (
    dcg_at_k,
    map_at_k,
    mrr,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)

SETTINGS = settings(max_examples=60, deadline=None)
GAIN = {"exponential": lambda rel: 2.0**rel - 1.0, "linear": lambda rel: rel}


# ----------------------------------------------------------------------------------------------
# Reference implementations: one fixed order of one query (rel listed in rank order)


def ranked_metrics(rel, k):
    """Every metric of one query whose documents are ranked in the order of ``rel``."""
    rel = np.asarray(rel, dtype=float)
    n = len(rel)
    relevant = rel > 0
    n_relevant = relevant.sum()
    discount = 1.0 / np.log2(np.arange(2, n + 2))
    top = slice(0, min(k, n))
    ideal = np.sort(rel)[::-1]
    out = {}
    for gain, g in GAIN.items():
        dcg = (g(rel) * discount)[top].sum()
        idcg = (g(ideal) * discount)[top].sum()
        out[f"dcg_{gain}"] = dcg
        out[f"ndcg_{gain}"] = dcg / idcg if idcg > 0 else 0.0
    hits = relevant[top].sum()
    out["precision"] = hits / k
    out["precision_retrieved"] = hits / min(k, n)
    out["recall"] = hits / n_relevant if n_relevant else 0.0
    precision_at_i = np.cumsum(relevant) / np.arange(1, n + 1)
    ap_sum = (precision_at_i * relevant)[top].sum()
    out["map"] = ap_sum / min(n_relevant, k) if n_relevant else 0.0
    first = np.flatnonzero(relevant)
    out["mrr_full"] = 1.0 / (first[0] + 1) if first.size else 0.0
    out["mrr_k"] = out["mrr_full"] if first.size and first[0] < k else 0.0
    return out


def brute_force(y_true, y_score, k):
    """Average of :func:`ranked_metrics` over every order of the tied documents."""
    y_true, y_score = np.asarray(y_true, dtype=float), np.asarray(y_score, dtype=float)
    blocks = [np.flatnonzero(y_score == s) for s in np.unique(y_score)[::-1]]
    totals, count = {}, 0
    for orders in itertools.product(*(itertools.permutations(b) for b in blocks)):
        ranked = y_true[np.concatenate(orders)]
        for name, value in ranked_metrics(ranked, k).items():
            totals[name] = totals.get(name, 0.0) + value
        count += 1
    return {name: total / count for name, total in totals.items()}


def ours(y_true, y_score, k, group=None, **kwargs):
    """Every metric of this module for the same inputs, as the names of :func:`ranked_metrics`."""
    out = {}
    for gain in GAIN:
        out[f"dcg_{gain}"] = dcg_at_k(y_true, y_score, k, group, gain=gain, **kwargs)
        out[f"ndcg_{gain}"] = ndcg_at_k(y_true, y_score, k, group, gain=gain, **kwargs)
    out["precision"] = precision_at_k(y_true, y_score, k, group, **kwargs)
    out["precision_retrieved"] = precision_at_k(
        y_true, y_score, k, group, denominator="retrieved", **kwargs
    )
    out["recall"] = recall_at_k(y_true, y_score, k, group, **kwargs)
    out["map"] = map_at_k(y_true, y_score, k, group, **kwargs)
    out["mrr_full"] = mrr(y_true, y_score, group, **kwargs)
    out["mrr_k"] = mrr(y_true, y_score, group, k=k, **kwargs)
    return out


# ----------------------------------------------------------------------------------------------
# Random inputs


@st.composite
def tiny_list(draw):
    """One query of 1-7 documents, labels 0-3 and integer scores 0-3 (many ties)."""
    n = draw(st.integers(1, 7))
    y_true = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    y_score = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    k = draw(st.integers(1, 8))
    return np.array(y_true), np.array(y_score), k


SCORE_KINDS = {
    # small whole numbers: used directly as levels; half-integers and a wide integer range are
    # hashed and pass through the top-k region filter
    "small ints": lambda s: s,
    "half ints": lambda s: s + 0.5,
    "wide ints": lambda s: s * 37,
}


@st.composite
def many_queries(draw, min_size=2, max_size=30):
    """Several queries with shuffled, non-contiguous ids, labels 0-4 and tied scores."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_queries = draw(st.integers(1, 6))
    kind = draw(st.sampled_from(sorted(SCORE_KINDS)))
    rng = np.random.default_rng(seed)
    sizes = rng.integers(min_size, max_size + 1, n_queries)
    ids = rng.choice(1000, n_queries, replace=False)
    group = np.repeat(ids, sizes)
    y_true = rng.integers(0, 5, sizes.sum())
    y_true[rng.random(sizes.sum()) < 0.4] = 0
    y_score = SCORE_KINDS[kind](rng.integers(0, 4, sizes.sum()).astype(float))
    order = rng.permutation(sizes.sum())
    k = draw(st.integers(1, max_size + 2))
    return y_true[order], y_score[order], group[order], k


def split(y_true, y_score, group):
    """Per-query (labels, scores) keyed by sorted query id."""
    return {q: (y_true[group == q], y_score[group == q]) for q in np.unique(group)}


# ----------------------------------------------------------------------------------------------
# Against scikit-learn


@SETTINGS
@given(many_queries())
def test_ndcg_per_query_matches_sklearn_with_ties(case):
    y_true, y_score, group, k = case
    for gain, g in GAIN.items():
        got = ndcg_at_k(y_true, y_score, k, group, gain=gain, per_query=True)
        expected = [
            ndcg_score([g(t.astype(float))], [s], k=k)
            for t, s in split(y_true, y_score, group).values()
        ]
        np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12, atol=1e-12)
        assert ndcg_at_k(y_true, y_score, k, group, gain=gain) == pytest.approx(np.mean(expected))


@SETTINGS
@given(many_queries())
def test_dcg_per_query_matches_sklearn_with_ties(case):
    y_true, y_score, group, k = case
    for gain, g in GAIN.items():
        got = dcg_at_k(y_true, y_score, k, group, gain=gain, per_query=True)
        expected = [
            dcg_score([g(t.astype(float))], [s], k=k)
            for t, s in split(y_true, y_score, group).values()
        ]
        np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.integers(2, 30))
def test_map_without_ties_and_full_k_matches_sklearn_average_precision(seed, n):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 3, n)
    y_true[rng.integers(n)] = 1
    y_score = rng.permutation(n) / n
    expected = average_precision_score(y_true > 0, y_score)
    assert map_at_k(y_true, y_score, k=n) == pytest.approx(expected, rel=1e-12)
    assert map_at_k(y_true, y_score, k=n + 5) == pytest.approx(expected, rel=1e-12)


def test_ndcg_large_input_matches_sklearn_dense_matrix():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, (300, 40))
    scores = np.round(labels + rng.normal(scale=2, size=(300, 40)), 1)
    group = np.repeat(np.arange(300), 40)
    order = rng.permutation(labels.size)
    got = ndcg_at_k(labels.ravel()[order], scores.ravel()[order], 10, group[order])
    assert got == pytest.approx(ndcg_score(2.0**labels - 1, scores, k=10), abs=1e-12)


@pytest.mark.parametrize("ties", ["untied", "rounded"])
@pytest.mark.parametrize("grades", ["whole", "halves"])
def test_ndcg_shuffled_sparse_ids_matches_sklearn_dense_matrix(ties, grades):
    """The flat layout with shuffled rows and sparse ids against ndcg_score on the matrix:
    untied float scores (one sort of the top-k region, every block a single row) and rounded
    ones (tie blocks); whole grades (a query x grade table for the ideal DCG) and half grades
    (the ideal DCG through the sort path too)."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 5, (400, 30)) / (2 if grades == "halves" else 1)
    scores = labels + rng.normal(scale=2, size=labels.shape)
    if ties == "rounded":
        scores = np.round(scores)
    group = np.repeat(rng.choice(10**6, 400, replace=False), 30)
    order = rng.permutation(labels.size)
    for k in (1, 10, 30):
        got = ndcg_at_k(
            labels.ravel()[order], scores.ravel()[order], k, group[order], gain="linear"
        )
        assert got == pytest.approx(ndcg_score(labels, scores, k=k), abs=1e-12)


def test_more_queries_than_a_16_bit_code_gives_the_same_values():
    """Above 65,536 queries the sort by query code can no longer use 16-bit codes; the values
    equal those computed on each half of the queries separately."""
    rng = np.random.default_rng(2)
    n_queries = 70_000
    group = np.repeat(np.arange(n_queries), 3)
    y_true = rng.integers(0, 3, group.size)
    y_score = np.round(rng.normal(size=group.size), 1)
    whole = ndcg_at_k(y_true, y_score, 2, group, per_query=True).to_numpy()
    half = group < n_queries // 2
    parts = [
        ndcg_at_k(y_true[m], y_score[m], 2, group[m], per_query=True).to_numpy()
        for m in (half, ~half)
    ]
    np.testing.assert_allclose(whole, np.concatenate(parts), rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------------------------
# Exact tie averaging: brute force over every order of tied documents


@settings(max_examples=150, deadline=None)
@given(tiny_list())
def test_every_metric_is_the_exact_average_over_tie_orders(case):
    y_true, y_score, k = case
    expected = brute_force(y_true, y_score, k)
    got = ours(y_true, y_score, k)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-12, abs=1e-12), name


@SETTINGS
@given(st.lists(tiny_list(), min_size=1, max_size=4), st.integers(0, 2**32 - 1))
def test_per_query_values_are_the_brute_force_of_each_query(lists, seed):
    k = lists[0][2]
    y_true = np.concatenate([t for t, _, _ in lists])
    y_score = np.concatenate([s for _, s, _ in lists]) * 0.5  # hashed, region-filtered keys
    group = np.repeat([f"q{i}" for i in range(len(lists))], [len(t) for t, _, _ in lists])
    order = np.random.default_rng(seed).permutation(len(y_true))
    got = ours(y_true[order], y_score[order], k, group[order], per_query=True)
    for i, q in enumerate(np.unique(group)):
        expected = brute_force(y_true[group == q], y_score[group == q], k)
        for name, value in expected.items():
            assert got[name][q] == pytest.approx(value, rel=1e-12, abs=1e-12), (name, i)


def test_mrr_tie_block_expectation_by_hand():
    # 4 tied documents, 2 relevant: the first relevant is at rank 1, 2, 3 with probability
    # 3/6, 2/6, 1/6, so E[1/rank] = 1/2 + 1/6 + 1/18 = 13/18
    assert mrr([1, 0, 1, 0], [5, 5, 5, 5]) == pytest.approx(13 / 18, rel=1e-14)
    # behind one irrelevant document with a higher score, ranks shift by one
    assert mrr([0, 1, 0, 1, 0], [9, 5, 5, 5, 5]) == pytest.approx(
        3 / 6 / 2 + 2 / 6 / 3 + 1 / 6 / 4, rel=1e-14
    )
    # @2: only rank 2 can score
    assert mrr([0, 1, 0, 1, 0], [9, 5, 5, 5, 5], k=2) == pytest.approx(3 / 6 / 2, rel=1e-14)


def test_two_tied_documents_by_hand():
    y_true, y_score = [1, 0], [0.5, 0.5]
    assert ndcg_at_k(y_true, y_score, 1) == 0.5
    assert precision_at_k(y_true, y_score, 1) == 0.5
    assert recall_at_k(y_true, y_score, 1) == 0.5
    assert mrr(y_true, y_score) == 0.75
    assert map_at_k(y_true, y_score, 2) == 0.75


def test_tie_block_cut_by_k_takes_its_expected_share():
    # ranks 2..4 tied; k = 3 cuts the block: each tied document is in the top 3 w.p. 2/3
    y_true, y_score = [0, 1, 0, 0], [9, 1, 1, 1]
    expected_dcg = (1 / math.log2(3) + 1 / math.log2(4)) / 3
    assert dcg_at_k(y_true, y_score, 3) == pytest.approx(expected_dcg, rel=1e-14)
    assert precision_at_k(y_true, y_score, 3) == pytest.approx((2 / 3) / 3, rel=1e-14)
    assert recall_at_k(y_true, y_score, 3) == pytest.approx(2 / 3, rel=1e-14)


# ----------------------------------------------------------------------------------------------
# Hand-computed values without ties


def test_dcg_and_ndcg_by_hand():
    y_true, y_score = [3, 2, 3, 0, 1, 2], [6, 5, 4, 3, 2, 1]
    discount = [1 / math.log2(i + 1) for i in range(1, 7)]
    linear = sum(r * d for r, d in zip([3, 2, 3, 0, 1, 2], discount, strict=True))
    ideal = sum(r * d for r, d in zip([3, 3, 2, 2, 1, 0], discount, strict=True))
    assert dcg_at_k(y_true, y_score, 6, gain="linear") == pytest.approx(linear, rel=1e-14)
    assert ndcg_at_k(y_true, y_score, 6, gain="linear") == pytest.approx(linear / ideal)
    exponential = 7 + 3 / math.log2(3) + 7 / 2
    ideal_exp = 7 + 7 / math.log2(3) + 3 / 2
    assert dcg_at_k(y_true, y_score, 3) == pytest.approx(exponential, rel=1e-14)
    assert ndcg_at_k(y_true, y_score, 3) == pytest.approx(exponential / ideal_exp, rel=1e-14)


def test_binary_metrics_count_graded_labels_once():
    # the reference snippet would give P@1 = 3 and recall 3/5
    assert precision_at_k([3, 0, 2], [3, 2, 1], 1) == 1.0
    assert recall_at_k([3, 0, 2], [3, 2, 1], 1) == 0.5
    # and its MRR looks for label == 1 only, missing grade 2
    assert mrr([0, 2, 1], [3, 2, 1]) == 0.5


def test_map_normaliser_is_min_of_relevant_and_k():
    y_true, y_score = [1, 1, 0, 1], [4, 3, 2, 1]
    assert map_at_k(y_true, y_score, 2) == 1.0  # (1 + 1) / min(3, 2)
    assert map_at_k(y_true, y_score, 3) == pytest.approx((1 + 1) / 3)
    assert map_at_k(y_true, y_score, 4) == pytest.approx((1 + 1 + 3 / 4) / 3)


def test_k_longer_than_the_list_uses_the_whole_list():
    y_true, y_score = [1, 1, 0], [3, 2, 1]
    assert precision_at_k(y_true, y_score, 10) == pytest.approx(2 / 10)  # trec_eval's P@10
    assert precision_at_k(y_true, y_score, 10, denominator="retrieved") == pytest.approx(2 / 3)
    assert recall_at_k(y_true, y_score, 10) == 1.0
    assert ndcg_at_k(y_true, y_score, 10) == 1.0
    for metric in (dcg_at_k, ndcg_at_k, recall_at_k, map_at_k):
        assert metric(y_true, y_score, 10) == metric(y_true, y_score, 3)


def test_mrr_cut_at_k_scores_zero_beyond_k():
    assert mrr([0, 0, 1], [3, 2, 1]) == pytest.approx(1 / 3)
    assert mrr([0, 0, 1], [3, 2, 1], k=2) == 0.0
    assert mrr([0, 0, 1], [3, 2, 1], k=3) == pytest.approx(1 / 3)


def test_negative_zero_ties_with_zero():
    assert mrr([1, 0], [-0.0, 0.0]) == 0.75
    assert mrr([1, 0, 0], [-0.0, 0.0, 0.5]) == pytest.approx((1 / 2 + 1 / 3) / 2)


def test_single_document_queries():
    assert ndcg_at_k([2], [0.3], 1) == 1.0
    assert precision_at_k([0], [0.3], 5) == 0.0
    assert mrr([1], [0.3]) == 1.0
    assert map_at_k([1], [0.3], 1) == 1.0


# ----------------------------------------------------------------------------------------------
# Independence from the input layout and from the internal code paths


@SETTINGS
@given(many_queries(min_size=1), st.integers(0, 2**32 - 1))
def test_metrics_do_not_depend_on_row_order_or_query_names(case, seed):
    y_true, y_score, group, k = case
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y_true))
    ids = np.unique(group)
    renamed = dict(zip(ids, [f"query-{i:03d}" for i in range(len(ids))], strict=True))
    new_group = np.array([renamed[q] for q in group[order]])
    before = ours(y_true, y_score, k, group, per_query=True)
    after = ours(y_true[order], y_score[order], k, new_group, per_query=True)
    for name in before:
        np.testing.assert_allclose(
            after[name].to_numpy(), before[name].to_numpy(), rtol=1e-12, atol=1e-15
        )
        assert list(after[name].index) == sorted(renamed.values())


@pytest.mark.parametrize("path", ["sorted blocks", "no top-k region", "no whole-number levels"])
def test_internal_code_paths_agree(monkeypatch, path):
    rng = np.random.default_rng(3)
    sizes = rng.integers(1, 60, 40)
    group = rng.permutation(np.repeat(np.arange(40) * 7, sizes))
    y_true = rng.integers(0, 4, sizes.sum())
    y_score = rng.integers(0, 12, sizes.sum()) / 4
    expected = {k: ours(y_true, y_score, k, group, per_query=True) for k in (1, 5, 100)}
    if path == "sorted blocks":
        monkeypatch.setattr(ranking, "_DENSE_CELLS_PER_ROW", 0)
    elif path == "no top-k region":
        monkeypatch.setattr(ranking, "_top_k_region", lambda rows, key, k: None)
    else:
        monkeypatch.setattr(ranking, "_few_whole_levels", lambda key: None)
    for k, values in expected.items():
        got = ours(y_true, y_score, k, group, per_query=True)
        for name in values:
            np.testing.assert_allclose(got[name], values[name], rtol=1e-12, atol=1e-15)


def test_group_none_is_one_query_and_integer_ids_keep_their_dtype():
    y_true, y_score = [1, 0, 2, 0], [0.1, 0.4, 0.3, 0.2]
    series = ndcg_at_k(y_true, y_score, 3, per_query=True)
    assert list(series.index) == [0] and series.index.name == "query"
    assert series.name == "ndcg@3"
    assert ndcg_at_k(y_true, y_score, 3) == ndcg_at_k(y_true, y_score, 3, group=[7, 7, 7, 7])
    grouped = mrr(y_true, y_score, np.array([5, 2, 5, 2], dtype=np.uint8), per_query=True)
    assert list(grouped.index) == [2, 5] and grouped.index.dtype == np.uint8
    assert grouped.name == "mrr"


def test_huge_and_sparse_query_ids():
    y_true, y_score = [1, 0, 0, 1], [0.9, 0.1, 0.9, 0.1]
    got = mrr(y_true, y_score, [10**15, 10**15, -3, -3], per_query=True)
    assert list(got.index) == [-3, 10**15]
    assert got.tolist() == [0.5, 1.0]


# ----------------------------------------------------------------------------------------------
# Queries without a relevant document


@pytest.mark.parametrize(
    "metric",
    [ndcg_at_k, precision_at_k, recall_at_k, map_at_k, lambda *a, **kw: mrr(*a[:2], a[3], **kw)],
    ids=["ndcg", "precision", "recall", "map", "mrr"],
)
def test_empty_query_conventions(metric):
    y_true = [1, 0, 0, 0, 0]
    y_score = [0.9, 0.1, 0.5, 0.4, 0.3]
    group = ["a", "a", "b", "b", "b"]
    k = 1
    assert metric(y_true, y_score, k, group) == 0.5
    assert metric(y_true, y_score, k, group, empty_query=1.0) == 1.0
    assert metric(y_true, y_score, k, group, empty_query="skip") == 1.0
    per_query = metric(y_true, y_score, k, group, empty_query="skip", per_query=True)
    assert per_query["a"] == 1.0 and np.isnan(per_query["b"])
    all_empty = [0, 0, 0, 0, 0]
    with pytest.raises(ValueError, match="nothing to average"):
        metric(all_empty, y_score, k, group, empty_query="skip")
    assert metric(all_empty, y_score, k, group, empty_query="skip", per_query=True).isna().all()


def test_empty_query_conventions_match_xgboost():
    xgb = pytest.importorskip("xgboost")
    rng = np.random.default_rng(1)
    qid = np.repeat(np.arange(6), 8)
    y_true = rng.integers(0, 4, 48).astype(float)
    y_true[qid == 2] = 0
    margin = rng.normal(size=48).astype(np.float32).astype(np.float64)  # no ties
    features = rng.normal(size=(48, 3))

    def xgboost_metrics(labels, objective, metrics):
        data = xgb.DMatrix(features, label=labels, qid=qid, base_margin=margin)
        booster = xgb.train(
            {"objective": objective, "eval_metric": metrics}, data, num_boost_round=0
        )
        report = booster.eval(data).split()[1:]
        return [float(item.split(":")[1]) for item in report]

    ndcg5, ndcg5_minus = xgboost_metrics(y_true, "rank:ndcg", ["ndcg@5", "ndcg@5-"])
    assert ndcg_at_k(y_true, margin, 5, qid, empty_query=1.0) == pytest.approx(ndcg5, rel=1e-6)
    assert ndcg_at_k(y_true, margin, 5, qid) == pytest.approx(ndcg5_minus, rel=1e-6)
    binary = (y_true > 1).astype(float)
    map3, map3_minus = xgboost_metrics(binary, "rank:map", ["map@3", "map@3-"])
    assert map_at_k(binary, margin, 3, qid, empty_query=1.0) == pytest.approx(map3, rel=1e-6)
    assert map_at_k(binary, margin, 3, qid) == pytest.approx(map3_minus, rel=1e-6)


def test_sklearn_scores_all_irrelevant_query_zero_like_the_default():
    y_true, y_score = [0, 0, 0], [0.3, 0.2, 0.1]
    assert ndcg_at_k(y_true, y_score, 2) == ndcg_score([y_true], [y_score], k=2) == 0.0


# ----------------------------------------------------------------------------------------------
# Bad input


ALL_METRICS = {
    "dcg": lambda t, s, **kw: dcg_at_k(t, s, 3, **kw),
    "ndcg": lambda t, s, **kw: ndcg_at_k(t, s, 3, **kw),
    "precision": lambda t, s, **kw: precision_at_k(t, s, 3, **kw),
    "recall": lambda t, s, **kw: recall_at_k(t, s, 3, **kw),
    "map": lambda t, s, **kw: map_at_k(t, s, 3, **kw),
    "mrr": lambda t, s, **kw: mrr(t, s, **kw),
}


@pytest.mark.parametrize("name", sorted(ALL_METRICS))
@pytest.mark.parametrize(
    ("y_true", "y_score", "kwargs", "match"),
    [
        ([1, 0], [0.1, 0.2, 0.3], {}, "length mismatch"),
        ([1, 0], [0.1, 0.2], {"group": [1, 1, 2]}, "length mismatch"),
        ([1, np.nan], [0.1, 0.2], {}, "NaN"),
        ([1, 0], [0.1, np.inf], {}, "NaN or infinite"),
        ([], [], {}, "empty"),
        ([1, -1], [0.1, 0.2], {}, "non-negative"),
        ([[1, 0]], [[0.1, 0.2]], {}, "1-D"),
        ([1, 0], [0.1, 0.2], {"group": [[1, 1]]}, "group must be 1-D"),
        ([1, 0], [0.1, 0.2], {"group": ["a", None]}, "missing query id"),
        ([1, 0], [0.1, 0.2], {"group": [1.0, np.nan]}, "missing query id"),
        ([1, 0], [0.1, 0.2], {"group": np.array([1, "1"], dtype=object)}, "mixes types"),
        (["a", "b"], [0.1, 0.2], {}, "numbers"),
    ],
)
def test_bad_input_raises(name, y_true, y_score, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ALL_METRICS[name](y_true, y_score, **kwargs)


@pytest.mark.parametrize("k", [0, -2, 1.5, 2.0, True, "3", None])
@pytest.mark.parametrize("metric", [dcg_at_k, ndcg_at_k, precision_at_k, recall_at_k, map_at_k])
def test_bad_k_raises(metric, k):
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        metric([1, 0], [0.2, 0.1], k)


@pytest.mark.parametrize("k", [0, 1.5, True])
def test_bad_mrr_k_raises(k):
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        mrr([1, 0], [0.2, 0.1], k=k)


@pytest.mark.parametrize("empty_query", [-0.1, 1.5, np.nan, True, "zero", None])
def test_bad_empty_query_raises(empty_query):
    with pytest.raises(ValueError, match="empty_query"):
        ndcg_at_k([1, 0], [0.2, 0.1], 1, empty_query=empty_query)


def test_bad_gain_and_overflowing_exponential_gain_raise():
    with pytest.raises(ValueError, match="gain must be one of"):
        ndcg_at_k([1, 0], [0.2, 0.1], 1, gain="log")
    with pytest.raises(ValueError, match="gain='linear'"):
        ndcg_at_k([2000, 0], [0.2, 0.1], 1)
    assert ndcg_at_k([2000, 0], [0.2, 0.1], 1, gain="linear") == 1.0


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        ndcg_at_k([1, 0], [0.2, 0.1], 1, None, "linear")
    with pytest.raises(TypeError):
        mrr([1, 0], [0.2, 0.1], None, 1)


def test_accepts_pandas_and_boolean_inputs():
    frame = pd.DataFrame(
        {"clicked": [True, False, False, True], "score": [0.2, 0.9, 0.3, 0.1], "q": list("aabb")}
    )
    got = mrr(frame["clicked"], frame["score"], frame["q"], per_query=True)
    assert got.to_dict() == {"a": 0.5, "b": 0.5}


# ----------------------------------------------------------------------------------------------
# Against an independent evaluator: trec_eval's measures (pytrec_eval), on runs without ties


@pytest.mark.parametrize("seed", range(20))
def test_metrics_equal_trec_eval_on_tie_free_runs(seed):
    """trec_eval's P_k, recall_k, ndcg_cut_k (linear gain), recip_rank and map.

    Conventions where trec_eval differs, and how the test lines them up: trec_eval breaks ties
    by document id (here: no ties); it averages over queries that have a relevant document
    (here: compared per query, on those queries); its ``map`` divides by all relevant documents R,
    ours by min(R, K) (here: K = the longest list, so the two coincide); its NDCG gain is the
    grade itself (``gain="linear"``).
    """
    import pytrec_eval  # in the test extra: a missing install must fail, not skip

    rng = np.random.default_rng(seed)
    group = rng.integers(0, 12, 150)
    y_true = rng.integers(0, 4, 150) * (rng.random(150) < 0.4)
    y_score = rng.permutation(150) / 150.0  # distinct scores: no ties
    qrels, run = {}, {}
    for row, (q, rel, score) in enumerate(zip(group, y_true, y_score, strict=True)):
        qrels.setdefault(f"q{q}", {})[f"d{row}"] = int(rel)
        run.setdefault(f"q{q}", {})[f"d{row}"] = float(score)
    k = 5
    longest = int(np.bincount(group).max())
    measures = {f"P_{k}", f"recall_{k}", f"ndcg_cut_{k}", "recip_rank", "map"}
    trec = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    ours = {
        f"P_{k}": precision_at_k(y_true, y_score, k, group, per_query=True),
        f"recall_{k}": recall_at_k(y_true, y_score, k, group, per_query=True),
        f"ndcg_cut_{k}": ndcg_at_k(y_true, y_score, k, group, gain="linear", per_query=True),
        "recip_rank": mrr(y_true, y_score, group, per_query=True),
        "map": map_at_k(y_true, y_score, longest, group, per_query=True),
    }
    with_relevant = [q for q in np.unique(group) if y_true[group == q].max() > 0]
    assert len(with_relevant) >= 5
    for measure, values in ours.items():
        for q in with_relevant:
            assert values[q] == pytest.approx(trec[f"q{q}"][measure], abs=1e-12), (measure, q)
