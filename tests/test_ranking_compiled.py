"""The compiled DCG/NDCG loop (mlref.metrics._ranking_kernels) against the NumPy path and sklearn.

``ndcg_at_k`` and ``dcg_at_k`` take the compiled loop when :func:`mlref._compiled.compiled_enabled`
and the NumPy reference inside :func:`mlref._compiled.numpy_only`. Both add each query's tie
blocks in decreasing key order with the same discount table and the same float operations, so:

* **untied scores, or whole-number grades** (whose gains are whole numbers, summed exactly in
  any order): the two paths are compared bit for bit;
* **ties among fractional grades**: the gains of a tie block are summed in input order by the
  loop and in ``argsort`` order by NumPy; float addition is not associative, so the two may
  differ in the last bits of a block's sum (at most ``(m - 1)`` roundings of a sum of ``m``
  positive gains, i.e. about ``m * 1.1e-16`` relative). There the comparison is 1e-15 relative
  per query for blocks of a few rows, and ``m * 1.1e-16`` for the 50-row blocks below.

Both are also compared with ``sklearn.metrics.ndcg_score`` / ``dcg_score`` (exponential gain =
sklearn's linear gain applied to ``2**rel - 1``) on random inputs.
"""

import os

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import dcg_score, ndcg_score

from mlref._compiled import compiled_enabled, numpy_only
from mlref.metrics import _ranking_kernels, ranking
from mlref.metrics.ranking import dcg_at_k, ndcg_at_k

GAIN = {"exponential": lambda rel: 2.0**rel - 1.0, "linear": lambda rel: rel}
EMPTY_QUERY = [0.0, 1.0, 0.25, "skip"]


@pytest.fixture(autouse=True)
def _compiled_loop_available():
    if os.environ.get("MLREF_NUMBA", "1") == "0":
        pytest.skip("MLREF_NUMBA=0 switches the compiled loop off")
    # numba is an install dependency: without it these tests would compare NumPy with itself
    assert compiled_enabled(), "numba is missing: the compiled path cannot be tested"


def both_paths(metric, *args, **kwargs):
    """(compiled value, NumPy value) of ``metric(*args, **kwargs)``, per-query as arrays."""
    compiled = metric(*args, **kwargs)
    with numpy_only():
        reference = metric(*args, **kwargs)
    if isinstance(compiled, pd.Series):
        pd.testing.assert_index_equal(compiled.index, reference.index)
        assert compiled.name == reference.name
        return compiled.to_numpy(), reference.to_numpy()
    return compiled, reference


def flat_queries(seed, sizes, *, ties=False, grades="whole", ids="sparse"):
    """Shuffled flat rows of queries of the given sizes: labels, scores, group.

    ``ties``: scores rounded to whole numbers (blocks of several rows); ``grades``: "whole"
    (0-4), "halves" (0-2 in steps of 0.5) or "continuous" (uniform 0-3, every label distinct);
    ``ids``: "sparse" ints spread over 0..10**9, or "strings".
    """
    rng = np.random.default_rng(seed)
    n = int(np.sum(sizes))
    if grades == "whole":
        y_true = rng.integers(0, 5, n).astype(float)
    elif grades == "halves":
        y_true = rng.integers(0, 5, n) / 2
    else:
        y_true = rng.uniform(0, 3, n)
    y_true[rng.random(n) < 0.3] = 0
    y_score = y_true + rng.normal(scale=1.5, size=n)
    if ties:
        y_score = np.round(y_score)
    query_ids = rng.choice(10**9, len(sizes), replace=False)
    if ids == "strings":
        query_ids = np.array([f"q{i:09d}" for i in query_ids])
    group = np.repeat(query_ids, sizes)
    order = rng.permutation(n)
    return y_true[order], y_score[order], group[order]


