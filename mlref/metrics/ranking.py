"""Ranking metrics for search and recommendations: DCG, NDCG, MRR, MAP, precision and recall at K.

Every metric takes the flat layout that rankers train on: one row per (query, document) with the
document's relevance label ``y_true``, the model's score ``y_score`` and the query id ``group``.
The rows of one query may sit anywhere, in any order; ``group=None`` makes all rows one query.
Each metric is computed per query and averaged over queries (``per_query=True`` returns the
per-query values as a :class:`pandas.Series` indexed by sorted query id).

Conventions shared by all functions
-----------------------------------
* **Ties.** Documents with equal scores are ranked in every order with equal probability and the
  metric is the exact expectation over those orders (for DCG/NDCG this is what
  ``sklearn.metrics.ndcg_score(ignore_ties=False)`` computes). A metric therefore never depends
  on the order of the input rows, unlike ``np.argsort``-based code, whose tie-breaking follows
  the input order.
* **Relevance.** Labels are non-negative grades (ints or floats). DCG/NDCG use the grade; MRR,
  MAP, precision and recall count a document as relevant when its label is > 0.
* **Cut-off.** ``k`` is an integer >= 1; a query with fewer than ``k`` documents is evaluated on
  its whole list (``k`` becomes the list length for that query).
* **Queries without a relevant document.** NDCG, recall, AP and reciprocal rank are 0/0 or
  meaningless there; ``empty_query`` decides: a number (default 0.0) or ``"skip"``.
* **Speed.** Everything is vectorised over ragged queries: no Python loop over queries or rows.
  DCG and NDCG also have a compiled loop (:mod:`mlref.metrics._ranking_kernels`, used when
  :func:`mlref._compiled.compiled_enabled`) that keeps only each query's top ``k`` in two passes
  over the rows; the NumPy code here is the reference it is tested against.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.special import gammaln

from mlref._compiled import compiled_enabled
from mlref._validation import (
    check_array_1d,
    check_bool,
    check_option,
    check_positive_int,
    check_same_length,
)
from mlref.metrics import _ranking_kernels

__all__ = [
    "dcg_at_k",
    "map_at_k",
    "mrr",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
]

_GAINS = ("exponential", "linear")

# Whole-number keys spanning fewer values than this (grades, small integer scores) are counted in
# a dense (query x level) table when it has at most _DENSE_CELLS_PER_ROW cells per row (and at
# most _DENSE_CELLS_MAX); other keys are sorted.
_FEW_WHOLE_LEVELS = 32
_DENSE_CELLS_PER_ROW = 16
_DENSE_CELLS_MAX = 2**23
# Equal-width score bins per query used to drop rows that cannot reach the top k (_top_k_region).
_REGION_BINS = 32


class _Rows(NamedTuple):
    """Validated rows: labels, scores, query code per row (0..n_queries-1) and query ids."""

    relevance: np.ndarray
    score: np.ndarray
    query: np.ndarray
    query_ids: np.ndarray
    query_size: np.ndarray


class _Blocks(NamedTuple):
    """Tie blocks of one query-wise ranking, ordered by query then by decreasing key.

    ``start`` counts the rows of the same query ranked strictly above the block, so the block
    occupies the 1-based ranks ``start + 1 .. start + size``; ``key`` is the key its rows share
    and ``sums[j]`` the per-block sum of the j-th row value passed to :func:`_tie_blocks`.
    """

    query: np.ndarray
    start: np.ndarray
    size: np.ndarray
    key: np.ndarray
    sums: list[np.ndarray]


def _encode_groups(group, relevance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Query code per row (0..n_queries-1, in sorted id order) and the sorted query ids."""
    if group is None:
        return np.zeros(len(relevance), dtype=np.int64), np.array([0])
    ids = np.asarray(group)
    if ids.ndim != 1:
        raise ValueError(
            f"group must be 1-D with one query id per row, got an array of shape {ids.shape}"
        )
    check_same_length(y_true=relevance, group=ids)
    if ids.dtype.kind in "iu":
        low = int(ids.min())
        span = int(ids.max()) - low
    if ids.dtype.kind in "iu" and span <= len(ids):
        # dense integer ids: a presence table replaces hashing (offsets in 64 bits: ids - low
        # overflows a narrower type, e.g. int8 ids from -100 to 100)
        offset = ids - ids.dtype.type(low) if ids.itemsize == 8 else ids.astype(np.int64) - low
        offset = offset.astype(np.int64, copy=False)
        present = np.zeros(span + 1, dtype=bool)
        present[offset] = True
        present_offsets = np.flatnonzero(present)
        query_ids = present_offsets.astype(ids.dtype) + ids.dtype.type(low)  # exact: in range
        if len(present_offsets) == len(present):
            return offset, query_ids
        code_of_offset = np.empty(len(present), dtype=np.int64)  # only present cells are read
        code_of_offset[present_offsets] = np.arange(len(present_offsets))
        # in place: offset is a fresh array, each entry read once before it is overwritten
        return np.take(code_of_offset, offset, out=offset, mode="clip"), query_ids
    try:
        codes, uniques = pd.factorize(ids, sort=True)
    except TypeError:
        uniques = None
    if uniques is None or pd.api.types.infer_dtype(uniques, skipna=True) in (
        "mixed",
        "mixed-integer",
    ):
        raise ValueError(
            "group mixes types of query ids (e.g. the int 1 and the string '1', which would be "
            "two queries); use one type, e.g. group.astype(str)"
        )
    if (codes < 0).any():
        raise ValueError(
            f"group holds {int((codes < 0).sum())} missing query id(s) (NaN/None); "
            "give every row a query id"
        )
    return codes.astype(np.int64, copy=False), np.asarray(uniques)


