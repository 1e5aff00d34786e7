"""Time :func:`mlref.metrics.ranking.ndcg_at_k` against ``sklearn.metrics.ndcg_score``.

Run ``python benchmarks/bench_ndcg.py``. NDCG@10 over 10,000 queries x 100 documents with graded
labels 0-4 and scores rounded to one decimal (so many ties), best of 3 runs each:

* mlref on the flat 1,000,000-row layout with a query id per row, once with the rows of each
  query contiguous (sorted by query id, as LETOR/XGBoost files are) and once with all rows
  shuffled;
* scikit-learn on the equivalent dense (10000, 100) matrices, with gains ``2**label - 1`` so that
  both compute the same exponential-gain NDCG and average ties the same way
  (``ignore_ties=False``, its default).

It checks that the values agree to 1e-10 and exits non-zero when mlref is less than 5x faster
than scikit-learn on either layout. A last line times raw, untied scores for information.
"""

import argparse
import sys
import time

import numpy as np
from sklearn.metrics import ndcg_score

from mlref.metrics.ranking import ndcg_at_k

TARGET_RATIO = 5.0
TOLERANCE = 1e-10


def best_time(func, repeats: int) -> tuple[float, float]:
    """Fastest of ``repeats`` calls in seconds, and the value returned."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return min(times), value


def make_data(n_queries: int, n_docs: int, seed: int, decimals: int | None):
    """Dense labels and scores (a noisy, rounded function of the label) and the flat layout."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 5, size=(n_queries, n_docs))
    scores = labels + rng.normal(scale=2.0, size=labels.shape)
    if decimals is not None:
        scores = np.round(scores, decimals)
    group = np.repeat(np.arange(n_queries), n_docs)
    return labels, scores, group


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--docs", type=int, default=100, help="documents per query")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    k, repeats = args.k, args.repeats

    labels, scores, group = make_data(args.queries, args.docs, seed=0, decimals=1)
    y_true, y_score = labels.ravel(), scores.ravel()
    shuffle = np.random.default_rng(1).permutation(y_true.size)
    n_distinct = np.unique(scores).size
    print(
        f"NDCG@{k}: {args.queries:,} queries x {args.docs} documents = {y_true.size:,} rows, "
        f"labels 0-4, scores rounded to 0.1 ({n_distinct} distinct values), best of {repeats}"
    )

    sklearn_seconds, sklearn_value = best_time(
        lambda: ndcg_score(2.0**labels - 1, scores, k=k), repeats
    )
    shuffled = y_true[shuffle], y_score[shuffle], group[shuffle]
    runs = {
        "mlref, contiguous query ids": lambda: ndcg_at_k(y_true, y_score, k, group),
        "mlref, shuffled rows": lambda: ndcg_at_k(*shuffled[:2], k, shuffled[2]),
    }
    print(f"{'run':<36} {'seconds':>8} {'NDCG':>20} {'speed-up':>9}")
    print(
        f"{'sklearn ndcg_score (dense matrix)':<36} {sklearn_seconds:>8.4f} {sklearn_value:>20.15f}"
    )
    failures = []
    for name, run in runs.items():
        seconds, value = best_time(run, repeats)
        ratio = sklearn_seconds / seconds
        print(f"{name:<36} {seconds:>8.4f} {value:>20.15f} {ratio:>8.1f}x")
        if abs(value - sklearn_value) > TOLERANCE:
            failures.append(f"{name}: NDCG {value!r} differs from sklearn's {sklearn_value!r}")
        if ratio < TARGET_RATIO:
            failures.append(f"{name}: {ratio:.1f}x faster than sklearn, target {TARGET_RATIO}x")

    labels, raw_scores, group = make_data(args.queries, args.docs, seed=0, decimals=None)
    raw_sklearn, raw_expected = best_time(
        lambda: ndcg_score(2.0**labels - 1, raw_scores, k=k), repeats
    )
    raw_seconds, raw_value = best_time(
        lambda: ndcg_at_k(labels.ravel(), raw_scores.ravel(), k, group), repeats
    )
    print(
        f"(information) untied scores: sklearn {raw_sklearn:.4f} s, mlref {raw_seconds:.4f} s, "
        f"{raw_sklearn / raw_seconds:.1f}x; values differ by {abs(raw_value - raw_expected):.1e}"
    )
    if abs(raw_value - raw_expected) > TOLERANCE:
        failures.append(f"untied scores: NDCG {raw_value!r} differs from {raw_expected!r}")

    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