def sklearn_per_query(y_true, y_score, group, k, gain, *, dcg=False):
    """``ndcg_score`` (or ``dcg_score``) of each query, by sorted query id. A one-document
    query, which sklearn refuses, scores 1 if its document is relevant, else 0 (DCG: its
    gain)."""
    g = GAIN[gain]
    values = []
    for q in np.unique(group):
        rows = group == q
        gains, scores = g(y_true[rows]), y_score[rows]
        if dcg:
            values.append(dcg_score([gains], [scores], k=k) if rows.sum() > 1 else gains[0])
        elif rows.sum() == 1:
            values.append(1.0 if gains[0] > 0 else 0.0)
        else:
            values.append(ndcg_score([gains], [scores], k=k))
    return np.array(values)


# ----------------------------------------------------------------------------------------------
# Which path runs


def test_ndcg_and_dcg_take_the_compiled_loop_unless_numpy_only(monkeypatch):
    y_true, y_score, group = flat_queries(0, [5, 8, 3])
    compiled = ndcg_at_k(y_true, y_score, 3, group, per_query=True)

    def no_numpy(*args, **kwargs):
        raise AssertionError("the NumPy path ran")

    def no_loop(*args, **kwargs):
        raise AssertionError("the compiled loop ran")

    with monkeypatch.context() as patch:
        patch.setattr(ranking, "_per_query_dcg", no_numpy)
        patch.setattr(ranking, "_per_query_ideal_dcg", no_numpy)
        ndcg_at_k(y_true, y_score, 3, group)
        dcg_at_k(y_true, y_score, 3, group)
    with monkeypatch.context() as patch, numpy_only():
        patch.setattr(_ranking_kernels, "top_k_dcg", no_loop)
        reference = ndcg_at_k(y_true, y_score, 3, group, per_query=True)
        dcg_at_k(y_true, y_score, 3, group)
    pd.testing.assert_series_equal(compiled, reference, check_exact=True)


# ----------------------------------------------------------------------------------------------
# Hand-built tie cases: a loop that averages ties wrongly fails these


def _discount(rank):
    return 1.0 / np.log2(rank + 1.0)


def test_tie_block_straddling_k_shares_its_mean_discount():
    """One query of 100 documents: 5 distinct top scores, then a block of 20 tied documents at
    ranks 6-25 cut by k = 10, then 75 lower scores; a second query without ties. The block's
    gains are spread evenly over its 20 ranks, of which ranks 6-10 count."""
    rng = np.random.default_rng(4)
    top = np.array([3.0, 0.0, 2.0, 1.0, 4.0])
    tied = rng.integers(0, 5, 20).astype(float)
    rest = rng.integers(0, 5, 75).astype(float)
    labels = np.concatenate([top, tied, rest])
    scores = np.concatenate([10.0 - np.arange(5), np.full(20, 4.5), rng.uniform(-5, 4, 75)])
    other_labels, other_scores = np.array([1.0, 0.0, 2.0]), np.array([0.3, 0.2, 0.1])

    gains = 2.0**labels - 1
    tied_share = sum(_discount(r) for r in range(6, 11)) / 20
    expected_dcg = sum(gains[i] * _discount(i + 1) for i in range(5)) + gains[5:25].sum() * (
        tied_share
    )
    ideal = np.sort(gains)[::-1]
    expected = expected_dcg / sum(ideal[i] * _discount(i + 1) for i in range(10))
    other = (1 + 3 * _discount(3)) / (3 + _discount(2))
    assert expected == pytest.approx(ndcg_score([gains], [scores], k=10), rel=1e-13)

    y_true = np.concatenate([labels, other_labels])
    y_score = np.concatenate([scores, other_scores])
    group = np.repeat(["big", "small"], [100, 3])
    order = rng.permutation(len(y_true))
    args = y_true[order], y_score[order], 10, group[order]
    compiled, reference = both_paths(ndcg_at_k, *args, per_query=True)
    np.testing.assert_array_equal(compiled, reference)  # whole grades: bit-identical
    np.testing.assert_allclose(compiled, [expected, other], rtol=1e-13)
    compiled_dcg, _ = both_paths(dcg_at_k, *args, per_query=True)
    assert compiled_dcg[0] == pytest.approx(expected_dcg, rel=1e-13)


