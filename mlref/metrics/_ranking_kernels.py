"""Compiled loops behind :func:`mlref.metrics.ranking.dcg_at_k` and ``ndcg_at_k``.

The NumPy functions of :mod:`mlref.metrics.ranking` are the reference the notebooks show; they
rank the queries with a dozen full passes over the rows (the top-k region filter, two sorts,
gathers, block bookkeeping). :func:`top_k_dcg` follows the same plan in two passes over the rows
in input order and one small loop per query:

1. **Count.** Keys are cut into :data:`N_BINS` equal-width bins over their global range (a
   monotone map, so equal keys share a bin), and each (query, bin) cell counts its rows. Per
   query, the best bins up to the first that brings it to ``min(k, n_q)`` rows are kept: an upper
   set of the query's keys holding every tie block that starts above rank ``k``, with the whole
   of each block (as :func:`mlref.metrics.ranking._top_k_region`).
2. **Collect.** Rows in kept bins are copied (key and gain) into their query's segment.
3. **Walk.** Each segment is sorted by decreasing key and walked block by block, as the NumPy code
   walks its tie blocks: a block of ``size`` rows at ranks ``start + 1 .. start + size`` adds
   ``gain_sum * (D[min(start + size, last)] - D[min(start, last)]) / size`` to the DCG (its
   rows share the mean discount of the ranks they span), and ``gain * (D[...] - D[...])`` to the
   ideal DCG (equal labels share a gain). ``D`` is the cumulative discount table of
   :func:`mlref.metrics.ranking._rank_table`, passed in so that both paths use the same floats.

Blocks are added in decreasing order of the key, starting from 0.0, as the NumPy code's
``bincount`` adds them, so with untied scores both paths give bit-identical values. Within a tie
block the gains are summed in the order the segment sort leaves them (input order for short
segments, which are insertion-sorted; heapsort does not keep it), the NumPy code in ``argsort``
order: that can move the last bit when fractional grades tie.
"""

import numpy as np

from mlref._compiled import njit

#: Equal-width key bins per query used to skip rows that cannot reach the top k.
N_BINS = 32
#: Segments up to this length are insertion-sorted; longer ones heapsorted.
_INSERTION_SORT_MAX = 32


@njit
def _bin_scale(low, high):
    """The ``scale`` of :func:`_bin` for keys in ``[low, high]``; 0 (one bin) when all keys
    are equal or their range overflows."""
    width = high - low
    scale = N_BINS / width if width > 0 else 0.0
    if not (np.isfinite(width) and np.isfinite(scale)):
        scale = 0.0
    return scale


@njit
def _bin(key, high, scale):
    """Bin of ``key``: 0 holds the highest keys; equal keys share a bin."""
    if scale == 0.0:  # (high - key) may be inf here
        return 0
    return min(int((high - key) * scale), N_BINS - 1)


@njit
def _kept_bins(counts, query_size, k):
    """Per query, the last kept bin and the number of rows in its kept bins."""
    n_queries = len(query_size)
    last_bin = np.empty(n_queries, dtype=np.int64)
    kept = np.empty(n_queries + 1, dtype=np.int64)
    kept[0] = 0
    for q in range(n_queries):
        needed = min(k, query_size[q])
        total = 0
        b = 0
        while True:
            total += counts[q * N_BINS + b]
            if total >= needed:
                break
            b += 1
        last_bin[q] = b
        kept[q + 1] = kept[q] + total
    return last_bin, kept


@njit
def _sift_down(keys, gains, first, size, position):
    """Restore the min-heap ``keys[first:first + size]`` below ``position``."""
    key, gain = keys[first + position], gains[first + position]
    while True:
        child = 2 * position + 1
        if child >= size:
            break
        if child + 1 < size and keys[first + child + 1] < keys[first + child]:
            child += 1
        if keys[first + child] >= key:
            break
        keys[first + position], gains[first + position] = keys[first + child], gains[first + child]
        position = child
    keys[first + position], gains[first + position] = key, gain


