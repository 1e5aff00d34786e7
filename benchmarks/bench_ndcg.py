"""Time :func:`mlref.metrics.ranking.ndcg_at_k` against ``sklearn.metrics.ndcg_score``.

Run ``python benchmarks/bench_ndcg.py`` (``--repeats N``). NDCG@10, graded labels 0-4, scores a
noisy function of the label; mlref gets the flat layout (one row per (query, document) with a
query id), scikit-learn the equivalent dense matrices with gains ``2**label - 1`` so that both
compute the same exponential-gain, tie-averaged NDCG. Best of ``--repeats``, both sides in the
same run, one BLAS thread; the values must agree to 1e-10.

* Goal workload: 10,000 queries x 100 documents, **untied** scores, rows shuffled and query ids
  not contiguous (random ids spread over 0-1,000,000), against ``ndcg_score`` on the matrix.
* Ragged lists (1-200 documents, 10,000 queries, untied): scikit-learn needs equal-length
  lists, so its side is a loop of ``ndcg_score`` per query (a one-document query scores 1 if
  its document is relevant, else 0, which ``ndcg_score`` refuses to compute).
* For information (the favourable case of the first version of this script): scores rounded to
  one decimal, where scikit-learn's tie averaging is slow.

Goals (exit status 1 if missed): >= 10x ``ndcg_score`` on the untied matrix workload, >= 5x the
per-query loop on ragged lists.
"""

import argparse
import sys

import numpy as np
from _timing import best_time, load_average, one_thread
from sklearn.metrics import ndcg_score

from mlref.metrics.ranking import ndcg_at_k

MATRIX_TARGET = 10.0
RAGGED_TARGET = 5.0
TOLERANCE = 1e-10
K = 10


def matrix_data(n_queries, n_docs, seed, decimals=None):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 5, size=(n_queries, n_docs))
    scores = labels + rng.normal(scale=2.0, size=labels.shape)
    if decimals is not None:
        scores = np.round(scores, decimals)
    ids = rng.choice(1_000_000, size=n_queries, replace=False)
    shuffle = rng.permutation(labels.size)
    flat = (labels.ravel()[shuffle], scores.ravel()[shuffle], np.repeat(ids, n_docs)[shuffle])
    return labels, scores, flat


def ragged_data(n_queries, seed):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 201, size=n_queries)
    group = np.repeat(rng.choice(1_000_000, size=n_queries, replace=False), sizes)
    labels = rng.integers(0, 5, size=sizes.sum())
    scores = labels + rng.normal(scale=2.0, size=sizes.sum())
    shuffle = rng.permutation(len(labels))
    return labels[shuffle], scores[shuffle], group[shuffle]


def per_query_sklearn(labels, scores, group):
    """Mean over queries of ``ndcg_score`` on each query's list."""
    order = np.argsort(group, kind="stable")
    labels, scores, group = labels[order], scores[order], group[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    values = []
    for start, stop in zip(starts, np.append(starts[1:], len(group)), strict=True):
        gains = 2.0 ** labels[start:stop] - 1
        if stop - start == 1:
            values.append(1.0 if gains[0] > 0 else 0.0)
        else:
            values.append(ndcg_score(gains[None, :], scores[None, start:stop], k=K))
    return float(np.mean(values))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    repeats = args.repeats
    failures = []
    print(f"NDCG@{K}, best of {repeats} ({load_average()})")
    print(f"{'workload':<46} {'sklearn s':>9} {'mlref s':>8} {'speed-up':>9} {'|diff|':>8}")

    def row(name, sklearn_run, mlref_run, target):
        sklearn_seconds, expected = best_time(sklearn_run, repeats)
        seconds, value = best_time(mlref_run, repeats)
        ratio = sklearn_seconds / seconds
        difference = abs(value - expected)
        goal = f"(goal >= {target:g}x)" if target else "(information)"
        print(
            f"{name:<46} {sklearn_seconds:>9.3f} {seconds:>8.3f} {ratio:>8.1f}x "
            f"{difference:>8.1e} {goal}"
        )
        if difference > TOLERANCE:
            failures.append(f"{name}: values differ by {difference:.1e}")
        if target and ratio < target:
            failures.append(f"{name}: {ratio:.1f}x < {target:g}x")

    with one_thread():
        labels, scores, flat = matrix_data(args.queries, args.docs, seed=0)
        row(
            f"{args.queries:,} x {args.docs}, untied, shuffled, sparse ids",
            lambda: ndcg_score(2.0**labels - 1, scores, k=K),
            lambda: ndcg_at_k(*flat[:2], K, flat[2]),
            MATRIX_TARGET,
        )
        ragged = ragged_data(args.queries, seed=1)
        row(
            f"{args.queries:,} ragged lists (1-200), per-query loop",
            lambda: per_query_sklearn(*ragged),
            lambda: ndcg_at_k(*ragged[:2], K, ragged[2]),
            RAGGED_TARGET,
        )
        labels, scores, flat = matrix_data(args.queries, args.docs, seed=0, decimals=1)
        row(
            f"{args.queries:,} x {args.docs}, scores rounded to 0.1 (ties)",
            lambda: ndcg_score(2.0**labels - 1, scores, k=K),
            lambda: ndcg_at_k(*flat[:2], K, flat[2]),
            None,
        )
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