def test_small_tie_cut_by_k_by_hand():
    """Three tied documents at ranks 1-3 with k = 2: the grade-3 document is at rank 1 or 2
    with probability 1/3 each (rank 3 counts 0); the ideal puts it first, then the grade 1."""
    y_true, y_score = [3, 0, 0, 1], [0.5, 0.5, 0.5, 0.2]
    dcg = 7 * (1 + _discount(2)) / 3
    ideal = 7 + _discount(2)
    for value in both_paths(ndcg_at_k, y_true, y_score, 2):
        assert value == pytest.approx(dcg / ideal, rel=1e-15)
    assert both_paths(dcg_at_k, y_true, y_score, 2)[0] == pytest.approx(dcg, rel=1e-15)


def test_ideal_dcg_with_tied_labels_beyond_k():
    """30 documents of grade 1 and 10 of grade 2, k = 15: the ideal holds the ten 2s, then five
    1s of the tied block (whose other 25 ranks fall beyond k)."""
    y_true = np.r_[np.ones(30), np.full(10, 2.0)]
    y_score = np.arange(40.0)[::-1]  # the grade-1 documents first: a bad ranking
    dcg = sum(_discount(r) for r in range(1, 16))
    ideal = 3 * sum(_discount(r) for r in range(1, 11)) + sum(_discount(r) for r in range(11, 16))
    compiled, reference = both_paths(ndcg_at_k, y_true, y_score, 15)
    assert compiled == reference == pytest.approx(dcg / ideal, rel=1e-14)


# ----------------------------------------------------------------------------------------------
# Random inputs against the NumPy path and scikit-learn


@pytest.mark.parametrize("ids", ["sparse", "strings"])
@pytest.mark.parametrize("grades", ["whole", "halves", "continuous"])
@pytest.mark.parametrize("ties", [False, True], ids=["untied", "tied"])
def test_ragged_queries_match_numpy_path_and_sklearn(ties, grades, ids):
    """Queries of 1-40 documents (single-document queries and lists shorter than k included),
    shuffled rows, k = 1, 10, 30, both gains, per query and averaged."""
    rng = np.random.default_rng([ties, ["whole", "halves", "continuous"].index(grades), len(ids)])
    sizes = rng.integers(1, 41, 150)
    sizes[:10] = 1
    y_true, y_score, group = flat_queries(rng, sizes, ties=ties, grades=grades, ids=ids)
    exact = not ties or grades == "whole"
    for k in (1, 10, 30):
        for gain in GAIN:
            args = y_true, y_score, k, group
            compiled, reference = both_paths(ndcg_at_k, *args, gain=gain, per_query=True)
            if exact:
                np.testing.assert_array_equal(compiled, reference)
            else:  # tied fractional gains: summation order within a block (module docstring)
                np.testing.assert_allclose(compiled, reference, rtol=1e-15, atol=0)
            expected = sklearn_per_query(y_true, y_score, group, k, gain)
            np.testing.assert_allclose(compiled, expected, rtol=1e-12, atol=1e-12)
            mean, mean_reference = both_paths(ndcg_at_k, *args, gain=gain)
            assert mean == pytest.approx(mean_reference, rel=1e-15)
            assert mean == pytest.approx(np.mean(expected), rel=1e-12)

            dcg, dcg_reference = both_paths(dcg_at_k, *args, gain=gain, per_query=True)
            np.testing.assert_allclose(dcg, dcg_reference, rtol=0 if exact else 1e-15, atol=0)
            expected_dcg = sklearn_per_query(y_true, y_score, group, k, gain, dcg=True)
            np.testing.assert_allclose(dcg, expected_dcg, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("grades", ["whole", "continuous"])
def test_matrix_workload_bit_identical_and_equal_to_sklearn(grades):
    """The benchmark's layout at a smaller size: 2,000 queries x 100 documents, untied scores,
    shuffled rows, sparse ids; the matrix goes to ``ndcg_score`` as is."""
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 5, (2000, 100)).astype(float)
    if grades == "continuous":
        labels = labels + rng.uniform(0, 0.5, labels.shape)
    scores = labels + rng.normal(scale=2.0, size=labels.shape)
    group = np.repeat(rng.choice(10**6, 2000, replace=False), 100)
    order = rng.permutation(labels.size)
    flat = labels.ravel()[order], scores.ravel()[order]
    for k in (1, 10, 30, 100, 250):
        compiled, reference = both_paths(ndcg_at_k, *flat, k, group[order], per_query=True)
        np.testing.assert_array_equal(compiled, reference)
        expected = ndcg_score(2.0**labels - 1, scores, k=k, ignore_ties=True)  # no ties
        assert compiled.mean() == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("empty_query", EMPTY_QUERY)