def _check_rows(y_true, y_score, group) -> _Rows:
    relevance = check_array_1d(y_true, "y_true")
    score = check_array_1d(y_score, "y_score")
    check_same_length(y_true=relevance, y_score=score)
    if relevance.min() < 0:
        raise ValueError(
            f"y_true must hold non-negative relevance grades, got a minimum of "
            f"{relevance.min():.4g}; shift or clip the labels so that 0 means irrelevant"
        )
    query, query_ids = _encode_groups(group, relevance)
    query_size = np.bincount(query, minlength=len(query_ids))
    return _Rows(relevance, score, query, query_ids, query_size)


def _check_empty_query(empty_query) -> float | str:
    if isinstance(empty_query, str):
        return check_option(empty_query, "empty_query", ("skip",))
    if (
        isinstance(empty_query, bool)
        or not isinstance(empty_query, numbers.Real)
        or not 0.0 <= empty_query <= 1.0
    ):
        raise ValueError(
            f"empty_query must be a number in [0, 1] or 'skip', got {empty_query!r}; it is the "
            "score given to a query without any relevant document"
        )
    return float(empty_query)


#: Largest grade the exponential gain accepts: 2**1000 ~ 1e301 leaves room for sums over
#: millions of documents, where 2**1024 already overflows float64 on its own.
MAX_EXPONENTIAL_GRADE = 1000


def exponential_gain(relevance: np.ndarray, name: str = "y_true") -> np.ndarray:
    """The gain :math:`2^{rel} - 1`, refusing grades so large that it or its sums overflow."""
    largest = float(np.max(relevance, initial=0.0))
    if largest > MAX_EXPONENTIAL_GRADE:
        raise ValueError(
            f"{name} grades up to {largest:.4g} overflow the exponential gain 2**rel - 1 (grades "
            f"above {MAX_EXPONENTIAL_GRADE} do); use gain='linear' or rescale the grades"
        )
    gain = np.exp2(relevance)
    gain -= 1.0
    return gain


def _gains(relevance: np.ndarray, gain: str) -> np.ndarray:
    check_option(gain, "gain", _GAINS)
    return relevance if gain == "linear" else exponential_gain(relevance)


def _few_whole_levels(key: np.ndarray) -> tuple[np.ndarray, int] | None:
    """``(max - key, number of levels)`` when keys are whole numbers spanning few values.

    Levels only need to preserve order and equality; this covers grades and integer scores
    without hashing. None otherwise.
    """
    low, high = key.min(), key.max()
    head = key[:64]
    if (
        max(abs(low), abs(high)) < 2.0**53
        and high - low < _FEW_WHOLE_LEVELS
        and (head == np.floor(head)).all()
    ):
        whole = key.astype(np.int64)
        if (whole == key).all():
            np.subtract(int(high), whole, out=whole)
            return whole, int(high - low) + 1
    return None


def _top_k_region(rows: _Rows, key: np.ndarray, k: int) -> np.ndarray | None:
    """Indices of rows holding, in every query, all tie blocks that reach the top ``k``.

    Keys are cut into equal-width bins (a monotone map, so equal keys share a bin) and each
    query keeps its best bins up to the first one that brings it to ``min(k, n_q)`` rows. The
    kept rows are an upper set of the query's keys with at least ``min(k, n_q)`` rows, so every
    block with fewer than ``k`` rows above it lies inside, at the same ranks as in the full
    list. None when nothing would be dropped.
    """
    n_queries = len(rows.query_ids)
    if k >= rows.query_size.max():
        return None
    low, high = key.min(), key.max()
    with np.errstate(over="ignore", divide="ignore"):
        width = high - low
        scale = _REGION_BINS / width
    if not (np.isfinite(width) and np.isfinite(scale)):
        return None
    bin_of_row = high - key
    bin_of_row *= scale
    np.minimum(bin_of_row, _REGION_BINS - 1, out=bin_of_row)
    cell = rows.query * _REGION_BINS
    cell += bin_of_row.astype(np.int32)
    counts = np.bincount(cell, minlength=n_queries * _REGION_BINS)
    rows_through_bin = np.cumsum(counts.reshape(n_queries, _REGION_BINS), axis=1)
    last_bin = np.argmax(rows_through_bin >= np.minimum(rows.query_size, k)[:, None], axis=1)
    kept_cell = np.arange(_REGION_BINS) <= last_bin[:, None]
    return np.flatnonzero(kept_cell.ravel()[cell])