@njit
def _sort_descending(keys, gains, start, stop):
    """Sort ``keys[start:stop]`` in decreasing order, moving ``gains`` along: insertion sort for
    short segments, heapsort (a min-heap emptied from the back) for long ones."""
    size = stop - start
    if size <= _INSERTION_SORT_MAX:
        for i in range(start + 1, stop):
            key, gain = keys[i], gains[i]
            j = i
            while j > start and keys[j - 1] < key:
                keys[j], gains[j] = keys[j - 1], gains[j - 1]
                j -= 1
            keys[j], gains[j] = key, gain
        return
    for position in range(size // 2 - 1, -1, -1):
        _sift_down(keys, gains, start, size, position)
    for end in range(size - 1, 0, -1):
        keys[start], keys[start + end] = keys[start + end], keys[start]
        gains[start], gains[start + end] = gains[start + end], gains[start]
        _sift_down(keys, gains, start, end, 0)


@njit
def top_k_dcg(
    query,
    query_size,
    score,
    gain,
    relevance,
    score_range,
    label_range,
    discount_table,
    k,
    with_ideal,
):
    """DCG@k per query by the scores and, with ``with_ideal``, the ideal DCG@k by the labels.

    Parameters
    ----------
    query : int64 array (n_rows,)
        Query code of each row, 0..n_queries-1.
    query_size : int64 array (n_queries,)
        Rows per query (every query has at least one).
    score, gain, relevance : float64 arrays (n_rows,)
        Scores, gains of the labels, labels (finite).
    score_range, label_range : (float, float)
        ``(min, max)`` of the scores and of the labels.
    discount_table : float64 array
        ``D[i]`` = sum of the discounts of ranks 1..i, for i = 0..min(k, longest list).
    k : int
        Cut-off, at most the longest list.
    with_ideal : bool
        Also compute the ideal DCG (else it is returned as zeros).

    Returns
    -------
    dcg, ideal : float64 arrays (n_queries,)
    """
    n_queries, n_rows = len(query_size), len(query)
    last = len(discount_table) - 1
    score_high, score_scale = score_range[1], _bin_scale(*score_range)
    label_high, label_scale = label_range[1], _bin_scale(*label_range)

    # 1. count the rows of each (query, bin) cell; note which labels fall in each label bin
    score_counts = np.zeros(n_queries * N_BINS, dtype=np.int32)
    label_counts = np.zeros(n_queries * N_BINS if with_ideal else 0, dtype=np.int32)
    bin_label = np.full(N_BINS, np.nan)  # the label last seen in each label bin, and its row
    bin_row = np.zeros(N_BINS, dtype=np.int64)
    mixed_bins = 0  # rows whose label differs from the previous label seen in its bin
    for i in range(n_rows):
        cell = query[i] * N_BINS
        score_counts[cell + _bin(score[i], score_high, score_scale)] += 1
        if with_ideal:
            b = _bin(relevance[i], label_high, label_scale)
            label_counts[cell + b] += 1
            seen = bin_label[b]
            mixed_bins += (seen != relevance[i]) & (seen == seen)
            bin_label[b] = relevance[i]
            bin_row[b] = i
    # grades (few distinct labels) put one label in each bin: the counts are the ideal ranking
    labels_from_counts = with_ideal and mixed_bins == 0
    score_last_bin, score_start = _kept_bins(score_counts, query_size, k)
    if with_ideal and not labels_from_counts:
        label_last_bin, label_start = _kept_bins(label_counts, query_size, k)
    else:
        label_last_bin, label_start = score_last_bin[:0], score_start[:1]

    # 2. copy the rows of the kept bins into their query's segment
    score_keys = np.empty(score_start[n_queries])
    score_gains = np.empty(score_start[n_queries])
    label_keys = np.empty(label_start[-1])
    label_gains = np.empty(label_start[-1])
    score_fill = score_start[:-1].copy()
    label_fill = label_start[:-1].copy()
    collect_labels = with_ideal and not labels_from_counts
    for i in range(n_rows):
        q = query[i]
        if _bin(score[i], score_high, score_scale) <= score_last_bin[q]:
            score_keys[score_fill[q]] = score[i]
            score_gains[score_fill[q]] = gain[i]
            score_fill[q] += 1
        if collect_labels and _bin(relevance[i], label_high, label_scale) <= label_last_bin[q]:
            label_keys[label_fill[q]] = relevance[i]
            label_gains[label_fill[q]] = gain[i]
            label_fill[q] += 1

    # 3. walk each query's blocks in decreasing key order
    dcg = np.zeros(n_queries)
    ideal = np.zeros(n_queries)
    for q in range(n_queries):
        first, end = score_start[q], score_start[q + 1]
        _sort_descending(score_keys, score_gains, first, end)
        total = 0.0
        block_first = first
        while block_first < end and block_first - first < last:
            block_end = block_first + 1
            gain_sum = score_gains[block_first]
            while block_end < end and score_keys[block_end] == score_keys[block_first]:
                gain_sum += score_gains[block_end]
                block_end += 1
            start, stop = block_first - first, block_end - first
            mean_discount = (discount_table[min(stop, last)] - discount_table[min(start, last)]) / (
                stop - start
            )
            total += gain_sum * mean_discount
            block_first = block_end
        dcg[q] = total

        if labels_from_counts:
            total = 0.0
            start = 0
            for b in range(N_BINS):  # bins in decreasing label order, each one tie block
                size = label_counts[q * N_BINS + b]
                if size == 0:
                    continue
                if start >= last:
                    break
                stop = start + size
                discount_sum = discount_table[min(stop, last)] - discount_table[min(start, last)]
                total += gain[bin_row[b]] * discount_sum
                start = stop
            ideal[q] = total
        elif with_ideal:
            first, end = label_start[q], label_start[q + 1]
            _sort_descending(label_keys, label_gains, first, end)
            total = 0.0
            block_first = first
            while block_first < end and block_first - first < last:
                block_end = block_first + 1
                while block_end < end and label_keys[block_end] == label_keys[block_first]:
                    block_end += 1
                start, stop = block_first - first, block_end - first
                discount_sum = discount_table[min(stop, last)] - discount_table[min(start, last)]
                total += label_gains[block_first] * discount_sum
                block_first = block_end
            ideal[q] = total
    return dcg, ideal