def test_queries_without_relevant_documents(empty_query):
    rng = np.random.default_rng(8)
    sizes = rng.integers(1, 25, 60)
    y_true, y_score, group = flat_queries(9, sizes)
    empty_ids = np.unique(group)[::3]
    y_true[np.isin(group, empty_ids)] = 0
    for k in (1, 10):
        compiled, reference = both_paths(
            ndcg_at_k, y_true, y_score, k, group, per_query=True, empty_query=empty_query
        )
        np.testing.assert_array_equal(compiled, reference)  # NaNs in the same places too
        expected = sklearn_per_query(y_true, y_score, group, k, "exponential")  # 0 when empty
        empty = pd.Series(y_true).groupby(group).max().to_numpy() == 0  # by sorted id
        assert empty.sum() > len(empty_ids) // 2
        expected[empty] = np.nan if empty_query == "skip" else empty_query
        np.testing.assert_allclose(compiled, expected, rtol=1e-12, atol=1e-12)
        mean, mean_reference = both_paths(
            ndcg_at_k, y_true, y_score, k, group, empty_query=empty_query
        )
        assert mean == mean_reference == pytest.approx(np.nanmean(expected), rel=1e-12)
    all_empty = np.zeros_like(y_true)
    if empty_query == "skip":
        with pytest.raises(ValueError, match="nothing to average"):
            ndcg_at_k(all_empty, y_score, 5, group, empty_query="skip")
        with numpy_only(), pytest.raises(ValueError, match="nothing to average"):
            ndcg_at_k(all_empty, y_score, 5, group, empty_query="skip")
    else:
        values = both_paths(ndcg_at_k, all_empty, y_score, 5, group, empty_query=empty_query)
        assert values == (empty_query, empty_query)


def test_more_than_65536_queries():
    """70,000 queries of 1-5 documents (the NumPy path switches from 16-bit query codes there):
    rounded scores and whole grades bit for bit against NumPy, untied ones against sklearn."""
    rng = np.random.default_rng(10)
    sizes = rng.integers(1, 6, 70_000)
    y_true, y_score, group = flat_queries(rng, sizes, ties=True)
    compiled, reference = both_paths(ndcg_at_k, y_true, y_score, 3, group, per_query=True)
    np.testing.assert_array_equal(compiled, reference)

    labels = rng.integers(0, 4, (70_000, 3)).astype(float)
    scores = rng.normal(size=labels.shape)
    ids = rng.choice(10**8, 70_000, replace=False)
    order = rng.permutation(labels.size)
    args = labels.ravel()[order], scores.ravel()[order], 2, np.repeat(ids, 3)[order]
    compiled, reference = both_paths(ndcg_at_k, *args, gain="linear")
    assert compiled == reference
    assert compiled == pytest.approx(ndcg_score(labels, scores, k=2, ignore_ties=True), rel=1e-13)