def _tie_blocks(
    rows: _Rows, key: np.ndarray, values: list[np.ndarray], k: int | None = None
) -> _Blocks:
    """Rank each query's rows by decreasing ``key`` and group equal keys into tie blocks.

    With ``k``, blocks with ``k`` or more rows above them may be left out (they score 0 in every
    metric cut at ``k``): with many distinct keys, rows outside :func:`_top_k_region` are dropped
    before the blocks are built.
    """
    query, query_size = rows.query, rows.query_size
    levels = _few_whole_levels(key)
    n_cells = None if levels is None else len(query_size) * levels[1]
    if n_cells is not None and n_cells <= min(_DENSE_CELLS_PER_ROW * len(key), _DENSE_CELLS_MAX):
        # few distinct whole-number keys (grades): count each (query, level) cell in a table
        level, n_levels = levels
        cell = query * n_levels
        cell += level
        counts = np.bincount(cell, minlength=n_cells)
        block_cell = np.flatnonzero(counts)
        block_query, size = block_cell // n_levels, counts[block_cell]
        block_key = key.max() - block_cell % n_levels
        sums = [np.bincount(cell, weights=v, minlength=n_cells)[block_cell] for v in values]
    else:
        region = None if k is None else _top_k_region(rows, key, k)
        if region is not None:
            query, key = query[region], key[region]
            values = [v[region] for v in values]
            query_size = np.bincount(query, minlength=len(query_size))
        # one sort by (query, decreasing key); a block starts where either changes
        order = _order_by_query_then_descending_key(query, key, len(query_size))
        query, key = query[order], key[order]
        starts = np.flatnonzero(np.r_[True, (query[1:] != query[:-1]) | (key[1:] != key[:-1])])
        block_query, size = query[starts], np.diff(np.append(starts, len(key)))
        block_key = key[starts]
        if len(starts) == len(key):  # no ties: every row is its own block
            sums = [v[order] for v in values]
        else:
            sums = [np.add.reduceat(v[order], starts) for v in values]

    rows_before_block = np.cumsum(size) - size
    rows_before_query = np.cumsum(query_size) - query_size
    start = rows_before_block - rows_before_query[block_query]
    return _Blocks(block_query, start, size, block_key, sums)


def _order_by_query_then_descending_key(
    query: np.ndarray, key: np.ndarray, n_queries: int
) -> np.ndarray:
    """Row order sorting by query, then by decreasing key (equal keys in any order)."""
    by_key = np.argsort(key)[::-1]
    # a stable sort by query keeps the key order within each query; NumPy radix-sorts 16-bit
    # integers, much faster than its general stable sort
    query_by_key = query[by_key]
    if n_queries <= 2**16:
        query_by_key = query_by_key.astype(np.uint16)
    return by_key[np.argsort(query_by_key, kind="stable")]


def _rank_table(term, k: int, rows: _Rows) -> np.ndarray:
    """``table[i] = sum(term(r) for r in 1..i)`` for ``i = 0..min(k, longest list)``.

    Stopping at ``k`` makes ranks beyond ``k`` count 0 in :func:`_sum_over_ranks`.
    """
    ranks = np.arange(1, min(k, int(rows.query_size.max())) + 1, dtype=np.float64)
    return np.concatenate(([0.0], np.cumsum(term(ranks))))


def _sum_over_ranks(table: np.ndarray, blocks: _Blocks) -> np.ndarray:
    """Per block, the table's term summed over the block's ranks up to the table's last rank."""
    last = len(table) - 1
    return (
        table[np.minimum(blocks.start + blocks.size, last)] - table[np.minimum(blocks.start, last)]
    )


def _discount(ranks: np.ndarray) -> np.ndarray:
    return 1.0 / np.log2(ranks + 1.0)


def _per_query_dcg(rows: _Rows, key: np.ndarray, gains: np.ndarray, k: int) -> np.ndarray:
    blocks = _tie_blocks(rows, key, [gains], k)
    mean_discount = _sum_over_ranks(_rank_table(_discount, k, rows), blocks) / blocks.size
    n_queries = len(rows.query_ids)
    return np.bincount(blocks.query, weights=blocks.sums[0] * mean_discount, minlength=n_queries)