def test_long_tie_blocks_and_degenerate_key_ranges():
    """Blocks longer than the insertion sort's limit (a segment sorted by ``np.argsort``), all
    scores equal (one bin), a score range that overflows (one bin), labels all equal, and
    fractional grades tied in 50-row blocks (the summation-order bound of the docstring)."""
    rng = np.random.default_rng(11)
    n = 400
    group = np.repeat([3, 1, 2, 0], n // 4)
    grades = rng.integers(0, 4, n).astype(float)
    fractional = rng.uniform(0, 3, n)
    cases = {
        "long blocks": (grades, rng.integers(0, 2, n).astype(float)),
        "all equal": (grades, np.full(n, 2.5)),
        "overflowing range": (grades, rng.choice([-1e308, 0.0, 1e308], n)),
        "equal labels": (np.ones(n), rng.normal(size=n)),
        "fractional 50-row blocks": (fractional, np.repeat(np.arange(8.0), 50)[rng.permutation(n)]),
    }
    for name, (y_true, y_score) in cases.items():
        for k in (1, 10, 60, 1000):
            compiled, reference = both_paths(ndcg_at_k, y_true, y_score, k, group, per_query=True)
            rtol = 50 * 1.1e-16 if name.startswith("fractional") else 0
            np.testing.assert_allclose(compiled, reference, rtol=rtol, atol=0, err_msg=name)
            if name != "overflowing range":  # sklearn's discounted sums overflow there
                expected = sklearn_per_query(y_true, y_score, group, k, "linear")
                got = ndcg_at_k(y_true, y_score, k, group, per_query=True, gain="linear")
                np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("path", ["sorted blocks", "no top-k region", "no whole-number levels"])
def test_numpy_internal_paths_agree_with_the_loop(monkeypatch, path):
    """The NumPy path's internal branches (dense level table, region filter, sort) each equal the
    compiled loop; ``tests/test_metrics_ranking.py`` checks the other metrics' branches."""
    y_true, y_score, group = flat_queries(12, np.random.default_rng(12).integers(1, 60, 40))
    y_score = np.round(y_score * 4) / 4
    expected = {k: ndcg_at_k(y_true, y_score, k, group, per_query=True) for k in (1, 5, 100)}
    if path == "sorted blocks":
        monkeypatch.setattr(ranking, "_DENSE_CELLS_PER_ROW", 0)
    elif path == "no top-k region":
        monkeypatch.setattr(ranking, "_top_k_region", lambda rows, key, k: None)
    else:
        monkeypatch.setattr(ranking, "_few_whole_levels", lambda key: None)
    with numpy_only():
        for k, values in expected.items():
            got = ndcg_at_k(y_true, y_score, k, group, per_query=True)
            pd.testing.assert_series_equal(got, values, check_exact=True)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint64])
def test_narrow_and_unsigned_integer_ids_code_like_int64(dtype):
    """Dense integer ids are coded through ``ids - min``, which used to overflow in the ids'
    own type (int8 ids from -100 to 100: 200 wrapped to -56 and merged or broke queries)."""
    rng = np.random.default_rng(13)
    top = int(np.iinfo(dtype).max)
    values = [-100, -97, 98, 100] if np.iinfo(dtype).min < 0 else [top - 200, top - 197, top]
    values = np.array(values, dtype=dtype)
    ids = np.repeat(values, 80)[rng.permutation(80 * len(values))]  # span 200: dense-id branch
    y_true = rng.integers(0, 3, len(ids))
    y_score = rng.normal(size=len(ids))
    rank_of_id = np.searchsorted(values, ids)  # 0, 1, ... in the same order, as int64
    for metric in (ndcg_at_k, ranking.precision_at_k, ranking.map_at_k):
        narrow = metric(y_true, y_score, 5, ids, per_query=True)
        wide = metric(y_true, y_score, 5, rank_of_id, per_query=True)
        assert narrow.index.dtype == dtype
        assert narrow.index.tolist() == sorted(values.tolist())
        np.testing.assert_array_equal(narrow.to_numpy(), wide.to_numpy())