def _per_query_ideal_dcg(rows: _Rows, gain: str, k: int) -> np.ndarray:
    """IDCG: the DCG of each query's labels in decreasing order.

    Tied labels have equal gains, so a block adds its label's gain times the sum of its
    discounts; no per-row gain is summed.
    """
    blocks = _tie_blocks(rows, rows.relevance, [], k)
    discount_sum = _sum_over_ranks(_rank_table(_discount, k, rows), blocks)
    n_queries = len(rows.query_ids)
    block_gain = _gains(blocks.key, gain)
    return np.bincount(blocks.query, weights=block_gain * discount_sum, minlength=n_queries)


def _compiled_dcg(
    rows: _Rows, gains: np.ndarray, k: int, with_ideal: bool
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_per_query_dcg` by score and :func:`_per_query_ideal_dcg` (if ``with_ideal``)
    from the compiled loop, which keeps each query's top ``k`` instead of sorting the rows."""
    k = min(k, int(rows.query_size.max()))
    score, relevance = rows.score, rows.relevance
    return _ranking_kernels.top_k_dcg(
        rows.query,
        rows.query_size,
        np.ascontiguousarray(score),
        np.ascontiguousarray(gains),
        np.ascontiguousarray(relevance),
        (float(score.min()), float(score.max())),
        (float(relevance.min()), float(relevance.max())),
        _rank_table(_discount, k, rows),
        k,
        with_ideal,
    )


def _expected_hits(rows: _Rows, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected number of relevant documents in each query's top k, and its relevant total."""
    relevant = (rows.relevance > 0).astype(np.float64)
    blocks = _tie_blocks(rows, rows.score, [relevant], k)
    ranks_in_top_k = _sum_over_ranks(_rank_table(np.ones_like, k, rows), blocks)
    n_queries = len(rows.query_ids)
    hits = np.bincount(
        blocks.query, weights=blocks.sums[0] * ranks_in_top_k / blocks.size, minlength=n_queries
    )
    return hits, np.bincount(rows.query, weights=relevant, minlength=n_queries)


def _finish(values, empty, empty_query, per_query: bool, rows: _Rows, name: str):
    per_query = check_bool(per_query, "per_query")
    values = np.where(empty, np.nan if empty_query == "skip" else empty_query, values)
    if per_query:
        return pd.Series(values, index=pd.Index(rows.query_ids, name="query"), name=name)
    kept = values[~empty] if empty_query == "skip" else values
    if kept.size == 0:
        raise ValueError(
            f"no query has a relevant document (label > 0), so with empty_query='skip' there is "
            f"nothing to average for {name}; pass empty_query=0.0 or check y_true"
        )
    return float(np.mean(kept))


def dcg_at_k(y_true, y_score, k, group=None, *, gain="exponential", per_query=False):
    r"""Discounted cumulative gain of the top ``k`` documents, averaged over queries.

    .. math::

        \mathrm{DCG@K} = \sum_{i=1}^{K} \frac{g(\mathrm{rel}_i)}{\log_2(i + 1)},
        \qquad g(r) = 2^r - 1 \text{ (exponential) or } r \text{ (linear)},

    where :math:`\mathrm{rel}_i` is the label of the document the scores rank at position
    :math:`i`.

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        Non-negative relevance grades.
    y_score : array-like of shape (n_rows,)
        Model scores; higher ranks first.
    k : int
        Cut-off, >= 1. A query with fewer documents uses its whole list.
    group : array-like of shape (n_rows,), optional
        Query id of each row (ints or strings, any order). ``None``: all rows form one query.
    gain : {"exponential", "linear"}, default "exponential"
        :math:`2^{rel} - 1` (as in the course reference and XGBoost) or :math:`rel` (as
        ``sklearn.metrics.dcg_score``).
    per_query : bool, default False
        Return one value per query instead of their mean.

    Returns
    -------
    float or pandas.Series
        Mean DCG@K over queries, or a Series named ``"dcg@K"`` indexed by sorted query id.

    Notes
    -----
    Tied scores are averaged over all orders of the tied documents: a tie block occupying ranks
    :math:`a..b` gives each of its documents the block's mean discount over those ranks (ranks
    beyond K count as discount 0), exactly as ``sklearn.metrics.dcg_score(ignore_ties=False)``.

    Examples
    --------
    >>> round(dcg_at_k([3, 2, 0], [0.9, 0.5, 0.1], k=2), 4)
    8.8928
    """
    k = check_positive_int(k, "k")
    rows = _check_rows(y_true, y_score, group)
    gains = _gains(rows.relevance, gain)
    if compiled_enabled():
        dcg, _ = _compiled_dcg(rows, gains, k, with_ideal=False)
    else:
        dcg = _per_query_dcg(rows, rows.score, gains, k)
    no_query_is_empty = np.zeros(len(dcg), dtype=bool)
    return _finish(dcg, no_query_is_empty, 0.0, per_query, rows, f"dcg@{k}")


def ndcg_at_k(
    y_true,
    y_score,
    k,
    group=None,
    *,
    gain="exponential",
    per_query=False,
    empty_query=0.0,
):
    r"""Normalised DCG of the top ``k`` documents, averaged over queries.

    .. math::

        \mathrm{NDCG@K} = \frac{\mathrm{DCG@K}}{\mathrm{IDCG@K}}, \qquad
        \mathrm{DCG@K} = \sum_{i=1}^{K} \frac{2^{\mathrm{rel}_i} - 1}{\log_2(i + 1)},

    where IDCG@K is the DCG@K of the ideal ranking (labels sorted in decreasing order).

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        Non-negative relevance grades (e.g. 0-4); 0 means irrelevant.
    y_score : array-like of shape (n_rows,)
        Model scores; higher ranks first.
    k : int
        Cut-off, >= 1. A query with fewer documents uses its whole list.
    group : array-like of shape (n_rows,), optional
        Query id of each row (ints or strings, any order). ``None``: all rows form one query.
    gain : {"exponential", "linear"}, default "exponential"
        Gain :math:`2^{rel} - 1` or :math:`rel`. They agree on binary labels.
    per_query : bool, default False
        Return one value per query instead of their mean.
    empty_query : float in [0, 1] or "skip", default 0.0
        Score of a query whose labels are all 0 (IDCG = 0, so NDCG is 0/0). ``"skip"`` leaves
        such queries out of the mean (NaN in the per-query Series).

    Returns
    -------
    float or pandas.Series
        Mean NDCG@K over queries, or a Series named ``"ndcg@K"`` indexed by sorted query id.

    Raises
    ------
    ValueError
        On mismatched lengths, NaN/inf, empty input, negative labels, ``k`` not an integer >= 1,
        or ``empty_query="skip"`` when no query has a relevant document.

    Notes
    -----
    *Ties.* The reference snippet ranks with ``np.argsort``, so among tied scores the input order
    decides who comes first and the metric changes when the rows are shuffled. Here every order
    of a tie block is equally likely and NDCG is the exact expectation: each document of a block
    spanning ranks :math:`a..b` gets the block's mean discount over those ranks, ranks beyond K
    counting 0 (so a cut at K through a block takes its expected share). This equals
    ``sklearn.metrics.ndcg_score(ignore_ties=False)`` given gains :math:`2^{rel} - 1` (sklearn's
    gain is linear).

    *Queries without a relevant document.* Libraries disagree: scikit-learn's ``ndcg_score`` and
    the reference snippet score them 0; XGBoost's ``ndcg`` and ``ndcg@n`` eval metrics score them
    1 and its ``ndcg-`` / ``ndcg@n-`` score them 0; LightGBM's ``ndcg`` scores them 1. So on
    untied scores ``empty_query=1.0`` reproduces XGBoost's ``ndcg@10`` and the default its
    ``ndcg@10-`` (both use the exponential gain). With click labels many queries have no
    relevant document and this choice moves the mean a lot: state it next to the number. Such
    queries cannot tell rankers apart, so ``"skip"`` is often the fairest choice.

    Examples
    --------
    >>> round(ndcg_at_k([3, 2, 0], [0.1, 0.5, 0.9], k=2), 4)  # (3 / log2(3)) / (7 + 3 / log2(3))
    0.2128
    >>> ndcg_at_k([1, 0], [0.5, 0.5], k=1)  # either document first, each with probability 1/2
    0.5
    >>> ndcg_at_k([1, 0, 0, 0], [2, 1, 2, 1], k=1, group=["a", "a", "b", "b"], per_query=True)
    query
    a    1.0
    b    0.0
    Name: ndcg@1, dtype: float64
    """
    k = check_positive_int(k, "k")
    empty_query = _check_empty_query(empty_query)
    rows = _check_rows(y_true, y_score, group)
    gains = _gains(rows.relevance, gain)
    if compiled_enabled():  # the same values from a compiled loop over each query's top k
        dcg, ideal = _compiled_dcg(rows, gains, k, with_ideal=True)
    else:
        dcg = _per_query_dcg(rows, rows.score, gains, k)
        ideal = _per_query_ideal_dcg(rows, gain, k)
    empty = ideal == 0
    ndcg = dcg / np.where(empty, 1.0, ideal)
    return _finish(ndcg, empty, empty_query, per_query, rows, f"ndcg@{k}")


def precision_at_k(
    y_true, y_score, k, group=None, *, denominator="k", per_query=False, empty_query=0.0
):
    r"""Share of relevant documents among the top ``k``, averaged over queries.

    .. math::

        \mathrm{P@K} = \frac{1}{K} \sum_{i=1}^{\min(K, n_q)} [\mathrm{rel}_i > 0],

    with :math:`n_q` the number of documents of the query.

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        Non-negative relevance grades; a document is relevant when its grade is > 0.
    y_score : array-like of shape (n_rows,)
        Model scores; higher ranks first.
    k : int
        Cut-off, >= 1.
    group : array-like of shape (n_rows,), optional
        Query id of each row (ints or strings, any order). ``None``: all rows form one query.
    denominator : {"k", "retrieved"}, default "k"
        ``"k"`` divides by K, the standard definition (trec_eval, ranx, the source). With
        ``"retrieved"`` a query with fewer than K documents is judged on the documents it has:
        the sum is divided by :math:`\min(K, n_q)`.
    per_query : bool, default False
        Return one value per query instead of their mean.
    empty_query : float in [0, 1] or "skip", default 0.0
        Score of a query without relevant documents. Its precision is 0 by the formula, which the
        default keeps; ``"skip"`` averages over the same queries as the other metrics do with
        ``"skip"``.

    Returns
    -------
    float or pandas.Series
        Mean P@K over queries, or a Series named ``"precision@K"`` indexed by sorted query id.

    Notes
    -----
    *Graded labels.* The reference snippet sums the grades in the top K, so a grade-3 document
    counts three times and P@K can exceed 1; here a document counts once when its grade is > 0.

    *Short lists.* With the default a list of 3 documents, all relevant, has P@10 = 0.3, as in
    trec_eval (tested against it); ``denominator="retrieved"`` gives 1.0, the precision of what
    was returned. The two agree whenever every query has at least K documents.

    *Ties.* The exact expectation over random orders of tied scores: a tie block with
    :math:`r` relevant out of :math:`m` documents contributes :math:`r/m` per rank it
    occupies within the top K. trec_eval instead breaks ties by document id, so the two agree
    on runs without ties.

    Examples
    --------
    >>> precision_at_k([2, 0, 1, 0], [0.9, 0.8, 0.7, 0.6], k=2)
    0.5
    >>> precision_at_k([1, 0, 0], [0.5, 0.5, 0.1], k=1)  # 1/2 chance the relevant one is first
    0.5
    >>> precision_at_k([1, 1], [0.9, 0.8], k=4), precision_at_k([1, 1], [0.9, 0.8], k=4,
    ...                                                          denominator="retrieved")
    (0.5, 1.0)
    """
    k = check_positive_int(k, "k")
    check_option(denominator, "denominator", ("k", "retrieved"))
    empty_query = _check_empty_query(empty_query)
    rows = _check_rows(y_true, y_score, group)
    hits, n_relevant = _expected_hits(rows, k)
    precision = hits / (k if denominator == "k" else np.minimum(rows.query_size, k))
    return _finish(precision, n_relevant == 0, empty_query, per_query, rows, f"precision@{k}")


def recall_at_k(y_true, y_score, k, group=None, *, per_query=False, empty_query=0.0):
    r"""Share of a query's relevant documents found in its top ``k``, averaged over queries.

    .. math::

        \mathrm{R@K} = \frac{1}{R_q} \sum_{i=1}^{K} [\mathrm{rel}_i > 0],
        \qquad R_q = \#\{\text{documents of the query with } \mathrm{rel} > 0\}.

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        Non-negative relevance grades; a document is relevant when its grade is > 0.
    y_score : array-like of shape (n_rows,)
        Model scores; higher ranks first.
    k : int
        Cut-off, >= 1. A query with fewer documents uses its whole list (recall 1).
    group : array-like of shape (n_rows,), optional
        Query id of each row (ints or strings, any order). ``None``: all rows form one query.
    per_query : bool, default False
        Return one value per query instead of their mean.
    empty_query : float in [0, 1] or "skip", default 0.0
        Score of a query without relevant documents (:math:`R_q = 0`, recall 0/0), as in the
        reference snippet; ``"skip"`` leaves such queries out (NaN per query).

    Returns
    -------
    float or pandas.Series
        Mean R@K over queries, or a Series named ``"recall@K"`` indexed by sorted query id.

    Notes
    -----
    Tied scores: the exact expectation over random orders of each tie block (see
    :func:`precision_at_k`). Graded labels count once when > 0, unlike the reference snippet,
    which sums grades in the numerator and the denominator.

    Examples
    --------
    >>> recall_at_k([1, 0, 1, 1], [0.9, 0.8, 0.7, 0.6], k=2)  # 1 of 3 relevant in the top 2
    0.3333333333333333
    """
    k = check_positive_int(k, "k")
    empty_query = _check_empty_query(empty_query)
    rows = _check_rows(y_true, y_score, group)
    hits, n_relevant = _expected_hits(rows, k)
    empty = n_relevant == 0
    recall = hits / np.where(empty, 1.0, n_relevant)
    return _finish(recall, empty, empty_query, per_query, rows, f"recall@{k}")


def map_at_k(y_true, y_score, k, group=None, *, per_query=False, empty_query=0.0):
    r"""Mean over queries of the average precision of the top ``k`` documents (MAP@K).

    .. math::

        \mathrm{AP@K} = \frac{1}{\min(R_q, K)} \sum_{i=1}^{K} \mathrm{P@}i \,
        [\mathrm{rel}_i > 0], \qquad
        \mathrm{P@}i = \frac{1}{i} \sum_{j=1}^{i} [\mathrm{rel}_j > 0],

    with :math:`R_q` the number of relevant documents of the query.

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        Non-negative relevance grades; a document is relevant when its grade is > 0.
    y_score : array-like of shape (n_rows,)
        Model scores; higher ranks first.
    k : int
        Cut-off, >= 1. With ``k`` at least the longest list this is plain (uncut) AP.
    group : array-like of shape (n_rows,), optional
        Query id of each row (ints or strings, any order). ``None``: all rows form one query.
    per_query : bool, default False
        Return one value (AP@K) per query instead of their mean.
    empty_query : float in [0, 1] or "skip", default 0.0
        Score of a query without relevant documents (:math:`R_q = 0`). XGBoost's ``map`` scores
        them 1 (``map-`` scores 0); ``"skip"`` leaves them out (NaN per query).

    Returns
    -------
    float or pandas.Series
        MAP@K, or a Series named ``"map@K"`` of AP@K indexed by sorted query id.

    Notes
    -----
    *Normaliser.* :math:`\min(R_q, K)`, so a ranking whose top K are all relevant scores 1 even
    when the query has more than K relevant documents (the convention of XGBoost's ``map@n``
    and of the ``apk`` function used in Kaggle recommender competitions). trec_eval's
    ``map_cut`` divides by :math:`R_q`, which caps AP@K at :math:`K/R_q`. With
    :math:`K \ge n_q` both equal :math:`R_q`, the course reference's
    :math:`\frac{1}{R}\sum_k P(k)\,\mathrm{rel}(k)`, and AP@K is
    ``sklearn.metrics.average_precision_score`` on the query when scores have no ties.

    *Ties.* The exact expectation of AP@K when each tie block is ordered uniformly at random
    (the normaliser does not depend on the order). For a position :math:`i` inside a block with
    :math:`r` relevant of :math:`m` documents, :math:`c` the position within the block and
    :math:`R_<` the relevant documents in earlier blocks,

    .. math::

        \mathbb{E}\bigl[[\mathrm{rel}_i > 0]\, i\,\mathrm{P@}i\bigr]
        = \frac{r}{m}\,(1 + R_<) + (c - 1)\,\frac{r(r-1)}{m(m-1)}.

    scikit-learn's ``average_precision_score`` instead treats a tie block as a single
    threshold, which is not this expectation.

    Examples
    --------
    >>> map_at_k([1, 0, 1], [0.9, 0.8, 0.7], k=3)  # (1/1 + 2/3) / 2
    0.8333333333333333
    """
    k = check_positive_int(k, "k")
    empty_query = _check_empty_query(empty_query)
    rows = _check_rows(y_true, y_score, group)
    relevant = (rows.relevance > 0).astype(np.float64)
    blocks = _tie_blocks(rows, rows.score, [relevant], k)
    n_relevant_in_block = blocks.sums[0]
    m = blocks.size.astype(np.float64)

    n_queries = len(rows.query_ids)
    # relevant documents of the same query ranked above the block (whole counts: sums are exact)
    in_query_blocks = np.bincount(blocks.query, weights=n_relevant_in_block, minlength=n_queries)
    in_earlier_queries = np.cumsum(in_query_blocks) - in_query_blocks
    relevant_before_block = (
        np.cumsum(n_relevant_in_block) - n_relevant_in_block - in_earlier_queries[blocks.query]
    )

    inverse_rank_sum = _sum_over_ranks(_rank_table(np.reciprocal, k, rows), blocks)
    ranks_in_top_k = _sum_over_ranks(_rank_table(np.ones_like, k, rows), blocks)
    # sum over the block's ranks i <= k of (c - 1) / i, with c = i - start the position in block
    later_position_sum = ranks_in_top_k - (blocks.start + 1) * inverse_rank_sum
    p_relevant = n_relevant_in_block / m
    p_both_relevant = np.divide(
        n_relevant_in_block * (n_relevant_in_block - 1),
        m * (m - 1),
        out=np.zeros_like(m),
        where=m > 1,
    )
    expected = (
        p_relevant * (1 + relevant_before_block) * inverse_rank_sum
        + p_both_relevant * later_position_sum
    )
    n_relevant = np.bincount(rows.query, weights=relevant, minlength=n_queries)
    empty = n_relevant == 0
    normaliser = np.where(empty, 1.0, np.minimum(n_relevant, k))
    ap = np.bincount(blocks.query, weights=expected, minlength=n_queries) / normaliser
    return _finish(ap, empty, empty_query, per_query, rows, f"map@{k}")


def mrr(y_true, y_score, group=None, *, k=None, per_query=False, empty_query=0.0):
    r"""Mean reciprocal rank of the first relevant document, averaged over queries.

    .. math::

        \mathrm{MRR} = \frac{1}{|Q|} \sum_{q \in Q} \frac{1}{\mathrm{rank}_q},

    with :math:`\mathrm{rank}_q` the rank of the first document with label > 0 (its reciprocal
    counts 0 when that rank exceeds ``k``).

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        Non-negative relevance grades; a document is relevant when its grade is > 0.
    y_score : array-like of shape (n_rows,)
        Model scores; higher ranks first.
    group : array-like of shape (n_rows,), optional
        Query id of each row (ints or strings, any order). ``None``: all rows form one query.
    k : int, optional
        Cut-off (MRR@K): a first relevant document ranked below ``k`` scores 0. ``None``
        (default) looks at the whole list.
    per_query : bool, default False
        Return one reciprocal rank per query instead of their mean.
    empty_query : float in [0, 1] or "skip", default 0.0
        Score of a query without relevant documents (0 as in the reference snippet and
        trec_eval); ``"skip"`` leaves such queries out (NaN per query).

    Returns
    -------
    float or pandas.Series
        MRR, or a Series named ``"mrr"`` (``"mrr@K"``) indexed by sorted query id.

    Notes
    -----
    The reference snippet tests ``y_true[i] == 1``, so a document of grade 2 is never found;
    here any grade > 0 is relevant.

    *Ties.* The exact expectation of the reciprocal rank when each tie block is ordered
    uniformly at random. Only the first block holding a relevant document matters: if it starts
    at rank :math:`s` and holds :math:`r` relevant among :math:`m` documents, the first relevant
    one lands at block position :math:`j` with probability
    :math:`\binom{m-j}{r-1} / \binom{m}{r}`, so

    .. math::

        \mathbb{E}\left[\frac{1}{\mathrm{rank}_q}\right]
        = \sum_{j=1}^{m-r+1} \frac{\binom{m-j}{r-1}}{\binom{m}{r}} \frac{1}{s + j - 1}.

    This is not the reciprocal of the expected rank, and not what "break ties by input order"
    code returns.

    Examples
    --------
    >>> mrr([0, 1, 0, 1], [0.9, 0.8, 0.7, 0.6], group=[1, 1, 2, 2])  # (1/2 + 1/2) / 2
    0.5
    >>> round(mrr([1, 0, 0], [0.5, 0.5, 0.5]), 4)  # rank 1, 2 or 3: (1 + 1/2 + 1/3) / 3
    0.6111
    """
    if k is not None:
        k = check_positive_int(k, "k")
    empty_query = _check_empty_query(empty_query)
    rows = _check_rows(y_true, y_score, group)
    relevant = (rows.relevance > 0).astype(np.float64)
    blocks = _tie_blocks(rows, rows.score, [relevant], k)
    n_relevant_in_block = blocks.sums[0]

    has_relevant = np.flatnonzero(n_relevant_in_block > 0)
    query_of_candidate = blocks.query[has_relevant]
    first_of_query = np.ones(len(has_relevant), dtype=bool)
    first_of_query[1:] = query_of_candidate[1:] != query_of_candidate[:-1]
    first = has_relevant[first_of_query]
    start, m = blocks.start[first], blocks.size[first]
    r = np.rint(n_relevant_in_block[first]).astype(np.int64)

    # Expand each first relevant block into its possible positions j of the first relevant
    # document: j = 1 .. m - r + 1, and only ranks start + j <= k can score.
    n_positions = m - r + 1
    if k is not None:
        n_positions = np.clip(np.minimum(n_positions, k - start), 0, None)
    offsets = np.cumsum(n_positions) - n_positions
    block_of_position = np.repeat(np.arange(len(first)), n_positions)
    j = np.arange(int(n_positions.sum())) - offsets[block_of_position] + 1
    mj, rj = m[block_of_position], r[block_of_position]
    log_probability = (
        np.log(rj)
        + gammaln(mj - j + 1)
        + gammaln(mj - rj + 1)
        - gammaln(mj - j - rj + 2)
        - gammaln(mj + 1)
    )
    terms = np.exp(log_probability) / (start[block_of_position] + j)

    n_queries = len(rows.query_ids)
    reciprocal_rank = np.zeros(n_queries)
    reciprocal_rank[blocks.query[first]] = np.bincount(
        block_of_position, weights=terms, minlength=len(first)
    )
    empty = np.bincount(rows.query, weights=relevant, minlength=n_queries) == 0
    name = "mrr" if k is None else f"mrr@{k}"
    return _finish(reciprocal_rank, empty, empty_query, per_query, rows, name)
